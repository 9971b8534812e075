/*
 * replay_ceo.h - the feeder asking the CEO to decide on a day's inputs:
 * a force_decision on {prefix}:stream:ceo_command (the CEO runs with
 * ORCH_CEO_EVALUATE=command in replays), answered on ceo_command_reply
 * once the PolicyStore holds the decision. Blocking, over replay_link.
 */
#ifndef REPLAY_CEO_H
#define REPLAY_CEO_H

#include <stdint.h>

#include "replay_link.h"

/*
 * Asks the CEO to decide on day t_ms's inputs and waits for its answer. A
 * command that stays unanswered for REPLAY_CEO_RESEND_MS (lost in a Redis
 * restart, say) is sent again under a new request id; an answer to any of
 * them counts. Returns 0; ORCH_EREDIS when a command could not be stored,
 * ORCH_ECONFLICT when the CEO refused, ORCH_ETIMEDOUT when none was
 * answered within timeout_ms (each printed).
 */
#define REPLAY_CEO_RESEND_MS 3000
int replay_ceo_request_decision(struct replay_link *l, const char *prefix, int64_t t_ms, int timeout_ms);

#endif
