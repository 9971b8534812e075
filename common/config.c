/*
 * config.c - ORCH_* environment configuration, validated at start (see
 * config.h): the typed readers and the one loader and printer of the
 * settings tables. Every error names the variable and what was expected.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "orch.h"

static config_getenv_fn env_fn;

void config_set_getenv(config_getenv_fn fn)
{
	env_fn = fn;
}

static const char *no_env(const char *name)
{
	(void)name;
	return NULL;
}

static const char *env(const char *name)
{
	const char *v = env_fn ? env_fn(name) : getenv(name);
	return v && v[0] ? v : NULL;
}

int config_parse_list(const char *name, const char *list, char out[][CONFIG_LIST_ITEM], int max, int *n,
		      int (*known)(const char *item), const char *choices, char *err, size_t errlen)
{
	*n = 0;
	const char *p = list;
	while (*p) {
		size_t len = strcspn(p, ",");
		if (len == 0 || len >= CONFIG_LIST_ITEM || *n == max) {
			snprintf(err, errlen, "%s: expected 1-%d comma-separated items, got '%.200s'", name, max, list);
			return ORCH_EINVAL;
		}
		memcpy(out[*n], p, len);
		out[*n][len] = '\0';
		if (known && !known(out[*n])) {
			snprintf(err, errlen, "%s: '%s' is not one of: %s", name, out[*n], choices);
			return ORCH_EINVAL;
		}
		(*n)++;
		p += len + (p[len] == ',');
	}
	if (*n == 0) {
		snprintf(err, errlen, "%s: expected 1-%d comma-separated items, got an empty list", name, max);
		return ORCH_EINVAL;
	}
	return 0;
}

/* ---- settings tables ---- */

static int is_integer_type(enum config_type t)
{
	return t == CONFIG_INT || t == CONFIG_LONG || t == CONFIG_I64 || t == CONFIG_SIZE;
}

static double scale_of(const struct config_setting *s)
{
	return s->scale > 0 ? s->scale : 1;
}

static void store_integer(const struct config_setting *s, void *field, int64_t v)
{
	switch (s->type) {
	case CONFIG_INT:
		*(int *)field = (int)v;
		break;
	case CONFIG_LONG:
		*(long *)field = (long)v;
		break;
	case CONFIG_I64:
		*(int64_t *)field = v;
		break;
	default:
		*(size_t *)field = (size_t)v;
		break;
	}
}

static int64_t read_integer(const struct config_setting *s, const void *field)
{
	switch (s->type) {
	case CONFIG_INT:
		return *(const int *)field;
	case CONFIG_LONG:
		return *(const long *)field;
	case CONFIG_I64:
		return *(const int64_t *)field;
	default:
		return (int64_t) * (const size_t *)field;
	}
}

/* The index of v in "a|b|c", or -1. */
static int choice_index(const char *choices, const char *v)
{
	size_t vl = strlen(v);
	int i = 0;
	for (const char *p = choices; *p; i++) {
		size_t len = strcspn(p, "|");
		if (len == vl && strncmp(p, v, len) == 0)
			return i;
		p += len + (p[len] == '|');
	}
	return -1;
}

/* Copies the i-th of "a|b|c" into out. */
static void choice_name(const char *choices, int i, char *out, size_t outlen)
{
	const char *p = choices;
	for (; i > 0 && *p; i--)
		p += strcspn(p, "|") + (p[strcspn(p, "|")] == '|');
	snprintf(out, outlen, "%.*s", (int)strcspn(p, "|"), p);
}

static int load_one(const struct config_setting *s, const char *v, void *base, char *err, size_t errlen)
{
	void *field = (char *)base + s->offset;
	char *end;
	errno = 0;
	if (is_integer_type(s->type)) {
		long long n = strtoll(v, &end, 10);
		if (end == v || *end || errno == ERANGE || n < s->min || n > s->max) {
			snprintf(err,
				 errlen,
				 "%s: expected an integer in [%lld, %lld], got '%s'",
				 s->name,
				 (long long)s->min,
				 (long long)s->max,
				 v);
			return ORCH_EINVAL;
		}
		store_integer(s, field, (int64_t)(n * scale_of(s)));
		return 0;
	}
	switch (s->type) {
	case CONFIG_DOUBLE: {
		double d = strtod(v, &end);
		if (end == v || *end || errno == ERANGE || !isfinite(d) || d < s->min || d > s->max) {
			snprintf(
				err, errlen, "%s: expected a number in [%g, %g], got '%s'", s->name, s->min, s->max, v);
			return ORCH_EINVAL;
		}
		*(double *)field = d * scale_of(s);
		return 0;
	}
	case CONFIG_BOOL: {
		char lower[8] = "";
		for (size_t k = 0; v[k] && k + 1 < sizeof(lower); k++)
			lower[k] = (char)tolower((unsigned char)v[k]);
		int i = strlen(v) < sizeof(lower) ? choice_index("1|true|yes|on|0|false|no|off", lower) : -1;
		if (i < 0) {
			snprintf(err, errlen, "%s: expected true or false, got '%s'", s->name, v);
			return ORCH_EINVAL;
		}
		*(int *)field = i < 4;
		return 0;
	}
	case CONFIG_STR:
		if (strlen(v) >= s->size) {
			snprintf(err, errlen, "%s: longer than %zu characters", s->name, s->size - 1);
			return ORCH_EINVAL;
		}
		snprintf(field, s->size, "%s", v);
		return 0;
	case CONFIG_ENUM: {
		int i = choice_index(s->choices, v);
		if (i < 0) {
			char list[256];
			snprintf(list, sizeof(list), "%s", s->choices);
			for (char *p = list; (p = strchr(p, '|'));)
				*p = ',';
			snprintf(err, errlen, "%s: expected one of %s, got '%s'", s->name, list, v);
			return ORCH_EINVAL;
		}
		*(int *)field = i;
		return 0;
	}
	default:
		return s->parse(s->name, v, base, err, errlen);
	}
}

int config_table_load(const struct config_table *t, void *base, char *err, size_t errlen)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct config_setting *s = &t->settings[i];
		const char *v = env(s->name);
		if (!v && !s->def)
			continue; /* the module's default stays */
		int rc = load_one(s, v ? v : s->def, base, err, errlen);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The default as a person reads it, from base (set up as t sets it up).
 * Returns 1 when it is a value (to be quoted), 0 for a description. */
static int format_default(const struct config_setting *s, const void *base, char *out, size_t outlen)
{
	const void *field = (const char *)base + s->offset;
	if (s->doc_def) {
		snprintf(out, outlen, "%s", s->doc_def);
		return 0;
	} else if (is_integer_type(s->type)) {
		snprintf(out, outlen, "%lld", (long long)((double)read_integer(s, field) / scale_of(s)));
	} else if (s->type == CONFIG_DOUBLE) {
		snprintf(out, outlen, "%g", *(const double *)field / scale_of(s));
	} else if (s->type == CONFIG_BOOL) {
		snprintf(out, outlen, "%s", *(const int *)field ? "true" : "false");
	} else if (s->type == CONFIG_ENUM) {
		choice_name(s->choices, *(const int *)field, out, outlen);
	} else if (s->type == CONFIG_STR) {
		snprintf(out, outlen, "%s", (const char *)field);
	} else {
		snprintf(out, outlen, "%s", s->def ? s->def : "");
	}
	if (!out[0]) {
		snprintf(out, outlen, "(none)");
		return 0;
	}
	return 1;
}

static void format_range(const struct config_setting *s, char *out, size_t outlen)
{
	out[0] = '\0';
	if (is_integer_type(s->type))
		snprintf(out, outlen, "%lld-%lld", (long long)s->min, (long long)s->max);
	else if (s->type == CONFIG_DOUBLE)
		snprintf(out, outlen, "%g-%g", s->min, s->max);
	else if (s->type == CONFIG_BOOL)
		snprintf(out, outlen, "true, false");
	else if (s->type == CONFIG_ENUM)
		for (size_t o = 0, i = 0; s->choices[i] && o + 3 < outlen; i++) {
			if (s->choices[i] == '|') {
				out[o++] = ',';
				out[o++] = ' ';
			} else {
				out[o++] = s->choices[i];
			}
			out[o] = '\0';
		}
}

int config_table_print(FILE *f, const struct config_table *t, int markdown)
{
	void *base = calloc(1, t->size ? t->size : 1);
	if (!base)
		return ORCH_ENOMEM;
	if (t->init)
		t->init(base);
	/* the table's own defaults, as the loader applies them (no environment) */
	config_getenv_fn saved = env_fn;
	env_fn = no_env;
	char err[256];
	int rc = config_table_load(t, base, err, sizeof(err));
	env_fn = saved;
	if (markdown)
		fprintf(f, "## %s\n\n| variable | default | range | meaning |\n|---|---|---|---|\n", t->title);
	else
		fprintf(f, "%s:\n", t->title);
	for (size_t i = 0; rc == 0 && i < t->n; i++) {
		const struct config_setting *s = &t->settings[i];
		char def[128], range[256];
		const char *q = format_default(s, base, def, sizeof(def)) ? "`" : "";
		format_range(s, range, sizeof(range));
		if (markdown)
			fprintf(f, "| `%s` | %s%s%s | %s | %s |\n", s->name, q, def, q, range, s->help);
		else
			fprintf(f,
				"  %s = %s%s%s%s\n      %s\n",
				s->name,
				def,
				range[0] ? "  (" : "",
				range,
				range[0] ? ")" : "",
				s->help);
	}
	fprintf(f, "\n");
	free(base);
	return rc;
}
