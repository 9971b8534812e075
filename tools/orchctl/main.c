/*
 * main.c - orchctl, the offline command-line tool of the orchestration
 * layer: dispatches `orchctl <command> ...` to the command (orchctl.h).
 * Exit status: 0 success, 2 any error (usage, input, output).
 */
#include <stdio.h>
#include <string.h>

#include "orchctl.h"

struct command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
	{ "risk", "risk metrics (VaR, ES, drawdown, ...) of a CSV column of returns", orchctl_risk },
	{ "strategies", "ranking, primary, fallback and disabled strategies of a CSV of trades",
	  orchctl_strategies },
	{ "decide", "the CEO's operating mode, rule and limits for a system state in JSON", orchctl_decide },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: orchctl <command> [options]\n"
		   "       orchctl --help\n"
		   "\n"
		   "Offline tools of the orchestration layer.\n"
		   "\n"
		   "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n`orchctl <command> --help` describes a command.\n");
}

int main(int argc, char **argv)
{
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
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1) == 0 ? 0 : 2;
	}
	fprintf(stderr, "orchctl: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
