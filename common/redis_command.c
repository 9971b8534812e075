/*
 * redis_command.c - commands on a redis_conn (see redis_conn.h): plain
 * commands, Lua scripts by EVALSHA with a fall-back to EVAL on NOSCRIPT,
 * and WAIT for replicas. An answer that says this server can no longer
 * serve us as a master drops the connection, so it resolves the master
 * again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "orch.h"
#include "redis_conn_internal.h"
#include "sha1.h"

/* A command in flight; freed after its callback ran. For EVALSHA it keeps
 * a copy of argv so a NOSCRIPT answer can be retried as EVAL. */
struct cmd {
	struct redis_conn *c;
	redis_conn_reply_cb cb;
	void *privdata;
	const char *script; /* non-NULL for redis_conn_eval */
	int argc;
	const char **argv;
	size_t *lens;
	char numkeys[16]; /* EVAL's numkeys argument */
};

static void cmd_free(struct cmd *k)
{
	free(k);
}

static int cmd_send(struct cmd *k, int use_eval);

/* Errors after which this server cannot serve us as a master: drop the
 * connection and resolve the master again. UNBLOCKED also answers a
 * blocked read whose stream was deleted; only the failover form counts. */
int redis_reply_is_unavailable(const redisReply *r)
{
	return redis_reply_is_error(r, "READONLY") || redis_reply_is_error(r, "MASTERDOWN") ||
	       redis_reply_is_error(r, "LOADING") ||
	       (redis_reply_is_error(r, "UNBLOCKED") && strstr(r->str, "master -> replica"));
}

static void cmd_reply_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct cmd *k = priv;
	struct redis_conn *c = k->c;
	redisReply *reply = r;
	(void)ac;
	c->inflight--;
	c->progress_ms = clock_mono_ms();
	if (reply && k->script && redis_reply_is_error(reply, "NOSCRIPT") && c->state == ST_READY &&
	    cmd_send(k, 1) == 0)
		return;
	if (reply && c->state == ST_READY && redis_reply_is_unavailable(reply))
		redis_conn__drop(c, reply->str, 1);
	k->cb(c, reply, k->privdata);
	cmd_free(k);
}

/* Sends k on the live context; for scripts, EVALSHA unless use_eval. */
static int cmd_send(struct cmd *k, int use_eval)
{
	struct redis_conn *c = k->c;
	int rc;
	if (!k->script) {
		rc = redisAsyncCommandArgv(c->ac, cmd_reply_cb, k, k->argc, k->argv, k->lens);
	} else {
		char sha[41];
		if (!use_eval)
			sha1_hex(k->script, strlen(k->script), sha);
		k->argv[0] = use_eval ? "EVAL" : "EVALSHA";
		k->argv[1] = use_eval ? k->script : sha;
		k->lens[0] = strlen(k->argv[0]);
		k->lens[1] = strlen(k->argv[1]);
		rc = redisAsyncCommandArgv(c->ac, cmd_reply_cb, k, k->argc, k->argv, k->lens);
	}
	if (rc != REDIS_OK)
		return ORCH_ENOTCONN;
	if (c->inflight++ == 0)
		c->progress_ms = clock_mono_ms();
	return 0;
}

/* Allocates a cmd with argv copied behind it, leaving `lead` empty slots
 * in front (EVAL/EVALSHA, script/sha, numkeys). Freed by cmd_free. */
static struct cmd *cmd_new(struct redis_conn *c, redis_conn_reply_cb cb, void *privdata, int lead, int argc,
			   const char **argv, const size_t *lens)
{
	size_t total = 0;
	for (int i = 0; i < argc; i++)
		total += lens ? lens[i] : strlen(argv[i]);
	int n = lead + argc;
	struct cmd *k = malloc(sizeof(*k) + n * (sizeof(char *) + sizeof(size_t)) + total);
	if (!k)
		return NULL;
	k->c = c;
	k->cb = cb;
	k->privdata = privdata;
	k->script = NULL;
	k->numkeys[0] = 0;
	k->argc = n;
	k->argv = (const char **)(k + 1);
	k->lens = (size_t *)(k->argv + n);
	char *p = (char *)(k->lens + n);
	for (int i = 0; i < argc; i++) {
		size_t l = lens ? lens[i] : strlen(argv[i]);
		memcpy(p, argv[i], l);
		k->argv[lead + i] = p;
		k->lens[lead + i] = l;
		p += l;
	}
	return k;
}

int redis_conn_command(struct redis_conn *c, redis_conn_reply_cb cb, void *privdata, int argc, const char **argv,
		       const size_t *lens)
{
	if (c->state != ST_READY)
		return ORCH_ENOTCONN;
	if (c->inflight >= c->max_inflight)
		return ORCH_EBUSY;
	/* hiredis copies argv into its output buffer, so no copy is kept. */
	struct cmd *k = calloc(1, sizeof(*k));
	if (!k)
		return ORCH_ENOMEM;
	k->c = c;
	k->cb = cb;
	k->privdata = privdata;
	k->argc = argc;
	k->argv = argv;
	k->lens = (size_t *)lens;
	int rc = cmd_send(k, 0);
	k->argv = NULL;
	k->lens = NULL;
	if (rc != 0)
		free(k);
	return rc;
}

int redis_conn_eval(struct redis_conn *c, redis_conn_reply_cb cb, void *privdata, const char *script, int numkeys,
		    int argc, const char **argv, const size_t *lens)
{
	if (c->state != ST_READY)
		return ORCH_ENOTCONN;
	if (c->inflight >= c->max_inflight)
		return ORCH_EBUSY;
	struct cmd *k = cmd_new(c, cb, privdata, 3, argc, argv, lens);
	if (!k)
		return ORCH_ENOMEM;
	k->script = script;
	snprintf(k->numkeys, sizeof(k->numkeys), "%d", numkeys);
	k->argv[2] = k->numkeys;
	k->lens[2] = strlen(k->numkeys);
	int rc = cmd_send(k, 0);
	if (rc != 0)
		free(k);
	return rc;
}

int redis_conn_wait(struct redis_conn *c, int replicas, redis_conn_reply_cb cb, void *privdata)
{
	char n[16], ms[16];
	int timeout = c->target.wait_timeout_ms > 0 ? c->target.wait_timeout_ms : 500;
	if (timeout > c->stall_timeout_ms / 2)
		timeout = c->stall_timeout_ms / 2; /* an answer before the stall watchdog fires */
	snprintf(n, sizeof(n), "%d", replicas);
	snprintf(ms, sizeof(ms), "%d", timeout > 0 ? timeout : 1);
	const char *argv[] = {"WAIT", n, ms};
	return redis_conn_command(c, cb, privdata, 3, argv, NULL);
}

int redis_conn_wait_replicas(const struct redis_conn *c)
{
	return c->target.wait_replicas;
}
