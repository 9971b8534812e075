/*
 * test_redis_conn.c - the self-healing connection against a real
 * redis-server: refused connects are noticed and retried (the stock hiredis
 * 0.14 libuv adapter would hang), reconnect after the server died, AUTH with
 * a password and with an ACL user, a wrong password never reports
 * "connected", the connect watchdog against a peer that never answers, the
 * stall watchdog against a paused server, and EVALSHA surviving SCRIPT FLUSH.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "metrics.h"
#include "orch.h"
#include "redis_conn.h"
#include "run_suite.h"

struct probe {
	int ups, downs;
	int replies, nulls;
	long long last_int;
	char last_str[128];
};

static void on_state(struct redis_conn *c, int connected, void *data)
{
	struct probe *p = data;
	(void)c;
	if (connected)
		p->ups++;
	else
		p->downs++;
}

static void on_reply(struct redis_conn *c, redisReply *r, void *data)
{
	struct probe *p = data;
	(void)c;
	if (!r) {
		p->nulls++;
		return;
	}
	p->replies++;
	if (r->type == REDIS_REPLY_INTEGER)
		p->last_int = r->integer;
	if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_ERROR)
		snprintf(p->last_str, sizeof(p->last_str), "%s", r->str);
}

static int ups_at_least_1(void *a)
{
	return ((struct probe *)a)->ups >= 1;
}
static int ups_at_least_2(void *a)
{
	return ((struct probe *)a)->ups >= 2;
}
static int downs_at_least_1(void *a)
{
	return ((struct probe *)a)->downs >= 1;
}
static int replies_at_least_1(void *a)
{
	return ((struct probe *)a)->replies >= 1;
}

static struct harness_redis srv;
static struct redis_target t;
static uv_loop_t loop;
static struct probe p;

static void setup(void)
{
	ck_assert_int_eq(harness_redis_start(&srv, 0), 0);
	harness_target(&srv, &t);
	uv_loop_init(&loop);
	memset(&p, 0, sizeof(p));
	metrics_reset();
}

static void teardown(void)
{
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	harness_redis_stop(&srv);
}

static struct redis_conn *open_conn(const struct redis_target *target, int stall_ms)
{
	struct redis_conn *c;
	struct redis_conn_opts o = {.name = "test", .on_state = on_state, .data = &p, .stall_timeout_ms = stall_ms};
	ck_assert_int_eq(redis_conn_new(&c, &loop, target, &o), 0);
	ck_assert_int_eq(redis_conn_start(c), 0);
	return c;
}

/* Sends PING and checks the answer. */
static void ping_ok(struct redis_conn *c)
{
	const char *ping[] = {"PING"};
	p.replies = 0;
	ck_assert_int_eq(redis_conn_command(c, on_reply, &p, 1, ping, NULL), 0);
	ck_assert_int_eq(harness_loop_until(&loop, replies_at_least_1, &p, 2000), 0);
	ck_assert_str_eq(p.last_str, "PONG");
}

static void sync_do(const char *cmd)
{
	redisContext *s = harness_redis_sync(&srv);
	redisReply *r = redisCommand(s, cmd);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_ne(r->type, REDIS_REPLY_ERROR);
	freeReplyObject(r);
	redisFree(s);
}

/* The value of a counter of connection "test" in the metrics text. */
static long disconnects(void)
{
	static const char key[] = "orch_redis_disconnects_total{conn=\"test\"} ";
	char *text = metrics_render(NULL);
	const char *line = strstr(text, key);
	long n = line ? atol(line + strlen(key)) : -1;
	free(text);
	return n;
}

START_TEST(test_redis_conn_retries_refused_connect_until_server_appears)
{
	harness_redis_kill(&srv, SIGKILL);
	struct redis_conn *c = open_conn(&t, 0);
	/* refused for a while: never "connected", and the loop keeps turning */
	ck_assert_int_eq(harness_loop_until(&loop, ups_at_least_1, &p, 600), ORCH_ETIMEDOUT);
	ck_assert_int_ge(disconnects(), 2);
	ck_assert_int_eq(harness_redis_restart(&srv), 0);
	ck_assert_int_eq(harness_loop_until(&loop, ups_at_least_1, &p, 5000), 0);
	ping_ok(c);
	redis_conn_free(c);
}
END_TEST

START_TEST(test_redis_conn_reconnects_after_server_killed)
{
	struct redis_conn *c = open_conn(&t, 0);
	ck_assert_int_eq(harness_loop_until(&loop, ups_at_least_1, &p, 5000), 0);
	harness_redis_kill(&srv, SIGKILL);
	ck_assert_int_eq(harness_loop_until(&loop, downs_at_least_1, &p, 5000), 0);
	ck_assert(!redis_conn_is_connected(c));
	const char *ping[] = {"PING"};
	ck_assert_int_eq(redis_conn_command(c, on_reply, &p, 1, ping, NULL), ORCH_ENOTCONN);
	ck_assert_int_eq(harness_redis_restart(&srv), 0);
	ck_assert_int_eq(harness_loop_until(&loop, ups_at_least_2, &p, 5000), 0);
	ping_ok(c);
	redis_conn_free(c);
}
END_TEST

START_TEST(test_redis_conn_authenticates_with_password_and_acl_user)
{
	sync_do("ACL SETUSER orch on >s3cret ~* &* +@all");
	struct redis_target acl = t;
	snprintf(acl.user, sizeof(acl.user), "orch");
	snprintf(acl.password, sizeof(acl.password), "s3cret");
	acl.db = 3;
	struct redis_conn *c = open_conn(&acl, 0);
	ck_assert_int_eq(harness_loop_until(&loop, ups_at_least_1, &p, 5000), 0);
	const char *who[] = {"ACL", "WHOAMI"};
	ck_assert_int_eq(redis_conn_command(c, on_reply, &p, 2, who, NULL), 0);
	ck_assert_int_eq(harness_loop_until(&loop, replies_at_least_1, &p, 2000), 0);
	ck_assert_str_eq(p.last_str, "orch");
	/* SELECT happened: a key set here lives in db 3 */
	const char *set[] = {"SET", "k", "v"};
	p.replies = 0;
	ck_assert_int_eq(redis_conn_command(c, on_reply, &p, 3, set, NULL), 0);
	ck_assert_int_eq(harness_loop_until(&loop, replies_at_least_1, &p, 2000), 0);
	redisContext *s = harness_redis_sync(&srv);
	redisReply *r = redisCommand(s, "INFO keyspace");
	ck_assert(strstr(r->str, "db3:keys=1") != NULL);
	freeReplyObject(r);
	redisFree(s);
	redis_conn_free(c);
}
END_TEST

START_TEST(test_redis_conn_wrong_password_never_reports_connected)
{
	sync_do("CONFIG SET requirepass right");
	struct redis_target wrong = t;
	snprintf(wrong.password, sizeof(wrong.password), "wrong");
	struct redis_conn *c = open_conn(&wrong, 0);
	ck_assert_int_eq(harness_loop_until(&loop, ups_at_least_1, &p, 1500), ORCH_ETIMEDOUT);
	/* it kept retrying (with backoff) rather than giving up */
	ck_assert_int_ge(disconnects(), 2);
	redis_conn_free(c);
}
END_TEST

START_TEST(test_redis_conn_watchdog_drops_peer_that_never_answers)
{
	/* a listening socket nobody serves: TCP connects, Redis never answers */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	socklen_t len = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &len);
	struct redis_target silent = t;
	silent.addr.port = ntohs(a.sin_port);
	silent.connect_timeout_ms = 200;
	silent.backoff_max_ms = 50;
	struct redis_conn *c = open_conn(&silent, 0);
	ck_assert_int_eq(harness_loop_until(&loop, ups_at_least_1, &p, 1500), ORCH_ETIMEDOUT);
	/* at least two watchdog expiries in 1.5 s with a 200 ms connect timeout */
	ck_assert_int_ge(disconnects(), 2);
	redis_conn_free(c);
	close(fd);
}
END_TEST

START_TEST(test_redis_conn_stall_watchdog_reconnects_when_replies_stop)
{
	struct redis_conn *c = open_conn(&t, 300);
	ck_assert_int_eq(harness_loop_until(&loop, ups_at_least_1, &p, 5000), 0);
	sync_do("CLIENT PAUSE 1500 ALL");
	const char *ping[] = {"PING"};
	ck_assert_int_eq(redis_conn_command(c, on_reply, &p, 1, ping, NULL), 0);
	ck_assert_int_eq(harness_loop_until(&loop, downs_at_least_1, &p, 3000), 0);
	ck_assert_int_eq(p.nulls, 1);
	ck_assert_int_eq(harness_loop_until(&loop, ups_at_least_2, &p, 5000), 0);
	redis_conn_free(c);
}
END_TEST

START_TEST(test_redis_conn_finds_master_through_sentinel)
{
	struct harness_redis sentinel;
	ck_assert_int_eq(harness_sentinel_start(&sentinel, srv.port, "orch-master", 1), 0);
	struct redis_target via = t;
	via.addr.port = 1; /* never used: Sentinel names the master */
	snprintf(via.sentinels[0].host, sizeof(via.sentinels[0].host), "127.0.0.1");
	via.sentinels[0].port = harness_free_port(); /* nobody there: skipped */
	snprintf(via.sentinels[1].host, sizeof(via.sentinels[1].host), "127.0.0.1");
	via.sentinels[1].port = sentinel.port;
	via.n_sentinels = 2;
	snprintf(via.master_name, sizeof(via.master_name), "orch-master");
	struct redis_endpoint ep;
	char err[256];
	ck_assert_int_eq(redis_conn_resolve_master(&via, &ep, err, sizeof(err)), 0);
	ck_assert_str_eq(ep.host, "127.0.0.1");
	ck_assert_int_eq(ep.port, srv.port);
	struct redis_conn *c = open_conn(&via, 0);
	ck_assert_int_eq(harness_loop_until(&loop, ups_at_least_1, &p, 5000), 0);
	ping_ok(c);
	redis_conn_free(c);
	/* a name no Sentinel knows is an error that says so */
	snprintf(via.master_name, sizeof(via.master_name), "nobody");
	ck_assert_int_eq(redis_conn_resolve_master(&via, &ep, err, sizeof(err)), ORCH_ENOTCONN);
	ck_assert_str_eq(err, "no sentinel knows master 'nobody'");
	via.n_sentinels = 1;
	ck_assert_int_eq(redis_conn_resolve_master(&via, &ep, err, sizeof(err)), ORCH_ENOTCONN);
	ck_assert_str_eq(err, "no sentinel reachable");
	harness_redis_stop(&sentinel);
}
END_TEST

static const char SCRIPT[] = "return tonumber(ARGV[1]) + redis.call('INCR', KEYS[1])";

START_TEST(test_redis_conn_eval_survives_script_flush)
{
	struct redis_conn *c = open_conn(&t, 0);
	ck_assert_int_eq(harness_loop_until(&loop, ups_at_least_1, &p, 5000), 0);
	const char *argv[] = {"counter", "40"};
	for (int round = 1; round <= 2; round++) {
		sync_do("SCRIPT FLUSH");
		p.replies = 0;
		ck_assert_int_eq(redis_conn_eval(c, on_reply, &p, SCRIPT, 1, 2, argv, NULL), 0);
		ck_assert_int_eq(harness_loop_until(&loop, replies_at_least_1, &p, 2000), 0);
		ck_assert_int_eq(p.last_int, 40 + round);
	}
	redis_conn_free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("redis_conn");
	TCase *tc = tcase_create("connection");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_redis_conn_retries_refused_connect_until_server_appears);
	tcase_add_test(tc, test_redis_conn_reconnects_after_server_killed);
	tcase_add_test(tc, test_redis_conn_authenticates_with_password_and_acl_user);
	tcase_add_test(tc, test_redis_conn_wrong_password_never_reports_connected);
	tcase_add_test(tc, test_redis_conn_watchdog_drops_peer_that_never_answers);
	tcase_add_test(tc, test_redis_conn_stall_watchdog_reconnects_when_replies_stop);
	tcase_add_test(tc, test_redis_conn_eval_survives_script_flush);
	tcase_add_test(tc, test_redis_conn_finds_master_through_sentinel);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
