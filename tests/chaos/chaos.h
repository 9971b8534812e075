/*
 * chaos.h - what every attack of `make chaos` shares: the whole layer
 * (redis-server and the four services, each on free loopback ports, each
 * stopped by pid) as an operator runs it, the attacker's view of it from
 * outside (Redis, the REST API, each admin port's /metrics and /readyz),
 * and the report, one line per check: CHAOS <status> <attack> <outcome>,
 * which tests/chaos/run.sh gathers into one table.
 */
#ifndef TEST_CHAOS_H
#define TEST_CHAOS_H

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "harness.h"

enum chaos_svc { CHAOS_CEO, CHAOS_RISK, CHAOS_STRATEGY, CHAOS_FEDERATION, CHAOS_N_SVC };

/* "ceo", "risk_officer", "strategy_officer", "federation" */
extern const char *const chaos_svc_names[CHAOS_N_SVC];

/* The bearer token the federation is started with. */
#define CHAOS_API_TOKEN "chaos-token-0123456789abcdef"

struct chaos_stack {
	struct harness_redis redis;
	pid_t pid[CHAOS_N_SVC]; /* 0 once stopped or found dead */
	int admin[CHAOS_N_SVC]; /* admin HTTP ports (/metrics, /readyz) */
	int api;                /* the federation's REST API port */
	redisContext *c;        /* the attacker's connection */
	char logdir[64];        /* each service's stderr, <name>.log */
	int lost;               /* services found dead by chaos_stack_alive */
};

/*
 * Starts a private redis-server and the four services against it (prefix
 * "t", instance "<service>-1", lease ttl 1 s, no publish coalescing, the
 * original rule set with BLACK_SWAN left by an operator only, the CEO
 * alone creating the policy document as in production), the CEO first,
 * and waits until each answers /readyz. extra ("NAME=value", NULL-ended,
 * or NULL) goes to every service, fed_extra to the federation only.
 * 0, or -1 with the reason on stderr (the caller still calls
 * chaos_stack_stop).
 */
int chaos_stack_start(struct chaos_stack *s, const char *const *extra, const char *const *fed_extra);
/* Stops every service with SIGTERM (SIGKILL after 10 s) and the server,
 * removes the logs unless keep_logs; returns how many services had died
 * before or did not exit 0. */
int chaos_stack_stop(struct chaos_stack *s, int keep_logs);
/* chaos_stack_start for an attack family: when the layer does not start,
 * that is reported as a failed check, the logs are shown and everything
 * is stopped (-1). */
int chaos_begin(struct chaos_stack *s, const char *family, const char *const *extra, const char *const *fed_extra);
/* The end of an attack family: checks that the four services still run,
 * stops them and checks that each exited 0 (the logs shown when a check
 * failed). Returns the program's exit status. */
int chaos_end(struct chaos_stack *s, const char *family);
/* How many services still run; the names of the dead ones go to dead
 * (reaped: a dead one stays 0 in pid). */
int chaos_stack_alive(struct chaos_stack *s, char *dead, size_t len);
/* 1 once every service answers /readyz 200, polling up to timeout_ms; the
 * time it took goes to *took_ms. */
int chaos_stack_ready(const struct chaos_stack *s, int timeout_ms, long *took_ms);
/* A new attacker connection (after the server restarted). */
void chaos_stack_reconnect(struct chaos_stack *s);
/* Prints the last lines of each service's log to stderr. */
void chaos_stack_dump_logs(const struct chaos_stack *s);

/*
 * One check of an attack. ok: the outcome holds. waits_for NULL: PASS or
 * FAIL. waits_for set: the check is known to fail on main until that work
 * lands (a branch, or an open finding): XFAIL, or XPASS when it holds,
 * which says to flip it. outcome: what was seen (printf format).
 */
void chaos_check(const char *attack, int ok, const char *waits_for, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* 1 when a check FAILed so far (the program's exit status). */
int chaos_failed(void);

/* XADDs to t:stream:<type> "event_type <type>" then the NULL-ended field
 * and value pairs (any bytes but NUL); the entry id goes to id. 0 or -1. */
int chaos_xadd(redisContext *c, const char *type, const char *const *fields, char *id, size_t idlen);
/* XADDs an EventBus v2 entry (payload, trace_id, timestamp now, source
 * chaos). 0 or -1. */
int chaos_publish(redisContext *c, const char *type, const char *payload, char *id, size_t idlen);
/* The newest entry id of t:stream:<type>, "0-0" when none. */
void chaos_last_id(redisContext *c, const char *type, char *id, size_t idlen);
/* Dead letters in t:dlq:<type> of the entry source_id, polling up to
 * timeout_ms until `want` of them are there: their count; the groups
 * that dead-lettered it (", "-separated, without t:group: and the type)
 * and the first reason. */
int chaos_dead_letters(redisContext *c, const char *type, const char *source_id, int want, int timeout_ms, char *groups,
		       size_t glen, char *reason, size_t rlen);
/* 1 once a consumer group of t:stream:<type> whose name contains
 * `group` has been delivered entry id and has nothing pending, polling up
 * to timeout_ms. */
int chaos_group_past(redisContext *c, const char *type, const char *group, const char *id, int timeout_ms);

/* The sum of every sample of the metric `name`, whatever its labels, on
 * /metrics of 127.0.0.1:port; -1 when there is none. */
double chaos_metric_sum(int port, const char *name);
/* The PolicyStore document (t:policy:current), NULL when absent (the
 * caller decrefs). */
json_t *chaos_policy(redisContext *c);
/* Its operating_mode and version ("" and -1 when absent). */
void chaos_policy_mode(redisContext *c, char *mode, size_t len, long long *version);
/* GET path on the federation's API: the body as JSON (NULL when none or
 * not JSON; the caller decrefs), the status in *status. */
json_t *chaos_api_get(const struct chaos_stack *s, const char *path, int *status);
/* POST .../agents/ceo/force-decision with the token: the status; the
 * decision's operating_mode goes to mode ("" when none). */
int chaos_force_decision(const struct chaos_stack *s, char *mode, size_t len);
/* Publishes a CRITICAL risk_alert (risk score 95) and waits up to 10 s
 * for the policy to hold BLACK_SWAN: 1 when it does. */
int chaos_to_black_swan(const struct chaos_stack *s);

/* Copies at most len-1 bytes of s with control and non-ASCII bytes as
 * '?', for outcome text. */
void chaos_printable(const char *s, char *out, size_t len);

#endif
