/*
 * test_lease.c - leader election against a real redis-server: two
 * contenders are never both leaders, a leader killed with SIGKILL is
 * replaced once its lease expires (with a higher fencing token), a leader
 * that loses Redis steps down on its own within the ttl, and a leader that
 * closes hands over at once.
 */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "lease.h"
#include "orch.h"
#include "run_suite.h"

#define TTL 600

static struct harness_redis srv;
static struct redis_target target;
static uv_loop_t loop;

static void setup(void)
{
	ck_assert_int_eq(harness_redis_start(&srv, 0), 0);
	harness_target(&srv, &target);
	uv_loop_init(&loop);
}

static void teardown(void)
{
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
	harness_redis_stop(&srv);
}

struct contender {
	struct lease *l;
	int acquired, lost;
	uint64_t token;
};

static void on_lease(int leader, uint64_t token, void *data)
{
	struct contender *c = data;
	if (leader) {
		c->acquired++;
		c->token = token;
	} else {
		c->lost++;
	}
}

static void contend(struct contender *c, uv_loop_t *lp, const char *holder)
{
	memset(c, 0, sizeof(*c));
	struct lease_config cfg = {.prefix = "t", .role = "ceo", .holder = holder, .ttl_ms = TTL};
	ck_assert_int_eq(lease_new(&c->l, lp, &cfg, &target, on_lease, c), 0);
	ck_assert_int_eq(lease_start(c->l), 0);
}

static int is_leader(void *arg)
{
	return lease_is_leader(((struct contender *)arg)->l, NULL);
}

static int is_follower(void *arg)
{
	return !lease_is_leader(((struct contender *)arg)->l, NULL);
}

struct pair {
	struct contender *a, *b;
	int both, samples;
};

static void sample(uv_timer_t *t)
{
	struct pair *p = t->data;
	p->samples++;
	if (lease_is_leader(p->a->l, NULL) && lease_is_leader(p->b->l, NULL))
		p->both++;
}

static void run_ms(int ms)
{
	uv_update_time(&loop);
	uint64_t end = uv_now(&loop) + (uint64_t)ms;
	while (uv_now(&loop) < end)
		uv_run(&loop, UV_RUN_ONCE);
}

START_TEST(test_lease_two_contenders_never_both_lead)
{
	struct contender a, b;
	contend(&a, &loop, "ceo-a");
	contend(&b, &loop, "ceo-b");
	struct pair p = {&a, &b, 0, 0};
	uv_timer_t t;
	uv_timer_init(&loop, &t);
	t.data = &p;
	uv_timer_start(&t, sample, 5, 5);
	run_ms(3000);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&loop, UV_RUN_NOWAIT); /* t lives on this stack frame */
	ck_assert_int_gt(p.samples, 100);
	ck_assert_int_eq(p.both, 0);
	ck_assert_int_eq(lease_is_leader(a.l, NULL) + lease_is_leader(b.l, NULL), 1);
	/* a steady leader keeps its lease: one acquisition in all */
	ck_assert_int_eq(a.acquired + b.acquired, 1);
	lease_free(a.l);
	lease_free(b.l);
}
END_TEST

static char *lease_value(void)
{
	redisContext *c = harness_redis_sync(&srv);
	redisReply *r = redisCommand(c, "GET t:lease:ceo");
	char *v = r && r->type == REDIS_REPLY_STRING ? strdup(r->str) : NULL;
	if (r)
		freeReplyObject(r);
	redisFree(c);
	return v;
}

START_TEST(test_lease_taken_over_after_leader_killed)
{
	pid_t child = fork();
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		uv_loop_t cl;
		uv_loop_init(&cl);
		struct contender c;
		contend(&c, &cl, "ceo-child");
		uv_run(&cl, UV_RUN_DEFAULT);
		_exit(0);
	}
	char *v = NULL;
	for (int i = 0; i < 500 && !v; i++) {
		usleep(10000);
		v = lease_value();
	}
	ck_assert_ptr_nonnull(v);
	ck_assert(strncmp(v, "ceo-child|", 10) == 0);
	uint64_t child_token = strtoull(v + 10, NULL, 10);
	free(v);

	struct contender me;
	contend(&me, &loop, "ceo-parent");
	/* while the child renews, the lease stays with it */
	run_ms(2 * TTL);
	ck_assert_int_eq(lease_is_leader(me.l, NULL), 0);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	int64_t killed = clock_mono_ms();
	ck_assert_int_eq(harness_loop_until(&loop, is_leader, &me, 10 * TTL), 0);
	int64_t took = clock_mono_ms() - killed;
	/* takeover waits for the lease to expire and no more than ttl + one try */
	ck_assert_int_le(took, 3 * TTL);
	ck_assert_uint_gt(me.token, child_token);
	v = lease_value();
	ck_assert(strncmp(v, "ceo-parent|", 11) == 0);
	free(v);
	lease_free(me.l);
}
END_TEST

START_TEST(test_lease_leader_steps_down_when_redis_is_lost)
{
	struct contender c;
	contend(&c, &loop, "ceo-a");
	ck_assert_int_eq(harness_loop_until(&loop, is_leader, &c, 5000), 0);
	harness_redis_kill(&srv, SIGKILL);
	int64_t lost_at = clock_mono_ms();
	ck_assert_int_eq(harness_loop_until(&loop, is_follower, &c, 5 * TTL), 0);
	/* the safety property, not a speed goal: it stepped down before the key
	 * it last renewed could have expired on the server */
	ck_assert_int_le(clock_mono_ms() - lost_at, TTL);
	ck_assert_int_eq(c.lost, 1);
	/* Redis back: leadership comes back, with a token of the new counter */
	ck_assert_int_eq(harness_redis_restart(&srv), 0);
	ck_assert_int_eq(harness_loop_until(&loop, is_leader, &c, 10000), 0);
	ck_assert_int_eq(c.acquired, 2);
	ck_assert_uint_ne(c.token, 0);
	lease_free(c.l);
}
END_TEST

START_TEST(test_lease_close_hands_over_at_once)
{
	struct contender a, b;
	contend(&a, &loop, "ceo-a");
	ck_assert_int_eq(harness_loop_until(&loop, is_leader, &a, 5000), 0);
	contend(&b, &loop, "ceo-b");
	run_ms(TTL);
	ck_assert_int_eq(lease_is_leader(b.l, NULL), 0);
	lease_free(a.l);
	/* released, not expired: b acquires on its next try, before a ttl */
	ck_assert_int_eq(harness_loop_until(&loop, is_leader, &b, TTL), 0);
	lease_free(b.l);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lease");
	TCase *tc = tcase_create("election");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_lease_two_contenders_never_both_lead);
	tcase_add_test(tc, test_lease_taken_over_after_leader_killed);
	tcase_add_test(tc, test_lease_leader_steps_down_when_redis_is_lost);
	tcase_add_test(tc, test_lease_close_hands_over_at_once);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
