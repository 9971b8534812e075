/*
 * orchctl_decide.c - `orchctl decide`: the CEO's rules (ceo_policy.h, the
 * service's own code) applied to one system state read from a JSON file,
 * printed as one JSON object: operating_mode, rule, reason, limits.
 *
 * The state takes the original recommend_mode arguments by name:
 * current_mode, drawdown, risk_score, win_rate, health (required; risk_score
 * and win_rate may be null for "unknown"), regime and open_positions
 * (optional, default null and 0), and optionally daily_drawdown and
 * peak_drawdown (drawdown is used for both when they are absent),
 * win_rate_lower and regime_confidence; for the default rules,
 * drawdown_sigma (null or absent: unknown), tail_event, book_psr and book_trades (absent: no book evidence).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ceo_policy.h"
#include "ceo_report.h"
#include "orch.h"
#include "orchctl.h"
#include "orchctl_io.h"

#define PREFIX "orchctl decide: "

static void usage(FILE *f)
{
	fprintf(f,
		"usage: orchctl decide --state FILE [--rules default|original]\n"
		"\n"
		"Applies the CEO's rules to one system state and prints the recommended\n"
		"operating mode, the rule that fired, the reason and the mode's limits as JSON.\n"
		"\n"
		"  --state FILE   JSON object ('-' reads stdin) with current_mode (EXPANSION,\n"
		"                 GROWTH, DEFENSIVE, CAPITAL_PRESERVATION, BLACK_SWAN), drawdown\n"
		"                 (fraction), risk_score (0-100, higher = more risk, or null),\n"
		"                 win_rate (0-1 or null), health (HEALTHY, DEGRADED, CRITICAL,\n"
		"                 OFFLINE); optional regime, open_positions, daily_drawdown,\n"
		"                 peak_drawdown, win_rate_lower, regime_confidence; for the\n"
		"                 default rules drawdown_sigma (or null), tail_event (bool),\n"
		"                 book_psr, book_trades\n"
		"  --rules SET    the rule set, ORCH_CEO_RULES (default: default)\n"
		"  -h, --help     this text\n"
		"\n"
		"Exit status: 0 success, 2 error.\n");
}

/* A number field in [lo, hi]; null allowed when *known is given. */
static int number(const json_t *o, const char *key, int required, double lo, double hi, double *out, int *known)
{
	const json_t *v = json_object_get(o, key);
	if (!v) {
		if (!required)
			return 0;
		fprintf(stderr, PREFIX "missing field '%s'\n", key);
		return ORCH_EINVAL;
	}
	if (json_is_null(v) && known) {
		*known = 0;
		return 0;
	}
	double d = json_number_value(v);
	if (!json_is_number(v) || !isfinite(d) || d < lo || d > hi) {
		fprintf(stderr,
			PREFIX "field '%s' must be a number in [%g, %g]%s\n",
			key,
			lo,
			hi,
			known ? " or null" : "");
		return ORCH_EINVAL;
	}
	*out = d;
	if (known)
		*known = 1;
	return 0;
}

static int parse_state(const json_t *o, struct ceo_state *s)
{
	memset(s, 0, sizeof(*s));
	if (!json_is_object(o)) {
		fprintf(stderr, PREFIX "the state must be a JSON object\n");
		return ORCH_EINVAL;
	}
	const json_t *cm = json_object_get(o, "current_mode"), *h = json_object_get(o, "health");
	if (!cm || !h) {
		fprintf(stderr, PREFIX "missing field '%s'\n", !cm ? "current_mode" : "health");
		return ORCH_EINVAL;
	}
	if (ceo_mode_parse(json_string_value(cm), &s->current) != 0) {
		fprintf(stderr,
			PREFIX "field 'current_mode' must be EXPANSION, GROWTH, DEFENSIVE, "
			       "CAPITAL_PRESERVATION or BLACK_SWAN\n");
		return ORCH_EINVAL;
	}
	if (ceo_health_parse(json_string_value(h), &s->health) != 0) {
		fprintf(stderr, PREFIX "field 'health' must be HEALTHY, DEGRADED, CRITICAL or OFFLINE\n");
		return ORCH_EINVAL;
	}
	double dd = 0, pos = 0;
	s->daily_drawdown = s->peak_drawdown = -1;
	if (number(o, "drawdown", 1, 0, 1, &dd, NULL) ||
	    number(o, "risk_score", 1, 0, 100, &s->risk_score, &s->risk_known) ||
	    number(o, "win_rate", 1, 0, 1, &s->win_rate, &s->win_rate_known) ||
	    number(o, "daily_drawdown", 0, 0, 1, &s->daily_drawdown, NULL) ||
	    number(o, "peak_drawdown", 0, 0, 1, &s->peak_drawdown, NULL) ||
	    number(o, "win_rate_lower", 0, 0, 1, &s->win_rate_lower, NULL) ||
	    number(o, "regime_confidence", 0, 0, 1, &s->regime_confidence, NULL) ||
	    number(o, "open_positions", 0, 0, 1e6, &pos, NULL))
		return ORCH_EINVAL;
	if (s->daily_drawdown < 0)
		s->daily_drawdown = dd;
	if (s->peak_drawdown < 0)
		s->peak_drawdown = dd;
	s->open_positions = (int)pos;
	const json_t *r = json_object_get(o, "regime");
	if (r && !json_is_null(r) && !json_is_string(r)) {
		fprintf(stderr, PREFIX "field 'regime' must be a string or null\n");
		return ORCH_EINVAL;
	}
	s->regime = json_string_value(r);
	double trades = 0;
	const json_t *tail = json_object_get(o, "tail_event");
	if ((tail && !json_is_boolean(tail)) ||
	    number(o, "drawdown_sigma", 0, 0, 1e6, &s->dd_sigma, &s->dd_sigma_known) ||
	    number(o, "book_psr", 0, 0, 1, &s->book_psr, NULL) || number(o, "book_trades", 0, 0, 1e12, &trades, NULL)) {
		if (tail && !json_is_boolean(tail))
			fprintf(stderr, PREFIX "field 'tail_event' must be true or false\n");
		return ORCH_EINVAL;
	}
	s->tail_event = json_is_true(tail);
	s->book_trades = (long)trades;
	return 0;
}

int orchctl_decide(int argc, char **argv)
{
	const char *path = NULL, *rules = "default";
	enum ceo_rules set;
	json_t *in = NULL, *out = NULL;
	char *text = NULL;
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		const char *val = NULL;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return fflush(stdout) == 0 ? 0 : ORCH_EIO;
		}
		if ((rc = orchctl_take_value(argc, argv, &i, "--state", PREFIX, "decide", &val)) != 0)
			return rc;
		if (val) {
			path = val;
			continue;
		}
		if ((rc = orchctl_take_value(argc, argv, &i, "--rules", PREFIX, "decide", &val)) != 0)
			return rc;
		if (!val) {
			fprintf(stderr, PREFIX "unknown argument '%s' (see orchctl decide --help)\n", argv[i]);
			return ORCH_EINVAL;
		}
		rules = val;
	}
	if (ceo_rules_parse(rules, &set) != 0) {
		fprintf(stderr, PREFIX "--rules must be default or original, got '%s'\n", rules);
		return ORCH_EINVAL;
	}
	if (!path) {
		fprintf(stderr, PREFIX "missing --state FILE (see orchctl decide --help)\n");
		return ORCH_EINVAL;
	}
	json_error_t jerr;
	in = strcmp(path, "-") == 0 ? json_loadf(stdin, 0, &jerr) : json_load_file(path, 0, &jerr);
	if (!in) {
		fprintf(stderr,
			PREFIX "%s:%d:%d: %s\n",
			strcmp(path, "-") ? path : "<stdin>",
			jerr.line,
			jerr.column,
			jerr.text);
		return ORCH_EMALFORMED;
	}
	struct ceo_state s;
	struct ceo_thresholds t;
	struct ceo_recommendation rec;
	struct ceo_limits l;
	if ((rc = parse_state(in, &s)) != 0)
		goto out;
	ceo_thresholds_defaults(set, &t);
	ceo_policy_recommend(&s, &t, &rec);
	ceo_limits_defaults(set, rec.mode, &l);
	out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s}",
			"operating_mode",
			ceo_mode_name(rec.mode),
			"rule",
			rec.rule,
			"reason",
			rec.reason,
			"current_mode",
			ceo_mode_name(s.current),
			"active_mode",
			ceo_risk_mode_of(rec.mode),
			"limits",
			ceo_report_limits(&l),
			"rules",
			ceo_rules_name(set));
	text = out ? json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15)) : NULL;
	if (!text) {
		fprintf(stderr, PREFIX "formatting the result: out of memory\n");
		rc = ORCH_ENOMEM;
		goto out;
	}
	if (printf("%s\n", text) < 0 || fflush(stdout) != 0) {
		fprintf(stderr, PREFIX "writing the result: %s\n", strerror(errno));
		rc = ORCH_EIO;
	}
out:
	free(text);
	json_decref(out);
	json_decref(in);
	return rc;
}
