/*
 * test_metrics.c - Prometheus text exposition: exact output for counters,
 * gauges and histograms, HELP/TYPE once per name across label sets,
 * lock-free updates from several threads, and refused invalid names.
 */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "run_suite.h"

static void setup(void)
{
	metrics_reset();
}

START_TEST(test_metrics_text_exposition)
{
	struct metric *c1 = metrics_counter("orch_events_total", "type=\"a\"", "Events seen");
	struct metric *c2 = metrics_counter("orch_events_total", "type=\"b\"", "Events seen");
	struct metric *g = metrics_gauge("orch_up", NULL, "Up\\flag");
	static const double bounds[] = {0.001, 0.01};
	struct metric *h = metrics_histogram("orch_lat_seconds", "op=\"x\"", "Latency", bounds, 2);
	metrics_inc(c1);
	metrics_add(c2, 2.5);
	metrics_set(g, 1);
	metrics_observe(h, 0.0005);
	metrics_observe(h, 0.005);
	metrics_observe(h, 2);
	char *text = metrics_render(NULL);
	const char *want = "# HELP orch_events_total Events seen\n"
			   "# TYPE orch_events_total counter\n"
			   "orch_events_total{type=\"a\"} 1\n"
			   "orch_events_total{type=\"b\"} 2.5\n"
			   "# HELP orch_up Up\\\\flag\n"
			   "# TYPE orch_up gauge\n"
			   "orch_up 1\n"
			   "# HELP orch_lat_seconds Latency\n"
			   "# TYPE orch_lat_seconds histogram\n"
			   "orch_lat_seconds_bucket{op=\"x\",le=\"0.001\"} 1\n"
			   "orch_lat_seconds_bucket{op=\"x\",le=\"0.01\"} 2\n"
			   "orch_lat_seconds_bucket{op=\"x\",le=\"+Inf\"} 3\n"
			   "orch_lat_seconds_sum{op=\"x\"} 2.0055000000000001\n"
			   "orch_lat_seconds_count{op=\"x\"} 3\n";
	ck_assert_str_eq(text, want);
	free(text);
}
END_TEST

START_TEST(test_metrics_same_name_and_labels_is_one_metric)
{
	struct metric *a = metrics_counter("orch_x_total", "k=\"v\"", "X");
	struct metric *b = metrics_counter("orch_x_total", "k=\"v\"", "X");
	ck_assert_ptr_eq(a, b);
	/* a different type under the same name and labels is refused */
	ck_assert_ptr_null(metrics_gauge("orch_x_total", "k=\"v\"", "X"));
}
END_TEST

START_TEST(test_metrics_invalid_names_and_labels_are_refused)
{
	ck_assert_ptr_null(metrics_counter("9bad", NULL, "x"));
	ck_assert_ptr_null(metrics_counter("bad-name", NULL, "x"));
	ck_assert_ptr_null(metrics_counter("ok_name", "k=v", "x"));
	ck_assert_ptr_null(metrics_counter("ok_name", "k=\"v\",", "x"));
	static const double desc[] = {1, 0.5};
	ck_assert_ptr_null(metrics_histogram("h", NULL, "x", desc, 2));
	/* NULL metrics are accepted by updates, so callers need no checks */
	metrics_inc(NULL);
	ck_assert(metrics_value(NULL) == 0);
}
END_TEST

static struct metric *shared;

static void *hammer(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100000; i++)
		metrics_inc(shared);
	return NULL;
}

START_TEST(test_metrics_concurrent_increments_are_not_lost)
{
	shared = metrics_counter("orch_concurrent_total", NULL, "x");
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, hammer, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ck_assert(metrics_value(shared) == 400000);
}
END_TEST

START_TEST(test_metrics_counter_never_decreases)
{
	struct metric *c = metrics_counter("orch_mono_total", NULL, "x");
	metrics_add(c, 5);
	metrics_add(c, -3);
	metrics_set(c, 0);
	ck_assert(metrics_value(c) == 5);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("registry");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_metrics_text_exposition);
	tcase_add_test(tc, test_metrics_same_name_and_labels_is_one_metric);
	tcase_add_test(tc, test_metrics_invalid_names_and_labels_are_refused);
	tcase_add_test(tc, test_metrics_concurrent_increments_are_not_lost);
	tcase_add_test(tc, test_metrics_counter_never_decreases);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
