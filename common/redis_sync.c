/*
 * redis_sync.c - blocking Redis helpers for tools and tests (orchctl, the
 * replay feeder, the soak): a connection to the master, found through
 * Sentinel when configured, and the backlog of a stream's consumer groups.
 * The services themselves use redis_conn on their loop.
 */
#include "redis_sync.h"

#include <stdio.h>
#include <string.h>

#include "redis_conn.h"

redisContext *redis_sync_connect(const struct redis_target *t, char *err, size_t errlen)
{
	struct redis_endpoint ep = t->addr;
	if (t->n_sentinels > 0 && redis_conn_resolve_master(t, &ep, err, errlen) != 0)
		return NULL;
	int ms = t->connect_timeout_ms > 0 ? t->connect_timeout_ms : 2000;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	redisContext *c = redisConnectWithTimeout(ep.host, ep.port, tv);
	if (!c || c->err) {
		snprintf(err, errlen, "cannot connect to %s:%d: %s", ep.host, ep.port, c ? c->errstr : "out of memory");
		redisFree(c);
		return NULL;
	}
	redisReply *r = NULL;
	if (t->password[0])
		r = t->user[0] ? redisCommand(c, "AUTH %s %s", t->user, t->password)
			       : redisCommand(c, "AUTH %s", t->password);
	if (!r || r->type != REDIS_REPLY_ERROR) {
		freeReplyObject(r);
		r = redisCommand(c, "SELECT %d", t->db);
	}
	if (r && r->type != REDIS_REPLY_ERROR && t->n_sentinels > 0) {
		freeReplyObject(r);
		r = redisCommand(c, "ROLE");
		if (r && !(r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
			   r->element[0]->type == REDIS_REPLY_STRING && strcmp(r->element[0]->str, "master") == 0)) {
			snprintf(err,
				 errlen,
				 "%s:%d is not the master (Sentinel has not switched yet)",
				 ep.host,
				 ep.port);
			freeReplyObject(r);
			redisFree(c);
			return NULL;
		}
	}
	if (!r || r->type == REDIS_REPLY_ERROR) {
		snprintf(err, errlen, "%s:%d refused the connection: %s", ep.host, ep.port, r ? r->str : c->errstr);
		freeReplyObject(r);
		redisFree(c);
		return NULL;
	}
	freeReplyObject(r);
	return c;
}

void redis_backlog_of(const redisReply *r, struct redis_backlog *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t g = 0; r && r->type == REDIS_REPLY_ARRAY && g < r->elements; g++) {
		const redisReply *f = r->element[g];
		out->groups++;
		for (size_t k = 0; f->type == REDIS_REPLY_ARRAY && k + 1 < f->elements; k += 2) {
			const char *name = f->element[k]->str;
			const redisReply *v = f->element[k + 1];
			if (v->type != REDIS_REPLY_INTEGER) /* lag is nil when Redis cannot tell */
				continue;
			if (!strcmp(name, "pending"))
				out->pending += v->integer;
			else if (!strcmp(name, "lag"))
				out->lag += v->integer;
		}
	}
}
