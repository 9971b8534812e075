/*
 * main.c - orchctl, the command-line tool of the orchestration layer:
 * dispatches `orchctl <command> ...` to the command (orchctl.h).
 * Exit status: 0 success, 1 the running layer could not be reached,
 * refused or did not answer, 2 usage or input error.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "orchctl.h"

struct command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
	{"risk", "risk metrics (VaR, ES, drawdown, ...) of a CSV column of returns", orchctl_risk},
	{"strategies", "ranking, primary, fallback and disabled strategies of a CSV of trades", orchctl_strategies},
	{"decide", "the CEO's operating mode, rule and limits for a system state in JSON", orchctl_decide},
	{"backtest", "the layer over a CSV of daily closes in one process: the demo's summary", orchctl_backtest},
	{"config", "every ORCH_* setting: default, range and meaning", orchctl_config},
	{"status", "leases, policy, streams and dead letters of a running layer", orchctl_status},
	{"global-state", "the Federation's merged global state", orchctl_global_state},
	{"mode-history", "mode changes and operator commands, newest first", orchctl_mode_history},
	{"force-decision", "ask the CEO to decide now; prints its decision", orchctl_force_decision},
	{"set-mode", "an operator's mode change, with reason", orchctl_set_mode},
	{"clear-emergency-stop",
	 "lift a stop someone other than the CEO set, with reason",
	 orchctl_clear_emergency_stop},
	{"tail", "follow the layer's events", orchctl_tail},
	{"dlq", "list, retry or drop dead letters", orchctl_dlq},
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: orchctl <command> [options]\n"
		"       orchctl --help\n"
		"\n"
		"The orchestration layer's command-line tool: offline computations (risk,\n"
		"strategies, decide, backtest) and a running layer's state and commands,\n"
		"through Redis (ORCH_REDIS_URL, ORCH_PREFIX) or the Federation's REST API\n"
		"(--api URL).\n"
		"\n"
		"commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-15s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
		"\n`orchctl <command> --help` describes a command.\n"
		"\n"
		"Exit status: 0 success, 1 the running layer could not be reached, refused or\n"
		"did not answer in time, 2 usage or input error.\n");
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN); /* a lost Redis connection is an error to report, not a crash */
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return fflush(stdout) == 0 ? 0 : 2;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(cmd, commands[i].name) == 0) {
			int rc = commands[i].run(argc - 1, argv + 1);
			return rc == 0 ? 0 : rc > 0 ? rc : 2;
		}
	}
	fprintf(stderr, "orchctl: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
