/*
 * risk_officer_service.c - the Risk Officer's glue (see
 * risk_officer_service.h): EventBus subscriptions to the trading inputs,
 * the PolicyStore for the operators' reference limits (`risk_limits`), the
 * book (risk_book.c), one assessment and what it publishes (risk_cycle.c,
 * over risk_brain.c) and the payloads (risk_report.c).
 *
 * Each input updates the book and is assessed at once: a level change to
 * CRITICAL publishes risk_alert and risk_state_update in the same loop
 * iteration; otherwise risk_state_update goes out within
 * ORCH_RISK_PUBLISH_MIN_MS (bursts coalesce into one), and every
 * ORCH_RISK_INTERVAL_S regardless. risk_ceiling_update goes out when the
 * recommended ceilings change. The Risk Officer never writes the
 * PolicyStore: the CEO applies the stricter of its limits and these.
 *
 * Replicas: one is active, the holder of the lease "risk_officer"; the
 * others wait as standbys. On taking the lease a replica rebuilds its
 * windows from the newest entries of the input streams (bus_replay.h),
 * publishes its state, and only then consumes the group, ACKing without
 * applying the deliveries the rebuild already covered. A replica that
 * loses the lease steps down to standby in the same process.
 */
#include "risk_officer_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "clock.h"
#include "json_util.h"
#include "log.h"
#include "metrics.h"
#include "orch.h"
#include "policy.h"
#include "replica.h"
#include "risk_book.h"
#include "risk_brain.h"
#include "risk_cycle.h"
#include "risk_report.h"
#include "trade.h"

struct risk_officer_service;

/* One subscribed input type. */
struct ro_input {
	struct risk_officer_service *r;
	int index;
};

struct risk_officer_service {
	struct service *svc;
	struct replica *replica;
	struct ro_input in[RISK_OFFICER_MAX_INPUTS];
	struct risk_officer_config cfg;
	struct bus *bus;
	struct policy *policy;
	struct risk_book *book;
	struct risk_cycle core; /* limits, alert levels, ceilings published */
	uv_timer_t cycle, soon;
	int64_t last_publish_mono;
	struct metric *m_score, *m_var[3][RISK_MAX_CONF], *m_es[3][RISK_MAX_CONF], *m_dd_cur, *m_dd_max, *m_dd_daily,
		*m_latency, *m_inputs[4], *m_malformed, *m_alerts, *m_rebuilt, *m_covered;
};

/* ---- assessment and publishing ---- */

static void assess(struct risk_officer_service *r, struct risk_assessment *a, struct risk_alert *changes,
		   int *n_changes)
{
	risk_cycle_assess(&r->core, clock_now_ms(), a, changes, n_changes);
	const struct risk_metrics *m = &a->view.portfolio;
	metrics_set(r->m_score, a->score.score);
	for (int i = 0; i < m->n_conf; i++) {
		const struct risk_tail *t[3] = {&m->historical[i], &m->gaussian[i], &m->modified[i]};
		for (int k = 0; k < 3; k++) {
			metrics_set(r->m_var[k][i], t[k]->var);
			metrics_set(r->m_es[k][i], t[k]->es);
		}
	}
	metrics_set(r->m_dd_cur, m->current_drawdown);
	metrics_set(r->m_dd_max, m->max_drawdown);
	metrics_set(r->m_dd_daily, a->view.daily_drawdown);
}

static void publish_state(struct risk_officer_service *r, const struct risk_assessment *a)
{
	json_t *strategies = risk_book_strategies_json(r->book);
	json_t *state = risk_report_state(a, strategies);
	/* the interval it runs at, which the Federation's status reports */
	json_object_set_new(state, "assessment_interval_s", json_integer(r->cfg.interval_ms / 1000));
	bus_publish_new(r->bus, "risk_state_update", state);
	json_decref(strategies);
	if (risk_cycle_ceilings_due(&r->core, a))
		bus_publish_new(r->bus, "risk_ceiling_update", risk_cycle_ceiling_payload(a));
	r->last_publish_mono = clock_mono_ms();
	uv_timer_stop(&r->soon);
}

static void publish_alerts(struct risk_officer_service *r, const struct risk_assessment *a,
			   const struct risk_alert *changes, int n)
{
	for (int i = 0; i < n; i++) {
		char line[160];
		risk_report_alert_text(&changes[i], line, sizeof(line));
		if (changes[i].level > changes[i].previous) {
			metrics_inc(r->m_alerts);
			log_warn("risk_officer: alert %s", line);
		} else {
			log_info("risk_officer: alert %s", line);
		}
	}
	if (risk_cycle_raised(changes, n))
		bus_publish_new(r->bus, "risk_alert", risk_report_alert(a, changes, n));
}

static void soon_cb(uv_timer_t *t)
{
	struct risk_officer_service *r = t->data;
	struct risk_assessment a;
	struct risk_alert changes[RISK_A_COUNT];
	int n;
	assess(r, &a, changes, &n);
	publish_alerts(r, &a, changes, n);
	publish_state(r, &a);
}

static void cycle_cb(uv_timer_t *t)
{
	soon_cb(t);
}

/* After an input: alerts at once; the state now, or coalesced. */
static void on_change(struct risk_officer_service *r)
{
	struct risk_assessment a;
	struct risk_alert changes[RISK_A_COUNT];
	int n, critical = 0;
	assess(r, &a, changes, &n);
	for (int i = 0; i < n; i++)
		critical |= changes[i].level == RISK_ALERT_CRITICAL && changes[i].previous < RISK_ALERT_CRITICAL;
	publish_alerts(r, &a, changes, n);
	int64_t since = clock_mono_ms() - r->last_publish_mono;
	if (critical || since >= r->cfg.publish_min_ms)
		publish_state(r, &a);
	else if (!uv_is_active((uv_handle_t *)&r->soon))
		uv_timer_start(&r->soon, soon_cb, (uint64_t)(r->cfg.publish_min_ms - since), 0);
}

/* Parses one event and applies it to the book (live and rebuild alike).
 * Returns 0, ORCH_EMALFORMED with the reason in why, or ORCH_ENOMEM. */
static int apply_event(struct risk_officer_service *r, const struct bus_event *ev, struct risk_input *in, char *why,
		       size_t len)
{
	int rc = risk_input_parse(ev->event_type, ev->payload, ev->time_us / 1000, in, why, len);
	if (rc == 0)
		rc = risk_book_apply(r->book, in, clock_now_ms(), why, len);
	if (rc == 0) {
		clock_observe_ms(in->t_ms);
		metrics_inc(r->m_inputs[in->kind]);
	}
	return rc;
}

static int on_input(struct bus_delivery *d, const struct bus_event *ev, void *data)
{
	struct ro_input *ri = data;
	struct risk_officer_service *r = ri->r;
	int64_t t0 = clock_mono_ns();
	struct risk_input in;
	char why[256];
	int rc;
	if (replica_covered(r->replica, ri->index, ev->stream_id)) {
		/* the rebuild applied it; a malformed one (or one the book refused
		 * as older than the window) still goes to the DLQ */
		rc = risk_input_parse(ev->event_type, ev->payload, ev->time_us / 1000, &in, why, sizeof(why));
		if (rc == 0)
			rc = trade_check_age(in.t_ms, clock_now_ms(), r->cfg.book.window_age_ms, why, sizeof(why));
		if (rc == 0) {
			metrics_inc(r->m_covered);
			return 0;
		}
	} else {
		rc = apply_event(r, ev, &in, why, sizeof(why));
	}
	if (rc == ORCH_EMALFORMED) {
		metrics_inc(r->m_malformed);
		bus_delivery_reason(d, "%s", why);
		return rc;
	}
	if (rc != 0)
		return rc;
	on_change(r);
	metrics_observe(r->m_latency, (double)(clock_mono_ns() - t0) / 1e9);
	return 0;
}

/* Reference limits from the PolicyStore's operator-owned `risk_limits`
 * object (hot reload), else ORCH_RISK_* (risk_cycle_limits_from_policy). */
static void on_policy(const json_t *doc, int64_t version, void *data)
{
	struct risk_officer_service *r = data;
	struct risk_limits l;
	int64_t iv;
	char err[128];
	if (risk_cycle_limits_from_policy(&r->cfg.env, doc, &l, err, sizeof(err)) != 0) {
		log_error("risk_officer: policy version %lld: risk_limits unusable (%s); keeping the previous",
			  (long long)version,
			  err);
		return;
	}
	r->core.limits = l;
	if (json_util_get_int64(doc, "ai_ro_assessment_interval", &iv) == 0 && iv >= 1 && iv <= 86400 &&
	    iv * 1000 != r->cfg.interval_ms) {
		r->cfg.interval_ms = iv * 1000;
		if (replica_is_active(r->replica))
			uv_timer_start(&r->cycle, cycle_cb, (uint64_t)r->cfg.interval_ms, (uint64_t)r->cfg.interval_ms);
	}
	log_info("risk_officer: reference limits at policy version %lld (%s): max leverage %g, max daily drawdown %g",
		 (long long)version,
		 json_object_get(doc, "risk_limits") ? "risk_limits" : "ORCH_RISK_*",
		 l.max_leverage,
		 l.max_daily_drawdown);
}

/* ---- replicas: lease, rebuild, then consume ---- */

static void replay_event(const struct bus_event *ev, void *data)
{
	struct risk_officer_service *r = data;
	struct risk_input in;
	char why[256];
	if (apply_event(r, ev, &in, why, sizeof(why)) == 0)
		metrics_inc(r->m_rebuilt);
	else
		log_debug("risk_officer: rebuild skips %s %s: %s", ev->event_type, ev->stream_id, why);
}

/* Stepped down: what the windows hold is the next active replica's now;
 * taking over again rebuilds them from the streams. */
static void on_standby(void *data)
{
	struct risk_officer_service *r = data;
	struct risk_book *fresh;
	uv_timer_stop(&r->cycle);
	uv_timer_stop(&r->soon);
	if (risk_book_new(&fresh, &r->cfg.book) != 0) {
		log_error("risk_officer: out of memory for empty windows; a later rebuild counts the old ones twice");
		return;
	}
	risk_book_free(r->book);
	r->book = fresh;
	/* no alert raised, no ceiling published; the policy's limits stay */
	struct risk_limits limits = r->core.limits;
	risk_cycle_init(&r->core, fresh, &r->cfg.book, &r->cfg.env);
	r->core.limits = limits;
}

static void on_active(void *data)
{
	struct risk_officer_service *r = data;
	uv_timer_start(&r->cycle, cycle_cb, (uint64_t)r->cfg.interval_ms, (uint64_t)r->cfg.interval_ms);
	soon_cb(&r->cycle);
}

/* ---- lifecycle ---- */

static void register_metrics(struct risk_officer_service *r)
{
	static const double lat[] = {1e-6, 5e-6, 2e-5, 1e-4, 5e-4, 2e-3, 1e-2, 5e-2};
	static const char *kinds[] = {NULL, "trade", "snapshot", "exposure"};
	char labels[96];
	r->m_score = metrics_gauge("orch_risk_score", NULL, "Risk score 0-100, higher = more risk");
	static const char *methods[] = {"historical", "gaussian", "modified"};
	for (int k = 0; k < 3; k++) {
		for (int i = 0; i < r->cfg.book.n_conf; i++) {
			snprintf(labels,
				 sizeof(labels),
				 "method=\"%s\",confidence=\"%g\"",
				 methods[k],
				 r->cfg.book.conf[i]);
			r->m_var[k][i] = metrics_gauge(
				"orch_risk_var", labels, "Value at Risk, positive loss fraction per period");
			r->m_es[k][i] = metrics_gauge(
				"orch_risk_es", labels, "Expected Shortfall, positive loss fraction per period");
		}
	}
	r->m_dd_cur = metrics_gauge("orch_risk_drawdown", "kind=\"current\"", "Drawdown, positive fraction");
	r->m_dd_max = metrics_gauge("orch_risk_drawdown", "kind=\"max_window\"", "Drawdown, positive fraction");
	r->m_dd_daily = metrics_gauge("orch_risk_drawdown", "kind=\"daily\"", "Drawdown, positive fraction");
	r->m_latency = metrics_histogram("orch_risk_update_seconds",
					 NULL,
					 "Input to assessment latency (parse, windows, score, alerts)",
					 lat,
					 8);
	for (int k = 1; k <= 3; k++) {
		snprintf(labels, sizeof(labels), "kind=\"%s\"", kinds[k]);
		r->m_inputs[k] = metrics_counter("orch_risk_inputs_total", labels, "Inputs applied");
	}
	r->m_malformed = metrics_counter("orch_risk_malformed_total", NULL, "Inputs dead-lettered as malformed");
	r->m_alerts = metrics_counter("orch_risk_alerts_total", NULL, "Alert levels raised");
	r->m_rebuilt = metrics_counter(
		"orch_risk_rebuilt_inputs_total", NULL, "Inputs applied from the streams when this replica took over");
	r->m_covered = metrics_counter("orch_risk_covered_deliveries_total",
				       NULL,
				       "Deliveries already applied by the rebuild, ACKed without applying");
}

/* Closes what the service holds; the loop finishes the closing. */
static void teardown(void *data)
{
	struct risk_officer_service *r = data;
	uv_timer_stop(&r->cycle);
	uv_timer_stop(&r->soon);
	bus_free(r->bus);
	replica_free(r->replica);
	policy_free(r->policy);
	uv_close((uv_handle_t *)&r->cycle, NULL);
	uv_close((uv_handle_t *)&r->soon, NULL);
}

static void quiesce(void *data)
{
	struct risk_officer_service *r = data;
	uv_timer_stop(&r->cycle);
	uv_timer_stop(&r->soon);
	replica_stop(r->replica);
}

int risk_officer_service_new(struct risk_officer_service **out, struct service *svc,
			     const struct risk_officer_config *cfg)
{
	struct risk_officer_service *r = calloc(1, sizeof(*r));
	if (!r)
		return ORCH_ENOMEM;
	r->svc = svc;
	r->cfg = *cfg;
	uv_timer_init(svc->loop, &r->cycle);
	uv_timer_init(svc->loop, &r->soon);
	r->cycle.data = r->soon.data = r;
	service_attach(svc,
		       &(struct service_part){.quiesce = quiesce, .teardown = teardown, .bus = &r->bus, .data = r});
	register_metrics(r);
	struct bus_config bc;
	service_bus_config(svc, "risk_officer", &bc);
	struct policy_config pc;
	service_policy_config(svc, "ai_ro", &pc);
	const char *types[RISK_OFFICER_MAX_INPUTS];
	for (int i = 0; i < r->cfg.n_inputs; i++)
		types[i] = r->cfg.inputs[i];
	struct replica_config rcfg = {.role = "risk_officer",
				      .types = types,
				      .n_types = r->cfg.n_inputs,
				      .rebuild_max = r->cfg.rebuild_max,
				      .rebuild_age_ms = r->cfg.book.window_age_ms};
	struct replica_hooks hooks = {
		.on_replay = replay_event, .on_active = on_active, .on_standby = on_standby, .data = r};
	int rc;
	if ((rc = risk_book_new(&r->book, &r->cfg.book)) == 0)
		risk_cycle_init(&r->core, r->book, &r->cfg.book, &r->cfg.env);
	if (rc != 0 || (rc = bus_new(&r->bus, svc->loop, &bc, &svc->cfg.redis)) != 0 ||
	    (rc = policy_new(&r->policy, svc->loop, &pc, &svc->cfg.redis)) != 0 ||
	    (rc = replica_new(&r->replica, svc, r->bus, &rcfg, &hooks)) != 0)
		goto fail;
	for (int i = 0; i < r->cfg.n_inputs; i++) {
		r->in[i] = (struct ro_input){.r = r, .index = i};
		if ((rc = bus_subscribe(r->bus, r->cfg.inputs[i], on_input, &r->in[i])) != 0)
			goto fail;
	}
	policy_on_change(r->policy, on_policy, r);
	service_add_check(svc, "replica", replica_check_ready, r->replica);
	service_add_check(svc, "policy", policy_check_ready, r->policy);
	*out = r;
	return 0;
fail:
	risk_officer_service_free(r);
	return rc;
}

int risk_officer_service_start(struct risk_officer_service *r)
{
	int rc;
	if ((rc = policy_start(r->policy)) != 0 || (rc = replica_start(r->replica)) != 0)
		return rc;
	log_info("risk_officer: reading %d input types, assessing every %lld s once active",
		 r->cfg.n_inputs,
		 (long long)(r->cfg.interval_ms / 1000));
	return 0;
}

void risk_officer_service_free(struct risk_officer_service *r)
{
	if (!r)
		return;
	service_detach(r->svc);
	risk_book_free(r->book);
	free(r);
}
