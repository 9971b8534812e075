/*
 * json_util.h - small helpers over jansson shared by every module:
 * ISO-8601 time formatting and parsing in the original system's formats, and
 * tolerant field readers that accept a number or a numeric string (the
 * original's "direct" stream entries carry every field as a string).
 */
#ifndef ORCH_JSON_UTIL_H
#define ORCH_JSON_UTIL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* "2025-12-24T10:15:30.123456" (UTC, no zone, microseconds), the original
 * EventBus timestamp format. buf must hold at least 27 bytes. */
void json_util_format_ts_us(int64_t epoch_us, char *buf, size_t len);
/* "2025-12-24T10:15:30.123Z", for logs and our own fields. buf >= 25 bytes. */
void json_util_format_ts_ms(int64_t epoch_ms, char *buf, size_t len);
/* Parses ISO-8601 date-times: "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS[.frac]"
 * with optional 'Z' or +HH:MM / -HH:MM offset (no zone = UTC; a space may
 * replace the 'T'). Returns 0 and *out_us, or ORCH_EINVAL. */
int json_util_parse_ts_us(const char *s, int64_t *out_us);

/* Reads obj[key] as a double: JSON number, or a string holding a finite
 * decimal number ("12.5", "-3e-2"; not "0x10", "inf" or "1,5"). Returns
 * 0, ORCH_ENOENT (absent or null) or ORCH_EINVAL. */
int json_util_get_double(const json_t *obj, const char *key, double *out);
/* Same for an integer (rejects fractions). */
int json_util_get_int64(const json_t *obj, const char *key, int64_t *out);
/* Reads a boolean: JSON true/false, or the strings "true"/"false"/"1"/"0"
 * (case-insensitive). Returns 0, ORCH_ENOENT or ORCH_EINVAL. */
int json_util_get_bool(const json_t *obj, const char *key, int *out);
/* Borrowed pointer to a string field, or NULL when absent/not a string. */
const char *json_util_get_str(const json_t *obj, const char *key);

/* The first of the NULL-terminated `keys` present in obj, read as by
 * json_util_get_double (a non-finite number counts as invalid): 0 with
 * its value, ORCH_ENOENT when none is present, ORCH_EMALFORMED when the
 * first present one is not a number, with "<key>: not a number" in why. */
int json_util_first_double(const json_t *obj, const char *const *keys, double *out, char *why, size_t whylen);
/* The first of `keys` holding a non-empty string (borrowed), or NULL. */
const char *json_util_first_str(const json_t *obj, const char *const *keys);

/* 1 when s[0..len) is well-formed UTF-8 (no overlong forms, surrogates or
 * code points past U+10FFFF). */
int json_util_is_utf8(const char *s, size_t len);
/* 1 when json_dumps can write v: every string and key well-formed UTF-8,
 * every real finite (jansson refuses both, and says only "failed"). */
int json_util_is_encodable(const json_t *v);
/* json_loadb for text Python's json.dumps wrote: its bare NaN, Infinity
 * and -Infinity (not JSON) read as null, a missing value. New reference,
 * or NULL with err set. */
json_t *json_util_loadb_python(const char *buf, size_t len, json_error_t *err);

#endif
