/*
 * http_admin.h - each service's HTTP side port (libmicrohttpd):
 *   GET /healthz  200 {"status":"ok"} while the process runs
 *   GET /readyz   200/503 with the last readiness snapshot (JSON)
 *   GET /metrics  Prometheus text from metrics_render()
 * Anything else: 404/405 as {"status":"error","error":{"code":..,"message":..}}.
 *
 * MHD's threads never touch Redis: the service's loop publishes readiness
 * with http_admin_set_ready(), which swaps an immutable, pre-serialised body
 * under a lock.
 */
#ifndef ORCH_HTTP_ADMIN_H
#define ORCH_HTTP_ADMIN_H

#include <stddef.h>

struct http_admin;

/* Listens on bind_addr:port (port 0 picks a free one; see http_admin_port).
 * Returns 0 or ORCH_EIO with the reason in err. */
int http_admin_start(struct http_admin **out, const char *bind_addr, int port, char *err,
		     size_t errlen);
int http_admin_port(const struct http_admin *h);
/* ready: 1/0; body_json: the /readyz body (copied). Thread-safe. */
void http_admin_set_ready(struct http_admin *h, int ready, const char *body_json);
void http_admin_stop(struct http_admin *h);

#endif
