/*
 * bench_bus.c - EventBus throughput, latency and idle memory, each printed
 * beside a ceiling measured in the same run on the same private redis-server:
 *
 *   bus_publish_throughput  EventBus publisher alone      vs redis-benchmark XADD (-c 10 -P 32)
 *   bus_e2e_throughput      EventBus publish -> consume   vs a bare hiredis+libuv pair moving
 *                                                          the same entries
 *   bus_latency_p50_10k,    publish -> handler at 10k/s   vs the bare pair at 10k/s
 *   bus_latency_p99_10k
 *   bus_idle_rss            a process subscribed to five  vs a bare hiredis+libuv consumer
 *                           event types, idle              blocked in XREADGROUP
 *
 * The bare pair moves the very entries the EventBus writes (the original
 * system's eight-field wire format, encoded once by the same encoder) and
 * its consumer parses every payload with jansson, as any real consumer must
 * (jansson, not Redis, bounds end-to-end rates here; see
 * ../shared/spec/performance-ceilings.md). What the ratio shows is the
 * cost of the EventBus machinery on top: envelope decoding, dedupe, the
 * delivery bookkeeping, at-least-once ACKs and the outbox. Producer and consumer run as
 * separate processes; latency uses CLOCK_MONOTONIC, which is system-wide.
 * Usage: bench_bus [N] (default 200000).
 */
#include <hiredis/adapters/libuv.h>
#include <hiredis/async.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus.h"
#include "clock.h"
#include "harness.h"
#include "log.h"
#include "orch.h"

#define LAT_N    10000
#define LAT_RATE 10000

static struct harness_redis srv;
static struct redis_target target;

/* ~300-byte event body carrying its publish time. */
static json_t *make_payload(long seq)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:{s:I, s:[{s:s, s:i, s:f}, {s:s, s:i, s:f}], s:f, s:s, s:s}}",
			 "type",
			 "order.created",
			 "source",
			 "svc-orders",
			 "id",
			 "0b6f3a1e-5c2d-4e8f-9a7b-1c2d3e4f5a6b",
			 "ts_ns",
			 (json_int_t)clock_mono_ns(),
			 "data",
			 "order_id",
			 (json_int_t)seq,
			 "items",
			 "sku",
			 "SKU-000123",
			 "qty",
			 2,
			 "price",
			 12.5,
			 "sku",
			 "SKU-000456",
			 "qty",
			 1,
			 "price",
			 20.48,
			 "total",
			 45.48,
			 "currency",
			 "EUR",
			 "note",
			 "padding to bring the event to about three hundred bytes");
}

static void redis_do(const char *cmd)
{
	redisContext *c = harness_redis_sync(&srv);
	redisReply *r = redisCommand(c, cmd);
	if (r)
		freeReplyObject(r);
	redisFree(c);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Consumer results travel to the parent through a pipe. */
struct result {
	long n;
	int64_t last_ns;
	double p50_ms, p99_ms;
};

static void percentiles(int64_t *lat, long n, struct result *r)
{
	qsort(lat, (size_t)n, sizeof(*lat), cmp_i64);
	r->p50_ms = n ? lat[n / 2] / 1e6 : 0;
	r->p99_ms = n ? lat[(long)(n * 0.99)] / 1e6 : 0;
}

/* ---- bare hiredis + libuv pair (the ceiling) ---- */

struct bare {
	uv_loop_t *loop;
	redisAsyncContext *ac;
	long n, got, sent, inflight, got_at_last_check;
	int rate;
	int64_t t0;
	int64_t *lat;
	int64_t last_ns;
	int done;
	uv_timer_t timer;
};

static void bare_read(struct bare *b);

static void bare_read_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct bare *b = priv;
	redisReply *reply = r;
	(void)ac;
	if (!reply || reply->type != REDIS_REPLY_ARRAY) {
		bare_read(b);
		return;
	}
	redisReply *entries = reply->element[0]->element[1];
	const char **argv = malloc((3 + entries->elements) * sizeof(char *));
	argv[0] = "XACK";
	argv[1] = "bb";
	argv[2] = "g";
	for (size_t i = 0; i < entries->elements; i++) {
		redisReply *e = entries->element[i];
		argv[3 + i] = e->element[0]->str;
		redisReply *f = e->element[1], *payload = NULL;
		for (size_t k = 0; k + 1 < f->elements; k += 2)
			if (strcmp(f->element[k]->str, "payload") == 0)
				payload = f->element[k + 1];
		json_t *j = payload ? json_loadb(payload->str, payload->len, 0, NULL) : NULL;
		int64_t ts = (int64_t)json_integer_value(json_object_get(j, "ts_ns"));
		json_decref(j);
		int64_t now = clock_mono_ns();
		if (b->got < b->n)
			b->lat[b->got] = now - ts;
		b->got++;
		b->last_ns = now;
	}
	redisAsyncCommandArgv(ac, NULL, NULL, 3 + (int)entries->elements, argv, NULL);
	free(argv);
	if (b->got >= b->n) {
		b->done = 1;
		redisAsyncDisconnect(ac);
		return;
	}
	bare_read(b);
}

static void bare_read(struct bare *b)
{
	redisAsyncCommand(b->ac, bare_read_cb, b, "XREADGROUP GROUP g c1 COUNT 500 BLOCK 1000 STREAMS bb >");
}

static void bare_idle_check(uv_timer_t *t)
{
	struct bare *b = t->data;
	if (b->got == b->got_at_last_check) {
		fprintf(stderr, "bench_bus: bare consumer idle with %ld of %ld events\n", b->got, b->n);
		uv_stop(b->loop);
	}
	b->got_at_last_check = b->got;
}

static void bare_consume(long n, int fd)
{
	struct bare b = {.n = n};
	b.lat = calloc((size_t)(n > 0 ? n : 1), sizeof(int64_t));
	b.loop = uv_default_loop();
	b.ac = redisAsyncConnect("127.0.0.1", srv.port);
	redisLibuvAttach(b.ac, b.loop);
	uv_timer_init(b.loop, &b.timer);
	b.timer.data = &b;
	if (n > 1)
		uv_timer_start(&b.timer, bare_idle_check, 10000, 10000);
	uv_unref((uv_handle_t *)&b.timer);
	bare_read(&b);
	uv_run(b.loop, UV_RUN_DEFAULT);
	struct result r = {.n = b.got, .last_ns = b.last_ns};
	percentiles(b.lat, b.got < n ? b.got : n, &r);
	if (write(fd, &r, sizeof(r)) != sizeof(r))
		_exit(1);
	_exit(0);
}

static void bare_pub_more(struct bare *b);

static void bare_pub_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct bare *b = priv;
	(void)ac;
	(void)r;
	b->inflight--;
	if (b->sent >= b->n && b->inflight == 0) {
		uv_timer_stop(&b->timer);
		uv_close((uv_handle_t *)&b->timer, NULL);
		redisAsyncDisconnect(b->ac);
		return;
	}
	if (!b->rate)
		bare_pub_more(b);
}

static void bare_pub_more(struct bare *b)
{
	long allowed = b->n;
	if (b->rate)
		allowed = (long)((clock_mono_ns() - b->t0) / 1e9 * b->rate) + 1;
	while (b->sent < b->n && b->sent < allowed && b->inflight < 1000) {
		/* the very entry the EventBus writes (the original's wire format) */
		json_t *p = make_payload(b->sent);
		struct bus_entry e;
		bus_envelope_encode(&e, "orders", "producer", p, NULL);
		const char *argv[3 + 2 * BUS_ENVELOPE_NFIELDS] = {"XADD", "bb", "*"};
		size_t lens[3 + 2 * BUS_ENVELOPE_NFIELDS] = {4, 2, 1};
		memcpy(argv + 3, e.argv, 2 * (size_t)e.nfields * sizeof(*argv));
		memcpy(lens + 3, e.lens, 2 * (size_t)e.nfields * sizeof(*lens));
		redisAsyncCommandArgv(b->ac, bare_pub_cb, b, 3 + 2 * e.nfields, argv, lens);
		bus_envelope_free_entry(&e);
		json_decref(p);
		b->sent++;
		b->inflight++;
	}
}

static void bare_tick(uv_timer_t *t)
{
	bare_pub_more(t->data);
}

static int64_t bare_publish(long n, int rate)
{
	struct bare b = {.n = n, .rate = rate};
	b.loop = uv_default_loop();
	b.ac = redisAsyncConnect("127.0.0.1", srv.port);
	redisLibuvAttach(b.ac, b.loop);
	uv_timer_init(b.loop, &b.timer);
	b.timer.data = &b;
	b.t0 = clock_mono_ns();
	uv_timer_start(&b.timer, bare_tick, 0, 1);
	bare_pub_more(&b);
	uv_run(b.loop, UV_RUN_DEFAULT);
	return b.t0;
}

/* ---- the EventBus ---- */

struct busrun {
	uv_loop_t loop;
	struct bus *bus;
	long n, got, sent, stored, got_at_last_check;
	int rate;
	int64_t t0, last_ns;
	int64_t *lat;
	uv_timer_t timer;
};

static int bus_bench_handler(struct bus_delivery *d, const struct bus_event *ev, void *data)
{
	struct busrun *r = data;
	(void)d;
	int64_t now = clock_mono_ns();
	int64_t ts = (int64_t)json_integer_value(json_object_get(ev->payload, "ts_ns"));
	if (r->got < r->n)
		r->lat[r->got] = now - ts;
	r->got++;
	r->last_ns = now;
	if (r->got >= r->n)
		uv_stop(&r->loop);
	return 0;
}

static void bus_open(struct busrun *r, const char *service)
{
	struct bus_config cfg;
	bus_config_defaults(&cfg);
	cfg.prefix = "bench";
	cfg.service = service;
	cfg.instance = "1";
	cfg.batch = 500;
	cfg.max_inflight = 1000;
	cfg.block_ms = 1000;
	/* keep every event of the run: with the default MAXLEN ~ 10000 a
	 * consumer more than 10k events behind would lose trimmed entries */
	cfg.maxlen = 10000000;
	uv_loop_init(&r->loop);
	if (bus_new(&r->bus, &r->loop, &cfg, &target) != 0)
		exit(1);
}

/* Ends a consumer that received nothing for 10 s (events lost or never
 * sent), so a broken run reports a short count instead of hanging. */
static void bus_idle_check(uv_timer_t *t)
{
	struct busrun *r = t->data;
	if (r->got == r->got_at_last_check) {
		fprintf(stderr, "bench_bus: consumer idle with %ld of %ld events\n", r->got, r->n);
		uv_stop(&r->loop);
	}
	r->got_at_last_check = r->got;
}

static void bus_consume(long n, int fd, int ntypes)
{
	struct busrun r = {.n = n};
	r.lat = calloc((size_t)(n > 0 ? n : 1), sizeof(int64_t));
	bus_open(&r, "consumer");
	static const char *types[] = {
		"orders", "trade.closed", "portfolio.snapshot_updated", "risk_alert", "policy.updated"};
	for (int i = 0; i < ntypes; i++)
		bus_subscribe(r.bus, types[i], bus_bench_handler, &r);
	bus_start(r.bus);
	uv_timer_init(&r.loop, &r.timer);
	r.timer.data = &r;
	if (ntypes == 1)
		uv_timer_start(&r.timer, bus_idle_check, 10000, 10000);
	uv_run(&r.loop, UV_RUN_DEFAULT);
	struct result res = {.n = r.got, .last_ns = r.last_ns};
	percentiles(r.lat, r.got < n ? r.got : n, &res);
	if (write(fd, &res, sizeof(res)) != sizeof(res))
		_exit(1);
	_exit(0);
}

static void bus_pub_more(struct busrun *r);

static void bus_stored(int status, const char *id, void *data)
{
	struct busrun *r = data;
	(void)id;
	if (status == 0)
		r->stored++;
	if (r->stored >= r->n)
		uv_stop(&r->loop);
	else if (!r->rate)
		bus_pub_more(r);
}

static void bus_pub_more(struct busrun *r)
{
	long allowed = r->n;
	if (r->rate)
		allowed = (long)((clock_mono_ns() - r->t0) / 1e9 * r->rate) + 1;
	/* keep about one publish window queued; the outbox holds the rest */
	while (r->sent < r->n && r->sent < allowed && r->sent - r->stored < 2000) {
		json_t *p = make_payload(r->sent);
		bus_publish(r->bus, "orders", p, NULL, bus_stored, r, NULL);
		json_decref(p);
		r->sent++;
	}
}

static void bus_tick(uv_timer_t *t)
{
	bus_pub_more(t->data);
}

/* Publishes n events; returns the start time; *secs gets the time until
 * Redis stored the last one. */
static int64_t bus_publish_n(long n, int rate, double *secs)
{
	struct busrun r = {.n = n, .rate = rate};
	bus_open(&r, "producer");
	bus_start(r.bus);
	while (!bus_is_connected(r.bus))
		uv_run(&r.loop, UV_RUN_ONCE);
	uv_timer_init(&r.loop, &r.timer);
	r.timer.data = &r;
	r.t0 = clock_mono_ns();
	uv_timer_start(&r.timer, bus_tick, 0, 1);
	bus_pub_more(&r);
	uv_run(&r.loop, UV_RUN_DEFAULT);
	*secs = (clock_mono_ns() - r.t0) / 1e9;
	uv_close((uv_handle_t *)&r.timer, NULL);
	bus_free(r.bus);
	uv_run(&r.loop, UV_RUN_DEFAULT);
	uv_loop_close(&r.loop);
	return r.t0;
}

/* ---- orchestration of the runs ---- */

static pid_t spawn(void (*fn)(long, int), long n, int *fd)
{
	int p[2];
	if (pipe(p) != 0)
		exit(1);
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		fn(n, p[1]);
	}
	close(p[1]);
	*fd = p[0];
	return pid;
}

static void bus_consume_one(long n, int fd)
{
	bus_consume(n, fd, 1);
}

static struct result collect(pid_t pid, int fd)
{
	struct result r = {0};
	if (read(fd, &r, sizeof(r)) != sizeof(r))
		fprintf(stderr, "bench_bus: consumer %d reported nothing\n", (int)pid);
	close(fd);
	waitpid(pid, NULL, 0);
	return r;
}

/* End-to-end run: consumer process + publisher here. Returns events/s. */
static double e2e(int use_bus, long n, int rate, struct result *out)
{
	redis_do("FLUSHALL");
	if (!use_bus)
		redis_do("XGROUP CREATE bb g 0 MKSTREAM");
	int fd;
	pid_t pid = spawn(use_bus ? bus_consume_one : bare_consume, n, &fd);
	usleep(300000);
	double secs;
	int64_t t0 = use_bus ? bus_publish_n(n, rate, &secs) : bare_publish(n, rate);
	*out = collect(pid, fd);
	return out->last_ns > t0 ? out->n / ((out->last_ns - t0) / 1e9) : 0;
}

static double redis_benchmark_xadd(long n)
{
	char cmd[1024];
	json_t *p = make_payload(0);
	char *s = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	snprintf(cmd,
		 sizeof(cmd),
		 "redis-benchmark -h 127.0.0.1 -p %d -n %ld -c 10 -P 32 --csv XADD rb '*' payload '%s'",
		 srv.port,
		 n,
		 s);
	free(s);
	FILE *f = popen(cmd, "r");
	char line[4096];
	double rps = 0;
	while (f && fgets(line, sizeof(line), f)) {
		/* "test","rps",6 latency columns: the payload in the test name
		 * holds quotes and commas, so count separators from the end */
		if (strncmp(line, "\"XADD", 5) != 0)
			continue;
		int seps = 0;
		for (char *q = line + strlen(line); q > line; q--) {
			if (strncmp(q, "\",\"", 3) == 0 && ++seps == 7) {
				rps = atof(q + 3);
				break;
			}
		}
	}
	if (f)
		pclose(f);
	return rps;
}

static double rss_mb(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	double kb = 0;
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = atof(line + 6);
	if (f)
		fclose(f);
	return kb / 1024;
}

static void bus_idle5(long n, int fd)
{
	(void)n;
	bus_consume(1L << 40, fd, 5);
}

static void bare_idle(long n, int fd)
{
	(void)n;
	bare_consume(1, fd);
}

static double idle_rss(void (*fn)(long, int))
{
	redis_do("FLUSHALL");
	redis_do("XGROUP CREATE bb g 0 MKSTREAM");
	int fd;
	pid_t pid = spawn(fn, 0, &fd);
	sleep(1);
	double mb = rss_mb(pid);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fd);
	return mb;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000;
	log_init("bench_bus", "1", LOG_LEVEL_ERROR);
	if (harness_redis_start(&srv, 0) != 0) {
		fprintf(stderr, "bench_bus: cannot start redis-server\n");
		return 1;
	}
	harness_target(&srv, &target);

	double rb = redis_benchmark_xadd(n);
	redis_do("FLUSHALL");
	double secs;
	bus_publish_n(n, 0, &secs);
	harness_bench_line("bus_publish_throughput",
			   n / secs,
			   "events/s",
			   "redis-benchmark XADD -c 10 -P 32",
			   rb,
			   "informational");

	struct result bare_r, bus_r;
	double bare_tp = e2e(0, n, 0, &bare_r);
	double bus_tp = e2e(1, n, 0, &bus_r);
	harness_bench_line("bus_e2e_throughput",
			   bus_tp,
			   "events/s",
			   "bare hiredis+libuv pair, same entries, jansson-parsing consumer",
			   bare_tp,
			   "ratio>=0.8");

	e2e(0, LAT_N, LAT_RATE, &bare_r);
	e2e(1, LAT_N, LAT_RATE, &bus_r);
	harness_bench_line("bus_latency_p50_10k",
			   bus_r.p50_ms,
			   "ms",
			   "bare hiredis+libuv pair at 10k events/s",
			   bare_r.p50_ms,
			   "value<1");
	harness_bench_line("bus_latency_p99_10k",
			   bus_r.p99_ms,
			   "ms",
			   "bare hiredis+libuv pair at 10k events/s",
			   bare_r.p99_ms,
			   "value<1");

	double bare_mb = idle_rss(bare_idle);
	double bus_mb = idle_rss(bus_idle5);
	harness_bench_line(
		"bus_idle_rss", bus_mb, "MB", "bare hiredis+libuv consumer blocked in XREADGROUP", bare_mb, "value<8");
	harness_redis_stop(&srv);
	return 0;
}
