/*
 * test_http_admin.c - the admin port over real loopback HTTP: health,
 * readiness that follows the published snapshot, Prometheus metrics, and
 * JSON errors for unknown paths and wrong methods.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "http_admin.h"
#include "metrics.h"
#include "run_suite.h"

static struct http_admin *h;

static void setup(void)
{
	char err[256];
	ck_assert_int_eq(http_admin_new(&h, "127.0.0.1", 0, err, sizeof(err)), 0);
	ck_assert_int_gt(http_admin_port(h), 0);
}

static void teardown(void)
{
	http_admin_free(h);
}

static char *request(const char *method, const char *path)
{
	char *r = harness_http(http_admin_port(h), method, path);
	ck_assert_ptr_nonnull(r);
	return r;
}

START_TEST(test_http_admin_healthz_is_ok)
{
	char *r = request("GET", "/healthz");
	ck_assert_int_eq(harness_http_status(r), 200);
	ck_assert_str_eq(harness_http_body(r), "{\"status\":\"ok\"}");
	ck_assert(strstr(r, "Content-Type: application/json") != NULL);
	free(r);
}
END_TEST

START_TEST(test_http_admin_readyz_follows_snapshot)
{
	char *r = request("GET", "/readyz");
	ck_assert_int_eq(harness_http_status(r), 503);
	free(r);
	http_probes_set_ready(http_admin_probes(h), 1, "{\"status\":\"ready\",\"checks\":{\"redis\":{\"ok\":true}}}");
	r = request("GET", "/readyz");
	ck_assert_int_eq(harness_http_status(r), 200);
	ck_assert_str_eq(harness_http_body(r), "{\"status\":\"ready\",\"checks\":{\"redis\":{\"ok\":true}}}");
	free(r);
	http_probes_set_ready(http_admin_probes(h), 0, "{\"status\":\"not_ready\"}");
	r = request("GET", "/readyz");
	ck_assert_int_eq(harness_http_status(r), 503);
	ck_assert_str_eq(harness_http_body(r), "{\"status\":\"not_ready\"}");
	free(r);
}
END_TEST

START_TEST(test_http_admin_metrics_renders_registered_counter)
{
	struct metric *m = metrics_counter("orch_test_requests_total", "kind=\"admin\"", "Test counter");
	metrics_add(m, 3);
	char *r = request("GET", "/metrics");
	ck_assert_int_eq(harness_http_status(r), 200);
	ck_assert(strstr(r, "text/plain; version=0.0.4") != NULL);
	ck_assert(strstr(harness_http_body(r), "# TYPE orch_test_requests_total counter\n") != NULL);
	ck_assert(strstr(harness_http_body(r), "orch_test_requests_total{kind=\"admin\"} 3\n") != NULL);
	free(r);
}
END_TEST

START_TEST(test_http_admin_unknown_path_is_json_404)
{
	char *r = request("GET", "/nope");
	ck_assert_int_eq(harness_http_status(r), 404);
	ck_assert(strstr(harness_http_body(r), "\"status\":\"error\"") != NULL);
	ck_assert(strstr(harness_http_body(r), "\"code\":\"not_found\"") != NULL);
	free(r);
}
END_TEST

START_TEST(test_http_admin_wrong_method_is_405_with_allow)
{
	char *r = request("POST", "/healthz");
	ck_assert_int_eq(harness_http_status(r), 405);
	ck_assert(strstr(r, "Allow: GET, HEAD") != NULL);
	ck_assert(strstr(harness_http_body(r), "\"code\":\"method_not_allowed\"") != NULL);
	free(r);
}
END_TEST

START_TEST(test_http_admin_refuses_bad_bind_address)
{
	struct http_admin *other;
	char err[256];
	ck_assert_int_ne(http_admin_new(&other, "localhost:80", 0, err, sizeof(err)), 0);
	ck_assert(strstr(err, "ORCH_ADMIN_BIND") != NULL);
	ck_assert_int_ne(http_admin_new(&other, "127.0.0.1", http_admin_port(h), err, sizeof(err)), 0);
	ck_assert(strstr(err, "ORCH_ADMIN_PORT") != NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http_admin");
	TCase *tc = tcase_create("endpoints");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_http_admin_healthz_is_ok);
	tcase_add_test(tc, test_http_admin_readyz_follows_snapshot);
	tcase_add_test(tc, test_http_admin_metrics_renders_registered_counter);
	tcase_add_test(tc, test_http_admin_unknown_path_is_json_404);
	tcase_add_test(tc, test_http_admin_wrong_method_is_405_with_allow);
	tcase_add_test(tc, test_http_admin_refuses_bad_bind_address);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
