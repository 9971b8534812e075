/*
 * trade.h - the closed-trade fields the original system's producers write
 * (auto_executor's direct trade.closed, publishers.py's position.closed),
 * read the same way by every service. Pure (jansson only).
 */
#ifndef ORCH_TRADE_H
#define ORCH_TRADE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The domain of a trade's return (fractions): a loss below 100% (more
 * cannot be lost) and a gain of at most 1000%. Beyond it is a broken
 * producer, not a trade; one such value used to overflow every measure. */
#define TRADE_MIN_RETURN (-1.0) /* exclusive */
#define TRADE_MAX_RETURN 10.0   /* inclusive */

/* The trade's return as a fraction of its stake, from pnl_percent |
 * pnl_pct | realized_pnl_pct (PERCENT, numbers or numeric strings).
 * Returns 0, or ORCH_EMALFORMED with the reason in why (no such field,
 * not a number, outside the domain above). */
int trade_parse_return(const json_t *payload, double *ret, char *why, size_t whylen);

/* An input stamped t_ms against a window that keeps window_age_ms (0 = no
 * age limit) at now_ms (the decision clock). Returns 0, or
 * ORCH_EMALFORMED with the reason in why when the input is older than the
 * window: it could never count (a trade dated 1970 used to vanish at the
 * next expiry, or count as the newest), so it is refused, and the
 * service dead-letters it, rather than dropped in silence. */
int trade_check_age(int64_t t_ms, int64_t now_ms, int64_t window_age_ms, char *why, size_t whylen);

#endif
