/*
 * test_ceo_commands.c - issue 18: the ceo binary against a real
 * redis-server takes an operator's command only when it proves its
 * sender. Signed commands change the mode; an unsigned one, one signed
 * with another key, a replay of an accepted one and a stale one each
 * leave the mode as it was, are dead-lettered with their reason, counted
 * by reason and answered "rejected"; a command appended to the stream
 * long ago (history a new consumer group reads) is skipped, neither acted
 * on nor dead-lettered; a CEO without a key refuses every command.
 */
#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "command_auth.h"
#include "harness.h"
#include "run_suite.h"
#include "stack.h"

static struct harness_redis srv;
static pid_t pid;
static int port;

static void spawn_ceo(const char *name, const char *extra)
{
	char id[64], admin[48];
	port = harness_free_port();
	snprintf(id, sizeof(id), "ORCH_INSTANCE_ID=%s", name);
	snprintf(admin, sizeof(admin), "ORCH_ADMIN_PORT=%d", port);
	const char *env[] = {"ORCH_PREFIX=t", id, admin, "ORCH_LOG_LEVEL=error", "ORCH_LEASE_TTL_MS=1000", extra, NULL};
	pid = harness_spawn_program("ceo", &srv, env);
	ck_assert_int_gt(pid, 0);
	ck_assert_msg(stack_wait_ready(port, 10000), "the CEO is not ready");
	/* it answers commands once it leads */
	redisContext *c = harness_redis_sync(&srv);
	int leads = 0;
	for (int i = 0; i < 200 && !leads; i++, usleep(25000)) {
		char *v = stack_get(c, "t:lease:ceo");
		leads = v && !strncmp(v, name, strlen(name)) && v[strlen(name)] == '|';
		free(v);
	}
	redisFree(c);
	ck_assert_msg(leads, "%s does not lead", name);
}

static void setup(void)
{
	ck_assert_int_eq(harness_redis_start(&srv, 0), 0);
	/* a command from long ago, first on the stream: a new consumer group
	 * reads it; its signature is good, only its age stops it */
	redisContext *c = harness_redis_sync(&srv);
	json_t *old = json_pack("{s:s, s:s, s:s, s:s, s:s}",
				"request_id",
				"old-1",
				"action",
				"set_mode",
				"mode",
				"GROWTH",
				"reason",
				"history",
				"operator",
				"mallory");
	ck_assert_int_eq(command_sign(old, "ceo_command", HARNESS_COMMAND_KEY, clock_wall_ms()), 0);
	char *text = json_dumps(old, JSON_COMPACT);
	redisReply *r =
		redisCommand(c, "XADD t:stream:ceo_command 1000-0 event_type ceo_command payload %s source test", text);
	ck_assert(r && r->type == REDIS_REPLY_STRING);
	freeReplyObject(r);
	free(text);
	json_decref(old);
	redisFree(c);
	spawn_ceo("ceo-k", NULL);
}

static void teardown(void)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = 0;
	}
	harness_redis_stop(&srv);
}

/* The CEO's reply to request id rid within 10 s (caller decrefs). */
static json_t *reply_to(redisContext *c, const char *rid)
{
	const char *want[] = {"request_id", rid};
	json_t *rep = stack_wait_payload(c, "t", "ceo_command_reply", stack_field_is, want, 10000);
	ck_assert_msg(rep != NULL, "no reply to %s", rid);
	return rep;
}

/* Asserts the reply to rid has status and, when given, error containing
 * `error`. */
static void expect_reply(redisContext *c, const char *rid, const char *status, const char *error)
{
	json_t *rep = reply_to(c, rid);
	const char *st = json_string_value(json_object_get(rep, "status"));
	const char *err = json_string_value(json_object_get(rep, "error"));
	ck_assert_msg(st && !strcmp(st, status), "%s answered %s (%s), want %s", rid, st, err ? err : "", status);
	if (error)
		ck_assert_msg(err && strstr(err, error), "%s: error '%s' lacks '%s'", rid, err ? err : "", error);
	json_decref(rep);
}

/* A set_mode to mode, as JSON text signed with key at at_ms (key NULL:
 * unsigned); the caller frees it. */
static char *set_mode(const char *rid, const char *mode, const char *key, int64_t at_ms)
{
	json_t *cmd = json_pack("{s:s, s:s, s:s, s:s, s:s}",
				"request_id",
				rid,
				"action",
				"set_mode",
				"mode",
				mode,
				"reason",
				"test",
				"operator",
				"alice");
	if (key)
		ck_assert_int_eq(command_sign(cmd, "ceo_command", key, at_ms), 0);
	char *text = json_dumps(cmd, JSON_COMPACT);
	json_decref(cmd);
	return text;
}

static void send_text(redisContext *c, const char *text)
{
	ck_assert_int_eq(stack_publish(c, "t", "ceo_command", text, NULL), 0);
}

/* The operating mode the PolicyStore holds, once it is `want` (5 s). */
static int policy_mode_is(redisContext *c, const char *want)
{
	for (int i = 0; i < 100; i++, usleep(50000)) {
		json_t *doc = stack_get_json(c, "t:policy:current");
		const char *m = json_string_value(json_object_get(doc, "operating_mode"));
		int same = m && !strcmp(m, want);
		json_decref(doc);
		if (same)
			return 1;
	}
	return 0;
}

/* Every reason of the dead letters of ceo_command, one per line, once
 * there are n of them (5 s); the caller frees it. */
static char *dead_letters(redisContext *c, size_t n)
{
	redisReply *r = NULL;
	for (int i = 0; i < 100; i++, usleep(50000)) {
		freeReplyObject(r);
		r = redisCommand(c, "XRANGE t:dlq:ceo_command - +");
		if (r && r->type == REDIS_REPLY_ARRAY && r->elements >= n)
			break;
	}
	ck_assert_msg(r && r->type == REDIS_REPLY_ARRAY && r->elements == n,
		      "%zu dead letters, want %zu",
		      r ? r->elements : 0,
		      n);
	size_t len = 1;
	for (size_t e = 0; e < n; e++)
		len += strlen(r->element[e]->element[1]->element[1]->str) + 1;
	char *all = calloc(1, len);
	for (size_t e = 0; e < n; e++) {
		strcat(all, r->element[e]->element[1]->element[1]->str);
		strcat(all, "\n");
	}
	freeReplyObject(r);
	return all;
}

static double rejected(const char *reason)
{
	char name[96];
	snprintf(name, sizeof(name), "orch_ceo_commands_rejected_total{reason=\"%s\"}", reason);
	return stack_metric(port, name);
}

START_TEST(test_ceo_takes_only_signed_commands_issue_18)
{
	redisContext *c = harness_redis_sync(&srv);
	/* the old entry was read and skipped: no answer, no dead letter */
	for (int i = 0; i < 100 && stack_metric(port, "orch_ceo_commands_expired_total") < 1; i++)
		usleep(50000);
	ck_assert_double_eq(stack_metric(port, "orch_ceo_commands_expired_total"), 1);

	/* signed commands work */
	char *op1 = set_mode("op-1", "DEFENSIVE", HARNESS_COMMAND_KEY, clock_wall_ms());
	send_text(c, op1);
	expect_reply(c, "op-1", "ok", NULL);
	char *op2 = set_mode("op-2", "CAPITAL_PRESERVATION", HARNESS_COMMAND_KEY, clock_wall_ms());
	send_text(c, op2);
	expect_reply(c, "op-2", "ok", NULL);
	ck_assert(policy_mode_is(c, "CAPITAL_PRESERVATION"));

	/* op-1 again, word for word: a replay */
	send_text(c, op1);
	/* unsigned, signed with another key, signed two minutes ago */
	char *unsigned_cmd = set_mode("bad-1", "GROWTH", NULL, 0);
	char *other_key = set_mode("bad-2", "GROWTH", "another-key-entirely-0123456789", clock_wall_ms());
	char *stale = set_mode("bad-3", "GROWTH", HARNESS_COMMAND_KEY, clock_wall_ms() - 120000);
	send_text(c, unsigned_cmd);
	send_text(c, other_key);
	send_text(c, stale);
	expect_reply(c, "bad-1", "rejected", "not signed");
	expect_reply(c, "bad-2", "rejected", "bad signature");
	expect_reply(c, "bad-3", "rejected", "signed 120 s ago");
	/* the replay's reply: the newest for op-1 */
	expect_reply(c, "op-1", "rejected", "already used");

	/* nothing moved */
	ck_assert(policy_mode_is(c, "CAPITAL_PRESERVATION"));
	ck_assert_double_eq(stack_metric(port, "orch_ceo_mode{mode=\"CAPITAL_PRESERVATION\"}"), 1);
	/* each dead-lettered with its reason, and counted */
	char *dlq = dead_letters(c, 4);
	ck_assert_msg(strstr(dlq, "malformed: refused: request_id op-1 was already used (a replay)"), "%s", dlq);
	ck_assert_msg(strstr(dlq, "malformed: refused: not signed"), "%s", dlq);
	ck_assert_msg(strstr(dlq, "malformed: refused: bad signature"), "%s", dlq);
	ck_assert_msg(strstr(dlq, "malformed: refused: signed 120 s ago"), "%s", dlq);
	ck_assert_msg(!strstr(dlq, "old-1"), "%s", dlq);
	free(dlq);
	ck_assert_double_eq(rejected("replay"), 1);
	ck_assert_double_eq(rejected("unsigned"), 1);
	ck_assert_double_eq(rejected("bad_signature"), 1);
	ck_assert_double_eq(rejected("stale"), 1);
	ck_assert_double_eq(rejected("no_key"), 0);
	ck_assert_double_eq(stack_metric(port, "orch_ceo_commands_accepted_total"), 2);
	/* the skipped one was never answered */
	const char *old[] = {"request_id", "old-1"};
	json_t *none = stack_wait_payload(c, "t", "ceo_command_reply", stack_field_is, old, 0);
	ck_assert_ptr_null(none);
	free(op1);
	free(op2);
	free(unsigned_cmd);
	free(other_key);
	free(stale);
	redisFree(c);
}
END_TEST

/* Safe by default: with no key set, a CEO refuses every command, however
 * it is signed. */
START_TEST(test_ceo_without_a_key_refuses_every_command_issue_18)
{
	redisContext *c = harness_redis_sync(&srv);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	freeReplyObject(redisCommand(c, "DEL t:lease:ceo"));
	spawn_ceo("ceo-n", "ORCH_COMMAND_KEY=");
	char *cmd = set_mode("op-n", "GROWTH", HARNESS_COMMAND_KEY, clock_wall_ms());
	send_text(c, cmd);
	expect_reply(c, "op-n", "rejected", "no ORCH_COMMAND_KEY");
	ck_assert_double_eq(rejected("no_key"), 1);
	ck_assert_double_eq(stack_metric(port, "orch_ceo_mode{mode=\"GROWTH\"}"), 0);
	char *dlq = dead_letters(c, 1);
	ck_assert_msg(strstr(dlq, "no ORCH_COMMAND_KEY"), "%s", dlq);
	free(dlq);
	free(cmd);
	redisFree(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ceo_commands");
	TCase *tc = tcase_create("auth");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_ceo_takes_only_signed_commands_issue_18);
	tcase_add_test(tc, test_ceo_without_a_key_refuses_every_command_issue_18);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
