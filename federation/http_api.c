/*
 * http_api.c - the Federation's REST API (contract in http_api.h): its
 * lifecycle (the listeners of http_server.c, the loop's handles), the
 * bodies the loop swaps in, the mode history and the requests handed to
 * the loop.
 *
 * Threads: each listener's two epoll threads run the handler; it reads the
 * bodies under a mutex (MHD counts the responses' references) and never
 * blocks on the loop. A write is suspended, queued under the same mutex
 * and announced to the loop with uv_async_send; the loop answers it with
 * api_complete(), which stores the answer and resumes the connection, and
 * the handler, called again, sends it. A loop timer sweeps the open
 * connections for requests past their deadline (api__sweep).
 */
#include "http_api.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "http.h"
#include "http_internal.h"
#include "metrics.h"
#include "orch.h"

/* FNV-1a of the body, as a quoted ETag. */
static void make_etag(const char *body, size_t len, char *out, size_t outlen)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)body[i]) * 1099511628211ull;
	snprintf(out, outlen, "\"%016llx\"", (unsigned long long)h);
}

/* A JSON response with the API's headers (CORS, no-cache, the security
 * headers of http_secure, etag if given). */
static struct MHD_Response *api__response(const struct api *a, const char *body, size_t len, const char *etag)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return NULL;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	http_secure(r, NULL);
	if (etag)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
	if (a->cors[0])
		MHD_add_response_header(r, "Access-Control-Allow-Origin", a->cors);
	return r;
}

enum MHD_Result api__queue(struct api *a, struct MHD_Connection *c, unsigned status, const char *body, size_t len,
			   const char *etag)
{
	struct MHD_Response *r = api__response(a, body, len, etag);
	if (!r)
		return MHD_NO;
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

void api_set_body(struct api *a, const char *path, const char *body, size_t len)
{
	char etag[24];
	make_etag(body, len, etag, sizeof(etag));
	struct MHD_Response *ok = api__response(a, body, len, etag), *nm = api__response(a, "", 0, etag);
	if (!ok || !nm) {
		if (ok)
			MHD_destroy_response(ok);
		if (nm)
			MHD_destroy_response(nm);
		return;
	}
	pthread_mutex_lock(&a->lock);
	struct api_body *b = NULL;
	for (int i = 0; i < a->n_bodies; i++)
		if (!strcmp(a->bodies[i].path, path))
			b = &a->bodies[i];
	if (!b && a->n_bodies < API_MAX_BODIES) {
		b = &a->bodies[a->n_bodies++];
		snprintf(b->path, sizeof(b->path), "%s", path);
	}
	struct MHD_Response *old_ok = ok, *old_nm = nm;
	if (b) {
		memcpy(b->etag, etag, sizeof(etag));
		old_ok = b->ok;
		old_nm = b->not_modified;
		b->ok = ok;
		b->not_modified = nm;
	}
	pthread_mutex_unlock(&a->lock);
	/* connections still sending the old ones keep their references */
	if (old_ok)
		MHD_destroy_response(old_ok);
	if (old_nm)
		MHD_destroy_response(old_nm);
}

enum MHD_Result api__serve_body(struct api *a, struct MHD_Connection *c, const char *path)
{
	const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	pthread_mutex_lock(&a->lock);
	struct api_body *b = NULL;
	for (int i = 0; i < a->n_bodies; i++)
		if (!strcmp(a->bodies[i].path, path))
			b = &a->bodies[i];
	enum MHD_Result ret;
	if (!b)
		ret = MHD_NO;
	else if (inm && !strcmp(inm, b->etag))
		ret = MHD_queue_response(c, MHD_HTTP_NOT_MODIFIED, b->not_modified);
	else
		ret = MHD_queue_response(c, MHD_HTTP_OK, b->ok);
	pthread_mutex_unlock(&a->lock);
	return b ? ret : http_respond_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "not_ready", "no state yet");
}

void api_set_ready(struct api *a, int ready, const char *body)
{
	http_probes_set_ready(a->probes, ready, body);
}

void api_push_history(struct api *a, const char *entry, size_t len)
{
	char *copy = malloc(len ? len : 1);
	if (!copy)
		return;
	memcpy(copy, entry, len);
	pthread_mutex_lock(&a->lock);
	char *dropped = a->n_history == API_HISTORY_MAX ? a->history[API_HISTORY_MAX - 1] : NULL;
	int n = a->n_history < API_HISTORY_MAX ? a->n_history : API_HISTORY_MAX - 1;
	memmove(a->history + 1, a->history, (size_t)n * sizeof(a->history[0]));
	memmove(a->history_len + 1, a->history_len, (size_t)n * sizeof(a->history_len[0]));
	a->history[0] = copy;
	a->history_len[0] = len;
	a->n_history = n + 1;
	pthread_mutex_unlock(&a->lock);
	free(dropped);
}

/* ---- writes: the hand-off to the loop ---- */

static void async_cb(uv_async_t *h)
{
	struct api *a = h->data;
	pthread_mutex_lock(&a->lock);
	struct api_request *q = a->queue;
	a->queue = NULL;
	pthread_mutex_unlock(&a->lock);
	while (q) {
		struct api_request *next = q->next;
		q->next = NULL;
		a->on_command(q, a->data);
		q = next;
	}
}

enum MHD_Result api__to_loop(struct api *a, struct api_request *req)
{
	if (req->queued)
		return MHD_YES;
	req->queued = 1;
	MHD_suspend_connection(req->conn);
	pthread_mutex_lock(&a->lock);
	req->next = a->queue;
	a->queue = req;
	pthread_mutex_unlock(&a->lock);
	uv_async_send(&a->async);
	return MHD_YES;
}

const char *api_request_path(const struct api_request *req)
{
	return req->route->path;
}

void api_complete(struct api_request *req, unsigned status, const char *body)
{
	struct api *a = req->api;
	char *copy = strdup(body ? body : "{}");
	pthread_mutex_lock(&a->lock);
	req->status = status;
	req->answer = copy;
	req->answered = 1;
	pthread_mutex_unlock(&a->lock);
	MHD_resume_connection(req->conn);
}

/* ---- lifecycle ---- */

static void release(struct api *a)
{
	api__sse_release(a);
	api__gate_release(a);
	for (size_t i = 0; i < a->n_assets; i++)
		MHD_destroy_response(a->asset_resp[i]);
	free(a->asset_resp);
	free(a->asset_etag);
	for (int i = 0; i < a->n_bodies; i++) {
		MHD_destroy_response(a->bodies[i].ok);
		MHD_destroy_response(a->bodies[i].not_modified);
	}
	for (int i = 0; i < a->n_history; i++)
		free(a->history[i]);
	http_probes_free(a->probes);
	free(a->openapi);
	pthread_mutex_destroy(&a->lock);
	pthread_mutex_destroy(&a->conn_lock);
	pthread_mutex_destroy(&a->gate_lock);
	free(a);
}

static int prepare_assets(struct api *a, const struct api_config *cfg)
{
	if (!cfg->n_assets)
		return 0;
	a->asset_resp = calloc(cfg->n_assets, sizeof(*a->asset_resp));
	a->asset_etag = calloc(cfg->n_assets, sizeof(*a->asset_etag));
	if (!a->asset_resp || !a->asset_etag)
		return ORCH_ENOMEM;
	for (size_t i = 0; i < cfg->n_assets; i++) {
		const struct api_asset *f = &cfg->assets[i];
		struct MHD_Response *r =
			MHD_create_response_from_buffer(f->len, (void *)f->data, MHD_RESPMEM_PERSISTENT);
		if (!r)
			return ORCH_ENOMEM;
		make_etag((const char *)f->data, f->len, a->asset_etag[i], sizeof(a->asset_etag[i]));
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, f->type);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
		MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, a->asset_etag[i]);
		http_secure(r, API_CSP_DASHBOARD);
		a->asset_resp[i] = r;
		a->n_assets = i + 1;
	}
	a->assets = cfg->assets;
	return 0;
}

int api_new(struct api **out, uv_loop_t *loop, const struct api_config *cfg, api_command_fn on_command, void *data,
	    char *err, size_t errlen)
{
	struct sockaddr_in sa;
	if (inet_pton(AF_INET, cfg->bind, &sa.sin_addr) != 1 || strlen(cfg->bind) >= sizeof(((struct api *)0)->bind)) {
		snprintf(err, errlen, "ORCH_API_BIND: '%s' is not an IPv4 address", cfg->bind);
		return ORCH_EINVAL;
	}
	struct gate_config gc = cfg->gate;
	if (!gc.stale_ms)
		gate_config_defaults(&gc);
	if (gate_config_validate(&gc, err, errlen) != 0)
		return ORCH_EINVAL;
	struct api *a = calloc(1, sizeof(*a));
	if (!a)
		return ORCH_ENOMEM;
	pthread_mutex_init(&a->lock, NULL);
	pthread_mutex_init(&a->conn_lock, NULL);
	pthread_mutex_init(&a->gate_lock, NULL);
	a->loop = loop;
	a->gate_cfg = gc;
	a->limits = cfg->limits;
	a->listeners[a->n_listeners++] = (struct api_listener){
		.api = a, .table = &api_table_main, .bind_port = cfg->port, .setting = "ORCH_API_PORT"};
	for (int i = 0; i < API_LEGACY_N; i++)
		if (cfg->legacy_ports[i])
			a->listeners[a->n_listeners++] = (struct api_listener){.api = a,
									       .table = &api_table_legacy[i],
									       .bind_port = cfg->legacy_ports[i],
									       .setting = "ORCH_LEGACY_PORTS"};
	snprintf(a->bind, sizeof(a->bind), "%s", cfg->bind);
	snprintf(a->token, sizeof(a->token), "%s", cfg->token ? cfg->token : "");
	snprintf(a->cors, sizeof(a->cors), "%s", cfg->cors_origin ? cfg->cors_origin : "");
	a->on_command = on_command;
	a->data = data;
	a->next_seq = 1;
	a->m_cut = metrics_counter(
		"orch_api_requests_cut_total", NULL, "Connections closed because their request was not whole in time");
	a->m_sse_refused = metrics_counter(
		"orch_api_streams_refused_total", NULL, "GET /events refused with 503: ORCH_API_MAX_STREAMS open");
	if (http_probes_new(&a->probes) != 0 || !(a->openapi = api__openapi()) || prepare_assets(a, cfg) != 0 ||
	    api__gate_init(a) != 0) {
		snprintf(err, errlen, "ORCH_API_PORT: out of memory preparing the API");
		release(a);
		return ORCH_ENOMEM;
	}
	*out = a;
	return 0;
}

/* Room for every connection the listeners may hold: raises the soft limit
 * on open files up to the hard one when needed. */
static int ensure_fds(const struct api *a, char *err, size_t errlen)
{
	rlim_t per = a->limits.max_connections ? a->limits.max_connections : 1024;
	rlim_t need = per * (rlim_t)a->n_listeners + 64;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
		return 0;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= need)
		return 0;
	snprintf(err,
		 errlen,
		 "ORCH_API_MAX_CONNECTIONS: %d listener(s) of %u connections need %llu open files, "
		 "the limit is %llu",
		 a->n_listeners,
		 (unsigned)per,
		 (unsigned long long)need,
		 (unsigned long long)rl.rlim_cur);
	return ORCH_EINVAL;
}

static void sweep_cb(uv_timer_t *t)
{
	api__sweep(t->data);
}

int api_start(struct api *a, char *err, size_t errlen)
{
	int rc = ensure_fds(a, err, errlen), n = 0;
	for (; rc == 0 && n < a->n_listeners; n++)
		rc = api__listen(a, &a->listeners[n], err, errlen);
	if (rc == 0 && uv_async_init(a->loop, &a->async, async_cb) != 0) {
		snprintf(err, errlen, "ORCH_API_PORT: cannot set up the loop handoff");
		rc = ORCH_EIO;
	}
	if (rc != 0) {
		while (n-- > 0)
			if (a->listeners[n].d) {
				MHD_stop_daemon(a->listeners[n].d);
				a->listeners[n].d = NULL;
			}
		return rc;
	}
	a->async.data = a;
	a->open_handles = 2;
	uv_timer_init(a->loop, &a->sweep);
	a->sweep.data = a;
	if (a->limits.request_ms > 0) {
		int64_t every = a->limits.request_ms / 4 < 100    ? 100
				: a->limits.request_ms / 4 > 1000 ? 1000
								  : a->limits.request_ms / 4;
		uv_timer_start(&a->sweep, sweep_cb, (uint64_t)every, (uint64_t)every);
	}
	return 0;
}

int api_port(const struct api *a)
{
	return a->listeners[0].port;
}

static void handle_closed(uv_handle_t *h)
{
	struct api *a = h->data;
	if (--a->open_handles == 0)
		release(a);
}

void api_free(struct api *a)
{
	if (!a)
		return;
	if (!a->open_handles) {
		release(a);
		return;
	}
	/* answer what the loop has not seen yet, then stop serving */
	pthread_mutex_lock(&a->lock);
	struct api_request *q = a->queue;
	a->queue = NULL;
	pthread_mutex_unlock(&a->lock);
	while (q) {
		struct api_request *next = q->next; /* q may be freed once resumed */
		api_complete(
			q,
			MHD_HTTP_SERVICE_UNAVAILABLE,
			"{\"status\":\"error\",\"error\":{\"code\":\"shutting_down\",\"message\":\"shutting down\"}}");
		q = next;
	}
	/* streams end; no connection may stay suspended when MHD stops */
	pthread_mutex_lock(&a->lock);
	a->stopping = 1;
	api__sse_wake(a);
	pthread_mutex_unlock(&a->lock);
	for (int i = 0; i < a->n_listeners; i++)
		MHD_stop_daemon(a->listeners[i].d);
	uv_timer_stop(&a->sweep);
	uv_close((uv_handle_t *)&a->async, handle_closed);
	uv_close((uv_handle_t *)&a->sweep, handle_closed);
}
