/*
 * soak.c - `make soak` (not in CI): the four services on a private
 * redis-server under a steady load of trading inputs for SOAK_SECONDS
 * (600) at SOAK_RATE events/s (5000): direct trade.closed entries and
 * portfolio snapshots, as the trading services publish them. Every second
 * it prints one row: events sent, each service's RSS, and the entries
 * pending (delivered, unacknowledged) and lagging (not yet read) over all
 * consumer groups. At the end it compares the last minute with the
 * second one (after warm-up) and fails when RSS grew by more than 10 % +
 * 2 MiB, or when the backlog grew.
 *
 * Streams are capped by the publisher (MAXLEN ~ 100000), as producers do,
 * so Redis's own memory stays bounded too.
 */
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "redis_sync.h"

#define N_SVC 4

static const char *const SVC[N_SVC] = {"risk_officer", "strategy_officer", "ceo", "federation"};

/* Resident set size of pid in MiB, or -1. */
static double rss_mib(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	FILE *f = fopen(path, "r");
	long size, res;
	int ok = f && fscanf(f, "%ld %ld", &size, &res) == 2;
	if (f)
		fclose(f);
	return ok ? (double)res * (double)sysconf(_SC_PAGESIZE) / 1048576.0 : -1;
}

/* Pending and lag summed over every group of every t:stream:*. */
static void backlog(redisContext *c, long long *pending, long long *lag)
{
	*pending = *lag = 0;
	redisReply *keys = redisCommand(c, "KEYS t:stream:*");
	for (size_t k = 0; keys && keys->type == REDIS_REPLY_ARRAY && k < keys->elements; k++) {
		redisReply *g = redisCommand(c, "XINFO GROUPS %s", keys->element[k]->str);
		struct redis_backlog b;
		redis_backlog_of(g, &b);
		freeReplyObject(g);
		*pending += b.pending;
		*lag += b.lag;
	}
	freeReplyObject(keys);
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);
	return v && *v ? atol(v) : def;
}

int main(void)
{
	long seconds = env_long("SOAK_SECONDS", 600), rate = env_long("SOAK_RATE", 5000);
	if (seconds < 180 || rate < 1) {
		fprintf(stderr,
			"soak: SOAK_SECONDS must be >= 180 (warm-up, then two compared minutes), SOAK_RATE >= 1\n");
		return 2;
	}
	struct harness_redis srv;
	if (harness_redis_start(&srv, 0) != 0) {
		fprintf(stderr, "soak: cannot start redis-server\n");
		return 1;
	}
	pid_t pids[N_SVC];
	char api[48];
	snprintf(api, sizeof(api), "ORCH_API_PORT=%d", harness_free_port());
	const char *env[] = {"ORCH_PREFIX=t", "ORCH_LOG_LEVEL=error", "ORCH_ADMIN_PORT=0", api, NULL};
	for (int i = 0; i < N_SVC; i++)
		pids[i] = harness_spawn_program(SVC[i], &srv, env);
	redisContext *pub = harness_redis_sync(&srv), *mon = harness_redis_sync(&srv);
	int rc = 1;
	if (!pub || !mon)
		goto out;
	sleep(2);
	printf("%6s %10s", "second", "sent");
	for (int i = 0; i < N_SVC; i++)
		printf(" %16s", SVC[i]);
	printf(" %10s %10s\n", "pending", "lag");
	printf("%6s %10s", "", "");
	for (int i = 0; i < N_SVC; i++)
		printf(" %16s", "RSS MiB");
	printf("\n");
	double rss_min2[N_SVC] = {0}, rss_last[N_SVC] = {0}, back2 = 0, back_last = 0;
	int n2 = 0, nlast = 0;
	long long sent = 0;
	double t0 = clock_mono_ns() / 1e9, equity = 1e6;
	char ts[40];
	for (long s = 0; s < seconds; s++) {
		/* this second's events, in batches of 100 pipelined XADDs, paced */
		for (long k = 0; k < rate; k += 100) {
			long batch = rate - k < 100 ? rate - k : 100;
			time_t now = time(NULL);
			strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S.000000", gmtime(&now));
			for (long j = 0; j < batch; j++) {
				long n = sent + j;
				if (n % 10 == 9) {
					equity *= 1 + ((n * 7919) % 201 - 100) / 1e5;
					char p[160];
					snprintf(p,
						 sizeof(p),
						 "{\"total_equity\": %.2f, \"total_exposure\": %.2f, "
						 "\"num_positions\": 3}",
						 equity,
						 equity * 1.5);
					redisAppendCommand(
						pub,
						"XADD t:stream:portfolio.snapshot_updated MAXLEN ~ 100000 * "
						"event_type portfolio.snapshot_updated payload %s trace_id %s "
						"timestamp %s source soak",
						p,
						"",
						ts);
				} else {
					char pnl[16];
					snprintf(pnl, sizeof(pnl), "%.3f", ((n * 104729) % 1001 - 480) / 100.0);
					redisAppendCommand(
						pub,
						"XADD t:stream:trade.closed MAXLEN ~ 100000 * event_type "
						"trade.closed symbol BTCUSDT side BUY pnl_percent %s strategy s%ld "
						"timestamp %s",
						pnl,
						n % 5,
						ts);
				}
			}
			for (long j = 0; j < batch; j++) {
				redisReply *r = NULL;
				if (redisGetReply(pub, (void **)&r) != REDIS_OK) {
					fprintf(stderr, "soak: publishing failed: %s\n", pub->errstr);
					goto out;
				}
				freeReplyObject(r);
			}
			sent += batch;
			double due = t0 + s + (double)(k + batch) / (double)rate, wait = due - clock_mono_ns() / 1e9;
			if (wait > 0)
				usleep((useconds_t)(wait * 1e6));
		}
		long long pending, lag;
		backlog(mon, &pending, &lag);
		printf("%6ld %10lld", s + 1, sent);
		for (int i = 0; i < N_SVC; i++) {
			double m = rss_mib(pids[i]);
			if (m < 0) {
				fprintf(stderr, "\nsoak: %s (pid %d) is gone\n", SVC[i], (int)pids[i]);
				goto out;
			}
			printf(" %16.1f", m);
			if (s >= 60 && s < 120)
				rss_min2[i] += m;
			if (s >= seconds - 60)
				rss_last[i] += m;
		}
		printf(" %10lld %10lld\n", pending, lag);
		fflush(stdout);
		if (s >= 60 && s < 120) {
			back2 += (double)(pending + lag);
			n2++;
		}
		if (s >= seconds - 60) {
			back_last += (double)(pending + lag);
			nlast++;
		}
	}
	rc = 0;
	printf("\nmean over second 61-120 -> over the last 60 s:\n");
	for (int i = 0; i < N_SVC; i++) {
		double a = rss_min2[i] / n2, b = rss_last[i] / nlast;
		int grew = b > a * 1.10 + 2;
		printf("  %-16s RSS %8.1f -> %8.1f MiB  %s\n", SVC[i], a, b, grew ? "GREW" : "flat");
		rc |= grew;
	}
	double ba = back2 / n2, bb = back_last / nlast;
	int grew = bb > ba * 1.10 + (double)rate;
	printf("  %-16s %8.0f -> %8.0f entries  %s\n", "backlog", ba, bb, grew ? "GREW" : "flat");
	rc |= grew;
	printf("soak: %s\n", rc ? "FAILED (growth)" : "passed: no growth");
out:
	if (pub)
		redisFree(pub);
	if (mon)
		redisFree(mon);
	for (int i = 0; i < N_SVC; i++)
		if (pids[i] > 0) {
			kill(pids[i], SIGTERM);
			waitpid(pids[i], NULL, 0);
		}
	harness_redis_stop(&srv);
	return rc;
}
