/*
 * replay_run.h - one replay of the demo's feeder: each day of the prices
 * through the simulated book that obeys the PolicyStore (published to the
 * layer, which then reacts) and through the same book under the trading
 * system's own NORMAL limits ("without the layer"); then the summary of
 * both, printed and, when asked, written as JSON and as an HTML page.
 */
#ifndef REPLAY_RUN_H
#define REPLAY_RUN_H

#include "replay_link.h"
#include "replay_prices.h"

#define REPLAY_INITIAL_EQUITY 1000000.0 /* USD, each book */

struct replay_options {
	const char *prices_path;  /* for the summary */
	const char *summary_path; /* --summary-json, NULL = none */
	const char *report_path;  /* --report, NULL = none */
	const char *rules;        /* the CEO's rule set, for the summary */
	const char *prefix;       /* ORCH_PREFIX */
	const char *policy_key;   /* the PolicyStore document's key (config_load_policy_key) */
	const char *command_key;  /* ORCH_COMMAND_KEY: the CEO's, to sign force_decision with */
	int delay_ms;             /* pause between days */
	int wait;                 /* 1: wait for the layer and ask the CEO to decide after each day */
};

/*
 * Replays p through both books against the layer on l. Returns 0;
 * ORCH_EINVAL when it must ask the CEO but has no key to sign with; or a
 * negative ORCH_E* code once a day could not be published, the CEO did not
 * decide, a file could not be written or memory ran out (each printed).
 */
int replay_run(const struct replay_prices *p, struct replay_link *l, const struct replay_options *o);

#endif
