/*
 * log.c - structured JSON log lines on stderr (see log.h). Each line is
 * built in a stack buffer and written with one write(2), so lines from
 * several threads never interleave.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "json_util.h"
#include "orch.h"

#define LOG_LINE_MAX 8192

static char log_service[64] = "orch";
static char log_instance[128] = "";
static enum log_level log_min = LOG_LEVEL_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_init(const char *service, const char *instance, enum log_level level)
{
	snprintf(log_service, sizeof(log_service), "%s", service ? service : "orch");
	snprintf(log_instance, sizeof(log_instance), "%s", instance ? instance : "");
	log_min = level;
}

int log_parse_level(const char *s, enum log_level *out)
{
	for (int i = 0; i < 4; i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = LOG_LEVEL_WARN;
		return 0;
	}
	return ORCH_EINVAL;
}

static int log_enabled(enum log_level level)
{
	return level >= log_min;
}

/* Appends s JSON-escaped; stops early (truncating the text) 64 bytes
 * before the end, so the closing keys and brace always fit. */
static void put_escaped(char *buf, size_t *n, size_t cap, const char *s)
{
	for (; *s && *n + 64 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			buf[(*n)++] = '\\';
			buf[(*n)++] = (char)c;
		} else if (c == '\n') {
			buf[(*n)++] = '\\';
			buf[(*n)++] = 'n';
		} else if (c < 0x20) {
			*n += (size_t)snprintf(buf + *n, cap - *n, "\\u%04x", c);
		} else {
			buf[(*n)++] = (char)c;
		}
	}
}

/* Appends a short literal; the 64-byte reserve above guarantees room. */
static void put_raw(char *buf, size_t *n, size_t cap, const char *s)
{
	size_t l = strlen(s);
	if (*n + l < cap) {
		memcpy(buf + *n, s, l);
		*n += l;
	}
}

void log_write(enum log_level level, const char *trace_id, const char *fmt, ...)
{
	if (!log_enabled(level))
		return;
	char msg[LOG_LINE_MAX / 2], ts[32], line[LOG_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	json_util_format_ts_ms((int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, ts, sizeof(ts));
	size_t n = 0;
	put_raw(line, &n, sizeof(line), "{\"ts\":\"");
	put_raw(line, &n, sizeof(line), ts);
	put_raw(line, &n, sizeof(line), "\",\"level\":\"");
	put_raw(line, &n, sizeof(line), level_names[level]);
	put_raw(line, &n, sizeof(line), "\",\"service\":\"");
	put_escaped(line, &n, sizeof(line), log_service);
	put_raw(line, &n, sizeof(line), "\",\"instance\":\"");
	put_escaped(line, &n, sizeof(line), log_instance);
	put_raw(line, &n, sizeof(line), "\",\"msg\":\"");
	put_escaped(line, &n, sizeof(line), msg);
	if (trace_id && trace_id[0]) {
		put_raw(line, &n, sizeof(line), "\",\"trace_id\":\"");
		put_escaped(line, &n, sizeof(line), trace_id);
	}
	put_raw(line, &n, sizeof(line), "\"}\n");
	ssize_t w = write(STDERR_FILENO, line, n);
	(void)w;
}
