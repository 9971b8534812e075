/*
 * test_compat.c - wire compatibility with the original system's EventBus v2.
 *
 * original_bus.py (Debian's python3-redis, run with /usr/bin/python3)
 * writes and reads entries exactly as the original does. Our bus must
 * consume its events (including the "direct" trade.closed entry with flat
 * fields) with the real values, and it must decode ours.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "harness.h"
#include "orch.h"
#include "run_suite.h"

#define PY "/usr/bin/python3"

static struct harness_redis srv;
static struct redis_target target;

static void setup(void)
{
	ck_assert_int_eq(harness_redis_start(&srv, 0), 0);
	harness_target(&srv, &target);
}

static void teardown(void)
{
	harness_redis_stop(&srv);
}

static const char *peer_script(void)
{
	const char *dir = getenv("ORCH_TEST_SRCDIR");
	static char path[1024];
	snprintf(path, sizeof(path), "%s/tests/integration/original_bus.py", dir ? dir : ".");
	return path;
}

/* Runs the peer with args; returns its stdout (malloc'd, caller frees). */
static char *run_peer(const char *args)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), PY " %s %d t %s", peer_script(), srv.port, args);
	FILE *f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	size_t cap = 65536, n = 0;
	char *out = calloc(1, cap);
	size_t r;
	while ((r = fread(out + n, 1, cap - 1 - n, f)) > 0)
		n += r;
	ck_assert_int_eq(pclose(f), 0);
	return out;
}

struct got {
	int n;
	json_t *payload[4];
	char type[4][64];
	char trace[4][64];
	int direct[4];
	int64_t time_us[4];
};

static int capture(struct bus_delivery *d, const struct bus_event *ev, void *data)
{
	struct got *g = data;
	(void)d;
	if (g->n < 4) {
		g->payload[g->n] = json_incref(ev->payload);
		snprintf(g->type[g->n], 64, "%s", ev->event_type);
		snprintf(g->trace[g->n], 64, "%s", ev->trace_id);
		g->direct[g->n] = ev->direct;
		g->time_us[g->n] = ev->time_us;
	}
	g->n++;
	return 0;
}

static int got_two(void *arg)
{
	return ((struct got *)arg)->n >= 2;
}

static struct bus *new_bus(uv_loop_t *loop)
{
	struct bus_config cfg;
	bus_config_defaults(&cfg);
	cfg.prefix = "t";
	cfg.service = "risk_officer";
	cfg.instance = "compat";
	cfg.block_ms = 200;
	struct bus *b;
	ck_assert_int_eq(bus_new(&b, loop, &cfg, &target), 0);
	return b;
}

static void close_bus(uv_loop_t *loop, struct bus *b)
{
	bus_free(b);
	uv_run(loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(loop), 0);
}

START_TEST(test_compat_bus_consumes_original_events_including_direct_entries)
{
	char *out = run_peer("publish");
	json_t *pub = json_loads(out, 0, NULL);
	free(out);
	ck_assert_ptr_nonnull(pub);
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct bus *b = new_bus(&loop);
	struct got g = {0};
	ck_assert_int_eq(bus_subscribe(b, "risk_alert", capture, &g), 0);
	ck_assert_int_eq(bus_subscribe(b, "trade.closed", capture, &g), 0);
	ck_assert_int_eq(bus_start(b), 0);
	ck_assert_int_eq(harness_loop_until(&loop, got_two, &g, 10000), 0);
	close_bus(&loop, b);
	int ia = strcmp(g.type[0], "risk_alert") == 0 ? 0 : 1, it = 1 - ia;
	ck_assert_str_eq(g.type[ia], "risk_alert");
	ck_assert_str_eq(g.type[it], "trade.closed");
	/* the handler sees the real values, not an empty state */
	ck_assert_int_eq(g.direct[ia], 0);
	ck_assert_str_eq(json_string_value(json_object_get(g.payload[ia], "level")), "critical");
	ck_assert(json_real_value(json_object_get(g.payload[ia], "risk_score")) == 91.5);
	ck_assert(json_is_true(json_object_get(g.payload[ia], "should_pause_trading")));
	ck_assert(strncmp(g.trace[ia], "risk_", 5) == 0);
	ck_assert_int_eq(g.direct[it], 1);
	ck_assert_str_eq(json_string_value(json_object_get(g.payload[it], "symbol")), "BTCUSDT");
	ck_assert_str_eq(json_string_value(json_object_get(g.payload[it], "pnl_percent")), "2.5");
	ck_assert_str_eq(json_string_value(json_object_get(g.payload[it], "model")), "ensemble");
	/* the original's naive UTC timestamp is parsed, not replaced */
	ck_assert_int_eq(g.time_us[ia], g.time_us[it]);
	ck_assert_int_gt(g.time_us[ia], 1700000000000000LL);
	for (int i = 0; i < 2; i++)
		json_decref(g.payload[i]);
	json_decref(pub);
}
END_TEST

static void stored(int status, const char *id, void *data)
{
	(void)id;
	if (status == 0)
		(*(int *)data)++;
}

static int flag_at_least_one(void *arg)
{
	return *(int *)arg >= 1;
}

START_TEST(test_compat_original_consumer_decodes_our_events)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct bus *b = new_bus(&loop);
	ck_assert_int_eq(bus_start(b), 0);
	json_t *pl = json_pack("{s:s, s:b, s:s, s:[s], s:f}",
			       "operating_mode",
			       "DEFENSIVE",
			       "mode_changed",
			       1,
			       "primary_reason",
			       "risk score 75 at or above the defensive level 70",
			       "contributing_factors",
			       "risk_score",
			       "decision_confidence",
			       0.8);
	struct bus_publish_meta meta = {.trace_id = "ceo_decision_0123456789ab", .correlation_id = "corr-1"};
	int ok = 0;
	ck_assert_int_eq(bus_publish(b, "ceo_decision", pl, &meta, stored, &ok, NULL), 0);
	ck_assert_int_eq(harness_loop_until(&loop, flag_at_least_one, &ok, 5000), 0);
	close_bus(&loop, b);
	char *out = run_peer("consume federation ceo_decision 1");
	json_t *got = json_loads(out, 0, NULL);
	free(out);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(json_string_value(json_object_get(got, "event_type")), "ceo_decision");
	ck_assert(json_equal(json_object_get(got, "payload"), pl));
	ck_assert_str_eq(json_string_value(json_object_get(got, "trace_id")), "ceo_decision_0123456789ab");
	ck_assert_str_eq(json_string_value(json_object_get(got, "correlation_id")), "corr-1");
	ck_assert_str_eq(json_string_value(json_object_get(got, "source")), "risk_officer");
	ck_assert(json_is_true(json_object_get(got, "timestamp_parses")));
	/* the original's six fields, plus our two that it ignores */
	json_t *want = json_pack("[s,s,s,s,s,s,s,s]",
				 "correlation_id",
				 "event_id",
				 "event_type",
				 "payload",
				 "source",
				 "timestamp",
				 "trace_id",
				 "traceparent");
	ck_assert(json_equal(json_object_get(got, "fields"), want));
	json_decref(want);
	json_decref(got);
	json_decref(pl);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("compat");
	TCase *tc = tcase_create("original_eventbus_v2");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_compat_bus_consumes_original_events_including_direct_entries);
	tcase_add_test(tc, test_compat_original_consumer_decodes_our_events);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
