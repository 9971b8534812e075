/*
 * trade.h - the closed-trade fields the original system's producers write
 * (auto_executor's direct trade.closed, publishers.py's position.closed),
 * read the same way by every service. Pure (jansson only).
 */
#ifndef ORCH_TRADE_H
#define ORCH_TRADE_H

#include <jansson.h>
#include <stddef.h>

/* The trade's return as a fraction of its stake, from pnl_percent |
 * pnl_pct | realized_pnl_pct (PERCENT, numbers or numeric strings).
 * Returns 0, or ORCH_EMALFORMED with the reason in why (no such field,
 * not a number, a loss of 100% or more). */
int trade_parse_return(const json_t *payload, double *ret, char *why, size_t whylen);

#endif
