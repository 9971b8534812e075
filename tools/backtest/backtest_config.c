/*
 * backtest_config.c - the backtest's settings: the services' own loaders
 * over a layered environment lookup (see backtest.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backtest.h"
#include "config.h"
#include "orch.h"

#define MAX_SETS 256

/* The lookup config.h calls has no context argument: the sources of the
 * load in progress, and which --set values were read. */
static const struct backtest_sources *cur_src;
static unsigned char set_read[MAX_SETS];

static const char *layered_getenv(const char *name)
{
	for (size_t i = cur_src->n_sets; i-- > 0;)
		if (strcmp(cur_src->sets[i].name, name) == 0) {
			for (size_t k = 0; k < cur_src->n_sets; k++)
				if (strcmp(cur_src->sets[k].name, name) == 0)
					set_read[k] = 1;
			return cur_src->sets[i].value;
		}
	for (size_t i = 0; i < cur_src->n_replay; i++)
		if (strcmp(cur_src->replay[i].name, name) == 0)
			return cur_src->replay[i].value;
	return cur_src->environ ? getenv(name) : NULL;
}

int backtest_config_load(const struct backtest_sources *src, struct backtest_config *c, char *err, size_t errlen)
{
	if (src->n_sets > MAX_SETS) {
		snprintf(err, errlen, "more than %d --set values", MAX_SETS);
		return ORCH_EINVAL;
	}
	memset(c, 0, sizeof(*c));
	memset(set_read, 0, sizeof(set_read));
	cur_src = src;
	config_set_getenv(layered_getenv);
	int rc = risk_officer_config_load(&c->risk, err, errlen);
	if (rc == 0)
		rc = strategy_officer_config_load(&c->strat, err, errlen);
	if (rc == 0)
		rc = ceo_config_load(&c->ceo, err, errlen);
	config_set_getenv(NULL);
	cur_src = NULL;
	for (size_t i = 0; rc == 0 && i < src->n_sets; i++)
		if (!set_read[i]) {
			snprintf(err,
				 errlen,
				 "%s: no such setting (the CEO reads ORCH_CEO_*, the Risk Officer ORCH_RISK_*, the "
				 "Strategy Officer ORCH_STRATEGY_*; see the README)",
				 src->sets[i].name);
			rc = ORCH_EINVAL;
		}
	return rc;
}

int backtest_env_parse(char *text, struct backtest_setting *out, size_t max, int *bad_line)
{
	size_t n = 0;
	int lineno = 0;
	for (char *line = text, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		while (isspace((unsigned char)*line))
			line++;
		line[strcspn(line, "\r")] = '\0';
		if (!*line || *line == '#')
			continue;
		if (strncmp(line, "export ", 7) == 0)
			line += 7;
		char *eq = strchr(line, '=');
		if (!eq || eq == line || n >= max) {
			*bad_line = lineno;
			return ORCH_EINVAL;
		}
		*eq = '\0';
		out[n++] = (struct backtest_setting){line, eq + 1};
	}
	return (int)n;
}
