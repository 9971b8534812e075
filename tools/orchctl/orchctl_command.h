/*
 * orchctl_command.h - orchctl's operator commands to the CEO through
 * Redis: signed with the operators' key (ORCH_COMMAND_KEY or
 * ORCH_COMMAND_KEY_FILE, the CEO's), published on the ceo_command stream,
 * answered on ceo_command_reply by request_id.
 */
#ifndef ORCHCTL_COMMAND_H
#define ORCHCTL_COMMAND_H

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stddef.h>

#include "orchctl_net.h"

/* The operators' key into key (keylen bytes); 0, or ORCH_EINVAL (printed)
 * when none is set or it is not valid. */
int orchctl_command_key(const struct orchctl_target *t, char *key, size_t keylen);

/*
 * Publishes ceo_command `cmd` (request_id added, signed with sign_key; the
 * reference is taken) and waits up to t->timeout_ms for its reply. Returns
 * the reply (caller json_decref()s) or NULL (printed).
 */
json_t *orchctl_ceo_command(redisContext *c, const struct orchctl_target *t, const char *sign_key, json_t *cmd);

/* Prints the CEO's reply (its decision when "ok", else why it refused)
 * and releases it; 0 when "ok", else ORCHCTL_EXIT_FAILED. */
int orchctl_show_reply(const struct orchctl_target *t, json_t *reply);

#endif
