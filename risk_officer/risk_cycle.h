/*
 * risk_cycle.h - one turn of the Risk Officer between an input and what it
 * publishes, pure (jansson only; the caller passes the time): assess the
 * book against the limits in force, move the alert levels, say whether a
 * risk_alert and a risk_ceiling_update are due, and take the reference
 * limits from a PolicyStore document. The service (main.c) and the
 * in-process backtest both run it, so they decide alike.
 */
#ifndef RISK_CYCLE_H
#define RISK_CYCLE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "risk_book.h"
#include "risk_brain.h"
#include "risk_report.h"

struct risk_cycle {
	struct risk_book *book; /* borrowed */
	struct risk_book_config cfg;
	struct risk_limits env;    /* the ORCH_RISK_* ceilings */
	struct risk_limits limits; /* env + the policy's risk_limits */
	struct risk_alert_state alerts;
	struct risk_ceilings last_ceilings; /* the last published */
	int have_ceilings;
};

/* Starts with the limits env, no alert and no ceilings published. */
void risk_cycle_init(struct risk_cycle *c, struct risk_book *book, const struct risk_book_config *cfg,
		     const struct risk_limits *env);
/* Assesses the book at now_ms (expiring old returns) into a; the alert
 * level changes go into changes (room for RISK_A_COUNT), their number
 * into *n_changes. */
void risk_cycle_assess(struct risk_cycle *c, int64_t now_ms, struct risk_assessment *a, struct risk_alert *changes,
		       int *n_changes);
/* 1 when one of the changes raises a level (a risk_alert goes out). */
int risk_cycle_raised(const struct risk_alert *changes, int n);
/* 1 when a's ceilings differ from the last published ones, which they
 * then become (a risk_ceiling_update goes out). */
int risk_cycle_ceilings_due(struct risk_cycle *c, const struct risk_assessment *a);
/* The risk_ceiling_update payload for a. New reference, NULL when out of
 * memory. */
json_t *risk_cycle_ceiling_payload(const struct risk_assessment *a);
/*
 * The reference limits a PolicyStore document (borrowed) sets: its
 * operator-owned `risk_limits` object over env. Returns 0, or ORCH_EINVAL
 * with the reason in err (the limits are unusable; keep the previous).
 */
int risk_cycle_limits_from_policy(const struct risk_limits *env, const json_t *doc, struct risk_limits *out, char *err,
				  size_t errlen);

#endif
