/*
 * gate.h - the live gate's decisions, pure (libc only, the time passed in,
 * no allocation): what quantum_trader's ai-engine asks before every trade
 * intent (GET /status of its CEO brain, POST /evaluate of its strategy and
 * risk brains; contract in docs/live-gate.md), answered from the layer's
 * state. gate_wire.h reads the bodies and writes the answers.
 *
 * CEO mode, first match:
 *   EMERGENCY  a held emergency stop (PolicyStore emergency_mode true or
 *              allow_new_trades false), or operating mode BLACK_SWAN
 *   safe side  no operating mode, one not listed here, one older than
 *              stale_ms, or a PolicyStore not to be trusted now (the
 *              document lost, ...): cfg.safe_side (PASSIVE or EMERGENCY),
 *              never ACTIVE
 *   PASSIVE    CAPITAL_PRESERVATION, DEFENSIVE
 *   ACTIVE     GROWTH, EXPANSION
 * confidence = decision_confidence * (1 - age / stale_ms), 0 on the safe side.
 *
 * The layer says stop (both evaluations refuse; the risk answer carries
 * risk_score 100), first match: the emergency stop; mode EMERGENCY;
 * should_pause_trading; risk level critical; no risk state or one older
 * than stale_ms; no effective limits. Then, per signal: a confidence that is
 * missing or below the effective global_min_confidence; a disabled strategy
 * or model (names compared without case; when names were dropped any named
 * strategy or model is refused); and for the risk evaluation only: the
 * client's operating_mode EMERGENCY (stop), open positions at max_positions,
 * no size. The client skips the strategy brain outside EXPANSION, so the
 * risk evaluation repeats every strategy refusal.
 *
 * Sizing, with the stricter of the effective limits and the Risk Officer's
 * ceilings (f = stop_loss_frac, the loss at the stop as a fraction of the
 * notional; the original stub's max_loss is 2 % of the size):
 *   leverage = min(requested or max_leverage, max_leverage)
 *   cap      = equity * max_risk_pct_per_trade * scaling_factor / f,
 *              and at most equity * leverage (no cap when equity is unknown)
 *   size     = min(requested * scaling_factor * min(1, max_risk_pct_per_trade
 *              / GATE_NORMAL_RISK_PER_TRADE), cap), or cap without a request;
 *              neither -> refused (no size)
 *   max_loss = size * f
 */
#ifndef FEDERATION_GATE_H
#define FEDERATION_GATE_H

#include <stddef.h>
#include <stdint.h>

#define GATE_NAME_LEN   64  /* bytes with the NUL */
#define GATE_MAX_NAMES  128 /* per list */
#define GATE_MODE_LEN   24
#define GATE_REASON_LEN 200
/* The risk per trade the engine's intents are sized for: the default
 * PolicyStore document's NORMAL (common/policy_doc.c). A mode with less
 * scales an intent's size down in proportion. */
#define GATE_NORMAL_RISK_PER_TRADE 0.015

enum gate_mode { GATE_ACTIVE, GATE_PASSIVE, GATE_EMERGENCY, GATE_MODE_UNKNOWN };

/* Why an evaluation refused; GATE_R_NONE = approved. */
enum gate_refusal {
	GATE_R_NONE,
	GATE_R_EMERGENCY_STOP,   /* held in the PolicyStore */
	GATE_R_BLACK_SWAN,       /* operating mode BLACK_SWAN */
	GATE_R_NO_DECISION,      /* mode missing, unknown or stale, safe side EMERGENCY */
	GATE_R_RISK_PAUSE,       /* should_pause_trading */
	GATE_R_RISK_CRITICAL,    /* risk level critical */
	GATE_R_NO_RISK_STATE,    /* missing or older than stale_ms */
	GATE_R_NO_LIMITS,        /* no effective limits known */
	GATE_R_CLIENT_EMERGENCY, /* the risk body's operating_mode */
	GATE_R_NO_CONFIDENCE,    /* missing, not finite or outside 0..1 */
	GATE_R_LOW_CONFIDENCE,
	GATE_R_DISABLED_STRATEGY,
	GATE_R_DISABLED_MODEL,
	GATE_R_NAMES_INCOMPLETE, /* a disabled list lost names */
	GATE_R_MAX_POSITIONS,
	GATE_R_NO_SIZE,
	GATE_R_COUNT
};

/* Limits of the active mode. In the effective limits, `known` needs the
 * four doubles (>= 0); max_positions < 0 means no bound. In the Risk
 * Officer's ceiling every negative field means no bound. */
struct gate_limits {
	int known;                     /* 0: none (effective limits: refuses) */
	double max_leverage;           /* x, > 0 */
	double max_risk_pct_per_trade; /* fraction of equity one trade may lose */
	double scaling_factor;         /* multiplies every size */
	double global_min_confidence;  /* 0..1 */
	int max_positions;
};

/* The layer's state, self-contained (no pointers: copy it by value to the
 * threads that answer). gate_state_init() sets every field to "unknown". */
struct gate_state {
	char operating_mode[GATE_MODE_LEN]; /* "" = none */
	int64_t mode_at_ms;                 /* when reported; 0 = never */
	double decision_confidence;         /* 0..1; < 0 unknown (taken as 1) */
	int emergency_held;                 /* emergency_mode or !allow_new_trades */
	char emergency_reason[GATE_REASON_LEN];
	char policy_problem[GATE_REASON_LEN]; /* why the policy is not to be trusted now, "" = none */
	struct gate_limits limits;            /* effective limits */
	struct gate_limits ceiling;           /* the Risk Officer's (known may be 0) */
	int64_t risk_at_ms;                   /* 0 = never */
	double risk_score;                    /* 0-100, higher = more risk */
	int risk_pause;                       /* should_pause_trading */
	int risk_critical;                    /* risk_level "critical" */
	double equity_usd;                    /* <= 0 unknown */
	int open_positions;                   /* < 0 unknown */
	char disabled_strategies[GATE_MAX_NAMES][GATE_NAME_LEN];
	int n_disabled_strategies;
	char disabled_models[GATE_MAX_NAMES][GATE_NAME_LEN];
	int n_disabled_models;
	int names_dropped; /* names that did not fit */
};

struct gate_config {
	int64_t stale_ms;         /* decision and risk state, > 0 */
	enum gate_mode safe_side; /* GATE_PASSIVE or GATE_EMERGENCY */
	double stop_loss_frac;    /* (0, 1] */
};

/* One signal as the client sends it (gate_wire.h reads it). */
struct gate_signal {
	char symbol[GATE_NAME_LEN];
	char strategy[GATE_NAME_LEN];    /* "" = none */
	char model[GATE_NAME_LEN];       /* "" = none */
	int has_confidence;              /* 0: missing or unusable */
	double confidence;               /* 0..1 */
	double size_usd;                 /* requested notional, 0 = none */
	double leverage;                 /* requested, 0 = none */
	char client_mode[GATE_MODE_LEN]; /* the risk body's operating_mode */
};

struct gate_ceo_status {
	enum gate_mode mode;
	double confidence;                  /* 0..1 */
	char operating_mode[GATE_MODE_LEN]; /* the layer's, "" = none */
	int safe_side;                      /* answered from the safe side */
	int emergency_held;
	double decision_age_s; /* < 0: no decision */
	char reason[GATE_REASON_LEN];
};

struct gate_strategy_verdict {
	int approved;
	enum gate_refusal code;
	char reason[GATE_REASON_LEN];
	double min_confidence; /* < 0 unknown */
};

struct gate_risk_verdict {
	int approved;
	enum gate_refusal code;
	char reason[GATE_REASON_LEN];
	enum gate_mode mode;
	double position_size_usd; /* notional; 0 when refused */
	double leverage;          /* x; 0 when refused */
	double risk_score;        /* 100 on stop, else the state's */
	double state_risk_score;  /* the state's; < 0 unknown */
	double max_loss_usd;      /* position_size_usd * stop_loss_frac */
};

/* stale_ms 90000 (the federation's freshness for the CEO and risk states),
 * safe side PASSIVE, stop_loss_frac 0.02. */
void gate_config_defaults(struct gate_config *c);
/* 0, or ORCH_EINVAL naming the field in err. */
int gate_config_validate(const struct gate_config *c, char *err, size_t errlen);
void gate_state_init(struct gate_state *s);
/* Adds a name to the disabled strategies (models = 0) or models (1).
 * Returns 0 (also when already there), or ORCH_EFULL / ORCH_EINVAL (too
 * long, empty) after counting it in names_dropped. */
int gate_state_disable(struct gate_state *s, int models, const char *name);

/* "ACTIVE", "PASSIVE", "EMERGENCY" ("UNKNOWN" otherwise). */
const char *gate_mode_name(enum gate_mode m);
/* Parses one of those names (any case): 0 or ORCH_EINVAL. */
int gate_mode_parse(const char *s, enum gate_mode *out);
/* The gate mode of one of the five operating modes; GATE_MODE_UNKNOWN for
 * anything else (NULL included). */
enum gate_mode gate_mode_of(const char *operating_mode);
/* "emergency_stop", "low_confidence", ... ("none" for GATE_R_NONE). */
const char *gate_refusal_name(enum gate_refusal r);

void gate_ceo_status(const struct gate_state *s, const struct gate_config *c, int64_t now_ms,
		     struct gate_ceo_status *out);
void gate_strategy_evaluate(const struct gate_state *s, const struct gate_config *c, const struct gate_signal *sig,
			    int64_t now_ms, struct gate_strategy_verdict *out);
void gate_risk_evaluate(const struct gate_state *s, const struct gate_config *c, const struct gate_signal *sig,
			int64_t now_ms, struct gate_risk_verdict *out);

#endif
