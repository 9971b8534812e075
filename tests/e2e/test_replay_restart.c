/*
 * test_replay_restart.c - the demo's replay with redis-server killed and
 * restarted from its AOF in the middle: the four services in replay mode
 * (deploy/env/replay.env) and tools/replay over 250 days of the bundled
 * prices. Redis goes down after day 100; the replay rides it out and
 * finishes, no service restarts, and each trade.closed the replay counted
 * is in the Strategy Officer's windows exactly once, each day's snapshot
 * in the Risk Officer's returns exactly once.
 */
#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "json_util.h"
#include "run_suite.h"
#include "stack.h"

#define DAYS       250
#define KILL_AFTER 100

static const char *const SVC[] = {"ceo", "risk_officer", "strategy_officer", "federation"};
#define N_SVC 4

static struct harness_redis srv;
static pid_t pids[N_SVC], feeder;
static char dir[256], env_buf[40][256];
static const char *env[48];

/* The replay settings, as make demo and docker-compose's demo use them. */
static void load_env(void)
{
	const char *src = getenv("ORCH_TEST_SRCDIR");
	char path[512];
	snprintf(path, sizeof(path), "%s/deploy/env/replay.env", src ? src : ".");
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	size_t n = 0;
	char line[200];
	while (fgets(line, sizeof(line), f) && n < 36) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] && line[0] != '#' && strchr(line, '=')) {
			snprintf(env_buf[n], sizeof(env_buf[n]), "%s", line);
			env[n] = env_buf[n];
			n++;
		}
	}
	fclose(f);
	ck_assert_uint_gt(n, 5);
	env[n++] = "ORCH_PREFIX=t";
	env[n++] = "ORCH_LOG_LEVEL=error";
	env[n++] = "ORCH_ADMIN_PORT=0";
	snprintf(env_buf[36], sizeof(env_buf[36]), "ORCH_API_PORT=%d", harness_free_port());
	env[n++] = env_buf[36];
	env[n] = NULL;
}

static void setup(void)
{
	ck_assert_int_eq(harness_redis_start(&srv, 1), 0);
	snprintf(dir, sizeof(dir), "%s", srv.dir);
	load_env();
	char prices[512];
	snprintf(prices, sizeof(prices), "%s/prices.csv", dir);
	ck_assert_int_eq(stack_write_prices(prices, DAYS), 0);
	for (int i = 0; i < N_SVC; i++) {
		pids[i] = harness_spawn_program(SVC[i], &srv, env);
		ck_assert_int_gt(pids[i], 0);
	}
}

static void teardown(void)
{
	for (int i = 0; i < N_SVC; i++)
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
		}
	if (feeder > 0) {
		kill(feeder, SIGKILL);
		waitpid(feeder, NULL, 0);
	}
	harness_redis_stop(&srv);
}

static long long xlen(redisContext *c, const char *key)
{
	redisReply *r = redisCommand(c, "XLEN %s", key);
	long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
	freeReplyObject(r);
	return n;
}

START_TEST(test_redis_restart_mid_replay)
{
	redisContext *c = harness_redis_sync(&srv);
	/* the services are up once the CEO holds its lease */
	for (int i = 0; i < 200; i++, usleep(25000)) {
		char *v = stack_get(c, "t:lease:ceo");
		int held = v != NULL;
		free(v);
		if (held)
			break;
	}
	char prices[512], summary[512];
	snprintf(prices, sizeof(prices), "%s/prices.csv", dir);
	snprintf(summary, sizeof(summary), "%s/summary.json", dir);
	const char *args[] = {"--prices", prices, "--summary-json", summary, NULL};
	feeder = harness_spawn_program_args("replay", &srv, env, args);
	ck_assert_int_gt(feeder, 0);
	for (int i = 0; i < 2400 && xlen(c, "t:stream:portfolio.snapshot_updated") < KILL_AFTER; i++)
		usleep(25000);
	ck_assert_int_ge(xlen(c, "t:stream:portfolio.snapshot_updated"), KILL_AFTER);
	redisFree(c);
	harness_redis_kill(&srv, SIGKILL);
	ck_assert_int_eq(harness_redis_restart(&srv), 0);

	int st = -1;
	for (int i = 0; i < 2400 && waitpid(feeder, &st, WNOHANG) == 0; i++)
		usleep(50000);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the replay did not finish (status %d)", st);
	feeder = 0;
	for (int i = 0; i < N_SVC; i++)
		ck_assert_msg(waitpid(pids[i], NULL, WNOHANG) == 0, "%s exited", SVC[i]);

	json_t *sum = json_load_file(summary, 0, NULL);
	ck_assert_ptr_nonnull(sum);
	ck_assert_int_eq(json_integer_value(json_object_get(sum, "days")), DAYS);
	json_int_t trades = json_integer_value(json_object_get(sum, "trades"));
	ck_assert_int_gt(trades, 5);
	json_decref(sum);

	c = harness_redis_sync(&srv);
	ck_assert_int_eq(xlen(c, "t:stream:portfolio.snapshot_updated") >= DAYS, 1);
	/* every trade once in the Strategy Officer's windows */
	json_int_t counted = -1;
	for (int i = 0; i < 100 && counted != trades; i++, usleep(50000)) {
		json_t *p = stack_wait_payload(c, "t", "strategy_state_update", NULL, NULL, 100);
		size_t k;
		json_t *row;
		counted = 0;
		json_array_foreach(json_object_get(p, "ranking"), k, row) counted +=
			json_integer_value(json_object_get(row, "trades"));
		json_decref(p);
	}
	ck_assert_int_eq(counted, trades);
	/* every day's snapshot once: DAYS - 2 daily returns (a day's return is
	 * taken when the next day's first snapshot closes its period, so the
	 * last day has none yet) */
	json_t *p = stack_wait_payload(c, "t", "risk_state_update", NULL, NULL, 1000);
	ck_assert_ptr_nonnull(p);
	const json_t *m = json_object_get(p, "metrics");
	ck_assert_str_eq(json_string_value(json_object_get(m, "source")), "equity_snapshots");
	ck_assert_int_eq(json_integer_value(json_object_get(m, "n_obs")), DAYS - 2);
	json_decref(p);
	redisFree(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("replay_restart");
	TCase *tc = tcase_create("replay");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_redis_restart_mid_replay);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
