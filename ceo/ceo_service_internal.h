/*
 * ceo_service_internal.h - what the CEO's glue shares between its two
 * files: ceo_service.c (inputs, decisions, commands, lifecycle) and
 * ceo_service_store.c (its writes to the PolicyStore and the commands
 * waiting for them). Not a public header; loop thread only.
 */
#ifndef CEO_SERVICE_INTERNAL_H
#define CEO_SERVICE_INTERNAL_H

#include <jansson.h>
#include <stdint.h>
#include <uv.h>

#include "ceo_brain.h"
#include "ceo_config.h"
#include "ceo_inputs.h"
#include "service.h"

struct bus;
struct lease;
struct metric;
struct policy;
struct policy_writer;

#define MAX_WAITING 8

/* A mode switch, or an operator's clear_emergency_stop (rule
 * "operator_clear_emergency_stop"), waiting for its PolicyStore write. */
struct pending_switch {
	int active;
	enum ceo_mode old_mode, new_mode;
	char rule[40], reason[256], operator_id[64], request_id[80];
};

/* A command answered once its write landed. */
struct waiting {
	struct ceo_command cmd;
	struct ceo_decision d;
};

struct ceo_service {
	struct service *svc;
	struct ceo_config cfg;
	char bus_service[160];
	struct bus *bus;
	struct policy *policy;
	struct policy_writer *writer;
	struct lease *lease;
	struct ceo_command_service *commands; /* the door: only signed commands pass */
	struct ceo_inputs in;
	struct ceo_brain brain;
	int leader, brain_ready, fenced, enabled;
	uint64_t token;
	char written_mode[32]; /* the mode of the write in flight, for the log */
	char mode_reason[256]; /* why the brain is in its mode (a BLACK_SWAN stop's reason) */
	struct waiting waiting[MAX_WAITING];
	int n_waiting;
	struct pending_switch sw, sw_sent, clr, clr_sent;
	char last_stale[96];
	uv_timer_t cycle, debounce;
	int64_t switch_times[64]; /* ring of recent switch times, for the hourly rate */
	int n_switch_times;
	struct metric *m_cycle, *m_switches, *m_switches_hour, *m_mode[CEO_N_MODES], *m_age[3], *m_fenced, *m_writes,
		*m_conflicts, *m_malformed;
};

/* ceo_service.c */
/* Publishes cmd's ceo_command_reply: status "ok" with d, or "error". */
void ceo__reply(struct ceo_service *c, const struct ceo_command *cmd, const char *status, const char *error,
		const struct ceo_decision *d);

/* ceo_service_store.c */
/* Asks the policy writer for the brain's mode and limits, with the
 * lease's token. */
void ceo__sync_policy(struct ceo_service *c);
/* cmd is answered with d once its write landed (ceo__settle_replies). */
void ceo__await_write(struct ceo_service *c, const struct ceo_command *cmd, const struct ceo_decision *d);
/* Answers the commands waiting for their write: "ok" once nothing is left
 * to write, or error (not NULL) at once. */
void ceo__settle_replies(struct ceo_service *c, const char *error);
/* The policy writer's build and done (policy_writer.h); data is c. */
int ceo__build_doc(const json_t *cur, json_t **doc, void *data);
void ceo__policy_done(int status, int written, int64_t version, void *data);

#endif
