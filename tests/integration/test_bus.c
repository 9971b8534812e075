/*
 * test_bus.c - the EventBus against a real redis-server: at-least-once
 * delivery across a consumer killed with SIGKILL mid-batch, own-pending
 * recovery on restart, poison events and malformed entries reaching the
 * DLQ, duplicates handled once, NOGROUP recovery, and a Redis restart (AOF)
 * under a running publisher losing nothing.
 */
#include <check.h>
#include <stdarg.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus.h"
#include "bus_peer.h"
#include "harness.h"
#include "orch.h"
#include "run_suite.h"

static struct harness_redis srv;
static struct redis_target target;

static void setup(void)
{
	ck_assert_int_eq(harness_redis_start(&srv, 1), 0);
	harness_target(&srv, &target);
}

static void teardown(void)
{
	harness_redis_stop(&srv);
}

static long long redis_int(const char *fmt, ...)
{
	redisContext *c = harness_redis_sync(&srv);
	va_list ap;
	va_start(ap, fmt);
	redisReply *r = redisvCommand(c, fmt, ap);
	va_end(ap);
	long long v = -1;
	if (r && r->type == REDIS_REPLY_INTEGER)
		v = r->integer;
	else if (r && r->type == REDIS_REPLY_STRING)
		v = atoll(r->str);
	else if (r && r->type == REDIS_REPLY_ARRAY)
		v = (long long)r->elements;
	if (r)
		freeReplyObject(r);
	redisFree(c);
	return v;
}

static void cfg_for(struct bus_config *cfg, const char *service, const char *instance)
{
	bus_config_defaults(cfg);
	cfg->prefix = "t";
	cfg->service = service;
	cfg->instance = instance;
	cfg->block_ms = 200;
}

/* Publishes n events of `type` through a bus of its own; returns once Redis
 * stored all of them. */
static void publish_n(const char *type, int n, const char *extra_key)
{
	struct bus_config cfg;
	cfg_for(&cfg, "producer", "p1");
	struct bus_peer p;
	ck_assert_int_eq(bus_peer_init(&p, &cfg, &target, srv.port, NULL, "unused", srv.dir), 0);
	for (int i = 0; i < n; i++) {
		json_t *pl = json_pack("{s:i, s:s}", "seq", i, "symbol", "BTCUSDT");
		if (extra_key)
			json_object_set_new(pl, extra_key, json_true());
		ck_assert_int_eq(bus_publish(p.bus, type, pl, NULL, NULL, NULL, NULL), 0);
		json_decref(pl);
	}
	bus_peer_close(&p);
	char key[128];
	snprintf(key, sizeof(key), "t:stream:%s", type);
	ck_assert_int_eq(redis_int("XLEN %s", key), n);
}

struct effect_goal {
	const char *ns;
	long long want;
};

static int effects_reached(void *arg)
{
	struct effect_goal *g = arg;
	return redis_int("SCARD %s:effect", g->ns) >= g->want &&
	       redis_int("XPENDING t:stream:orders t:group:svc:orders - + 10") == 0;
}

/* Handler calls over all event ids. */
static long long total_calls(const char *ns)
{
	return bus_peer_calls(srv.dir, ns, NULL);
}

START_TEST(test_bus_second_consumer_finishes_after_first_killed_mid_batch)
{
	const int n = 2000;
	publish_n("orders", n, NULL);
	struct bus_config cfg;
	cfg_for(&cfg, "svc", "a");
	cfg.claim_idle_ms = 400;
	cfg.claim_interval_ms = 100;
	cfg.max_inflight = 64;
	pid_t a = bus_peer_spawn(&cfg, &target, srv.port, "orders", "k1", srv.dir, 2);
	ck_assert_int_gt(a, 0);
	for (int i = 0; i < 2000 && redis_int("SCARD k1:effect") < n / 4; i++)
		usleep(5000);
	kill(a, SIGKILL);
	waitpid(a, NULL, 0);
	long long done_by_a = redis_int("SCARD k1:effect");
	ck_assert_int_gt(done_by_a, 0);
	ck_assert_int_lt(done_by_a, n);
	ck_assert_int_gt(redis_int("XPENDING t:stream:orders t:group:svc:orders - + 1000"), 0);

	struct bus_peer b;
	cfg.instance = "b";
	ck_assert_int_eq(bus_peer_init(&b, &cfg, &target, srv.port, "orders", "k1", srv.dir), 0);
	struct effect_goal g = {"k1", n};
	bus_peer_run(&b, 20000, effects_reached, &g);
	bus_peer_close(&b);
	ck_assert_int_eq(redis_int("SCARD k1:effect"), n);
	ck_assert_int_eq(redis_int("XPENDING t:stream:orders t:group:svc:orders - + 10"), 0);
	/* redeliveries are limited to what a was holding when it died */
	long long calls = total_calls("k1");
	ck_assert_int_ge(calls, n);
	ck_assert_int_le(calls - n, cfg.max_inflight + cfg.batch);
	ck_assert_int_eq(redis_int("XLEN t:dlq:orders"), 0);
}
END_TEST

START_TEST(test_bus_restarted_instance_resumes_its_own_pending_entries)
{
	const int n = 500;
	publish_n("orders", n, NULL);
	struct bus_config cfg;
	cfg_for(&cfg, "svc", "same");
	cfg.claim_idle_ms = 600000; /* only the own-pending pass can recover */
	cfg.max_inflight = 50;
	pid_t a = bus_peer_spawn(&cfg, &target, srv.port, "orders", "k2", srv.dir, 5);
	for (int i = 0; i < 2000 && redis_int("SCARD k2:effect") < 20; i++)
		usleep(5000);
	kill(a, SIGKILL);
	waitpid(a, NULL, 0);
	ck_assert_int_gt(redis_int("XPENDING t:stream:orders t:group:svc:orders - + 1000"), 0);
	struct bus_peer p;
	ck_assert_int_eq(bus_peer_init(&p, &cfg, &target, srv.port, "orders", "k2", srv.dir), 0);
	struct effect_goal g = {"k2", n};
	bus_peer_run(&p, 20000, effects_reached, &g);
	bus_peer_close(&p);
	ck_assert_int_eq(redis_int("SCARD k2:effect"), n);
	ck_assert_int_eq(redis_int("XPENDING t:stream:orders t:group:svc:orders - + 10"), 0);
}
END_TEST

static int dlq_has(void *arg)
{
	return redis_int("XLEN t:dlq:orders") >= *(long long *)arg;
}

START_TEST(test_bus_poison_event_reaches_dlq_after_max_deliveries)
{
	publish_n("orders", 1, "poison");
	struct bus_config cfg;
	cfg_for(&cfg, "svc", "a");
	cfg.max_deliveries = 3;
	cfg.claim_idle_ms = 100;
	cfg.claim_interval_ms = 50;
	struct bus_peer p;
	ck_assert_int_eq(bus_peer_init(&p, &cfg, &target, srv.port, "orders", "k3", srv.dir), 0);
	p.fail_poison = 1;
	long long one = 1;
	bus_peer_run(&p, 10000, dlq_has, &one);
	long poison_calls = p.poison_calls;
	bus_peer_close(&p);
	ck_assert_int_eq(poison_calls, 3);
	ck_assert_int_eq(redis_int("XLEN t:dlq:orders"), 1);
	ck_assert_int_eq(redis_int("XPENDING t:stream:orders t:group:svc:orders - + 10"), 0);
	redisContext *c = harness_redis_sync(&srv);
	redisReply *r = redisCommand(c, "XRANGE t:dlq:orders - +");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->elements, 1);
	redisReply *f = r->element[0]->element[1];
	int seen_reason = 0, seen_stream = 0, seen_deliveries = 0, seen_payload = 0;
	for (size_t i = 0; i + 1 < f->elements; i += 2) {
		const char *k = f->element[i]->str, *v = f->element[i + 1]->str;
		if (!strcmp(k, "dlq_reason"))
			seen_reason = strstr(v, "poison event") != NULL;
		if (!strcmp(k, "dlq_source_stream"))
			seen_stream = !strcmp(v, "t:stream:orders");
		if (!strcmp(k, "dlq_deliveries"))
			seen_deliveries = !strcmp(v, "3");
		if (!strcmp(k, "payload"))
			seen_payload = strstr(v, "\"poison\": true") || strstr(v, "\"poison\":true");
	}
	ck_assert(seen_reason && seen_stream && seen_deliveries && seen_payload);
	freeReplyObject(r);
	redisFree(c);
}
END_TEST

START_TEST(test_bus_malformed_entry_is_dead_lettered_at_once)
{
	ck_assert_int_gt(redis_int("XADD t:stream:orders * event_type orders payload {not-json source x"), 0);
	struct bus_config cfg;
	cfg_for(&cfg, "svc", "a");
	struct bus_peer p;
	ck_assert_int_eq(bus_peer_init(&p, &cfg, &target, srv.port, "orders", "k4", srv.dir), 0);
	long long one = 1;
	bus_peer_run(&p, 10000, dlq_has, &one);
	long handled = p.handled;
	bus_peer_close(&p);
	ck_assert_int_eq(handled, 0);
	ck_assert_int_eq(redis_int("XLEN t:dlq:orders"), 1);
	ck_assert_int_eq(redis_int("XPENDING t:stream:orders t:group:svc:orders - + 10"), 0);
}
END_TEST

START_TEST(test_bus_entry_delivered_too_often_is_dead_lettered_unhandled)
{
	/* as after consumers crashed on it again and again: pending with a
	 * delivery count past the limit */
	publish_n("orders", 1, NULL);
	redisContext *c = harness_redis_sync(&srv);
	redisReply *r = redisCommand(c, "XGROUP CREATE t:stream:orders t:group:svc:orders 0");
	ck_assert_str_eq(r->str, "OK");
	freeReplyObject(r);
	r = redisCommand(c, "XREADGROUP GROUP t:group:svc:orders ghost COUNT 1 STREAMS t:stream:orders >");
	char id[64];
	snprintf(id, sizeof(id), "%s", r->element[0]->element[1]->element[0]->element[0]->str);
	freeReplyObject(r);
	r = redisCommand(c, "XCLAIM t:stream:orders t:group:svc:orders ghost 0 %s RETRYCOUNT 7 JUSTID", id);
	freeReplyObject(r);
	redisFree(c);
	struct bus_config cfg;
	cfg_for(&cfg, "svc", "a");
	cfg.claim_idle_ms = 50;
	cfg.claim_interval_ms = 50;
	struct bus_peer p;
	ck_assert_int_eq(bus_peer_init(&p, &cfg, &target, srv.port, "orders", "k8", srv.dir), 0);
	long long one = 1;
	bus_peer_run(&p, 10000, dlq_has, &one);
	long handled = p.handled;
	bus_peer_close(&p);
	ck_assert_int_eq(handled, 0);
	ck_assert_int_eq(redis_int("XLEN t:dlq:orders"), 1);
	ck_assert_int_eq(redis_int("XPENDING t:stream:orders t:group:svc:orders - + 10"), 0);
	c = harness_redis_sync(&srv);
	r = redisCommand(c, "XRANGE t:dlq:orders - +");
	redisReply *f = r->element[0]->element[1];
	ck_assert_str_eq(f->element[0]->str, "dlq_reason");
	ck_assert_str_eq(f->element[1]->str, "delivered 8 times without being acknowledged");
	ck_assert_str_eq(f->element[5]->str, id);
	freeReplyObject(r);
	redisFree(c);
}
END_TEST

static int calls_at_least(void *arg)
{
	return total_calls("k5") >= *(long long *)arg &&
	       redis_int("XPENDING t:stream:orders t:group:svc:orders - + 10") == 0;
}

START_TEST(test_bus_duplicate_event_id_is_handled_once)
{
	struct bus_config cfg;
	cfg_for(&cfg, "producer", "p1");
	struct bus_peer pub;
	ck_assert_int_eq(bus_peer_init(&pub, &cfg, &target, srv.port, NULL, "unused", srv.dir), 0);
	json_t *pl = json_pack("{s:i}", "seq", 1);
	struct bus_publish_meta meta = {.event_id = "0190a0b0-0000-7000-8000-000000000001"};
	ck_assert_int_eq(bus_publish(pub.bus, "orders", pl, &meta, NULL, NULL, NULL), 0);
	ck_assert_int_eq(bus_publish(pub.bus, "orders", pl, &meta, NULL, NULL, NULL), 0);
	meta.event_id = "0190a0b0-0000-7000-8000-000000000002";
	ck_assert_int_eq(bus_publish(pub.bus, "orders", pl, &meta, NULL, NULL, NULL), 0);
	json_decref(pl);
	bus_peer_close(&pub);
	ck_assert_int_eq(redis_int("XLEN t:stream:orders"), 3);

	cfg_for(&cfg, "svc", "a");
	struct bus_peer p;
	ck_assert_int_eq(bus_peer_init(&p, &cfg, &target, srv.port, "orders", "k5", srv.dir), 0);
	long long two = 2;
	bus_peer_run(&p, 10000, calls_at_least, &two);
	bus_peer_run(&p, 300, NULL, NULL);
	bus_peer_close(&p);
	ck_assert_int_eq(total_calls("k5"), 2);
	ck_assert_int_eq(bus_peer_calls(srv.dir, "k5", "0190a0b0-0000-7000-8000-000000000001"), 1);
	ck_assert_int_eq(redis_int("XPENDING t:stream:orders t:group:svc:orders - + 10"), 0);
}
END_TEST

static int effect_count(void *arg)
{
	struct effect_goal *g = arg;
	return redis_int("SCARD %s:effect", g->ns) >= g->want;
}

START_TEST(test_bus_recreates_group_after_stream_deleted)
{
	struct bus_config cfg;
	cfg_for(&cfg, "svc", "a");
	struct bus_peer p;
	ck_assert_int_eq(bus_peer_init(&p, &cfg, &target, srv.port, "orders", "k6", srv.dir), 0);
	bus_peer_run(&p, 500, NULL, NULL);
	ck_assert_int_eq(redis_int("DEL t:stream:orders"), 1);
	redis_int("XADD t:stream:orders * event_type orders payload {\"a\":1} event_id e-after-del");
	struct effect_goal g = {"k6", 1};
	bus_peer_run(&p, 10000, effect_count, &g);
	bus_peer_close(&p);
	ck_assert_int_eq(redis_int("SISMEMBER k6:effect e-after-del"), 1);
}
END_TEST

struct restart_ctx {
	struct bus_peer *pub;
	int sent, total, confirmed;
	int restarted;
};

static void confirmed_cb(int status, const char *id, void *data)
{
	struct restart_ctx *rc = data;
	(void)id;
	if (status == 0)
		rc->confirmed++;
}

static void publish_tick(uv_timer_t *t)
{
	struct restart_ctx *rc = t->data;
	for (int i = 0; i < 20 && rc->sent < rc->total; i++, rc->sent++) {
		json_t *pl = json_pack("{s:i}", "seq", rc->sent);
		ck_assert_int_eq(bus_publish(rc->pub->bus, "orders", pl, NULL, confirmed_cb, rc, NULL), 0);
		json_decref(pl);
	}
	if (!rc->restarted && rc->sent >= rc->total / 2) {
		rc->restarted = 1;
		harness_redis_kill(&srv, SIGKILL);
		ck_assert_int_eq(harness_redis_restart(&srv), 0);
	}
}

static int all_confirmed(void *arg)
{
	struct restart_ctx *rc = arg;
	return rc->confirmed >= rc->total;
}

START_TEST(test_bus_redis_restart_under_publisher_loses_nothing)
{
	const int n = 3000;
	struct bus_config cfg;
	cfg_for(&cfg, "svc", "a");
	cfg.claim_idle_ms = 500; /* handlers that failed during the outage retry soon */
	cfg.claim_interval_ms = 100;
	pid_t consumer = bus_peer_spawn(&cfg, &target, srv.port, "orders", "k7", srv.dir, 0);
	usleep(300000);
	cfg_for(&cfg, "producer", "p1");
	struct bus_peer pub;
	ck_assert_int_eq(bus_peer_init(&pub, &cfg, &target, srv.port, NULL, "unused", srv.dir), 0);
	struct restart_ctx rc = {.pub = &pub, .total = n};
	uv_timer_t t;
	uv_timer_init(&pub.loop, &t);
	t.data = &rc;
	uv_timer_start(&t, publish_tick, 1, 1);
	bus_peer_run(&pub, 30000, all_confirmed, &rc);
	uv_close((uv_handle_t *)&t, NULL);
	bus_peer_close(&pub);
	ck_assert_int_eq(rc.restarted, 1);
	ck_assert_int_eq(rc.confirmed, n);
	/* the consumer process reconnects by itself and drains the stream */
	for (int i = 0; i < 3000 && redis_int("SCARD k7:effect") < n; i++)
		usleep(5000);
	kill(consumer, SIGKILL);
	waitpid(consumer, NULL, 0);
	ck_assert_int_eq(redis_int("SCARD k7:effect"), n);
	/* none twice in effect: every event id was handled exactly once */
	ck_assert_int_eq(total_calls("k7"), n);
}
END_TEST

static int stored_all(void *arg)
{
	return redis_int("XLEN t:stream:orders") >= *(long long *)arg;
}

START_TEST(test_bus_outbox_spills_to_file_and_sends_in_order_after_restart)
{
	const int n = 300;
	harness_redis_kill(&srv, SIGKILL);
	struct bus_config cfg;
	cfg_for(&cfg, "producer", "p1");
	cfg.outbox_dir = srv.dir;
	cfg.outbox_max = 100; /* the rest goes to the file */
	struct bus_peer p;
	ck_assert_int_eq(bus_peer_init(&p, &cfg, &target, srv.port, NULL, "unused", srv.dir), 0);
	for (int i = 0; i < n; i++) {
		json_t *pl = json_pack("{s:i}", "seq", i);
		ck_assert_int_eq(bus_publish(p.bus, "orders", pl, NULL, NULL, NULL, NULL), 0);
		json_decref(pl);
	}
	ck_assert_int_eq(bus_pending_publishes(p.bus), n);
	char state[128];
	ck_assert_int_eq(bus_check_ready(p.bus, state, sizeof(state)), 0);
	ck_assert_str_eq(state, "Redis unreachable, 300 events in the outbox");
	/* Redis never came back: closing saves the memory part ahead of the file */
	bus_free(p.bus);
	p.bus = NULL;
	bus_peer_close(&p);
	char path[512];
	snprintf(path, sizeof(path), "%s/producer_p1.outbox", srv.dir);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	int lines = 0, c;
	while ((c = fgetc(f)) != EOF)
		lines += c == '\n';
	fclose(f);
	ck_assert_int_eq(lines, n);

	/* a restarted producer sends them all, oldest first, and removes the file */
	ck_assert_int_eq(harness_redis_restart(&srv), 0);
	ck_assert_int_eq(bus_peer_init(&p, &cfg, &target, srv.port, NULL, "unused", srv.dir), 0);
	long long want = n;
	bus_peer_run(&p, 10000, stored_all, &want);
	bus_peer_close(&p);
	ck_assert_int_eq(redis_int("XLEN t:stream:orders"), n);
	ck_assert_int_ne(access(path, F_OK), 0);
	redisContext *rc = harness_redis_sync(&srv);
	redisReply *r = redisCommand(rc, "XRANGE t:stream:orders - +");
	ck_assert_int_eq(r->elements, n);
	for (int i = 0; i < n; i++) {
		redisReply *fld = r->element[i]->element[1];
		json_t *pl = json_loads(fld->element[3]->str, 0, NULL);
		ck_assert_int_eq(json_integer_value(json_object_get(pl, "seq")), i);
		json_decref(pl);
	}
	freeReplyObject(r);
	redisFree(rc);
}
END_TEST

struct wait_ctx {
	int ok, not_durable, other;
};

static void wait_cb(int status, const char *id, void *data)
{
	struct wait_ctx *w = data;
	if (status == 0 && id && id[0])
		w->ok++;
	else if (status == ORCH_ENOTDURABLE && id && id[0])
		w->not_durable++;
	else
		w->other++;
}

static int wait_settled(void *arg)
{
	struct wait_ctx *w = arg;
	return w->ok + w->not_durable + w->other >= 10;
}

/* wait_replicas: a publish counts once a replica has it; with the replica
 * gone it is reported not durable (stored on the master, id given). */
START_TEST(test_bus_wait_replicas)
{
	struct harness_redis replica;
	ck_assert_int_eq(harness_replica_start(&replica, srv.port, 0), 0);
	for (int i = 0; i < 200 && redis_int("WAIT 1 50") < 1; i++)
		usleep(25000);
	struct bus_config cfg;
	cfg_for(&cfg, "producer", "w1");
	cfg.wait_replicas = 1;
	struct bus_peer p;
	ck_assert_int_eq(bus_peer_init(&p, &cfg, &target, srv.port, NULL, "unused", srv.dir), 0);
	struct wait_ctx w = {0};
	for (int i = 0; i < 10; i++) {
		json_t *pl = json_pack("{s:i}", "seq", i);
		ck_assert_int_eq(bus_publish(p.bus, "orders", pl, NULL, wait_cb, &w, NULL), 0);
		json_decref(pl);
	}
	bus_peer_run(&p, 10000, wait_settled, &w);
	ck_assert_int_eq(w.ok, 10);
	harness_redis_stop(&replica);
	struct wait_ctx lost = {0};
	for (int i = 0; i < 10; i++) {
		json_t *pl = json_pack("{s:i}", "seq", 10 + i);
		ck_assert_int_eq(bus_publish(p.bus, "orders", pl, NULL, wait_cb, &lost, NULL), 0);
		json_decref(pl);
	}
	bus_peer_run(&p, 30000, wait_settled, &lost);
	ck_assert_int_eq(lost.not_durable, 10);
	ck_assert_int_eq(lost.other, 0);
	bus_peer_close(&p);
	ck_assert_int_eq(redis_int("XLEN t:stream:orders"), 20);
}
END_TEST

static Suite *bus_suite(void)
{
	Suite *s = suite_create("bus");
	TCase *tc = tcase_create("delivery");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_bus_second_consumer_finishes_after_first_killed_mid_batch);
	tcase_add_test(tc, test_bus_restarted_instance_resumes_its_own_pending_entries);
	tcase_add_test(tc, test_bus_poison_event_reaches_dlq_after_max_deliveries);
	tcase_add_test(tc, test_bus_malformed_entry_is_dead_lettered_at_once);
	tcase_add_test(tc, test_bus_entry_delivered_too_often_is_dead_lettered_unhandled);
	tcase_add_test(tc, test_bus_duplicate_event_id_is_handled_once);
	tcase_add_test(tc, test_bus_recreates_group_after_stream_deleted);
	tcase_add_test(tc, test_bus_redis_restart_under_publisher_loses_nothing);
	tcase_add_test(tc, test_bus_outbox_spills_to_file_and_sends_in_order_after_restart);
	tcase_add_test(tc, test_bus_wait_replicas);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(bus_suite());
}
