/*
 * orchctl_io.c - option values, numbers and the CSV reader shared by
 * orchctl's commands (see orchctl_io.h for the dialect).
 */
#include "orchctl_io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "orch.h"

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int orchctl_parse_double(const char *s, double *out)
{
	char *end;
	while (is_blank(*s))
		s++;
	if (*s == '\0')
		return ORCH_EINVAL;
	double v = strtod(s, &end);
	if (end == s)
		return ORCH_EINVAL;
	while (is_blank(*end))
		end++;
	if (*end != '\0')
		return ORCH_EINVAL;
	*out = v;
	return 0;
}

int orchctl_take_value(int argc, char **argv, int *i, const char *name, const char *prefix, const char *cmd,
		       const char **val)
{
	const char *a = argv[*i];
	size_t len = strlen(name);
	*val = NULL;
	if (strncmp(a, name, len) != 0)
		return 0;
	if (a[len] == '=') {
		*val = a + len + 1;
		return 0;
	}
	if (a[len] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "%soption %s needs a value (see orchctl %s --help)\n", prefix, name, cmd);
		return ORCH_EINVAL;
	}
	*val = argv[++*i];
	return 0;
}

static int cells_push(struct orchctl_csv *c, char *cell)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		char **v = realloc(c->cells, cap * sizeof(*v));
		if (!v)
			return ORCH_ENOMEM;
		c->cells = v;
		c->cap = cap;
	}
	c->cells[c->n++] = cell;
	return 0;
}

/*
 * Splits the NUL-terminated line into c->cells (reset first), in place:
 * cells are trimmed and unquoted. Returns 0, ORCH_ENOMEM, or
 * ORCH_EMALFORMED with *why set to a static text.
 */
static int split_cells(char *line, struct orchctl_csv *c, const char **why)
{
	char *p = line;
	c->n = 0;
	for (;;) {
		char *start, *end;
		while (is_blank(*p))
			p++;
		if (*p == '"') {
			char *w = ++p;
			start = w;
			for (;;) {
				if (*p == '\0') {
					*why = "unterminated quoted cell";
					return ORCH_EMALFORMED;
				}
				if (*p == '"') {
					if (p[1] != '"')
						break;
					p++;
				}
				*w++ = *p++;
			}
			p++; /* closing quote */
			while (is_blank(*p))
				p++;
			if (*p != ',' && *p != '\0') {
				*why = "text after a quoted cell";
				return ORCH_EMALFORMED;
			}
			end = w;
			while (start < end && is_blank(*start))
				start++;
		} else {
			start = p;
			while (*p != ',' && *p != '\0')
				p++;
			end = p;
		}
		while (end > start && is_blank(end[-1]))
			end--;
		char sep = *p;
		*end = '\0';
		int rc = cells_push(c, start);
		if (rc != 0)
			return rc;
		if (sep == '\0')
			return 0;
		p++;
	}
}

/* The next non-blank line split into cells: 1, 0 at the end, or a
 * negative code (printed). */
static int next_line(struct orchctl_csv *c)
{
	for (;;) {
		errno = 0;
		ssize_t len = getline(&c->line, &c->line_cap, c->f);
		if (len < 0) {
			if (ferror(c->f)) {
				fprintf(stderr,
					"%sreading %s: %s\n",
					c->prefix,
					c->name,
					strerror(errno ? errno : EIO));
				return ORCH_EIO;
			}
			return 0;
		}
		c->lineno++;
		if (memchr(c->line, '\0', (size_t)len)) {
			fprintf(stderr, "%s%s:%llu: NUL byte (not a text file?)\n", c->prefix, c->name, c->lineno);
			return ORCH_EMALFORMED;
		}
		if (len > 0 && c->line[len - 1] == '\n')
			c->line[--len] = '\0';
		if (len > 0 && c->line[len - 1] == '\r')
			c->line[--len] = '\0';
		char *text = c->line;
		if (c->lineno == 1 && strncmp(text, "\xEF\xBB\xBF", 3) == 0)
			text += 3;
		char *q = text;
		while (is_blank(*q))
			q++;
		if (*q == '\0')
			continue;
		const char *why = NULL;
		int rc = split_cells(text, c, &why);
		if (rc == ORCH_EMALFORMED)
			fprintf(stderr, "%s%s:%llu: %s\n", c->prefix, c->name, c->lineno, why);
		else if (rc != 0)
			fprintf(stderr, "%sreading %s: %s\n", c->prefix, c->name, orch_strerror(rc));
		return rc == 0 ? 1 : rc;
	}
}

int orchctl_csv_open(struct orchctl_csv *c, const char *path, const char *prefix)
{
	memset(c, 0, sizeof(*c));
	c->prefix = prefix;
	c->name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	c->f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!c->f) {
		fprintf(stderr, "%scannot open %s: %s\n", prefix, c->name, strerror(errno));
		return ORCH_EIO;
	}
	int rc = next_line(c);
	if (rc <= 0)
		return rc; /* an empty file has no header and no rows */
	c->header = calloc(c->n, sizeof(char *));
	if (!c->header)
		goto nomem;
	for (size_t i = 0; i < c->n; i++) {
		if (!(c->header[i] = strdup(c->cells[i])))
			goto nomem;
		c->n_header = i + 1;
	}
	return 0;
nomem:
	fprintf(stderr, "%sreading %s: %s\n", prefix, c->name, orch_strerror(ORCH_ENOMEM));
	return ORCH_ENOMEM;
}

int orchctl_csv_next(struct orchctl_csv *c)
{
	return next_line(c);
}

int orchctl_csv_column(const struct orchctl_csv *c, const char *want, int required, size_t *col)
{
	for (size_t i = 0; i < c->n_header; i++) {
		if (strcmp(c->header[i], want) == 0) {
			*col = i;
			return 0;
		}
	}
	if (!required)
		return ORCH_ENOENT;
	fprintf(stderr, "%s%s: no column '%s' in the header; columns are: ", c->prefix, c->name, want);
	for (size_t i = 0; i < c->n_header; i++)
		fprintf(stderr, "%s%s", i ? ", " : "", c->header[i]);
	fprintf(stderr, "\n");
	return ORCH_ENOENT;
}

void orchctl_csv_close(struct orchctl_csv *c)
{
	for (size_t i = 0; i < c->n_header; i++)
		free(c->header[i]);
	free(c->header);
	free(c->cells);
	free(c->line);
	if (c->f && c->f != stdin)
		fclose(c->f);
	memset(c, 0, sizeof(*c));
}
