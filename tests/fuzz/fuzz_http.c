/*
 * fuzz_http.c - libFuzzer target for the Federation API's request parsing
 * and routing (the live gate's routes and the token among them): each
 * input is sent as raw bytes over a loopback connection
 * to the API (http_api.c, started once in-process on a free port with a
 * token configured) and the answer is read until the server closes, goes
 * quiet after answering, or 200 ms pass. The server must never crash, and
 * must answer or close.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "http_api.h"

static struct api *api;
static int port;
static uv_loop_t loop;

static void on_force(struct api_request *req, void *data)
{
	(void)data;
	api_complete(req, 200, "{\"status\":\"ok\"}");
}

static void start(void)
{
	uv_loop_init(&loop);
	struct api_config cfg = {.port = 0, .bind = "127.0.0.1", .token = "fuzz-token-0123456789", .cors_origin = ""};
	char err[256];
	if (api_new(&api, &loop, &cfg, on_force, NULL, err, sizeof(err)) != 0 ||
	    api_start(api, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_http: %s\n", err);
		abort();
	}
	port = api_port(api);
	static const char state[] = "{\"status\":\"ok\",\"data\":{\"global_mode\":\"GROWTH\"}}";
	api_set_body(api, API_PREFIX "/global-state", state, sizeof(state) - 1);
	api_push_history(api, "{\"new_mode\":\"GROWTH\"}", 21);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!api)
		start();
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "fuzz_http: the server is gone\n");
		abort();
	}
	size_t off = 0;
	while (off < size) {
		ssize_t n = send(fd, data + off, size - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	char buf[4096];
	int got = 0;
	for (int waited = 0; waited < 200;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, got ? 2 : 10);
		/* force-decision requests are handed to the loop */
		uv_run(&loop, UV_RUN_NOWAIT);
		if (r == 0) {
			if (got)
				break; /* answered, and quiet since */
			waited += 10;
			continue;
		}
		if (r < 0 || recv(fd, buf, sizeof(buf), 0) <= 0)
			break;
		got = 1;
	}
	close(fd);
	return 0;
}
