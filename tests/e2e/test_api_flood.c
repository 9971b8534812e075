/*
 * test_api_flood.c - the Federation API under connection floods from one
 * loopback client (127.0.0.1), with another client (127.0.0.2, 127.0.0.3)
 * checking that it still answers (issue 18, finding 5):
 *   - 1100 half-sent requests from one address: all but
 *     ORCH_API_MAX_CONNECTIONS_PER_CLIENT are closed at once, the other
 *     client is answered meanwhile, and the held ones, though they keep
 *     trickling a byte every 300 ms, are cut once ORCH_API_REQUEST_TIMEOUT_S
 *     passed (the times are printed);
 *   - ORCH_API_MAX_CONNECTIONS bounds the sockets the process holds, and
 *     the deadline frees the slots for the waiting client;
 *   - GET /events beyond ORCH_API_MAX_STREAMS answers 503 as JSON, and a
 *     stream its client closed frees its slot (at the next heartbeat).
 * Bounded in count (1100 sockets, the open-file limit raised to fit) and
 * time (each wait has a deadline); loopback only.
 */
#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "run_suite.h"

#define FLOOD      1100
#define PER_CLIENT 128 /* ORCH_API_MAX_CONNECTIONS_PER_CLIENT's default */
#define HALF       "GET /api/orchestration/global-state HTTP/1.1\r\nHost: flood\r\nX-Pad: "

static struct harness_redis srv;
static pid_t fed;
static int api;
static int fds[FLOOD];
static int64_t opened_ms[FLOOD];

/* The status of GET path from src, read within about 2 s; -1 when none.
 * With body, the body's first bytes are copied there. */
static int get_from(const char *src, const char *path, char *body, size_t bodylen)
{
	char req[256];
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", path);
	return harness_send_from(src, api, req, NULL, body, bodylen);
}

/* The sockets the federation holds open. */
static int sockets_of(pid_t pid)
{
	char dir[64], path[320], link[64];
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		ssize_t l = readlink(path, link, sizeof(link) - 1);
		if (l > 0 && (link[l] = '\0', !strncmp(link, "socket:", 7)))
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

static void start(const char *const *extra)
{
	struct rlimit rl;
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < FLOOD + 200) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= FLOOD + 200 ? FLOOD + 200 : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
		ck_assert_msg(rl.rlim_cur >= FLOOD + 200,
			      "needs %d open files, the hard limit is %llu",
			      FLOOD + 200,
			      (unsigned long long)rl.rlim_max);
	}
	ck_assert_int_eq(harness_redis_start(&srv, 0), 0);
	api = harness_free_port();
	char port[48];
	snprintf(port, sizeof(port), "ORCH_API_PORT=%d", api);
	const char *env[16] = {"ORCH_PREFIX=t",
			       "ORCH_INSTANCE_ID=flood",
			       "ORCH_ADMIN_PORT=0",
			       "ORCH_LOG_LEVEL=error",
			       "ORCH_API_REQUEST_TIMEOUT_S=2",
			       port};
	for (int i = 0; extra && extra[i] && i < 8; i++)
		env[6 + i] = extra[i];
	fed = harness_spawn_program("federation", &srv, env);
	ck_assert_int_gt(fed, 0);
	int status = -1;
	for (int i = 0; i < 200 && status != 200; i++, usleep(50000))
		status = get_from("127.0.0.3", "/healthz", NULL, 0);
	ck_assert_int_eq(status, 200);
	for (int i = 0; i < FLOOD; i++)
		fds[i] = -1;
}

static void stop(void)
{
	for (int i = 0; i < FLOOD; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	kill(fed, SIGTERM);
	int status = -1;
	waitpid(fed, &status, 0);
	harness_redis_stop(&srv);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "federation ended with status %d", status);
}

/* Opens n connections from 127.0.0.1, each sending half a request. */
static int flood(int n)
{
	int opened = 0;
	for (int i = 0; i < n; i++) {
		fds[i] = harness_connect_from("127.0.0.1", api);
		if (fds[i] < 0)
			continue;
		opened_ms[i] = clock_mono_ms();
		if (send(fds[i], HALF, strlen(HALF), MSG_NOSIGNAL) > 0)
			opened++;
	}
	return opened;
}

/* Sends one more byte on every open connection; closes and counts those
 * the server closed; returns how many are still open. */
static int trickle(int n, int *cut, int64_t *first_cut_ms, int64_t *last_cut_ms)
{
	int open = 0;
	for (int i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		if (harness_closed_by_peer(fds[i]) || send(fds[i], "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			int64_t held = clock_mono_ms() - opened_ms[i];
			if (cut) {
				(*cut)++;
				if (!*first_cut_ms || held < *first_cut_ms)
					*first_cut_ms = held;
				if (held > *last_cut_ms)
					*last_cut_ms = held;
			}
			close(fds[i]);
			fds[i] = -1;
			continue;
		}
		open++;
	}
	return open;
}

START_TEST(api_flood__one_client_cannot_take_the_api_down)
{
	start(NULL);
	ck_assert_int_eq(flood(FLOOD), FLOOD);
	/* beyond the per-client limit, connections are closed at once */
	int open = FLOOD;
	for (int i = 0; i < 50 && open > PER_CLIENT; i++, usleep(100000))
		open = trickle(FLOOD, NULL, NULL, NULL);
	printf("api_flood: %d of %d connections from one address held\n", open, FLOOD);
	/* another client is served meanwhile */
	char body[512];
	ck_assert_int_eq(get_from("127.0.0.2", "/healthz", NULL, 0), 200);
	ck_assert_int_eq(get_from("127.0.0.2", "/api/orchestration/global-state", body, sizeof(body)), 200);
	ck_assert_msg(strstr(body, "\"status\":\"initializing\""), "global-state: %s", body);
	ck_assert_int_le(open, PER_CLIENT);
	ck_assert_int_gt(open, 0);
	/* the held ones trickle a byte every 300 ms, and are cut all the same */
	int cut = 0;
	int64_t first = 0, last = 0, until = clock_mono_ms() + 15000;
	while (open > 0 && clock_mono_ms() < until) {
		usleep(300000);
		open = trickle(FLOOD, &cut, &first, &last);
	}
	printf("api_flood: %d trickling requests cut after %.1f-%.1f s (ORCH_API_REQUEST_TIMEOUT_S=2)\n",
	       cut,
	       first / 1000.0,
	       last / 1000.0);
	ck_assert_int_eq(open, 0);
	ck_assert_int_gt(cut, 0);
	ck_assert_int_ge(first, 2000); /* not before the deadline */
	/* and the API still answers */
	ck_assert_int_eq(get_from("127.0.0.2", "/healthz", NULL, 0), 200);
	stop();
}
END_TEST

START_TEST(api_flood__total_limit_bounds_the_sockets_held)
{
	const char *const extra[] = {"ORCH_API_MAX_CONNECTIONS=40", "ORCH_API_MAX_CONNECTIONS_PER_CLIENT=1000", NULL};
	start(extra);
	usleep(300000); /* the Redis connections are up */
	int before = sockets_of(fed);
	ck_assert_int_eq(flood(60), 60);
	usleep(500000);
	int during = sockets_of(fed);
	printf("api_flood: 60 half-sent requests, limit 40: the federation holds %d sockets (%d before)\n",
	       during,
	       before);
	ck_assert_int_le(during - before, 40);
	ck_assert_int_ge(during - before, 30);
	/* the deadline frees slots: a waiting client is answered */
	int status = -1;
	for (int i = 0; i < 10 && status != 200; i++)
		status = get_from("127.0.0.2", "/healthz", NULL, 0);
	ck_assert_int_eq(status, 200);
	stop();
}
END_TEST

/* Opens GET /events from 127.0.0.3 and reads the answer's head: the
 * status; the connection stays open in *fd. */
static int open_stream(int *fd, char *body, size_t bodylen)
{
	return harness_send_from(
		"127.0.0.3", api, "GET /api/orchestration/events HTTP/1.1\r\nHost: t\r\n\r\n", fd, body, bodylen);
}

START_TEST(api_flood__event_streams_are_capped)
{
	/* a stream whose client left is found at the next heartbeat (each cycle) */
	const char *const extra[] = {"ORCH_API_MAX_STREAMS=3", "ORCH_FEDERATION_INTERVAL_S=1", NULL};
	start(extra);
	int s[4];
	char body[512];
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(open_stream(&s[i], body, sizeof(body)), 200);
	ck_assert_int_eq(open_stream(&s[3], body, sizeof(body)), 503);
	ck_assert_msg(strstr(body, "\"code\":\"too_many_streams\""), "503 body: %s", body);
	close(s[3]);
	close(s[0]);
	int status = -1;
	for (int i = 0; i < 50 && status != 200; i++, usleep(100000)) {
		status = open_stream(&s[0], body, sizeof(body));
		if (status != 200 && s[0] >= 0)
			close(s[0]);
	}
	ck_assert_int_eq(status, 200);
	for (int i = 0; i < 3; i++)
		close(s[i]);
	stop();
}
END_TEST

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	Suite *s = suite_create("api_flood");
	TCase *tc = tcase_create("flood");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, api_flood__one_client_cannot_take_the_api_down);
	tcase_add_test(tc, api_flood__total_limit_bounds_the_sockets_held);
	tcase_add_test(tc, api_flood__event_streams_are_capped);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
