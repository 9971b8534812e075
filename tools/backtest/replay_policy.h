/*
 * replay_policy.h - what the demo's book takes from a PolicyStore document
 * (the original schema), pure (jansson only): the active mode's
 * max_positions, max_risk_pct_per_trade, max_leverage and scaling_factor,
 * allow_new_trades, emergency_mode (closes everything) and
 * disabled_strategies; and the CEO's operating_mode, for the record.
 */
#ifndef REPLAY_POLICY_H
#define REPLAY_POLICY_H

#include <jansson.h>

#include "replay_book.h"

#define REPLAY_POLICY_MAX_DISABLED 64

struct replay_policy {
	struct rb_limits l; /* l.disabled points into this struct */
	char disabled_buf[REPLAY_POLICY_MAX_DISABLED][64];
	const char *disabled[REPLAY_POLICY_MAX_DISABLED];
	char mode[32]; /* operating_mode, "" when the document has none */
};

/* The trading system's own defaults (its NORMAL mode, policy_default_doc):
 * the limits a book keeps without the layer, and until a policy exists. */
void replay_policy_normal(struct replay_policy *v);
/* The limits doc (borrowed, may be NULL) gives the book: base's, overlaid
 * with what doc says (fields it lacks keep base's value). */
void replay_policy_read(const json_t *doc, const struct replay_policy *base, struct replay_policy *v);

#endif
