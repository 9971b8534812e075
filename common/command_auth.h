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

/* Why command_verify refused a command. */
enum command_refusal {
	COMMAND_NO_KEY,        /* no key is configured on the checker */
	COMMAND_UNSIGNED,      /* no signature, signed_at or request_id */
	COMMAND_STALE,         /* signed longer ago, or further ahead, than the ttl */
	COMMAND_BAD_SIGNATURE, /* not signed under this key, or changed since */
	COMMAND_REPLAY,        /* request_id already accepted, or signed before the checker was made */
	COMMAND_TOO_MANY,      /* max commands accepted within the ttl: one more could not be told from a replay */
	COMMAND_N_REFUSALS
};
/* "no_key", "unsigned", "stale", "bad_signature", "replay", "too_many"
 * (static). */
const char *command_refusal_name(enum command_refusal r);

/* A checker remembering up to max accepted request ids for ttl_ms, made at
 * now_ms (commands signed before are refused). Free with
 * command_guard_free(). 0, ORCH_EINVAL or ORCH_ENOMEM. */
int command_guard_new(struct command_guard **out, int64_t ttl_ms, size_t max, int64_t now_ms);
/* 0 when cmd is signed under key, within the ttl of now_ms, not before the
 * checker was made, and its request_id is new (it is then remembered);
 * else ORCH_EMALFORMED with the reason in *refusal and in words in why, or
 * ORCH_ENOMEM. */
int command_verify(struct command_guard *g, const json_t *cmd, const char *event_type, const char *key, int64_t now_ms,
		   enum command_refusal *refusal, char *why, size_t whylen);
/* NULL is a no-op. */
void command_guard_free(struct command_guard *g);

#endif
