/*
 * replay/main.c - the demo's feeder: replays a CSV of daily prices through
 * the simulated book, which obeys the PolicyStore, publishing what real
 * trading services would in the original wire format, dated by the prices
 * (replay_run.h). Wiring only: options, settings, prices, link, the run.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceo_config.h"
#include "config.h"
#include "orch.h"
#include "replay_link.h"
#include "replay_prices.h"
#include "replay_run.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: replay [--prices FILE] [--summary-json FILE] [--report FILE] [--delay-ms N] [--no-wait]\n\n"
		"Replays daily prices (a CSV: a date column, then one column of closes per\n"
		"instrument; dates as YYYY-MM-DD or as decimal years like 1991.496) through a\n"
		"simulated book that obeys the PolicyStore (ORCH_POLICY_KEY), publishing\n"
		"trade.closed and portfolio.snapshot_updated in the original wire format to\n"
		"ORCH_REDIS_URL (prefix ORCH_PREFIX), then prints the book with and without\n"
		"the layer.\n\n"
		"  --prices FILE        default data/eustockmarkets.csv\n"
		"  --summary-json FILE  also write the summary as JSON\n"
		"  --report FILE        also write it as an HTML page: equity, drawdown, modes\n"
		"  --delay-ms N         pause between days (default 0)\n"
		"  --no-wait            do not wait for the layer between days nor ask the CEO\n"
		"                       to decide (a CEO that decides on its inputs)\n"
		"\n"
		"Each day's force_decision is signed with the CEO's key, ORCH_COMMAND_KEY (or\n"
		"ORCH_COMMAND_KEY_FILE). Exit status: 0 success, 2 usage or input error, 1 Redis\n"
		"error or no answer from the CEO.\n");
}

/* The options into o; 0, 1 for --help, or 2 (printed). */
static int parse_args(int argc, char **argv, struct replay_options *o)
{
	for (int i = 1; i < argc; i++) {
		int more = i + 1 < argc;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
		else if (!strcmp(argv[i], "--prices") && more)
			o->prices_path = argv[++i];
		else if (!strcmp(argv[i], "--summary-json") && more)
			o->summary_path = argv[++i];
		else if (!strcmp(argv[i], "--report") && more)
			o->report_path = argv[++i];
		else if (!strcmp(argv[i], "--delay-ms") && more)
			o->delay_ms = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--no-wait"))
			o->wait = 0;
		else {
			fprintf(stderr, "replay: unknown argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN); /* a lost Redis connection is retried, not a death */
	struct replay_options o = {.prices_path = "data/eustockmarkets.csv", .wait = 1};
	int rc = parse_args(argc, argv, &o);
	if (rc == 1)
		usage(stdout);
	if (rc != 0)
		return rc == 1 ? 0 : 2;
	struct redis_target target;
	struct ceo_config ceo;
	struct replay_prices p;
	struct replay_link *link = NULL;
	char err[256], policy_key[160], command_key[256];
	const char *prefix = getenv("ORCH_PREFIX") && *getenv("ORCH_PREFIX") ? getenv("ORCH_PREFIX") : "quantum";
	if (config_load_redis(&target, NULL, err, sizeof(err)) != 0 ||
	    config_load_policy_key(prefix, policy_key, sizeof(policy_key), err, sizeof(err)) != 0 ||
	    config_load_command_key(command_key, sizeof(command_key), err, sizeof(err)) != 0 ||
	    ceo_config_load(&ceo, err, sizeof(err)) != 0 ||
	    replay_prices_load(o.prices_path, 1, 2, &p, err, sizeof(err)) != 0) {
		fprintf(stderr, "replay: %s\n", err);
		return 2;
	}
	o.prefix = prefix;
	o.command_key = command_key;
	o.policy_key = policy_key;
	o.rules = ceo_rules_name(ceo.brain.rules);
	if ((rc = replay_link_new(&link, &target)) == 0)
		rc = replay_run(&p, link, &o);
	replay_link_free(link);
	replay_prices_release(&p);
	return rc == 0 ? 0 : rc == ORCH_EINVAL ? 2 : 1;
}
