/*
 * command_auth.h - operator commands that prove their sender.
 *
 * Whoever can write to Redis can append a ceo_command; a command counts
 * only when it carries an HMAC-SHA256, under the key operators and the CEO
 * share (ORCH_COMMAND_KEY), over its event type and every one of its
 * fields (the signing time `signed_at` and the `request_id` among them).
 * The checker refuses a command signed longer ago (or further ahead) than
 * its ttl, and one whose request_id it has already accepted within the
 * ttl: a captured command cannot be replayed.
 *
 * The signed text: the event type, a newline, then the command without
 * `signature` as compact JSON with sorted keys, as jansson writes it.
 * Pure: the caller gives the time.
 */
#ifndef ORCH_COMMAND_AUTH_H
#define ORCH_COMMAND_AUTH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Sets cmd's signed_at (now_ms) and signature under key. 0, ORCH_EINVAL
 * (no key, cmd not an object) or ORCH_ENOMEM. */
int command_sign(json_t *cmd, const char *event_type, const char *key, int64_t now_ms);

struct command_guard;

/* A checker remembering up to max accepted request ids for ttl_ms. Free
 * with command_guard_free(). 0, ORCH_EINVAL or ORCH_ENOMEM. */
int command_guard_new(struct command_guard **out, int64_t ttl_ms, size_t max);
/* 0 when cmd is signed under key, within the ttl of now_ms, and its
 * request_id is new (it is then remembered); else ORCH_EMALFORMED with the
 * reason in why (no key configured, unsigned, stale, bad signature, a
 * replay). */
int command_verify(struct command_guard *g, const json_t *cmd, const char *event_type, const char *key,
		   int64_t now_ms, char *why, size_t whylen);
/* NULL is a no-op. */
void command_guard_free(struct command_guard *g);

#endif
