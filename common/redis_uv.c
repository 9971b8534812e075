/*
 * redis_uv.c - drives a hiredis 0.14 async context from a libuv loop; our
 * replacement for hiredis/adapters/libuv.h.
 *
 * The stock 0.14 adapter returns early when libuv reports an error status
 * (POLLERR after a refused or reset connection), so hiredis never learns
 * of the failure and neither its connect nor its disconnect callback runs.
 * Here an error status still hands hiredis the event it waits for, so it
 * reads the socket error and fails the connect or disconnects.
 */
#include "redis_uv.h"

#include <stdlib.h>

#include "orch.h"

/* uv_poll glue for one hiredis context. Freed in its uv_close callback, so
 * it outlives the context by at least one loop turn. */
struct glue {
	uv_poll_t poll;
	redisAsyncContext *ac; /* NULL once hiredis called cleanup */
	int events;
};

static void glue_close_cb(uv_handle_t *h)
{
	free(h->data);
}

static void glue_poll_cb(uv_poll_t *h, int status, int events)
{
	struct glue *g = h->data;
	int want = g->events;
	/* On POLLERR libuv stops the handle and reports an error status with no
	 * events; hand hiredis the event it waits for so it reads the socket
	 * error and fails the connect or disconnects. The stock adapter returns
	 * here and the context hangs forever. */
	if (status < 0)
		events = want;
	if ((events & UV_WRITABLE) && g->ac)
		redisAsyncHandleWrite(g->ac);
	if ((events & UV_READABLE) && g->ac)
		redisAsyncHandleRead(g->ac);
	if (status < 0 && g->ac && g->events)
		uv_poll_start(&g->poll, g->events, glue_poll_cb);
}

static void glue_update(struct glue *g, int add, int flag)
{
	int ev = add ? (g->events | flag) : (g->events & ~flag);
	if (ev == g->events)
		return;
	g->events = ev;
	if (ev)
		uv_poll_start(&g->poll, ev, glue_poll_cb);
	else
		uv_poll_stop(&g->poll);
}

static void glue_add_read(void *p)
{
	glue_update(p, 1, UV_READABLE);
}
static void glue_del_read(void *p)
{
	glue_update(p, 0, UV_READABLE);
}
static void glue_add_write(void *p)
{
	glue_update(p, 1, UV_WRITABLE);
}
static void glue_del_write(void *p)
{
	glue_update(p, 0, UV_WRITABLE);
}

static void glue_cleanup(void *p)
{
	struct glue *g = p;
	g->ac = NULL;
	uv_poll_stop(&g->poll);
	uv_close((uv_handle_t *)&g->poll, glue_close_cb);
}

int redis_uv_attach(uv_loop_t *loop, redisAsyncContext *ac)
{
	struct glue *g = calloc(1, sizeof(*g));
	if (!g)
		return ORCH_ENOMEM;
	if (uv_poll_init_socket(loop, &g->poll, ac->c.fd) != 0) {
		free(g);
		return ORCH_EIO;
	}
	g->poll.data = g;
	g->ac = ac;
	ac->ev.data = g;
	ac->ev.addRead = glue_add_read;
	ac->ev.delRead = glue_del_read;
	ac->ev.addWrite = glue_add_write;
	ac->ev.delWrite = glue_del_write;
	ac->ev.cleanup = glue_cleanup;
	return 0;
}
