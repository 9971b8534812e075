/*
 * strategy_officer/main.c - wiring of the Strategy Officer: ORCH_STRATEGY_*
 * config, EventBus subscriptions to trades, decisions and regimes, the
 * PolicyStore for the operating mode (which tightens the thresholds) and
 * for the disabled set, the book (strategy_book.c), the brain
 * (strategy_brain.c) and the payloads (strategy_report.c).
 *
 * Inputs update the book; an evaluation follows within
 * ORCH_STRATEGY_PUBLISH_MIN_MS (bursts coalesce into one) and every
 * ORCH_STRATEGY_INTERVAL_S regardless. Each evaluation publishes
 * strategy_state_update; strategy_recommendation only when what it
 * recommends changed; strategy_alert for each disable, re-enable or model
 * degradation. The disabled strategies and models are written to the
 * PolicyStore (disabled_strategies, disabled_models) by compare-and-set
 * only: a conflict with a concurrent writer (the CEO) is retried on the
 * newer document, never overwritten. One replica is active (replica.h).
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
#include "service.h"
#include "strategy_book.h"
#include "strategy_brain.h"
#include "strategy_report.h"

#define DEFAULT_ADMIN_PORT 9103
#define MAX_INPUTS 16

struct so_config {
	char inputs[MAX_INPUTS][CONFIG_LIST_ITEM];
	int n_inputs;
	int64_t interval_ms, publish_min_ms, rebuild_max, top;
	struct strat_book_config book;
	struct strat_thresholds base;   /* GROWTH; tightened per mode */
};

struct so;

struct so_input {
	struct so *s;
	int index;
};

struct so {
	struct service svc;
	struct so_config cfg;
	struct bus *bus;
	struct policy *policy;
	struct replica *replica;
	int lost;                     /* the lease was lost: exit status 3 */
	struct so_input in[MAX_INPUTS];
	struct strat_book *book;
	struct strat_thresholds th;
	char mode[32];
	json_t *last_key;       /* the last published recommendation's key */
	json_t *want_disabled;  /* {"strategies": [...], "models": [...]} to store */
	json_t *sent_disabled;  /* what the write in flight stores */
	int writing, dirty;
	uv_timer_t cycle, soon, retry;
	int64_t last_eval_mono;
	struct metric *m_tracked, *m_eligible, *m_disabled, *m_rec_changes, *m_inputs[4], *m_malformed,
		*m_eval, *m_policy_writes, *m_policy_conflicts;
};

/* ---- configuration ---- */

static int is_input(const char *type)
{
	return strat_input_kind_of(type) != 0;
}

static int load_config(struct so_config *c, char *err, size_t errlen)
{
	int64_t i64;
	double d;
	int rc = config_get_list("ORCH_STRATEGY_INPUTS", strat_input_known_types(), c->inputs, MAX_INPUTS, &c->n_inputs,
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
	struct strat_thresholds *t = &c->base;
	strat_thresholds_defaults(t);
	GET_INT("ORCH_STRATEGY_INTERVAL_S", 60, 1, 86400, c->interval_ms, 1000);
	GET_INT("ORCH_STRATEGY_PUBLISH_MIN_MS", 500, 0, 60000, c->publish_min_ms, 1);
	GET_INT("ORCH_STRATEGY_WINDOW", 500, 2, 1000000, c->book.window_count, 1);
	GET_INT("ORCH_STRATEGY_WINDOW_AGE_S", 30 * 86400, 0, 3650LL * 86400, c->book.window_age_ms, 1000);
	GET_INT("ORCH_STRATEGY_MAX", 10000, 1, 1000000, c->book.max_units, 1);
	GET_INT("ORCH_STRATEGY_DECISION_TTL_S", 86400, 0, 30 * 86400, c->book.decision_ttl_ms, 1000);
	GET_INT("ORCH_STRATEGY_REBUILD_MAX", 100000, 0, 10000000, c->rebuild_max, 1);
	GET_INT("ORCH_STRATEGY_REPORT_TOP", 20, 0, 1000000, c->top, 1);
	GET_INT("ORCH_STRATEGY_MIN_TRADES", t->min_trades, 2, 1000000, t->min_trades, 1);
	GET_DBL("ORCH_STRATEGY_CONFIDENCE", t->confidence, 0.5001, 0.9999, t->confidence);
	GET_DBL("ORCH_STRATEGY_DISABLE_WIN_RATE", t->disable_win_rate, 0.001, 0.999, t->disable_win_rate);
	GET_DBL("ORCH_STRATEGY_ENABLE_WIN_RATE", t->enable_win_rate, 0.001, 0.999, t->enable_win_rate);
	GET_DBL("ORCH_STRATEGY_DISABLE_DRAWDOWN", t->disable_drawdown, 0.001, 1, t->disable_drawdown);
	GET_DBL("ORCH_STRATEGY_ENABLE_DRAWDOWN", t->enable_drawdown, 0.001, 1, t->enable_drawdown);
	GET_INT("ORCH_STRATEGY_DISABLE_LOSSES", t->disable_losses, 1, 1000000, t->disable_losses, 1);
	GET_DBL("ORCH_STRATEGY_DISABLE_ACCURACY", t->disable_accuracy, 0.001, 0.999, t->disable_accuracy);
	GET_DBL("ORCH_STRATEGY_ENABLE_ACCURACY", t->enable_accuracy, 0.001, 0.999, t->enable_accuracy);
	GET_DBL("ORCH_STRATEGY_FALLBACK_MAX_CORR", t->max_fallback_corr, -1, 1, t->max_fallback_corr);
	GET_INT("ORCH_STRATEGY_CORR_PERIOD_S", t->corr_period_ms / 1000, 1, 30 * 86400, t->corr_period_ms, 1000);
	GET_INT("ORCH_STRATEGY_QUIET_S", t->quiet_ms / 1000, 0, 30 * 86400, t->quiet_ms, 1000);
	GET_INT("ORCH_STRATEGY_STALE_S", t->stale_ms / 1000, 1, 365 * 86400, t->stale_ms, 1000);
#undef GET_INT
#undef GET_DBL
	char why[128];
	if (strat_thresholds_validate(t, why, sizeof(why)) != 0) {
		snprintf(err, errlen,
			 "ORCH_STRATEGY_DISABLE_* / ORCH_STRATEGY_ENABLE_*: %s (each enable threshold must be "
			 "stricter than its disable threshold)",
			 why);
		return ORCH_EINVAL;
	}
	return 0;
}

/* ---- publishing and the PolicyStore ---- */

static void sync_policy(struct so *s);

static void retry_cb(uv_timer_t *t)
{
	sync_policy(t->data);
}

static void policy_written(int status, int64_t new_version, int64_t current_version, void *data)
{
	struct so *s = data;
	s->writing = 0;
	json_t *sent = s->sent_disabled;
	s->sent_disabled = NULL;
	if (status == 0) {
		metrics_inc(s->m_policy_writes);
		log_info("strategy_officer: disabled set stored in policy version %lld", (long long)new_version);
		/* a newer set waits for the cache to hold this version */
		if (json_equal(sent, s->want_disabled))
			s->dirty = 0;
		json_decref(sent);
		return;
	}
	json_decref(sent);
	/* a concurrent writer got there first: merge into its document once
	 * the cache has it, never overwrite it */
	if (status == ORCH_ECONFLICT)
		metrics_inc(s->m_policy_conflicts);
	log_warn("strategy_officer: disabled set not stored (%s, policy at version %lld); retrying",
		 orch_strerror(status), (long long)current_version);
	uv_timer_start(&s->retry, retry_cb, status == ORCH_ECONFLICT ? 100 : 1000, 0);
}

/* An absent list in the document is the empty list. */
static int same_list(const json_t *stored, const json_t *want)
{
	return stored ? json_equal(stored, want) : json_array_size(want) == 0;
}

/* Stores want_disabled unless the document already holds it. */
static void sync_policy(struct so *s)
{
	if (s->writing || !s->dirty || !s->want_disabled)
		return;
	int64_t version;
	const json_t *cur = policy_current(s->policy, &version);
	if (!cur || policy_is_stale(s->policy)) {
		uv_timer_start(&s->retry, retry_cb, 1000, 0);
		return;
	}
	json_t *ws = json_object_get(s->want_disabled, "strategies"), *wm = json_object_get(s->want_disabled, "models");
	if (same_list(json_object_get(cur, "disabled_strategies"), ws) &&
	    same_list(json_object_get(cur, "disabled_models"), wm)) {
		s->dirty = 0;
		return;
	}
	json_t *doc = json_deep_copy(cur);
	if (!doc) {
		uv_timer_start(&s->retry, retry_cb, 1000, 0);
		return;
	}
	json_object_set(doc, "disabled_strategies", ws);
	json_object_set(doc, "disabled_models", wm);
	int rc = policy_cas(s->policy, doc, version, 0, "ai_so", NULL, policy_written, s);
	json_decref(doc);
	if (rc == 0) {
		s->writing = 1;
		s->sent_disabled = json_incref(s->want_disabled);
	} else {
		uv_timer_start(&s->retry, retry_cb, 1000, 0);
	}
}

/* ---- evaluation ---- */

static void evaluate(struct so *s)
{
	int64_t t0 = clock_mono_ns();
	struct strat_result res;
	int64_t now = clock_now_ms();
	s->last_eval_mono = clock_mono_ms();
	uv_timer_stop(&s->soon);
	if (strat_brain_evaluate(s->book, &s->th, now, &res) != 0) {
		log_error("strategy_officer: evaluation failed (out of memory)");
		return;
	}
	struct strat_report_ctx c = {.res = &res, .th = &s->th, .mode = s->mode, .regime = strat_book_regime(s->book),
				     .now_ms = now, .window_count = s->cfg.book.window_count,
				     .window_age_ms = s->cfg.book.window_age_ms, .top = (size_t)s->cfg.top};
	for (size_t i = 0; i < res.n_changes; i++) {
		const struct strat_change *ch = &res.changes[i];
		log_warn("strategy_officer: %s %s %s: %s (value %.4g, threshold %.4g)", ch->model ? "model" : "strategy",
			 ch->unit->name,
			 ch->kind == STRAT_CH_DISABLED	   ? "disabled"
			 : ch->kind == STRAT_CH_ENABLED	   ? "re-enabled"
			 : ch->kind == STRAT_CH_DEGRADED ? "degraded"
							 : "recovered",
			 ch->reason, ch->evidence, ch->threshold);
	}
	if (res.n_changes)
		bus_publish_new(s->bus, "strategy_alert", strat_report_alert(&c));
	json_t *key = strat_report_key(&c);
	if (key && (!s->last_key || !json_equal(key, s->last_key))) {
		bus_publish_new(s->bus, "strategy_recommendation", strat_report_recommendation(&c));
		metrics_inc(s->m_rec_changes);
		json_decref(s->last_key);
		s->last_key = json_incref(key);
	}
	bus_publish_new(s->bus, "strategy_state_update", strat_report_state(&c));
	json_t *want = json_incref(json_object_get(key, "disabled"));
	json_decref(key);
	if (want && (!s->want_disabled || !json_equal(want, s->want_disabled))) {
		json_decref(s->want_disabled);
		s->want_disabled = json_incref(want);
		s->dirty = 1;
		sync_policy(s);
	}
	json_decref(want);
	metrics_set(s->m_tracked, (double)res.n);
	metrics_set(s->m_eligible, (double)res.n_eligible);
	metrics_set(s->m_disabled, (double)res.n_disabled);
	strat_result_clear(&res);
	metrics_observe(s->m_eval, (double)(clock_mono_ns() - t0) / 1e9);
}

static void eval_cb(uv_timer_t *t)
{
	evaluate(t->data);
}

static void schedule(struct so *s)
{
	int64_t since = clock_mono_ms() - s->last_eval_mono;
	if (since >= s->cfg.publish_min_ms)
		evaluate(s);
	else if (!uv_is_active((uv_handle_t *)&s->soon))
		uv_timer_start(&s->soon, eval_cb, (uint64_t)(s->cfg.publish_min_ms - since), 0);
}

/* ---- inputs ---- */

static int apply_event(struct so *s, const struct bus_event *ev, struct strat_input *in, char *why, size_t len)
{
	int rc = strat_input_parse(ev->event_type, ev->payload, ev->time_us / 1000, in, why, len);
	if (rc == 0)
		rc = strat_book_apply(s->book, in, why, len);
	if (rc == 0) {
		clock_observe_ms(in->t_ms);
		metrics_inc(s->m_inputs[in->kind]);
	}
	return rc;
}

static int on_input(struct bus_delivery *d, const struct bus_event *ev, void *data)
{
	struct so_input *si = data;
	struct so *s = si->s;
	struct strat_input in;
	char why[256];
	int rc;
	if (replica_covered(s->replica, si->index, ev->stream_id)) {
		/* the rebuild applied it; a malformed one still goes to the DLQ */
		rc = strat_input_parse(ev->event_type, ev->payload, ev->time_us / 1000, &in, why, sizeof(why));
		if (rc == 0)
			return 0;
	} else {
		rc = apply_event(s, ev, &in, why, sizeof(why));
	}
	if (rc == ORCH_EMALFORMED) {
		metrics_inc(s->m_malformed);
		bus_delivery_reason(d, "%s", why);
		return rc;
	}
	if (rc != 0)
		return rc;
	schedule(s);
	return 0;
}

static void replay_event(const struct bus_event *ev, void *data)
{
	struct so *s = data;
	struct strat_input in;
	char why[256];
	if (apply_event(s, ev, &in, why, sizeof(why)) != 0)
		log_debug("strategy_officer: rebuild skips %s %s: %s", ev->event_type, ev->stream_id, why);
}

static void on_active(void *data)
{
	struct so *s = data;
	uv_timer_start(&s->cycle, eval_cb, (uint64_t)s->cfg.interval_ms, (uint64_t)s->cfg.interval_ms);
	evaluate(s);
}

/* The operating mode (the CEO's operating_mode; else the original's
 * active_mode, where DEFENSIVE is DEFENSIVE and the rest GROWTH) and
 * optional threshold overrides under strategy_thresholds. */
static void on_policy(const json_t *doc, int64_t version, void *data)
{
	struct so *s = data;
	const char *mode = json_util_get_str(doc, "operating_mode");
	const char *risk_mode = json_util_get_str(doc, "active_mode");
	if (!mode)
		mode = risk_mode && strcmp(risk_mode, "DEFENSIVE") == 0 ? "DEFENSIVE" : "GROWTH";
	struct strat_thresholds t = s->cfg.base;
	const json_t *o = json_object_get(doc, "strategy_thresholds");
	double v;
	int64_t iv;
	if (json_util_get_int64(o, "min_trades", &iv) == 0)
		t.min_trades = (long)iv;
	if (json_util_get_double(o, "disable_win_rate", &v) == 0)
		t.disable_win_rate = v;
	if (json_util_get_double(o, "enable_win_rate", &v) == 0)
		t.enable_win_rate = v;
	if (json_util_get_double(o, "disable_drawdown", &v) == 0)
		t.disable_drawdown = v;
	if (json_util_get_double(o, "enable_drawdown", &v) == 0)
		t.enable_drawdown = v;
	if (json_util_get_int64(o, "disable_losses", &iv) == 0)
		t.disable_losses = (long)iv;
	strat_thresholds_for_mode(&t, mode);
	char err[128];
	if (strat_thresholds_validate(&t, err, sizeof(err)) != 0) {
		log_error("strategy_officer: policy version %lld gives unusable thresholds (%s); keeping the previous",
			  (long long)version, err);
	} else {
		s->th = t;
		snprintf(s->mode, sizeof(s->mode), "%s", mode);
	}
	if (json_util_get_int64(doc, "ai_so_evaluation_interval", &iv) == 0 && iv >= 1 && iv <= 86400 &&
	    iv * 1000 != s->cfg.interval_ms) {
		s->cfg.interval_ms = iv * 1000;
		if (replica_is_active(s->replica))
			uv_timer_start(&s->cycle, eval_cb, (uint64_t)s->cfg.interval_ms, (uint64_t)s->cfg.interval_ms);
	}
	sync_policy(s);
}

/* ---- lifecycle ---- */

static void register_metrics(struct so *s)
{
	static const double lat[] = {1e-5, 1e-4, 1e-3, 5e-3, 2e-2, 5e-2, 0.2, 1};
	static const char *kinds[] = {NULL, "trade", "decision", "regime"};
	s->m_tracked = metrics_gauge("orch_strategy_tracked", NULL, "Strategies with trades in their window");
	s->m_eligible = metrics_gauge("orch_strategy_eligible", NULL, "Strategies eligible to be primary");
	s->m_disabled = metrics_gauge("orch_strategy_disabled", NULL, "Strategies disabled");
	s->m_rec_changes = metrics_counter("orch_strategy_recommendation_changes_total", NULL,
					   "strategy_recommendation events (the recommendation changed)");
	for (int k = 1; k <= 3; k++) {
		char labels[48];
		snprintf(labels, sizeof(labels), "kind=\"%s\"", kinds[k]);
		s->m_inputs[k] = metrics_counter("orch_strategy_inputs_total", labels, "Inputs applied");
	}
	s->m_malformed = metrics_counter("orch_strategy_malformed_total", NULL, "Inputs dead-lettered as malformed");
	s->m_eval = metrics_histogram("orch_strategy_evaluate_seconds", NULL,
				      "One evaluation: scores, ranking, decisions, payloads", lat, 8);
	s->m_policy_writes = metrics_counter("orch_strategy_policy_writes_total", NULL,
					     "Disabled sets stored in the PolicyStore");
	s->m_policy_conflicts = metrics_counter("orch_strategy_policy_conflicts_total", NULL,
						"Disabled-set writes that lost a compare-and-set and were retried");
}

static void bus_stopped(void *data)
{
	struct so *s = data;
	bus_close(s->bus);
	s->lost = replica_lost(s->replica);
	replica_close(s->replica);
	policy_close(s->policy);
	uv_close((uv_handle_t *)&s->cycle, NULL);
	uv_close((uv_handle_t *)&s->soon, NULL);
	uv_close((uv_handle_t *)&s->retry, NULL);
	service_stop_done(&s->svc);
}

static void on_shutdown(void *data)
{
	struct so *s = data;
	uv_timer_stop(&s->cycle);
	uv_timer_stop(&s->soon);
	uv_timer_stop(&s->retry);
	replica_stop(s->replica);
	bus_stop(s->bus, 5000, bus_stopped, s);
}

int main(void)
{
	static struct so s;
	char err[512];
	int rc = service_init(&s.svc, "strategy_officer", DEFAULT_ADMIN_PORT);
	if (rc != 0)
		return 2;
	if (load_config(&s.cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "strategy_officer: configuration error: %s\n", err);
		service_close(&s.svc);
		return 2;
	}
	s.th = s.cfg.base;
	snprintf(s.mode, sizeof(s.mode), "GROWTH");
	register_metrics(&s);
	struct bus_config bc;
	service_bus_config(&s.svc, "strategy_officer", &bc);
	struct policy_config pc = {.prefix = s.svc.cfg.prefix, .writer = "ai_so",
				   .snapshot_path = s.svc.cfg.policy_snapshot};
	const char *types[MAX_INPUTS];
	for (int i = 0; i < s.cfg.n_inputs; i++)
		types[i] = s.cfg.inputs[i];
	struct replica_config rcfg = {.role = "strategy_officer", .types = types, .n_types = s.cfg.n_inputs,
				      .rebuild_max = s.cfg.rebuild_max, .rebuild_age_ms = s.cfg.book.window_age_ms};
	struct replica_hooks hooks = {.on_replay = replay_event, .on_active = on_active, .data = &s};
	if ((rc = strat_book_new(&s.book, &s.cfg.book)) != 0 ||
	    (rc = bus_new(&s.bus, s.svc.loop, &bc, &s.svc.cfg.redis)) != 0 ||
	    (rc = policy_new(&s.policy, s.svc.loop, &pc, &s.svc.cfg.redis)) != 0 ||
	    (rc = replica_new(&s.replica, &s.svc, s.bus, &rcfg, &hooks)) != 0)
		goto out;
	/* state updates carry the ranking (tens of kB): keep fewer of them */
	if ((rc = bus_set_maxlen(s.bus, "strategy_state_update", 1000)) != 0)
		goto out;
	for (int i = 0; i < s.cfg.n_inputs; i++) {
		s.in[i] = (struct so_input){.s = &s, .index = i};
		if ((rc = bus_subscribe(s.bus, s.cfg.inputs[i], on_input, &s.in[i])) != 0)
			goto out;
	}
	policy_on_change(s.policy, on_policy, &s);
	service_add_check(&s.svc, "replica", replica_check_ready, s.replica);
	service_add_check(&s.svc, "policy", policy_check_ready, s.policy);
	service_on_shutdown(&s.svc, on_shutdown, &s);
	uv_timer_init(s.svc.loop, &s.cycle);
	uv_timer_init(s.svc.loop, &s.soon);
	uv_timer_init(s.svc.loop, &s.retry);
	s.cycle.data = s.soon.data = s.retry.data = &s;
	if ((rc = policy_start(s.policy)) != 0 || (rc = replica_start(s.replica)) != 0)
		goto out;
	log_info("strategy_officer: reading %d input types, evaluating every %lld s once active", s.cfg.n_inputs,
		 (long long)(s.cfg.interval_ms / 1000));
	rc = service_run(&s.svc);
	s.bus = NULL;
	s.policy = NULL;
	s.replica = NULL;
out:
	if (rc != 0)
		log_error("strategy_officer: cannot start: %s", orch_strerror(rc));
	if (s.bus)
		bus_close(s.bus);
	if (s.replica)
		replica_close(s.replica);
	if (s.policy)
		policy_close(s.policy);
	strat_book_free(s.book);
	json_decref(s.last_key);
	json_decref(s.want_disabled);
	json_decref(s.sent_disabled);
	service_close(&s.svc);
	if (rc == 0 && s.lost)
		return 3;
	return rc == 0 ? 0 : 1;
}
