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
 * emergency_mode true, allow_new_trades false, emergency_reason (starting
 * "CEO BLACK_SWAN: "), emergency_activated_at and emergency_set_by "ceo";
 * leaving it clears them. BLACK_SWAN's limits of 0 positions and 0 scaling
 * are written as the schema's smallest values, 1 and 0.01, beside
 * allow_new_trades false.
 *
 * An emergency stop the CEO did not set (the original's Emergency Stop
 * System, an operator's raw write) is never cleared by a mode change: it
 * is kept as it is, emergency_set_by names its writer, and BLACK_SWAN's
 * limits go into modes.DEFENSIVE (active_mode DEFENSIVE) until it is
 * cleared by its writer or by an operator's clear_emergency_stop. A stop
 * is the CEO's when its reason carries the prefix (the original's model
 * drops keys it does not know, never the reason), or, written before
 * emergency_set_by existed, when it has none and operating_mode is
 * BLACK_SWAN.
 */
#ifndef CEO_REPORT_H
#define CEO_REPORT_H

#include <jansson.h>
#include <stdint.h>

#include "ceo_brain.h"

#define CEO_STOP_REASON_PREFIX "CEO BLACK_SWAN: "

/* The emergency stop a policy document holds. */
struct ceo_stop {
	int held;              /* emergency_mode true or allow_new_trades false */
	int ours;              /* set by the CEO for BLACK_SWAN */
	char set_by[64];       /* "ceo", the writer that set it, "external"; "" when none */
	char reason[200];      /* emergency_reason, "" when none */
	char activated_at[40]; /* emergency_activated_at, "" when none */
};

const char *ceo_risk_mode_of(enum ceo_mode m);
/* The mode a CEO that starts leading takes from the stored document
 * (borrowed, may be NULL): its operating_mode; else from the original's
 * active_mode (AGGRESSIVE_SMALL_ACCOUNT: GROWTH, NORMAL: EXPANSION, else
 * DEFENSIVE), BLACK_SWAN when the document holds the CEO's own stop. */
enum ceo_mode ceo_report_start_mode(const json_t *doc);
/* The stop doc (borrowed, may be NULL) holds; set_by of one the CEO did
 * not set: emergency_set_by, else the document's updated_by, else
 * "external". */
void ceo_report_stop_of(const json_t *doc, struct ceo_stop *out);
/* 1 when doc holds a stop the CEO did not set: its limits are then
 * BLACK_SWAN's. */
int ceo_report_external_stop(const json_t *doc);

/* The policy document for mode m with limits l (BLACK_SWAN's while cur
 * holds an external stop), from the current one (borrowed); with
 * clear_external, an external stop cur holds is cleared. *changed tells
 * whether it differs from cur. New reference, or NULL (out of memory). */
json_t *ceo_report_policy_doc(const json_t *cur, enum ceo_mode m, const struct ceo_limits *l, const char *reason,
			      int clear_external, int64_t now_ms, int *changed);

/* ceo_decision payload (the original's fields, then ours, with
 * emergency_stop when stop is not NULL). New reference. */
json_t *ceo_report_decision(const struct ceo_decision *d, const char *trigger, int update_policy,
			    const struct ceo_stop *stop, int64_t now_ms);
/* ceo_mode_switch payload. operator_id may be NULL (a rule switched). */
json_t *ceo_report_mode_switch(enum ceo_mode old_mode, enum ceo_mode new_mode, const char *rule, const char *reason,
			       const char *operator_id, const char *request_id, uint64_t fence, int64_t now_ms);
/* ceo_alert payload: level "warning" or "critical". */
json_t *ceo_report_alert(const char *level, const char *message, enum ceo_mode mode, int64_t now_ms);
/* The effective limits under the schema's names. New reference. */
json_t *ceo_report_limits(const struct ceo_limits *l);

#endif
