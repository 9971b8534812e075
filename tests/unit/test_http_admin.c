/*
 * test_http_admin.c - the admin port over real loopback HTTP: health,
 * readiness that follows the published snapshot, Prometheus metrics, and
 * JSON errors for unknown paths and wrong methods.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_admin.h"
#include "metrics.h"

static struct http_admin *h;

static void setup(void)
{
	char err[256];
	ck_assert_int_eq(http_admin_start(&h, "127.0.0.1", 0, err, sizeof(err)), 0);
	ck_assert_int_gt(http_admin_port(h), 0);
}

static void teardown(void)
{
	http_admin_stop(h);
}

/* Sends one request and returns the whole response (caller frees). */
static char *request(const char *method, const char *path)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)http_admin_port(h)),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	char req[512];
	int n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
			 method, path);
	ck_assert_int_eq(write(fd, req, (size_t)n), n);
	size_t cap = 65536, len = 0;
	char *buf = calloc(1, cap);
	ssize_t r;
	while ((r = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)r;
	close(fd);
	return buf;
}

static int status_of(const char *resp)
{
	return atoi(resp + strlen("HTTP/1.1 "));
}

static const char *body_of(const char *resp)
{
	const char *b = strstr(resp, "\r\n\r\n");
	return b ? b + 4 : "";
}

START_TEST(test_http_admin_healthz_is_ok)
{
	char *r = request("GET", "/healthz");
	ck_assert_int_eq(status_of(r), 200);
	ck_assert_str_eq(body_of(r), "{\"status\":\"ok\"}");
	ck_assert(strstr(r, "Content-Type: application/json") != NULL);
	free(r);
}
END_TEST

START_TEST(test_http_admin_readyz_follows_snapshot)
{
	char *r = request("GET", "/readyz");
	ck_assert_int_eq(status_of(r), 503);
	free(r);
	http_admin_set_ready(h, 1, "{\"status\":\"ready\",\"checks\":{\"redis\":{\"ok\":true}}}");
	r = request("GET", "/readyz");
	ck_assert_int_eq(status_of(r), 200);
	ck_assert_str_eq(body_of(r), "{\"status\":\"ready\",\"checks\":{\"redis\":{\"ok\":true}}}");
	free(r);
	http_admin_set_ready(h, 0, "{\"status\":\"not_ready\"}");
	r = request("GET", "/readyz");
	ck_assert_int_eq(status_of(r), 503);
	ck_assert_str_eq(body_of(r), "{\"status\":\"not_ready\"}");
	free(r);
}
END_TEST

START_TEST(test_http_admin_metrics_renders_registered_counter)
{
	struct metric *m = metrics_counter("orch_test_requests_total", "kind=\"admin\"", "Test counter");
	metrics_add(m, 3);
	char *r = request("GET", "/metrics");
	ck_assert_int_eq(status_of(r), 200);
	ck_assert(strstr(r, "text/plain; version=0.0.4") != NULL);
	ck_assert(strstr(body_of(r), "# TYPE orch_test_requests_total counter\n") != NULL);
	ck_assert(strstr(body_of(r), "orch_test_requests_total{kind=\"admin\"} 3\n") != NULL);
	free(r);
}
END_TEST

START_TEST(test_http_admin_unknown_path_is_json_404)
{
	char *r = request("GET", "/nope");
	ck_assert_int_eq(status_of(r), 404);
	ck_assert(strstr(body_of(r), "\"status\":\"error\"") != NULL);
	ck_assert(strstr(body_of(r), "\"code\":\"not_found\"") != NULL);
	free(r);
}
END_TEST

START_TEST(test_http_admin_wrong_method_is_405_with_allow)
{
	char *r = request("POST", "/healthz");
	ck_assert_int_eq(status_of(r), 405);
	ck_assert(strstr(r, "Allow: GET, HEAD") != NULL);
	ck_assert(strstr(body_of(r), "\"code\":\"method_not_allowed\"") != NULL);
	free(r);
}
END_TEST

START_TEST(test_http_admin_refuses_bad_bind_address)
{
	struct http_admin *other;
	char err[256];
	ck_assert_int_ne(http_admin_start(&other, "localhost:80", 0, err, sizeof(err)), 0);
	ck_assert(strstr(err, "ORCH_ADMIN_BIND") != NULL);
	ck_assert_int_ne(http_admin_start(&other, "127.0.0.1", http_admin_port(h), err, sizeof(err)), 0);
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
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
