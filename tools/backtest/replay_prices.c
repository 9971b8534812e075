/*
 * replay_prices.c - the CSV of daily closes (see replay_prices.h).
 */
#include "replay_prices.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "normal.h"
#include "orch.h"

#define MAX_DAYS 200000

/* "1991-07-01" -> epoch ms of that day at 12:00 UTC; "1991.496154"
 * (decimal year) -> that fraction of the year, plus 12 hours. Returns 0 or
 * ORCH_EINVAL. */
static int replay_prices_parse_date(const char *s, int64_t *out)
{
	int y, m, d;
	char tail;
	if (sscanf(s, "%d-%d-%d%c", &y, &m, &d, &tail) == 3) {
		struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12};
		*out = (int64_t)timegm(&tm) * 1000;
		return m >= 1 && m <= 12 && d >= 1 && d <= 31 ? 0 : ORCH_EINVAL;
	}
	char *end;
	double yr = strtod(s, &end);
	if (end == s || *end || !(yr > 1900 && yr < 3000))
		return ORCH_EINVAL;
	int year = (int)floor(yr);
	struct tm a = {.tm_year = year - 1900, .tm_mday = 1}, b = {.tm_year = year + 1 - 1900, .tm_mday = 1};
	double t0 = (double)timegm(&a), t1 = (double)timegm(&b);
	*out = (int64_t)((t0 + (yr - year) * (t1 - t0)) * 1000) + 12 * 3600000;
	return 0;
}

double replay_prices_per_year(const struct replay_prices *p)
{
	if (p->n_days < 2)
		return 0;
	return (double)(p->n_days - 1) / ((double)(p->t_ms[p->n_days - 1] - p->t_ms[0]) / (365.25 * 86400000.0));
}

void replay_prices_release(struct replay_prices *p)
{
	if (!p)
		return;
	free(p->t_ms);
	free(p->close);
	p->t_ms = NULL;
	p->close = NULL;
	p->n_days = 0;
}

/* Splits line in place at commas (empty fields kept) into at most max
 * fields; returns how many the line has (may exceed max). */
static int split(char *line, char **f, int max)
{
	int n = 0;
	for (char *p = line;; p++) {
		if (n < max)
			f[n] = p;
		n++;
		p = strchr(p, ',');
		if (!p)
			return n;
		*p = '\0';
	}
}

/* The header: "date,NAME,...". */
static int parse_header(char *line, const char *path, int min_instr, struct replay_prices *p, char *err, size_t errlen)
{
	char *f[RB_MAX_INSTR + 1];
	int n = split(line, f, RB_MAX_INSTR + 1) - 1;
	if (n > RB_MAX_INSTR) {
		snprintf(err, errlen, "%s:1: %d instruments; at most %d", path, n, RB_MAX_INSTR);
		return ORCH_EINVAL;
	}
	if (n < 1 || n < min_instr) {
		snprintf(err,
			 errlen,
			 "%s:1: the header needs a date column and at least %d instrument%s, found %d",
			 path,
			 min_instr > 1 ? min_instr : 1,
			 min_instr > 1 ? "s" : "",
			 n < 0 ? 0 : n);
		return ORCH_EINVAL;
	}
	for (int i = 0; i < n; i++) {
		const char *name = f[i + 1];
		if (!*name || strlen(name) >= sizeof(p->names[0])) {
			snprintf(err,
				 errlen,
				 "%s:1: column %d: instrument names must have 1 to %zu characters",
				 path,
				 i + 2,
				 sizeof(p->names[0]) - 1);
			return ORCH_EINVAL;
		}
		snprintf(p->names[i], sizeof(p->names[i]), "%s", name);
	}
	p->n_instr = n;
	return 0;
}

/* One day's row into slot p->n_days (room already made). */
static int parse_row(char *line, const char *path, size_t lineno, struct replay_prices *p, char *err, size_t errlen)
{
	char *f[RB_MAX_INSTR + 1];
	int n = split(line, f, RB_MAX_INSTR + 1);
	if (n != p->n_instr + 1) {
		snprintf(err, errlen, "%s:%zu: %d columns, the header has %d", path, lineno, n, p->n_instr + 1);
		return ORCH_EINVAL;
	}
	int64_t *t = &p->t_ms[p->n_days];
	if (replay_prices_parse_date(f[0], t) != 0) {
		snprintf(err,
			 errlen,
			 "%s:%zu: '%.40s' is not a date (YYYY-MM-DD or a decimal year)",
			 path,
			 lineno,
			 f[0]);
		return ORCH_EINVAL;
	}
	for (int i = 0; i < p->n_instr; i++) {
		char *end = NULL;
		double v = strtod(f[i + 1], &end);
		if (end == f[i + 1] || *end || !(v > 0) || !isfinite(v)) {
			snprintf(err,
				 errlen,
				 "%s:%zu: column %s: '%.40s' is not a positive price",
				 path,
				 lineno,
				 p->names[i],
				 f[i + 1]);
			return ORCH_EINVAL;
		}
		p->close[p->n_days * (size_t)p->n_instr + (size_t)i] = v;
	}
	if (p->n_days && *t <= t[-1]) {
		snprintf(err, errlen, "%s:%zu: dates must increase", path, lineno);
		return ORCH_EINVAL;
	}
	p->n_days++;
	return 0;
}

/* Room for one more day. */
static int grow(struct replay_prices *p, size_t *cap, const char *path, char *err, size_t errlen)
{
	if (p->n_days < *cap)
		return 0;
	if (*cap >= MAX_DAYS) {
		snprintf(err, errlen, "%s: more than %d rows", path, MAX_DAYS);
		return ORCH_EINVAL;
	}
	size_t c = *cap ? 2 * *cap : 1024;
	int64_t *t = realloc(p->t_ms, c * sizeof(*t));
	if (t)
		p->t_ms = t;
	double *v = t ? realloc(p->close, c * (size_t)p->n_instr * sizeof(*v)) : NULL;
	if (!v) {
		snprintf(err, errlen, "out of memory");
		return ORCH_ENOMEM;
	}
	p->close = v;
	*cap = c;
	return 0;
}

int replay_prices_load(const char *path, int min_instr, size_t min_days, struct replay_prices *p, char *err,
		       size_t errlen)
{
	memset(p, 0, sizeof(*p));
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return ORCH_EIO;
	}
	char *line = NULL;
	size_t linecap = 0, lineno = 0, cap = 0;
	int rc = 0;
	while (getline(&line, &linecap, f) >= 0) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		if (!p->n_instr)
			rc = parse_header(line, path, min_instr, p, err, errlen);
		else if ((rc = grow(p, &cap, path, err, errlen)) == 0)
			rc = parse_row(line, path, lineno, p, err, errlen);
		if (rc != 0)
			goto out;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		rc = ORCH_EIO;
	} else if (!p->n_instr) {
		snprintf(err, errlen, "%s: empty (expected a header \"date,NAME,...\" and rows of prices)", path);
		rc = ORCH_EINVAL;
	} else if (p->n_days < min_days || p->n_days < 2) {
		snprintf(err,
			 errlen,
			 "%s: %zu day%s of prices; at least %zu needed",
			 path,
			 p->n_days,
			 p->n_days == 1 ? "" : "s",
			 min_days > 2 ? min_days : 2);
		rc = ORCH_EINVAL;
	}
out:
	free(line);
	fclose(f);
	if (rc != 0)
		replay_prices_release(p);
	return rc;
}

/* xorshift64*: a uniform in (0, 1). */
static double uniform(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return ((double)((*x * 2685821657736338717ULL) >> 11) + 0.5) / 9007199254740992.0;
}

int replay_prices_synthetic(int n_instr, size_t n_days, uint64_t seed, struct replay_prices *p)
{
	memset(p, 0, sizeof(*p));
	if (n_instr < 1 || n_instr > RB_MAX_INSTR || n_days < 2 || n_days > MAX_DAYS)
		return ORCH_EINVAL;
	p->t_ms = malloc(sizeof(int64_t) * n_days);
	p->close = malloc(sizeof(double) * n_days * (size_t)n_instr);
	if (!p->t_ms || !p->close) {
		replay_prices_release(p);
		return ORCH_ENOMEM;
	}
	p->n_instr = n_instr;
	p->n_days = n_days;
	uint64_t x = seed ? seed : 0x9e3779b97f4a7c15ULL;
	double beta[RB_MAX_INSTR], drift[RB_MAX_INSTR], idio[RB_MAX_INSTR];
	for (int i = 0; i < n_instr; i++) {
		snprintf(p->names[i], sizeof(p->names[i]), "S%02d", i + 1);
		beta[i] = 0.6 + 0.8 * uniform(&x);
		drift[i] = -0.0001 + 0.0002 * uniform(&x);
		idio[i] = 0.006 + 0.006 * uniform(&x);
		p->close[i] = 100;
	}
	struct tm tm = {.tm_year = 110, .tm_mon = 0, .tm_mday = 4, .tm_hour = 12};
	int stressed = 0;
	for (size_t d = 0; d < n_days; d++) {
		/* timegm() normalises tm and sets its weekday */
		for (timegm(&tm); tm.tm_wday == 0 || tm.tm_wday == 6; timegm(&tm))
			tm.tm_mday++;
		p->t_ms[d] = (int64_t)timegm(&tm) * 1000;
		tm.tm_mday++;
		if (d == 0)
			continue;
		stressed = stressed ? uniform(&x) >= 0.05 : uniform(&x) < 0.01;
		double market =
			(stressed ? -0.0005 : 0.0002) + (stressed ? 0.016 : 0.007) * normal_quantile(uniform(&x));
		for (int i = 0; i < n_instr; i++) {
			double r = drift[i] + beta[i] * market + idio[i] * normal_quantile(uniform(&x));
			size_t k = d * (size_t)n_instr + (size_t)i;
			p->close[k] = p->close[k - (size_t)n_instr] * exp(r);
		}
	}
	return 0;
}

int replay_prices_write(FILE *f, const struct replay_prices *p)
{
	fprintf(f, "date");
	for (int i = 0; i < p->n_instr; i++)
		fprintf(f, ",%s", p->names[i]);
	fprintf(f, "\n");
	for (size_t d = 0; d < p->n_days; d++) {
		time_t secs = (time_t)(p->t_ms[d] / 1000);
		struct tm tm;
		gmtime_r(&secs, &tm);
		fprintf(f, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
		for (int i = 0; i < p->n_instr; i++)
			fprintf(f, ",%.17g", p->close[d * (size_t)p->n_instr + (size_t)i]);
		fprintf(f, "\n");
	}
	return ferror(f) ? ORCH_EIO : 0;
}
