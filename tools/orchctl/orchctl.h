/*
 * orchctl.h - the commands of orchctl, the command-line tool of the
 * orchestration layer. main.c only dispatches to them.
 *
 * A command gets argv with argv[0] its own name ("risk"), prints its result
 * on stdout and any error as one line on stderr starting with
 * "orchctl <command>: ", and returns 0, a negative ORCH_E* code (usage or
 * input error: exit status 2) or, for the online commands,
 * ORCHCTL_EXIT_FAILED (the layer could not be reached or refused: exit
 * status 1). Its --help prints the usage on stdout and returns 0.
 */
#ifndef ORCHCTL_H
#define ORCHCTL_H

/* orchctl risk: risk metrics of a column of returns in a CSV file. */
int orchctl_risk(int argc, char **argv);
/* orchctl strategies: the Strategy Officer's ranking of a CSV of trades. */
int orchctl_strategies(int argc, char **argv);
/* orchctl config: every service's settings, or docs/configuration.md. */
int orchctl_config(int argc, char **argv);
/* orchctl decide: the CEO's rules on one system state from a JSON file. */
int orchctl_decide(int argc, char **argv);

/* orchctl backtest: the layer over a CSV of daily closes, in one process. */
int orchctl_backtest(int argc, char **argv);

/* Online commands (orchctl_online.c, orchctl_dlq.c): a running layer
 * through Redis, or the Federation's REST API with --api. */
int orchctl_status(int argc, char **argv);
int orchctl_global_state(int argc, char **argv);
int orchctl_mode_history(int argc, char **argv);
int orchctl_force_decision(int argc, char **argv);
int orchctl_set_mode(int argc, char **argv);
int orchctl_clear_emergency_stop(int argc, char **argv);
int orchctl_tail(int argc, char **argv);
int orchctl_dlq(int argc, char **argv);

#endif
