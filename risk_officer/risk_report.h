/*
 * risk_report.h - the Risk Officer's outgoing payloads, pure (jansson
 * only): risk_state_update, risk_alert and risk_ceiling_update with the
 * original system's field names, plus our additions that carry every
 * number's convention (sign, confidence, window, method).
 */
#ifndef RISK_REPORT_H
#define RISK_REPORT_H

#include <jansson.h>
#include <stdint.h>

#include "risk_book.h"
#include "risk_brain.h"

/* Everything one assessment produced. */
struct risk_assessment {
	struct risk_view view;
	const char *source; /* "equity_snapshots" | "closed_trades" | "none" */
	struct risk_score score;
	struct risk_ceilings ceilings;
	struct risk_alert_state alerts; /* levels after this assessment */
	int64_t now_ms;
	int64_t period_ms; /* portfolio return period */
	size_t window_count;
	int64_t window_age_ms;
};

/* risk_state_update payload; strategies (borrowed, may be NULL) goes in as
 * "strategies". New reference, caller owns it. */
json_t *risk_report_state(const struct risk_assessment *a, const json_t *strategies);
/* risk_alert payload for the given level changes. New reference. */
json_t *risk_report_alert(const struct risk_assessment *a, const struct risk_alert *changes, int n);
/* risk_ceiling_update payload. New reference. */
json_t *risk_report_ceiling(const struct risk_assessment *a, const char *reason);
/* One line per alert, e.g. "CRITICAL DRAWDOWN: current_drawdown 0.162 >= 0.15". */
void risk_report_alert_text(const struct risk_alert *al, char *buf, size_t len);
#endif
