/*
 * ceo_command_service.h - the CEO's door for operator commands (glue):
 * whoever can write to Redis can append a ceo_command, so the CEO looks at
 * one only once it has proved its sender (command_auth.h: signed under
 * ORCH_COMMAND_KEY, within ORCH_CEO_COMMAND_TTL_S, never seen before).
 * Every replica judges every command, so that a standby that takes over
 * knows which request ids were already used. Refusals are counted by
 * reason (orch_ceo_commands_rejected_total{reason}) and logged at most
 * once a minute per reason; the caller dead-letters them and the leader
 * answers them.
 */
#ifndef CEO_COMMAND_SERVICE_H
#define CEO_COMMAND_SERVICE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"

struct ceo_command_service;

/* A door for commands signed under key (copied; "" refuses every command,
 * which is logged now) that live ttl_ms, opened at real time now_ms (what
 * was signed before is refused: a replay of it could not be told). Free
 * with ceo_command_service_free(). 0, ORCH_EINVAL or ORCH_ENOMEM. */
int ceo_command_service_new(struct ceo_command_service **out, const char *key, int64_t ttl_ms, int64_t now_ms);
/* NULL is a no-op. */
void ceo_command_service_free(struct ceo_command_service *k);

/*
 * Judges one delivered ceo_command at this host's real time now_ms:
 *   0                admitted: act on it;
 *   ORCH_EAGAIN      appended to its stream (by the entry id, Redis' clock)
 *                    longer than the ttl ago: history that a new consumer
 *                    group reads, handled when it was new. Skipped: never
 *                    acted on, counted (orch_ceo_commands_expired_total),
 *                    not dead-lettered, not answered;
 *   ORCH_EMALFORMED  refused, the reason in why: dead-letter it, and the
 *                    leader answers it (ceo_command_service_reject);
 *   ORCH_ENOMEM.
 */
int ceo_command_service_admit(struct ceo_command_service *k, const struct bus_event *ev, int64_t now_ms, char *why,
			      size_t whylen);

/* Answers a refused command that carries a request_id the CEO could
 * accept (cmd borrowed):
 * ceo_command_reply {request_id, status "rejected", error, action when it
 * names one}, so that whoever waits for the answer hears why. */
void ceo_command_service_reject(struct bus *b, const json_t *cmd, const char *error);

#endif
