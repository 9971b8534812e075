/*
 * bench_risk.c - the Risk Officer's cost per input, each figure beside a
 * ceiling measured in the same run:
 *
 *   risk_update_1e3 .. risk_update_1e6
 *       one update of a full window of n returns (push with eviction, then
 *       every metric at 0.95 and 0.99), ns   vs   a from-scratch
 *       recomputation of the same window (risk_metrics_compute, sampled)
 *   risk_service_throughput
 *       the risk_officer binary consuming a backlog of trade.closed
 *       entries in the original direct format, events/s   vs   the
 *       EventBus's bare consume rate (same entries, a handler that does
 *       nothing), both on the same private redis-server
 *
 * Returns follow a fat-tailed random walk, so the order statistics see
 * inserts and evictions all over the distribution. Completion of a
 * consumer is judged the same way for both: its group has read every
 * entry and has none pending. Usage: bench_risk [UPDATES] [EVENTS]
 * (defaults 1000000 and 100000).
 */
#include <hiredis/hiredis.h>
#include <math.h>
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
#include "stack.h"
#include "log.h"
#include "risk_models.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;

static double next_return(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	double u = ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
	/* logistic tails, ~1% scale */
	return 0.0002 + 0.01 * log(u / (1 - u)) / 1.8;
}

static const double CONF[2] = {0.95, 0.99};

/* ns per update of a full window of n, and ns per full recomputation. */
static void bench_window(size_t n, long updates, double *inc_ns, double *full_ns)
{
	struct risk_window *w = NULL;
	struct risk_window_config cfg = {.max_count = n, .periods_per_year = 252, .ewma_lambda = 0.94};
	if (risk_window_new(&w, &cfg) != 0)
		exit(1);
	int64_t t = 0;
	for (size_t i = 0; i < n; i++)
		risk_window_push(w, next_return(), t++);
	struct risk_metrics m;
	double sink = 0;
	int64_t t0 = clock_mono_ns();
	for (long i = 0; i < updates; i++) {
		risk_window_push(w, next_return(), t++);
		risk_window_metrics(w, CONF, 2, &m);
		sink += m.historical[1].es;
	}
	*inc_ns = (double)(clock_mono_ns() - t0) / (double)updates;

	double *buf = malloc(sizeof(double) * n);
	if (!buf)
		exit(1);
	long samples = n >= 1000000 ? 5 : n >= 100000 ? 20 : 200;
	int64_t spent = 0;
	for (long i = 0; i < samples; i++) {
		risk_window_push(w, next_return(), t++);
		risk_window_returns(w, buf);
		int64_t s0 = clock_mono_ns();
		risk_metrics_compute(buf, n, CONF, 2, 252, 0.94, &m);
		spent += clock_mono_ns() - s0;
		sink += m.historical[1].es;
	}
	*full_ns = (double)spent / (double)samples;
	free(buf);
	risk_window_free(w);
	if (sink == 42.4242)
		printf("\n");
}

/* ---- end to end ---- */

static struct harness_redis srv;

/* Writes `n` direct trade.closed entries, as the original auto_executor
 * publishes them, pipelined. */
static void preload(long n)
{
	redisContext *c = harness_redis_sync(&srv);
	static const char *models[] = {"ensemble", "lstm", "xgb", "momentum", "mean_rev", "breakout", "arb", "grid"};
	for (long i = 0; i < n; i++) {
		char pnl[32], ts[40];
		snprintf(pnl, sizeof(pnl), "%.4f", 100 * next_return());
		snprintf(ts,
			 sizeof(ts),
			 "2026-01-05T%02ld:%02ld:%02ld.%06ld",
			 (i / 3600000) % 24,
			 (i / 60000) % 60,
			 (i / 1000) % 60,
			 (i % 1000) * 1000);
		redisAppendCommand(c,
				   "XADD b:stream:trade.closed * event_type trade.closed symbol BTCUSDT "
				   "side long pnl_percent %s model %s timestamp %s source auto_executor",
				   pnl,
				   models[i % 8],
				   ts);
		if (i % 1000 == 999 || i == n - 1) {
			for (long k = i - i % 1000; k <= i; k++) {
				redisReply *r = NULL;
				if (redisGetReply(c, (void **)&r) != REDIS_OK)
					exit(1);
				freeReplyObject(r);
			}
		}
	}
	redisFree(c);
}

/* 1 when the group has read all n entries and has none pending. */

/* Seconds until `group` consumed the backlog of n; 0 on timeout. */
static double wait_consumed(pid_t pid, const char *group, long n, int64_t t0)
{
	redisContext *c = harness_redis_sync(&srv);
	double secs = 0;
	for (int i = 0; i < 60000; i++) {
		if (stack_group_done(c, "b:stream:trade.closed", group, n)) {
			secs = (double)(clock_mono_ns() - t0) / 1e9;
			break;
		}
		usleep(2000);
	}
	redisFree(c);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	if (secs == 0)
		fprintf(stderr, "bench_risk: %s did not consume %ld entries in time\n", group, n);
	return secs;
}

static int noop_handler(struct bus_delivery *d, const struct bus_event *ev, void *data)
{
	(void)d;
	(void)ev;
	(void)data;
	return 0;
}

static void stop_on_term(uv_signal_t *s, int sig)
{
	(void)sig;
	uv_stop(s->loop);
}

/* The ceiling: an EventBus consumer whose handler does nothing. */
static double bare_bus_consume(long n)
{
	int64_t t0 = clock_mono_ns();
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		uv_loop_t loop;
		uv_loop_init(&loop);
		struct redis_target target;
		harness_target(&srv, &target);
		struct bus_config cfg;
		bus_config_defaults(&cfg);
		cfg.prefix = "b";
		cfg.service = "bare";
		cfg.instance = "1";
		struct bus *bus;
		uv_signal_t sig;
		uv_signal_init(&loop, &sig);
		uv_signal_start(&sig, stop_on_term, SIGTERM);
		if (bus_new(&bus, &loop, &cfg, &target) != 0 ||
		    bus_subscribe(bus, "trade.closed", noop_handler, NULL) != 0 || bus_start(bus) != 0)
			_exit(1);
		uv_run(&loop, UV_RUN_DEFAULT);
		_exit(0);
	}
	return wait_consumed(pid, "b:group:bare:trade.closed", n, t0);
}

static double risk_officer_consume(long n)
{
	/* consume the backlog through the group rather than rebuild it */
	const char *env[] = {"ORCH_PREFIX=b",
			     "ORCH_INSTANCE_ID=bench",
			     "ORCH_ADMIN_PORT=0",
			     "ORCH_LOG_LEVEL=error",
			     "ORCH_CLOCK=event",
			     "ORCH_RISK_INPUTS=trade.closed",
			     "ORCH_RISK_REBUILD_MAX=0",
			     NULL};
	int64_t t0 = clock_mono_ns();
	pid_t pid = harness_spawn_program("risk_officer", &srv, env);
	if (pid < 0)
		return 0;
	return wait_consumed(pid, "b:group:risk_officer:trade.closed", n, t0);
}

int main(int argc, char **argv)
{
	long updates = argc > 1 ? atol(argv[1]) : 1000000;
	long events = argc > 2 ? atol(argv[2]) : 100000;
	log_init("bench_risk", "1", LOG_LEVEL_ERROR);
	static const struct {
		const char *name;
		size_t n;
	} sizes[] = {{"risk_update_1e3", 1000},
		     {"risk_update_1e4", 10000},
		     {"risk_update_1e5", 100000},
		     {"risk_update_1e6", 1000000}};
	for (size_t i = 0; i < 4; i++) {
		double inc, full;
		bench_window(sizes[i].n, updates, &inc, &full);
		harness_bench_line(sizes[i].name,
				   inc,
				   "ns",
				   "full recomputation of the window (sampled)",
				   full,
				   sizes[i].n == 1000000 ? "value<2000" : "O(log n) growth");
	}
	if (harness_redis_start(&srv, 0) != 0) {
		fprintf(stderr, "bench_risk: cannot start redis-server\n");
		return 1;
	}
	preload(events);
	double bare = bare_bus_consume(events);
	double ro = risk_officer_consume(events);
	harness_bench_line("risk_service_throughput",
			   ro > 0 ? events / ro : 0,
			   "events/s",
			   "EventBus bare consume (no-op handler), same entries",
			   bare > 0 ? events / bare : 0,
			   "informational");
	harness_redis_stop(&srv);
	return 0;
}
