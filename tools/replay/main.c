/*
 * replay/main.c - the demo's feeder: replays a CSV of daily prices through
 * the simulated book (replay_book.c), which obeys the PolicyStore, and
 * publishes what real trading services would, in the original wire format:
 * trade.closed (direct entries, pnl_percent in percent) and
 * portfolio.snapshot_updated (total_equity, total_exposure, num_positions,
 * positions). Event times are the prices' dates, so services running with
 * ORCH_CLOCK=event live on the replay's clock. After each day it waits
 * until every consumer group of the layer's streams has read and ACKed
 * everything, then asks the CEO (running with ORCH_CEO_EVALUATE=command)
 * to decide, and goes on once the decision is in the PolicyStore and so is
 * the disabled set the Strategy Officer last named: the next day trades
 * under the layer's reaction to the previous one, and a replay gives the
 * same result every time.
 *
 * The same strategies also trade a second book that keeps the trading
 * system's own NORMAL limits for the whole run ("without the layer"). At
 * the end it prints both books' performance and the CEO's mode switches,
 * and writes them as JSON with --summary-json, and as an HTML page with
 * --report (backtest_report.h).
 *
 * A tool, not a service: one synchronous hiredis connection.
 */
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backtest_report.h"
#include "ceo_config.h"
#include "clock.h"
#include "command_auth.h"
#include "config.h"
#include "json_util.h"
#include "orch.h"
#include "policy.h"
#include "redis_sync.h"
#include "replay_book.h"
#include "replay_feed.h"
#include "replay_link.h"
#include "replay_policy.h"
#include "replay_prices.h"
#include "replay_summary.h"

#define INITIAL_EQUITY 1000000.0

static void usage(FILE *f)
{
	fprintf(f, "usage: replay [--prices FILE] [--summary-json FILE] [--report FILE] [--delay-ms N] [--no-wait]\n"
		   "\n"
		   "Replays daily prices (a CSV: a date column, then one column of closes per\n"
		   "instrument; dates as YYYY-MM-DD or as decimal years like 1991.496) through a\n"
		   "simulated book that obeys the PolicyStore, publishing trade.closed and\n"
		   "portfolio.snapshot_updated in the original wire format to ORCH_REDIS_URL\n"
		   "(prefix ORCH_PREFIX), then prints the book with and without the layer.\n"
		   "\n"
		   "  --prices FILE        default data/eustockmarkets.csv\n"
		   "  --summary-json FILE  also write the summary as JSON\n"
		   "  --report FILE        also write it as an HTML page: equity, drawdown, modes\n"
		   "  --delay-ms N         pause between days (default 0)\n"
		   "  --no-wait            do not wait for the layer between days nor ask the CEO\n"
		   "                       to decide (a CEO that decides on its inputs)\n"
		   "\n"
		   "Each day's force_decision is signed with ORCH_COMMAND_KEY (or the first line\n"
		   "of ORCH_COMMAND_KEY_FILE): the CEO's key.\n"
		   "\n"
		   "Exit status: 0 success, 2 usage or input error, 1 Redis error or no answer\n"
		   "from the CEO.\n");
}

/* ---- Redis ---- */

static void fmt_ts(int64_t ms, char *buf, size_t len)
{
	json_util_format_ts_us(ms * 1000, buf, len);
}

static int xadd_ok(redisReply *r)
{
	int ok = r && r->type == REDIS_REPLY_STRING;
	if (r && r->type == REDIS_REPLY_ERROR)
		fprintf(stderr, "replay: Redis refused XADD: %s\n", r->str);
	freeReplyObject(r);
	return ok;
}

/* XADDs the day's entries (replay_feed.h) to their streams. */
static int publish_day(struct rlink *c, const char *prefix, int64_t t_ms, const struct rb_day *d)
{
	struct replay_entry e[REPLAY_FEED_MAX_ENTRIES];
	int n, ok = replay_feed_day(t_ms, d, e, &n) == 0;
	for (int k = 0; ok && k < n; k++) {
		char key[160];
		const char *argv[3 + 2 * REPLAY_FEED_MAX_FIELDS] = {"XADD", key, "*"};
		size_t lens[3 + 2 * REPLAY_FEED_MAX_FIELDS] = {4, 0, 1};
		lens[1] = (size_t)snprintf(key, sizeof(key), "%s:stream:%s", prefix, e[k].type);
		memcpy(&argv[3], e[k].kv, sizeof(e[k].kv[0]) * 2 * (size_t)e[k].nfields);
		memcpy(&lens[3], e[k].lens, sizeof(e[k].lens[0]) * 2 * (size_t)e[k].nfields);
		ok = xadd_ok(rlink_argv(c, 3 + 2 * e[k].nfields, argv, lens));
	}
	replay_feed_release(e, n);
	return ok ? 0 : -1;
}

/* 1 when every consumer group of the stream has read all and ACKed all. */
static int stream_idle(struct rlink *c, const char *key)
{
	redisReply *r = rlink_cmd(c, "XINFO GROUPS %s", key);
	struct redis_backlog b;
	redis_backlog_of(r, &b);
	freeReplyObject(r);
	return b.pending == 0 && b.lag == 0;
}

/* Waits (up to timeout_ms) until the layer has taken in everything. */
static void wait_layer(struct rlink *c, const char *prefix, int timeout_ms)
{
	static const char *const streams[] = {"trade.closed",		"portfolio.snapshot_updated", "risk_state_update",
					      "risk_alert",		"risk_ceiling_update",	      "strategy_state_update",
					      "strategy_alert",		"ceo_decision"};
	int quiet = 0;
	for (int waited = 0; waited < timeout_ms && quiet < 2; waited++) {
		int idle = 1;
		for (size_t i = 0; i < sizeof(streams) / sizeof(streams[0]) && idle; i++) {
			char key[160];
			snprintf(key, sizeof(key), "%s:stream:%s", prefix, streams[i]);
			idle = stream_idle(c, key);
		}
		quiet = idle ? quiet + 1 : 0;
		if (quiet < 2)
			usleep(1000);
	}
}

/* The newest entry id of a stream, "0-0" when it is empty. */
static void last_id(struct rlink *c, const char *key, char *id, size_t len)
{
	redisReply *r = rlink_cmd(c, "XREVRANGE %s + - COUNT 1", key);
	snprintf(id, len, "%s", r && r->type == REDIS_REPLY_ARRAY && r->elements ? r->element[0]->element[0]->str : "0-0");
	freeReplyObject(r);
}

/* The payload of a ceo_command_reply entry whose request_id starts with
 * prefix, or NULL. */
static json_t *reply_for(const redisReply *entry, const char *prefix)
{
	const redisReply *f = entry->element[1];
	for (size_t k = 0; k + 1 < f->elements; k += 2) {
		if (strcmp(f->element[k]->str, "payload") != 0)
			continue;
		json_t *p = json_loads(f->element[k + 1]->str, 0, NULL);
		const char *rid = json_util_get_str(p, "request_id");
		if (rid && !strncmp(rid, prefix, strlen(prefix)))
			return p;
		json_decref(p);
	}
	return NULL;
}

/* Publishes a force_decision with request_id rid, stamped with day ts and
 * signed with key on the real clock (the CEO judges its age so). */
static int send_decide(struct rlink *c, const char *prefix, const char *key, const char *rid, const char *ts)
{
	json_t *cmd = json_pack("{s:s, s:s, s:s, s:s}", "request_id", rid, "action", "force_decision", "reason",
				"replay: the day's inputs are in", "operator", "replay");
	int signed_ok = cmd && command_sign(cmd, "ceo_command", key, clock_wall_ms()) == 0;
	char *text = signed_ok ? json_dumps(cmd, JSON_COMPACT) : NULL;
	json_decref(cmd);
	int ok = text && xadd_ok(rlink_cmd(c, "XADD %s:stream:ceo_command * event_type ceo_command event_id %s "
						 "payload %s trace_id %s timestamp %s source replay",
					      prefix, rid, text, rid, ts));
	free(text);
	if (!ok)
		fprintf(stderr, "replay: cannot publish ceo_command\n");
	return ok ? 0 : -1;
}

/*
 * Asks the CEO to decide on day t_ms's inputs (force_decision; the CEO runs
 * with ORCH_CEO_EVALUATE=command in replays) and waits for its answer,
 * which comes once the PolicyStore holds the decision. A command that
 * stays unanswered for RESEND_MS (lost in a Redis restart, say) is sent
 * again under a new request id; an answer to any of them counts. Returns
 * 0, or -1 with a message when the CEO refuses or none is answered in
 * timeout_ms.
 */
#define RESEND_MS 3000
static int decide(struct rlink *c, const char *prefix, const char *sign_key, int64_t t_ms, int timeout_ms)
{
	char key[160], id[64], base[48], rid[64], ts[40];
	snprintf(key, sizeof(key), "%s:stream:ceo_command_reply", prefix);
	last_id(c, key, id, sizeof(id));
	fmt_ts(t_ms, ts, sizeof(ts));
	snprintf(base, sizeof(base), "replay-%lld-", (long long)t_ms);
	int sent = 0;
	for (int waited = 0; waited < timeout_ms; waited += 200) {
		if (waited % RESEND_MS == 0) {
			snprintf(rid, sizeof(rid), "%s%d", base, ++sent);
			if (send_decide(c, prefix, sign_key, rid, ts) != 0)
				return -1;
		}
		redisReply *r = rlink_cmd(c, "XREAD COUNT 100 BLOCK 200 STREAMS %s %s", key, id);
		const redisReply *entries = r && r->type == REDIS_REPLY_ARRAY && r->elements ? r->element[0]->element[1] : NULL;
		for (size_t e = 0; entries && e < entries->elements; e++) {
			snprintf(id, sizeof(id), "%s", entries->element[e]->element[0]->str);
			json_t *p = reply_for(entries->element[e], base);
			if (!p)
				continue;
			const char *status = json_util_get_str(p, "status"), *err = json_util_get_str(p, "error");
			int good = status && !strcmp(status, "ok");
			if (!good)
				fprintf(stderr, "replay: the CEO refused to decide on %.10s: %s\n", ts, err ? err : "?");
			json_decref(p);
			freeReplyObject(r);
			return good ? 0 : -1;
		}
		freeReplyObject(r);
	}
	fprintf(stderr, "replay: the CEO did not answer a force_decision for %.10s within %d ms "
			"(is it running with ORCH_CEO_EVALUATE=command and the same ORCH_PREFIX?)\n",
		ts, timeout_ms);
	return -1;
}

/* The limits the policy document gives the book now, over `base`. */
static json_t *get_policy(struct rlink *c, const char *prefix)
{
	redisReply *r = rlink_cmd(c, "GET %s:policy:current", prefix);
	json_t *doc = r && r->type == REDIS_REPLY_STRING ? json_loads(r->str, 0, NULL) : NULL;
	freeReplyObject(r);
	return doc;
}

static void read_policy(struct rlink *c, const char *prefix, const struct replay_policy *base, struct replay_policy *v)
{
	json_t *doc = get_policy(c, prefix);
	replay_policy_read(doc, base, v);
	json_decref(doc);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The strategy names of arr (strings, or objects with "strategy"), sorted
 * and joined by commas into buf. */
static void name_set(const json_t *arr, char *buf, size_t len)
{
	const char *names[REPLAY_POLICY_MAX_DISABLED];
	size_t n = 0, i, used = 0;
	const json_t *v;
	json_array_foreach(arr, i, v) {
		const char *s = json_is_string(v) ? json_string_value(v) : json_util_get_str(v, "strategy");
		if (s && n < REPLAY_POLICY_MAX_DISABLED)
			names[n++] = s;
	}
	qsort(names, n, sizeof(names[0]), cmp_str);
	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s,", names[i]);
}

/*
 * The Strategy Officer stores its disabled set in the PolicyStore on its
 * own, by compare-and-set, and after losing one to the CEO's write it
 * retries later: waits (up to timeout_ms) until the document holds the set
 * its newest strategy_state_update names, so that the next day trades
 * under it whatever the timing.
 */
static void wait_disabled(struct rlink *c, const char *prefix, int timeout_ms)
{
	for (int waited = 0; waited < timeout_ms; waited++) {
		char want[4096] = "", have[4096] = "";
		redisReply *r = rlink_cmd(c, "XREVRANGE %s:stream:strategy_state_update + - COUNT 1", prefix);
		const redisReply *f = r && r->type == REDIS_REPLY_ARRAY && r->elements ? r->element[0]->element[1] : NULL;
		for (size_t k = 0; f && k + 1 < f->elements; k += 2) {
			if (strcmp(f->element[k]->str, "payload") != 0)
				continue;
			json_t *p = json_loads(f->element[k + 1]->str, 0, NULL);
			name_set(json_object_get(p, "disabled"), want, sizeof(want));
			json_decref(p);
		}
		freeReplyObject(r);
		json_t *doc = get_policy(c, prefix);
		name_set(json_object_get(doc, "disabled_strategies"), have, sizeof(have));
		json_decref(doc);
		if (strcmp(want, have) == 0)
			return;
		usleep(1000);
	}
	fprintf(stderr, "replay: the PolicyStore did not take the Strategy Officer's disabled set within %d ms\n",
		timeout_ms);
}

/* ---- summary ---- */

static json_t *mode_switches(struct rlink *c, const char *prefix)
{
	json_t *out = json_array();
	redisReply *r = rlink_cmd(c, "XRANGE %s:stream:ceo_mode_switch - +", prefix);
	for (size_t e = 0; r && r->type == REDIS_REPLY_ARRAY && e < r->elements; e++) {
		redisReply *f = r->element[e]->element[1];
		for (size_t k = 0; k + 1 < f->elements; k += 2) {
			if (strcmp(f->element[k]->str, "payload") != 0)
				continue;
			json_t *p = json_loads(f->element[k + 1]->str, 0, NULL);
			const char *ts = json_util_get_str(p, "timestamp");
			json_array_append_new(out, json_pack("{s:s%, s:s, s:s, s:s}", "date", ts ? ts : "", (size_t)(ts ? 10 : 0),
							     "from", json_util_get_str(p, "old_mode") ? json_util_get_str(p, "old_mode") : "",
							     "to", json_util_get_str(p, "new_mode") ? json_util_get_str(p, "new_mode") : "",
							     "reason", json_util_get_str(p, "reason") ? json_util_get_str(p, "reason") : ""));
			json_decref(p);
		}
	}
	freeReplyObject(r);
	return out;
}

struct options {
	const char *prices_path, *summary_path, *report_path, *rules;
	int delay_ms, wait;
	char key[256];          /* ORCH_COMMAND_KEY: the CEO's, to sign force_decision with */
};

/* Replays p through both books against Redis; 0, or 1 on a Redis failure. */
static int run(const struct replay_prices *p, struct rlink *c, const char *prefix, const struct options *o)
{
	int rc = 1;
	const char *names[RB_MAX_INSTR];
	for (int i = 0; i < p->n_instr; i++)
		names[i] = p->names[i];
	struct rb_book *with = rb_new(p->n_instr, names, INITIAL_EQUITY), *without = rb_new(p->n_instr, names, INITIAL_EQUITY);
	struct rb_day *day = malloc(2 * sizeof(*day));
	struct replay_record rec;
	json_t *summary = NULL;
	if (replay_record_init(&rec, p->n_days) != 0 || !with || !without || !day) {
		fprintf(stderr, "replay: out of memory\n");
		goto out;
	}
	struct replay_policy pv, base;
	replay_policy_normal(&base);
	for (size_t d = 0; d < p->n_days; d++) {
		const double *closes = &p->close[d * (size_t)p->n_instr];
		if (o->wait)
			wait_disabled(c, prefix, 5000);
		read_policy(c, prefix, &base, &pv);
		rb_step(with, closes, &pv.l, &day[0]);
		if (publish_day(c, prefix, p->t_ms[d], &day[0]) != 0) {
			fprintf(stderr, "replay: publishing day %zu failed\n", d + 1);
			goto out;
		}
		rb_step(without, closes, &base.l, &day[1]);
		replay_record_day(&rec, p->t_ms[d], &day[0], &day[1], pv.mode);
		if (o->wait) {
			wait_layer(c, prefix, 5000);
			if (decide(c, prefix, o->key, p->t_ms[d], 10000) != 0)
				goto out;
		}
		if (o->delay_ms > 0)
			usleep((useconds_t)o->delay_ms * 1000);
	}
	summary = replay_summary_json(&rec, p, o->prices_path, o->rules, mode_switches(c, prefix));
	if (!summary) {
		fprintf(stderr, "replay: out of memory\n");
		goto out;
	}
	replay_summary_print(stdout, summary);
	if (o->summary_path && json_dump_file(summary, o->summary_path, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
		fprintf(stderr, "replay: cannot write %s\n", o->summary_path);
		goto out;
	}
	char err[256];
	if (o->report_path && backtest_report_write(o->report_path, summary, p, &rec, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "replay: %s\n", err);
		goto out;
	}
	if (c->reconnects)
		printf("(Redis went away %d time%s during the replay; every command was sent again until stored)\n",
		       c->reconnects, c->reconnects == 1 ? "" : "s");
	rc = 0;
out:
	json_decref(summary);
	free(day);
	replay_record_release(&rec);
	rb_free(with);
	rb_free(without);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o = {.prices_path = "data/eustockmarkets.csv", .wait = 1};
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--prices") && i + 1 < argc) {
			o.prices_path = argv[++i];
		} else if (!strcmp(argv[i], "--summary-json") && i + 1 < argc) {
			o.summary_path = argv[++i];
		} else if (!strcmp(argv[i], "--report") && i + 1 < argc) {
			o.report_path = argv[++i];
		} else if (!strcmp(argv[i], "--delay-ms") && i + 1 < argc) {
			o.delay_ms = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--no-wait")) {
			o.wait = 0;
		} else {
			fprintf(stderr, "replay: unknown argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	struct redis_target target;
	char err[256], prefix[64];
	if (config_load_redis(&target, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "replay: %s\n", err);
		return 2;
	}
	snprintf(prefix, sizeof(prefix), "%s", getenv("ORCH_PREFIX") && *getenv("ORCH_PREFIX") ? getenv("ORCH_PREFIX") : "quantum");
	struct ceo_config ceo;
	if (ceo_config_load(&ceo, err, sizeof(err)) != 0) {
		fprintf(stderr, "replay: %s\n", err);
		return 2;
	}
	o.rules = ceo_rules_name(ceo.brain.rules);
	if (config_load_command_key(o.key, sizeof(o.key), err, sizeof(err)) != 0) {
		fprintf(stderr, "replay: %s\n", err);
		return 2;
	}
	if (o.wait && !o.key[0]) {
		fprintf(stderr, "replay: set ORCH_COMMAND_KEY (or ORCH_COMMAND_KEY_FILE) to the CEO's key: it decides "
				"each day on a signed force_decision\n");
		return 2;
	}
	struct replay_prices p;
	if (replay_prices_load(o.prices_path, 1, 2, &p, err, sizeof(err)) != 0) {
		fprintf(stderr, "replay: %s\n", err);
		return 2;
	}
	struct rlink link;
	int rc = rlink_open(&link, &target) == 0 ? run(&p, &link, prefix, &o) : 1;
	rlink_close(&link);
	replay_prices_release(&p);
	return rc;
}
