/*
 * http_sse.c - the Federation API's Server-Sent Events (GET /events): a
 * ring of the newest SSE_RING events the loop pushed, and the streams that
 * read it. A stream with nothing to send is suspended until the next event
 * or heartbeat; one that fell behind the ring continues from the oldest
 * event kept. At most limits.max_streams are open (each holds a 64 KiB
 * buffer); beyond that GET /events answers 503.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "http_internal.h"
#include "metrics.h"

#define SSE_BLOCK (64 * 1024)

/* One /events stream: the next sequence number it sends, and whether its
 * connection is suspended waiting for an event. */
struct sse {
	struct api *api;
	struct MHD_Connection *conn;
	uint64_t next;
	int suspended, ping;
	struct sse *next_stream;
};

void api__sse_wake(struct api *a)
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
	api__sse_wake(a);
	pthread_mutex_unlock(&a->lock);
}

void api_heartbeat(struct api *a)
{
	pthread_mutex_lock(&a->lock);
	for (struct sse *s = a->streams; s; s = s->next_stream)
		s->ping = 1;
	api__sse_wake(a);
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
			a->n_streams--;
			break;
		}
	pthread_mutex_unlock(&a->lock);
	free(s);
}

enum MHD_Result api__sse_start(struct api *a, struct api_request *req)
{
	struct MHD_Connection *c = req->conn;
	struct sse *s = calloc(1, sizeof(*s));
	if (!s)
		return MHD_NO;
	s->api = a;
	s->conn = c;
	const char *last = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
	pthread_mutex_lock(&a->lock);
	if (a->limits.max_streams && a->n_streams >= a->limits.max_streams) {
		pthread_mutex_unlock(&a->lock);
		free(s);
		metrics_inc(a->m_sse_refused);
		return http_respond_error(c,
					  MHD_HTTP_SERVICE_UNAVAILABLE,
					  "too_many_streams",
					  "every event stream is taken (ORCH_API_MAX_STREAMS); retry later");
	}
	a->n_streams++;
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
	http_secure(r, NULL);
	if (a->cors[0])
		MHD_add_response_header(r, "Access-Control-Allow-Origin", a->cors);
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

void api__sse_release(struct api *a)
{
	for (int i = 0; i < SSE_RING; i++)
		free(a->ring[i].data);
}
