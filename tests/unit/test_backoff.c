/*
 * test_backoff.c - reconnect backoff: exponential from the minimum, capped
 * at the maximum, with jitter that never exceeds the nominal delay and
 * never drops below half of it.
 */
#include <check.h>
#include <stdlib.h>

#include "redis_conn.h"
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

int main(void)
{
	Suite *s = suite_create("backoff");
	TCase *tc = tcase_create("redis_conn_backoff_ms");
	tcase_add_test(tc, test_backoff_starts_at_minimum_and_doubles);
	tcase_add_test(tc, test_backoff_is_capped_at_maximum);
	tcase_add_test(tc, test_backoff_jitter_stays_between_half_and_full);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
