/*
 * replay_link.c - the replay feeder's reconnecting Redis connection (see
 * replay_link.h).
 */
#include "replay_link.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "orch.h"
#include "redis_conn.h"
#include "redis_sync.h"

struct replay_link {
	struct redis_target target;
	redisContext *c; /* NULL while disconnected */
	int reconnects;  /* connections made after the first */
};

/* The services' backoff before attempt + 1 in ms, never past deadline_ms
 * (monotonic). */
static int retry_delay_ms(const struct replay_link *l, int attempt, int64_t deadline_ms)
{
	double rnd = (double)(clock_mono_ns() % 1000) / 1000.0;
	int64_t ms = redis_conn_backoff_ms(attempt, l->target.backoff_min_ms, l->target.backoff_max_ms, rnd);
	int64_t left = deadline_ms - clock_mono_ms();
	return (int)(ms < left ? ms : left > 0 ? left : 0);
}

int replay_link_new(struct replay_link **out, const struct redis_target *t)
{
	struct replay_link *l = calloc(1, sizeof(*l));
	if (!l)
		return ORCH_ENOMEM;
	l->target = *t;
	int64_t deadline = clock_mono_ms() + REPLAY_LINK_PATIENCE_MS;
	char err[256];
	for (int attempt = 0; !(l->c = redis_sync_connect(t, err, sizeof(err))); attempt++) {
		if (clock_mono_ms() >= deadline) {
			fprintf(stderr,
				"replay: no Redis within %d s, giving up: %s\n",
				REPLAY_LINK_PATIENCE_MS / 1000,
				err);
			free(l);
			return ORCH_ETIMEDOUT;
		}
		int ms = retry_delay_ms(l, attempt, deadline);
		fprintf(stderr,
			"replay: %s; trying again in %d ms (attempt %d, for up to %d s)\n",
			err,
			ms,
			attempt + 2,
			REPLAY_LINK_PATIENCE_MS / 1000);
		usleep((useconds_t)ms * 1000);
	}
	*out = l;
	return 0;
}

void replay_link_free(struct replay_link *l)
{
	if (!l)
		return;
	if (l->c)
		redisFree(l->c);
	free(l);
}

int replay_link_reconnects(const struct replay_link *l)
{
	return l->reconnects;
}

/* Sends the formatted command cmd (len bytes) until it is answered. */
static redisReply *send_formatted(struct replay_link *l, const char *cmd, size_t len)
{
	int64_t deadline = clock_mono_ms() + REPLAY_LINK_PATIENCE_MS;
	char err[256];
	for (int attempt = 0, said = 0;; attempt++) {
		if (!l->c && (l->c = redis_sync_connect(&l->target, err, sizeof(err))) != NULL)
			l->reconnects++;
		if (l->c) {
			void *reply = NULL;
			if (redisAppendFormattedCommand(l->c, cmd, len) != REDIS_OK ||
			    redisGetReply(l->c, &reply) != REDIS_OK)
				reply = NULL;
			redisReply *r = reply;
			int loading = r && r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "LOADING", 7);
			if (r && !loading)
				return r;
			if (!said++)
				fprintf(stderr,
					"replay: Redis %s; retrying\n",
					r ? "is loading its data" : "connection lost");
			freeReplyObject(r);
			if (!r) {
				redisFree(l->c);
				l->c = NULL;
			}
		}
		if (clock_mono_ms() >= deadline) {
			fprintf(stderr,
				"replay: Redis at %s:%d did not come back within %d s\n",
				l->target.addr.host,
				l->target.addr.port,
				REPLAY_LINK_PATIENCE_MS / 1000);
			return NULL;
		}
		usleep((useconds_t)retry_delay_ms(l, attempt, deadline) * 1000);
	}
}

/* Sends a command redis*FormatCommand*() made (len < 0: it failed) and
 * frees it. */
static redisReply *send_command(struct replay_link *l, char *cmd, int len)
{
	if (len < 0) {
		fprintf(stderr, "replay: out of memory\n");
		return NULL;
	}
	redisReply *r = send_formatted(l, cmd, (size_t)len);
	redisFreeCommand(cmd);
	return r;
}

redisReply *replay_link_cmd(struct replay_link *l, const char *fmt, ...)
{
	char *cmd = NULL;
	va_list ap;
	va_start(ap, fmt);
	int len = redisvFormatCommand(&cmd, fmt, ap);
	va_end(ap);
	return send_command(l, cmd, len);
}

redisReply *replay_link_argv(struct replay_link *l, int argc, const char **argv, const size_t *lens)
{
	char *cmd = NULL;
	int len = redisFormatCommandArgv(&cmd, argc, argv, lens);
	return send_command(l, cmd, len);
}
