/*
 * replay_link.h - the replay feeder's Redis connection: blocking hiredis
 * that rides out a Redis restart or a Sentinel failover (each connection
 * goes to the master Sentinel names, when ORCH_REDIS_SENTINELS is set). A command whose connection broke, or
 * that Redis answered LOADING (restarting from its AOF), is sent again on
 * a new connection, with backoff, for up to RL_PATIENCE_MS. A command
 * sent again may have been applied once already; the feeder's entries
 * carry event ids, so consumers drop such duplicates.
 */
#ifndef REPLAY_LINK_H
#define REPLAY_LINK_H

#include <hiredis/hiredis.h>

#include "config.h"

#define RL_PATIENCE_MS 30000

struct rlink {
	struct redis_target target;
	redisContext *c;          /* NULL while disconnected */
	int reconnects;           /* connections made after the first */
};

/* Connects (AUTH, SELECT). Returns 0, or -1 with a message on stderr. */
int rlink_open(struct rlink *l, const struct redis_target *t);
void rlink_close(struct rlink *l);
/* A command (hiredis format) and its reply (caller frees with
 * freeReplyObject), or NULL once RL_PATIENCE_MS of retrying failed
 * (printed). Error replies other than LOADING are returned as they are. */
redisReply *rlink_cmd(struct rlink *l, const char *fmt, ...);
/* The same for a command given as argc arguments (binary-safe lengths). */
redisReply *rlink_argv(struct rlink *l, int argc, const char **argv, const size_t *lens);

#endif
