/*
 * redis_sync.h - blocking Redis helpers for tools and tests (redis_sync.c).
 */
#ifndef ORCH_REDIS_SYNC_H
#define ORCH_REDIS_SYNC_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#include "config.h"

/* A blocking connection: the master found through Sentinel when t has
 * Sentinels (and checked with ROLE), else t's address; AUTH and SELECT
 * done. NULL with a reason in err. Free with redisFree(). */
redisContext *redis_sync_connect(const struct redis_target *t, char *err, size_t errlen);

/* What a stream's consumer groups have yet to do, from an XINFO GROUPS
 * reply (NULL or an error reply: no groups). */
struct redis_backlog {
	long long groups;
	long long pending; /* delivered, not acknowledged */
	long long lag;     /* not read yet (0 where Redis cannot tell) */
};
void redis_backlog_of(const redisReply *xinfo_groups, struct redis_backlog *out);

#endif
