/*
 * test_service.c - the service runtime wired the way each service's main.c
 * wires it: configuration from the environment, EventBus, PolicyStore and
 * lease with their readiness checks on the admin port, and SIGTERM ending
 * in a graceful shutdown that finishes in-flight work and ACKs it. A bad
 * configuration stops the start with a message naming the key.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus.h"
#include "harness.h"
#include "lease.h"
#include "orch.h"
#include "policy.h"
#include "service.h"
#include "run_suite.h"

static struct harness_redis srv;

static void setup(void)
{
	ck_assert_int_eq(harness_redis_start(&srv, 0), 0);
	char url[64];
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", srv.port);
	setenv("ORCH_REDIS_URL", url, 1);
	setenv("ORCH_INSTANCE_ID", "ceo-test", 1);
	setenv("ORCH_PREFIX", "t", 1);
	setenv("ORCH_LOG_LEVEL", "warn", 1);
}

static void teardown(void)
{
	harness_redis_stop(&srv);
}

struct app {
	struct service svc;
	struct bus *bus;
	struct policy *policy;
	struct lease *lease;
	int admin_port;
	uv_timer_t probe;
	char readyz[4096];
	int readyz_status;
	int handled, stopped;
};

static int on_alert(struct bus_delivery *d, const struct bus_event *ev, void *data)
{
	struct app *a = data;
	(void)d;
	(void)ev;
	a->handled++;
	return 0;
}

static void app_teardown(void *data)
{
	struct app *a = data;
	a->stopped = 1;
	bus_free(a->bus);
	policy_free(a->policy);
	lease_free(a->lease);
	uv_close((uv_handle_t *)&a->probe, NULL);
}

/* Once everything is up and the event handled, read /readyz, then stop. */
static void probe(uv_timer_t *t)
{
	struct app *a = t->data;
	char state[128];
	if (!a->handled || !policy_check_ready(a->policy, state, sizeof(state)) || !lease_is_leader(a->lease, NULL) ||
	    !bus_check_ready(a->bus, state, sizeof(state)))
		return;
	uv_timer_stop(t);
	/* the admin port publishes readiness once a second */
	for (int i = 0; i < 30 && a->readyz_status != 200; i++) {
		usleep(100000);
		char *r = harness_http(a->admin_port, "GET", "/readyz");
		a->readyz_status = harness_http_status(r);
		snprintf(a->readyz, sizeof(a->readyz), "%s", harness_http_body(r));
		free(r);
		uv_run(t->loop, UV_RUN_NOWAIT);
	}
	raise(SIGTERM);
}

START_TEST(test_service_readyz_reports_checks_and_sigterm_stops_gracefully)
{
	redisContext *c = harness_redis_sync(&srv);
	redisReply *r =
		redisCommand(c, "XADD t:stream:risk_alert * event_type risk_alert payload {\"level\":\"critical\"}");
	freeReplyObject(r);
	struct app a = {0};
	a.admin_port = harness_free_port();
	ck_assert_int_eq(service_init(&a.svc, "ceo", a.admin_port), 0);
	struct bus_config bc;
	bus_config_defaults(&bc);
	bc.prefix = a.svc.cfg.prefix;
	bc.service = "ceo";
	bc.instance = a.svc.cfg.instance_id;
	bc.block_ms = 200;
	ck_assert_int_eq(bus_new(&a.bus, a.svc.loop, &bc, &a.svc.cfg.redis), 0);
	ck_assert_int_eq(bus_subscribe(a.bus, "risk_alert", on_alert, &a), 0);
	struct policy_config pc = {.prefix = a.svc.cfg.prefix, .writer = "ai_ceo", .create = 1};
	ck_assert_int_eq(policy_new(&a.policy, a.svc.loop, &pc, &a.svc.cfg.redis), 0);
	struct lease_config lc = {
		.prefix = a.svc.cfg.prefix, .role = "ceo", .holder = a.svc.cfg.instance_id, .ttl_ms = 3000};
	ck_assert_int_eq(lease_new(&a.lease, a.svc.loop, &lc, &a.svc.cfg.redis, NULL, NULL), 0);
	service_add_check(&a.svc, "bus", bus_check_ready, a.bus);
	service_add_check(&a.svc, "policy", policy_check_ready, a.policy);
	service_add_check(&a.svc, "lease", lease_check_ready, a.lease);
	service_attach(&a.svc, &(struct service_part){.teardown = app_teardown, .bus = &a.bus, .data = &a});
	ck_assert_int_eq(bus_start(a.bus), 0);
	ck_assert_int_eq(policy_start(a.policy), 0);
	ck_assert_int_eq(lease_start(a.lease), 0);
	uv_timer_init(a.svc.loop, &a.probe);
	a.probe.data = &a;
	uv_timer_start(&a.probe, probe, 50, 50);
	ck_assert_int_eq(service_run(&a.svc), 0);
	service_release(&a.svc);

	ck_assert_int_eq(a.stopped, 1);
	ck_assert_int_eq(a.handled, 1);
	ck_assert_int_eq(a.readyz_status, 200);
	json_t *body = json_loads(a.readyz, 0, NULL);
	ck_assert_ptr_nonnull(body);
	ck_assert_str_eq(json_string_value(json_object_get(body, "status")), "ready");
	ck_assert_str_eq(json_string_value(json_object_get(body, "instance")), "ceo-test");
	json_t *checks = json_object_get(body, "checks");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(checks, "policy"), "state")), "version 1");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(checks, "lease"), "state")),
			 "leader, token 1");
	ck_assert(json_is_true(json_object_get(json_object_get(checks, "bus"), "ok")));
	json_decref(body);
	/* the handled event was ACKed before the process let go */
	r = redisCommand(c, "XPENDING t:stream:risk_alert t:group:ceo:risk_alert");
	ck_assert_int_eq(r->element[0]->integer, 0);
	freeReplyObject(r);
	/* and the lease was released, not left to expire */
	r = redisCommand(c, "EXISTS t:lease:ceo");
	ck_assert_int_eq(r->integer, 0);
	freeReplyObject(r);
	redisFree(c);
}
END_TEST

START_TEST(test_service_bad_config_fails_naming_the_key)
{
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		setenv("ORCH_REDIS_URL", "redis://127.0.0.1:6379/99", 1);
		struct service s;
		_exit(service_init(&s, "risk_officer", 0) == ORCH_EINVAL ? 3 : 0);
	}
	close(fds[1]);
	char err[1024] = "";
	ssize_t n = read(fds[0], err, sizeof(err) - 1);
	close(fds[0]);
	int status;
	waitpid(pid, &status, 0);
	ck_assert_int_eq(WEXITSTATUS(status), 3);
	ck_assert_int_gt(n, 0);
	ck_assert(strstr(err, "risk_officer: configuration error: ORCH_REDIS_URL: database must be 0-15") != NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("service");
	TCase *tc = tcase_create("runtime");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_service_readyz_reports_checks_and_sigterm_stops_gracefully);
	tcase_add_test(tc, test_service_bad_config_fails_naming_the_key);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
