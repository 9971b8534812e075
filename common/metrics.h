/*
 * metrics.h - process-wide Prometheus metrics: counters, gauges, histograms.
 *
 * Metrics are registered once (usually at start, on the loop thread) and
 * updated lock-free with atomics from any thread; metrics_render() produces
 * the text exposition format for /metrics. A metric is identified by name
 * plus an optional label set written in Prometheus syntax without braces,
 * e.g. metrics_counter("orch_bus_published_total", "event_type=\"trade.closed\"",
 * "Events published"). Registering the same name+labels twice returns the
 * same metric. Metric objects live until metrics_reset() (tests) or exit.
 */
#ifndef ORCH_METRICS_H
#define ORCH_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct metric;

/* Return NULL only on allocation failure or when name/labels are invalid
 * (name must match [a-zA-Z_:][a-zA-Z0-9_:]*). Callers may pass the NULL on:
 * every update function ignores a NULL metric. */
struct metric *metrics_counter(const char *name, const char *labels, const char *help);
struct metric *metrics_gauge(const char *name, const char *labels, const char *help);
/* bounds: ascending upper bounds (+Inf is implicit), n_bounds <= 32. */
struct metric *metrics_histogram(const char *name, const char *labels, const char *help, const double *bounds,
				 size_t n_bounds);

void metrics_inc(struct metric *m);               /* counter += 1 */
void metrics_add(struct metric *m, double v);     /* counter += v (v >= 0) or gauge += v */
void metrics_set(struct metric *m, double v);     /* gauge = v */
void metrics_observe(struct metric *m, double v); /* histogram sample */
double metrics_value(const struct metric *m);     /* counter/gauge value, histogram count */

/* Renders every metric as Prometheus text (HELP and TYPE once per name).
 * Returns a malloc'd NUL-terminated string the caller frees, or NULL. */
char *metrics_render(size_t *len);
/* Drops every metric (unit tests only; no update may run concurrently). */
void metrics_reset(void);

#endif
