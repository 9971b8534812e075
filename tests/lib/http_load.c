/*
 * http_load.c - the fixed-rate HTTP load generator (see http_load.h): one
 * thread, epoll over the connections and a timerfd armed at the next due
 * time, so the schedule holds to the microsecond without spinning on the
 * cores the server under test needs.
 */
#include "http_load.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

struct conn {
	int fd;
	int busy;
	int64_t due_ns;
	size_t got;
	char buf[32768];
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int open_conn(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
	struct sockaddr_in a = {
		.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* 1: a whole answer is in c->buf (*ok: its status is 200); 0: not yet;
 * -1: not HTTP. */
static int answer_in(const struct conn *c, int *ok)
{
	const char *end = memmem(c->buf, c->got, "\r\n\r\n", 4);
	if (!end)
		return c->got >= sizeof(c->buf) ? -1 : 0;
	const char *cl = memmem(c->buf, (size_t)(end - c->buf), "Content-Length: ", 16);
	if (!cl)
		return -1;
	size_t need = (size_t)(end + 4 - c->buf) + strtoul(cl + 16, NULL, 10);
	if (c->got < need)
		return need > sizeof(c->buf) ? -1 : 0;
	*ok = c->got == need && !strncmp(c->buf, "HTTP/1.1 200 ", 13);
	return 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int http_load_run(int port, const struct http_load_req *reqs, int n, double rate, int seconds, int conns,
		  struct http_load_result *out)
{
	memset(out, 0, sizeof(*out));
	long total = (long)(rate * seconds), next = 0;
	double *lat = malloc((size_t)total * sizeof(*lat));
	struct conn *cs = calloc((size_t)conns, sizeof(*cs));
	int ep = epoll_create1(0), tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK), rc = -1;
	if (!lat || !cs || ep < 0 || tfd < 0 || total <= 0)
		goto out;
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)conns};
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	for (int i = 0; i < conns; i++) {
		if ((cs[i].fd = open_conn(port)) < 0)
			goto out;
		ev = (struct epoll_event){.events = EPOLLIN, .data.u64 = (uint64_t)i};
		epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
	}
	usleep(100000); /* the connections are established */
	int64_t period = (int64_t)(1e9 / rate), t0 = now_ns(),
		deadline = t0 + (int64_t)seconds * 1000000000 + 5000000000;
	out->due = total;
	while (out->answered + out->errors < total && now_ns() < deadline) {
		int64_t now = now_ns();
		for (int i = 0; i < conns && next < total && t0 + next * period <= now; i++) {
			struct conn *c = &cs[i];
			if (c->busy || c->fd < 0)
				continue;
			const struct http_load_req *r = &reqs[next % n];
			if (send(c->fd, r->bytes, r->len, MSG_NOSIGNAL) != (ssize_t)r->len) {
				out->errors++;
				close(c->fd);
				c->fd = -1;
				next++;
				continue;
			}
			c->busy = 1;
			c->got = 0;
			c->due_ns = t0 + next * period;
			next++;
		}
		if (next < total) {
			int64_t due = t0 + next * period;
			struct itimerspec its = {.it_value = {.tv_sec = due / 1000000000, .tv_nsec = due % 1000000000}};
			timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
		}
		struct epoll_event evs[64];
		int k = epoll_wait(ep, evs, 64, 100);
		for (int e = 0; e < k; e++) {
			if (evs[e].data.u64 == (uint64_t)conns) { /* the timer: something is due */
				uint64_t fired;
				(void)!read(tfd, &fired, sizeof(fired));
				continue;
			}
			struct conn *c = &cs[evs[e].data.u64];
			ssize_t got = c->fd >= 0 ? recv(c->fd, c->buf + c->got, sizeof(c->buf) - c->got, 0) : -1;
			int ok = 0, whole = got > 0 ? (c->got += (size_t)got, answer_in(c, &ok)) : -1;
			if (whole == 0 || (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)))
				continue;
			if (whole == 1 && ok && c->busy) {
				lat[out->answered++] = (double)(now_ns() - c->due_ns) / 1e6;
				c->busy = 0;
				continue;
			}
			out->errors++;
			epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
			close(c->fd);
			c->fd = -1;
		}
	}
	out->errors = total - out->answered;
	if (out->answered) {
		qsort(lat, (size_t)out->answered, sizeof(*lat), cmp_double);
		out->p50_ms = lat[out->answered / 2];
		out->p99_ms = lat[(out->answered * 99 + 99) / 100 - 1];
		out->max_ms = lat[out->answered - 1];
	}
	rc = out->errors ? -1 : 0;
out:
	for (int i = 0; cs && i < conns; i++)
		if (cs[i].fd > 0)
			close(cs[i].fd);
	if (ep >= 0)
		close(ep);
	if (tfd >= 0)
		close(tfd);
	free(cs);
	free(lat);
	return rc;
}
