/*
 * lease.c - leader election with fencing tokens (contract in lease.h).
 *
 * One timer drives everything: every ttl/3 (with jitter) a follower tries
 * to acquire and a leader renews; a follower told that the lease has less
 * than that left tries again just after it runs out, so a dead leader is
 * replaced within the ttl of its last renewal. Safety does not depend on
 * Redis answering: a leader keeps a local deadline of (send time of its
 * last successful acquire or renewal) + 0.9 x ttl and steps down when it
 * passes. Redis expires the key no earlier than send time + ttl, so the old
 * leader has always stepped down before anyone else can acquire.
 *
 * With replicas to wait for (ORCH_REDIS_WAIT_REPLICAS), an acquisition
 * counts, and a renewal moves the deadline, only once WAIT says enough
 * replicas have it: a master lost in a failover cannot take with it a lease
 * its successor does not know, so a promoted replica never admits a second
 * leader while the first still leads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "lease.h"
#include "log.h"
#include "metrics.h"
#include "orch.h"
#include "redis_conn.h"
#include "rng.h"

/* KEYS: lease, fence counter. ARGV: holder, ttl ms. Returns the new token,
 * or minus the ms the lease has left when another holder has it. A holder
 * that restarted takes its own lease over with a new token. */
static const char LUA_ACQUIRE[] = "local cur = redis.call('GET', KEYS[1])\n"
				  "if cur and string.match(cur, '^(.*)|%d+$') ~= ARGV[1] then\n"
				  "  local left = redis.call('PTTL', KEYS[1])\n"
				  "  if left < 0 then left = tonumber(ARGV[2]) end\n"
				  "  return -math.max(left, 1)\n"
				  "end\n"
				  "local t = redis.call('INCR', KEYS[2])\n"
				  "redis.call('SET', KEYS[1], ARGV[1] .. '|' .. t, 'PX', ARGV[2])\n"
				  "return t\n";

/* KEYS: lease. ARGV: "holder|token", ttl ms. 1 = renewed, 0 = not ours. */
static const char LUA_RENEW[] = "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
				"  redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
				"  return 1\n"
				"end\n"
				"return 0\n";

/* KEYS: lease. ARGV: "holder|token". */
static const char LUA_RELEASE[] =
	"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end\n"
	"return 0\n";

struct lease {
	uv_loop_t *loop;
	char key[256], fence_key[280], holder[160], value[200];
	int ttl_ms;
	struct redis_conn *conn;
	uv_timer_t tick, deadline;
	int leader, busy, closing, handles;
	uint64_t token;
	uint64_t pending_token; /* acquired, while its replication is awaited */
	int64_t sent_ms;        /* when the outstanding request was sent */
	lease_cb cb;
	void *data;
	struct metric *m_leader, *m_transitions, *m_not_durable;
};

static void lease_schedule(struct lease *l);
static void tick_cb(uv_timer_t *t);

static void lease_set(struct lease *l, int leader, uint64_t token, const char *why)
{
	if (leader == l->leader)
		return;
	l->leader = leader;
	l->token = leader ? token : 0;
	metrics_set(l->m_leader, leader);
	metrics_inc(l->m_transitions);
	if (leader) {
		snprintf(l->value, sizeof(l->value), "%s|%llu", l->holder, (unsigned long long)token);
		log_info("lease %s: acquired by %s with fencing token %llu",
			 l->key,
			 l->holder,
			 (unsigned long long)token);
	} else {
		uv_timer_stop(&l->deadline);
		if (l->closing)
			log_info("lease %s: released by %s", l->key, l->holder);
		else
			log_warn("lease %s: leadership lost (%s)", l->key, why);
	}
	if (l->cb && !l->closing)
		l->cb(leader, l->token, l->data);
}

static void deadline_cb(uv_timer_t *t)
{
	lease_set(t->data, 0, 0, "no renewal succeeded within the ttl");
}

/* Arms the local deadline from the send time of a successful request. */
static void lease_arm_deadline(struct lease *l)
{
	int64_t left = l->sent_ms + l->ttl_ms * 9 / 10 - clock_mono_ms();
	uv_timer_start(&l->deadline, deadline_cb, left > 0 ? (uint64_t)left : 0, 0);
}

/* Replicas that acknowledged, from a WAIT reply; -1 without one. */
static long long wait_acks(const redisReply *r)
{
	return r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
}

static void acquire_wait_reply(struct redis_conn *c, redisReply *r, void *priv)
{
	struct lease *l = priv;
	l->busy = 0;
	if (l->closing || l->leader)
		return;
	if (wait_acks(r) >= redis_conn_wait_replicas(c)) {
		lease_set(l, 1, l->pending_token, NULL);
		lease_arm_deadline(l);
	} else {
		metrics_inc(l->m_not_durable);
		log_warn("lease %s: taken on the master but not replicated in time; not leading on it", l->key);
	}
}

static void acquire_reply(struct redis_conn *c, redisReply *r, void *priv)
{
	struct lease *l = priv;
	l->busy = 0;
	if (l->closing)
		return;
	if (r && r->type == REDIS_REPLY_INTEGER && r->integer > 0 && !l->leader) {
		/* with replicas, lead only on a lease a failover cannot lose */
		if (redis_conn_wait_replicas(c) > 0) {
			l->pending_token = (uint64_t)r->integer;
			if (redis_conn_wait(c, redis_conn_wait_replicas(c), acquire_wait_reply, l) == 0)
				l->busy = 1;
			return;
		}
		lease_set(l, 1, (uint64_t)r->integer, NULL);
		lease_arm_deadline(l);
	} else if (r && r->type == REDIS_REPLY_INTEGER && r->integer < 0 && -r->integer < l->ttl_ms / 3) {
		/* try again as the holder's lease runs out, not a period later */
		uv_timer_start(&l->tick, tick_cb, (uint64_t)(-r->integer + 2), 0);
	} else if (r && r->type == REDIS_REPLY_ERROR) {
		log_warn("lease %s: acquire failed: %s", l->key, r->str);
	}
}

static void renew_wait_reply(struct redis_conn *c, redisReply *r, void *priv)
{
	struct lease *l = priv;
	l->busy = 0;
	if (l->closing || !l->leader)
		return;
	if (wait_acks(r) >= redis_conn_wait_replicas(c))
		lease_arm_deadline(l);
	else
		metrics_inc(l->m_not_durable); /* not extended: the deadline decides */
}

static void renew_reply(struct redis_conn *c, redisReply *r, void *priv)
{
	struct lease *l = priv;
	l->busy = 0;
	if (l->closing || !l->leader || !r)
		return; /* no reply: the deadline decides */
	if (r->type == REDIS_REPLY_INTEGER && r->integer == 1) {
		if (redis_conn_wait_replicas(c) > 0) {
			if (redis_conn_wait(c, redis_conn_wait_replicas(c), renew_wait_reply, l) == 0)
				l->busy = 1;
			return;
		}
		lease_arm_deadline(l);
	} else if (r->type == REDIS_REPLY_INTEGER) {
		lease_set(l, 0, 0, "the lease is held by someone else");
	}
}

static void tick_cb(uv_timer_t *t)
{
	struct lease *l = t->data;
	lease_schedule(l);
	if (l->busy || l->closing || !redis_conn_is_connected(l->conn))
		return;
	char ttl[16];
	snprintf(ttl, sizeof(ttl), "%d", l->ttl_ms);
	l->sent_ms = clock_mono_ms();
	int rc;
	if (l->leader) {
		const char *argv[] = {l->key, l->value, ttl};
		rc = redis_conn_eval(l->conn, renew_reply, l, LUA_RENEW, 1, 3, argv, NULL);
	} else {
		const char *argv[] = {l->key, l->fence_key, l->holder, ttl};
		rc = redis_conn_eval(l->conn, acquire_reply, l, LUA_ACQUIRE, 2, 4, argv, NULL);
	}
	l->busy = rc == 0;
}

static void lease_schedule(struct lease *l)
{
	int base = l->ttl_ms / 3;
	int jitter = (int)(rng_u64() % (uint64_t)(base / 5 + 1)) - base / 10;
	uv_timer_start(&l->tick, tick_cb, (uint64_t)(base + jitter), 0);
}

static void conn_state(struct redis_conn *c, int connected, void *data)
{
	struct lease *l = data;
	(void)c;
	l->busy = 0;
	if (connected && !l->closing)
		tick_cb(&l->tick);
}

int lease_key(char *buf, size_t len, const char *prefix, const char *role)
{
	int n = snprintf(buf, len, "%s:lease:%s", prefix, role);
	return n > 0 && (size_t)n < len ? 0 : ORCH_EINVAL;
}

int lease_parse(const char *value, char *holder, size_t holderlen, uint64_t *token)
{
	const char *bar = value ? strrchr(value, '|') : NULL;
	char *end;
	if (!bar || bar == value || (size_t)(bar - value) >= holderlen)
		return ORCH_EMALFORMED;
	errno = 0;
	unsigned long long t = strtoull(bar + 1, &end, 10);
	if (end == bar + 1 || *end || errno == ERANGE)
		return ORCH_EMALFORMED;
	snprintf(holder, holderlen, "%.*s", (int)(bar - value), value);
	if (token)
		*token = t;
	return 0;
}

int lease_new(struct lease **out, uv_loop_t *loop, const struct lease_config *cfg, const struct redis_target *target,
	      lease_cb cb, void *data)
{
	if (!cfg->role || !cfg->role[0] || !cfg->holder || !cfg->holder[0] || strchr(cfg->holder, '|'))
		return ORCH_EINVAL;
	struct lease *l = calloc(1, sizeof(*l));
	if (!l)
		return ORCH_ENOMEM;
	l->loop = loop;
	l->ttl_ms = cfg->ttl_ms > 0 ? cfg->ttl_ms : 10000;
	const char *prefix = cfg->prefix && cfg->prefix[0] ? cfg->prefix : "quantum";
	if (lease_key(l->key, sizeof(l->key), prefix, cfg->role) != 0) {
		free(l);
		return ORCH_EINVAL;
	}
	snprintf(l->fence_key, sizeof(l->fence_key), "%s:fence", l->key);
	snprintf(l->holder, sizeof(l->holder), "%s", cfg->holder);
	l->cb = cb;
	l->data = data;
	char labels[200], name[200];
	snprintf(labels, sizeof(labels), "role=\"%.100s\"", cfg->role);
	l->m_leader = metrics_gauge("orch_lease_leader", labels, "1 while this instance holds the lease");
	l->m_transitions = metrics_counter("orch_lease_transitions_total", labels, "Lease acquisitions and losses");
	l->m_not_durable = metrics_counter(
		"orch_lease_not_durable_total", labels, "Lease acquisitions and renewals not replicated in time");
	snprintf(name, sizeof(name), "lease-%.100s", cfg->role);
	struct redis_conn_opts o = {.name = name, .on_state = conn_state, .data = l, .stall_timeout_ms = l->ttl_ms / 2};
	int rc = redis_conn_new(&l->conn, loop, target, &o);
	if (rc != 0) {
		free(l);
		return rc;
	}
	uv_timer_init(loop, &l->tick);
	uv_timer_init(loop, &l->deadline);
	l->tick.data = l->deadline.data = l;
	l->handles = 2;
	*out = l;
	return 0;
}

int lease_start(struct lease *l)
{
	lease_schedule(l);
	return redis_conn_start(l->conn);
}

int lease_is_leader(const struct lease *l, uint64_t *token)
{
	if (token)
		*token = l->leader ? l->token : 0;
	return l->leader;
}

int lease_check_ready(void *data, char *buf, size_t len)
{
	const struct lease *l = data;
	int up = redis_conn_is_connected(l->conn);
	if (l->leader)
		snprintf(buf, len, "leader, token %llu", (unsigned long long)l->token);
	else
		snprintf(buf, len, up ? "standby" : "Redis unreachable");
	return up;
}

static void lease_handle_closed(uv_handle_t *h)
{
	struct lease *l = h->data;
	if (--l->handles == 0)
		free(l);
}

static void lease_finish_close(struct lease *l)
{
	redis_conn_free(l->conn);
	uv_close((uv_handle_t *)&l->tick, lease_handle_closed);
	uv_close((uv_handle_t *)&l->deadline, lease_handle_closed);
}

static void release_reply(struct redis_conn *c, redisReply *r, void *priv)
{
	struct lease *l = priv;
	(void)c;
	(void)r;
	uv_timer_stop(&l->tick);
	lease_finish_close(l);
}

static void release_timeout(uv_timer_t *t)
{
	/* no answer in time: closing the connection fails the release, whose
	 * callback then finishes the close */
	struct lease *l = t->data;
	redis_conn_free(l->conn);
}

void lease_free(struct lease *l)
{
	if (!l || l->closing)
		return;
	l->closing = 1;
	int was_leader = l->leader;
	lease_set(l, 0, 0, NULL);
	uv_timer_stop(&l->tick);
	uv_timer_stop(&l->deadline);
	if (was_leader && redis_conn_is_connected(l->conn)) {
		const char *argv[] = {l->key, l->value};
		if (redis_conn_eval(l->conn, release_reply, l, LUA_RELEASE, 1, 2, argv, NULL) == 0) {
			uv_timer_start(&l->tick, release_timeout, 1000, 0);
			return;
		}
	}
	lease_finish_close(l);
}
