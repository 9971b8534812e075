/*
 * run_suite.h - the main() of every Check test program: runs one suite
 * (CK_RUN_SUITE / CK_RUN_CASE select parts of it) and turns failures into
 * the exit status. Header-only so benchmarks, which do not link Check, can
 * share tests/lib.
 */
#ifndef TEST_RUN_SUITE_H
#define TEST_RUN_SUITE_H

#include <check.h>
#include <stdlib.h>

static inline int run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
