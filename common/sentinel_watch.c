/*
 * sentinel_watch.c - internal to redis_conn: one subscription per loop and
 * master name to Sentinel's `+switch-master` channel. When a Sentinel
 * announces that the master moved, every registered connection that is
 * not already on the new master drops and resolves again, instead of
 * finding out from its next READONLY. The subscription goes to the
 * configured Sentinels in turn and comes back a second after it is lost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "orch.h"
#include "redis_conn.h"
#include "redis_uv.h"
#include "sentinel_watch.h"

#define MAX_WATCHES 8
#define RETRY_MS    1000

struct watch {
	uv_loop_t *loop;
	struct redis_target target; /* Sentinels and master name */
	redisAsyncContext *ac;      /* NULL while not subscribed */
	uv_timer_t retry;
	int next; /* Sentinel to try next */
	struct redis_conn **conns;
	int n, cap;
};

static struct watch *watches[MAX_WATCHES];

static void watch_connect(struct watch *w);

static void retry_cb(uv_timer_t *t)
{
	watch_connect(t->data);
}

static void watch_lost(struct watch *w)
{
	w->ac = NULL;
	if (w->n > 0)
		uv_timer_start(&w->retry, retry_cb, RETRY_MS, 0);
}

static void on_message(redisAsyncContext *ac, void *r, void *priv)
{
	struct watch *w = priv;
	redisReply *reply = r;
	(void)ac;
	if (!reply || !w || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
	    reply->element[2]->type != REDIS_REPLY_STRING || strcmp(reply->element[0]->str, "message") != 0)
		return;
	char name[128], old_host[64], new_host[64];
	int old_port, new_port;
	if (sscanf(reply->element[2]->str, "%127s %63s %d %63s %d", name, old_host, &old_port, new_host, &new_port) !=
		    5 ||
	    strcmp(name, w->target.master_name) != 0)
		return;
	log_warn("redis: Sentinel announced +switch-master %s %s:%d -> %s:%d",
		 name,
		 old_host,
		 old_port,
		 new_host,
		 new_port);
	for (int i = 0; i < w->n; i++)
		redis_conn_master_switched(w->conns[i], new_host, new_port);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct watch *w = ac->data;
	if (w && status != REDIS_OK)
		watch_lost(w);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct watch *w = ac->data;
	(void)status;
	if (w)
		watch_lost(w);
}

static void watch_connect(struct watch *w)
{
	if (w->ac || w->n == 0)
		return;
	const struct redis_endpoint *s = &w->target.sentinels[w->next++ % w->target.n_sentinels];
	redisAsyncContext *ac = redisAsyncConnect(s->host, s->port);
	if (!ac || ac->err) {
		if (ac)
			redisAsyncFree(ac);
		uv_timer_start(&w->retry, retry_cb, RETRY_MS, 0);
		return;
	}
	ac->data = w;
	if (redis_uv_attach(w->loop, ac) != 0) {
		redisAsyncFree(ac);
		uv_timer_start(&w->retry, retry_cb, RETRY_MS, 0);
		return;
	}
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	w->ac = ac;
	redisAsyncCommand(ac, on_message, w, "SUBSCRIBE +switch-master");
}

static void timer_closed(uv_handle_t *h)
{
	struct watch *w = h->data;
	free(w->conns);
	free(w);
}

int sentinel_watch_add(uv_loop_t *loop, struct redis_conn *c, const struct redis_target *t)
{
	struct watch *w = NULL;
	int free_slot = -1;
	for (int i = 0; i < MAX_WATCHES; i++) {
		if (watches[i] && watches[i]->loop == loop && !strcmp(watches[i]->target.master_name, t->master_name))
			w = watches[i];
		else if (!watches[i] && free_slot < 0)
			free_slot = i;
	}
	if (!w) {
		if (free_slot < 0 || !(w = calloc(1, sizeof(*w))))
			return ORCH_ENOMEM;
		w->loop = loop;
		w->target = *t;
		uv_timer_init(loop, &w->retry);
		w->retry.data = w;
		watches[free_slot] = w;
	}
	if (w->n == w->cap) {
		int cap = w->cap ? 2 * w->cap : 8;
		struct redis_conn **nc = realloc(w->conns, (size_t)cap * sizeof(*nc));
		if (!nc)
			return ORCH_ENOMEM;
		w->conns = nc;
		w->cap = cap;
	}
	w->conns[w->n++] = c;
	watch_connect(w);
	return 0;
}

void sentinel_watch_remove(struct redis_conn *c)
{
	for (int i = 0; i < MAX_WATCHES; i++) {
		struct watch *w = watches[i];
		for (int k = 0; w && k < w->n; k++) {
			if (w->conns[k] != c)
				continue;
			w->conns[k] = w->conns[--w->n];
			if (w->n > 0)
				return;
			/* the last user: unsubscribe and free the watch */
			watches[i] = NULL;
			uv_timer_stop(&w->retry);
			if (w->ac) {
				w->ac->data = NULL;
				redisAsyncFree(w->ac);
				w->ac = NULL;
			}
			uv_close((uv_handle_t *)&w->retry, timer_closed);
			return;
		}
	}
}
