/*
 * trade.h - the closed-trade fields the original system's producers write
 * (auto_executor's direct trade.closed, publishers.py's position.closed),
 * read the same way by every service. Pure (jansson only).
 */
#ifndef ORCH_TRADE_H
#define ORCH_TRADE_H

#include <jansson.h>
#include <stddef.h>

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

#endif
