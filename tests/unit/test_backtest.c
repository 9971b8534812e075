/*
 * test_backtest.c - the layer in one process (tools/backtest): settings
 * come from --set, then the replay mode's file, then the environment, and
 * a --set name no service reads is refused; a run is the same every time;
 * the book without the layer does not depend on the layer's settings; the
 * prices loader takes CRLF and blank lines, refuses a row that does not
 * fit its header, and reads back the synthetic prices it writes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backtest.h"
#include "orch.h"
#include "run_suite.h"

START_TEST(backtest__env_file_lines)
{
	char text[] = "# replay mode\n\nORCH_RISK_WINDOW=260\r\nexport ORCH_CEO_EVALUATE=command\n  ORCH_X=a=b\n";
	struct backtest_setting s[8];
	int bad = 0;
	ck_assert_int_eq(backtest_env_parse(text, s, 8, &bad), 3);
	ck_assert_str_eq(s[0].name, "ORCH_RISK_WINDOW");
	ck_assert_str_eq(s[0].value, "260");
	ck_assert_str_eq(s[1].name, "ORCH_CEO_EVALUATE");
	ck_assert_str_eq(s[2].value, "a=b");
	char broken[] = "ORCH_A=1\n\nnot a setting\n";
	ck_assert_int_eq(backtest_env_parse(broken, s, 8, &bad), ORCH_EINVAL);
	ck_assert_int_eq(bad, 3);
}
END_TEST

START_TEST(backtest__settings_are_layered_and_checked)
{
	const struct backtest_setting replay[] = {{"ORCH_RISK_WINDOW", "260"}, {"ORCH_CEO_CONFIRMATIONS", "5"}};
	const struct backtest_setting sets[] = {{"ORCH_RISK_WINDOW", "300"}, {"ORCH_RISK_WINDOW", "320"}};
	struct backtest_sources src = {.sets = sets, .n_sets = 2, .replay = replay, .n_replay = 2};
	static struct backtest_config c;
	char err[256];
	ck_assert_int_eq(backtest_config_load(&src, &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.risk.book.window_count, 320); /* the later --set */
	ck_assert_int_eq(c.ceo.brain.confirmations, 5);   /* the replay file */
	ck_assert_int_eq(c.ceo.brain.rules, CEO_RULES_DEFAULT);
	src.n_sets = 0;
	ck_assert_int_eq(backtest_config_load(&src, &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.risk.book.window_count, 260);
	const struct backtest_setting typo[] = {{"ORCH_CEO_RULES", "original"}, {"ORCH_CEO_CONFIRMATION", "2"}};
	src.sets = typo;
	src.n_sets = 2;
	ck_assert_int_eq(backtest_config_load(&src, &c, err, sizeof(err)), ORCH_EINVAL);
	ck_assert(strstr(err, "ORCH_CEO_CONFIRMATION: no such setting"));
	const struct backtest_setting range[] = {{"ORCH_CEO_CRITICAL_DRAWDOWN", "3"}};
	src.sets = range;
	src.n_sets = 1;
	ck_assert_int_eq(backtest_config_load(&src, &c, err, sizeof(err)), ORCH_EINVAL);
	ck_assert(strstr(err, "ORCH_CEO_CRITICAL_DRAWDOWN"));
}
END_TEST

/* The run of p with the built-in replay settings and sets. */
static void run(const struct replay_prices *p, const struct backtest_setting *sets, size_t n_sets,
		struct backtest_result *r)
{
	static struct backtest_setting replay[64];
	static char text[4096];
	snprintf(text, sizeof(text), "%s", backtest_replay_env);
	int bad, n = backtest_env_parse(text, replay, 64, &bad);
	ck_assert_int_gt(n, 5);
	struct backtest_sources src = {.sets = sets, .n_sets = n_sets, .replay = replay, .n_replay = (size_t)n};
	static struct backtest_config c;
	char err[256];
	ck_assert_int_eq(backtest_config_load(&src, &c, err, sizeof(err)), 0);
	ck_assert_int_eq(backtest_run(p, &c, r, err, sizeof(err)), 0);
}

START_TEST(backtest__runs_alike_and_the_yardstick_stays)
{
	struct replay_prices p;
	ck_assert_int_eq(replay_prices_synthetic(6, 600, 7, &p), 0);
	struct backtest_result a, b, c;
	run(&p, NULL, 0, &a);
	run(&p, NULL, 0, &b);
	ck_assert_uint_eq(a.rec.n_days, 600);
	ck_assert_mem_eq(a.rec.eq[0], b.rec.eq[0], sizeof(double) * 600);
	ck_assert_mem_eq(a.rec.mode, b.rec.mode, 600);
	ck_assert_int_eq(json_equal(a.switches, b.switches), 1);
	ck_assert_int_gt(json_array_size(a.switches), 0);
	ck_assert_int_gt(a.rec.trades, 10);
	ck_assert_int_eq(a.dead_letters, 0);
	/* the layer decides differently; the book without it does not move */
	const struct backtest_setting other[] = {{"ORCH_CEO_RULES", "original"}};
	run(&p, other, 1, &c);
	ck_assert_int_eq(json_equal(a.switches, c.switches), 0);
	ck_assert_mem_eq(a.rec.eq[1], c.rec.eq[1], sizeof(double) * 600);
	backtest_result_release(&a);
	backtest_result_release(&b);
	backtest_result_release(&c);
	replay_prices_release(&p);
}
END_TEST

/* Writes text to a temporary file; its path into path (PATH_MAX). */
static void temp_file(const char *text, char *path)
{
	snprintf(path, 64, "/tmp/test_backtest.XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

START_TEST(backtest__prices_files)
{
	char path[64], err[256];
	struct replay_prices p;
	temp_file("date,A,B\r\n\r\n2001-01-01,1,2\r\n2001-01-02,1.5,2.5\r\n\n", path);
	ck_assert_int_eq(replay_prices_load(path, 2, 2, &p, err, sizeof(err)), 0);
	ck_assert_uint_eq(p.n_days, 2);
	ck_assert_str_eq(p.names[1], "B");
	ck_assert_double_eq(p.close[3], 2.5);
	replay_prices_release(&p);
	ck_assert_int_eq(replay_prices_load(path, 2, 3, &p, err, sizeof(err)), ORCH_EINVAL);
	ck_assert(strstr(err, ": 2 days of prices; at least 3 needed"));
	unlink(path);
	temp_file("date,A,,C\n2001-01-01,1,2,3\n", path);
	ck_assert_int_eq(replay_prices_load(path, 2, 1, &p, err, sizeof(err)), ORCH_EINVAL);
	ck_assert(strstr(err, ":1: column 3: instrument names must have"));
	unlink(path);
	/* the synthetic prices read back as written */
	struct replay_prices s;
	ck_assert_int_eq(replay_prices_synthetic(3, 100, 1, &s), 0);
	snprintf(path, sizeof(path), "/tmp/test_backtest.XXXXXX");
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	ck_assert_int_eq(replay_prices_write(f, &s), 0);
	fclose(f);
	ck_assert_int_eq(replay_prices_load(path, 2, 60, &p, err, sizeof(err)), 0);
	ck_assert_uint_eq(p.n_days, 100);
	ck_assert_mem_eq(p.close, s.close, sizeof(double) * 300);
	ck_assert_mem_eq(p.t_ms, s.t_ms, sizeof(int64_t) * 100);
	unlink(path);
	replay_prices_release(&p);
	replay_prices_release(&s);
	ck_assert_int_eq(replay_prices_synthetic(RB_MAX_INSTR + 1, 100, 1, &s), ORCH_EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("backtest");
	TCase *tc = tcase_create("backtest");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, backtest__env_file_lines);
	tcase_add_test(tc, backtest__settings_are_layered_and_checked);
	tcase_add_test(tc, backtest__runs_alike_and_the_yardstick_stays);
	tcase_add_test(tc, backtest__prices_files);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
