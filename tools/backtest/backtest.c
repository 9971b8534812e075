/*
 * backtest.c - the layer in one process over a CSV of daily closes (see
 * backtest.h). Each service keeps its own event clock, as each process
 * does: the highest event time it has seen.
 */
#include "backtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus_envelope.h"
#include "ceo_brain.h"
#include "ceo_inputs.h"
#include "ceo_report.h"
#include "orch.h"
#include "policy.h"
#include "replay_feed.h"
#include "replay_policy.h"
#include "risk_cycle.h"
#include "strategy_policy.h"
#include "strategy_report.h"

#define INITIAL_EQUITY 1000000.0

struct engine {
	const struct backtest_config *c;
	json_t *doc; /* the PolicyStore document */
	/* Risk Officer */
	struct risk_book *rbook;
	struct risk_cycle rc;
	int64_t ro_now;
	int ro_trades, ro_snapshots; /* trade.closed, snapshots among its inputs */
	/* Strategy Officer */
	struct strat_book *sbook;
	struct strat_thresholds th;
	char so_mode[32];
	json_t *want_disabled;
	int64_t so_now;
	int so_trades;
	/* CEO */
	struct ceo_inputs in;
	struct ceo_brain brain;
	int brain_ready;
	int64_t ceo_now;
	json_t *switches;
	long dead_letters; /* what a service would have dead-lettered */
};

static int64_t later(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static int has_input(const char (*list)[CONFIG_LIST_ITEM], int n, const char *type)
{
	for (int i = 0; i < n; i++)
		if (strcmp(list[i], type) == 0)
			return 1;
	return 0;
}

/* A new document (stolen) is stored: what the services read of it. */
static void set_doc(struct engine *e, json_t *doc)
{
	json_decref(e->doc);
	e->doc = doc;
	struct risk_limits l;
	struct strat_thresholds t;
	char mode[32], err[128];
	if (risk_cycle_limits_from_policy(&e->c->risk.env, doc, &l, err, sizeof(err)) == 0)
		e->rc.limits = l;
	if (strat_policy_thresholds(&e->c->strat.base, doc, &t, mode, sizeof(mode), err, sizeof(err)) == 0) {
		e->th = t;
		snprintf(e->so_mode, sizeof(e->so_mode), "%s", mode);
	}
}

/* The CEO consumes one event (payload stolen) published at t_ms; what it
 * would dead-letter (or what could not be built) is counted. */
static void ceo_take(struct engine *e, enum ceo_event kind, json_t *payload, int64_t t_ms)
{
	char why[256];
	int critical;
	e->ceo_now = later(e->ceo_now, t_ms);
	if (!payload || ceo_inputs_apply(&e->in, kind, payload, e->ceo_now, &critical, why, sizeof(why)) != 0)
		e->dead_letters++;
	json_decref(payload);
}

/* The Risk Officer's turn after an input: assess, then publish. */
static void ro_turn(struct engine *e)
{
	struct risk_assessment a;
	struct risk_alert changes[RISK_A_COUNT];
	int n;
	risk_cycle_assess(&e->rc, e->ro_now, &a, changes, &n);
	if (risk_cycle_raised(changes, n))
		ceo_take(e, CEO_EV_RISK_ALERT, risk_report_alert(&a, changes, n), e->ro_now);
	ceo_take(e, CEO_EV_RISK_STATE, risk_report_state(&a, NULL), e->ro_now);
	if (risk_cycle_ceilings_due(&e->rc, &a))
		ceo_take(e, CEO_EV_CEILING, risk_cycle_ceiling_payload(&a), e->ro_now);
}

/* The Strategy Officer's evaluation: state to the CEO, the disabled set
 * into the document when it changed. */
static int so_turn(struct engine *e)
{
	struct strat_result res;
	if (strat_brain_evaluate(e->sbook, &e->th, e->so_now, &res) != 0)
		return ORCH_ENOMEM;
	const struct strategy_officer_config *sc = &e->c->strat;
	struct strat_report_ctx ctx = {.res = &res,
				       .th = &e->th,
				       .mode = e->so_mode,
				       .regime = strat_book_regime(e->sbook),
				       .now_ms = e->so_now,
				       .window_count = sc->book.window_count,
				       .window_age_ms = sc->book.window_age_ms,
				       .top = (size_t)sc->top};
	ceo_take(e, CEO_EV_STRATEGY, strat_report_state(&ctx), e->so_now);
	json_t *key = strat_report_key(&ctx);
	json_t *want = json_object_get(key, "disabled");
	int rc = 0;
	if (want && (!e->want_disabled || !json_equal(want, e->want_disabled))) {
		json_decref(e->want_disabled);
		e->want_disabled = json_incref(want);
		if (!strat_policy_holds_disabled(e->doc, want)) {
			json_t *doc = strat_policy_with_disabled(e->doc, want);
			if (doc)
				set_doc(e, doc);
			else
				rc = ORCH_ENOMEM;
		}
	}
	json_decref(key);
	strat_result_release(&res);
	return rc;
}

/* One stream entry reaches the Risk Officer and the Strategy Officer. */
static int deliver(struct engine *e, const struct replay_entry *en)
{
	struct bus_event ev;
	char why[256];
	int trade = strcmp(en->type, "trade.closed") == 0;
	int rc = bus_envelope_decode(&ev, en->type, "0-0", (size_t)en->nfields, en->kv, en->lens, why, sizeof(why));
	if (rc != 0) {
		e->dead_letters++;
		return rc == ORCH_ENOMEM ? rc : 0;
	}
	int64_t t_ms = ev.time_us / 1000;
	int ro = 0, so = 0;
	if (trade ? e->ro_trades : e->ro_snapshots) {
		struct risk_input in;
		if ((ro = risk_input_parse(ev.event_type, ev.payload, t_ms, &in, why, sizeof(why))) == 0 &&
		    (ro = risk_book_apply(e->rbook, &in, later(e->ro_now, t_ms), why, sizeof(why))) == 0) {
			e->ro_now = later(later(e->ro_now, t_ms), in.t_ms);
			ro_turn(e);
		}
	}
	if (trade && e->so_trades) {
		struct strat_input in;
		if ((so = strat_input_parse(ev.event_type, ev.payload, t_ms, &in, why, sizeof(why))) == 0 &&
		    (so = strat_book_apply(e->sbook, &in, later(e->so_now, t_ms), why, sizeof(why))) == 0) {
			e->so_now = later(later(e->so_now, t_ms), in.t_ms);
			so = so_turn(e);
		}
	}
	e->dead_letters += (ro != 0 && ro != ORCH_ENOMEM) + (so != 0 && so != ORCH_ENOMEM);
	bus_event_release(&ev);
	return ro == ORCH_ENOMEM || so == ORCH_ENOMEM ? ORCH_ENOMEM : 0;
}

/* The CEO decides (on taking the lease, or on the feeder's force_decision)
 * and writes its mode and limits when the document lacks them. */
static int ceo_decide(struct engine *e)
{
	const struct ceo_brain_config *bc = &e->c->ceo.brain;
	if (!e->brain_ready) {
		ceo_brain_init(&e->brain, ceo_report_start_mode(e->doc), e->ceo_now);
		e->brain_ready = 1;
	}
	struct ceo_decision d;
	enum ceo_mode before = e->brain.mode;
	ceo_brain_decide(&e->brain, bc, &e->in, e->ceo_now, &d);
	struct ceo_limits l;
	ceo_brain_limits(bc, e->brain.mode, &e->in, &l, NULL);
	int changed = 0;
	json_t *doc = ceo_report_policy_doc(
		e->doc, e->brain.mode, &l, d.changed ? d.reason : "effective limits", 0, e->ceo_now, &changed);
	if (!doc)
		return ORCH_ENOMEM;
	if (changed)
		set_doc(e, doc);
	else
		json_decref(doc);
	if (!d.changed)
		return 0;
	json_t *sw = ceo_report_mode_switch(before, d.mode, d.rule, d.reason, NULL, NULL, 0, e->ceo_now);
	const char *ts = json_string_value(json_object_get(sw, "timestamp"));
	json_t *row = sw ? json_pack("{s:s%, s:O, s:O, s:O}",
				     "date",
				     ts ? ts : "",
				     (size_t)(ts ? 10 : 0),
				     "from",
				     json_object_get(sw, "old_mode"),
				     "to",
				     json_object_get(sw, "new_mode"),
				     "reason",
				     json_object_get(sw, "reason"))
			 : NULL;
	json_decref(sw);
	return row && json_array_append_new(e->switches, row) == 0 ? 0 : ORCH_ENOMEM;
}

/* The services' start: the default document, each officer's first turn
 * on an empty book at event time 0, the CEO's first decision. */
static int start(struct engine *e)
{
	const struct backtest_config *c = e->c;
	int rc;
	if ((rc = risk_book_new(&e->rbook, &c->risk.book)) != 0 ||
	    (rc = strat_book_new(&e->sbook, &c->strat.book)) != 0)
		return rc;
	risk_cycle_init(&e->rc, e->rbook, &c->risk.book, &c->risk.env);
	e->th = c->strat.base;
	snprintf(e->so_mode, sizeof(e->so_mode), "GROWTH");
	e->ro_trades = has_input(c->risk.inputs, c->risk.n_inputs, "trade.closed");
	e->ro_snapshots = has_input(c->risk.inputs, c->risk.n_inputs, "portfolio.snapshot_updated");
	e->so_trades = has_input(c->strat.inputs, c->strat.n_inputs, "trade.closed");
	if (!(e->switches = json_array()))
		return ORCH_ENOMEM;
	json_t *doc = policy_default_doc(0);
	if (!doc)
		return ORCH_ENOMEM;
	set_doc(e, doc);
	ro_turn(e);
	if ((rc = so_turn(e)) != 0)
		return rc;
	return ceo_decide(e);
}

static void engine_release(struct engine *e)
{
	risk_book_free(e->rbook);
	strat_book_free(e->sbook);
	json_decref(e->doc);
	json_decref(e->want_disabled);
	json_decref(e->switches);
}

/* Day d: the layer's book trades under the document, its entries go
 * through the officers, the other book trades, the CEO decides. */
static int day(struct engine *e, const struct replay_prices *p, size_t d, struct rb_book *books[2],
	       const struct replay_policy *base, struct backtest_result *r)
{
	const double *closes = &p->close[d * (size_t)p->n_instr];
	struct replay_policy pv;
	struct rb_day days[2];
	struct replay_entry en[REPLAY_FEED_MAX_ENTRIES];
	int n, rc;
	replay_policy_read(e->doc, base, &pv);
	rb_step(books[0], closes, &pv.l, &days[0]);
	if ((rc = replay_feed_day(p->t_ms[d], &days[0], en, &n)) != 0)
		return rc;
	for (int k = 0; rc == 0 && k < n; k++)
		rc = deliver(e, &en[k]);
	replay_feed_release(en, n);
	if (rc != 0)
		return rc;
	rb_step(books[1], closes, &base->l, &days[1]);
	replay_record_day(&r->rec, p->t_ms[d], &days[0], &days[1], pv.mode);
	return ceo_decide(e);
}

int backtest_run(const struct replay_prices *p, const struct backtest_config *c, struct backtest_result *r, char *err,
		 size_t errlen)
{
	struct engine e = {.c = c};
	struct rb_book *books[2] = {NULL, NULL};
	const char *names[RB_MAX_INSTR];
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < p->n_instr; i++)
		names[i] = p->names[i];
	int rc = replay_record_init(&r->rec, p->n_days);
	for (int b = 0; rc == 0 && b < 2; b++)
		if (!(books[b] = rb_new(p->n_instr, names, INITIAL_EQUITY)))
			rc = ORCH_ENOMEM;
	if (rc == 0)
		rc = start(&e);
	struct replay_policy base;
	replay_policy_normal(&base);
	for (size_t d = 0; rc == 0 && d < p->n_days; d++)
		rc = day(&e, p, d, books, &base, r);
	if (rc == 0) {
		r->switches = e.switches;
		r->dead_letters = e.dead_letters;
		e.switches = NULL;
	} else {
		snprintf(err, errlen, "%s", rc == ORCH_ENOMEM ? "out of memory" : orch_strerror(rc));
	}
	for (int b = 0; b < 2; b++)
		rb_free(books[b]);
	engine_release(&e);
	return rc;
}

void backtest_result_release(struct backtest_result *r)
{
	if (!r)
		return;
	replay_record_release(&r->rec);
	json_decref(r->switches);
	r->switches = NULL;
}
