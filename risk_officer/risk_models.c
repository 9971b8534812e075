/*
 * risk_models.c - risk metrics of return series (see risk_models.h for
 * every convention). Two producers feed one formula layer:
 *   - risk_metrics_compute(): from scratch over an array (sort, two-pass
 *     moments, a cumulative log-wealth pass); the reference;
 *   - struct risk_window: the same statistics kept up to date per return
 *     (order statistics in risk_ostat.c, compensated power sums, a
 *     two-stack sliding aggregate of log wealth).
 * fill_metrics() turns either one's statistics into struct risk_metrics,
 * so the formulas exist once.
 */
#include "risk_models.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "normal.h"
#include "orch.h"
#include "risk_ostat.h"

/* ---- shared formula layer ---- */

/* What fill_metrics needs from a producer: moments and drawdowns, plus
 * ordered access to the returns. */
struct series_stats {
	size_t n;
	double mean;
	double m2, m3, m4;                                                  /* population central moments */
	double down_sq;                                                     /* sum of min(r, 0)^2 */
	double mdd_log;                                                     /* max drawdown of log wealth, >= 0 */
	double cur_log;                                                     /* current drawdown of log wealth, >= 0 */
	double (*kth)(const void *ctx, size_t k);                           /* k-th smallest, 0-based */
	void (*below)(const void *ctx, double q, size_t *cnt, double *sum); /* returns < q */
	const void *ctx;
};

static double clamp_loss(double loss)
{
	return loss < 0 ? 0 : loss > 1 ? 1 : loss;
}

/* R's quantile(type = 7), written the way R computes it. */
static double quantile7(const struct series_stats *s, double prob)
{
	double index = 1 + (double)(s->n - 1) * prob;
	double lo = floor(index), hi = ceil(index);
	double qs = s->kth(s->ctx, (size_t)lo - 1);
	if (index > lo) {
		double xh = s->kth(s->ctx, (size_t)hi - 1);
		if (xh != qs) {
			double h = index - lo;
			qs = (1 - h) * qs + h * xh;
		}
	}
	return qs;
}

/* Zero variance when m2 is within rounding noise of the raw second moment
 * (a constant series), for both producers alike. */
static int variance_is_zero(double m2, double mean)
{
	return m2 <= 64 * DBL_EPSILON * (m2 + mean * mean);
}

static void fill_metrics(struct risk_metrics *out, const struct series_stats *s, const double *conf, int n_conf,
			 double ppy)
{
	memset(out, 0, sizeof(*out));
	out->n_obs = s->n;
	out->periods_per_year = ppy;
	out->n_conf = n_conf;
	memcpy(out->conf, conf, sizeof(double) * (size_t)n_conf);
	if (s->n < RISK_MIN_OBS)
		return;
	out->sufficient = 1;
	double n = (double)s->n, mean = s->mean;
	int flat = variance_is_zero(s->m2, mean);
	double m2 = flat ? 0 : s->m2;
	double sdp = sqrt(m2);
	double S = flat ? 0 : s->m3 / pow(m2, 1.5);
	double K = flat ? 0 : s->m4 / (m2 * m2) - 3;
	out->mean = mean;
	out->sd = sqrt(m2 * n / (n - 1));
	out->volatility_annualized = out->sd * sqrt(ppy);
	out->skewness = S;
	out->excess_kurtosis = K;
	out->max_drawdown = clamp_loss(-expm1(-s->mdd_log));
	out->current_drawdown = clamp_loss(-expm1(-s->cur_log));
	out->sharpe = out->sd > 0 ? mean / out->sd : 0;
	out->sharpe_annualized = out->sharpe * sqrt(ppy);
	out->downside_deviation = sqrt(s->down_sq / n);
	out->sortino = out->downside_deviation > 0 ? mean / out->downside_deviation : 0;
	double q95 = quantile7(s, 0.95), q05 = quantile7(s, 0.05);
	out->tail_ratio = q05 != 0 ? fabs(q95) / fabs(q05) : 0;
	for (int i = 0; i < n_conf; i++) {
		double a = 1 - conf[i];
		double q = quantile7(s, a);
		size_t cnt;
		double sum;
		s->below(s->ctx, q, &cnt, &sum);
		out->historical[i].var = clamp_loss(-q);
		out->historical[i].es = clamp_loss(-(cnt ? sum / (double)cnt : q));
		double z = normal_quantile(a);
		out->gaussian[i].var = clamp_loss(-(mean + z * sdp));
		out->gaussian[i].es = clamp_loss(-(mean - normal_density(z) * sdp / a));
		double z2 = z * z, z3 = z2 * z;
		double h = z + (z2 - 1) * S / 6 + (z3 - 3 * z) * K / 24 - (2 * z3 - 5 * z) * S * S / 36;
		double h2 = h * h, h3 = h2 * h, h4 = h2 * h2, h6 = h4 * h2;
		double I = normal_density(h) *
			   (1 + h3 * S / 6 + (h6 - 9 * h4 + 9 * h2 + 3) * S * S / 72 + (h4 - 2 * h2 - 1) * K / 24);
		out->modified[i].var = clamp_loss(-(mean + h * sdp));
		out->modified[i].es = clamp_loss(-(mean + sdp * fmin(-I / a, h)));
	}
}

int risk_check_confidences(const double *conf, int n_conf)
{
	if (!conf || n_conf < 1 || n_conf > RISK_MAX_CONF)
		return ORCH_EINVAL;
	for (int i = 0; i < n_conf; i++)
		if (!(conf[i] > 0.5 && conf[i] < 1))
			return ORCH_EINVAL;
	return 0;
}

static int return_ok(double r)
{
	return isfinite(r) && r > -1;
}

/* ---- from scratch ---- */

struct sorted {
	const double *x;
	size_t n;
};

static double sorted_kth(const void *ctx, size_t k)
{
	return ((const struct sorted *)ctx)->x[k];
}

static void sorted_below(const void *ctx, double q, size_t *cnt, double *sum)
{
	const struct sorted *s = ctx;
	size_t i = 0;
	double acc = 0;
	while (i < s->n && s->x[i] < q)
		acc += s->x[i++];
	*cnt = i;
	*sum = acc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int risk_metrics_compute(const double *r, size_t n, const double *conf, int n_conf, double periods_per_year,
			 double ewma_lambda, struct risk_metrics *out)
{
	if (risk_check_confidences(conf, n_conf) != 0 || !(periods_per_year > 0) ||
	    !(ewma_lambda >= 0 && ewma_lambda < 1) || (n && !r))
		return ORCH_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!return_ok(r[i]))
			return ORCH_EINVAL;
	double *x = malloc(sizeof(double) * (n ? n : 1));
	if (!x)
		return ORCH_ENOMEM;
	struct series_stats s = {.n = n, .kth = sorted_kth, .below = sorted_below};
	struct sorted view = {x, n};
	s.ctx = &view;
	double sum = 0, level = 0, peak = 0, ewma = 0;
	for (size_t i = 0; i < n; i++) {
		sum += r[i];
		double d = r[i] < 0 ? r[i] : 0;
		s.down_sq += d * d;
		level += log1p(r[i]);
		peak = fmax(peak, level);
		s.mdd_log = fmax(s.mdd_log, peak - level);
		ewma = i == 0 ? r[0] * r[0] : ewma_lambda * ewma + (1 - ewma_lambda) * r[i] * r[i];
	}
	s.cur_log = peak - level;
	s.mean = n ? sum / (double)n : 0;
	for (size_t i = 0; i < n; i++) {
		double d = r[i] - s.mean, d2 = d * d;
		s.m2 += d2;
		s.m3 += d2 * d;
		s.m4 += d2 * d2;
	}
	if (n) {
		s.m2 /= (double)n;
		s.m3 /= (double)n;
		s.m4 /= (double)n;
		memcpy(x, r, sizeof(double) * n);
		qsort(x, n, sizeof(double), cmp_double);
	}
	fill_metrics(out, &s, conf, n_conf, periods_per_year);
	out->ewma_lambda = ewma_lambda;
	if (out->sufficient && ewma_lambda > 0)
		out->ewma_volatility = sqrt(ewma);
	free(x);
	return 0;
}

/* ---- compensated sums (Neumaier) ---- */

struct csum {
	double hi, lo;
};

static void csum_add(struct csum *c, double x)
{
	double t = c->hi + x;
	if (fabs(c->hi) >= fabs(x))
		c->lo += (c->hi - t) + x;
	else
		c->lo += (x - t) + c->hi;
	c->hi = t;
}

static double csum_get(const struct csum *c)
{
	return c->hi + c->lo;
}

/* ---- sliding aggregate of log wealth (two stacks) ---- */

/* Aggregate of consecutive levels: highest, lowest, and the largest drop
 * from a level to a later one. */
struct lagg {
	double v, max, min, dd;
};

static struct lagg lagg_one(double v)
{
	return (struct lagg){v, v, v, 0};
}

/* a precedes b in time. */
static struct lagg lagg_join(struct lagg a, struct lagg b)
{
	return (struct lagg){b.v, fmax(a.max, b.max), fmin(a.min, b.min), fmax(fmax(a.dd, b.dd), a.max - b.min)};
}

struct lqueue {
	struct lagg *front, *back; /* front: top is the oldest; back: top is the newest */
	size_t nf, nb;
};

static void lqueue_push(struct lqueue *q, double v)
{
	q->back[q->nb] = q->nb ? lagg_join(q->back[q->nb - 1], lagg_one(v)) : lagg_one(v);
	q->nb++;
}

static void lqueue_pop(struct lqueue *q)
{
	if (!q->nf) {
		while (q->nb) {
			double v = q->back[--q->nb].v;
			q->front[q->nf] = q->nf ? lagg_join(lagg_one(v), q->front[q->nf - 1]) : lagg_one(v);
			q->nf++;
		}
	}
	q->nf--;
}

static struct lagg lqueue_all(const struct lqueue *q)
{
	if (!q->nf)
		return q->back[q->nb - 1];
	if (!q->nb)
		return q->front[q->nf - 1];
	return lagg_join(q->front[q->nf - 1], q->back[q->nb - 1]);
}

/* ---- the window ---- */

struct risk_window {
	struct risk_window_config cfg;
	double *r; /* ring of returns, oldest at head */
	int64_t *t;
	size_t head, n;
	struct risk_ostat order;
	struct lqueue levels; /* n + 1 log-wealth levels: the base, then one per return */
	struct csum level;    /* newest level */
	double centre;        /* power sums are of r - centre */
	struct csum s1, s2, s3, s4, down;
	double ewma;
	int have_ewma;
};

int risk_window_new(struct risk_window **out, const struct risk_window_config *cfg)
{
	if (!cfg || cfg->max_count < 2 || cfg->max_count > (size_t)1 << 31 || cfg->max_age_ms < 0 ||
	    !(cfg->periods_per_year > 0) || !(cfg->ewma_lambda > 0 && cfg->ewma_lambda < 1))
		return ORCH_EINVAL;
	struct risk_window *w = calloc(1, sizeof(*w));
	size_t cap = cfg->max_count;
	if (!w)
		return ORCH_ENOMEM;
	w->cfg = *cfg;
	w->r = malloc(sizeof(double) * cap);
	w->t = malloc(sizeof(int64_t) * cap);
	w->levels.front = malloc(sizeof(struct lagg) * (cap + 1));
	w->levels.back = malloc(sizeof(struct lagg) * (cap + 1));
	if (!w->r || !w->t || !w->levels.front || !w->levels.back || risk_ostat_init(&w->order, cap) != 0) {
		risk_window_free(w);
		return ORCH_ENOMEM;
	}
	lqueue_push(&w->levels, 0);
	*out = w;
	return 0;
}

void risk_window_free(struct risk_window *w)
{
	if (!w)
		return;
	free(w->r);
	free(w->t);
	risk_ostat_release(&w->order);
	free(w->levels.front);
	free(w->levels.back);
	free(w);
}

size_t risk_window_count(const struct risk_window *w)
{
	return w->n;
}

void risk_window_returns(const struct risk_window *w, double *r)
{
	size_t cap = w->cfg.max_count;
	for (size_t i = 0; i < w->n; i++)
		r[i] = w->r[(w->head + i) % cap];
}

static void sums_add(struct risk_window *w, double x, double sign)
{
	double d = x - w->centre, d2 = d * d;
	csum_add(&w->s1, sign * d);
	csum_add(&w->s2, sign * d2);
	csum_add(&w->s3, sign * d2 * d);
	csum_add(&w->s4, sign * d2 * d2);
}

/* Moves the centre of the power sums to the median when the mean has
 * drifted more than 8 sd from it, so the moments never suffer from
 * cancellation; a stationary series never pays this O(n). */
static void recentre_if_drifted(struct risk_window *w)
{
	double n = (double)w->n;
	double md = csum_get(&w->s1) / n;
	double m2 = csum_get(&w->s2) / n - md * md;
	if (md == 0 || md * md <= 64 * fmax(m2, 0))
		return;
	w->centre = risk_ostat_kth(&w->order, w->n / 2);
	w->s1 = w->s2 = w->s3 = w->s4 = (struct csum){0, 0};
	size_t cap = w->cfg.max_count;
	for (size_t i = 0; i < w->n; i++)
		sums_add(w, w->r[(w->head + i) % cap], 1);
}

static void evict_oldest(struct risk_window *w)
{
	double x = w->r[w->head];
	risk_ostat_erase(&w->order, x);
	sums_add(w, x, -1);
	double d = x < 0 ? x : 0;
	csum_add(&w->down, -d * d);
	lqueue_pop(&w->levels);
	w->head = (w->head + 1) % w->cfg.max_count;
	w->n--;
	if (!w->n) {
		/* empty: restart the sums exactly at zero */
		w->s1 = w->s2 = w->s3 = w->s4 = w->down = (struct csum){0, 0};
	}
}

void risk_window_expire(struct risk_window *w, int64_t now_ms)
{
	if (!w->cfg.max_age_ms)
		return;
	while (w->n && w->t[w->head] < now_ms - w->cfg.max_age_ms)
		evict_oldest(w);
}

int risk_window_push(struct risk_window *w, double r, int64_t t_ms)
{
	if (!return_ok(r))
		return ORCH_EINVAL;
	size_t cap = w->cfg.max_count;
	if (w->n && t_ms < w->t[(w->head + w->n - 1) % cap])
		return ORCH_EINVAL;
	risk_window_expire(w, t_ms);
	if (w->n == cap)
		evict_oldest(w);
	if (risk_ostat_insert(&w->order, r) != 0)
		return ORCH_ENOMEM;
	if (!w->n)
		w->centre = r;
	size_t tail = (w->head + w->n) % cap;
	w->r[tail] = r;
	w->t[tail] = t_ms;
	w->n++;
	sums_add(w, r, 1);
	double d = r < 0 ? r : 0;
	csum_add(&w->down, d * d);
	csum_add(&w->level, log1p(r));
	lqueue_push(&w->levels, csum_get(&w->level));
	w->ewma = w->have_ewma ? w->cfg.ewma_lambda * w->ewma + (1 - w->cfg.ewma_lambda) * r * r : r * r;
	w->have_ewma = 1;
	recentre_if_drifted(w);
	return 0;
}

double risk_window_sd(const struct risk_window *w)
{
	if (w->n < 2)
		return 0;
	double n = (double)w->n, md = csum_get(&w->s1) / n;
	return sqrt(fmax(csum_get(&w->s2) / n - md * md, 0) * n / (n - 1));
}

void risk_window_drawdowns(const struct risk_window *w, double *current, double *max)
{
	*current = *max = 0;
	if (!w->n)
		return;
	struct lagg all = lqueue_all(&w->levels);
	*current = clamp_loss(-expm1(-(all.max - all.v)));
	*max = clamp_loss(-expm1(-all.dd));
}

int risk_window_metrics(const struct risk_window *w, const double *conf, int n_conf, struct risk_metrics *out)
{
	if (risk_check_confidences(conf, n_conf) != 0)
		return ORCH_EINVAL;
	struct series_stats s = {.n = w->n, .kth = risk_ostat_kth, .below = risk_ostat_below, .ctx = &w->order};
	if (w->n) {
		double n = (double)w->n;
		double md = csum_get(&w->s1) / n, e2 = csum_get(&w->s2) / n;
		double e3 = csum_get(&w->s3) / n, e4 = csum_get(&w->s4) / n;
		s.mean = w->centre + md;
		s.m2 = fmax(e2 - md * md, 0);
		s.m3 = e3 - 3 * md * e2 + 2 * md * md * md;
		s.m4 = e4 - 4 * md * e3 + 6 * md * md * e2 - 3 * md * md * md * md;
		s.down_sq = fmax(csum_get(&w->down), 0);
		struct lagg all = lqueue_all(&w->levels);
		s.mdd_log = all.dd;
		s.cur_log = all.max - all.v;
	}
	fill_metrics(out, &s, conf, n_conf, w->cfg.periods_per_year);
	out->ewma_lambda = w->cfg.ewma_lambda;
	if (out->sufficient)
		out->ewma_volatility = sqrt(w->ewma);
	return 0;
}
