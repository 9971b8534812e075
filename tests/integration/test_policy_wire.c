/*
 * test_policy_wire.c - the PolicyStore's policy.updated payload on a real
 * redis-server, in the original's PolicyUpdateEvent shape (issue 15): the
 * event that creates the document has previous_mode JSON null (there was
 * no mode before) and new_mode the default's NORMAL.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "orch.h"
#include "policy.h"
#include "run_suite.h"

static struct harness_redis srv;
static struct redis_target target;
static uv_loop_t loop;

static void setup(void)
{
	ck_assert_int_eq(harness_redis_start(&srv, 0), 0);
	harness_target(&srv, &target);
	uv_loop_init(&loop);
}

static void teardown(void)
{
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	harness_redis_stop(&srv);
}

static int loaded(void *arg)
{
	int64_t v;
	return policy_current(arg, &v) != NULL && v > 0;
}

/* The payload of the only policy.updated entry. New reference. */
static json_t *only_policy_updated(void)
{
	redisContext *c = harness_redis_sync(&srv);
	redisReply *r = redisCommand(c, "XRANGE t:stream:policy.updated - +");
	redisFree(c);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_int_eq(r->elements, 1);
	redisReply *f = r->element[0]->element[1];
	json_t *payload = NULL;
	for (size_t i = 0; i + 1 < f->elements; i += 2)
		if (strcmp(f->element[i]->str, "payload") == 0)
			payload = json_loads(f->element[i + 1]->str, 0, NULL);
	freeReplyObject(r);
	ck_assert_ptr_nonnull(payload);
	return payload;
}

START_TEST(test_policy_wire_creation_has_null_previous_mode_issue_15)
{
	struct policy_config cfg = {.prefix = "t", .writer = "ai_ceo", .block_ms = 200, .create = 1};
	struct policy *p;
	ck_assert_int_eq(policy_new(&p, &loop, &cfg, &target), 0);
	ck_assert_int_eq(policy_start(p), 0);
	ck_assert_int_eq(harness_loop_until(&loop, loaded, p, 5000), 0);
	int64_t v;
	policy_current(p, &v);
	ck_assert_int_eq(v, 1);
	policy_free(p);
	json_t *payload = only_policy_updated();
	ck_assert_str_eq(json_string_value(json_object_get(payload, "event_type")), "policy.updated");
	/* present and JSON null: not "", not missing, not the new mode */
	const json_t *prev = json_object_get(payload, "previous_mode");
	ck_assert_ptr_nonnull(prev);
	ck_assert(json_is_null(prev));
	ck_assert_str_eq(json_string_value(json_object_get(payload, "new_mode")), "NORMAL");
	ck_assert_int_eq(json_integer_value(json_object_get(payload, "version")), 1);
	json_decref(payload);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy_wire");
	TCase *tc = tcase_create("store");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_policy_wire_creation_has_null_previous_mode_issue_15);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
