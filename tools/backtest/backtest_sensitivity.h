/*
 * backtest_sensitivity.h - does a result hinge on one number? Each rule
 * parameter of the three services (the settings their tables mark `rule`,
 * config.h) is set to half and to double its value in the run's settings,
 * one at a time, and the backtest runs again; the table holds the layer's
 * book's Sharpe, max drawdown, Calmar and BLACK_SWAN share for each.
 */
#ifndef BACKTEST_SENSITIVITY_H
#define BACKTEST_SENSITIVITY_H

#include <jansson.h>
#include <stdio.h>

#include "backtest.h"

/*
 * Runs the table over prices p, with the settings from src that gave c.
 * Returns a new JSON array of rows {setting, value, half, double}, each of
 * half and double {value, sharpe, max_drawdown, calmar, black_swan} or
 * {value, error} when the services refuse that value; NULL when out of
 * memory (err set).
 */
json_t *backtest_sensitivity(const struct replay_prices *p, const struct backtest_sources *src,
			     const struct backtest_config *c, char *err, size_t errlen);
/* Prints the table under the base run's figures (summary's with_layer). */
void backtest_sensitivity_print(FILE *f, const json_t *table, const json_t *summary);

#endif
