/*
 * test_envelope.c - the EventBus entry format: exactly the original
 * EventBus v2 fields and timestamp format on encode; payload and "direct"
 * entries on decode; malformed entries refused with a reason; UUIDv7 and
 * traceparent formats.
 */
#include <check.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "bus_envelope.h"
#include "orch.h"
#include "run_suite.h"

static int decode_kv(struct bus_event *ev, const char *type, const char *id, const char **kv, size_t n, char *why)
{
	size_t lens[32];
	for (size_t i = 0; i < 2 * n; i++)
		lens[i] = strlen(kv[i]);
	return bus_envelope_decode(ev, type, id, n, kv, lens, why, 256);
}

START_TEST(test_envelope_encodes_original_fields_in_order)
{
	json_t *pl = json_pack("{s:s, s:f}", "symbol", "BTCUSDT", "pnl", 1.5);
	struct bus_publish_meta meta = {.trace_id = "t-1", .correlation_id = "c-1", .time_us = 1766571330123456LL};
	struct bus_entry e;
	ck_assert_int_eq(bus_envelope_encode(&e, "trade.closed", "risk_officer", pl, &meta), 0);
	const char *want[] = {"event_type",
			      "payload",
			      "trace_id",
			      "correlation_id",
			      "timestamp",
			      "source",
			      "event_id",
			      "traceparent"};
	ck_assert_int_eq(e.nfields, 8);
	for (int i = 0; i < 8; i++)
		ck_assert(strncmp(e.argv[2 * i], want[i], e.lens[2 * i]) == 0 && strlen(want[i]) == e.lens[2 * i]);
	ck_assert(strncmp(e.argv[1], "trade.closed", e.lens[1]) == 0);
	ck_assert(strncmp(e.argv[3], "{\"symbol\":\"BTCUSDT\",\"pnl\":1.5}", e.lens[3]) == 0);
	ck_assert(strncmp(e.argv[5], "t-1", e.lens[5]) == 0);
	/* the original's format: UTC, no zone, microseconds */
	ck_assert_int_eq(e.lens[9], 26);
	ck_assert(strncmp(e.argv[9], "2025-12-24T10:15:30.123456", 26) == 0);
	ck_assert(strncmp(e.argv[11], "risk_officer", e.lens[11]) == 0);
	ck_assert_int_eq(e.lens[13], 36);
	bus_envelope_free_entry(&e);
	json_decref(pl);
}
END_TEST

START_TEST(test_envelope_round_trip)
{
	json_t *pl = json_pack("{s:s, s:[i,i], s:{s:b}}", "a", "x", "b", 1, 2, "c", "d", 1);
	struct bus_entry e;
	ck_assert_int_eq(bus_envelope_encode(&e, "risk_alert", "ceo", pl, NULL), 0);
	struct bus_event ev;
	char why[256];
	ck_assert_int_eq(
		bus_envelope_decode(
			&ev, "risk_alert", "1766571330123-0", (size_t)e.nfields, e.argv, e.lens, why, sizeof(why)),
		0);
	ck_assert(json_equal(ev.payload, pl));
	ck_assert_str_eq(ev.event_type, "risk_alert");
	ck_assert_str_eq(ev.source, "ceo");
	ck_assert_str_eq(ev.event_id, e.event_id);
	ck_assert_int_eq(ev.direct, 0);
	ck_assert_int_gt(ev.time_us, 0);
	bus_event_release(&ev);
	bus_envelope_free_entry(&e);
	json_decref(pl);
}
END_TEST

START_TEST(test_envelope_decodes_direct_trade_closed_entry)
{
	/* as backend/microservices/auto_executor writes it: flat fields */
	const char *kv[] = {"event_type",
			    "trade.closed",
			    "symbol",
			    "ETHUSDT",
			    "side",
			    "SHORT",
			    "exit_price",
			    "2310.4",
			    "pnl_percent",
			    "-1.25",
			    "confidence",
			    "0.61",
			    "timestamp",
			    "2025-12-24T10:15:30.5",
			    "model",
			    "ensemble",
			    "leverage",
			    "3"};
	struct bus_event ev;
	char why[256];
	ck_assert_int_eq(decode_kv(&ev, "trade.closed", "1766571330500-3", kv, 9, why), 0);
	ck_assert_int_eq(ev.direct, 1);
	ck_assert_str_eq(json_string_value(json_object_get(ev.payload, "symbol")), "ETHUSDT");
	ck_assert_str_eq(json_string_value(json_object_get(ev.payload, "pnl_percent")), "-1.25");
	ck_assert_str_eq(json_string_value(json_object_get(ev.payload, "leverage")), "3");
	ck_assert_ptr_null(json_object_get(ev.payload, "event_type"));
	ck_assert_str_eq(ev.event_type, "trade.closed");
	ck_assert_int_eq(ev.time_us, 1766571330500000LL);
	/* no event_id: the stream position stands in, so dedupe still works */
	ck_assert_str_eq(ev.event_id, "trade.closed:1766571330500-3");
	bus_event_release(&ev);
}
END_TEST

START_TEST(test_envelope_rejects_payload_that_is_not_json)
{
	const char *kv[] = {"event_type", "risk_alert", "payload", "{not json"};
	struct bus_event ev;
	char why[256];
	ck_assert_int_eq(decode_kv(&ev, "risk_alert", "1-0", kv, 2, why), ORCH_EMALFORMED);
	ck_assert(strstr(why, "payload is not valid JSON") != NULL);
}
END_TEST

START_TEST(test_envelope_rejects_payload_that_is_not_an_object)
{
	const char *kv[] = {"event_type", "risk_alert", "payload", "[1,2]"};
	struct bus_event ev;
	char why[256];
	ck_assert_int_eq(decode_kv(&ev, "risk_alert", "1-0", kv, 2, why), ORCH_EMALFORMED);
	ck_assert_str_eq(why, "payload is not a JSON object");
}
END_TEST

START_TEST(test_envelope_bad_timestamp_falls_back_to_entry_time)
{
	const char *kv[] = {"event_type", "x", "payload", "{}", "timestamp", "yesterday"};
	struct bus_event ev;
	char why[256];
	ck_assert_int_eq(decode_kv(&ev, "x", "1700000000123-0", kv, 3, why), 0);
	ck_assert_int_eq(ev.time_us, 1700000000123000LL);
	ck_assert_str_eq(ev.timestamp, "yesterday");
	bus_event_release(&ev);
}
END_TEST

/* Invalid UTF-8 in a flat entry used to pass and silence a service later
 * (its name went into every payload, which jansson then refused). */
START_TEST(test_envelope_refuses_invalid_utf8_issue_18)
{
	struct bus_event ev;
	char why[256];
	const char *flat[] = {"event_type", "meta.regime", "regime", "BU\xffLL", "confidence", "0.7"};
	ck_assert_int_eq(decode_kv(&ev, "meta.regime", "1-0", flat, 3, why), ORCH_EMALFORMED);
	ck_assert_str_eq(why, "field regime is not valid UTF-8");
	const char *name[] = {"event_type", "trade.closed", "strat\xc3", "x"};
	ck_assert_int_eq(decode_kv(&ev, "trade.closed", "1-0", name, 2, why), ORCH_EMALFORMED);
	ck_assert_str_eq(why, "field (name) is not valid UTF-8");
	const char *env[] = {"event_type", "ceo_command", "payload", "{}", "source", "op\xc0\xaf"};
	ck_assert_int_eq(decode_kv(&ev, "ceo_command", "1-0", env, 3, why), ORCH_EMALFORMED);
	ck_assert_str_eq(why, "field source is not valid UTF-8");
	const char *ok[] = {"event_type", "meta.regime", "regime", "BULL \xe2\x86\x91"};
	ck_assert_int_eq(decode_kv(&ev, "meta.regime", "1-0", ok, 2, why), 0);
	bus_event_release(&ev);
}
END_TEST

/* Python's json.dumps writes bare NaN; the original's producers send it. */
/* A payload JSON cannot carry is named as such, not as out of memory. */
START_TEST(test_envelope_encoding_failure_says_what_it_is_issue_18)
{
	struct bus_entry e;
	json_t *p = json_pack("{s:s}", "strategy", "trend");
	json_object_set_new(p, "regime", json_string_nocheck("bad \xff"));
	ck_assert_int_eq(bus_envelope_encode(&e, "ceo_decision", "ceo", p, NULL), ORCH_EENCODE);
	ck_assert_ptr_nonnull(strstr(orch_strerror(ORCH_EENCODE), "UTF-8"));
	json_object_set_new(p, "regime", json_string("trending"));
	ck_assert_int_eq(bus_envelope_encode(&e, "ceo_decision", "ceo", p, NULL), 0);
	bus_envelope_free_entry(&e);
	json_decref(p);
}
END_TEST

START_TEST(test_envelope_reads_python_nan_as_missing_issue_15)
{
	const char *kv[] = {"event_type",
			    "portfolio.snapshot_updated",
			    "payload",
			    "{\"total_equity\": 1000.0, \"daily_drawdown_pct\": NaN, \"x\": -Infinity}"};
	struct bus_event ev;
	char why[256];
	ck_assert_int_eq(decode_kv(&ev, "portfolio.snapshot_updated", "1-0", kv, 2, why), 0);
	ck_assert(json_is_null(json_object_get(ev.payload, "daily_drawdown_pct")));
	ck_assert(json_is_null(json_object_get(ev.payload, "x")));
	ck_assert(json_number_value(json_object_get(ev.payload, "total_equity")) == 1000.0);
	bus_event_release(&ev);
}
END_TEST

/* The original's EventBus writes a fresh UUID4 when it is given none. */
START_TEST(test_envelope_correlation_id_is_a_uuid4_issue_15)
{
	json_t *pl = json_object();
	struct bus_entry a, b;
	ck_assert_int_eq(bus_envelope_encode(&a, "x", "s", pl, NULL), 0);
	ck_assert_int_eq(bus_envelope_encode(&b, "x", "s", pl, NULL), 0);
	ck_assert_int_eq(a.lens[7], 36);
	char id[40];
	snprintf(id, sizeof(id), "%.*s", (int)a.lens[7], a.argv[7]);
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			ck_assert_int_eq(id[i], '-');
		else
			ck_assert(isxdigit((unsigned char)id[i]) && !isupper((unsigned char)id[i]));
	}
	ck_assert_int_eq(id[14], '4');
	ck_assert(strchr("89ab", id[19]) != NULL);
	ck_assert(memcmp(a.argv[7], b.argv[7], 36) != 0);
	bus_envelope_free_entry(&a);
	bus_envelope_free_entry(&b);
	json_decref(pl);
}
END_TEST

START_TEST(test_envelope_uuid7_format_and_order)
{
	char prev[37] = "", cur[37];
	for (int i = 0; i < 10000; i++) {
		bus_uuid7(1766571330123LL, cur);
		ck_assert_int_eq(strlen(cur), 36);
		ck_assert(cur[8] == '-' && cur[13] == '-' && cur[18] == '-' && cur[23] == '-');
		ck_assert_int_eq(cur[14], '7');
		ck_assert(strchr("89ab", cur[19]) != NULL);
		ck_assert_int_gt(strcmp(cur, prev), 0);
		memcpy(prev, cur, sizeof(cur));
	}
	/* the first 48 bits carry the milliseconds (a later ms than above) */
	bus_uuid7(0x1F23456789ABLL, cur);
	ck_assert(strncmp(cur, "1f234567-89ab-7", 15) == 0);
}
END_TEST

START_TEST(test_envelope_traceparent_format)
{
	char tp[64];
	bus_traceparent_new(tp);
	ck_assert_int_eq(strlen(tp), 55);
	ck_assert(strncmp(tp, "00-", 3) == 0 && tp[35] == '-' && strcmp(tp + 52, "-01") == 0);
	for (int i = 3; i < 52; i++)
		ck_assert(i == 35 || isxdigit((unsigned char)tp[i]));
	ck_assert(strncmp(tp + 3, "00000000000000000000000000000000", 32) != 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("envelope");
	TCase *tc = tcase_create("wire_format");
	tcase_add_test(tc, test_envelope_encodes_original_fields_in_order);
	tcase_add_test(tc, test_envelope_round_trip);
	tcase_add_test(tc, test_envelope_decodes_direct_trade_closed_entry);
	tcase_add_test(tc, test_envelope_rejects_payload_that_is_not_json);
	tcase_add_test(tc, test_envelope_rejects_payload_that_is_not_an_object);
	tcase_add_test(tc, test_envelope_bad_timestamp_falls_back_to_entry_time);
	tcase_add_test(tc, test_envelope_uuid7_format_and_order);
	tcase_add_test(tc, test_envelope_refuses_invalid_utf8_issue_18);
	tcase_add_test(tc, test_envelope_encoding_failure_says_what_it_is_issue_18);
	tcase_add_test(tc, test_envelope_reads_python_nan_as_missing_issue_15);
	tcase_add_test(tc, test_envelope_correlation_id_is_a_uuid4_issue_15);
	tcase_add_test(tc, test_envelope_traceparent_format);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
