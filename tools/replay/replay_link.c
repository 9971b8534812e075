/*
 * replay_link.c - the replay feeder's reconnecting Redis connection (see
 * replay_link.h).
 */
#include "replay_link.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "redis_sync.h"

/* One connection attempt (through Sentinel when configured); quiet unless
 * loud. */
static redisContext *dial(const struct redis_target *t, int loud)
{
	char err[256];
	redisContext *c = redis_sync_connect(t, err, sizeof(err));
	if (!c && loud)
		fprintf(stderr, "replay: %s\n", err);
	return c;
}

int rlink_open(struct rlink *l, const struct redis_target *t)
{
	memset(l, 0, sizeof(*l));
	l->target = *t;
	l->c = dial(t, 1);
	return l->c ? 0 : -1;
}

void rlink_close(struct rlink *l)
{
	if (l->c)
		redisFree(l->c);
	l->c = NULL;
}

/* Sends the formatted command cmd (len bytes) until it is answered. */
static redisReply *send_formatted(struct rlink *l, const char *cmd, size_t len)
{
	int64_t deadline = clock_mono_ms() + RL_PATIENCE_MS;
	int backoff = 50, said = 0;
	for (;;) {
		if (!l->c && (l->c = dial(&l->target, 0)) != NULL)
			l->reconnects++;
		if (l->c) {
			void *reply = NULL;
			if (redisAppendFormattedCommand(l->c, cmd, len) != REDIS_OK || redisGetReply(l->c, &reply) != REDIS_OK)
				reply = NULL;
			redisReply *r = reply;
			int loading = r && r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "LOADING", 7);
			if (r && !loading)
				return r;
			if (!said++)
				fprintf(stderr, "replay: Redis %s; retrying\n",
					r ? "is loading its data" : "connection lost");
			freeReplyObject(r);
			if (!r) {
				redisFree(l->c);
				l->c = NULL;
			}
		}
		if (clock_mono_ms() >= deadline) {
			fprintf(stderr, "replay: Redis at %s:%d did not come back within %d s\n", l->target.addr.host,
				l->target.addr.port, RL_PATIENCE_MS / 1000);
			return NULL;
		}
		usleep((useconds_t)backoff * 1000);
		backoff = backoff < 1000 ? backoff * 2 : 1000;
	}
}

/* Sends a command redis*FormatCommand*() made (len < 0: it failed) and
 * frees it. */
static redisReply *send_command(struct rlink *l, char *cmd, int len)
{
	if (len < 0) {
		fprintf(stderr, "replay: out of memory\n");
		return NULL;
	}
	redisReply *r = send_formatted(l, cmd, (size_t)len);
	redisFreeCommand(cmd);
	return r;
}

redisReply *rlink_cmd(struct rlink *l, const char *fmt, ...)
{
	char *cmd = NULL;
	va_list ap;
	va_start(ap, fmt);
	int len = redisvFormatCommand(&cmd, fmt, ap);
	va_end(ap);
	return send_command(l, cmd, len);
}

redisReply *rlink_argv(struct rlink *l, int argc, const char **argv, const size_t *lens)
{
	char *cmd = NULL;
	int len = redisFormatCommandArgv(&cmd, argc, argv, lens);
	return send_command(l, cmd, len);
}
