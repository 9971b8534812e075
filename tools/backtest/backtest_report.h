/*
 * backtest_report.h - a replay's result as one self-contained HTML page
 * (no script, no network: inline CSS and SVG in the dashboard's colours):
 * both books' equity (log scale) and drawdown curves over the operating
 * modes as coloured bands, the summary's figures side by side, time in
 * each mode, the mode switches and, when given, the sensitivity table.
 * Written by `orchctl backtest --report` and by the demo's feeder.
 */
#ifndef BACKTEST_REPORT_H
#define BACKTEST_REPORT_H

#include <jansson.h>
#include <stddef.h>

#include "replay_prices.h"
#include "replay_summary.h"

/*
 * Writes the page to path: summary (replay_summary_json), the prices'
 * dates, the day-by-day record, sensitivity (backtest_sensitivity.h) or
 * NULL. Returns 0, or with the reason in err ORCH_EIO, ORCH_ENOMEM or
 * ORCH_EINVAL (fewer than two days).
 */
int backtest_report_write(const char *path, const json_t *summary, const struct replay_prices *p,
			  const struct replay_record *rec, const json_t *sensitivity, char *err, size_t errlen);

#endif
