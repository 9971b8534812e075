/*
 * strategy_book.c - input mapping and the per-strategy / per-model
 * windows (contract in strategy_book.h). Names are found through
 * open-addressing hash tables; windows are rings that grow by doubling up
 * to window_count, so memory follows the trades actually seen.
 */
#include "strategy_book.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json_util.h"
#include "orch.h"
#include "trade.h"

static const struct {
	const char *type;
	enum strat_input_kind kind;
} INPUTS[] = {
	{"trade.closed", STRAT_IN_TRADE},
	{"position.closed", STRAT_IN_TRADE},
	{"position_closed", STRAT_IN_TRADE},
	{"ai.decision.made", STRAT_IN_DECISION},
	{"ai.signal_generated", STRAT_IN_DECISION},
	{"model_prediction", STRAT_IN_DECISION},
	{"strategy_executed", STRAT_IN_DECISION},
	{"meta.regime", STRAT_IN_REGIME},
	{"regime_detected", STRAT_IN_REGIME},
};

enum strat_input_kind strat_input_kind_of(const char *event_type)
{
	for (size_t i = 0; i < sizeof(INPUTS) / sizeof(INPUTS[0]); i++)
		if (strcmp(INPUTS[i].type, event_type) == 0)
			return INPUTS[i].kind;
	return 0;
}

const char *strat_input_known_types(void)
{
	return "trade.closed,position.closed,position_closed,ai.decision.made,ai.signal_generated,"
	       "model_prediction,strategy_executed,meta.regime,regime_detected";
}

static void copy_name(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

/* +1, -1, or 0 (hold / absent); ORCH_EMALFORMED for another word. */
static int parse_side(const json_t *p, int *side, char *why, size_t whylen)
{
	static const char *const keys[] = {"side", "action", "direction", "signal", NULL};
	const char *s = json_util_first_str(p, keys);
	int is_long;
	*side = 0;
	if (!s) {
		if (json_util_get_bool(p, "is_long", &is_long) == 0)
			*side = is_long ? 1 : -1;
		return 0;
	}
	if (!strcasecmp(s, "buy") || !strcasecmp(s, "long"))
		*side = 1;
	else if (!strcasecmp(s, "sell") || !strcasecmp(s, "short"))
		*side = -1;
	else if (strcasecmp(s, "hold") && strcasecmp(s, "none") && strcasecmp(s, "flat")) {
		snprintf(why, whylen, "side '%.40s' is not buy, sell, long, short or hold", s);
		return ORCH_EMALFORMED;
	}
	return 0;
}

static void parse_confidence(const json_t *p, double *out)
{
	static const char *const keys[] = {"confidence", "entry_confidence", "ensemble_confidence", NULL};
	char why[64];
	double c;
	*out = -1;
	if (json_util_first_double(p, keys, &c, why, sizeof(why)) == 0 && c >= 0 && c <= 1)
		*out = c;
}

int strat_input_parse(const char *event_type, const json_t *payload, int64_t t_ms, struct strat_input *out, char *why,
		      size_t whylen)
{
	static const char *const strat_keys[] = {"strategy", "strategy_name", "strategy_id", "meta_strategy", NULL};
	/* model_id: the live executors' only model field (issue 15) */
	static const char *const model_keys[] = {"model", "model_version", "model_name", "model_id", NULL};
	static const char *const regime_keys[] = {"regime", "market_regime", NULL};
	memset(out, 0, sizeof(*out));
	out->kind = strat_input_kind_of(event_type);
	out->t_ms = t_ms;
	out->confidence = -1;
	if (!out->kind) {
		snprintf(why, whylen, "event type '%.60s' is not a Strategy Officer input", event_type);
		return ORCH_EMALFORMED;
	}
	if (!json_is_object(payload)) {
		snprintf(why, whylen, "payload is not an object");
		return ORCH_EMALFORMED;
	}
	if (out->kind == STRAT_IN_REGIME) {
		const char *r = json_util_first_str(payload, regime_keys);
		if (!r) {
			snprintf(why, whylen, "no regime or market_regime field");
			return ORCH_EMALFORMED;
		}
		copy_name(out->regime, sizeof(out->regime), r);
		return 0;
	}
	copy_name(out->strategy, sizeof(out->strategy), json_util_first_str(payload, strat_keys));
	copy_name(out->model, sizeof(out->model), json_util_first_str(payload, model_keys));
	copy_name(out->symbol, sizeof(out->symbol), json_util_get_str(payload, "symbol"));
	if (parse_side(payload, &out->side, why, whylen) != 0)
		return ORCH_EMALFORMED;
	parse_confidence(payload, &out->confidence);
	if (out->kind == STRAT_IN_DECISION) {
		if (!out->symbol[0]) {
			snprintf(why, whylen, "no symbol field");
			return ORCH_EMALFORMED;
		}
		return 0;
	}
	return trade_parse_return(payload, &out->ret, why, whylen);
}

/* ---- names ---- */

struct registry {
	struct strat_unit *u;
	size_t n, cap, max;
	uint32_t *slot; /* index + 1, 0 = empty */
	size_t mask;
	int models;
};

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int registry_init(struct registry *r, size_t max, int models)
{
	size_t size = 16;
	while (size < 2 * (max + 1))
		size <<= 1;
	r->slot = calloc(size, sizeof(uint32_t));
	r->mask = size - 1;
	r->max = max;
	r->models = models;
	return r->slot ? 0 : ORCH_ENOMEM;
}

static void registry_free(struct registry *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->u[i].t);
		free(r->u[i].v);
		free(r->u[i].side);
		free(r->u[i].prob);
	}
	free(r->u);
	free(r->slot);
}

/* The unit named `name`, created on first sight; past max, "other". */
static struct strat_unit *registry_get(struct registry *r, const char *name)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		size_t i = name_hash(name) & r->mask;
		for (; r->slot[i]; i = (i + 1) & r->mask)
			if (strcmp(r->u[r->slot[i] - 1].name, name) == 0)
				return &r->u[r->slot[i] - 1];
		if (r->n < r->max || (attempt == 1 && r->n == r->max)) {
			if (r->n == r->cap) {
				size_t cap = r->cap ? 2 * r->cap : 64;
				struct strat_unit *u = realloc(r->u, cap * sizeof(*u));
				if (!u)
					return NULL;
				r->u = u;
				r->cap = cap;
			}
			struct strat_unit *u = &r->u[r->n];
			memset(u, 0, sizeof(*u));
			copy_name(u->name, sizeof(u->name), name);
			r->slot[i] = (uint32_t)++r->n;
			return u;
		}
		name = "other";
	}
	return NULL;
}

/* ---- windows ---- */

size_t strat_unit_at(const struct strat_unit *u, size_t i)
{
	return (u->head + i) % u->cap;
}

static int unit_grow(struct strat_unit *u, size_t max, int models)
{
	size_t cap = u->cap ? u->cap * 2 : 16;
	if (cap > max)
		cap = max;
	int64_t *t = malloc(cap * sizeof(*t));
	double *v = malloc(cap * sizeof(*v));
	signed char *side = models ? malloc(cap) : NULL;
	double *prob = models ? malloc(cap * sizeof(double)) : NULL;
	if (!t || !v || (models && (!side || !prob))) {
		free(t);
		free(v);
		free(side);
		free(prob);
		return ORCH_ENOMEM;
	}
	for (size_t i = 0; i < u->n; i++) {
		size_t k = strat_unit_at(u, i);
		t[i] = u->t[k];
		v[i] = u->v[k];
		if (models) {
			side[i] = u->side[k];
			prob[i] = u->prob[k];
		}
	}
	free(u->t);
	free(u->v);
	free(u->side);
	free(u->prob);
	u->t = t;
	u->v = v;
	u->side = side;
	u->prob = prob;
	u->head = 0;
	u->cap = cap;
	return 0;
}

static int unit_push(struct strat_unit *u, size_t max, int models, int64_t t, double v, int side, double prob)
{
	if (u->n == u->cap && u->cap < max && unit_grow(u, max, models) != 0)
		return ORCH_ENOMEM;
	if (u->n == u->cap) {
		u->head = (u->head + 1) % u->cap;
		u->n--;
	}
	size_t k = (u->head + u->n) % u->cap;
	u->t[k] = t;
	u->v[k] = v;
	if (models) {
		u->side[k] = (signed char)side;
		u->prob[k] = prob;
	}
	u->n++;
	if (t > u->last_ms)
		u->last_ms = t;
	return 0;
}

static void unit_expire(struct strat_unit *u, int64_t oldest)
{
	while (u->n && u->t[u->head] < oldest) {
		u->head = (u->head + 1) % u->cap;
		u->n--;
	}
}

/* ---- decisions by symbol ---- */

struct decision {
	char symbol[32];
	char strategy[STRAT_NAME_LEN];
	int64_t t_ms;
};

struct strat_book {
	struct strat_book_config cfg;
	struct registry strategies, models;
	struct decision *dec; /* open addressing by symbol */
	size_t dec_mask, dec_n;
	char regime[32];
};

static struct decision *decision_slot(struct strat_book *b, const char *symbol, int create)
{
	size_t i = name_hash(symbol) & b->dec_mask;
	for (; b->dec[i].symbol[0]; i = (i + 1) & b->dec_mask)
		if (strcmp(b->dec[i].symbol, symbol) == 0)
			return &b->dec[i];
	if (!create || b->dec_n * 2 >= b->dec_mask)
		return NULL;
	b->dec_n++;
	copy_name(b->dec[i].symbol, sizeof(b->dec[i].symbol), symbol);
	return &b->dec[i];
}

int strat_book_new(struct strat_book **out, const struct strat_book_config *cfg)
{
	if (!cfg || cfg->window_count < 2 || cfg->window_age_ms < 0 || cfg->max_units < 1 ||
	    cfg->max_units > 10000000 || cfg->decision_ttl_ms < 0)
		return ORCH_EINVAL;
	struct strat_book *b = calloc(1, sizeof(*b));
	if (!b)
		return ORCH_ENOMEM;
	b->cfg = *cfg;
	size_t size = 1024;
	while (size < 2 * cfg->max_units && size < (1u << 20))
		size <<= 1;
	b->dec = calloc(size, sizeof(*b->dec));
	b->dec_mask = size - 1;
	if (!b->dec || registry_init(&b->strategies, cfg->max_units, 0) != 0 ||
	    registry_init(&b->models, cfg->max_units, 1) != 0) {
		strat_book_free(b);
		return ORCH_ENOMEM;
	}
	*out = b;
	return 0;
}

void strat_book_free(struct strat_book *b)
{
	if (!b)
		return;
	registry_free(&b->strategies);
	registry_free(&b->models);
	free(b->dec);
	free(b);
}

static int apply_trade(struct strat_book *b, const struct strat_input *in)
{
	const char *name = in->strategy;
	if (!name[0] && in->symbol[0]) {
		struct decision *d = decision_slot(b, in->symbol, 0);
		if (d && d->strategy[0] && in->t_ms - d->t_ms <= b->cfg.decision_ttl_ms && in->t_ms >= d->t_ms)
			name = d->strategy;
	}
	if (!name[0])
		name = in->model[0] ? in->model : STRAT_UNATTRIBUTED;
	struct strat_unit *u = registry_get(&b->strategies, name);
	if (!u || unit_push(u, b->cfg.window_count, 0, in->t_ms, in->ret, 0, -1) != 0)
		return ORCH_ENOMEM;
	if (in->model[0] && in->side && (in->outcome || in->ret != 0)) {
		int right = in->outcome ? in->side == in->outcome : in->ret > 0;
		struct strat_unit *m = registry_get(&b->models, in->model);
		if (!m || unit_push(m, b->cfg.window_count, 1, in->t_ms, right, in->side, in->confidence) != 0)
			return ORCH_ENOMEM;
	}
	return 0;
}

int strat_book_apply(struct strat_book *b, const struct strat_input *in, int64_t now_ms, char *why, size_t whylen)
{
	if (trade_check_age(in->t_ms, now_ms, b->cfg.window_age_ms, why, whylen) != 0)
		return ORCH_EMALFORMED;
	switch (in->kind) {
	case STRAT_IN_TRADE:
		if (!(in->ret > -1) || !isfinite(in->ret)) {
			snprintf(why, whylen, "return %g is a loss beyond 100%%", in->ret);
			return ORCH_EMALFORMED;
		}
		return apply_trade(b, in);
	case STRAT_IN_DECISION:
		if (in->side && in->strategy[0]) {
			struct decision *d = decision_slot(b, in->symbol, 1);
			if (d && in->t_ms >= d->t_ms) {
				copy_name(d->strategy, sizeof(d->strategy), in->strategy);
				d->t_ms = in->t_ms;
			}
		}
		return 0;
	case STRAT_IN_REGIME:
		copy_name(b->regime, sizeof(b->regime), in->regime);
		return 0;
	}
	snprintf(why, whylen, "unknown input kind");
	return ORCH_EMALFORMED;
}

void strat_book_expire(struct strat_book *b, int64_t now_ms)
{
	if (!b->cfg.window_age_ms)
		return;
	int64_t oldest = now_ms - b->cfg.window_age_ms;
	for (size_t i = 0; i < b->strategies.n; i++)
		unit_expire(&b->strategies.u[i], oldest);
	for (size_t i = 0; i < b->models.n; i++)
		unit_expire(&b->models.u[i], oldest);
}

size_t strat_book_strategies(const struct strat_book *b)
{
	return b->strategies.n;
}

size_t strat_book_models(const struct strat_book *b)
{
	return b->models.n;
}

struct strat_unit *strat_book_strategy(struct strat_book *b, size_t i)
{
	return &b->strategies.u[i];
}

struct strat_unit *strat_book_model(struct strat_book *b, size_t i)
{
	return &b->models.u[i];
}

const char *strat_book_regime(const struct strat_book *b)
{
	return b->regime;
}
