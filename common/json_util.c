/*
 * json_util.c - ISO-8601 times in the original system's formats and
 * tolerant readers for fields that may arrive as numbers or as strings
 * (the original's "direct" stream entries carry every value as a string).
 * Times are converted with our own civil-date arithmetic, independent of
 * the TZ environment.
 */
#include "json_util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "orch.h"

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static void split_us(int64_t epoch_us, int *y, int *mo, int *d, int *h, int *mi, int *s, int64_t *frac_us)
{
	int64_t secs = epoch_us >= 0 ? epoch_us / 1000000 : -((-epoch_us + 999999) / 1000000);
	*frac_us = epoch_us - secs * 1000000;
	int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	int64_t rem = secs - days * 86400;
	civil_from_days(days, y, mo, d);
	*h = (int)(rem / 3600);
	*mi = (int)(rem % 3600 / 60);
	*s = (int)(rem % 60);
}

/* Writes v as exactly n decimal digits. */
static char *put_dec(char *p, int64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + n;
}

void json_util_format_ts_us(int64_t epoch_us, char *buf, size_t len)
{
	int y, mo, d, h, mi, s;
	int64_t f;
	split_us(epoch_us, &y, &mo, &d, &h, &mi, &s, &f);
	if (len < 27 || y < 0 || y > 9999) {
		/* outside the fixed-width fast path */
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06lld", y, mo, d, h, mi, s, (long long)f);
		return;
	}
	/* called for every published event: no snprintf */
	char *p = put_dec(buf, y, 4);
	*p++ = '-';
	p = put_dec(p, mo, 2);
	*p++ = '-';
	p = put_dec(p, d, 2);
	*p++ = 'T';
	p = put_dec(p, h, 2);
	*p++ = ':';
	p = put_dec(p, mi, 2);
	*p++ = ':';
	p = put_dec(p, s, 2);
	*p++ = '.';
	p = put_dec(p, f, 6);
	*p = 0;
}

void json_util_format_ts_ms(int64_t epoch_ms, char *buf, size_t len)
{
	int y, mo, d, h, mi, s;
	int64_t f;
	split_us(epoch_ms * 1000, &y, &mo, &d, &h, &mi, &s, &f);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", y, mo, d, h, mi, s, (long long)(f / 1000));
}

/* Reads exactly n digits at *p. */
static int digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return ORCH_EINVAL;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

int json_util_parse_ts_us(const char *s, int64_t *out_us)
{
	int y, mo, d, h = 0, mi = 0, sec = 0;
	int64_t frac = 0, offset_s = 0;
	const char *p = s;
	if (!s || digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d))
		return ORCH_EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return ORCH_EINVAL;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return ORCH_EINVAL;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec))
				return ORCH_EINVAL;
			if (*p == '.' || *p == ',') {
				p++;
				int n = 0;
				int64_t scale = 100000;
				while (isdigit((unsigned char)*p)) {
					if (n < 6) {
						frac += (*p - '0') * scale;
						scale /= 10;
					}
					p++;
					if (++n > 9)
						return ORCH_EINVAL;
				}
				if (n == 0)
					return ORCH_EINVAL;
			}
		}
		if (h > 23 || mi > 59 || sec > 60)
			return ORCH_EINVAL;
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
			if (digits(&p, 2, &oh))
				return ORCH_EINVAL;
			if (*p == ':')
				p++;
			if (*p && digits(&p, 2, &om))
				return ORCH_EINVAL;
			if (oh > 23 || om > 59)
				return ORCH_EINVAL;
			offset_s = sign * (oh * 3600 + om * 60);
		}
	}
	if (*p)
		return ORCH_EINVAL;
	int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_s;
	*out_us = secs * 1000000 + frac;
	return 0;
}

/* A decimal number as Python's float() and JSON write it: optional
 * blanks, sign, digits with an optional fraction, optional exponent. */
static int is_decimal(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '+' || *s == '-')
		s++;
	int digits = 0;
	for (; isdigit((unsigned char)*s); s++)
		digits++;
	if (*s == '.')
		for (s++; isdigit((unsigned char)*s); s++)
			digits++;
	if (!digits)
		return 0;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
	}
	while (isspace((unsigned char)*s))
		s++;
	return *s == '\0';
}

int json_util_get_double(const json_t *obj, const char *key, double *out)
{
	const json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return ORCH_ENOENT;
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return ORCH_EINVAL;
	const char *s = json_string_value(v);
	if (!is_decimal(s))
		return ORCH_EINVAL; /* "0x10", "inf", "1,5": not what a producer meant as a number */
	char *end;
	errno = 0;
	double d = strtod(s, &end);
	while (isspace((unsigned char)*end))
		end++;
	if (end == s || *end || errno == ERANGE || !isfinite(d))
		return ORCH_EINVAL;
	*out = d;
	return 0;
}

int json_util_get_int64(const json_t *obj, const char *key, int64_t *out)
{
	const json_t *v = json_object_get(obj, key);
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	double d;
	int rc = json_util_get_double(obj, key, &d);
	if (rc != 0)
		return rc;
	if (d != floor(d) || d < -9.2e18 || d > 9.2e18)
		return ORCH_EINVAL;
	*out = (int64_t)d;
	return 0;
}

int json_util_get_bool(const json_t *obj, const char *key, int *out)
{
	const json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return ORCH_ENOENT;
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 0;
	}
	const char *s = json_string_value(v);
	if (s && (!strcasecmp(s, "true") || !strcmp(s, "1")))
		*out = 1;
	else if (s && (!strcasecmp(s, "false") || !strcmp(s, "0")))
		*out = 0;
	else
		return ORCH_EINVAL;
	return 0;
}

const char *json_util_get_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

int json_util_first_double(const json_t *obj, const char *const *keys, double *out, char *why, size_t whylen)
{
	for (; *keys; keys++) {
		int rc = json_util_get_double(obj, *keys, out);
		if (rc == ORCH_ENOENT)
			continue;
		if (rc != 0 || !isfinite(*out)) {
			snprintf(why, whylen, "%s: not a number", *keys);
			return ORCH_EMALFORMED;
		}
		return 0;
	}
	return ORCH_ENOENT;
}

const char *json_util_first_str(const json_t *obj, const char *const *keys)
{
	for (; *keys; keys++) {
		const char *s = json_util_get_str(obj, *keys);
		if (s && *s)
			return s;
	}
	return NULL;
}

int json_util_is_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		unsigned c = *p;
		size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
		if (!n || (size_t)(end - p) < n)
			return 0;
		uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
		for (size_t i = 1; i < n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		/* no overlong forms, no surrogates, nothing past U+10FFFF */
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
		    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
			return 0;
		p += n;
	}
	return 1;
}

json_t *json_util_loadb_python(const char *buf, size_t len, json_error_t *err)
{
	/* Python's json.dumps writes NaN, Infinity and -Infinity bare, outside
	 * strings; each becomes null (a missing value) */
	static const char *const bare[] = {"-Infinity", "Infinity", "NaN"};
	int found = 0, in_str = 0;
	for (size_t i = 0; i < len && !found; i++) {
		if (in_str)
			in_str = buf[i] == '\\' ? (i++, 1) : buf[i] != '"';
		else if (buf[i] == '"')
			in_str = 1;
		else
			found = buf[i] == 'N' || buf[i] == 'I';
	}
	if (!found)
		return json_loadb(buf, len, 0, err);
	char *copy = malloc(len + len / 3 + 8), *o = copy;
	if (!copy)
		return NULL;
	in_str = 0;
	for (size_t i = 0; i < len;) {
		if (in_str) {
			if (buf[i] == '\\' && i + 1 < len)
				*o++ = buf[i++];
			else if (buf[i] == '"')
				in_str = 0;
			*o++ = buf[i++];
			continue;
		}
		size_t k = 0;
		for (; k < 3; k++) {
			size_t n = strlen(bare[k]);
			if (len - i >= n && memcmp(buf + i, bare[k], n) == 0)
				break;
		}
		if (k < 3) {
			memcpy(o, "null", 4);
			o += 4;
			i += strlen(bare[k]);
			continue;
		}
		in_str = buf[i] == '"';
		*o++ = buf[i++];
	}
	json_t *j = json_loadb(copy, (size_t)(o - copy), 0, err);
	free(copy);
	return j;
}

int json_util_is_encodable(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_util_is_utf8(json_string_value(v), json_string_length(v));
	case JSON_REAL:
		return isfinite(json_real_value(v));
	case JSON_ARRAY:
		for (size_t i = 0; i < json_array_size(v); i++)
			if (!json_util_is_encodable(json_array_get(v, i)))
				return 0;
		return 1;
	case JSON_OBJECT:
		for (void *it = json_object_iter((json_t *)v); it; it = json_object_iter_next((json_t *)v, it)) {
			const char *key = json_object_iter_key(it);
			if (!json_util_is_utf8(key, strlen(key)) || !json_util_is_encodable(json_object_iter_value(it)))
				return 0;
		}
		return 1;
	default:
		return 1;
	}
}
