/*
 * ceo_report.h - the CEO's payloads and its PolicyStore document, pure
 * (jansson only).
 *
 * Operating mode -> the original schema's active_mode (the risk modes the
 * trading services read): GROWTH -> AGGRESSIVE_SMALL_ACCOUNT, EXPANSION ->
 * NORMAL, DEFENSIVE, CAPITAL_PRESERVATION and BLACK_SWAN -> DEFENSIVE.
 * The effective limits go into modes[active_mode] under the schema's names
 * (max_positions, not the original CEO's max_open_positions), the
 * operating mode into an added operating_mode field. BLACK_SWAN also sets
 * emergency_mode true, allow_new_trades false, emergency_reason and
 * emergency_activated_at; leaving it clears them. BLACK_SWAN's limits of 0
 * positions and 0 scaling are written as the schema's smallest values, 1
 * and 0.01, beside allow_new_trades false.
 */
#ifndef CEO_REPORT_H
#define CEO_REPORT_H

#include <jansson.h>
#include <stdint.h>

#include "ceo_brain.h"

const char *ceo_risk_mode_of(enum ceo_mode m);
/* The mode a CEO that starts leading takes from the stored document
 * (borrowed, may be NULL): its operating_mode; else from the original's
 * active_mode (AGGRESSIVE_SMALL_ACCOUNT: GROWTH, NORMAL: EXPANSION, else
 * DEFENSIVE), BLACK_SWAN when emergency_mode is true. */
enum ceo_mode ceo_report_start_mode(const json_t *doc);

/* The policy document for mode m with limits l, from the current one
 * (borrowed). *changed tells whether it differs from cur. New reference,
 * or NULL (out of memory). */
json_t *ceo_report_policy_doc(const json_t *cur, enum ceo_mode m, const struct ceo_limits *l, const char *reason,
			      int64_t now_ms, int *changed);

/* ceo_decision payload (the original's fields, then ours). New reference. */
json_t *ceo_report_decision(const struct ceo_decision *d, const char *trigger, int update_policy, int64_t now_ms);
/* ceo_mode_switch payload. operator_id may be NULL (a rule switched). */
json_t *ceo_report_mode_switch(enum ceo_mode old_mode, enum ceo_mode new_mode, const char *rule, const char *reason,
			       const char *operator_id, const char *request_id, uint64_t fence, int64_t now_ms);
/* ceo_alert payload: level "warning" or "critical". */
json_t *ceo_report_alert(const char *level, const char *message, enum ceo_mode mode, int64_t now_ms);
/* The effective limits under the schema's names. New reference. */
json_t *ceo_report_limits(const struct ceo_limits *l);

#endif
