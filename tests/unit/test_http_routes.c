/*
 * test_http_routes.c - issue 18: the Federation's route tables, on the API
 * port and the legacy ports, let no request change state without the
 * token. Every route other than GET needs it, save the live gate's
 * evaluations, which read the state and answer (docs/live-gate.md); a
 * write route added without the token fails here.
 */
#include <check.h>
#include <string.h>

#include "http_internal.h"
#include "run_suite.h"

/* The routes that take a body yet change nothing: the gate's evaluations. */
static int is_read_only_evaluation(const struct api_route *r)
{
	return r->handler == api__gate_strategy_evaluate || r->handler == api__gate_risk_evaluate;
}

static void check_table(const struct api_table *t, int *writes)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct api_route *r = &t->routes[i];
		if (!strcmp(r->method, "GET"))
			continue;
		ck_assert_msg(r->auth || is_read_only_evaluation(r),
			      "%s %s changes state without the token",
			      r->method,
			      r->path);
		*writes += r->auth;
	}
}

START_TEST(test_http_routes__every_write_needs_the_token_issue_18)
{
	int writes = 0;
	check_table(&api_table_main, &writes);
	for (int i = 0; i < API_LEGACY_N; i++)
		check_table(&api_table_legacy[i], &writes);
	/* force-decision, the one write there is */
	ck_assert_int_eq(writes, 1);
	for (size_t i = 0; i < api_table_main.n; i++)
		if (strstr(api_table_main.routes[i].path, "force-decision"))
			ck_assert_int_eq(api_table_main.routes[i].auth, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http_routes");
	TCase *tc = tcase_create("auth");
	tcase_add_test(tc, test_http_routes__every_write_needs_the_token_issue_18);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
