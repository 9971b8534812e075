/*
 * data_loss.c - `make chaos`: Redis loses its data under a layer in
 * BLACK_SWAN (issue 18, finding 1): FLUSHALL, then redis-server killed and
 * restarted on the same port with an empty data directory. The policy's
 * writers (the CEO and the Strategy Officer) are frozen with SIGSTOP
 * across the loss, so that the time before they repair it can be looked
 * at: meanwhile nobody writes a default or older document, the federation
 * is not ready and reports degraded; once they run again the document is
 * back within seconds, holding BLACK_SWAN, at a version above every one
 * seen, the federation reports BLACK_SWAN and not degraded, and the CEO's
 * compare-and-set does not spin.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chaos.h"
#include "clock.h"
#include "stack.h"

#define FROZEN_MS      4000
#define BACK_WITHIN_MS 10000
#define MAX_CONFLICTS  20 /* CAS conflicts in the seconds after the loss; the old loop made ~50 a second */

static struct chaos_stack s;
static long long max_version; /* the highest document version seen */

/* The document's mode and version, keeping max_version. */
static long long look(char *mode, size_t len)
{
	long long v;
	chaos_policy_mode(s.c, mode, len, &v);
	if (v > max_version)
		max_version = v;
	return v;
}

/* The federation's global state: degraded, and whether a reason names
 * the policy; its mode in mode. 0 when it did not answer. */
static int federation_state(int *degraded, int *policy_reason, char *mode, size_t len)
{
	int status;
	json_t *gs = chaos_api_get(&s, "/api/orchestration/global-state", &status);
	json_t *d = json_object_get(gs, "data");
	*degraded = json_is_true(json_object_get(d, "degraded"));
	*policy_reason = 0;
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(d, "degraded_reasons"), i, r)
	{
		const char *t = json_string_value(r);
		*policy_reason |= t && (strstr(t, "policy") || strstr(t, "Policy"));
	}
	const char *m = json_string_value(json_object_get(d, "global_mode"));
	snprintf(mode, len, "%s", m ? m : "");
	json_decref(gs);
	return status == 200 && d;
}

/* While the writers are frozen after the loss. */
static void while_lost(const char *attack)
{
	int seen_degraded = 0, not_ready = 0, degraded, policy_reason;
	char fed_mode[32], mode[32], body[240] = "";
	int64_t end = clock_mono_ms() + FROZEN_MS;
	long long v = -1, worst = -1;
	while (clock_mono_ms() < end) {
		if (federation_state(&degraded, &policy_reason, fed_mode, sizeof(fed_mode)))
			seen_degraded |= degraded && policy_reason;
		char *r = not_ready ? NULL : harness_http(s.admin[CHAOS_FEDERATION], "GET", "/readyz");
		json_t *ready = r && harness_http_status(r) == 503 ? json_loads(harness_http_body(r), 0, NULL) : NULL;
		json_t *policy = json_object_get(json_object_get(ready, "checks"), "policy");
		if (policy && json_is_false(json_object_get(policy, "ok"))) {
			not_ready = 1;
			chaos_printable(json_string_value(json_object_get(policy, "state")), body, sizeof(body));
		}
		json_decref(ready);
		free(r);
		chaos_policy_mode(s.c, mode, sizeof(mode), &v);
		if (v >= 0 && (worst < 0 || v < worst))
			worst = v;
		usleep(100000);
	}
	/* used to happen: a service recreated the default document (version 1,
	 * NORMAL, emergency_mode false, leverage 5) and the CEO ignored it as
	 * older than the version it had seen */
	chaos_check(attack,
		    worst < 0 || worst > max_version,
		    NULL,
		    "while the writers are frozen: %s (highest version seen %lld)",
		    worst < 0 ? "no document written" : "a document written",
		    max_version);
	chaos_check(attack, not_ready, NULL, "federation /readyz: %s", not_ready ? body : "policy never not ready");
	/* on main today the federation stays ok and not degraded, showing the
	 * mode of the last decision */
	chaos_check(attack,
		    seen_degraded,
		    NULL,
		    "federation global-state %s while the document is lost",
		    seen_degraded ? "degraded, naming the policy," : "never degraded");
}

/* Once the writers run again. */
static void after_loss(const char *attack, double conflicts_before)
{
	char mode[32] = "";
	long long seen = max_version, v = -1;
	int64_t t0 = clock_mono_ms();
	json_t *doc = NULL;
	while (clock_mono_ms() - t0 < BACK_WITHIN_MS) {
		json_decref(doc);
		doc = chaos_policy(s.c);
		const char *m = json_string_value(json_object_get(doc, "operating_mode"));
		v = doc ? (long long)json_integer_value(json_object_get(doc, "version")) : -1;
		snprintf(mode, sizeof(mode), "%s", m ? m : "");
		if (!strcmp(mode, "BLACK_SWAN") && v > seen)
			break;
		usleep(50000);
	}
	double took = (clock_mono_ms() - t0) / 1000.0;
	int stop = json_is_true(json_object_get(doc, "emergency_mode"));
	chaos_check(attack,
		    !strcmp(mode, "BLACK_SWAN") && stop,
		    NULL,
		    "document back %.1f s after the writers resumed: %s, emergency_mode %s, by %s",
		    took,
		    doc ? mode : "absent",
		    stop ? "true" : "false",
		    doc ? json_string_value(json_object_get(doc, "updated_by")) : "nobody");
	chaos_check(attack, v > seen, NULL, "its version %lld, above every version seen (%lld)", v, seen);
	json_decref(doc);
	look(mode, sizeof(mode));

	int degraded = 1, policy_reason, ok = 0;
	char fed_mode[32] = "";
	for (int i = 0; i < 100 && !ok; i++, usleep(100000))
		ok = federation_state(&degraded, &policy_reason, fed_mode, sizeof(fed_mode)) && !degraded &&
		     !strcmp(fed_mode, "BLACK_SWAN");
	chaos_check(attack,
		    ok,
		    NULL,
		    "federation afterwards: %s, %s",
		    fed_mode[0] ? fed_mode : "(no state)",
		    degraded ? "degraded" : "not degraded");
	sleep(2);
	double conflicts = stack_metric(s.admin[CHAOS_CEO], "orch_ceo_policy_conflicts_total") - conflicts_before;
	chaos_check(attack,
		    conflicts <= MAX_CONFLICTS,
		    NULL,
		    "CEO compare-and-set conflicts since the loss: %.0f (at most %d)",
		    conflicts,
		    MAX_CONFLICTS);
}

static void freeze_writers(int sig)
{
	kill(s.pid[CHAOS_CEO], sig);
	kill(s.pid[CHAOS_STRATEGY], sig);
}

static double losses(int svc)
{
	return stack_metric(s.admin[svc], "orch_policy_losses_total");
}

static void flushall(void)
{
	const char *attack = "FLUSHALL in BLACK_SWAN";
	char mode[32];
	look(mode, sizeof(mode));
	double conflicts = stack_metric(s.admin[CHAOS_CEO], "orch_ceo_policy_conflicts_total");
	double ro = losses(CHAOS_RISK), fed = losses(CHAOS_FEDERATION);
	freeze_writers(SIGSTOP);
	redisReply *r = redisCommand(s.c, "FLUSHALL");
	freeReplyObject(r);
	while_lost(attack);
	double ro_d = losses(CHAOS_RISK) - ro, fed_d = losses(CHAOS_FEDERATION) - fed;
	chaos_check(attack,
		    ro_d >= 1 && fed_d >= 1,
		    NULL,
		    "the loss noticed (orch_policy_losses_total): risk_officer +%.0f, federation +%.0f",
		    ro_d,
		    fed_d);
	freeze_writers(SIGCONT);
	after_loss(attack, conflicts);
}

static void restart_empty(void)
{
	const char *attack = "redis-server restarted empty in BLACK_SWAN";
	char mode[32];
	look(mode, sizeof(mode));
	double conflicts = stack_metric(s.admin[CHAOS_CEO], "orch_ceo_policy_conflicts_total");
	double seen[CHAOS_N_SVC];
	for (int i = 0; i < CHAOS_N_SVC; i++)
		seen[i] = stack_metric(s.admin[i], "orch_redis_restarts_seen_total");
	freeze_writers(SIGSTOP);
	/* no AOF and no snapshot: it comes back with nothing */
	harness_redis_kill(&s.redis, SIGKILL);
	if (harness_redis_restart(&s.redis) != 0) {
		freeze_writers(SIGCONT);
		chaos_check(attack, 0, NULL, "redis-server did not start again on port %d", s.redis.port);
		return;
	}
	chaos_stack_reconnect(&s);
	while_lost(attack);
	freeze_writers(SIGCONT);
	after_loss(attack, conflicts);
	char counts[160] = "";
	int all = 1;
	for (int i = 0; i < CHAOS_N_SVC; i++) {
		double d = stack_metric(s.admin[i], "orch_redis_restarts_seen_total") - seen[i];
		size_t used = strlen(counts);
		snprintf(counts + used, sizeof(counts) - used, "%s%s +%.0f", i ? ", " : "", chaos_svc_names[i], d);
		all &= d >= 1;
	}
	chaos_check(attack, all, NULL, "the restart noticed (orch_redis_restarts_seen_total): %s", counts);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (chaos_begin(&s, "data loss: the layer", NULL, NULL) != 0)
		return 1;
	int swan = chaos_to_black_swan(&s);
	char mode[32];
	look(mode, sizeof(mode));
	chaos_check("data loss: the layer",
		    swan,
		    NULL,
		    "a CRITICAL risk_alert (score 95): %s",
		    swan ? "the policy holds BLACK_SWAN" : "no BLACK_SWAN within 10 s");
	if (swan) {
		flushall();
		restart_empty();
		int status = chaos_force_decision(&s, mode, sizeof(mode));
		chaos_check("data loss: the layer",
			    status == 200 && !strcmp(mode, "BLACK_SWAN"),
			    NULL,
			    "force-decision after the attacks: %d, %s",
			    status,
			    mode[0] ? mode : "no decision");
	}
	return chaos_end(&s, "data loss: the layer");
}
