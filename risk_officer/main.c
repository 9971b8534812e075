/*
 * risk_officer/main.c - wiring of the Risk Officer: ORCH_RISK_* config,
 * EventBus subscriptions to the trading inputs, the PolicyStore for the
 * operators' reference limits (`risk_limits`), the book (risk_book.c), the brain (risk_brain.c)
 * and the payloads (risk_report.c).
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
 * loses the lease exits, to be restarted as a standby.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "clock.h"
#include "config.h"
#include "json_util.h"
#include "log.h"
#include "metrics.h"
#include "orch.h"
#include "policy.h"
#include "replica.h"
#include "risk_book.h"
#include "risk_brain.h"
#include "risk_report.h"
#include "service.h"

#define DEFAULT_ADMIN_PORT 9102
#define MAX_INPUTS 16

struct ro_config {
	char inputs[MAX_INPUTS][CONFIG_LIST_ITEM];
	int n_inputs;
	int64_t interval_ms, publish_min_ms;
	int64_t rebuild_max;          /* entries per input stream read on taking over */
	struct risk_book_config book;
	struct risk_limits env;       /* the ORCH_RISK_* ceilings */
};

struct ro;

/* One subscribed input type. */
struct ro_input {
	struct ro *r;
	int index;
};

struct ro {
	struct service svc;
	struct replica *replica;
	int lost;                     /* the lease was lost: exit status 3 */
	struct ro_input in[MAX_INPUTS];
	struct ro_config cfg;
	struct bus *bus;
	struct policy *policy;
	struct risk_book *book;
	struct risk_limits limits;    /* env ceilings + the policy's risk_limits */
	struct risk_alert_state alerts;
	struct risk_ceilings last_ceilings;
	int have_ceilings;
	uv_timer_t cycle, soon;
	int64_t last_publish_mono;
	struct metric *m_score, *m_var[3][RISK_MAX_CONF], *m_es[3][RISK_MAX_CONF], *m_dd_cur, *m_dd_max,
		*m_dd_daily, *m_latency, *m_inputs[4], *m_malformed, *m_alerts, *m_rebuilt, *m_covered;
};

/* ---- configuration ---- */

static int is_input(const char *type)
{
	return risk_input_kind_of(type) != 0;
}

static int load_config(struct ro_config *c, char *err, size_t errlen)
{
	char confs[128];
	int64_t i64;
	double d;
	int rc = config_get_list("ORCH_RISK_INPUTS", risk_input_known_types(), c->inputs, MAX_INPUTS, &c->n_inputs,
				 is_input, err, errlen);
	if (rc != 0)
		return rc;
#define GET_INT(name, def, lo, hi, dst, scale)                                      \
	do {                                                                        \
		if ((rc = config_get_int(name, def, lo, hi, &i64, err, errlen)) != 0) \
			return rc;                                                  \
		dst = i64 * (scale);                                                \
	} while (0)
#define GET_DBL(name, def, lo, hi, dst)                                                \
	do {                                                                           \
		if ((rc = config_get_double(name, def, lo, hi, &d, err, errlen)) != 0) \
			return rc;                                                     \
		dst = d;                                                               \
	} while (0)
	GET_INT("ORCH_RISK_INTERVAL_S", 30, 1, 86400, c->interval_ms, 1000);
	GET_INT("ORCH_RISK_PUBLISH_MIN_MS", 250, 0, 60000, c->publish_min_ms, 1);
	GET_INT("ORCH_RISK_WINDOW", 1000, RISK_MIN_OBS, 10000000, c->book.window_count, 1);
	GET_INT("ORCH_RISK_WINDOW_AGE_S", 30 * 86400, 0, 3650LL * 86400, c->book.window_age_ms, 1000);
	GET_INT("ORCH_RISK_PERIOD_S", 3600, 1, 30 * 86400, c->book.period_ms, 1000);
	GET_INT("ORCH_RISK_MAX_STRATEGIES", 64, 1, 4096, c->book.max_strategies, 1);
	GET_INT("ORCH_RISK_REBUILD_MAX", 100000, 0, 10000000, c->rebuild_max, 1);
	GET_DBL("ORCH_RISK_EWMA_LAMBDA", 0.94, 0.5, 0.9999, c->book.ewma_lambda);
	GET_DBL("ORCH_RISK_MAX_DRAWDOWN", 0.15, 0.001, 1, c->env.max_drawdown);
	GET_DBL("ORCH_RISK_VAR_CEILING", 0.03, 1e-6, 1, c->env.var_ceiling);
	GET_DBL("ORCH_RISK_ES_CEILING", 0.05, 1e-6, 1, c->env.es_ceiling);
	GET_DBL("ORCH_RISK_VOL_CEILING", 1.0, 1e-6, 100, c->env.vol_ceiling);
	GET_DBL("ORCH_RISK_CONCENTRATION_CEILING", 0.5, 0.01, 1, c->env.concentration_ceiling);
	GET_DBL("ORCH_RISK_SCORE_CRITICAL", 80, 1, 100, c->env.score_critical);
	GET_DBL("ORCH_RISK_ALERT_HYSTERESIS", 0.1, 0, 0.49, c->env.hysteresis);
	if ((rc = config_get_str("ORCH_RISK_CONFIDENCE", "0.95,0.99", confs, sizeof(confs), err, errlen)) != 0)
		return rc;
	char *p = confs, *end;
	c->book.n_conf = 0;
	while (*p && c->book.n_conf < RISK_MAX_CONF) {
		c->book.conf[c->book.n_conf++] = strtod(p, &end);
		if (end == p || (*end && *end != ','))
			break;
		p = *end ? end + 1 : end;
	}
	if (*p || risk_check_confidences(c->book.conf, c->book.n_conf) != 0) {
		snprintf(err, errlen, "ORCH_RISK_CONFIDENCE: expected 1-%d comma-separated levels in (0.5, 1), got '%s'",
			 RISK_MAX_CONF, confs);
		return ORCH_EINVAL;
	}
	/* reference limits, defaulting to the original's NORMAL mode */
	GET_DBL("ORCH_RISK_MAX_DAILY_DRAWDOWN", 0.05, 1e-6, 1, c->env.max_daily_drawdown);
	GET_DBL("ORCH_RISK_MAX_LEVERAGE", 5, 0.01, 125, c->env.max_leverage);
	GET_DBL("ORCH_RISK_MAX_RISK_PER_TRADE", 0.015, 1e-6, 1, c->env.max_risk_per_trade);
	GET_INT("ORCH_RISK_MAX_POSITIONS", 30, 1, 100, c->env.max_positions, 1);
	return 0;
#undef GET_INT
#undef GET_DBL
}

/* ---- assessment and publishing ---- */

static void assess(struct ro *r, struct risk_assessment *a, struct risk_alert *changes, int *n_changes)
{
	memset(a, 0, sizeof(*a));
	a->now_ms = clock_now_ms();
	risk_book_expire(r->book, a->now_ms);
	risk_book_view(r->book, &a->view, &a->source);
	risk_score_compute(&a->view, &r->limits, &a->score);
	*n_changes = risk_alerts_update(&r->alerts, &a->view, &a->score, &r->limits, changes);
	a->alerts = r->alerts;
	risk_ceilings_compute(&a->view, &a->score, &r->limits, &a->ceilings);
	a->period_ms = r->cfg.book.period_ms;
	a->window_count = r->cfg.book.window_count;
	a->window_age_ms = r->cfg.book.window_age_ms;
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

static void publish_state(struct ro *r, const struct risk_assessment *a)
{
	json_t *strategies = risk_book_strategies_json(r->book);
	bus_publish_new(r->bus, "risk_state_update", risk_report_state(a, strategies));
	json_decref(strategies);
	if (!r->have_ceilings || !risk_ceilings_equal(&r->last_ceilings, &a->ceilings)) {
		char reason[160];
		snprintf(reason, sizeof(reason), "risk score %.1f (%s) scales the active mode's limits",
			 a->score.score, a->score.level);
		bus_publish_new(r->bus, "risk_ceiling_update", risk_report_ceiling(a, reason));
		r->last_ceilings = a->ceilings;
		r->have_ceilings = 1;
	}
	r->last_publish_mono = clock_mono_ms();
	uv_timer_stop(&r->soon);
}

static void publish_alerts(struct ro *r, const struct risk_assessment *a, const struct risk_alert *changes, int n)
{
	int raised = 0;
	for (int i = 0; i < n; i++) {
		char line[160];
		risk_report_alert_text(&changes[i], line, sizeof(line));
		if (changes[i].level > changes[i].previous) {
			raised++;
			metrics_inc(r->m_alerts);
			log_warn("risk_officer: alert %s", line);
		} else {
			log_info("risk_officer: alert %s", line);
		}
	}
	if (raised)
		bus_publish_new(r->bus, "risk_alert", risk_report_alert(a, changes, n));
}

static void soon_cb(uv_timer_t *t)
{
	struct ro *r = t->data;
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
static void on_change(struct ro *r)
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
static int apply_event(struct ro *r, const struct bus_event *ev, struct risk_input *in, char *why, size_t len)
{
	int rc = risk_input_parse(ev->event_type, ev->payload, ev->time_us / 1000, in, why, len);
	if (rc == 0)
		rc = risk_book_apply(r->book, in, why, len);
	if (rc == 0) {
		clock_observe_ms(in->t_ms);
		metrics_inc(r->m_inputs[in->kind]);
	}
	return rc;
}

static int on_input(struct bus_delivery *d, const struct bus_event *ev, void *data)
{
	struct ro_input *ri = data;
	struct ro *r = ri->r;
	int64_t t0 = clock_mono_ns();
	struct risk_input in;
	char why[256];
	int rc;
	if (replica_covered(r->replica, ri->index, ev->stream_id)) {
		/* the rebuild applied it; a malformed one still goes to the DLQ */
		rc = risk_input_parse(ev->event_type, ev->payload, ev->time_us / 1000, &in, why, sizeof(why));
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

/*
 * Reference limits from the PolicyStore's operator-owned `risk_limits`
 * object (hot reload), else ORCH_RISK_*. Not the active mode's limits: the
 * CEO writes those from our own ceilings and its mode, so measuring against
 * them would feed each ceiling back into the next and ratchet the book down
 * (the original Risk Officer did), and a defensive mode would raise the
 * score that put the layer there.
 */
static void on_policy(const json_t *doc, int64_t version, void *data)
{
	struct ro *r = data;
	const json_t *cfg = json_object_get(doc, "risk_limits");
	struct risk_limits l = r->cfg.env;
	double v;
	int64_t iv;
	if (cfg && json_util_get_double(cfg, "max_daily_drawdown", &v) == 0 && v > 0)
		l.max_daily_drawdown = v;
	if (cfg && json_util_get_double(cfg, "max_leverage", &v) == 0 && v > 0)
		l.max_leverage = v;
	if (cfg && json_util_get_double(cfg, "max_risk_pct_per_trade", &v) == 0 && v > 0)
		l.max_risk_per_trade = v;
	if (cfg && json_util_get_int64(cfg, "max_positions", &iv) == 0 && iv > 0)
		l.max_positions = (int)iv;
	char err[128];
	if (risk_limits_validate(&l, err, sizeof(err)) != 0) {
		log_error("risk_officer: policy version %lld: risk_limits unusable (%s); keeping the previous",
			  (long long)version, err);
		return;
	}
	r->limits = l;
	if (json_util_get_int64(doc, "ai_ro_assessment_interval", &iv) == 0 && iv >= 1 && iv <= 86400 &&
	    iv * 1000 != r->cfg.interval_ms) {
		r->cfg.interval_ms = iv * 1000;
		if (replica_is_active(r->replica))
			uv_timer_start(&r->cycle, cycle_cb, (uint64_t)r->cfg.interval_ms,
				       (uint64_t)r->cfg.interval_ms);
	}
	log_info("risk_officer: reference limits at policy version %lld (%s): max leverage %g, max daily drawdown %g",
		 (long long)version, cfg ? "risk_limits" : "ORCH_RISK_*", l.max_leverage, l.max_daily_drawdown);
}

/* ---- replicas: lease, rebuild, then consume ---- */

static void replay_event(const struct bus_event *ev, void *data)
{
	struct ro *r = data;
	struct risk_input in;
	char why[256];
	if (apply_event(r, ev, &in, why, sizeof(why)) == 0)
		metrics_inc(r->m_rebuilt);
	else
		log_debug("risk_officer: rebuild skips %s %s: %s", ev->event_type, ev->stream_id, why);
}

static void on_active(void *data)
{
	struct ro *r = data;
	uv_timer_start(&r->cycle, cycle_cb, (uint64_t)r->cfg.interval_ms, (uint64_t)r->cfg.interval_ms);
	soon_cb(&r->cycle);
}

/* ---- lifecycle ---- */

static void register_metrics(struct ro *r)
{
	static const double lat[] = {1e-6, 5e-6, 2e-5, 1e-4, 5e-4, 2e-3, 1e-2, 5e-2};
	static const char *kinds[] = {NULL, "trade", "snapshot", "exposure"};
	char labels[96];
	r->m_score = metrics_gauge("orch_risk_score", NULL, "Risk score 0-100, higher = more risk");
	static const char *methods[] = {"historical", "gaussian", "modified"};
	for (int k = 0; k < 3; k++) {
		for (int i = 0; i < r->cfg.book.n_conf; i++) {
			snprintf(labels, sizeof(labels), "method=\"%s\",confidence=\"%g\"", methods[k],
				 r->cfg.book.conf[i]);
			r->m_var[k][i] = metrics_gauge("orch_risk_var", labels,
						       "Value at Risk, positive loss fraction per period");
			r->m_es[k][i] = metrics_gauge("orch_risk_es", labels,
						      "Expected Shortfall, positive loss fraction per period");
		}
	}
	r->m_dd_cur = metrics_gauge("orch_risk_drawdown", "kind=\"current\"", "Drawdown, positive fraction");
	r->m_dd_max = metrics_gauge("orch_risk_drawdown", "kind=\"max_window\"", "Drawdown, positive fraction");
	r->m_dd_daily = metrics_gauge("orch_risk_drawdown", "kind=\"daily\"", "Drawdown, positive fraction");
	r->m_latency = metrics_histogram("orch_risk_update_seconds", NULL,
					 "Input to assessment latency (parse, windows, score, alerts)", lat, 8);
	for (int k = 1; k <= 3; k++) {
		snprintf(labels, sizeof(labels), "kind=\"%s\"", kinds[k]);
		r->m_inputs[k] = metrics_counter("orch_risk_inputs_total", labels, "Inputs applied");
	}
	r->m_malformed = metrics_counter("orch_risk_malformed_total", NULL, "Inputs dead-lettered as malformed");
	r->m_alerts = metrics_counter("orch_risk_alerts_total", NULL, "Alert levels raised");
	r->m_rebuilt = metrics_counter("orch_risk_rebuilt_inputs_total", NULL,
				       "Inputs applied from the streams when this replica took over");
	r->m_covered = metrics_counter("orch_risk_covered_deliveries_total", NULL,
				       "Deliveries already applied by the rebuild, ACKed without applying");
}

static void bus_stopped(void *data)
{
	struct ro *r = data;
	bus_close(r->bus);
	r->lost = replica_lost(r->replica);
	replica_close(r->replica);
	policy_close(r->policy);
	uv_close((uv_handle_t *)&r->cycle, NULL);
	uv_close((uv_handle_t *)&r->soon, NULL);
	service_stop_done(&r->svc);
}

static void on_shutdown(void *data)
{
	struct ro *r = data;
	uv_timer_stop(&r->cycle);
	uv_timer_stop(&r->soon);
	replica_stop(r->replica);
	bus_stop(r->bus, 5000, bus_stopped, r);
}

int main(void)
{
	static struct ro r;
	char err[512];
	int rc = service_init(&r.svc, "risk_officer", DEFAULT_ADMIN_PORT);
	if (rc != 0)
		return 2;
	if (load_config(&r.cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "risk_officer: configuration error: %s\n", err);
		service_close(&r.svc);
		return 2;
	}
	r.limits = r.cfg.env;
	register_metrics(&r);
	struct bus_config bc;
	service_bus_config(&r.svc, "risk_officer", &bc);
	struct policy_config pc = {.prefix = r.svc.cfg.prefix, .writer = "ai_ro",
				   .snapshot_path = r.svc.cfg.policy_snapshot};
	const char *types[MAX_INPUTS];
	for (int i = 0; i < r.cfg.n_inputs; i++)
		types[i] = r.cfg.inputs[i];
	struct replica_config rcfg = {.role = "risk_officer", .types = types, .n_types = r.cfg.n_inputs,
				      .rebuild_max = r.cfg.rebuild_max, .rebuild_age_ms = r.cfg.book.window_age_ms};
	struct replica_hooks hooks = {.on_replay = replay_event, .on_active = on_active, .data = &r};
	if ((rc = risk_book_new(&r.book, &r.cfg.book)) != 0 ||
	    (rc = bus_new(&r.bus, r.svc.loop, &bc, &r.svc.cfg.redis)) != 0 ||
	    (rc = policy_new(&r.policy, r.svc.loop, &pc, &r.svc.cfg.redis)) != 0 ||
	    (rc = replica_new(&r.replica, &r.svc, r.bus, &rcfg, &hooks)) != 0)
		goto out;
	for (int i = 0; i < r.cfg.n_inputs; i++) {
		r.in[i] = (struct ro_input){.r = &r, .index = i};
		if ((rc = bus_subscribe(r.bus, r.cfg.inputs[i], on_input, &r.in[i])) != 0)
			goto out;
	}
	policy_on_change(r.policy, on_policy, &r);
	service_add_check(&r.svc, "replica", replica_check_ready, r.replica);
	service_add_check(&r.svc, "policy", policy_check_ready, r.policy);
	service_on_shutdown(&r.svc, on_shutdown, &r);
	uv_timer_init(r.svc.loop, &r.cycle);
	uv_timer_init(r.svc.loop, &r.soon);
	r.cycle.data = r.soon.data = &r;
	if ((rc = policy_start(r.policy)) != 0 || (rc = replica_start(r.replica)) != 0)
		goto out;
	log_info("risk_officer: reading %d input types, assessing every %lld s once active", r.cfg.n_inputs,
		 (long long)(r.cfg.interval_ms / 1000));
	rc = service_run(&r.svc);
	r.bus = NULL;
	r.policy = NULL;
	r.replica = NULL;
out:
	if (rc != 0)
		log_error("risk_officer: cannot start: %s", orch_strerror(rc));
	if (r.bus)
		bus_close(r.bus);
	if (r.replica)
		replica_close(r.replica);
	if (r.policy)
		policy_close(r.policy);
	risk_book_free(r.book);
	service_close(&r.svc);
	if (rc == 0 && r.lost)
		return 3;
	return rc == 0 ? 0 : 1;
}
