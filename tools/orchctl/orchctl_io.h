/*
 * orchctl_io.h - what orchctl's commands share: option values, numbers
 * and the CSV dialect they read.
 *
 * CSV accepted: the first non-blank line is the header; cells are
 * separated by commas, surrounding spaces and tabs are trimmed, a cell
 * may be quoted with double quotes ("" inside is a quote; commas inside
 * quotes do not split); \r\n line endings and a UTF-8 byte-order mark are
 * accepted; blank lines are skipped. Lines are read whole, whatever their
 * length. A quoted cell may not span lines. Every error is printed as one
 * line on stderr, starting with the command's prefix.
 */
#ifndef ORCHCTL_IO_H
#define ORCHCTL_IO_H

#include <stddef.h>
#include <stdio.h>

#define ORCHCTL_SHOW_MAX 64 /* bytes of an offending cell shown in messages */

/* Parses all of s (surrounding blanks allowed) as a double. 0 or ORCH_EINVAL. */
int orchctl_parse_double(const char *s, double *out);

/*
 * If argv[*i] is option `name` ("--name VALUE" or "--name=VALUE"), sets
 * *val (borrowed from argv) and advances *i past the value; otherwise
 * leaves *val NULL. Returns 0, or ORCH_EINVAL when the value is missing
 * (printed, naming the command `cmd`).
 */
int orchctl_take_value(int argc, char **argv, int *i, const char *name, const char *prefix, const char *cmd,
		       const char **val);

struct orchctl_csv {
	const char *name;   /* file name for messages ("<stdin>") */
	const char *prefix; /* "orchctl risk: " */
	FILE *f;
	char *line;
	size_t line_cap;
	unsigned long long lineno; /* of the row in cells */
	char **cells;              /* the current row, pointing into line */
	size_t n, cap;
	char **header; /* copies of the header cells */
	size_t n_header;
};

/* Opens path ("-" = stdin) and reads the header row (none, n_header 0,
 * in an empty file). Returns 0, ORCH_EIO, ORCH_EMALFORMED or ORCH_ENOMEM;
 * close in every case. */
int orchctl_csv_open(struct orchctl_csv *c, const char *path, const char *prefix);
/* Reads the next data row into c->cells: 1, 0 at the end, or a negative
 * code (printed). */
int orchctl_csv_next(struct orchctl_csv *c);
/* Column index of `want` in the header; ORCH_ENOENT when absent (printed
 * with the header's columns when required). */
int orchctl_csv_column(const struct orchctl_csv *c, const char *want, int required, size_t *col);
void orchctl_csv_close(struct orchctl_csv *c);

#endif
