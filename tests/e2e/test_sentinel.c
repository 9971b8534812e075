/*
 * test_sentinel.c - the layer on Redis with Sentinel: a master, one
 * replica and three Sentinels (quorum 2) on free loopback ports; ceo (two
 * replicas), risk_officer, strategy_officer and federation pointed at the
 * Sentinels
 * (so PolicyStore and lease writes wait for one replica); the replay
 * feeder publishing trades and snapshots, also through Sentinel.
 *
 * An operator's decision is made durable (force_decision answers after the
 * write is replicated), then the master is killed with -9. The replica is
 * promoted; the old master, restarted as a replica of the new one,
 * rejoins and none of the services follows it back; every process carries on without a
 * restart, one CEO leads, and at no sample did two lead. The decision's
 * PolicyStore version survives on the new master. The test prints how
 * many of the feeder's trades the asynchronous replication lost (bus
 * publishes do not wait for replicas by default).
 */
#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "json_util.h"
#include "run_suite.h"
#include "stack.h"

#define MASTER_NAME "orch"
#define DAYS        700

enum { CEO_A, CEO_B, RO, SO, FED, N_PROC };
static const char *const NAMES[N_PROC] = {"ceo-a", "ceo-b", "ro", "so", "fed"};
static const char *const PROGRAMS[N_PROC] = {"ceo", "ceo", "risk_officer", "strategy_officer", "federation"};

static struct harness_redis master, replica, sentinels[3];
static pid_t pids[N_PROC], feeder;
static int ports[N_PROC];
static char sentinel_env[160], prices[300], summary[300];

static redisContext *sync_to(int port)
{
	struct timeval tv = {2, 0};
	redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
	if (c && c->err) {
		redisFree(c);
		return NULL;
	}
	if (c)
		redisSetTimeout(c, tv);
	return c;
}

static long long reply_count(redisContext *c, const char *cmd)
{
	redisReply *r = c ? redisCommand(c, cmd) : NULL;
	long long n = r && r->type == REDIS_REPLY_ARRAY ? (long long)r->elements : -1;
	freeReplyObject(r);
	return n;
}

/* Port of the master Sentinel i names, or 0. */
static int master_of(int i)
{
	redisContext *c = sync_to(sentinels[i].port);
	redisReply *r = c ? redisCommand(c, "SENTINEL get-master-addr-by-name " MASTER_NAME) : NULL;
	int port = r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 ? atoi(r->element[1]->str) : 0;
	freeReplyObject(r);
	if (c)
		redisFree(c);
	return port;
}

static int leader_metric(int i)
{
	return pids[i] > 0 && stack_metric(ports[i], "orch_lease_leader{role=\"ceo\"}") == 1;
}

static void setup(void)
{
	ck_assert_int_eq(harness_redis_start(&master, 1), 0);
	ck_assert_int_eq(harness_replica_start(&replica, master.port, 1), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(harness_sentinel_start(&sentinels[i], master.port, MASTER_NAME, 2), 0);
	/* every Sentinel knows the replica and the two other Sentinels */
	int known = 0;
	for (int t = 0; t < 300 && !known; t++, usleep(50000)) {
		known = 1;
		for (int i = 0; i < 3 && known; i++) {
			redisContext *c = sync_to(sentinels[i].port);
			known = reply_count(c, "SENTINEL replicas " MASTER_NAME) == 1 &&
				reply_count(c, "SENTINEL sentinels " MASTER_NAME) == 2;
			if (c)
				redisFree(c);
		}
	}
	ck_assert_msg(known, "the Sentinels did not find the replica and each other");
	snprintf(sentinel_env,
		 sizeof(sentinel_env),
		 "ORCH_REDIS_SENTINELS=127.0.0.1:%d,127.0.0.1:%d,127.0.0.1:%d",
		 sentinels[0].port,
		 sentinels[1].port,
		 sentinels[2].port);
	for (int i = 0; i < N_PROC; i++) {
		char id[64], port[48], api[48];
		ports[i] = harness_free_port();
		snprintf(id, sizeof(id), "ORCH_INSTANCE_ID=%s", NAMES[i]);
		snprintf(port, sizeof(port), "ORCH_ADMIN_PORT=%d", ports[i]);
		snprintf(api, sizeof(api), "ORCH_API_PORT=%d", harness_free_port());
		const char *env[] = {"ORCH_PREFIX=t",
				     id,
				     port,
				     api,
				     sentinel_env,
				     "ORCH_REDIS_MASTER_NAME=" MASTER_NAME,
				     "ORCH_LOG_LEVEL=error",
				     /* longer than a Sentinel takes to turn the old master
				      * into a replica (it waits out role flapping), so the
				      * holders' unreplicated renewals do not run out */
				     "ORCH_LEASE_TTL_MS=30000",
				     "ORCH_REDIS_BACKOFF_MAX_MS=500",
				     NULL};
		pids[i] = harness_spawn_program(PROGRAMS[i], &master, env);
		ck_assert_int_gt(pids[i], 0);
	}
	for (int i = 0; i < N_PROC; i++) {
		ck_assert_msg(stack_wait_ready(ports[i], 10000), "%s is not ready", NAMES[i]);
	}
	/* the feeder's prices: the first DAYS rows of the bundled data */
	snprintf(prices, sizeof(prices), "%s/prices.csv", master.dir);
	snprintf(summary, sizeof(summary), "%s/summary.json", master.dir);
	ck_assert_int_eq(stack_write_prices(prices, DAYS), 0);
}

static void teardown(void)
{
	for (int i = 0; i < N_PROC; i++)
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
			pids[i] = 0;
		}
	if (feeder > 0) {
		kill(feeder, SIGKILL);
		waitpid(feeder, NULL, 0);
		feeder = 0;
	}
	for (int i = 0; i < 3; i++)
		harness_redis_stop(&sentinels[i]);
	harness_redis_stop(&replica);
	harness_redis_stop(&master);
}

static json_t *command(redisContext *c, const char *id, const char *body)
{
	return stack_command(c, "t", id, body);
}

/* Samples both CEOs for up to ms; counts samples with two leaders and
 * returns when pred holds, printing how long `what` took. */
static int watch(int ms, int *both, int (*pred)(void), const char *what)
{
	double t0 = clock_mono_ns() / 1e9;
	for (int t = 0; t < ms; t += 50, usleep(50000)) {
		*both += leader_metric(CEO_A) && leader_metric(CEO_B);
		if (pred && pred()) {
			printf("sentinel: %s after %.1f s\n", what, clock_mono_ns() / 1e9 - t0);
			fflush(stdout);
			return 1;
		}
	}
	return 0;
}

/* every Sentinel names the replica as the master */
static int promoted(void)
{
	for (int i = 0; i < 3; i++)
		if (master_of(i) != replica.port)
			return 0;
	return 1;
}

static int old_master_is_replica(void)
{
	redisContext *c = sync_to(master.port);
	redisReply *r = c ? redisCommand(c, "ROLE") : NULL;
	int slave = r && r->type == REDIS_REPLY_ARRAY && r->elements > 0 && !strcmp(r->element[0]->str, "slave");
	freeReplyObject(r);
	if (c)
		redisFree(c);
	return slave;
}

/* Named clients of the server on port that are not Sentinels: the
 * services' connections. */
static int service_clients(int port)
{
	redisContext *c = sync_to(port);
	redisReply *r = c ? redisCommand(c, "CLIENT LIST") : NULL;
	int n = 0;
	for (const char *p = r && r->type == REDIS_REPLY_STRING ? r->str : ""; (p = strstr(p, " name=")) != NULL; p++) {
		const char *name = p + 6;
		if (*name != ' ' && strncmp(name, "sentinel-", 9) != 0)
			n++;
	}
	freeReplyObject(r);
	if (c)
		redisFree(c);
	return r ? n : -1;
}

/* Connections the services moved on Sentinel's +switch-master, over all. */
static double switches(void)
{
	double total = 0;
	for (int i = 0; i < N_PROC; i++) {
		char *m = harness_http(ports[i], "GET", "/metrics");
		for (const char *p = m; p && (p = strstr(p, "\norch_redis_master_switches_total{")) != NULL; p++) {
			const char *sp = strchr(p + 1, ' ');
			total += sp ? atof(sp + 1) : 0;
		}
		free(m);
	}
	return total;
}

static int off_old_master(void)
{
	return service_clients(replica.port) == 0;
}

static int one_leader(void)
{
	return leader_metric(CEO_A) + leader_metric(CEO_B) == 1;
}

START_TEST(test_master_killed)
{
	redisContext *c = sync_to(master.port);
	ck_assert_ptr_nonnull(c);
	int both = 0;
	ck_assert_msg(watch(20000, &both, one_leader, "one CEO leads"), "no CEO leads");
	const char *args[] = {"--prices", prices, "--summary-json", summary, "--no-wait", "--delay-ms", "15", NULL};
	const char *fenv[] = {"ORCH_PREFIX=t", sentinel_env, "ORCH_REDIS_MASTER_NAME=" MASTER_NAME, NULL};
	feeder = harness_spawn_program_args("replay", &master, fenv, args);
	ck_assert_int_gt(feeder, 0);

	/* an operator's decision, durable once force_decision answers */
	json_t *rep = command(c,
			      "op-1",
			      "\"action\": \"set_mode\", \"mode\": \"CAPITAL_PRESERVATION\", \"reason\": "
			      "\"drill\", \"operator\": \"alice\"");
	ck_assert_msg(rep != NULL, "no reply to set_mode");
	json_decref(rep);
	rep = command(c, "fd-1", "\"action\": \"force_decision\"");
	ck_assert_msg(rep != NULL, "no reply to force_decision");
	ck_assert_str_eq(json_string_value(json_object_get(rep, "status")), "ok");
	json_decref(rep);
	json_t *doc = stack_get_json(c, "t:policy:current");
	ck_assert_ptr_nonnull(doc);
	json_int_t accepted = json_integer_value(json_object_get(doc, "version"));
	json_decref(doc);
	redisFree(c);

	harness_redis_kill(&master, SIGKILL);
	ck_assert_msg(watch(30000, &both, promoted, "every Sentinel names the replica"),
		      "the replica was not promoted");
	/* the old master comes back within the lease ttl, as a replica of the
	 * new one (as its supervisor would start it from the configuration
	 * Sentinel rewrote): lease renewals are durable again before any
	 * holder's deadline */
	master.replica_of = replica.port;
	ck_assert_int_eq(harness_redis_restart(&master), 0);
	ck_assert_msg(watch(60000, &both, old_master_is_replica, "the old master is a replica"),
		      "the old master did not rejoin as a replica");
	for (int i = 0; i < N_PROC; i++) {
		ck_assert_msg(waitpid(pids[i], NULL, WNOHANG) == 0, "%s exited", NAMES[i]);
		ck_assert_msg(stack_wait_ready(ports[i], 10000), "%s is not ready on the new master", NAMES[i]);
	}
	ck_assert_msg(watch(20000, &both, one_leader, "one CEO leads"), "no CEO leads after the failover");
	ck_assert_int_eq(both, 0);
	ck_assert_msg(promoted(), "a Sentinel moved the master again");

	/* the decision's version survived */
	c = sync_to(replica.port);
	ck_assert_ptr_nonnull(c);
	doc = stack_get_json(c, "t:policy:current");
	ck_assert_int_ge(json_integer_value(json_object_get(doc, "version")), accepted);
	json_decref(doc);
	redisReply *r = redisCommand(c, "XRANGE t:policy:history - +");
	int found = 0;
	for (size_t e = 0; r && r->type == REDIS_REPLY_ARRAY && e < r->elements; e++) {
		const redisReply *f = r->element[e]->element[1];
		for (size_t k = 0; k + 1 < f->elements; k += 2)
			if (!strcmp(f->element[k]->str, "version") && atoll(f->element[k + 1]->str) == accepted)
				found = 1;
	}
	freeReplyObject(r);
	ck_assert_msg(found, "policy version %lld is not in the new master's history", (long long)accepted);

	/* the services stay on the new master: only Sentinels talk to the old one */
	ck_assert_int_eq(service_clients(master.port), 0);

	/* the feeder finished through the failover; what replication lost */
	int st = -1;
	for (int i = 0; i < 1200 && waitpid(feeder, &st, WNOHANG) == 0; i++)
		usleep(50000);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the feeder did not finish (status %d)", st);
	feeder = 0;
	json_t *sum = json_load_file(summary, 0, NULL);
	ck_assert_ptr_nonnull(sum);
	json_int_t trades = json_integer_value(json_object_get(sum, "trades"));
	json_decref(sum);
	r = redisCommand(c, "XRANGE t:stream:trade.closed - +");
	json_t *ids = json_object();
	for (size_t e = 0; r && r->type == REDIS_REPLY_ARRAY && e < r->elements; e++) {
		const redisReply *f = r->element[e]->element[1];
		for (size_t k = 0; k + 1 < f->elements; k += 2)
			if (!strcmp(f->element[k]->str, "event_id"))
				json_object_set_new(ids, f->element[k + 1]->str, json_true());
	}
	freeReplyObject(r);
	json_int_t kept = (json_int_t)json_object_size(ids);
	json_decref(ids);
	printf("sentinel failover: %lld of %lld trades published by the feeder are on the new master; "
	       "%lld lost in the replication window\n",
	       (long long)kept,
	       (long long)trades,
	       (long long)(trades > kept ? trades - kept : 0));
	ck_assert_int_le(kept, trades);
	redisFree(c);

	/* a planned failover to the old master: the live, demoted node answers
	 * nothing wrong, so the services leave it on Sentinel's +switch-master */
	c = sync_to(sentinels[0].port);
	r = c ? redisCommand(c, "SENTINEL FAILOVER " MASTER_NAME) : NULL;
	ck_assert_msg(r && r->type == REDIS_REPLY_STATUS, "SENTINEL FAILOVER refused: %s", r ? r->str : "no reply");
	freeReplyObject(r);
	redisFree(c);
	ck_assert_msg(watch(30000, &both, off_old_master, "the services left the demoted master"),
		      "services still on the demoted master");
	ck_assert_msg(switches() > 0, "no connection moved on +switch-master");
	ck_assert_int_eq(both, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sentinel");
	TCase *tc = tcase_create("failover");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_master_killed);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
