/*
 * strategy_brain.c - scores, ranking, primary/fallback and the
 * disable/re-enable state machine (rules in strategy_brain.h).
 */
#include "strategy_brain.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orch.h"

const char *const strat_component_names[STRAT_N_COMPONENTS] = {
	"psr", "win_rate", "profit_factor", "drawdown", "sortino", "recency"};
const double strat_component_weights[STRAT_N_COMPONENTS] = {0.30, 0.20, 0.15, 0.15, 0.10, 0.10};

void strat_thresholds_defaults(struct strat_thresholds *t)
{
	*t = (struct strat_thresholds){
		.min_trades = 20,
		.confidence = 0.95,
		.disable_win_rate = 0.40,
		.enable_win_rate = 0.45,
		.disable_drawdown = 0.25,
		.enable_drawdown = 0.15,
		.disable_losses = 8,
		.disable_psr = 0.05,
		.enable_psr = 0.5,
		.disable_accuracy = 0.45,
		.enable_accuracy = 0.50,
		.max_fallback_corr = 0.7,
		.corr_period_ms = 3600000,
		.min_shared_periods = 5,
		.stale_ms = 86400000,
		.quiet_ms = 3600000,
		.recent_count = 50,
		.drift_alert = 0.15,
	};
}

void strat_thresholds_for_mode(struct strat_thresholds *t, const char *mode)
{
	double f = 1;
	if (mode && strcmp(mode, "DEFENSIVE") == 0)
		f = 1.15;
	else if (mode && (strcmp(mode, "CAPITAL_PRESERVATION") == 0 || strcmp(mode, "BLACK_SWAN") == 0))
		f = 1.3;
	if (f == 1)
		return;
	t->disable_win_rate = fmin(t->disable_win_rate * f, 0.95);
	t->enable_win_rate = fmin(t->enable_win_rate * f, 0.99);
	t->disable_accuracy = fmin(t->disable_accuracy * f, 0.95);
	t->enable_accuracy = fmin(t->enable_accuracy * f, 0.99);
	t->disable_drawdown /= f;
	t->enable_drawdown /= f;
	if (t->disable_losses > 0)
		t->disable_losses = (long)fmax(1, floor((double)t->disable_losses / f));
}

int strat_thresholds_validate(const struct strat_thresholds *t, char *err, size_t errlen)
{
	const char *bad = NULL;
	if (t->min_trades < 2)
		bad = "min_trades must be >= 2";
	else if (!(t->confidence > 0.5 && t->confidence < 1))
		bad = "confidence must be in (0.5, 1)";
	else if (!(t->disable_win_rate >= 0 && t->disable_win_rate < t->enable_win_rate && t->enable_win_rate < 1))
		bad = "win rates need 0 <= disable < enable < 1";
	else if (!(t->enable_drawdown > 0 && t->enable_drawdown < t->disable_drawdown && t->disable_drawdown <= 1))
		bad = "drawdowns need 0 < enable < disable <= 1";
	else if (!(t->disable_psr >= 0 && t->disable_psr < t->enable_psr && t->enable_psr < 1))
		bad = "PSR bounds need 0 <= disable < enable < 1";
	else if (t->disable_losses < 0)
		bad = "disable_losses must be >= 0";
	else if (!(t->disable_accuracy > 0 && t->disable_accuracy < t->enable_accuracy && t->enable_accuracy < 1))
		bad = "accuracies need 0 < disable < enable < 1";
	else if (!(t->max_fallback_corr >= -1 && t->max_fallback_corr <= 1))
		bad = "max_fallback_corr must be in [-1, 1]";
	else if (t->corr_period_ms < 1 || t->min_shared_periods < 2 || t->stale_ms < 1 || t->quiet_ms < 0 ||
		 t->recent_count < 2 || !(t->drift_alert > 0 && t->drift_alert < 1))
		bad = "periods, counts and drift_alert out of range";
	if (!bad)
		return 0;
	snprintf(err, errlen, "%s", bad);
	return ORCH_EINVAL;
}

const char *strat_status_name(enum strat_status s)
{
	return s == STRAT_ACTIVE ? "active" : s == STRAT_INSUFFICIENT ? "insufficient_data" : "disabled";
}

/* ---- state machine ---- */

static int quiet(const struct strat_unit *u, const struct strat_thresholds *t, int64_t now)
{
	return u->changed && now - u->changed_ms < t->quiet_ms;
}

static int add_change(struct strat_result *r, size_t *cap, enum strat_change_kind kind, int model, struct strat_unit *u,
		      const char *reason, double evidence, double threshold)
{
	if (r->n_changes == *cap) {
		size_t c = *cap ? 2 * *cap : 16;
		struct strat_change *ch = realloc(r->changes, c * sizeof(*ch));
		if (!ch)
			return ORCH_ENOMEM;
		r->changes = ch;
		*cap = c;
	}
	r->changes[r->n_changes++] = (struct strat_change){kind, model, u, reason, evidence, threshold};
	return 0;
}

static void set_state(struct strat_unit *u, int disabled, const char *reason, double evidence, double threshold,
		      int64_t now)
{
	u->disabled = disabled;
	snprintf(u->reason, sizeof(u->reason), "%s", reason);
	u->evidence = evidence;
	u->threshold = threshold;
	u->changed_ms = now;
	u->changed = 1;
}

/* The first disable rule the evidence breaks, or NULL. */
static const char *strategy_breach(const struct strat_perf *p, const struct strat_thresholds *t, double *ev, double *th)
{
	if (p->trades >= t->min_trades && p->wilson_upper < t->disable_win_rate) {
		*ev = p->wilson_upper;
		*th = t->disable_win_rate;
		return "wilson_win_rate_below";
	}
	if (p->trades >= t->min_trades && p->psr < t->disable_psr) {
		*ev = p->psr;
		*th = t->disable_psr;
		return "psr_below";
	}
	if (p->trades >= t->min_trades && p->max_drawdown > t->disable_drawdown) {
		*ev = p->max_drawdown;
		*th = t->disable_drawdown;
		return "drawdown_exceeded";
	}
	if (t->disable_losses > 0 && p->consecutive_losses >= t->disable_losses) {
		*ev = (double)p->consecutive_losses;
		*th = (double)t->disable_losses;
		return "consecutive_losses";
	}
	return NULL;
}

/* Recovery of the rule that disabled u (stricter than its breach). */
static int strategy_recovered(const struct strat_unit *u, const struct strat_perf *p, const struct strat_thresholds *t,
			      double *ev, double *th)
{
	if (strcmp(u->reason, "wilson_win_rate_below") == 0) {
		*ev = p->wilson_lower;
		*th = t->enable_win_rate;
		return p->wilson_lower >= t->enable_win_rate;
	}
	if (strcmp(u->reason, "psr_below") == 0) {
		*ev = p->psr;
		*th = t->enable_psr;
		return p->psr >= t->enable_psr;
	}
	if (strcmp(u->reason, "drawdown_exceeded") == 0) {
		*ev = p->max_drawdown;
		*th = t->enable_drawdown;
		return p->max_drawdown <= t->enable_drawdown;
	}
	*ev = (double)p->consecutive_losses;
	*th = 0;
	return p->consecutive_losses == 0 && p->trades > 0;
}

static int step_strategy(struct strat_result *r, size_t *cap, struct strat_rank_entry *e,
			 const struct strat_thresholds *t, int64_t now)
{
	struct strat_unit *u = e->unit;
	double ev = 0, th = 0;
	if (quiet(u, t, now))
		return 0;
	if (u->disabled) {
		if (e->perf.trades < t->min_trades &&
		    (t->disable_losses == 0 || e->perf.consecutive_losses < t->disable_losses)) {
			set_state(u, 0, "evidence_expired", (double)e->perf.trades, (double)t->min_trades, now);
			return add_change(r, cap, STRAT_CH_ENABLED, 0, u, u->reason, u->evidence, u->threshold);
		}
		if (!strategy_recovered(u, &e->perf, t, &ev, &th) || strategy_breach(&e->perf, t, &ev, &th))
			return 0;
		set_state(u, 0, "recovered", ev, th, now);
		return add_change(r, cap, STRAT_CH_ENABLED, 0, u, u->reason, ev, th);
	}
	const char *why = strategy_breach(&e->perf, t, &ev, &th);
	if (!why)
		return 0;
	set_state(u, 1, why, ev, th, now);
	return add_change(r, cap, STRAT_CH_DISABLED, 0, u, u->reason, ev, th);
}

/* ---- strategies ---- */

static void score_entry(struct strat_rank_entry *e, const struct strat_thresholds *t, int64_t now)
{
	const struct strat_perf *p = &e->perf;
	e->since_last_ms = now > e->unit->last_ms ? now - e->unit->last_ms : 0;
	double c[STRAT_N_COMPONENTS] = {
		p->psr,
		p->wilson_lower,
		p->profit_factor / (1 + p->profit_factor),
		1 - fmin(1, p->max_drawdown / t->disable_drawdown),
		(1 + tanh(p->sortino)) / 2,
		exp(-(double)e->since_last_ms / (double)t->stale_ms),
	};
	e->score = 0;
	for (int i = 0; i < STRAT_N_COMPONENTS; i++) {
		e->components[i] = c[i];
		e->score += 100 * strat_component_weights[i] * c[i];
	}
}

static int rank_cmp(const void *a, const void *b)
{
	const struct strat_rank_entry *x = a, *y = b;
	if (x->status != y->status)
		return x->status < y->status ? -1 : 1;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (x->perf.trades != y->perf.trades)
		return x->perf.trades > y->perf.trades ? -1 : 1;
	return strcmp(x->unit->name, y->unit->name);
}

/* Returns of u summed per period, oldest first; *n periods. */
static size_t period_sums(const struct strat_unit *u, int64_t period, int64_t *key, double *sum)
{
	size_t n = 0;
	for (size_t i = 0; i < u->n; i++) {
		size_t k = strat_unit_at(u, i);
		int64_t p = u->t[k] >= 0 ? u->t[k] / period : (u->t[k] - period + 1) / period;
		if (n && key[n - 1] == p) {
			sum[n - 1] += u->v[k];
		} else if (!n || p > key[n - 1]) {
			key[n] = p;
			sum[n++] = u->v[k];
		} else {
			/* out of time order: fold into the newest period */
			sum[n - 1] += u->v[k];
		}
	}
	return n;
}

struct corr_buf {
	int64_t *ka, *kb;
	double *sa, *sb, *x, *y;
};

/* Correlation of a and b over the periods both traded; 1 = known. */
static int shared_corr(const struct strat_unit *a, const struct strat_unit *b, const struct strat_thresholds *t,
		       struct corr_buf *w, double *corr)
{
	size_t na = period_sums(a, t->corr_period_ms, w->ka, w->sa);
	size_t nb = period_sums(b, t->corr_period_ms, w->kb, w->sb);
	size_t i = 0, j = 0, n = 0;
	while (i < na && j < nb) {
		if (w->ka[i] < w->kb[j]) {
			i++;
		} else if (w->kb[j] < w->ka[i]) {
			j++;
		} else {
			w->x[n] = w->sa[i++];
			w->y[n++] = w->sb[j++];
		}
	}
	if ((long)n < t->min_shared_periods)
		return 0;
	*corr = strat_correlation(w->x, w->y, n);
	return 1;
}

static int pick_fallback(struct strat_result *r, const struct strat_thresholds *t, size_t window)
{
	struct corr_buf w = {malloc(window * sizeof(int64_t)),
			     malloc(window * sizeof(int64_t)),
			     malloc(window * sizeof(double)),
			     malloc(window * sizeof(double)),
			     malloc(window * sizeof(double)),
			     malloc(window * sizeof(double))};
	int rc = ORCH_ENOMEM;
	if (!w.ka || !w.kb || !w.sa || !w.sb || !w.x || !w.y)
		goto out;
	rc = 0;
	for (size_t i = 1; i < r->n && r->rank[i].status == STRAT_ACTIVE; i++) {
		double c = 0;
		int known = shared_corr(r->primary->unit, r->rank[i].unit, t, &w, &c);
		if (known && c > t->max_fallback_corr)
			continue;
		r->fallback = &r->rank[i];
		r->fallback_corr = known ? c : 0;
		r->fallback_corr_known = known;
		break;
	}
out:
	free(w.ka);
	free(w.kb);
	free(w.sa);
	free(w.sb);
	free(w.x);
	free(w.y);
	return rc;
}

/* ---- models ---- */

static void model_eval(struct strat_model_eval *m, const struct strat_thresholds *t)
{
	const struct strat_unit *u = m->unit;
	long pred_long = 0, pred_short = 0, tp_long = 0, tp_short = 0, act_long = 0, act_short = 0;
	long recent = 0, recent_ok = 0;
	double brier = 0;
	m->n = (long)u->n;
	for (size_t i = 0; i < u->n; i++) {
		size_t k = strat_unit_at(u, i);
		int ok = u->v[k] > 0.5, longp = u->side[k] > 0;
		m->correct += ok;
		if (longp) {
			pred_long++;
			tp_long += ok;
		} else {
			pred_short++;
			tp_short += ok;
		}
		/* the side that would have been right */
		if (longp == ok)
			act_long++;
		else
			act_short++;
		if (u->prob[k] >= 0) {
			double d = u->prob[k] - ok;
			brier += d * d;
			m->with_prob++;
		}
		if (u->n - i <= (size_t)t->recent_count) {
			recent++;
			recent_ok += ok;
		}
	}
	m->accuracy = m->n ? (double)m->correct / (double)m->n : 0;
	strat_wilson(m->correct, m->n, t->confidence, &m->wilson_lower, &m->wilson_upper);
	m->precision_long = pred_long ? (double)tp_long / (double)pred_long : 0;
	m->recall_long = act_long ? (double)tp_long / (double)act_long : 0;
	m->precision_short = pred_short ? (double)tp_short / (double)pred_short : 0;
	m->recall_short = act_short ? (double)tp_short / (double)act_short : 0;
	m->brier = m->with_prob ? brier / (double)m->with_prob : 0;
	m->recent_accuracy = recent ? (double)recent_ok / (double)recent : 0;
	m->drift = m->recent_accuracy - m->accuracy;
}

static int step_model(struct strat_result *r, size_t *cap, struct strat_model_eval *m, const struct strat_thresholds *t,
		      int64_t now)
{
	struct strat_unit *u = m->unit;
	int rc = 0;
	/* degradation: an alert with its own hysteresis, no quiet time */
	int enough_recent = m->n >= 2 * t->recent_count;
	if (!u->degraded && enough_recent && m->drift <= -t->drift_alert) {
		u->degraded = 1;
		rc = add_change(r, cap, STRAT_CH_DEGRADED, 1, u, "model_accuracy_drift", m->drift, -t->drift_alert);
	} else if (u->degraded && (!enough_recent || m->drift > -t->drift_alert / 2)) {
		u->degraded = 0;
		rc = add_change(
			r, cap, STRAT_CH_RECOVERED, 1, u, "model_accuracy_drift", m->drift, -t->drift_alert / 2);
	}
	if (rc != 0 || quiet(u, t, now))
		return rc;
	if (!u->disabled && m->n >= t->min_trades && m->wilson_upper < t->disable_accuracy) {
		set_state(u, 1, "model_accuracy_below", m->wilson_upper, t->disable_accuracy, now);
		return add_change(r, cap, STRAT_CH_DISABLED, 1, u, u->reason, u->evidence, u->threshold);
	}
	if (u->disabled && m->n < t->min_trades) {
		set_state(u, 0, "evidence_expired", (double)m->n, (double)t->min_trades, now);
		return add_change(r, cap, STRAT_CH_ENABLED, 1, u, u->reason, u->evidence, u->threshold);
	}
	if (u->disabled && m->wilson_lower >= t->enable_accuracy) {
		set_state(u, 0, "recovered", m->wilson_lower, t->enable_accuracy, now);
		return add_change(r, cap, STRAT_CH_ENABLED, 1, u, u->reason, u->evidence, u->threshold);
	}
	return 0;
}

static int model_cmp(const void *a, const void *b)
{
	const struct strat_model_eval *x = a, *y = b;
	if (x->status != y->status)
		return x->status < y->status ? -1 : 1;
	if (x->accuracy != y->accuracy)
		return x->accuracy > y->accuracy ? -1 : 1;
	return strcmp(x->unit->name, y->unit->name);
}

/* The pooled evidence of the strategies not disabled, from each one's
 * sums (strat_perf_pool: no pass over the trades again). 0 or
 * ORCH_ENOMEM. */
static int book_evidence(struct strat_result *r, const struct strat_thresholds *t)
{
	const struct strat_perf **parts = malloc((r->n ? r->n : 1) * sizeof(*parts));
	if (!parts)
		return ORCH_ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < r->n; i++)
		if (r->rank[i].status != STRAT_DISABLED)
			parts[k++] = &r->rank[i].perf;
	strat_perf_pool(parts, k, t->confidence, &r->book);
	free(parts);
	return 0;
}

int strat_brain_evaluate(struct strat_book *b, const struct strat_thresholds *t, int64_t now_ms,
			 struct strat_result *out)
{
	memset(out, 0, sizeof(*out));
	size_t n = strat_book_strategies(b), nm = strat_book_models(b), cap = 0, window = 2;
	out->rank = calloc(n ? n : 1, sizeof(*out->rank));
	out->models = calloc(nm ? nm : 1, sizeof(*out->models));
	double *buf = NULL;
	int rc = ORCH_ENOMEM;
	if (!out->rank || !out->models)
		goto out;
	strat_book_expire(b, now_ms);
	for (size_t i = 0; i < n; i++)
		if (strat_book_strategy(b, i)->n > window)
			window = strat_book_strategy(b, i)->n;
	if (!(buf = malloc(window * sizeof(double))))
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct strat_rank_entry *e = &out->rank[i];
		e->unit = strat_book_strategy(b, i);
		for (size_t k = 0; k < e->unit->n; k++)
			buf[k] = e->unit->v[strat_unit_at(e->unit, k)];
		strat_perf_compute(buf, e->unit->n, t->confidence, &e->perf);
		score_entry(e, t, now_ms);
		if ((rc = step_strategy(out, &cap, e, t, now_ms)) != 0)
			goto out;
		/* trades that name no strategy are not a strategy that could lead */
		e->status = e->unit->disabled ? STRAT_DISABLED
			    : e->perf.trades < t->min_trades || !strcmp(e->unit->name, STRAT_UNATTRIBUTED)
				    ? STRAT_INSUFFICIENT
				    : STRAT_ACTIVE;
		out->n_eligible += e->status == STRAT_ACTIVE;
		out->n_disabled += e->status == STRAT_DISABLED;
	}
	out->n = n;
	if ((rc = book_evidence(out, t)) != 0)
		goto out;
	qsort(out->rank, n, sizeof(*out->rank), rank_cmp);
	if (n && out->rank[0].status == STRAT_ACTIVE) {
		out->primary = &out->rank[0];
		if ((rc = pick_fallback(out, t, window)) != 0)
			goto out;
	}
	for (size_t i = 0; i < nm; i++) {
		struct strat_model_eval *m = &out->models[i];
		m->unit = strat_book_model(b, i);
		model_eval(m, t);
		if ((rc = step_model(out, &cap, m, t, now_ms)) != 0)
			goto out;
		m->status = m->unit->disabled      ? STRAT_DISABLED
			    : m->n < t->min_trades ? STRAT_INSUFFICIENT
						   : STRAT_ACTIVE;
	}
	out->n_models = nm;
	qsort(out->models, nm, sizeof(*out->models), model_cmp);
	rc = 0;
out:
	free(buf);
	if (rc != 0)
		strat_result_release(out);
	return rc;
}

void strat_result_release(struct strat_result *r)
{
	free(r->rank);
	free(r->models);
	free(r->changes);
	memset(r, 0, sizeof(*r));
}
