/*
 * bench_scale.c - risk_officer and strategy_officer with one and with two
 * replicas consuming the same backlog of 100,000 trade.closed entries
 * (preloaded, as after an outage; a fresh Redis per run). Prints the
 * throughput per replica count, and checks from each replica's /metrics
 * that every entry was handled exactly once by the service as a whole.
 *
 * Both services run one active replica (the holder of their lease) and
 * warm standbys: their windows must see every input of the service, so
 * two replicas do not split the work; the second one takes over within the
 * lease ttl when the first dies. The 2x figure is therefore expected to
 * equal the 1x one; its ratio to 1x is what the line reports.
 */
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "stack.h"

#define N_EVENTS 100000

static void preload(const struct harness_redis *srv, long n)
{
	redisContext *c = harness_redis_sync(srv);
	for (long i = 0; i < n; i++) {
		char pnl[32];
		snprintf(pnl, sizeof(pnl), "%.3f", ((i * 104729) % 1001 - 480) / 100.0);
		redisAppendCommand(c,
				   "XADD b:stream:trade.closed * event_type trade.closed event_id e%ld symbol BTCUSDT "
				   "side BUY pnl_percent %s strategy s%ld timestamp 2026-01-05T10:00:00.000000",
				   i,
				   pnl,
				   i % 16);
		if (i % 1000 == 999 || i == n - 1)
			for (long k = i - i % 1000; k <= i; k++) {
				redisReply *r = NULL;
				if (redisGetReply(c, (void **)&r) != REDIS_OK)
					exit(1);
				freeReplyObject(r);
			}
	}
	redisFree(c);
}

/*
 * events/s of `program` with `replicas` instances on a backlog of n, and
 * in *handled the sum of `metric` over the instances (entries handled).
 */
static double run(const char *program, int replicas, const char *metric, long n, double *handled)
{
	struct harness_redis srv;
	if (harness_redis_start(&srv, 0) != 0) {
		fprintf(stderr, "bench_scale: cannot start redis-server\n");
		exit(1);
	}
	preload(&srv, n);
	char group[128];
	snprintf(group, sizeof(group), "b:group:%s:trade.closed", program);
	pid_t pids[2];
	int ports[2];
	int64_t t0 = clock_mono_ns();
	for (int i = 0; i < replicas; i++) {
		char id[48], port[48];
		ports[i] = harness_free_port();
		snprintf(id, sizeof(id), "ORCH_INSTANCE_ID=r%d", i);
		snprintf(port, sizeof(port), "ORCH_ADMIN_PORT=%d", ports[i]);
		const char *env[] = {"ORCH_PREFIX=b",
				     "ORCH_LOG_LEVEL=error",
				     id,
				     port,
				     "ORCH_CLOCK=event",
				     "ORCH_RISK_INPUTS=trade.closed",
				     "ORCH_RISK_REBUILD_MAX=0",
				     NULL};
		pids[i] = harness_spawn_program(program, &srv, env);
	}
	redisContext *c = harness_redis_sync(&srv);
	double secs = 0;
	for (int i = 0; i < 60000 && secs == 0; i++) {
		if (stack_group_done(c, "b:stream:trade.closed", group, n))
			secs = (double)(clock_mono_ns() - t0) / 1e9;
		else
			usleep(2000);
	}
	redisFree(c);
	*handled = 0;
	for (int i = 0; i < replicas; i++) {
		double v = stack_metric(ports[i], metric);
		*handled += v > 0 ? v : 0;
		kill(pids[i], SIGTERM);
		waitpid(pids[i], NULL, 0);
	}
	harness_redis_stop(&srv);
	if (secs == 0)
		fprintf(stderr, "bench_scale: %s x%d did not consume %ld entries in time\n", program, replicas, n);
	return secs > 0 ? (double)n / secs : 0;
}

int main(void)
{
	static const struct {
		const char *program, *name1, *name2, *metric;
	} svc[] = {
		{"risk_officer",
		 "scale_risk_1x",
		 "scale_risk_2x",
		 "orch_bus_handled_total{event_type=\"trade.closed\"}"},
		{"strategy_officer",
		 "scale_strategy_1x",
		 "scale_strategy_2x",
		 "orch_bus_handled_total{event_type=\"trade.closed\"}"},
	};
	int rc = 0;
	for (size_t s = 0; s < 2; s++) {
		double h1, h2;
		double one = run(svc[s].program, 1, svc[s].metric, N_EVENTS, &h1);
		double two = run(svc[s].program, 2, svc[s].metric, N_EVENTS, &h2);
		printf("%s: handled %.0f entries with one replica, %.0f over two (%ld published)\n",
		       svc[s].program,
		       h1,
		       h2,
		       (long)N_EVENTS);
		harness_bench_line(svc[s].name1, one, "events/s", "itself (one replica)", one, "informational");
		harness_bench_line(svc[s].name2,
				   two,
				   "events/s",
				   "one replica, same run",
				   one,
				   "ratio ~1: one active replica, a warm standby");
		if (h1 != N_EVENTS || h2 != N_EVENTS) {
			fprintf(stderr,
				"bench_scale: %s handled %.0f and %.0f entries, not %d each time\n",
				svc[s].program,
				h1,
				h2,
				N_EVENTS);
			rc = 1;
		}
	}
	return rc;
}
