/*
 * test_config.c - ORCH_* configuration: defaults, a full Redis URL, and
 * for every kind of bad value an error that names the key (and never
 * echoes a password).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "orch.h"
#include "run_suite.h"

#define MAX_VARS 16
static const char *vars[MAX_VARS][2];
static int n_vars;

static const char *fake_getenv(const char *name)
{
	for (int i = 0; i < n_vars; i++)
		if (!strcmp(vars[i][0], name))
			return vars[i][1];
	return NULL;
}

static void set(const char *k, const char *v)
{
	vars[n_vars][0] = k;
	vars[n_vars][1] = v;
	n_vars++;
}

static void setup(void)
{
	n_vars = 0;
	config_set_getenv(fake_getenv);
}

static int load(struct orch_config *cfg, char *err)
{
	return config_load(cfg, "ceo", 9101, err, 512);
}

START_TEST(test_config_defaults)
{
	struct orch_config cfg;
	char err[512];
	ck_assert_int_eq(load(&cfg, err), 0);
	ck_assert_str_eq(cfg.redis.addr.host, "127.0.0.1");
	ck_assert_int_eq(cfg.redis.addr.port, 6379);
	ck_assert_int_eq(cfg.redis.db, 0);
	ck_assert_str_eq(cfg.prefix, "quantum");
	ck_assert_int_eq(cfg.admin_port, 9101);
	ck_assert_str_eq(cfg.admin_bind, "127.0.0.1");
	ck_assert_int_eq(cfg.log_level, LOG_LEVEL_INFO);
	ck_assert_int_eq(cfg.clock_mode, CLOCK_MODE_WALL);
	ck_assert_int_eq(cfg.redis.n_sentinels, 0);
	ck_assert_int_eq(cfg.redis.connect_timeout_ms, 2000);
	ck_assert(strlen(cfg.instance_id) > 0);
}
END_TEST

START_TEST(test_config_full_redis_url_with_acl_user)
{
	set("ORCH_REDIS_URL", "redis://orch:p%40ss%3Aw@redis.internal:6380/3");
	set("ORCH_PREFIX", "prod");
	set("ORCH_INSTANCE_ID", "ceo-1");
	set("ORCH_CLOCK", "event");
	set("ORCH_LOG_LEVEL", "debug");
	struct orch_config cfg;
	char err[512];
	ck_assert_int_eq(load(&cfg, err), 0);
	ck_assert_str_eq(cfg.redis.user, "orch");
	ck_assert_str_eq(cfg.redis.password, "p@ss:w");
	ck_assert_str_eq(cfg.redis.addr.host, "redis.internal");
	ck_assert_int_eq(cfg.redis.addr.port, 6380);
	ck_assert_int_eq(cfg.redis.db, 3);
	ck_assert_str_eq(cfg.prefix, "prod");
	ck_assert_str_eq(cfg.instance_id, "ceo-1");
	ck_assert_int_eq(cfg.clock_mode, CLOCK_MODE_EVENT);
	ck_assert_int_eq(cfg.log_level, LOG_LEVEL_DEBUG);
}
END_TEST

START_TEST(test_config_password_only_url)
{
	set("ORCH_REDIS_URL", "redis://:secret@10.0.0.5:6379/0");
	struct orch_config cfg;
	char err[512];
	ck_assert_int_eq(load(&cfg, err), 0);
	ck_assert_str_eq(cfg.redis.user, "");
	ck_assert_str_eq(cfg.redis.password, "secret");
}
END_TEST

START_TEST(test_config_sentinels)
{
	set("ORCH_REDIS_SENTINELS", "10.0.0.1:26379, 10.0.0.2:26380,sentinel-3");
	set("ORCH_REDIS_MASTER_NAME", "orch-master");
	struct orch_config cfg;
	char err[512];
	ck_assert_int_eq(load(&cfg, err), 0);
	ck_assert_int_eq(cfg.redis.n_sentinels, 3);
	ck_assert_str_eq(cfg.redis.sentinels[1].host, "10.0.0.2");
	ck_assert_int_eq(cfg.redis.sentinels[1].port, 26380);
	ck_assert_str_eq(cfg.redis.sentinels[2].host, "sentinel-3");
	ck_assert_int_eq(cfg.redis.sentinels[2].port, 26379);
	ck_assert_str_eq(cfg.redis.master_name, "orch-master");
}
END_TEST

/* Each bad setting must fail and name its key. */
static void expect_error(const char *key, const char *value, const char *named)
{
	n_vars = 0;
	set(key, value);
	struct orch_config cfg;
	char err[512] = "";
	ck_assert_int_eq(load(&cfg, err), ORCH_EINVAL);
	ck_assert_msg(strstr(err, named) != NULL, "error '%s' does not name %s", err, named);
}

START_TEST(test_config_errors_name_the_key)
{
	expect_error("ORCH_REDIS_URL", "http://127.0.0.1:6379/0", "ORCH_REDIS_URL");
	expect_error("ORCH_REDIS_URL", "redis://127.0.0.1:99999/0", "ORCH_REDIS_URL");
	expect_error("ORCH_REDIS_URL", "redis://127.0.0.1:6379/16", "ORCH_REDIS_URL");
	expect_error("ORCH_REDIS_URL", "redis://127.0.0.1:port/0", "ORCH_REDIS_URL");
	expect_error("ORCH_LOG_LEVEL", "verbose", "ORCH_LOG_LEVEL");
	expect_error("ORCH_CLOCK", "replay", "ORCH_CLOCK");
	expect_error("ORCH_ADMIN_PORT", "70000", "ORCH_ADMIN_PORT");
	expect_error("ORCH_ADMIN_PORT", "80a", "ORCH_ADMIN_PORT");
	expect_error("ORCH_PREFIX", "bad prefix", "ORCH_PREFIX");
	expect_error("ORCH_INSTANCE_ID", "a/b", "ORCH_INSTANCE_ID");
	expect_error("ORCH_REDIS_SENTINELS", "10.0.0.1:26379", "ORCH_REDIS_MASTER_NAME");
	expect_error("ORCH_REDIS_SENTINELS", "h:1,h:x", "ORCH_REDIS_SENTINELS");
	expect_error("ORCH_REDIS_CONNECT_TIMEOUT_MS", "10", "ORCH_REDIS_CONNECT_TIMEOUT_MS");
	expect_error("ORCH_OUTBOX_DIR", "/nonexistent/dir", "ORCH_OUTBOX_DIR");
}
END_TEST

/* Issue 18: the operators' command key, given directly or as a file (a
 * Kubernetes or Docker secret), never both, never short; a tool loads it
 * alone; no error echoes it. */
START_TEST(test_config_command_key_from_env_or_file_issue_18)
{
	static const char KEY[] = "operators-key-0123456789";
	struct orch_config cfg;
	char err[512] = "", key[256], path[] = "/tmp/test_config_key.XXXXXX";
	ck_assert_int_eq(load(&cfg, err), 0);
	ck_assert_str_eq(cfg.command_key, "");
	set("ORCH_COMMAND_KEY", KEY);
	ck_assert_int_eq(load(&cfg, err), 0);
	ck_assert_str_eq(cfg.command_key, KEY);
	ck_assert_int_eq(config_load_command_key(key, sizeof(key), err, sizeof(err)), 0);
	ck_assert_str_eq(key, KEY);
	/* a file whose first line is the key, its line end dropped */
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	FILE *f = fdopen(fd, "w");
	fprintf(f, "%s\r\nsecond line\n", KEY);
	fclose(f);
	n_vars = 0;
	set("ORCH_COMMAND_KEY_FILE", path);
	ck_assert_int_eq(config_load_command_key(key, sizeof(key), err, sizeof(err)), 0);
	ck_assert_str_eq(key, KEY);
	/* both: an error naming both */
	set("ORCH_COMMAND_KEY", KEY);
	ck_assert_int_eq(load(&cfg, err), ORCH_EINVAL);
	ck_assert_msg(strstr(err, "ORCH_COMMAND_KEY_FILE: ORCH_COMMAND_KEY is set too") != NULL, "%s", err);
	/* short, directly or in the file: refused naming where it came from */
	n_vars = 0;
	set("ORCH_COMMAND_KEY", "short-key");
	ck_assert_int_eq(load(&cfg, err), ORCH_EINVAL);
	ck_assert_str_eq(err, "ORCH_COMMAND_KEY: a key needs 16 to 255 bytes, this one has 9");
	f = fopen(path, "w");
	fprintf(f, "short-key\n");
	fclose(f);
	n_vars = 0;
	set("ORCH_COMMAND_KEY_FILE", path);
	ck_assert_int_eq(config_load_command_key(key, sizeof(key), err, sizeof(err)), ORCH_EINVAL);
	ck_assert_msg(
		strncmp(err, "ORCH_COMMAND_KEY_FILE: the key in", 33) == 0 && !strstr(err, "short-key"), "%s", err);
	unlink(path);
	ck_assert_int_eq(load(&cfg, err), ORCH_EINVAL);
	ck_assert_msg(strstr(err, "ORCH_COMMAND_KEY_FILE: cannot read") != NULL, "%s", err);
}
END_TEST

START_TEST(test_config_backoff_max_below_min_is_refused)
{
	set("ORCH_REDIS_BACKOFF_MIN_MS", "500");
	set("ORCH_REDIS_BACKOFF_MAX_MS", "100");
	struct orch_config cfg;
	char err[512];
	ck_assert_int_eq(load(&cfg, err), ORCH_EINVAL);
	ck_assert(strstr(err, "ORCH_REDIS_BACKOFF_MAX_MS") != NULL);
}
END_TEST

START_TEST(test_config_never_echoes_password)
{
	set("ORCH_REDIS_URL", "redis://user:hunter2@host:notaport/0");
	struct orch_config cfg;
	char err[512];
	ck_assert_int_eq(load(&cfg, err), ORCH_EINVAL);
	ck_assert(strstr(err, "ORCH_REDIS_URL") != NULL);
	ck_assert(strstr(err, "hunter2") == NULL);
}
END_TEST

struct sample {
	int count;
	int64_t wait_ms;
	double ratio;
	int on;
	int mode;
	char name[8];
	size_t size;
};

#define F(f, T) CONFIG_FIELD(struct sample, f, T)
static const struct config_setting sample_settings[] = {
	{"ORCH_X_INT", CONFIG_INT, F(count, int), .def = "1", .min = 0, .max = 100, .help = "count"},
	{"ORCH_X_WAIT_S",
	 CONFIG_I64,
	 F(wait_ms, int64_t),
	 .def = "2",
	 .min = 1,
	 .max = 60,
	 .scale = 1000,
	 .help = "seconds into ms"},
	{"ORCH_X_DBL", CONFIG_DOUBLE, F(ratio, double), .def = "0.5", .min = 0, .max = 1, .help = "ratio"},
	{"ORCH_X_BOOL", CONFIG_BOOL, F(on, int), .def = "false", .help = "switch"},
	{"ORCH_X_MODE", CONFIG_ENUM, F(mode, int), .def = "input", .choices = "input|command", .help = "mode"},
	{"ORCH_X_NAME", CONFIG_STR, F(name, char[8]), 8, .def = "abc", .help = "name"},
	{"ORCH_X_SIZE", CONFIG_SIZE, F(size, size_t), .min = 2, .max = 10, .help = "kept when unset"},
};
#undef F
static const struct config_table sample = {"sample", sample_settings, 7, sizeof(struct sample), NULL};

START_TEST(test_config_policy_key_for_tools_is_the_services_key)
{
	char key[160], err[256];
	ck_assert_int_eq(config_load_policy_key("t", key, sizeof(key), err, sizeof(err)), 0);
	ck_assert_str_eq(key, "t:policy:current");
	set("ORCH_POLICY_KEY", "quantum:orchestration:policy");
	ck_assert_int_eq(config_load_policy_key("t", key, sizeof(key), err, sizeof(err)), 0);
	ck_assert_str_eq(key, "quantum:orchestration:policy");
	struct orch_config cfg;
	ck_assert_int_eq(load(&cfg, err), 0);
	ck_assert_str_eq(cfg.policy_key, key);
	char too_long[200];
	memset(too_long, 'k', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = '\0';
	vars[n_vars - 1][1] = too_long;
	ck_assert_int_eq(config_load_policy_key("t", key, sizeof(key), err, sizeof(err)), ORCH_EINVAL);
	ck_assert_msg(!strncmp(err, "ORCH_POLICY_KEY: ", 17), "%s", err);
}
END_TEST

START_TEST(test_config_table_reads_every_type_and_keeps_module_defaults)
{
	struct sample v = {.size = 7};
	char err[512];
	ck_assert_int_eq(config_table_load(&sample, &v, err, sizeof(err)), 0);
	ck_assert_int_eq(v.count, 1);
	ck_assert_int_eq(v.wait_ms, 2000);
	ck_assert(v.ratio == 0.5);
	ck_assert_int_eq(v.on, 0);
	ck_assert_int_eq(v.mode, 0);
	ck_assert_str_eq(v.name, "abc");
	ck_assert_int_eq(v.size, 7); /* no default in the table: the module's stays */
	set("ORCH_X_INT", "42");
	set("ORCH_X_WAIT_S", "30");
	set("ORCH_X_DBL", "0.95");
	set("ORCH_X_BOOL", "YES");
	set("ORCH_X_MODE", "command");
	set("ORCH_X_NAME", "defg");
	set("ORCH_X_SIZE", "3");
	ck_assert_int_eq(config_table_load(&sample, &v, err, sizeof(err)), 0);
	ck_assert_int_eq(v.count, 42);
	ck_assert_int_eq(v.wait_ms, 30000);
	ck_assert(v.ratio == 0.95);
	ck_assert_int_eq(v.on, 1);
	ck_assert_int_eq(v.mode, 1);
	ck_assert_str_eq(v.name, "defg");
	ck_assert_int_eq(v.size, 3);
}
END_TEST

START_TEST(test_config_table_errors_name_the_key_and_the_range)
{
	struct sample v;
	char err[512];
	static const char *const bad[][3] = {
		{"ORCH_X_INT", "101", "ORCH_X_INT: expected an integer in [0, 100], got '101'"},
		{"ORCH_X_INT", "4x", "ORCH_X_INT: expected an integer in [0, 100], got '4x'"},
		{"ORCH_X_DBL", "nan", "ORCH_X_DBL: expected a number in [0, 1], got 'nan'"},
		{"ORCH_X_BOOL", "maybe", "ORCH_X_BOOL: expected true or false, got 'maybe'"},
		{"ORCH_X_MODE", "replay", "ORCH_X_MODE: expected one of input,command, got 'replay'"},
		{"ORCH_X_NAME", "too-long", "ORCH_X_NAME: longer than 7 characters"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n_vars = 0;
		set(bad[i][0], bad[i][1]);
		ck_assert_int_eq(config_table_load(&sample, &v, err, sizeof(err)), ORCH_EINVAL);
		ck_assert_str_eq(err, bad[i][2]);
	}
}
END_TEST

START_TEST(test_config_table_prints_defaults_ranges_and_help)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	ck_assert_int_eq(config_table_print(f, &sample, 1), 0);
	fclose(f);
	ck_assert_msg(strstr(text, "| `ORCH_X_WAIT_S` | `2` | 1-60 | seconds into ms |") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "| `ORCH_X_MODE` | `input` | input, command | mode |") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "| `ORCH_X_BOOL` | `false` | true, false | switch |") != NULL, "%s", text);
	free(text);
}
END_TEST

static int known_color(const char *s)
{
	return !strcmp(s, "red") || !strcmp(s, "green") || !strcmp(s, "blue");
}

START_TEST(test_config_lists)
{
	char out[3][CONFIG_LIST_ITEM], err[512];
	int n = -1;
	const char *known = "red,green,blue";
	ck_assert_int_eq(config_parse_list("ORCH_X", "red,green", out, 3, &n, known_color, known, err, sizeof(err)), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(out[0], "red");
	ck_assert_str_eq(out[1], "green");
	ck_assert_int_eq(config_parse_list("ORCH_X", "red,,green", out, 3, &n, known_color, known, err, sizeof(err)),
			 ORCH_EINVAL);
	ck_assert_str_eq(err, "ORCH_X: expected 1-3 comma-separated items, got 'red,,green'");
	ck_assert_int_eq(
		config_parse_list("ORCH_X", "red,green,blue,red", out, 3, &n, known_color, known, err, sizeof(err)),
		ORCH_EINVAL);
	ck_assert_int_eq(config_parse_list("ORCH_X", "red,purple", out, 3, &n, known_color, known, err, sizeof(err)),
			 ORCH_EINVAL);
	ck_assert_str_eq(err, "ORCH_X: 'purple' is not one of: red,green,blue");
	ck_assert_int_eq(config_parse_list("ORCH_X", "", out, 3, &n, known_color, known, err, sizeof(err)),
			 ORCH_EINVAL);
	/* without a check, any names */
	ck_assert_int_eq(config_parse_list("ORCH_X", "red,purple", out, 3, &n, NULL, known, err, sizeof(err)), 0);
	ck_assert_str_eq(out[1], "purple");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("environment");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_config_defaults);
	tcase_add_test(tc, test_config_full_redis_url_with_acl_user);
	tcase_add_test(tc, test_config_password_only_url);
	tcase_add_test(tc, test_config_sentinels);
	tcase_add_test(tc, test_config_errors_name_the_key);
	tcase_add_test(tc, test_config_command_key_from_env_or_file_issue_18);
	tcase_add_test(tc, test_config_backoff_max_below_min_is_refused);
	tcase_add_test(tc, test_config_never_echoes_password);
	tcase_add_test(tc, test_config_policy_key_for_tools_is_the_services_key);
	tcase_add_test(tc, test_config_table_reads_every_type_and_keeps_module_defaults);
	tcase_add_test(tc, test_config_table_errors_name_the_key_and_the_range);
	tcase_add_test(tc, test_config_table_prints_defaults_ranges_and_help);
	tcase_add_test(tc, test_config_lists);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
