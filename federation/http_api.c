/*
 * http_api.c - the Federation's REST API (contract in http_api.h).
 *
 * Threads: libmicrohttpd's two epoll threads run the handler; it reads the
 * bodies under a mutex (copying them into the response) and never blocks
 * on the loop. A force-decision request is suspended, queued under the
 * same mutex and announced to the loop with uv_async_send; the loop
 * answers it with api_complete(), which stores the answer and resumes the
 * connection, and the handler, called again, sends it.
 */
#include "http_api.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "metrics.h"
#include "orch.h"

#define PREFIX "/api/orchestration"
#define MAX_BODY 65536
#define MAX_ROUTES 16

/* A GET body, as ready-made responses shared by every request (MHD
 * counts their references): 200 with the body, 304 without. */
struct route {
	char path[64];
	char *body;
	size_t len;
	char etag[24];
	unsigned status;          /* 200, or 503 for a /readyz that is not */
	struct MHD_Response *ok, *not_modified;
};

#define SSE_RING 256
#define SSE_BLOCK (64 * 1024)

struct sse_event {
	uint64_t seq;                /* 0 = empty slot */
	char name[24];
	char *data;
	size_t len;
};

/* One /events stream: the next sequence number it sends, and whether its
 * connection is suspended waiting for an event. */
struct sse {
	struct api *api;
	struct MHD_Connection *conn;
	uint64_t next;
	int suspended, ping;
	struct sse *next_stream;
};

struct api_request {
	struct api *api;
	struct MHD_Connection *conn;
	int is_force;             /* the suspended write */
	size_t body_len;
	int queued, answered;
	unsigned status;
	char *answer;
	struct api_request *next; /* pending list (loop side) or queue (async) */
};

struct api {
	struct MHD_Daemon *d;
	int port;
	char token[256], cors[256];
	pthread_mutex_t lock;
	struct route routes[MAX_ROUTES];
	int n_routes;
	struct api_request *queue;   /* suspended, not yet seen by the loop */
	uv_async_t async;
	api_command_fn on_force;
	void *data;
	/* server-sent events: a ring of the newest events, and the streams */
	struct sse_event ring[SSE_RING];
	uint64_t next_seq;           /* sequence number of the next event pushed */
	struct sse *streams;
	int stopping;
	/* the dashboard's files, as ready-made responses */
	const struct api_asset *assets;
	struct MHD_Response **asset_resp;
	char (*asset_etag)[24];
	size_t n_assets;
};

static const char OPENAPI[] =
	"{\"openapi\":\"3.0.3\",\"info\":{\"title\":\"Orchestration federation API\",\"version\":\"1\"},"
	"\"paths\":{"
	"\"/api/orchestration/global-state\":{\"get\":{\"summary\":\"The merged global state\",\"responses\":"
	"{\"200\":{\"description\":\"{status: ok, data: GlobalState} or {status: initializing}\"},"
	"\"304\":{\"description\":\"unchanged (If-None-Match)\"}}}},"
	"\"/api/orchestration/agents/status\":{\"get\":{\"summary\":\"Every agent's last state, age, instance,"
	" leader and enabled flag\",\"responses\":{\"200\":{\"description\":\"ok\"}}}},"
	"\"/api/orchestration/agents/{agent}/status\":{\"get\":{\"summary\":\"One agent (ceo, risk, strategy)\","
	"\"parameters\":[{\"name\":\"agent\",\"in\":\"path\",\"required\":true,\"schema\":{\"type\":\"string\","
	"\"enum\":[\"ceo\",\"risk\",\"strategy\"]}}],\"responses\":{\"200\":{\"description\":\"ok\"}}}},"
	"\"/api/orchestration/agents/ceo/force-decision\":{\"post\":{\"summary\":\"Ask the CEO for a decision now"
	" and wait for it (5 s)\",\"security\":[{\"bearer\":[]}],\"responses\":{\"200\":{\"description\":"
	"\"{status: ok, decision}\"},\"401\":{\"description\":\"missing or wrong token\"},\"403\":{\"description\":"
	"\"no token configured\"},\"503\":{\"description\":\"the AI CEO is disabled\"},\"504\":{\"description\":"
	"\"no CEO answered\"}}}},"
	"\"/api/orchestration/mode-history\":{\"get\":{\"summary\":\"Recent mode changes, newest first\","
	"\"parameters\":[{\"name\":\"limit\",\"in\":\"query\",\"schema\":{\"type\":\"integer\",\"minimum\":1,"
	"\"maximum\":1000}}],\"responses\":{\"200\":{\"description\":\"ok\"}}}},"
	"\"/api/orchestration/events\":{\"get\":{\"summary\":\"Server-sent events: state, alert and mode, each"
	" with an id; Last-Event-ID resumes after it\",\"responses\":{\"200\":{\"description\":"
	"\"text/event-stream\"}}}},"
	"\"/api/orchestration/openapi.json\":{\"get\":{\"summary\":\"This document\",\"responses\":{\"200\":"
	"{\"description\":\"ok\"}}}}},"
	"\"components\":{\"securitySchemes\":{\"bearer\":{\"type\":\"http\",\"scheme\":\"bearer\"}}}}";

/* FNV-1a of the body, as a quoted ETag. */
static void make_etag(const char *body, size_t len, char *out, size_t outlen)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)body[i]) * 1099511628211ull;
	snprintf(out, outlen, "\"%016llx\"", (unsigned long long)h);
}

static struct MHD_Response *make_response(const struct api *a, const char *body, size_t len, const char *etag)
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

void api_set_body(struct api *a, const char *path, const char *body, size_t len)
{
	api_set_body_status(a, path, 200, body, len);
}

void api_set_body_status(struct api *a, const char *path, unsigned status, const char *body, size_t len)
{
	char *copy = malloc(len ? len : 1), etag[24];
	if (!copy)
		return;
	memcpy(copy, body, len);
	make_etag(body, len, etag, sizeof(etag));
	struct MHD_Response *ok = make_response(a, body, len, etag), *nm = make_response(a, "", 0, etag);
	if (!ok || !nm) {
		free(copy);
		if (ok)
			MHD_destroy_response(ok);
		if (nm)
			MHD_destroy_response(nm);
		return;
	}
	pthread_mutex_lock(&a->lock);
	struct route *r = NULL;
	for (int i = 0; i < a->n_routes; i++)
		if (!strcmp(a->routes[i].path, path))
			r = &a->routes[i];
	if (!r && a->n_routes < MAX_ROUTES) {
		r = &a->routes[a->n_routes++];
		snprintf(r->path, sizeof(r->path), "%s", path);
	}
	struct MHD_Response *old_ok = NULL, *old_nm = NULL;
	if (r) {
		free(r->body);
		r->body = copy;
		r->len = len;
		r->status = status;
		memcpy(r->etag, etag, sizeof(etag));
		old_ok = r->ok;
		old_nm = r->not_modified;
		r->ok = ok;
		r->not_modified = nm;
		copy = NULL;
		ok = nm = NULL;
	}
	pthread_mutex_unlock(&a->lock);
	free(copy);
	/* connections still sending the old ones keep their references */
	if (old_ok)
		MHD_destroy_response(old_ok);
	if (old_nm)
		MHD_destroy_response(old_nm);
	if (ok)
		MHD_destroy_response(ok);
	if (nm)
		MHD_destroy_response(nm);
}

/* ---- server-sent events ---- */

/* Wakes every stream waiting for data; lock held. */
static void sse_wake(struct api *a)
{
	for (struct sse *s = a->streams; s; s = s->next_stream)
		if (s->suspended) {
			s->suspended = 0;
			MHD_resume_connection(s->conn);
		}
}

void api_push_event(struct api *a, const char *name, const char *data, size_t len)
{
	char *copy = malloc(len + 1);
	if (!copy)
		return;
	memcpy(copy, data, len);
	copy[len] = '\0';
	pthread_mutex_lock(&a->lock);
	struct sse_event *e = &a->ring[a->next_seq % SSE_RING];
	free(e->data);
	e->seq = a->next_seq++;
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->data = copy;
	e->len = len;
	sse_wake(a);
	pthread_mutex_unlock(&a->lock);
}

void api_heartbeat(struct api *a)
{
	pthread_mutex_lock(&a->lock);
	for (struct sse *s = a->streams; s; s = s->next_stream)
		s->ping = 1;
	sse_wake(a);
	pthread_mutex_unlock(&a->lock);
}

/* MHD asks for more of a stream: the next event, a heartbeat comment, or
 * nothing yet (then the connection is suspended until an event comes). */
static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sse *s = cls;
	struct api *a = s->api;
	(void)pos;
	pthread_mutex_lock(&a->lock);
	ssize_t n = 0;
	if (a->stopping) {
		pthread_mutex_unlock(&a->lock);
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	uint64_t oldest = a->next_seq > SSE_RING ? a->next_seq - SSE_RING : 1;
	if (s->next < oldest)
		s->next = oldest; /* fell behind the ring: continue from the oldest kept */
	if (s->next < a->next_seq) {
		const struct sse_event *e = &a->ring[s->next % SSE_RING];
		int w = snprintf(buf, max, "id: %llu\nevent: %s\ndata: ", (unsigned long long)e->seq, e->name);
		if (w > 0 && (size_t)w + e->len + 2 <= max) {
			memcpy(buf + w, e->data, e->len);
			memcpy(buf + w + e->len, "\n\n", 2);
			n = (ssize_t)((size_t)w + e->len + 2);
		} else {
			n = snprintf(buf, max, ": event %llu too large for the stream\n\n", (unsigned long long)e->seq);
		}
		s->next++;
	} else if (s->ping) {
		s->ping = 0;
		n = snprintf(buf, max, ": ping\n\n");
	} else {
		s->suspended = 1;
		MHD_suspend_connection(s->conn);
	}
	pthread_mutex_unlock(&a->lock);
	return n;
}

static void sse_free(void *cls)
{
	struct sse *s = cls;
	struct api *a = s->api;
	pthread_mutex_lock(&a->lock);
	for (struct sse **pp = &a->streams; *pp; pp = &(*pp)->next_stream)
		if (*pp == s) {
			*pp = s->next_stream;
			break;
		}
	pthread_mutex_unlock(&a->lock);
	free(s);
}

static enum MHD_Result sse_start(struct api *a, struct MHD_Connection *c)
{
	struct sse *s = calloc(1, sizeof(*s));
	if (!s)
		return MHD_NO;
	s->api = a;
	s->conn = c;
	const char *last = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
	pthread_mutex_lock(&a->lock);
	char *end = NULL;
	unsigned long long id = last ? strtoull(last, &end, 10) : 0;
	/* resume after the given id; a new stream starts with the newest event */
	if (last && end != last && *end == '\0' && id < a->next_seq)
		s->next = id + 1;
	else
		s->next = a->next_seq > 1 ? a->next_seq - 1 : 1;
	s->next_stream = a->streams;
	a->streams = s;
	pthread_mutex_unlock(&a->lock);
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, SSE_BLOCK, sse_read, s, sse_free);
	if (!r) {
		sse_free(s);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	MHD_add_response_header(r, "X-Accel-Buffering", "no");
	if (a->cors[0])
		MHD_add_response_header(r, "Access-Control-Allow-Origin", a->cors);
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result queue_body(struct api *a, struct MHD_Connection *c, unsigned status, const char *body,
				  size_t len, const char *etag)
{
	struct MHD_Response *r = make_response(a, body, len, etag);
	if (!r)
		return MHD_NO;
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* A GET of a swapped-in body, with ETag / If-None-Match. */
static enum MHD_Result serve_route(struct api *a, struct MHD_Connection *c, const char *path)
{
	const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	pthread_mutex_lock(&a->lock);
	struct route *r = NULL;
	for (int i = 0; i < a->n_routes; i++)
		if (!strcmp(a->routes[i].path, path))
			r = &a->routes[i];
	enum MHD_Result ret;
	if (!r) {
		pthread_mutex_unlock(&a->lock);
		return http_respond_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "not_ready", "no state yet");
	}
	if (inm && !strcmp(inm, r->etag) && r->status == MHD_HTTP_OK)
		ret = MHD_queue_response(c, MHD_HTTP_NOT_MODIFIED, r->not_modified);
	else
		ret = MHD_queue_response(c, r->status, r->ok);
	pthread_mutex_unlock(&a->lock);
	return ret;
}

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

static enum MHD_Result mode_history(struct api *a, struct MHD_Connection *c)
{
	const char *lim = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
	long limit = 50;
	if (lim) {
		char *end;
		limit = strtol(lim, &end, 10);
		if (*lim == '\0' || *end != '\0' || limit < 1 || limit > 1000)
			return http_respond_error(c, MHD_HTTP_BAD_REQUEST, "bad_limit",
						  "limit must be a whole number in [1, 1000]");
	}
	pthread_mutex_lock(&a->lock);
	json_t *all = NULL;
	for (int i = 0; i < a->n_routes; i++)
		if (!strcmp(a->routes[i].path, "/mode-history"))
			all = json_loadb(a->routes[i].body, a->routes[i].len, 0, NULL);
	pthread_mutex_unlock(&a->lock);
	json_t *items = json_object_get(all, "data");
	while (json_array_size(items) > (size_t)limit)
		json_array_remove(items, json_array_size(items) - 1);
	char *body = all ? json_dumps(all, JSON_COMPACT) : NULL;
	enum MHD_Result ret = body ? queue_body(a, c, MHD_HTTP_OK, body, strlen(body), NULL)
				   : http_respond_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "not_ready", "no history yet");
	free(body);
	json_decref(all);
	return ret;
}

/* Prometheus text of this process's metrics (lock-free to read). */
static enum MHD_Result serve_metrics(struct MHD_Connection *c)
{
	size_t len = 0;
	char *text = metrics_render(&len);
	if (!text)
		return MHD_NO;
	struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; version=0.0.4");
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result get_route(struct api *a, struct MHD_Connection *c, const char *sub)
{
	if (!strcmp(sub, "/global-state") || !strcmp(sub, "/agents/status") || !strcmp(sub, "/agents/ceo/status") ||
	    !strcmp(sub, "/agents/risk/status") || !strcmp(sub, "/agents/strategy/status"))
		return serve_route(a, c, sub);
	if (!strcmp(sub, "/mode-history"))
		return mode_history(a, c);
	if (!strcmp(sub, "/openapi.json"))
		return queue_body(a, c, MHD_HTTP_OK, OPENAPI, sizeof(OPENAPI) - 1, NULL);
	if (!strcmp(sub, "/events"))
		return sse_start(a, c);
	return http_respond_error(c, MHD_HTTP_NOT_FOUND, "not_found", "no such endpoint");
}

static int is_get_path(const char *sub)
{
	static const char *const paths[] = {"/global-state",	    "/agents/status",	"/agents/ceo/status",
					    "/agents/risk/status", "/agents/strategy/status", "/mode-history",
					    "/openapi.json", "/events"};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!strcmp(sub, paths[i]))
			return 1;
	return 0;
}

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
			return queue_body(a, c, MHD_HTTP_NOT_MODIFIED, "", 0, a->asset_etag[i]);
		return MHD_queue_response(c, MHD_HTTP_OK, a->asset_resp[i]);
	}
	return http_respond_error(c, MHD_HTTP_NOT_FOUND, "not_found", "no such endpoint");
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
		a->on_force(q, a->data);
		q = next;
	}
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

static enum MHD_Result force_decision(struct api *a, struct MHD_Connection *c, struct api_request *req,
				      const char *upload, size_t *upload_size)
{
	if (*upload_size) {
		req->body_len += *upload_size;
		*upload_size = 0;
		return MHD_YES;
	}
	if (req->answered) {
		pthread_mutex_lock(&a->lock);
		char *body = req->answer;
		unsigned status = req->status;
		pthread_mutex_unlock(&a->lock);
		return queue_body(a, c, status, body, strlen(body), NULL);
	}
	(void)upload;
	if (req->body_len > MAX_BODY)
		return http_respond_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "too_large", "the body is larger than 64 KiB");
	if (!a->token[0])
		return http_respond_error(c, MHD_HTTP_FORBIDDEN, "writes_disabled",
					  "no API token is configured (ORCH_API_TOKEN), so writes are refused");
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!auth || strncmp(auth, "Bearer ", 7) != 0 || !token_ok(auth + 7, a->token))
		return unauthorized(c);
	if (req->queued)
		return MHD_YES;
	req->queued = 1;
	MHD_suspend_connection(c);
	pthread_mutex_lock(&a->lock);
	req->next = a->queue;
	a->queue = req;
	pthread_mutex_unlock(&a->lock);
	uv_async_send(&a->async);
	return MHD_YES;
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
	if (strncmp(url, PREFIX, strlen(PREFIX)) != 0)
		{
		/* the probes beside the API, as on the admin port */
		if (!strcmp(url, "/healthz") || !strcmp(url, "/readyz") || !strcmp(url, "/metrics")) {
			if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
				return http_respond_method_not_allowed(c, "GET, HEAD");
			if (!strcmp(url, "/healthz"))
				return queue_body(a, c, MHD_HTTP_OK, "{\"status\":\"ok\"}", 15, NULL);
			if (!strcmp(url, "/metrics"))
				return serve_metrics(c);
			return serve_route(a, c, "/readyz");
		}
		return serve_asset(a, c, url, method);
	}
	const char *sub = url + strlen(PREFIX);
	if (!strcmp(sub, "/agents/ceo/force-decision")) {
		if (strcmp(method, "POST") != 0)
			return http_respond_method_not_allowed(c, "POST");
		req->is_force = 1;
		return force_decision(a, c, req, upload, upload_size);
	}
	if (*upload_size) {
		req->body_len += *upload_size;
		*upload_size = 0;
		return MHD_YES;
	}
	if (is_get_path(sub) && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return http_respond_method_not_allowed(c, "GET, HEAD");
	if (req->body_len > MAX_BODY)
		return http_respond_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "too_large", "the body is larger than 64 KiB");
	return get_route(a, c, sub);
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
		free(req);
	}
	*con_cls = NULL;
}

int api_start(struct api **out, uv_loop_t *loop, const struct api_config *cfg, api_command_fn on_force,
	      void *data, char *err, size_t errlen)
{
	struct api *a = calloc(1, sizeof(*a));
	if (!a)
		return ORCH_ENOMEM;
	pthread_mutex_init(&a->lock, NULL);
	snprintf(a->token, sizeof(a->token), "%s", cfg->token ? cfg->token : "");
	snprintf(a->cors, sizeof(a->cors), "%s", cfg->cors_origin ? cfg->cors_origin : "");
	a->on_force = on_force;
	a->data = data;
	a->next_seq = 1;
	if (cfg->n_assets) {
		a->asset_resp = calloc(cfg->n_assets, sizeof(*a->asset_resp));
		a->asset_etag = calloc(cfg->n_assets, sizeof(*a->asset_etag));
		if (!a->asset_resp || !a->asset_etag) {
			snprintf(err, errlen, "ORCH_API_PORT: out of memory preparing the dashboard");
			goto fail;
		}
		for (size_t i = 0; i < cfg->n_assets; i++) {
			const struct api_asset *f = &cfg->assets[i];
			struct MHD_Response *r =
				MHD_create_response_from_buffer(f->len, (void *)f->data, MHD_RESPMEM_PERSISTENT);
			if (!r) {
				snprintf(err, errlen, "ORCH_API_PORT: out of memory preparing the dashboard");
				goto fail;
			}
			make_etag((const char *)f->data, f->len, a->asset_etag[i], sizeof(a->asset_etag[i]));
			MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, f->type);
			MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
			MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, a->asset_etag[i]);
			a->asset_resp[i] = r;
			a->n_assets = i + 1;
		}
		a->assets = cfg->assets;
	}
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->port)};
	if (inet_pton(AF_INET, cfg->bind, &sa.sin_addr) != 1) {
		snprintf(err, errlen, "ORCH_API_BIND: '%s' is not an IPv4 address", cfg->bind);
		goto fail;
	}
	/* epoll with a pool of two threads: the fastest setup measured on this
	 * machine for a fixed body (../shared/spec/performance-ceilings.md) */
	a->d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME, (uint16_t)cfg->port, NULL,
				NULL, handler, a, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE,
				(unsigned)2, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_NOTIFY_COMPLETED,
				completed, a, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024), MHD_OPTION_END);
	if (!a->d) {
		snprintf(err, errlen, "ORCH_API_PORT: cannot listen on %s:%d (in use?)", cfg->bind, cfg->port);
		goto fail;
	}
	if (uv_async_init(loop, &a->async, async_cb) != 0) {
		snprintf(err, errlen, "ORCH_API_PORT: cannot set up the loop handoff");
		MHD_stop_daemon(a->d);
		goto fail;
	}
	a->async.data = a;
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(a->d, MHD_DAEMON_INFO_BIND_PORT);
	a->port = info ? info->port : cfg->port;
	*out = a;
	return 0;
fail:
	for (size_t i = 0; i < a->n_assets; i++)
		MHD_destroy_response(a->asset_resp[i]);
	free(a->asset_resp);
	free(a->asset_etag);
	pthread_mutex_destroy(&a->lock);
	free(a);
	return ORCH_EINVAL;
}

int api_port(const struct api *a)
{
	return a->port;
}

static void async_closed(uv_handle_t *h)
{
	struct api *a = h->data;
	for (int i = 0; i < SSE_RING; i++)
		free(a->ring[i].data);
	for (size_t i = 0; i < a->n_assets; i++)
		MHD_destroy_response(a->asset_resp[i]);
	free(a->asset_resp);
	free(a->asset_etag);
	for (int i = 0; i < a->n_routes; i++) {
		free(a->routes[i].body);
		MHD_destroy_response(a->routes[i].ok);
		MHD_destroy_response(a->routes[i].not_modified);
	}
	pthread_mutex_destroy(&a->lock);
	free(a);
}

void api_stop(struct api *a)
{
	if (!a)
		return;
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
	sse_wake(a);
	pthread_mutex_unlock(&a->lock);
	MHD_stop_daemon(a->d);
	uv_close((uv_handle_t *)&a->async, async_closed);
}
