/*
 * http.h - small libmicrohttpd helpers shared by every HTTP endpoint (each
 * service's admin port, the federation's REST API): JSON responses, the
 * project's error shape {"status":"error","error":{"code":..,"message":..}},
 * the security headers, and the two-call handler pattern that keeps
 * keep-alive working.
 */
#ifndef ORCH_HTTP_H
#define ORCH_HTTP_H

#include <microhttpd.h>
#include <stddef.h>

/* libmicrohttpd 0.9.75 sends "Connection: close" when a handler queues a
 * response on its first call for a request. Call this first in every
 * handler: it returns 1 on that first call (return MHD_YES then). */
int http_first_call(void **con_cls);

/* The security headers every answer carries: X-Content-Type-Options
 * nosniff, X-Frame-Options DENY and Content-Security-Policy csp (NULL:
 * HTTP_CSP_DATA, for answers that are data, not pages). */
#define HTTP_CSP_DATA "default-src 'none'; frame-ancestors 'none'"
void http_secure(struct MHD_Response *r, const char *csp);

/* Queues body (copied) with status and content type. */
enum MHD_Result http_respond(struct MHD_Connection *c, unsigned status, const char *content_type, const char *body,
			     size_t len);
/* Queues {"status":"error","error":{"code":code,"message":message}}. */
enum MHD_Result http_respond_error(struct MHD_Connection *c, unsigned status, const char *code, const char *message);
/* 405 with an Allow header. */
enum MHD_Result http_respond_method_not_allowed(struct MHD_Connection *c, const char *allow);

#endif
