/*
 * replay_link.h - the replay feeder's Redis connection: blocking hiredis
 * that rides out Redis starting late, restarting or failing over (each
 * connection goes to the master Sentinel names, when ORCH_REDIS_SENTINELS
 * is set). The first connection and every command whose connection broke,
 * or that Redis answered LOADING (restarting from its AOF), are tried
 * again on a new connection after the services' backoff
 * (ORCH_REDIS_BACKOFF_MIN_MS doubling up to ORCH_REDIS_BACKOFF_MAX_MS),
 * for up to REPLAY_LINK_PATIENCE_MS, saying so on stderr. A command sent
 * again may have been applied once already; the feeder's entries carry
 * event ids, so consumers drop such duplicates.
 */
#ifndef REPLAY_LINK_H
#define REPLAY_LINK_H

#include <hiredis/hiredis.h>

#include "config.h"

#define REPLAY_LINK_PATIENCE_MS 30000

struct replay_link;

/*
 * Connects to t (AUTH, SELECT), trying again with backoff while Redis does
 * not answer. Returns 0 with *out a new link (free with replay_link_free),
 * ORCH_ENOMEM, or ORCH_ETIMEDOUT when REPLAY_LINK_PATIENCE_MS passed
 * without a connection (printed).
 */
int replay_link_new(struct replay_link **out, const struct redis_target *t);
/* Closes the connection and frees l; NULL is a no-op. */
void replay_link_free(struct replay_link *l);
/* Connections made after the first (Redis went away that many times). */
int replay_link_reconnects(const struct replay_link *l);
/* A command (hiredis format) and its reply (new: the caller frees it with
 * freeReplyObject), or NULL once REPLAY_LINK_PATIENCE_MS of retrying
 * failed (printed). Error replies other than LOADING are returned as they
 * are. */
redisReply *replay_link_cmd(struct replay_link *l, const char *fmt, ...);
/* The same for a command given as argc arguments (binary-safe lengths). */
redisReply *replay_link_argv(struct replay_link *l, int argc, const char **argv, const size_t *lens);

#endif
