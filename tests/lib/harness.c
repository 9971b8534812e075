/*
 * harness.c - private redis-server processes and loop helpers for tests and
 * benchmarks (see harness.h). The server dies with the test process
 * (PR_SET_PDEATHSIG), so a crashed test never leaves one behind.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "orch.h"

int harness_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int port = -1;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

int harness_connect_from(const char *src, int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in from = {.sin_family = AF_INET},
			   to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, src, &from.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	struct timeval tv = {.tv_sec = 2};
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0 ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int harness_send_from(const char *src, int port, const char *request, int *keep, char *body, size_t bodylen)
{
	int fd = harness_connect_from(src, port);
	char buf[4096];
	size_t n = strlen(request);
	ssize_t got = fd >= 0 && write(fd, request, n) == (ssize_t)n ? recv(fd, buf, sizeof(buf) - 1, 0) : -1;
	if (keep)
		*keep = fd;
	else if (fd >= 0)
		close(fd);
	if (got <= 0)
		return -1;
	buf[got] = '\0';
	const char *b = strstr(buf, "\r\n\r\n");
	if (body)
		snprintf(body, bodylen, "%s", b ? b + 4 : "");
	return strncmp(buf, "HTTP/1.1 ", 9) == 0 ? atoi(buf + 9) : -1;
}

int harness_closed_by_peer(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char c[256];
	if (poll(&p, 1, 0) <= 0)
		return 0;
	ssize_t r = recv(fd, c, sizeof(c), MSG_DONTWAIT);
	return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static int answers_ping(int port)
{
	struct timeval tv = {0, 200000};
	redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
	int ok = 0;
	if (c && !c->err) {
		redisReply *r = redisCommand(c, "PING");
		ok = r && r->type == REDIS_REPLY_STATUS;
		if (r)
			freeReplyObject(r);
	}
	if (c)
		redisFree(c);
	return ok;
}

static int spawn(struct harness_redis *r)
{
	char port[16], log[300], conf[300];
	snprintf(port, sizeof(port), "%d", r->port);
	snprintf(log, sizeof(log), "%s/redis.log", r->dir);
	snprintf(conf, sizeof(conf), "%s/sentinel.conf", r->dir);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(devnull, 1);
		char master[16];
		snprintf(master, sizeof(master), "%d", r->replica_of);
		const char *argv[] = {"redis-server",
				      "--bind",
				      "127.0.0.1",
				      "--port",
				      port,
				      "--save",
				      "",
				      "--appendonly",
				      r->aof ? "yes" : "no",
				      "--appendfsync",
				      "always",
				      "--dir",
				      r->dir,
				      "--daemonize",
				      "no",
				      "--logfile",
				      log,
				      "--protected-mode",
				      "no",
				      r->replica_of ? "--replicaof" : NULL,
				      "127.0.0.1",
				      master,
				      NULL};
		if (r->sentinel)
			execlp("redis-server", "redis-server", conf, "--sentinel", (char *)NULL);
		else
			execvp("redis-server", (char *const *)argv);
		_exit(127);
	}
	r->pid = pid;
	for (int i = 0; i < 250; i++) {
		if (answers_ping(r->port))
			return 0;
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			r->pid = 0;
			return -1; /* exited: port taken or bad arguments */
		}
		usleep(20000);
	}
	harness_redis_kill(r, SIGKILL);
	return -1;
}

/* A server (replica_of 0) or a replica on a free port in a new directory. */
static int start(struct harness_redis *r, int aof, int replica_of)
{
	/* a write to a Redis the test killed must fail, not kill the test */
	signal(SIGPIPE, SIG_IGN);
	memset(r, 0, sizeof(*r));
	r->aof = aof;
	r->replica_of = replica_of;
	snprintf(r->dir, sizeof(r->dir), "/tmp/orch-test-XXXXXX");
	if (!mkdtemp(r->dir))
		return -1;
	for (int attempt = 0; attempt < 5; attempt++) {
		r->port = harness_free_port();
		if (r->port > 0 && spawn(r) == 0)
			return 0;
	}
	return -1;
}

int harness_redis_start(struct harness_redis *r, int aof)
{
	return start(r, aof, 0);
}

int harness_replica_start(struct harness_redis *r, int master_port, int aof)
{
	return start(r, aof, master_port);
}

int harness_sentinel_start(struct harness_redis *s, int master_port, const char *master_name, int quorum)
{
	memset(s, 0, sizeof(*s));
	s->sentinel = 1;
	snprintf(s->dir, sizeof(s->dir), "/tmp/orch-sentinel-XXXXXX");
	if (!mkdtemp(s->dir))
		return -1;
	for (int attempt = 0; attempt < 5; attempt++) {
		s->port = harness_free_port();
		char path[300];
		snprintf(path, sizeof(path), "%s/sentinel.conf", s->dir);
		FILE *f = fopen(path, "w");
		if (!f)
			return -1;
		fprintf(f,
			"bind 127.0.0.1\nport %d\ndir %s\nlogfile %s/sentinel.log\nprotected-mode no\n"
			"sentinel monitor %s 127.0.0.1 %d %d\nsentinel down-after-milliseconds %s 1000\n",
			s->port,
			s->dir,
			s->dir,
			master_name,
			master_port,
			quorum,
			master_name);
		fclose(f);
		if (spawn(s) == 0)
			return 0;
	}
	return -1;
}

int harness_redis_restart(struct harness_redis *r)
{
	for (int attempt = 0; attempt < 50; attempt++) {
		if (spawn(r) == 0)
			return 0;
		usleep(100000); /* the old socket may linger a moment */
	}
	return -1;
}

void harness_redis_kill(struct harness_redis *r, int sig)
{
	if (r->pid > 0) {
		kill(r->pid, sig);
		waitpid(r->pid, NULL, 0);
		r->pid = 0;
	}
}

void harness_redis_stop(struct harness_redis *r)
{
	harness_redis_kill(r, SIGTERM);
	if (r->dir[0]) {
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "harness: could not remove %s\n", r->dir);
		r->dir[0] = 0;
	}
}

redisContext *harness_redis_sync(const struct harness_redis *r)
{
	return redisConnect("127.0.0.1", r->port);
}

void harness_target(const struct harness_redis *r, struct redis_target *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->addr.host, sizeof(t->addr.host), "127.0.0.1");
	t->addr.port = r->port;
	t->connect_timeout_ms = 1000;
	t->backoff_min_ms = 20;
	t->backoff_max_ms = 500;
}

struct until {
	int (*pred)(void *);
	void *arg;
	int met;
};

static void until_tick(uv_timer_t *t)
{
	struct until *u = t->data;
	if (u->pred(u->arg))
		u->met = 1;
}

int harness_loop_until(uv_loop_t *loop, int (*pred)(void *), void *arg, int timeout_ms)
{
	struct until u = {pred, arg, pred(arg)};
	uv_timer_t tick;
	uv_timer_init(loop, &tick);
	tick.data = &u;
	uv_timer_start(&tick, until_tick, 2, 2);
	uv_update_time(loop);
	uint64_t end = uv_now(loop) + (uint64_t)timeout_ms;
	while (!u.met && uv_now(loop) < end)
		uv_run(loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&tick, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	return u.met ? 0 : ORCH_ETIMEDOUT;
}

char *harness_http_raw(int port, const char *request)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {
		.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	char *buf = NULL;
	size_t n = strlen(request);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || write(fd, request, n) != (ssize_t)n)
		goto out;
	size_t cap = 1 << 20, len = 0;
	buf = calloc(1, cap);
	ssize_t r;
	while (buf && (r = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)r;
out:
	if (fd >= 0)
		close(fd);
	return buf;
}

char *harness_http(int port, const char *method, const char *path)
{
	char req[512];
	snprintf(req,
		 sizeof(req),
		 "%s %s HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		 method,
		 path);
	return harness_http_raw(port, req);
}

int harness_http_status(const char *response)
{
	return response && strncmp(response, "HTTP/1.1 ", 9) == 0 ? atoi(response + 9) : -1;
}

const char *harness_http_body(const char *response)
{
	const char *b = response ? strstr(response, "\r\n\r\n") : NULL;
	return b ? b + 4 : "";
}

void harness_bench_line(const char *name, double value, const char *unit, const char *ceiling, double ceiling_value,
			const char *target)
{
	double ratio = ceiling_value > 0 ? value / ceiling_value : 0;
	printf("BENCH {\"name\":\"%s\",\"value\":%.4g,\"unit\":\"%s\",\"ceiling\":\"%s\","
	       "\"ceiling_value\":%.4g,\"ratio\":%.4g,\"target\":\"%s\"}\n",
	       name,
	       value,
	       unit,
	       ceiling,
	       ceiling_value,
	       ratio,
	       target);
	fflush(stdout);
}

pid_t harness_spawn_program(const char *program, const struct harness_redis *r, const char *const *env)
{
	return harness_spawn_program_args(program, r, env, NULL);
}

pid_t harness_spawn_program_args(const char *program, const struct harness_redis *r, const char *const *env,
				 const char *const *args)
{
	const char *bindir = getenv("ORCH_BIN_DIR");
	char path[512], url[64];
	snprintf(path, sizeof(path), "%s/%s", bindir ? bindir : "build/bin", program);
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", r->port);
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	setenv("ORCH_REDIS_URL", url, 1);
	/* the tests' layers own their keys: whoever starts first creates the document */
	setenv("ORCH_POLICY_CREATE", "true", 1);
	/* operators' commands are signed with the tests' key (stack_command) */
	unsetenv("ORCH_COMMAND_KEY_FILE");
	setenv("ORCH_COMMAND_KEY", HARNESS_COMMAND_KEY, 1);
	for (size_t i = 0; env && env[i]; i++) {
		char name[128];
		const char *eq = strchr(env[i], '=');
		if (!eq || (size_t)(eq - env[i]) >= sizeof(name))
			_exit(126);
		memcpy(name, env[i], (size_t)(eq - env[i]));
		name[eq - env[i]] = '\0';
		setenv(name, eq + 1, 1);
	}
	const char *argv[32] = {program};
	for (size_t i = 0; args && args[i] && i + 2 < sizeof(argv) / sizeof(argv[0]); i++)
		argv[i + 1] = args[i];
	execv(path, (char *const *)argv);
	perror(path);
	_exit(127);
}
