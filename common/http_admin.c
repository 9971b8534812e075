/*
 * http_admin.c - the probes (/healthz, /readyz, /metrics) and each
 * service's admin port that serves them (see http_admin.h).
 * libmicrohttpd runs its own thread; it reads only the readiness snapshot
 * (swapped under a mutex) and the lock-free metrics.
 */
#include "http_admin.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "metrics.h"
#include "orch.h"

struct http_probes {
	pthread_mutex_t lock;
	int ready;
	char *ready_body;
};

struct http_admin {
	struct MHD_Daemon *d;
	struct http_probes *probes;
	int port;
};

int http_probes_new(struct http_probes **out)
{
	struct http_probes *p = calloc(1, sizeof(*p));
	if (!p)
		return ORCH_ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	*out = p;
	return 0;
}

void http_probes_set_ready(struct http_probes *p, int ready, const char *body_json)
{
	char *copy = body_json ? strdup(body_json) : NULL;
	pthread_mutex_lock(&p->lock);
	free(p->ready_body);
	p->ready_body = copy;
	p->ready = ready && copy;
	pthread_mutex_unlock(&p->lock);
}

static int is_probe_path(const char *url)
{
	return !strcmp(url, "/healthz") || !strcmp(url, "/readyz") || !strcmp(url, "/metrics");
}

enum MHD_Result http_probes_answer(struct http_probes *p, struct MHD_Connection *c, const char *url, const char *method)
{
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return http_respond_method_not_allowed(c, "GET, HEAD");
	if (!strcmp(url, "/healthz")) {
		static const char ok[] = "{\"status\":\"ok\"}";
		return http_respond(c, MHD_HTTP_OK, "application/json", ok, sizeof(ok) - 1);
	}
	if (!strcmp(url, "/metrics")) {
		size_t len = 0;
		char *text = metrics_render(&len);
		if (!text)
			return http_respond_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "out of memory");
		enum MHD_Result r = http_respond(c, MHD_HTTP_OK, "text/plain; version=0.0.4", text, len);
		free(text);
		return r;
	}
	pthread_mutex_lock(&p->lock);
	int ready = p->ready;
	char *body = strdup(p->ready_body ? p->ready_body : "{\"status\":\"starting\"}");
	pthread_mutex_unlock(&p->lock);
	if (!body)
		return http_respond_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "out of memory");
	enum MHD_Result r = http_respond(
		c, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, "application/json", body, strlen(body));
	free(body);
	return r;
}

void http_probes_free(struct http_probes *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p->ready_body);
	free(p);
}

static enum MHD_Result admin_handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				     const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct http_admin *h = cls;
	(void)version;
	(void)upload;
	if (http_first_call(con_cls))
		return MHD_YES;
	*upload_size = 0;
	if (!is_probe_path(url))
		return http_respond_error(c, MHD_HTTP_NOT_FOUND, "not_found", "no such path");
	return http_probes_answer(h->probes, c, url, method);
}

int http_admin_new(struct http_admin **out, const char *bind_addr, int port, char *err, size_t errlen)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, bind_addr, &sa.sin_addr) != 1) {
		snprintf(err, errlen, "ORCH_ADMIN_BIND: expected an IPv4 address, got '%s'", bind_addr);
		return ORCH_EINVAL;
	}
	struct http_admin *h = calloc(1, sizeof(*h));
	if (!h || http_probes_new(&h->probes) != 0) {
		free(h);
		snprintf(err, errlen, "ORCH_ADMIN_PORT: out of memory");
		return ORCH_ENOMEM;
	}
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO,
				(uint16_t)port,
				NULL,
				NULL,
				admin_handler,
				h,
				MHD_OPTION_SOCK_ADDR,
				(struct sockaddr *)&sa,
				MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned)30,
				MHD_OPTION_END);
	if (!h->d) {
		snprintf(err, errlen, "ORCH_ADMIN_PORT: cannot listen on %s:%d (in use?)", bind_addr, port);
		http_probes_free(h->probes);
		free(h);
		return ORCH_EIO;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : port;
	*out = h;
	return 0;
}

int http_admin_port(const struct http_admin *h)
{
	return h->port;
}

struct http_probes *http_admin_probes(struct http_admin *h)
{
	return h->probes;
}

void http_admin_free(struct http_admin *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	http_probes_free(h->probes);
	free(h);
}
