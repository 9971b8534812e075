/*
 * strategy_officer_service.c - the Strategy Officer's glue (see
 * strategy_officer_service.h): EventBus subscriptions to trades, decisions
 * and regimes, the PolicyStore for the operating mode (which tightens the
 * thresholds) and for the disabled set (strategy_policy.c), the book
 * (strategy_book.c), the brain (strategy_brain.c) and the payloads
 * (strategy_report.c).
 *
 * Inputs update the book; an evaluation follows within
 * ORCH_STRATEGY_PUBLISH_MIN_MS (bursts coalesce into one) and every
 * ORCH_STRATEGY_INTERVAL_S regardless. Each evaluation publishes
 * strategy_state_update; strategy_recommendation only when what it
 * recommends changed; strategy_alert for each disable, re-enable or model
 * degradation. The disabled strategies and models are written to the
 * PolicyStore (disabled_strategies, disabled_models) by the policy writer
 * (compare-and-set only: a conflict with a concurrent writer, the CEO, is
 * retried on the newer document, never overwritten). One replica is active (replica.h).
 */
#include "strategy_officer_service.h"

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
#include "policy_writer.h"
#include "replica.h"
#include "strategy_book.h"
#include "strategy_brain.h"
#include "strategy_policy.h"
#include "strategy_report.h"
#include "trade.h"

struct strategy_officer_service;

struct so_input {
	struct strategy_officer_service *s;
	int index;
};

struct strategy_officer_service {
	struct service *svc;
	struct strategy_officer_config cfg;
	struct bus *bus;
	struct policy *policy;
	struct policy_writer *writer;
	struct replica *replica;
	struct so_input in[STRATEGY_OFFICER_MAX_INPUTS];
	struct strat_book *book;
	struct strat_thresholds th;
	char mode[32];
	json_t *last_key;      /* the last published recommendation's key */
	json_t *want_disabled; /* {"strategies": [...], "models": [...]} to store */
	uv_timer_t cycle, soon;
	int64_t last_eval_mono;
	struct metric *m_tracked, *m_eligible, *m_disabled, *m_rec_changes, *m_inputs[4], *m_malformed, *m_eval,
		*m_policy_writes, *m_policy_conflicts;
};

/* ---- the PolicyStore ---- */

/* The policy writer's build: the current document with want_disabled, or
 * NULL when it holds that set already. */
static int build_doc(const json_t *cur, json_t **doc, void *data)
{
	struct strategy_officer_service *s = data;
	*doc = NULL;
	if (!replica_is_active(s->replica))
		return ORCH_EAGAIN; /* a standby's disabled set is not the one in force */
	if (!s->want_disabled || strat_policy_holds_disabled(cur, s->want_disabled))
		return 0;
	*doc = strat_policy_with_disabled(cur, s->want_disabled);
	return *doc ? 0 : ORCH_ENOMEM;
}

static void policy_done(int status, int written, int64_t version, void *data)
{
	struct strategy_officer_service *s = data;
	if (status == 0) {
		if (written) {
			metrics_inc(s->m_policy_writes);
			log_info("strategy_officer: disabled set stored in policy version %lld", (long long)version);
		}
		return;
	}
	if (status == ORCH_ECONFLICT)
		metrics_inc(s->m_policy_conflicts);
	if (policy_writer_failures(s->writer) == 1) /* the first of a run; the writer retries */
		log_warn("strategy_officer: disabled set not stored (%s, policy at version %lld); retrying",
			 orch_strerror(status),
			 (long long)version);
}

static void sync_policy(struct strategy_officer_service *s)
{
	policy_writer_request(s->writer, 0);
}

/* ---- evaluation ---- */

static void evaluate(struct strategy_officer_service *s)
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
	struct strat_report_ctx c = {.res = &res,
				     .th = &s->th,
				     .mode = s->mode,
				     .regime = strat_book_regime(s->book),
				     .now_ms = now,
				     .window_count = s->cfg.book.window_count,
				     .window_age_ms = s->cfg.book.window_age_ms,
				     .top = (size_t)s->cfg.top};
	for (size_t i = 0; i < res.n_changes; i++) {
		const struct strat_change *ch = &res.changes[i];
		log_warn("strategy_officer: %s %s %s: %s (value %.4g, threshold %.4g)",
			 ch->model ? "model" : "strategy",
			 ch->unit->name,
			 ch->kind == STRAT_CH_DISABLED   ? "disabled"
			 : ch->kind == STRAT_CH_ENABLED  ? "re-enabled"
			 : ch->kind == STRAT_CH_DEGRADED ? "degraded"
							 : "recovered",
			 ch->reason,
			 ch->evidence,
			 ch->threshold);
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
	json_t *state = strat_report_state(&c);
	/* the interval it runs at, which the Federation's status reports */
	json_object_set_new(state, "analysis_interval_s", json_integer(s->cfg.interval_ms / 1000));
	bus_publish_new(s->bus, "strategy_state_update", state);
	json_t *want = json_incref(json_object_get(key, "disabled"));
	json_decref(key);
	if (want && (!s->want_disabled || !json_equal(want, s->want_disabled))) {
		json_decref(s->want_disabled);
		s->want_disabled = json_incref(want);
		sync_policy(s);
	}
	json_decref(want);
	metrics_set(s->m_tracked, (double)res.n);
	metrics_set(s->m_eligible, (double)res.n_eligible);
	metrics_set(s->m_disabled, (double)res.n_disabled);
	strat_result_release(&res);
	metrics_observe(s->m_eval, (double)(clock_mono_ns() - t0) / 1e9);
}

static void eval_cb(uv_timer_t *t)
{
	evaluate(t->data);
}

static void schedule(struct strategy_officer_service *s)
{
	int64_t since = clock_mono_ms() - s->last_eval_mono;
	if (since >= s->cfg.publish_min_ms)
		evaluate(s);
	else if (!uv_is_active((uv_handle_t *)&s->soon))
		uv_timer_start(&s->soon, eval_cb, (uint64_t)(s->cfg.publish_min_ms - since), 0);
}

/* ---- inputs ---- */

static int apply_event(struct strategy_officer_service *s, const struct bus_event *ev, struct strat_input *in,
		       char *why, size_t len)
{
	int rc = strat_input_parse(ev->event_type, ev->payload, ev->time_us / 1000, in, why, len);
	if (rc == 0)
		rc = strat_book_apply(s->book, in, clock_now_ms(), why, len);
	if (rc == 0) {
		clock_observe_ms(in->t_ms);
		metrics_inc(s->m_inputs[in->kind]);
	}
	return rc;
}

static int on_input(struct bus_delivery *d, const struct bus_event *ev, void *data)
{
	struct so_input *si = data;
	struct strategy_officer_service *s = si->s;
	struct strat_input in;
	char why[256];
	int rc;
	if (replica_covered(s->replica, si->index, ev->stream_id)) {
		/* the rebuild applied it; a malformed one (or one the book refused
		 * as older than the window) still goes to the DLQ */
		rc = strat_input_parse(ev->event_type, ev->payload, ev->time_us / 1000, &in, why, sizeof(why));
		if (rc == 0)
			rc = trade_check_age(in.t_ms, clock_now_ms(), s->cfg.book.window_age_ms, why, sizeof(why));
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
	struct strategy_officer_service *s = data;
	struct strat_input in;
	char why[256];
	if (apply_event(s, ev, &in, why, sizeof(why)) != 0)
		log_debug("strategy_officer: rebuild skips %s %s: %s", ev->event_type, ev->stream_id, why);
}

/* Stepped down: the windows are the next active replica's now; taking
 * over again rebuilds them from the streams. */
static void on_standby(void *data)
{
	struct strategy_officer_service *s = data;
	struct strat_book *fresh;
	uv_timer_stop(&s->cycle);
	uv_timer_stop(&s->soon);
	if (strat_book_new(&fresh, &s->cfg.book) != 0) {
		log_error(
			"strategy_officer: out of memory for empty windows; a later rebuild counts the old ones twice");
		return;
	}
	strat_book_free(s->book);
	s->book = fresh;
	json_decref(s->last_key);
	s->last_key = NULL;
}

static void on_active(void *data)
{
	struct strategy_officer_service *s = data;
	uv_timer_start(&s->cycle, eval_cb, (uint64_t)s->cfg.interval_ms, (uint64_t)s->cfg.interval_ms);
	evaluate(s);
}

/* The operating mode and the thresholds for it (strat_policy_thresholds). */
static void on_policy(const json_t *doc, int64_t version, void *data)
{
	struct strategy_officer_service *s = data;
	struct strat_thresholds t;
	char mode[32], err[128];
	int64_t iv;
	if (strat_policy_thresholds(&s->cfg.base, doc, &t, mode, sizeof(mode), err, sizeof(err)) != 0) {
		log_error("strategy_officer: policy version %lld gives unusable thresholds (%s); keeping the previous",
			  (long long)version,
			  err);
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

static void register_metrics(struct strategy_officer_service *s)
{
	static const double lat[] = {1e-5, 1e-4, 1e-3, 5e-3, 2e-2, 5e-2, 0.2, 1};
	static const char *kinds[] = {NULL, "trade", "decision", "regime"};
	s->m_tracked = metrics_gauge("orch_strategy_tracked", NULL, "Strategies with trades in their window");
	s->m_eligible = metrics_gauge("orch_strategy_eligible", NULL, "Strategies eligible to be primary");
	s->m_disabled = metrics_gauge("orch_strategy_disabled", NULL, "Strategies disabled");
	s->m_rec_changes = metrics_counter("orch_strategy_recommendation_changes_total",
					   NULL,
					   "strategy_recommendation events (the recommendation changed)");
	for (int k = 1; k <= 3; k++) {
		char labels[48];
		snprintf(labels, sizeof(labels), "kind=\"%s\"", kinds[k]);
		s->m_inputs[k] = metrics_counter("orch_strategy_inputs_total", labels, "Inputs applied");
	}
	s->m_malformed = metrics_counter("orch_strategy_malformed_total", NULL, "Inputs dead-lettered as malformed");
	s->m_eval = metrics_histogram(
		"orch_strategy_evaluate_seconds", NULL, "One evaluation: scores, ranking, decisions, payloads", lat, 8);
	s->m_policy_writes =
		metrics_counter("orch_strategy_policy_writes_total", NULL, "Disabled sets stored in the PolicyStore");
	s->m_policy_conflicts = metrics_counter("orch_strategy_policy_conflicts_total",
						NULL,
						"Disabled-set writes that lost a compare-and-set and were retried");
}

/* Closes what the service holds; the loop finishes the closing. */
static void teardown(void *data)
{
	struct strategy_officer_service *s = data;
	uv_timer_stop(&s->cycle);
	uv_timer_stop(&s->soon);
	policy_writer_free(s->writer);
	bus_free(s->bus);
	replica_free(s->replica);
	policy_free(s->policy);
	uv_close((uv_handle_t *)&s->cycle, NULL);
	uv_close((uv_handle_t *)&s->soon, NULL);
}

static void quiesce(void *data)
{
	struct strategy_officer_service *s = data;
	uv_timer_stop(&s->cycle);
	uv_timer_stop(&s->soon);
	replica_stop(s->replica);
}

int strategy_officer_service_new(struct strategy_officer_service **out, struct service *svc,
				 const struct strategy_officer_config *cfg)
{
	struct strategy_officer_service *s = calloc(1, sizeof(*s));
	if (!s)
		return ORCH_ENOMEM;
	s->svc = svc;
	s->cfg = *cfg;
	s->th = cfg->base;
	snprintf(s->mode, sizeof(s->mode), "GROWTH");
	uv_timer_init(svc->loop, &s->cycle);
	uv_timer_init(svc->loop, &s->soon);
	s->cycle.data = s->soon.data = s;
	service_attach(svc,
		       &(struct service_part){.quiesce = quiesce, .teardown = teardown, .bus = &s->bus, .data = s});
	register_metrics(s);
	struct bus_config bc;
	service_bus_config(svc, "strategy_officer", &bc);
	struct policy_config pc;
	service_policy_config(svc, "ai_so", &pc);
	struct policy_writer_config wc = {
		.updated_by = "ai_so", .conflict_min_ms = 100, .conflict_max_ms = 5000, .retry_ms = 1000};
	const char *types[STRATEGY_OFFICER_MAX_INPUTS];
	for (int i = 0; i < s->cfg.n_inputs; i++)
		types[i] = s->cfg.inputs[i];
	struct replica_config rcfg = {.role = "strategy_officer",
				      .types = types,
				      .n_types = s->cfg.n_inputs,
				      .rebuild_max = s->cfg.rebuild_max,
				      .rebuild_age_ms = s->cfg.book.window_age_ms};
	struct replica_hooks hooks = {
		.on_replay = replay_event, .on_active = on_active, .on_standby = on_standby, .data = s};
	int rc;
	if ((rc = strat_book_new(&s->book, &s->cfg.book)) != 0 ||
	    (rc = bus_new(&s->bus, svc->loop, &bc, &svc->cfg.redis)) != 0 ||
	    (rc = policy_new(&s->policy, svc->loop, &pc, &svc->cfg.redis)) != 0 ||
	    (rc = policy_writer_new(&s->writer, svc->loop, s->policy, &wc, build_doc, policy_done, s)) != 0 ||
	    (rc = replica_new(&s->replica, svc, s->bus, &rcfg, &hooks)) != 0)
		goto fail;
	/* state updates carry the ranking (tens of kB): keep fewer of them */
	if ((rc = bus_set_maxlen(s->bus, "strategy_state_update", 1000)) != 0)
		goto fail;
	for (int i = 0; i < s->cfg.n_inputs; i++) {
		s->in[i] = (struct so_input){.s = s, .index = i};
		if ((rc = bus_subscribe(s->bus, s->cfg.inputs[i], on_input, &s->in[i])) != 0)
			goto fail;
	}
	policy_on_change(s->policy, on_policy, s);
	service_add_check(svc, "replica", replica_check_ready, s->replica);
	service_add_check(svc, "policy", policy_check_ready, s->policy);
	*out = s;
	return 0;
fail:
	strategy_officer_service_free(s);
	return rc;
}

int strategy_officer_service_start(struct strategy_officer_service *s)
{
	int rc;
	if ((rc = policy_start(s->policy)) != 0 || (rc = replica_start(s->replica)) != 0)
		return rc;
	log_info("strategy_officer: reading %d input types, evaluating every %lld s once active",
		 s->cfg.n_inputs,
		 (long long)(s->cfg.interval_ms / 1000));
	return 0;
}

void strategy_officer_service_free(struct strategy_officer_service *s)
{
	if (!s)
		return;
	service_detach(s->svc);
	strat_book_free(s->book);
	json_decref(s->last_key);
	json_decref(s->want_disabled);
	free(s);
}
