/*
 * http_api.c - the Federation's REST API server (contract in http_api.h):
 * the daemon, dispatch over the route table (http_routes.c), the bodies
 * the loop swaps in, the token check, the dashboard's files and the
 * requests handed to the loop.
 *
 * Threads: libmicrohttpd's two epoll threads run the handler; it reads the
 * bodies under a mutex (MHD counts the responses' references) and never
 * blocks on the loop. A write is suspended, queued under the same mutex
 * and announced to the loop with uv_async_send; the loop answers it with
 * api_complete(), which stores the answer and resumes the connection, and
 * the handler, called again, sends it.
 */
#include "http_api.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "http_internal.h"
#include "orch.h"

/* FNV-1a of the body, as a quoted ETag. */
static void make_etag(const char *body, size_t len, char *out, size_t outlen)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)body[i]) * 1099511628211ull;
	snprintf(out, outlen, "\"%016llx\"", (unsigned long long)h);
}

struct MHD_Response *api__response(const struct api *a, const char *body, size_t len, const char *etag)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return NULL;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
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

/* ---- writes: the token, the hand-off to the loop ---- */

/* Constant-time comparison of the presented token with ours. */
static int token_ok(const char *have, const char *want)
{
	size_t lh = strlen(have), lw = strlen(want);
	unsigned char diff = (unsigned char)(lh != lw);
	for (size_t i = 0; i < lw; i++)
		diff |= (unsigned char)(want[i] ^ (i < lh ? have[i] : 0));
	return diff == 0;
}

static enum MHD_Result unauthorized(struct MHD_Connection *c)
{
	static const char body[] = "{\"status\":\"error\",\"error\":{\"code\":\"unauthorized\","
				   "\"message\":\"a valid Authorization: Bearer token is required\"}}";
	struct MHD_Response *r = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_UNAUTHORIZED, r);
	MHD_destroy_response(r);
	return ret;
}

/* 1 when the request may not write; its answer (403, 401) is queued in
 * *ret. */
static int token_refused(struct api *a, struct MHD_Connection *c, enum MHD_Result *ret)
{
	if (!a->token[0]) {
		*ret = http_respond_error(c, MHD_HTTP_FORBIDDEN, "writes_disabled",
					  "no API token is configured (ORCH_API_TOKEN), so writes are refused");
		return 1;
	}
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!auth || strncmp(auth, "Bearer ", 7) != 0 || !token_ok(auth + 7, a->token)) {
		*ret = unauthorized(c);
		return 1;
	}
	return 0;
}

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

/* ---- dispatch ---- */

/* The dashboard's files, outside the prefix. */
static enum MHD_Result serve_asset(struct api *a, struct MHD_Connection *c, const char *url, const char *method)
{
	for (size_t i = 0; i < a->n_assets; i++) {
		if (strcmp(url, a->assets[i].path) != 0)
			continue;
		if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
			return http_respond_method_not_allowed(c, "GET, HEAD");
		const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
		if (inm && !strcmp(inm, a->asset_etag[i]))
			return api__queue(a, c, MHD_HTTP_NOT_MODIFIED, "", 0, a->asset_etag[i]);
		return MHD_queue_response(c, MHD_HTTP_OK, a->asset_resp[i]);
	}
	return http_respond_error(c, MHD_HTTP_NOT_FOUND, "not_found", "no such endpoint");
}

/* The route for url and method; NULL with *allow set to the methods the
 * path takes ("" when the path is unknown). */
static const struct api_route *find_route(const char *url, const char *method, char *allow, size_t allowlen)
{
	int head = !strcmp(method, "HEAD");
	allow[0] = '\0';
	for (size_t i = 0; i < api_n_routes; i++) {
		const struct api_route *r = &api_routes[i];
		if (strcmp(r->path, url) != 0)
			continue;
		if (!strcmp(r->method, method) || (head && !strcmp(r->method, "GET")))
			return r;
		size_t n = strlen(allow);
		snprintf(allow + n, allowlen - n, "%s%s%s", n ? ", " : "", r->method,
			 !strcmp(r->method, "GET") ? ", HEAD" : "");
	}
	return NULL;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			       const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct api *a = cls;
	(void)version;
	struct api_request *req = *con_cls;
	if (!req) {
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		req->api = a;
		req->conn = c;
		*con_cls = req;
		return MHD_YES; /* answering on the first call would close keep-alive */
	}
	if (*upload_size) {
		/* keep what fits; count the rest to answer 413 */
		if (req->body_len + *upload_size <= API_MAX_BODY) {
			char *grown = realloc(req->body, req->body_len + *upload_size + 1);
			if (!grown)
				return MHD_NO;
			req->body = grown;
			memcpy(req->body + req->body_len, upload, *upload_size);
			req->body[req->body_len + *upload_size] = '\0';
		}
		req->body_len += *upload_size;
		*upload_size = 0;
		return MHD_YES;
	}
	if (req->answered) {
		pthread_mutex_lock(&a->lock);
		char *body = req->answer;
		unsigned status = req->status;
		pthread_mutex_unlock(&a->lock);
		return api__queue(a, c, status, body, strlen(body), NULL);
	}
	if (req->queued)
		return MHD_YES;
	char allow[64];
	const struct api_route *r = find_route(url, method, allow, sizeof(allow));
	if (!r && allow[0])
		return http_respond_method_not_allowed(c, allow);
	if (req->body_len > API_MAX_BODY)
		return http_respond_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "too_large", "the body is larger than 64 KiB");
	if (!r)
		return strncmp(url, API_PREFIX, strlen(API_PREFIX)) == 0
			       ? http_respond_error(c, MHD_HTTP_NOT_FOUND, "not_found", "no such endpoint")
			       : serve_asset(a, c, url, method);
	enum MHD_Result ret;
	if (r->auth && token_refused(a, c, &ret))
		return ret;
	req->route = r;
	return r->handler(a, req);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	struct api_request *req = *con_cls;
	if (!req)
		return;
	/* a queued request is freed here only once the loop answered it */
	if (!req->queued || req->answered) {
		free(req->answer);
		free(req->body);
		free(req);
	}
	*con_cls = NULL;
}

/* ---- lifecycle ---- */

static void release(struct api *a)
{
	api__sse_release(a);
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
		struct MHD_Response *r = MHD_create_response_from_buffer(f->len, (void *)f->data, MHD_RESPMEM_PERSISTENT);
		if (!r)
			return ORCH_ENOMEM;
		make_etag((const char *)f->data, f->len, a->asset_etag[i], sizeof(a->asset_etag[i]));
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, f->type);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
		MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, a->asset_etag[i]);
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
	struct api *a = calloc(1, sizeof(*a));
	if (!a)
		return ORCH_ENOMEM;
	pthread_mutex_init(&a->lock, NULL);
	a->loop = loop;
	a->bind_port = cfg->port;
	snprintf(a->bind, sizeof(a->bind), "%s", cfg->bind);
	snprintf(a->token, sizeof(a->token), "%s", cfg->token ? cfg->token : "");
	snprintf(a->cors, sizeof(a->cors), "%s", cfg->cors_origin ? cfg->cors_origin : "");
	a->on_command = on_command;
	a->data = data;
	a->next_seq = 1;
	if (http_probes_new(&a->probes) != 0 || !(a->openapi = api__openapi()) || prepare_assets(a, cfg) != 0) {
		snprintf(err, errlen, "ORCH_API_PORT: out of memory preparing the API");
		release(a);
		return ORCH_ENOMEM;
	}
	*out = a;
	return 0;
}

int api_start(struct api *a, char *err, size_t errlen)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)a->bind_port)};
	inet_pton(AF_INET, a->bind, &sa.sin_addr);
	/* epoll with a pool of two threads: the fastest setup measured on this
	 * machine for a fixed body (../shared/spec/performance-ceilings.md) */
	a->d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME, (uint16_t)a->bind_port, NULL,
				NULL, handler, a, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE,
				(unsigned)2, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_NOTIFY_COMPLETED,
				completed, a, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024), MHD_OPTION_END);
	if (!a->d) {
		snprintf(err, errlen, "ORCH_API_PORT: cannot listen on %s:%d (in use?)", a->bind, a->bind_port);
		return ORCH_EIO;
	}
	if (uv_async_init(a->loop, &a->async, async_cb) != 0) {
		snprintf(err, errlen, "ORCH_API_PORT: cannot set up the loop handoff");
		MHD_stop_daemon(a->d);
		a->d = NULL;
		return ORCH_EIO;
	}
	a->async.data = a;
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(a->d, MHD_DAEMON_INFO_BIND_PORT);
	a->port = info ? info->port : a->bind_port;
	return 0;
}

int api_port(const struct api *a)
{
	return a->port;
}

static void async_closed(uv_handle_t *h)
{
	release(h->data);
}

void api_free(struct api *a)
{
	if (!a)
		return;
	if (!a->d) {
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
		api_complete(q, MHD_HTTP_SERVICE_UNAVAILABLE,
			     "{\"status\":\"error\",\"error\":{\"code\":\"shutting_down\",\"message\":\"shutting down\"}}");
		q = next;
	}
	/* streams end; no connection may stay suspended when MHD stops */
	pthread_mutex_lock(&a->lock);
	a->stopping = 1;
	api__sse_wake(a);
	pthread_mutex_unlock(&a->lock);
	MHD_stop_daemon(a->d);
	uv_close((uv_handle_t *)&a->async, async_closed);
}
