/*
 * log.h - structured JSON logs to stderr, one object per line:
 *   {"ts":"2026-11-24T10:15:30.123Z","level":"info","service":"ceo",
 *    "instance":"ceo-0","msg":"...","trace_id":"..."}
 * log_init() is called once by the service runtime before any thread starts.
 * Thread-safe: each line is formatted into a local buffer and written with a
 * single write(2).
 */
#ifndef ORCH_LOG_H
#define ORCH_LOG_H

enum log_level { LOG_LEVEL_DEBUG = 0, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

void log_init(const char *service, const char *instance, enum log_level level);
/* Parses "debug" | "info" | "warn" | "error"; returns 0 or ORCH_EINVAL. */
int log_parse_level(const char *s, enum log_level *out);
/* trace_id may be NULL. msg is printf-style; the result is JSON-escaped. */
void log_write(enum log_level level, const char *trace_id, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_debug(...) log_write(LOG_LEVEL_DEBUG, NULL, __VA_ARGS__)
#define log_info(...)  log_write(LOG_LEVEL_INFO, NULL, __VA_ARGS__)
#define log_warn(...)  log_write(LOG_LEVEL_WARN, NULL, __VA_ARGS__)
#define log_error(...) log_write(LOG_LEVEL_ERROR, NULL, __VA_ARGS__)

#endif
