/*
 * http_load.h - an open-loop HTTP/1.1 load generator for the benchmarks:
 * requests leave at a fixed rate over keep-alive connections (one request
 * in flight per connection, no pipelining) whatever the server's pace, and
 * each latency counts from the time the request was due, not sent, so a
 * server that falls behind shows it (no coordinated omission).
 */
#ifndef TEST_HTTP_LOAD_H
#define TEST_HTTP_LOAD_H

#include <stddef.h>

/* One request, sent as these bytes; the answer must be 200 with a
 * Content-Length. */
struct http_load_req {
	const char *bytes;
	size_t len;
};

struct http_load_result {
	long due, answered, errors; /* errors: not 200, closed, or unanswered at the end */
	double p50_ms, p99_ms, max_ms;
};

/* Sends rate requests a second for seconds to 127.0.0.1:port over conns
 * connections, cycling through reqs[0..n-1]. Returns 0 when every request
 * was answered 200, else -1 (out says how many failed). */
int http_load_run(int port, const struct http_load_req *reqs, int n, double rate, int seconds, int conns,
		  struct http_load_result *out);

#endif
