/*
 * http.c - libmicrohttpd response helpers (see http.h).
 */
#include "http.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static char first_call_marker;

int http_first_call(void **con_cls)
{
	if (*con_cls)
		return 0;
	*con_cls = &first_call_marker;
	return 1;
}

void http_secure(struct MHD_Response *r, const char *csp)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Content-Security-Policy", csp ? csp : HTTP_CSP_DATA);
}

static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, const char *type, const char *body, size_t len,
			     const char *allow)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	http_secure(r, NULL);
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result http_respond(struct MHD_Connection *c, unsigned status, const char *content_type, const char *body,
			     size_t len)
{
	return queue(c, status, content_type, body, len, NULL);
}

static enum MHD_Result respond_error_allow(struct MHD_Connection *c, unsigned status, const char *code,
					   const char *message, const char *allow)
{
	json_t *j = json_pack("{s:s, s:{s:s, s:s}}", "status", "error", "error", "code", code, "message", message);
	char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!body)
		return MHD_NO;
	enum MHD_Result r = queue(c, status, "application/json", body, strlen(body), allow);
	free(body);
	return r;
}

enum MHD_Result http_respond_error(struct MHD_Connection *c, unsigned status, const char *code, const char *message)
{
	return respond_error_allow(c, status, code, message, NULL);
}

enum MHD_Result http_respond_method_not_allowed(struct MHD_Connection *c, const char *allow)
{
	return respond_error_allow(
		c, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed", "method not allowed for this path", allow);
}
