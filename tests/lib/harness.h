/*
 * harness.h - test and benchmark support: a private redis-server on a free
 * loopback port in a temporary directory, stopped by pid, and a helper to
 * run a libuv loop until a condition holds or a deadline passes.
 */
#ifndef TEST_HARNESS_H
#define TEST_HARNESS_H

#include <hiredis/hiredis.h>
#include <sys/types.h>
#include <uv.h>

#include "config.h"

struct harness_redis {
	pid_t pid;
	int port;
	char dir[256];
	int aof;
	int sentinel;   /* started as a Sentinel */
	int replica_of; /* master port when started as a replica, else 0 */
};

/* Starts redis-server (appendonly + appendfsync always when aof) on a free
 * 127.0.0.1 port and waits until it answers PING. Returns 0 or -1. */
int harness_redis_start(struct harness_redis *r, int aof);
/* Starts a replica of the server on 127.0.0.1:master_port, as
 * harness_redis_start otherwise. */
int harness_replica_start(struct harness_redis *r, int master_port, int aof);
/* Starts a Sentinel (redis-server --sentinel) on a free port that monitors
 * 127.0.0.1:master_port as master_name with the given quorum (down after
 * 1 s). Stop it with harness_redis_stop. */
int harness_sentinel_start(struct harness_redis *s, int master_port, const char *master_name, int quorum);
/* Starts it again on the same port and directory after a kill. */
int harness_redis_restart(struct harness_redis *r);
/* Sends sig and reaps the process. */
void harness_redis_kill(struct harness_redis *r, int sig);
/* Stops the server (SIGTERM) and removes its directory. */
void harness_redis_stop(struct harness_redis *r);
/* A synchronous connection; the caller frees it with redisFree. */
redisContext *harness_redis_sync(const struct harness_redis *r);
/* A redis_target for this server with short timeouts and backoff. */
void harness_target(const struct harness_redis *r, struct redis_target *t);
/* Runs loop until pred(arg) is true (returns 0) or timeout_ms passed
 * (returns ORCH_ETIMEDOUT). */
int harness_loop_until(uv_loop_t *loop, int (*pred)(void *), void *arg, int timeout_ms);

/* One HTTP/1.1 request to 127.0.0.1:port (Connection: close); returns the
 * whole response, status line to body (caller frees), or NULL. */
char *harness_http(int port, const char *method, const char *path);
/* The same for a whole raw request (it should ask Connection: close). */
char *harness_http_raw(int port, const char *request);
/* Status code and body of a response from harness_http. */
int harness_http_status(const char *response);
const char *harness_http_body(const char *response);
/* A loopback TCP port that was free a moment ago. */
int harness_free_port(void);
/* A blocking TCP connection from the loopback address src ("127.0.0.2":
 * another client to a per-address limit) to 127.0.0.1:port, with 2 s send
 * and receive timeouts: the fd (the caller closes it) or -1. */
int harness_connect_from(const char *src, int port);
/* Sends request from src to 127.0.0.1:port and reads what arrives first
 * (within about 2 s): the answer's status, -1 when none; its body's first
 * bytes go to body when not NULL. keep NULL: the connection is closed;
 * else it stays open and its fd goes to *keep (-1 when none). */
int harness_send_from(const char *src, int port, const char *request, int *keep, char *body, size_t bodylen);
/* 1 when the peer closed fd (end of stream or reset); never blocks. */
int harness_closed_by_peer(int fd);

/* The operators' command key every program started here gets, unless
 * its env says otherwise. */
#define HARNESS_COMMAND_KEY "tests-command-key-0123456789abcdef"

/* Starts one of the project's programs ($ORCH_BIN_DIR/program, default
 * build/bin) against server r: ORCH_REDIS_URL points at it, ORCH_COMMAND_KEY
 * is HARNESS_COMMAND_KEY, then each "NAME=value" of the NULL-terminated
 * env is set. The child dies with
 * the caller. Returns the pid (the caller kills and reaps it) or -1. */
pid_t harness_spawn_program(const char *program, const struct harness_redis *r, const char *const *env);
/* The same with arguments: args NULL-terminated (at most 30), or NULL. */
pid_t harness_spawn_program_args(const char *program, const struct harness_redis *r, const char *const *env,
				 const char *const *args);

/* Prints one benchmark figure beside its ceiling measured in the same run:
 * BENCH {"name":..,"value":..,"unit":..,"ceiling":..,"ceiling_value":..,
 * "ratio":..,"target":..} with ratio = value / ceiling_value. */
void harness_bench_line(const char *name, double value, const char *unit, const char *ceiling, double ceiling_value,
			const char *target);

#endif
