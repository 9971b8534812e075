/*
 * metrics.c - the process-wide Prometheus registry (see metrics.h).
 *
 * Registration and rendering take a mutex; updates are lock-free: a value
 * is a double stored as its bit pattern in an atomic 64-bit word and
 * updated with compare-and-swap, so libuv and libmicrohttpd threads may
 * update and render concurrently.
 */
#include "metrics.h"

#include <ctype.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum metric_type { M_COUNTER, M_GAUGE, M_HISTOGRAM };

#define MAX_BOUNDS 32

struct metric {
	enum metric_type type;
	char *name, *labels, *help;
	_Atomic uint64_t value; /* double bits: counter/gauge value, histogram sum */
	size_t n_bounds;
	double bounds[MAX_BOUNDS];
	_Atomic uint64_t buckets[MAX_BOUNDS + 1]; /* non-cumulative; last = +Inf */
	_Atomic uint64_t count;
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct metric **reg;
static size_t reg_n, reg_cap;

static double bits_to_d(uint64_t b)
{
	double d;
	memcpy(&d, &b, sizeof(d));
	return d;
}

static uint64_t d_to_bits(double d)
{
	uint64_t b;
	memcpy(&b, &d, sizeof(b));
	return b;
}

static void atomic_add_double(_Atomic uint64_t *a, double v)
{
	uint64_t cur = atomic_load(a);
	while (!atomic_compare_exchange_weak(a, &cur, d_to_bits(bits_to_d(cur) + v)))
		;
}

static int name_ok(const char *n)
{
	if (!n || !(isalpha((unsigned char)*n) || *n == '_' || *n == ':'))
		return 0;
	for (; *n; n++)
		if (!(isalnum((unsigned char)*n) || *n == '_' || *n == ':'))
			return 0;
	return 1;
}

/* k="v"(,k="v")* with escaped quotes allowed inside values. */
static int labels_ok(const char *l)
{
	if (!l || !*l)
		return 1;
	const char *p = l;
	for (;;) {
		const char *k = p;
		if (!(isalpha((unsigned char)*p) || *p == '_'))
			return 0;
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		if (p == k || *p++ != '=' || *p++ != '"')
			return 0;
		while (*p && *p != '"') {
			if (*p == '\\' && p[1])
				p++;
			p++;
		}
		if (*p++ != '"')
			return 0;
		if (!*p)
			return 1;
		if (*p++ != ',')
			return 0;
	}
}

static struct metric *metrics_register(enum metric_type type, const char *name, const char *labels, const char *help,
				       const double *bounds, size_t n_bounds)
{
	if (!name_ok(name) || !labels_ok(labels) || n_bounds > MAX_BOUNDS)
		return NULL;
	const char *lab = labels ? labels : "";
	struct metric *m = NULL;
	pthread_mutex_lock(&reg_lock);
	for (size_t i = 0; i < reg_n; i++) {
		if (strcmp(reg[i]->name, name) == 0 && strcmp(reg[i]->labels, lab) == 0) {
			m = reg[i]->type == type ? reg[i] : NULL;
			goto out;
		}
	}
	if (reg_n == reg_cap) {
		size_t cap = reg_cap ? reg_cap * 2 : 64;
		struct metric **r = realloc(reg, cap * sizeof(*r));
		if (!r)
			goto out;
		reg = r;
		reg_cap = cap;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		goto out;
	m->type = type;
	m->name = strdup(name);
	m->labels = strdup(lab);
	m->help = strdup(help ? help : "");
	if (!m->name || !m->labels || !m->help) {
		free(m->name);
		free(m->labels);
		free(m->help);
		free(m);
		m = NULL;
		goto out;
	}
	m->n_bounds = n_bounds;
	if (n_bounds)
		memcpy(m->bounds, bounds, n_bounds * sizeof(*bounds));
	reg[reg_n++] = m;
out:
	pthread_mutex_unlock(&reg_lock);
	return m;
}

struct metric *metrics_counter(const char *name, const char *labels, const char *help)
{
	return metrics_register(M_COUNTER, name, labels, help, NULL, 0);
}

struct metric *metrics_gauge(const char *name, const char *labels, const char *help)
{
	return metrics_register(M_GAUGE, name, labels, help, NULL, 0);
}

struct metric *metrics_histogram(const char *name, const char *labels, const char *help, const double *bounds,
				 size_t n_bounds)
{
	for (size_t i = 1; i < n_bounds; i++)
		if (!(bounds[i] > bounds[i - 1]))
			return NULL;
	return metrics_register(M_HISTOGRAM, name, labels, help, bounds, n_bounds);
}

void metrics_inc(struct metric *m)
{
	metrics_add(m, 1);
}

void metrics_add(struct metric *m, double v)
{
	if (!m || m->type == M_HISTOGRAM || (m->type == M_COUNTER && v < 0))
		return;
	atomic_add_double(&m->value, v);
}

void metrics_set(struct metric *m, double v)
{
	if (m && m->type == M_GAUGE)
		atomic_store(&m->value, d_to_bits(v));
}

void metrics_observe(struct metric *m, double v)
{
	if (!m || m->type != M_HISTOGRAM)
		return;
	size_t i = 0;
	while (i < m->n_bounds && v > m->bounds[i])
		i++;
	atomic_fetch_add(&m->buckets[i], 1);
	atomic_fetch_add(&m->count, 1);
	atomic_add_double(&m->value, v);
}

double metrics_value(const struct metric *m)
{
	if (!m)
		return 0;
	if (m->type == M_HISTOGRAM)
		return (double)atomic_load(&m->count);
	return bits_to_d(atomic_load(&m->value));
}

/* Growable output buffer for rendering. */
struct out {
	char *buf;
	size_t len, cap;
	int failed;
};

static void outf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(struct out *o, const char *fmt, ...)
{
	if (o->failed)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->failed = 1;
			return;
		}
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = (o->cap + (size_t)n) * 2;
		char *b = realloc(o->buf, cap);
		if (!b) {
			o->failed = 1;
			return;
		}
		o->buf = b;
		o->cap = cap;
	}
}

static void out_help(struct out *o, const char *help)
{
	outf(o, " ");
	for (const char *p = help; *p; p++) {
		if (*p == '\\')
			outf(o, "\\\\");
		else if (*p == '\n')
			outf(o, "\\n");
		else
			outf(o, "%c", *p);
	}
	outf(o, "\n");
}

static void out_value(struct out *o, const char *name, const char *suffix, const char *labels, const char *extra,
		      double v)
{
	int any = labels[0] || extra[0];
	outf(o,
	     "%s%s%s%s%s%s%s %.17g\n",
	     name,
	     suffix,
	     any ? "{" : "",
	     labels,
	     labels[0] && extra[0] ? "," : "",
	     extra,
	     any ? "}" : "",
	     v);
}

static void render_one(struct out *o, const struct metric *m)
{
	if (m->type != M_HISTOGRAM) {
		out_value(o, m->name, "", m->labels, "", bits_to_d(atomic_load(&m->value)));
		return;
	}
	uint64_t cum = 0;
	char le[64];
	for (size_t i = 0; i <= m->n_bounds; i++) {
		cum += atomic_load(&m->buckets[i]);
		if (i < m->n_bounds)
			snprintf(le, sizeof(le), "le=\"%.17g\"", m->bounds[i]);
		else
			snprintf(le, sizeof(le), "le=\"+Inf\"");
		out_value(o, m->name, "_bucket", m->labels, le, (double)cum);
	}
	out_value(o, m->name, "_sum", m->labels, "", bits_to_d(atomic_load(&m->value)));
	out_value(o, m->name, "_count", m->labels, "", (double)atomic_load(&m->count));
}

char *metrics_render(size_t *len)
{
	static const char *const type_names[] = {"counter", "gauge", "histogram"};
	struct out o = {.buf = malloc(4096), .cap = 4096};
	if (!o.buf)
		return NULL;
	o.buf[0] = 0;
	pthread_mutex_lock(&reg_lock);
	for (size_t i = 0; i < reg_n; i++) {
		int first = 1;
		for (size_t j = 0; j < i && first; j++)
			first = strcmp(reg[j]->name, reg[i]->name) != 0;
		if (!first)
			continue;
		outf(&o, "# HELP %s", reg[i]->name);
		out_help(&o, reg[i]->help);
		outf(&o, "# TYPE %s %s\n", reg[i]->name, type_names[reg[i]->type]);
		for (size_t j = i; j < reg_n; j++)
			if (strcmp(reg[j]->name, reg[i]->name) == 0)
				render_one(&o, reg[j]);
	}
	pthread_mutex_unlock(&reg_lock);
	if (o.failed) {
		free(o.buf);
		return NULL;
	}
	if (len)
		*len = o.len;
	return o.buf;
}

void metrics_reset(void)
{
	pthread_mutex_lock(&reg_lock);
	for (size_t i = 0; i < reg_n; i++) {
		free(reg[i]->name);
		free(reg[i]->labels);
		free(reg[i]->help);
		free(reg[i]);
	}
	free(reg);
	reg = NULL;
	reg_n = reg_cap = 0;
	pthread_mutex_unlock(&reg_lock);
}
