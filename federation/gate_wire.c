/*
 * gate_wire.c - the live gate's bodies, answers and state (rules in
 * gate_wire.h). jansson only: no I/O, no clock.
 */
#include "gate_wire.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json_util.h"
#include "orch.h"

/* ---- bodies ---- */

static int bad(char *why, size_t whylen, const char *field, const char *what)
{
	snprintf(why, whylen, "%s: %s", field, what);
	return ORCH_EMALFORMED;
}

/* Parses body with Python's bare NaN, Infinity and -Infinity read as null
 * (outside strings no other JSON token holds an 'N' or an 'I'). 0 with a
 * new reference in *out, ORCH_EMALFORMED with the reason in why, or
 * ORCH_ENOMEM. */
static int load_body(const char *body, size_t len, json_t **out, char *why, size_t whylen)
{
	static const char *const BARE[] = {"NaN", "Infinity", "-Infinity"};
	char *buf = malloc(len + len / 3 + 1); /* "NaN" -> "null" grows by a third at most */
	if (!buf) {
		snprintf(why, whylen, "out of memory");
		return ORCH_ENOMEM;
	}
	size_t n = 0;
	int in_str = 0, esc = 0;
	for (size_t i = 0; i < len; i++) {
		char ch = body[i];
		if (in_str) {
			in_str = esc || ch != '"';
			esc = !esc && ch == '\\';
		} else if (ch == '"') {
			in_str = 1;
		} else {
			size_t k = 0, m = 0;
			for (; k < 3; k++)
				if (len - i >= (m = strlen(BARE[k])) && !memcmp(body + i, BARE[k], m))
					break;
			if (k < 3) {
				memcpy(buf + n, "null", 4);
				n += 4;
				i += m - 1;
				continue;
			}
		}
		buf[n++] = ch;
	}
	json_error_t err;
	*out = json_loadb(buf, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
	free(buf);
	if (*out)
		return 0;
	snprintf(why, whylen, "body: not JSON (%s at %d)", err.text, err.position);
	return ORCH_EMALFORMED;
}

static int read_name(const json_t *o, const char *const *keys, char *out, char *why, size_t whylen)
{
	for (; *keys; keys++) {
		const json_t *v = json_object_get(o, *keys);
		if (!v || json_is_null(v))
			continue;
		if (!json_is_string(v))
			return bad(why, whylen, *keys, "not a string");
		if (json_string_length(v) >= GATE_NAME_LEN)
			return bad(why, whylen, *keys, "longer than 63 bytes");
		if (json_string_length(v) > 0) {
			memcpy(out, json_string_value(v), json_string_length(v) + 1);
			return 0;
		}
	}
	out[0] = 0;
	return 0;
}

/* A number that may be absent (*out untouched); negative ones refused when
 * nonneg is set. */
static int read_number(const json_t *o, const char *key, int nonneg, double *out, int *present, char *why,
		       size_t whylen)
{
	double v;
	int rc = json_util_get_double(o, key, &v);
	*present = rc == 0;
	if (rc == ORCH_ENOENT)
		return 0;
	if (rc != 0 || !isfinite(v))
		return bad(why, whylen, key, "not a number");
	if (nonneg && v < 0)
		return bad(why, whylen, key, "negative");
	*out = v;
	return 0;
}

static int read_signal(const json_t *o, int need_direction, struct gate_signal *out, char *why, size_t whylen)
{
	static const char *const STRATEGY_KEYS[] = {"strategy", "strategy_id", "strategy_name", NULL};
	static const char *const MODEL_KEYS[] = {"model", "model_id", "model_name", NULL};
	static const char *const DIRECTIONS[] = {"BUY", "SELL", "LONG", "SHORT"};
	const json_t *sym = json_object_get(o, "symbol");
	if (!json_is_string(sym))
		return bad(why, whylen, "symbol", sym ? "not a string" : "missing");
	if (json_string_length(sym) == 0 || json_string_length(sym) >= GATE_NAME_LEN)
		return bad(why, whylen, "symbol", "empty or longer than 63 bytes");
	memcpy(out->symbol, json_string_value(sym), json_string_length(sym) + 1);
	const json_t *dir = json_object_get(o, "direction");
	if (dir || need_direction) {
		int ok = 0;
		for (size_t i = 0; json_is_string(dir) && i < 4; i++)
			ok |= !strcasecmp(json_string_value(dir), DIRECTIONS[i]);
		if (!ok)
			return bad(why, whylen, "direction", dir ? "not BUY, SELL, LONG or SHORT" : "missing");
	}
	int present, rc;
	if ((rc = read_number(o, "confidence", 0, &out->confidence, &out->has_confidence, why, whylen)) ||
	    (rc = read_number(o, "position_size_usd", 1, &out->size_usd, &present, why, whylen)) ||
	    (rc = read_number(o, "leverage", 1, &out->leverage, &present, why, whylen)) ||
	    (rc = read_name(o, STRATEGY_KEYS, out->strategy, why, whylen)) ||
	    (rc = read_name(o, MODEL_KEYS, out->model, why, whylen)))
		return rc;
	return 0;
}

/* A strategy body (the signal itself) or a risk body ({signal, operating_mode}). */
static int parse_body(const char *body, size_t len, int risk, struct gate_signal *out, char *why, size_t whylen)
{
	memset(out, 0, sizeof(*out));
	json_t *j;
	int rc = load_body(body, len, &j, why, whylen);
	if (rc)
		return rc;
	const json_t *sig = risk ? json_object_get(j, "signal") : j, *mode = json_object_get(j, "operating_mode");
	if (!json_is_object(j))
		rc = bad(why, whylen, "body", "not an object");
	else if (!json_is_object(sig))
		rc = bad(why, whylen, "signal", sig ? "not an object" : "missing");
	else if (risk && mode && !json_is_null(mode) && !json_is_string(mode))
		rc = bad(why, whylen, "operating_mode", "not a string");
	else
		rc = read_signal(sig, !risk, out, why, whylen);
	if (rc == 0 && risk && json_is_string(mode))
		snprintf(out->client_mode, sizeof(out->client_mode), "%s", json_string_value(mode));
	json_decref(j);
	return rc;
}

int gate_wire_parse_strategy(const char *body, size_t len, struct gate_signal *out, char *why, size_t whylen)
{
	return parse_body(body, len, 0, out, why, whylen);
}

int gate_wire_parse_risk(const char *body, size_t len, struct gate_signal *out, char *why, size_t whylen)
{
	return parse_body(body, len, 1, out, why, whylen);
}

/* ---- answers ---- */

static json_t *or_null(double v)
{
	return v < 0 ? json_null() : json_real(v);
}

json_t *gate_wire_status(const struct gate_ceo_status *st, int64_t now_ms)
{
	char ts[32];
	json_util_format_ts_us(now_ms * 1000, ts, sizeof(ts));
	return json_pack("{s:s, s:s, s:f, s:o, s:b, s:b, s:o, s:s, s:s, s:{s:s, s:s}}",
			 "status",
			 "active",
			 "mode",
			 gate_mode_name(st->mode),
			 "confidence",
			 st->confidence,
			 "operating_mode",
			 st->operating_mode[0] ? json_string(st->operating_mode) : json_null(),
			 "safe_side",
			 st->safe_side,
			 "emergency_stop",
			 st->emergency_held,
			 "decision_age_s",
			 or_null(st->decision_age_s),
			 "reason",
			 st->reason,
			 "timestamp",
			 ts,
			 "conventions",
			 "confidence",
			 "0-1: the decision's confidence times its freshness, 0 on the safe side",
			 "mode",
			 "ACTIVE (EXPANSION, GROWTH), PASSIVE (DEFENSIVE, CAPITAL_PRESERVATION), EMERGENCY (BLACK_SWAN "
			 "or an emergency stop)");
}

json_t *gate_wire_health(const char *service, const struct gate_ceo_status *st, int64_t now_ms)
{
	char ts[32];
	json_util_format_ts_us(now_ms * 1000, ts, sizeof(ts));
	return json_pack("{s:s, s:s, s:s, s:b, s:s}",
			 "status",
			 st->safe_side ? "degraded" : "healthy",
			 "service",
			 service,
			 "timestamp",
			 ts,
			 "enabled",
			 1,
			 "mode",
			 gate_mode_name(st->mode));
}

json_t *gate_wire_strategy(const struct gate_strategy_verdict *v, int64_t now_ms)
{
	char ts[32];
	json_util_format_ts_us(now_ms * 1000, ts, sizeof(ts));
	return json_pack("{s:b, s:s, s:s, s:o, s:s}",
			 "approved",
			 v->approved,
			 "reason",
			 v->reason,
			 "code",
			 gate_refusal_name(v->code),
			 "min_confidence",
			 or_null(v->min_confidence),
			 "timestamp",
			 ts);
}

json_t *gate_wire_risk(const struct gate_risk_verdict *v, int64_t now_ms)
{
	char ts[32];
	json_util_format_ts_us(now_ms * 1000, ts, sizeof(ts));
	return json_pack("{s:b, s:f, s:f, s:f, s:f, s:f, s:f, s:o, s:s, s:s, s:s, s:b, s:s, s:{s:s, s:s, s:s, s:s}}",
			 "approved",
			 v->approved,
			 "position_size",
			 v->position_size_usd,
			 "leverage",
			 v->leverage,
			 "risk_score",
			 v->risk_score,
			 "max_loss",
			 v->max_loss_usd,
			 "adjusted_size_usd",
			 v->position_size_usd,
			 "adjusted_leverage",
			 v->leverage,
			 "state_risk_score",
			 or_null(v->state_risk_score),
			 "mode",
			 gate_mode_name(v->mode),
			 "reason",
			 v->reason,
			 "code",
			 gate_refusal_name(v->code),
			 "rl_applied",
			 0,
			 "timestamp",
			 ts,
			 "conventions",
			 "position_size",
			 "USD notional, never above the requested size times scaling_factor; 0 when refused",
			 "leverage",
			 "notional / margin, within max_leverage; 0 when refused",
			 "risk_score",
			 "0-100, higher = more risk; 100 when the layer says stop",
			 "max_loss",
			 "USD lost at the stop: position_size times the stop-loss fraction");
}

/* ---- state ---- */

static double get_num(const json_t *o, const char *key, double dflt)
{
	double v;
	return json_util_get_double(o, key, &v) == 0 && isfinite(v) ? v : dflt;
}

static void read_limits(const json_t *o, const char *risk_key, struct gate_limits *l)
{
	l->known = o != NULL;
	l->max_leverage = get_num(o, "max_leverage", -1);
	l->max_risk_pct_per_trade = get_num(o, risk_key, -1);
	l->scaling_factor = get_num(o, "scaling_factor", -1);
	l->global_min_confidence = get_num(o, "global_min_confidence", -1);
	l->max_positions = (int)get_num(o, "max_positions", -1);
}

static void read_mode(const struct fed_state *s, const json_t *gs, struct gate_state *out)
{
	const char *mode = json_util_get_str(gs, "global_mode"), *src = json_util_get_str(gs, "mode_source");
	const char *decided = json_util_get_str(gs, "mode_decision_source");
	if (!mode || !src || !strcmp(src, "none"))
		return;
	snprintf(out->operating_mode, sizeof(out->operating_mode), "%s", mode);
	if (decided && !strcmp(decided, "ceo")) {
		out->mode_at_ms = s->at_ms[FED_CEO];
		out->decision_confidence = get_num(gs, "mode_decision_confidence", -1);
	} else if (decided && !strcmp(decided, "mode_switch")) {
		out->mode_at_ms = s->at_ms[FED_SWITCH];
	}
}

static void read_emergency(const json_t *pol, struct gate_state *out)
{
	int emergency = 0, allow = 1;
	json_util_get_bool(pol, "emergency_mode", &emergency);
	json_util_get_bool(pol, "allow_new_trades", &allow);
	out->emergency_held = emergency || !allow;
	const char *why = json_util_get_str(pol, "emergency_reason");
	if (out->emergency_held)
		snprintf(out->emergency_reason,
			 sizeof(out->emergency_reason),
			 "%s",
			 why && *why ? why
			 : emergency ? "emergency_mode true"
				     : "allow_new_trades false");
}

static void read_risk(const struct fed_state *s, struct gate_state *out)
{
	const json_t *risk = s->doc[FED_RISK], *metrics = json_object_get(risk, "metrics");
	double score = get_num(risk, "risk_score", -1);
	if (!risk || score < 0 || score > 100)
		return;
	out->risk_at_ms = s->at_ms[FED_RISK];
	out->risk_score = score;
	json_util_get_bool(risk, "should_pause_trading", &out->risk_pause);
	const char *level = json_util_get_str(risk, "risk_level");
	out->risk_critical = level && !strcasecmp(level, "critical");
	out->equity_usd = get_num(metrics, "equity", -1);
	out->open_positions = (int)get_num(metrics, "open_positions", -1);
}

void gate_wire_state(const struct fed_state *s, const json_t *global_state, struct gate_state *out)
{
	gate_state_init(out);
	const json_t *pol = s->doc[FED_POLICY], *strat = s->doc[FED_STRATEGY];
	read_mode(s, global_state, out);
	read_emergency(pol, out);
	snprintf(out->policy_problem, sizeof(out->policy_problem), "%.*s", GATE_REASON_LEN - 1, s->policy_problem);
	read_limits(json_object_get(global_state, "effective_risk_limits"), "max_risk_pct_per_trade", &out->limits);
	if (s->doc[FED_CEILING])
		read_limits(s->doc[FED_CEILING], "max_risk_per_trade", &out->ceiling);
	read_risk(s, out);
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(global_state, "disabled_strategies"), i, v)
		gate_state_disable(out, 0, json_string_value(v));
	json_array_foreach(json_object_get(pol, "disabled_models"), i, v)
		gate_state_disable(out, 1, json_string_value(v));
	json_array_foreach(json_object_get(strat, "models"), i, v)
	{
		const char *st = json_util_get_str(v, "status");
		if (st && !strcmp(st, "disabled"))
			gate_state_disable(out, 1, json_util_get_str(v, "model"));
	}
}
