/*
 * bus_peer.c - EventBus consumer used by the integration tests (see
 * bus_peer.h). Runs on its own loop so a forked child can run one too.
 */
#include "bus_peer.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "json_util.h"
#include "orch.h"

struct pending {
	uv_timer_t t;
	struct bus_delivery *d;
};

/* One command on the effect connection, reconnecting once if Redis went
 * away (a test may restart it). Returns 0 or ORCH_EIO. */
static int effect_cmd(struct bus_peer *p, const char *fmt, const char *a, const char *b)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		if (!p->sync || p->sync->err) {
			if (p->sync)
				redisFree(p->sync);
			p->sync = redisConnect("127.0.0.1", p->port);
		}
		redisReply *r = p->sync && !p->sync->err ? redisCommand(p->sync, fmt, a, b) : NULL;
		int ok = r && r->type != REDIS_REPLY_ERROR;
		if (r)
			freeReplyObject(r);
		if (ok)
			return 0;
	}
	return ORCH_EIO;
}

/* The effect, then (only if it took) one line for this successful call. */
static int record_effect(struct bus_peer *p, const struct bus_event *ev)
{
	if (effect_cmd(p, "SADD %s:effect %s", p->ns, ev->event_id) != 0)
		return ORCH_EIO;
	char line[128];
	int n = snprintf(line, sizeof(line), "%s\n", ev->event_id);
	return write(p->calls_fd, line, (size_t)n) == n ? 0 : ORCH_EIO;
}

static void pending_closed(uv_handle_t *h)
{
	free(h->data);
}

static void pending_fire(uv_timer_t *t)
{
	struct pending *pd = t->data;
	bus_delivery_done(pd->d, 0);
	uv_close((uv_handle_t *)&pd->t, pending_closed);
}

static int peer_handler(struct bus_delivery *d, const struct bus_event *ev, void *data)
{
	struct bus_peer *p = data;
	p->handled++;
	if (p->fail_poison && json_object_get(ev->payload, "poison")) {
		p->poison_calls++;
		bus_delivery_reason(d, "poison event %s", ev->event_id);
		return ORCH_EINVAL;
	}
	if (record_effect(p, ev) != 0) {
		bus_delivery_reason(d, "effect store unreachable");
		return ORCH_EIO;
	}
	if (p->async_delay_ms <= 0)
		return 0;
	struct pending *pd = calloc(1, sizeof(*pd));
	if (!pd)
		return ORCH_ENOMEM;
	pd->d = d;
	uv_timer_init(&p->loop, &pd->t);
	pd->t.data = pd;
	uv_timer_start(&pd->t, pending_fire, (uint64_t)p->async_delay_ms, 0);
	return BUS_ASYNC;
}

int bus_peer_init(struct bus_peer *p, const struct bus_config *cfg, const struct redis_target *t, int redis_port,
		  const char *type, const char *ns, const char *dir)
{
	memset(p, 0, sizeof(*p));
	p->ns = ns;
	p->port = redis_port;
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.calls", dir, ns);
	p->calls_fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (p->calls_fd < 0)
		return ORCH_EIO;
	if (uv_loop_init(&p->loop) != 0)
		return ORCH_EIO;
	/* may fail while a test keeps Redis down; effect_cmd reconnects */
	p->sync = redisConnect("127.0.0.1", redis_port);
	int rc = bus_new(&p->bus, &p->loop, cfg, t);
	if (rc == 0 && type)
		rc = bus_subscribe(p->bus, type, peer_handler, p);
	if (rc == 0)
		rc = bus_start(p->bus);
	return rc;
}

struct run_ctx {
	int (*pred)(void *);
	void *arg;
	int done;
};

static void run_tick(uv_timer_t *t)
{
	struct run_ctx *c = t->data;
	if (c->pred && c->pred(c->arg))
		c->done = 1;
}

void bus_peer_run(struct bus_peer *p, int ms, int (*pred)(void *), void *arg)
{
	struct run_ctx c = {pred, arg, 0};
	uv_timer_t tick;
	uv_timer_init(&p->loop, &tick);
	tick.data = &c;
	uv_timer_start(&tick, run_tick, 5, 5);
	uint64_t end = uv_now(&p->loop) + (uint64_t)ms;
	while (!c.done && uv_now(&p->loop) < end)
		uv_run(&p->loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&tick, NULL);
	uv_run(&p->loop, UV_RUN_NOWAIT);
}

static void walk_close(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void stopped(void *arg)
{
	*(int *)arg = 1;
}

static int flag_set(void *arg)
{
	return *(int *)arg;
}

void bus_peer_close(struct bus_peer *p)
{
	if (p->bus) {
		/* graceful stop first, so asynchronous deliveries finish */
		int done = 0;
		bus_stop(p->bus, 3000, stopped, &done);
		bus_peer_run(p, 4000, flag_set, &done);
		bus_free(p->bus);
	}
	for (int i = 0; i < 100 && uv_loop_alive(&p->loop); i++)
		uv_run(&p->loop, UV_RUN_NOWAIT);
	uv_walk(&p->loop, walk_close, NULL);
	uv_run(&p->loop, UV_RUN_DEFAULT);
	uv_loop_close(&p->loop);
	if (p->sync)
		redisFree(p->sync);
	if (p->calls_fd >= 0)
		close(p->calls_fd);
	p->bus = NULL;
	p->sync = NULL;
	p->calls_fd = -1;
}

long bus_peer_calls(const char *dir, const char *ns, const char *event_id)
{
	char path[512], line[128];
	snprintf(path, sizeof(path), "%s/%s.calls", dir, ns);
	FILE *f = fopen(path, "r");
	long n = 0;
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!event_id || strcmp(line, event_id) == 0)
			n++;
	}
	if (f)
		fclose(f);
	return n;
}

pid_t bus_peer_spawn(const struct bus_config *cfg, const struct redis_target *t, int redis_port, const char *type,
		     const char *ns, const char *dir, int async_delay_ms)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	struct bus_peer p;
	if (bus_peer_init(&p, cfg, t, redis_port, type, ns, dir) != 0)
		_exit(2);
	p.async_delay_ms = async_delay_ms;
	bus_peer_run(&p, 60000, NULL, NULL);
	_exit(0);
}
