/*
 * http_server.c - the Federation API's listeners: one libmicrohttpd daemon
 * per port, each dispatching over its own route table (the API's, or a
 * legacy brain's), the bearer token, the dashboard's files, and the
 * connection guard: limits per listener and per client address, and a
 * deadline for each request to arrive whole.
 *
 * libmicrohttpd 0.9.75 times out idle connections only, so a client that
 * sends a byte every few seconds keeps a connection (and a slot) forever.
 * Each connection is tracked from MHD_CONNECTION_NOTIFY_STARTED to
 * _CLOSED with the time its current request began (the connection's start,
 * then the end of each answer on keep-alive); the loop sweeps them and
 * shuts down the socket of any whose request is not whole in time, which
 * makes MHD close it. MHD calls _CLOSED before it closes the socket, and
 * the sweep holds the same lock, so it never shuts down a reused number.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "clock.h"
#include "http.h"
#include "http_internal.h"
#include "log.h"
#include "metrics.h"
#include "orch.h"

/* ---- the token ---- */

/* Constant-time comparison of the presented token with ours. */
static int token_ok(const char *have, size_t lh, const char *want)
{
	size_t lw = strlen(want);
	unsigned char diff = (unsigned char)(lh != lw);
	for (size_t i = 0; i < lw; i++)
		diff |= (unsigned char)(want[i] ^ (i < lh ? have[i] : 0));
	return diff == 0;
}

struct next_key {
	uintptr_t after, next;
};

static enum MHD_Result find_next_key(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct next_key *n = cls;
	(void)kind;
	(void)value;
	uintptr_t k = (uintptr_t)key;
	if (k > n->after && k < n->next)
		n->next = k;
	return MHD_YES;
}

/* 1 when the header value v lost bytes to a NUL. libmicrohttpd 0.9.75
 * parses the request head in place (it begins at the handler's method
 * string and is MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE long), turning
 * each line end into one or two zero bytes, and keeps a value only up to
 * its first NUL: what follows the value up to the next header name must
 * then be zeros, at most two (four before the end: the empty line too).
 * A value not inside that block (another MHD) is not judged here. */
static int value_was_cut(struct MHD_Connection *c, const char *method, const char *v)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
	uintptr_t start = (uintptr_t)method, end = info ? start + info->header_size : start, p = (uintptr_t)v;
	if (!info || p <= start || p >= end)
		return 0;
	p += strlen(v);
	struct next_key n = {.after = p, .next = end};
	MHD_get_connection_values(c, MHD_HEADER_KIND, find_next_key, &n);
	if (n.next - p > (n.next == end ? 4u : 2u))
		return 1;
	for (; p < n.next; p++)
		if (*(const char *)p)
			return 1;
	return 0;
}

/* The credentials of "Authorization: Bearer <token>": the scheme in any
 * case (RFC 7235), then one or more spaces. NULL when the header is
 * missing, names another scheme, or holds a control character anywhere (a
 * NUL included, which MHD would otherwise cut the value at). */
static const char *bearer_token(struct MHD_Connection *c, const char *method, size_t *len)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!v || value_was_cut(c, method, v))
		return NULL;
	size_t n = strlen(v);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return NULL;
	if (n < 8 || strncasecmp(v, "bearer", 6) != 0 || v[6] != ' ')
		return NULL;
	size_t i = 6;
	while (i < n && v[i] == ' ')
		i++;
	*len = n - i;
	return v + i;
}

static enum MHD_Result unauthorized(struct MHD_Connection *c)
{
	static const char body[] = "{\"status\":\"error\",\"error\":{\"code\":\"unauthorized\","
				   "\"message\":\"a valid Authorization: Bearer token is required\"}}";
	struct MHD_Response *r =
		MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	http_secure(r, NULL);
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_UNAUTHORIZED, r);
	MHD_destroy_response(r);
	return ret;
}

/* 1 when the request may not write; its answer (403, 401) is queued in
 * *ret. */
static int token_refused(struct api *a, struct MHD_Connection *c, const char *method, enum MHD_Result *ret)
{
	if (!a->token[0]) {
		*ret = http_respond_error(c,
					  MHD_HTTP_FORBIDDEN,
					  "writes_disabled",
					  "no API token is configured (ORCH_API_TOKEN), so writes are refused");
		return 1;
	}
	size_t len = 0;
	const char *tok = bearer_token(c, method, &len);
	if (!tok || !token_ok(tok, len, a->token)) {
		*ret = unauthorized(c);
		return 1;
	}
	return 0;
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

/* The route of t for url and method; NULL with *allow set to the methods
 * the path takes ("" when the path is unknown). */
static const struct api_route *find_route(const struct api_table *t, const char *url, const char *method, char *allow,
					  size_t allowlen)
{
	int head = !strcmp(method, "HEAD");
	allow[0] = '\0';
	for (size_t i = 0; i < t->n; i++) {
		const struct api_route *r = &t->routes[i];
		if (strcmp(r->path, url) != 0)
			continue;
		if (!strcmp(r->method, method) || (head && !strcmp(r->method, "GET")))
			return r;
		size_t n = strlen(allow);
		snprintf(allow + n,
			 allowlen - n,
			 "%s%s%s",
			 n ? ", " : "",
			 r->method,
			 !strcmp(r->method, "GET") ? ", HEAD" : "");
	}
	return NULL;
}

static struct api_conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return info ? info->socket_context : NULL;
}

/* 1 when the request announces a body larger than we keep. */
static int announces_too_much(struct MHD_Connection *c)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	return cl && strtoull(cl, NULL, 10) > API_MAX_BODY;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			       const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct api_listener *l = cls;
	struct api *a = l->api;
	(void)version;
	struct api_request *req = *con_cls;
	if (!req) {
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		req->api = a;
		req->conn = c;
		*con_cls = req;
		/* refused before the body is read (the connection then closes) */
		if (announces_too_much(c))
			return http_respond_error(
				c, MHD_HTTP_CONTENT_TOO_LARGE, "too_large", "the body is larger than 64 KiB");
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
	struct api_conn *k = conn_of(c);
	if (k)
		atomic_store(&k->since_ms, 0); /* the request is whole */
	char allow[64];
	const struct api_route *r = find_route(l->table, url, method, allow, sizeof(allow));
	if (!r && allow[0])
		return http_respond_method_not_allowed(c, allow);
	if (req->body_len > API_MAX_BODY)
		return http_respond_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "too_large", "the body is larger than 64 KiB");
	if (!r)
		return l->table->dashboard && strncmp(url, API_PREFIX, strlen(API_PREFIX)) != 0
			       ? serve_asset(a, c, url, method)
			       : http_respond_error(c, MHD_HTTP_NOT_FOUND, "not_found", "no such endpoint");
	enum MHD_Result ret;
	if (r->auth && token_refused(a, c, method, &ret))
		return ret;
	req->route = r;
	return r->handler(a, req);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)toe;
	struct api_request *req = *con_cls;
	struct api_conn *k = conn_of(c);
	if (k) /* on keep-alive, the next request starts now */
		atomic_store(&k->since_ms, clock_mono_ms());
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

/* ---- the connection guard ---- */

static void notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			      enum MHD_ConnectionNotificationCode toe)
{
	struct api *a = ((struct api_listener *)cls)->api;
	struct api_conn *k = *socket_context;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (!fd || !(k = calloc(1, sizeof(*k))))
			return; /* untracked: the idle timeout alone applies */
		k->fd = fd->connect_fd;
		atomic_store(&k->since_ms, clock_mono_ms());
		pthread_mutex_lock(&a->conn_lock);
		k->next = a->conns;
		if (a->conns)
			a->conns->prev = k;
		a->conns = k;
		pthread_mutex_unlock(&a->conn_lock);
		*socket_context = k;
		return;
	}
	if (!k)
		return;
	pthread_mutex_lock(&a->conn_lock);
	if (k->prev)
		k->prev->next = k->next;
	else
		a->conns = k->next;
	if (k->next)
		k->next->prev = k->prev;
	pthread_mutex_unlock(&a->conn_lock);
	free(k);
	*socket_context = NULL;
}

void api__sweep(struct api *a)
{
	int64_t now = clock_mono_ms(), limit = a->limits.request_ms;
	int cut = 0;
	pthread_mutex_lock(&a->conn_lock);
	for (struct api_conn *k = a->conns; k; k = k->next) {
		int64_t since = atomic_load(&k->since_ms);
		if (since && now - since >= limit) {
			atomic_store(&k->since_ms, 0);
			shutdown(k->fd, SHUT_RDWR);
			cut++;
		}
	}
	pthread_mutex_unlock(&a->conn_lock);
	if (!cut)
		return;
	metrics_add(a->m_cut, cut);
	if (now - a->cut_logged_ms >= 60000) { /* at most once a minute; the metric counts them all */
		a->cut_logged_ms = now;
		log_warn("federation: cut %d connection(s) whose request was not whole within %lld ms "
			 "(ORCH_API_REQUEST_TIMEOUT_S)",
			 cut,
			 (long long)limit);
	}
}

int api__listen(struct api *a, struct api_listener *l, char *err, size_t errlen)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)l->bind_port)};
	inet_pton(AF_INET, a->bind, &sa.sin_addr);
	struct MHD_OptionItem limits[3];
	int n = 0;
	if (a->limits.max_connections) /* 0 would mean none at all to MHD */
		limits[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, a->limits.max_connections, NULL};
	limits[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT, a->limits.max_per_client, NULL};
	limits[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	/* epoll with a pool of two threads: the fastest setup measured on this
	 * machine for a fixed body (../shared/spec/performance-ceilings.md) */
	l->d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME,
				(uint16_t)l->bind_port,
				NULL,
				NULL,
				handler,
				l,
				MHD_OPTION_SOCK_ADDR,
				(struct sockaddr *)&sa,
				MHD_OPTION_THREAD_POOL_SIZE,
				(unsigned)2,
				MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned)30,
				MHD_OPTION_NOTIFY_COMPLETED,
				completed,
				l,
				MHD_OPTION_NOTIFY_CONNECTION,
				notify_connection,
				l,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				(size_t)(128 * 1024),
				MHD_OPTION_ARRAY,
				limits,
				MHD_OPTION_END);
	if (!l->d) {
		snprintf(err, errlen, "%s: cannot listen on %s:%d (in use?)", l->setting, a->bind, l->bind_port);
		return ORCH_EIO;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_BIND_PORT);
	l->port = info ? info->port : l->bind_port;
	return 0;
}
