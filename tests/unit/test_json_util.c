/*
 * test_json_util.c - ISO-8601 formatting and parsing in the original
 * system's formats, and the tolerant number/bool readers used for flat
 * "direct" stream entries.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "orch.h"
#include "run_suite.h"

START_TEST(test_json_util_formats_original_timestamp)
{
	char buf[40];
	json_util_format_ts_us(1766571330123456LL, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2025-12-24T10:15:30.123456");
	json_util_format_ts_us(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1970-01-01T00:00:00.000000");
	json_util_format_ts_ms(951782400000LL, buf, sizeof(buf)); /* leap day 2000 */
	ck_assert_str_eq(buf, "2000-02-29T00:00:00.000Z");
}
END_TEST

START_TEST(test_json_util_parses_iso_variants)
{
	int64_t us;
	ck_assert_int_eq(json_util_parse_ts_us("2025-12-24T10:15:30.123456", &us), 0);
	ck_assert_int_eq(us, 1766571330123456LL);
	ck_assert_int_eq(json_util_parse_ts_us("2025-12-24T10:15:30", &us), 0);
	ck_assert_int_eq(us, 1766571330000000LL);
	ck_assert_int_eq(json_util_parse_ts_us("2025-12-24 10:15:30.5Z", &us), 0);
	ck_assert_int_eq(us, 1766571330500000LL);
	ck_assert_int_eq(json_util_parse_ts_us("2025-12-24T12:15:30+02:00", &us), 0);
	ck_assert_int_eq(us, 1766571330000000LL);
	ck_assert_int_eq(json_util_parse_ts_us("2025-12-24T05:15:30.123456789-05:00", &us), 0);
	ck_assert_int_eq(us, 1766571330123456LL);
	ck_assert_int_eq(json_util_parse_ts_us("1991-07-01", &us), 0);
	ck_assert_int_eq(us, 678326400000000LL);
}
END_TEST

START_TEST(test_json_util_rejects_bad_timestamps)
{
	int64_t us;
	const char *bad[] = {"",
			     "2025-13-01",
			     "2025-12-24T25:00:00",
			     "2025-12-24T10:15:30.",
			     "2025/12/24",
			     "2025-12-24T10:15:30 junk",
			     "2025-12-24T10:15:30.1234567890",
			     "yesterday"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(json_util_parse_ts_us(bad[i], &us) == ORCH_EINVAL, "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(test_json_util_round_trip_many_times)
{
	for (int64_t us = -86400000000LL * 400; us < 86400000000LL * 40000; us += 86399999937LL) {
		char buf[40];
		int64_t back;
		json_util_format_ts_us(us, buf, sizeof(buf));
		ck_assert_int_eq(json_util_parse_ts_us(buf, &back), 0);
		ck_assert_int_eq(back, us);
	}
}
END_TEST

START_TEST(test_json_util_numeric_readers_accept_strings)
{
	json_t *o = json_pack("{s:s, s:f, s:i, s:s, s:s, s:n, s:s, s:b, s:s}",
			      "pct",
			      "2.5",
			      "real",
			      1.25,
			      "int",
			      7,
			      "bad",
			      "2.5x",
			      "inf",
			      "inf",
			      "null",
			      "i_str",
			      "12",
			      "flag",
			      1,
			      "flag_s",
			      "FALSE");
	double d;
	int64_t i;
	int b;
	ck_assert_int_eq(json_util_get_double(o, "pct", &d), 0);
	ck_assert(d == 2.5);
	ck_assert_int_eq(json_util_get_double(o, "real", &d), 0);
	ck_assert(d == 1.25);
	ck_assert_int_eq(json_util_get_double(o, "bad", &d), ORCH_EINVAL);
	ck_assert_int_eq(json_util_get_double(o, "inf", &d), ORCH_EINVAL);
	ck_assert_int_eq(json_util_get_double(o, "null", &d), ORCH_ENOENT);
	ck_assert_int_eq(json_util_get_double(o, "absent", &d), ORCH_ENOENT);
	ck_assert_int_eq(json_util_get_int64(o, "int", &i), 0);
	ck_assert_int_eq(i, 7);
	ck_assert_int_eq(json_util_get_int64(o, "i_str", &i), 0);
	ck_assert_int_eq(i, 12);
	ck_assert_int_eq(json_util_get_int64(o, "pct", &i), ORCH_EINVAL);
	ck_assert_int_eq(json_util_get_bool(o, "flag", &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(json_util_get_bool(o, "flag_s", &b), 0);
	ck_assert_int_eq(b, 0);
	ck_assert_int_eq(json_util_get_bool(o, "pct", &b), ORCH_EINVAL);
	ck_assert_str_eq(json_util_get_str(o, "pct"), "2.5");
	ck_assert_ptr_null(json_util_get_str(o, "int"));
	json_decref(o);
}
END_TEST

START_TEST(test_json_util_numbers_in_strings_are_decimal_only_issue_18)
{
	static const char *const good[] = {"16", "-2.5", "+3", "1e-3", " 4.0 ", ".5", "5."};
	static const char *const bad[] = {"0x10", "0X1p4", "nan", "Infinity", "1,5", "", "-", "1e", "e5", "2 3"};
	double d;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		json_t *o = json_pack("{s:s}", "v", good[i]);
		ck_assert_msg(json_util_get_double(o, "v", &d) == 0, "'%s' refused", good[i]);
		json_decref(o);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *o = json_pack("{s:s}", "v", bad[i]);
		ck_assert_msg(json_util_get_double(o, "v", &d) == ORCH_EINVAL, "'%s' read as %g", bad[i], d);
		json_decref(o);
	}
}
END_TEST

START_TEST(test_json_util_utf8)
{
	ck_assert(json_util_is_utf8("plain", 5));
	ck_assert(json_util_is_utf8("\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 15));
	ck_assert(!json_util_is_utf8("\xff", 1));
	ck_assert(!json_util_is_utf8("\xc3", 1));             /* truncated */
	ck_assert(!json_util_is_utf8("\xc0\xaf", 2));         /* overlong '/' */
	ck_assert(!json_util_is_utf8("\xed\xa0\x80", 3));     /* a surrogate */
	ck_assert(!json_util_is_utf8("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
	ck_assert(!json_util_is_utf8("a\x80"
				     "b",
				     3));
}
END_TEST

START_TEST(test_json_util_reads_python_nan_and_infinity_as_null_issue_15)
{
	static const char text[] = "{\"a\": NaN, \"b\": Infinity, \"c\": -Infinity, \"d\": [1.5, NaN],"
				   " \"s\": \"NaN and \\\"Infinity\\\"\", \"n\": 2}";
	json_error_t err;
	json_t *j = json_util_loadb_python(text, sizeof(text) - 1, &err);
	ck_assert_msg(j != NULL, "%s", err.text);
	ck_assert(json_is_null(json_object_get(j, "a")));
	ck_assert(json_is_null(json_object_get(j, "b")));
	ck_assert(json_is_null(json_object_get(j, "c")));
	ck_assert(json_is_null(json_array_get(json_object_get(j, "d"), 1)));
	ck_assert_str_eq(json_string_value(json_object_get(j, "s")), "NaN and \"Infinity\"");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "n")), 2);
	double d;
	ck_assert_int_eq(json_util_get_double(j, "a", &d), ORCH_ENOENT); /* missing, not a number */
	json_decref(j);
	ck_assert_ptr_null(json_util_loadb_python("{\"a\": Nope}", 12, &err));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("json_util");
	TCase *tc = tcase_create("time_and_fields");
	tcase_add_test(tc, test_json_util_formats_original_timestamp);
	tcase_add_test(tc, test_json_util_parses_iso_variants);
	tcase_add_test(tc, test_json_util_rejects_bad_timestamps);
	tcase_add_test(tc, test_json_util_round_trip_many_times);
	tcase_add_test(tc, test_json_util_numeric_readers_accept_strings);
	tcase_add_test(tc, test_json_util_numbers_in_strings_are_decimal_only_issue_18);
	tcase_add_test(tc, test_json_util_utf8);
	tcase_add_test(tc, test_json_util_reads_python_nan_and_infinity_as_null_issue_15);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
