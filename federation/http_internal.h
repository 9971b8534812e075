/*
 * http_internal.h - what the Federation API's files share (http_api.c:
 * server, dispatch, bodies, requests; http_sse.c: the event streams;
 * http_routes.c: the route table, its handlers and the OpenAPI document).
 * Not for use outside federation/http_*.c.
 */
#ifndef FEDERATION_HTTP_INTERNAL_H
#define FEDERATION_HTTP_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>

#include "http_admin.h"
#include "http_api.h"

#define API_MAX_BODY 65536
#define API_MAX_BODIES 16
#define API_HISTORY_MAX 1000
#define SSE_RING 256

/* A GET body, as ready-made responses shared by every request (MHD
 * counts their references): 200 with the body, 304 without. */
struct api_body {
	char path[64];
	char etag[24];
	struct MHD_Response *ok, *not_modified;
};

struct sse_event {
	uint64_t seq;                /* 0 = empty slot */
	char name[24];
	char *data;
	size_t len;
};

struct sse; /* one /events stream (http_sse.c) */

struct api_request {
	struct api *api;
	struct MHD_Connection *conn;
	const struct api_route *route;
	char *body;               /* the uploaded body, up to API_MAX_BODY */
	size_t body_len;          /* bytes received (may exceed what is kept) */
	int queued, answered;
	unsigned status;
	char *answer;
	struct api_request *next; /* queue towards the loop */
};

/* A route handler, on an MHD thread, once the whole request is in. */
typedef enum MHD_Result (*api_handler_fn)(struct api *a, struct api_request *req);

struct api_route {
	const char *method;       /* "GET" (HEAD too) or "POST" */
	const char *path;         /* exact */
	api_handler_fn handler;
	int auth;                 /* 1: needs the bearer token */
	const char *summary;      /* OpenAPI */
	const char *openapi;      /* more of the operation, a JSON object's members: responses, parameters */
};

extern const struct api_route api_routes[];
extern const size_t api_n_routes;

struct api {
	uv_loop_t *loop;
	struct MHD_Daemon *d;
	int port, bind_port;
	char bind[64], token[256], cors[256];
	pthread_mutex_t lock;
	struct api_body bodies[API_MAX_BODIES];
	int n_bodies;
	struct api_request *queue;   /* suspended, not yet seen by the loop */
	uv_async_t async;
	api_command_fn on_command;
	void *data;
	struct http_probes *probes;
	/* mode history: serialised entries, newest first */
	char *history[API_HISTORY_MAX];
	size_t history_len[API_HISTORY_MAX];
	int n_history;
	/* server-sent events: a ring of the newest events, and the streams */
	struct sse_event ring[SSE_RING];
	uint64_t next_seq;           /* sequence number of the next event pushed */
	struct sse *streams;
	int stopping;
	/* the OpenAPI document, built from the route table */
	char *openapi;
	/* the dashboard's files, as ready-made responses */
	const struct api_asset *assets;
	struct MHD_Response **asset_resp;
	char (*asset_etag)[24];
	size_t n_assets;
};

/* A JSON response with the API's headers (CORS, no-cache, etag if given). */
struct MHD_Response *api__response(const struct api *a, const char *body, size_t len, const char *etag);
enum MHD_Result api__queue(struct api *a, struct MHD_Connection *c, unsigned status, const char *body, size_t len,
			   const char *etag);
/* GET of a body the loop set (ETag / If-None-Match). */
enum MHD_Result api__serve_body(struct api *a, struct MHD_Connection *c, const char *path);
/* Hands req to the loop (suspends it). */
enum MHD_Result api__to_loop(struct api *a, struct api_request *req);
/* The OpenAPI document of the route table (free() it); NULL when out of
 * memory or when a route's fragment is not JSON. */
char *api__openapi(void);

/* http_sse.c */
enum MHD_Result api__sse_start(struct api *a, struct api_request *req);
/* Wakes every stream waiting for data; lock held. */
void api__sse_wake(struct api *a);
void api__sse_release(struct api *a);

#endif
