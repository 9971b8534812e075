/*
 * bench_ceo.c - the CEO's reaction time: a CRITICAL risk_alert published
 * -> the ceo_mode_switch to BLACK_SWAN observed (which includes the
 * fenced PolicyStore write that precedes it), N times, beside a bare
 * EventBus round trip measured in the same run on the same private
 * redis-server (an event published -> a consumer's reply observed):
 *
 *   ceo_reaction_p50, ceo_reaction_p99   ms   vs   bus round trip p50 / p99
 *
 * Between two alerts a calm risk state brings the CEO back to GROWTH
 * (the original rules, cooldowns 0, one confirmation, automatic
 * BLACK_SWAN exit), so every alert causes a switch; the path measured is
 * the same under either rule set. Usage: bench_ceo [N] (default 10000).
 */
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus.h"
#include "clock.h"
#include "harness.h"
#include "json_util.h"
#include "log.h"

static struct harness_redis srv;

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void xadd(redisContext *c, const char *type, const char *payload)
{
	char ts[40];
	json_util_format_ts_us(clock_now_ms() * 1000, ts, sizeof(ts));
	redisReply *r =
		redisCommand(c,
			     "XADD b:stream:%s * event_type %s payload %s trace_id %s timestamp %s source bench",
			     type,
			     type,
			     payload,
			     "",
			     ts);
	if (!r || r->type != REDIS_REPLY_STRING) {
		fprintf(stderr, "bench_ceo: XADD %s failed\n", type);
		exit(1);
	}
	freeReplyObject(r);
}

/* Blocks until a new entry of stream type after *last whose payload
 * contains `needle`; advances *last. Returns 0, or -1 after 10 s. */
static int await(redisContext *c, const char *type, char *last, size_t len, const char *needle)
{
	for (int tries = 0; tries < 100; tries++) {
		redisReply *r = redisCommand(c, "XREAD COUNT 10 BLOCK 100 STREAMS b:stream:%s %s", type, last);
		int found = 0;
		if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
			redisReply *entries = r->element[0]->element[1];
			for (size_t i = 0; i < entries->elements; i++) {
				redisReply *e = entries->element[i];
				snprintf(last, len, "%s", e->element[0]->str);
				redisReply *f = e->element[1];
				for (size_t k = 0; k + 1 < f->elements; k += 2)
					if (!strcmp(f->element[k]->str, "payload") &&
					    strstr(f->element[k + 1]->str, needle))
						found = 1;
			}
		}
		freeReplyObject(r);
		if (found)
			return 0;
	}
	return -1;
}

/* ---- the ceiling: an EventBus consumer that answers every ping ---- */

static struct bus *echo_bus;

static int echo(struct bus_delivery *d, const struct bus_event *ev, void *data)
{
	(void)d;
	(void)data;
	return bus_publish(echo_bus, "bench_pong", ev->payload, NULL, NULL, NULL, NULL);
}

static void stop_on_term(uv_signal_t *s, int sig)
{
	(void)sig;
	uv_stop(s->loop);
}

static pid_t spawn_echo(void)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct redis_target t;
	harness_target(&srv, &t);
	struct bus_config cfg;
	bus_config_defaults(&cfg);
	cfg.prefix = "b";
	cfg.service = "echo";
	cfg.instance = "1";
	uv_signal_t sig;
	uv_signal_init(&loop, &sig);
	uv_signal_start(&sig, stop_on_term, SIGTERM);
	if (bus_new(&echo_bus, &loop, &cfg, &t) != 0 || bus_subscribe(echo_bus, "bench_ping", echo, NULL) != 0 ||
	    bus_start(echo_bus) != 0)
		_exit(1);
	uv_run(&loop, UV_RUN_DEFAULT);
	_exit(0);
}

static void percentiles(int64_t *v, long n, double *p50, double *p99)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_i64);
	*p50 = n ? (double)v[n / 2] / 1e6 : 0;
	*p99 = n ? (double)v[(long)((double)n * 0.99)] / 1e6 : 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000;
	log_init("bench_ceo", "1", LOG_LEVEL_ERROR);
	if (harness_redis_start(&srv, 0) != 0) {
		fprintf(stderr, "bench_ceo: cannot start redis-server\n");
		return 1;
	}
	int64_t *lat = malloc(sizeof(int64_t) * (size_t)n), *bare = malloc(sizeof(int64_t) * (size_t)n);
	redisContext *pub = harness_redis_sync(&srv), *sub = harness_redis_sync(&srv);
	char last[64] = "0";

	pid_t echo_pid = spawn_echo();
	usleep(300000);
	for (long i = 0; i < n; i++) {
		char payload[64];
		snprintf(payload, sizeof(payload), "{\"seq\": %ld}", i);
		char needle[32];
		snprintf(needle, sizeof(needle), "\"seq\":%ld}", i);
		int64_t t0 = clock_mono_ns();
		xadd(pub, "bench_ping", payload);
		if (await(sub, "bench_pong", last, sizeof(last), needle) != 0) {
			fprintf(stderr, "bench_ceo: no pong %ld\n", i);
			return 1;
		}
		bare[i] = clock_mono_ns() - t0;
	}
	kill(echo_pid, SIGTERM);
	waitpid(echo_pid, NULL, 0);

	const char *env[] = {"ORCH_PREFIX=b",
			     "ORCH_INSTANCE_ID=bench",
			     "ORCH_ADMIN_PORT=0",
			     "ORCH_LOG_LEVEL=error",
			     "ORCH_CEO_DEBOUNCE_MS=0",
			     "ORCH_CEO_CONFIRMATIONS=1",
			     "ORCH_CEO_COOLDOWN_S=0",
			     "ORCH_CEO_COOLDOWN_AGGRESSIVE_S=0",
			     "ORCH_CEO_BLACK_SWAN_EXIT=auto",
			     "ORCH_CEO_RULES=original",
			     NULL};
	pid_t ceo = harness_spawn_program("ceo", &srv, env);
	snprintf(last, sizeof(last), "0");
	xadd(pub, "strategy_state_update", "{\"win_rate\": 0.6}");
	for (long i = 0; i < n; i++) {
		xadd(pub, "strategy_state_update", "{\"win_rate\": 0.6}");
		xadd(pub, "risk_state_update", "{\"risk_score\": 10}");
		if (await(sub, "ceo_mode_switch", last, sizeof(last), "\"new_mode\":\"GROWTH\"") != 0) {
			fprintf(stderr, "bench_ceo: no switch back to GROWTH at %ld\n", i);
			return 1;
		}
		int64_t t0 = clock_mono_ns();
		xadd(pub, "risk_alert", "{\"level\": \"CRITICAL\", \"risk_score\": 95}");
		if (await(sub, "ceo_mode_switch", last, sizeof(last), "\"new_mode\":\"BLACK_SWAN\"") != 0) {
			fprintf(stderr, "bench_ceo: no switch to BLACK_SWAN at %ld\n", i);
			return 1;
		}
		lat[i] = clock_mono_ns() - t0;
	}
	kill(ceo, SIGTERM);
	waitpid(ceo, NULL, 0);
	double c50, c99, b50, b99;
	percentiles(lat, n, &c50, &c99);
	percentiles(bare, n, &b50, &b99);
	harness_bench_line(
		"ceo_reaction_p50", c50, "ms", "bare EventBus round trip p50, same server", b50, "informational");
	harness_bench_line("ceo_reaction_p99", c99, "ms", "bare EventBus round trip p99, same server", b99, "value<5");
	redisFree(pub);
	redisFree(sub);
	free(lat);
	free(bare);
	harness_redis_stop(&srv);
	return 0;
}
