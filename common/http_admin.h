/*
 * http_admin.h - the probes every service answers, and its HTTP side port
 * (libmicrohttpd):
 *   GET /healthz  200 {"status":"ok"} while the process runs
 *   GET /readyz   200/503 with the last readiness snapshot (JSON)
 *   GET /metrics  Prometheus text from metrics_render()
 * Anything else on the admin port: 404/405 as
 * {"status":"error","error":{"code":..,"message":..}}.
 *
 * MHD's threads never touch Redis: the service's loop publishes readiness
 * with http_probes_set_ready(), which swaps an immutable, pre-serialised
 * body under a lock. The probes are their own object so that another
 * server (the Federation's API port) answers them with this same code.
 */
#ifndef ORCH_HTTP_ADMIN_H
#define ORCH_HTTP_ADMIN_H

#include <microhttpd.h>
#include <stddef.h>

struct http_probes;

/* Free with http_probes_free(). Returns 0 or ORCH_ENOMEM. */
int http_probes_new(struct http_probes **out);
/* ready: 1/0; body_json: the /readyz body (copied). Thread-safe. */
void http_probes_set_ready(struct http_probes *p, int ready, const char *body_json);
/* Answers one of those paths on c: GET or HEAD, else 405. Any thread. */
enum MHD_Result http_probes_answer(struct http_probes *p, struct MHD_Connection *c, const char *url,
				   const char *method);
/* NULL is a no-op. */
void http_probes_free(struct http_probes *p);

struct http_admin;

/* Listens on bind_addr:port (port 0 picks a free one; see http_admin_port).
 * Returns 0, ORCH_EINVAL (bad address), ORCH_ENOMEM or ORCH_EIO with the
 * reason in err. Free with http_admin_free(). */
int http_admin_new(struct http_admin **out, const char *bind_addr, int port, char *err, size_t errlen);
int http_admin_port(const struct http_admin *h);
/* The admin port's probes (borrowed; readiness goes there). */
struct http_probes *http_admin_probes(struct http_admin *h);
/* Stops serving and frees. NULL is a no-op. */
void http_admin_free(struct http_admin *h);

#endif
