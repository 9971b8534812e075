/*
 * test_backoff.c - reconnect backoff: exponential from the minimum, capped
 * at the maximum, with jitter that never exceeds the nominal delay and
 * never drops below half of it; the jitter's source differs between two
 * processes started alike, so writers in conflict never back off in step.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "redis_conn.h"
#include "rng.h"
#include "run_suite.h"

START_TEST(test_backoff_starts_at_minimum_and_doubles)
{
	ck_assert_int_eq(redis_conn_backoff_ms(0, 100, 5000, 0.999999), 99);
	ck_assert_int_eq(redis_conn_backoff_ms(1, 100, 5000, 0.999999), 199);
	ck_assert_int_eq(redis_conn_backoff_ms(3, 100, 5000, 0.999999), 799);
}
END_TEST

START_TEST(test_backoff_is_capped_at_maximum)
{
	ck_assert_int_eq(redis_conn_backoff_ms(6, 100, 5000, 0.999999), 4999);
	ck_assert_int_eq(redis_conn_backoff_ms(1000, 100, 5000, 0.999999), 4999);
	ck_assert_int_eq(redis_conn_backoff_ms(1000, 100, 5000, 0.0), 2500);
}
END_TEST

START_TEST(test_backoff_jitter_stays_between_half_and_full)
{
	for (int attempt = 0; attempt < 12; attempt++) {
		for (int i = 0; i <= 100; i++) {
			double rnd = i / 101.0;
			int d = redis_conn_backoff_ms(attempt, 50, 3000, rnd);
			int nominal = 50 << (attempt < 6 ? attempt : 6);
			if (nominal > 3000)
				nominal = 3000;
			ck_assert_int_ge(d, nominal / 2);
			ck_assert_int_le(d, nominal);
		}
	}
}
END_TEST

/* The first draw of a fresh process, read through a pipe. */
static uint64_t first_draw_of_a_child(void)
{
	int fd[2];
	uint64_t v = 0;
	ck_assert_int_eq(pipe(fd), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		v = rng_u64();
		_exit(write(fd[1], &v, sizeof(v)) == (ssize_t)sizeof(v) ? 0 : 1);
	}
	close(fd[1]);
	ck_assert_int_eq(read(fd[0], &v, sizeof(v)), (ssize_t)sizeof(v));
	close(fd[0]);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return v;
}

START_TEST(test_jitter_differs_between_processes_issue_18)
{
	ck_assert(first_draw_of_a_child() != first_draw_of_a_child());
	double sum = 0;
	for (int i = 0; i < 10000; i++) {
		double u = rng_unit();
		ck_assert(u >= 0 && u < 1);
		sum += u;
	}
	ck_assert_double_eq_tol(sum / 10000, 0.5, 0.05);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("backoff");
	TCase *tc = tcase_create("redis_conn_backoff_ms");
	tcase_add_test(tc, test_backoff_starts_at_minimum_and_doubles);
	tcase_add_test(tc, test_backoff_is_capped_at_maximum);
	tcase_add_test(tc, test_backoff_jitter_stays_between_half_and_full);
	tcase_add_test(tc, test_jitter_differs_between_processes_issue_18);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
