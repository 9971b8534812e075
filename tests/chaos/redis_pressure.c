/*
 * redis_pressure.c - `make chaos`: Redis refusing writes and Redis gone
 * quiet under a running layer (issue 18, the smaller items):
 *   - maxmemory with noeviction (every write refused with OOM) while each
 *     service has something to publish every second: no service
 *     reconnects in a hot loop (counted on /metrics over 5 s), all keep
 *     running, and the layer works again once memory is lifted;
 *   - redis-server stopped (SIGSTOP) for 20 s, longer than any lease: the
 *     replicas lose their leases and step down in the same process, all
 *     four are still running afterwards, lead again and are ready within
 *     a bound (the time is printed), and a trade moves the Risk Officer's
 *     state again.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "chaos.h"
#include "clock.h"
#include "json_util.h"
#include "stack.h"

#define OOM_WINDOW_S       5
#define OOM_MAX_RECONNECTS 10 /* per service in the window: 2 a second; the old hot loop made ~11 a second */
#define STOP_S             20
#define READY_WITHIN_MS    30000

static struct chaos_stack s;

static int has_strategy(json_t *p, const void *name)
{
	return json_object_get(json_object_get(p, "strategies"), name) != NULL;
}

/* A trade of `strategy` reaches a new risk_state_update within 15 s. */
static int trade_reaches_risk(const char *strategy)
{
	char before[64], now[40];
	chaos_last_id(s.c, "risk_state_update", before, sizeof(before));
	json_util_format_ts_us(clock_wall_ms() * 1000, now, sizeof(now));
	const char *f[] = {
		"symbol", "BTCUSDT", "side", "BUY", "pnl_percent", "0.3", "strategy", strategy, "timestamp", now, NULL};
	if (chaos_xadd(s.c, "trade.closed", f, NULL, 0) != 0)
		return 0;
	json_t *r = stack_wait_payload_after(s.c, "t", "risk_state_update", before, has_strategy, strategy, 15000);
	json_decref(r);
	return r != NULL;
}

static void config_set(const char *name, const char *value)
{
	redisReply *r = redisCommand(s.c, "CONFIG SET %s %s", name, value);
	freeReplyObject(r);
}

static void check_alive(const char *attack)
{
	char dead[256];
	int alive = chaos_stack_alive(&s, dead, sizeof(dead));
	chaos_check(attack,
		    alive == CHAOS_N_SVC,
		    NULL,
		    "%d of 4 services running%s%s",
		    alive,
		    dead[0] ? "; died: " : "",
		    dead);
}

static void out_of_memory(void)
{
	const char *attack = "Redis maxmemory 1 byte, noeviction (OOM)";
	double before[CHAOS_N_SVC], after[CHAOS_N_SVC];
	config_set("maxmemory-policy", "noeviction");
	config_set("maxmemory", "1");
	sleep(1); /* the first refusals and the first reconnects */
	for (int i = 0; i < CHAOS_N_SVC; i++)
		before[i] = chaos_metric_sum(s.admin[i], "orch_redis_connects_total");
	sleep(OOM_WINDOW_S);
	char counts[256] = "";
	int worst = 0;
	for (int i = 0; i < CHAOS_N_SVC; i++) {
		after[i] = chaos_metric_sum(s.admin[i], "orch_redis_connects_total");
		int d = (int)(after[i] - before[i]);
		size_t used = strlen(counts);
		snprintf(counts + used, sizeof(counts) - used, "%s%s %d", i ? ", " : "", chaos_svc_names[i], d);
		if (d > worst)
			worst = d;
	}
	/* each refused XADD made the publisher drop its connection with a
	 * backoff that never grew (a reset was not counted as a failure, and a
	 * connect that succeeded cleared the count): ~13 reconnects a second */
	chaos_check(attack,
		    worst <= OOM_MAX_RECONNECTS,
		    NULL,
		    "reconnects in %d s: %s (at most %d each)",
		    OOM_WINDOW_S,
		    counts,
		    OOM_MAX_RECONNECTS);
	check_alive(attack);
	config_set("maxmemory", "0");
	long took;
	int ready = chaos_stack_ready(&s, READY_WITHIN_MS, &took);
	chaos_check("memory lifted after the OOM",
		    ready,
		    NULL,
		    "every service ready %.1f s later (at most %d s)",
		    took / 1000.0,
		    READY_WITHIN_MS / 1000);
	int works = trade_reaches_risk("chaos-after-oom");
	chaos_check("memory lifted after the OOM",
		    works,
		    NULL,
		    works ? "a trade reaches a new risk_state_update" : "no risk_state_update holds a new trade");
}

static double step_downs(int svc)
{
	char name[96];
	snprintf(name, sizeof(name), "orch_replica_step_downs_total{role=\"%s\"}", chaos_svc_names[svc]);
	return stack_metric(s.admin[svc], name);
}

static void redis_stopped(void)
{
	char attack[64];
	snprintf(attack, sizeof(attack), "redis-server stopped (SIGSTOP) for %d s", STOP_S);
	double ro = step_downs(CHAOS_RISK), so = step_downs(CHAOS_STRATEGY);
	kill(s.redis.pid, SIGSTOP);
	sleep(STOP_S);
	kill(s.redis.pid, SIGCONT);
	/* used to happen: the two officers lost their lease and exited (status
	 * 3) for a supervisor to restart them; under make demo or on a bare
	 * host they stayed down */
	check_alive(attack);
	long took;
	int ready = chaos_stack_ready(&s, READY_WITHIN_MS, &took);
	chaos_check(attack,
		    ready,
		    NULL,
		    "every service ready %.1f s after SIGCONT (at most %d s)",
		    took / 1000.0,
		    READY_WITHIN_MS / 1000);
	double ro_d = step_downs(CHAOS_RISK) - ro, so_d = step_downs(CHAOS_STRATEGY) - so;
	chaos_check(attack,
		    ro_d >= 1 && so_d >= 1,
		    NULL,
		    "the officers lost their leases and stepped down in place: risk_officer +%.0f, strategy_officer "
		    "+%.0f step-downs",
		    ro_d,
		    so_d);
	int leaders = 0;
	char roles[128] = "";
	for (int i = 0; i < CHAOS_FEDERATION; i++) {
		char name[96];
		snprintf(name, sizeof(name), "orch_lease_leader{role=\"%s\"}", chaos_svc_names[i]);
		int lead = 0;
		for (int k = 0; k < 100 && !lead; k++, usleep(100000))
			lead = stack_metric(s.admin[i], name) == 1;
		leaders += lead;
		size_t used = strlen(roles);
		snprintf(roles + used,
			 sizeof(roles) - used,
			 "%s%s %s",
			 i ? ", " : "",
			 chaos_svc_names[i],
			 lead ? "leads" : "does not lead");
	}
	chaos_check(attack, leaders == 3, NULL, "afterwards %s", roles);
	int works = trade_reaches_risk("chaos-after-stop");
	chaos_check(attack,
		    works,
		    NULL,
		    works ? "a trade reaches a new risk_state_update" : "no risk_state_update holds a new trade");
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	/* every service has something to publish every second */
	const char *const extra[] = {"ORCH_RISK_INTERVAL_S=1",
				     "ORCH_STRATEGY_INTERVAL_S=1",
				     "ORCH_CEO_INTERVAL_S=1",
				     "ORCH_FEDERATION_INTERVAL_S=1",
				     NULL};
	if (chaos_begin(&s, "redis pressure: the layer", extra, NULL) != 0)
		return 1;
	out_of_memory();
	redis_stopped();
	return chaos_end(&s, "redis pressure: the layer");
}
