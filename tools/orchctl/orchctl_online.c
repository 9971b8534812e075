/*
 * orchctl_online.c - orchctl's commands against a running layer: status,
 * global-state, mode-history, force-decision, tail and dlq (the operator
 * commands are in orchctl_command.c).
 * Each talks to Redis (streams, leases, the PolicyStore, dead letters) or,
 * where the Federation serves the same thing, to its REST API with --api.
 * Commands to the CEO go on its ceo_command stream, signed, and wait for
 * the ceo_command_reply with their request_id (orchctl_command.c).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "lease.h"
#include "orch.h"
#include "orchctl.h"
#include "orchctl_command.h"
#include "orchctl_io.h"
#include "orchctl_net.h"
#include "redis_sync.h"

static const char *const LEASES[] = {"ceo", "risk_officer", "strategy_officer"};
static const char *const STREAMS[] = {"trade.closed",
				      "portfolio.snapshot_updated",
				      "risk_state_update",
				      "risk_alert",
				      "risk_ceiling_update",
				      "strategy_state_update",
				      "strategy_alert",
				      "ceo_decision",
				      "ceo_mode_switch",
				      "ceo_alert",
				      "ceo_command",
				      "ceo_command_reply",
				      "global_state_update"};
#define N_STREAMS (sizeof(STREAMS) / sizeof(STREAMS[0]))

/* An API answer other than 200: its error printed. */
static int api_failed(const struct orchctl_target *t, int status, const json_t *body)
{
	const json_t *e = json_object_get(body, "error");
	const char *msg = json_is_object(e) ? json_string_value(json_object_get(e, "message")) : json_string_value(e);
	fprintf(stderr, "orchctl %s: the API answered %d: %s\n", t->cmd, status, msg ? msg : "(no message)");
	return ORCHCTL_EXIT_FAILED;
}

/* GET path from the API, its "data" printed with columns; 0 or a failure. */
static int api_show(const struct orchctl_target *t, const char *path, const char *const *columns)
{
	json_t *body = NULL;
	int st = orchctl_http(t, "GET", path, NULL, &body);
	int rc = st < 0 ? ORCHCTL_EXIT_FAILED : st != 200 ? api_failed(t, st, body) : 0;
	if (rc == 0) {
		const json_t *v = json_object_get(body, "data");
		orchctl_print(t, v ? v : body, columns);
	}
	json_decref(body);
	return rc;
}

/* The newest `count` payloads of a stream, newest first (array). */
static json_t *newest(redisContext *c, const struct orchctl_target *t, const char *type, long count)
{
	json_t *out = json_array();
	redisReply *r = redisCommand(c, "XREVRANGE %s:stream:%s + - COUNT %ld", t->prefix, type, count);
	for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
		json_array_append_new(out, orchctl_entry(r->element[i]));
	freeReplyObject(r);
	return out;
}

static long long reply_int(redisReply *r)
{
	long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
	freeReplyObject(r);
	return v;
}

/* ---- status ---- */

/* What the layer's Redis holds; the PolicyStore document read at
 * policy_key. New reference. */
static json_t *status_redis(redisContext *c, const struct orchctl_target *t, const char *policy_key)
{
	json_t *leases = json_object(), *streams = json_array(), *dlq = json_array(), *policy = json_object();
	for (size_t i = 0; i < sizeof(LEASES) / sizeof(LEASES[0]); i++) {
		char key[160];
		lease_key(key, sizeof(key), t->prefix, LEASES[i]);
		redisReply *r = redisCommand(c, "GET %s", key);
		json_object_set_new(
			leases, LEASES[i], r && r->type == REDIS_REPLY_STRING ? json_string(r->str) : json_null());
		freeReplyObject(r);
	}
	redisReply *r = redisCommand(c, "GET %s", policy_key);
	json_t *doc = r && r->type == REDIS_REPLY_STRING ? json_loads(r->str, 0, NULL) : NULL;
	freeReplyObject(r);
	json_object_set_new(policy, "key", json_string(policy_key));
	static const char *const keys[] = {"version",
					   "operating_mode",
					   "active_mode",
					   "emergency_mode",
					   "allow_new_trades",
					   "emergency_set_by",
					   "emergency_reason",
					   "emergency_activated_at",
					   "updated_by",
					   "last_updated"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(doc, keys[i]);
		json_object_set(policy, keys[i], v ? v : json_null());
	}
	json_decref(doc);
	for (size_t s = 0; s < N_STREAMS; s++) {
		char key[160];
		snprintf(key, sizeof(key), "%s:stream:%s", t->prefix, STREAMS[s]);
		long long len = reply_int(redisCommand(c, "XLEN %s", key));
		struct redis_backlog b;
		r = redisCommand(c, "XINFO GROUPS %s", key);
		redis_backlog_of(r, &b);
		freeReplyObject(r);
		if (len || b.groups)
			json_array_append_new(streams,
					      json_pack("{s:s, s:I, s:I, s:I, s:I}",
							"stream",
							STREAMS[s],
							"length",
							(json_int_t)len,
							"groups",
							(json_int_t)b.groups,
							"pending",
							(json_int_t)b.pending,
							"lag",
							(json_int_t)b.lag));
	}
	json_t *types = orchctl_dlq_types(c, t), *type;
	size_t i;
	json_array_foreach(types, i, type)
	{
		const char *name = json_string_value(type);
		json_array_append_new(
			dlq,
			json_pack("{s:s, s:I}",
				  "type",
				  name,
				  "length",
				  (json_int_t)reply_int(redisCommand(c, "XLEN %s:dlq:%s", t->prefix, name))));
	}
	json_decref(types);
	return json_pack(
		"{s:o, s:o, s:o, s:o}", "leases", leases, "policy", policy, "streams", streams, "dead_letters", dlq);
}

int orchctl_status(int argc, char **argv)
{
	struct orchctl_target t;
	if (orchctl_wants_help(argc, argv)) {
		printf("usage: orchctl status [options]\n\n"
		       "Who leads (leases), the PolicyStore's mode and version and an emergency stop it\n"
		       "holds (who set it, why, since when), every stream's length, unacknowledged and\n"
		       "unread entries, and the dead letters; with --api, every agent's status as the\n"
		       "Federation sees it.\n\n");
		orchctl_target_usage(stdout);
		orchctl_exit_codes(stdout);
		return 0;
	}
	int rc = orchctl_target_parse(&t, "status", &argc, argv);
	if (rc != 0)
		return rc;
	if (argc > 1)
		return orchctl_usage_error("status", "unexpected argument");
	if (t.api)
		return api_show(&t, "/api/orchestration/agents/status", NULL);
	char policy_key[160], err[256];
	if ((rc = config_load_policy_key(t.prefix, policy_key, sizeof(policy_key), err, sizeof(err))) != 0) {
		fprintf(stderr, "orchctl status: %s\n", err);
		return rc;
	}
	redisContext *c = orchctl_redis(&t);
	if (!c)
		return ORCHCTL_EXIT_FAILED;
	json_t *s = status_redis(c, &t, policy_key);
	redisFree(c);
	if (t.json) {
		orchctl_print(&t, s, NULL);
	} else {
		printf("leases\n");
		orchctl_print(&t, json_object_get(s, "leases"), NULL);
		printf("\npolicy\n");
		orchctl_print(&t, json_object_get(s, "policy"), NULL);
		printf("\nstreams\n");
		orchctl_print(&t, json_object_get(s, "streams"), NULL);
		printf("\ndead letters\n");
		if (json_array_size(json_object_get(s, "dead_letters")))
			orchctl_print(&t, json_object_get(s, "dead_letters"), NULL);
		else
			printf("none\n");
	}
	json_decref(s);
	return 0;
}

/* ---- global-state, mode-history ---- */

int orchctl_global_state(int argc, char **argv)
{
	struct orchctl_target t;
	if (orchctl_wants_help(argc, argv)) {
		printf("usage: orchctl global-state [options]\n\n"
		       "The Federation's merged global state: mode, effective limits and their\n"
		       "sources, risk, strategies, health, alerts (the newest global_state_update,\n"
		       "or GET /api/orchestration/global-state with --api).\n\n");
		orchctl_target_usage(stdout);
		orchctl_exit_codes(stdout);
		return 0;
	}
	int rc = orchctl_target_parse(&t, "global-state", &argc, argv);
	if (rc != 0)
		return rc;
	if (argc > 1)
		return orchctl_usage_error("global-state", "unexpected argument");
	if (t.api)
		return api_show(&t, "/api/orchestration/global-state", NULL);
	redisContext *c = orchctl_redis(&t);
	if (!c)
		return ORCHCTL_EXIT_FAILED;
	json_t *last = newest(c, &t, "global_state_update", 1);
	redisFree(c);
	json_t *gs = json_array_get(last, 0);
	if (!gs) {
		fprintf(stderr,
			"orchctl global-state: no global_state_update on %s:stream:global_state_update yet "
			"(is the federation running?)\n",
			t.prefix);
		json_decref(last);
		return ORCHCTL_EXIT_FAILED;
	}
	json_object_del(gs, "_id");
	json_object_del(gs, "_type");
	orchctl_print(&t, gs, NULL);
	json_decref(last);
	return 0;
}

int orchctl_mode_history(int argc, char **argv)
{
	static const char *const cols[] = {"timestamp", "old_mode", "new_mode", "operator", "reason", NULL};
	struct orchctl_target t;
	if (orchctl_wants_help(argc, argv)) {
		printf("usage: orchctl mode-history [--limit N] [options]\n\n"
		       "Mode changes and operator commands, newest first (the ceo_mode_history\n"
		       "stream, or GET /api/orchestration/mode-history with --api).\n\n"
		       "  --limit N         at most N entries, 1-1000 (default 20)\n");
		orchctl_target_usage(stdout);
		orchctl_exit_codes(stdout);
		return 0;
	}
	int rc = orchctl_target_parse(&t, "mode-history", &argc, argv);
	if (rc != 0)
		return rc;
	long limit = 20;
	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		double d;
		if ((rc = orchctl_take_value(argc, argv, &i, "--limit", "orchctl mode-history: ", "mode-history", &v)))
			return rc;
		if (!v)
			return orchctl_usage_error("mode-history", "unexpected argument");
		if (orchctl_parse_double(v, &d) != 0 || d < 1 || d > 1000 || d != (long)d)
			return orchctl_usage_error("mode-history", "--limit: expected a whole number in [1, 1000]");
		limit = (long)d;
	}
	if (t.api) {
		char path[96];
		snprintf(path, sizeof(path), "/api/orchestration/mode-history?limit=%ld", limit);
		return api_show(&t, path, cols);
	}
	redisContext *c = orchctl_redis(&t);
	if (!c)
		return ORCHCTL_EXIT_FAILED;
	json_t *items = newest(c, &t, "ceo_mode_history", limit);
	redisFree(c);
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
	{
		json_object_del(it, "_id");
		json_object_del(it, "_type");
	}
	orchctl_print(&t, items, cols);
	json_decref(items);
	return 0;
}

/* ---- commands to the CEO ---- */

/* A reply: the decision printed on "ok", the error on anything else. */
int orchctl_force_decision(int argc, char **argv)
{
	struct orchctl_target t;
	if (orchctl_wants_help(argc, argv)) {
		printf("usage: orchctl force-decision [options]\n\n"
		       "Asks the CEO to decide now and prints its decision once the PolicyStore\n"
		       "holds it (a ceo_command on Redis, signed with ORCH_COMMAND_KEY or\n"
		       "ORCH_COMMAND_KEY_FILE, the CEO's key; or POST .../agents/ceo/force-decision\n"
		       "with --api, which needs --token or ORCH_API_TOKEN).\n\n");
		orchctl_target_usage(stdout);
		orchctl_exit_codes(stdout);
		return 0;
	}
	int rc = orchctl_target_parse(&t, "force-decision", &argc, argv);
	if (rc != 0)
		return rc;
	if (argc > 1)
		return orchctl_usage_error("force-decision", "unexpected argument");
	if (t.api) {
		json_t *body = NULL;
		int st = orchctl_http(&t, "POST", "/api/orchestration/agents/ceo/force-decision", "{}", &body);
		rc = st < 0 ? ORCHCTL_EXIT_FAILED : st != 200 ? api_failed(&t, st, body) : 0;
		if (rc == 0)
			orchctl_print(
				&t, json_object_get(body, "decision") ? json_object_get(body, "decision") : body, NULL);
		json_decref(body);
		return rc;
	}
	char key[256];
	if ((rc = orchctl_command_key(&t, key, sizeof(key))) != 0)
		return rc;
	redisContext *c = orchctl_redis(&t);
	if (!c)
		return ORCHCTL_EXIT_FAILED;
	json_t *reply = orchctl_ceo_command(
		c, &t, key, json_pack("{s:s, s:s}", "action", "force_decision", "operator", "orchctl"));
	redisFree(c);
	return reply ? orchctl_show_reply(&t, reply) : ORCHCTL_EXIT_FAILED;
}

/* ---- tail ---- */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void print_event(const struct orchctl_target *t, json_t *ev)
{
	if (t->json) {
		orchctl_print(t, ev, NULL);
	} else {
		char type[64] = "", id[64] = "";
		if (json_is_string(json_object_get(ev, "_type")))
			snprintf(type, sizeof(type), "%s", json_string_value(json_object_get(ev, "_type")));
		if (json_is_string(json_object_get(ev, "_id")))
			snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(ev, "_id")));
		json_object_del(ev, "_id");
		json_object_del(ev, "_type");
		char *s = json_dumps(ev, JSON_COMPACT | JSON_REAL_PRECISION(6));
		printf("%-20s %-26s %.200s\n", id, type, s ? s : "");
		free(s);
	}
	fflush(stdout);
}

static int tail_api(const struct orchctl_target *t, long count)
{
	int fd = orchctl_http_stream(t, "/api/orchestration/events");
	if (fd < 0)
		return ORCHCTL_EXIT_FAILED;
	FILE *f = fdopen(fd, "r");
	char *line = NULL, event[64] = "message";
	size_t cap = 0;
	long seen = 0;
	while (!stop && (count == 0 || seen < count) && getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!strncmp(line, "event:", 6)) {
			snprintf(event, sizeof(event), "%s", line + 6 + (line[6] == ' '));
		} else if (!strncmp(line, "data:", 5)) {
			json_t *data = json_loads(line + 5 + (line[5] == ' '), 0, NULL);
			json_t *ev = json_is_object(data) ? json_incref(data) : json_object();
			json_object_set_new(ev, "_type", json_string(event));
			print_event(t, ev);
			json_decref(ev);
			json_decref(data);
			seen++;
		} else if (!line[0]) {
			snprintf(event, sizeof(event), "message");
		}
	}
	free(line);
	fclose(f);
	return 0;
}

int orchctl_tail(int argc, char **argv)
{
	struct orchctl_target t;
	if (orchctl_wants_help(argc, argv)) {
		printf("usage: orchctl tail [TYPE ...] [--count N] [options]\n\n"
		       "Follows the layer's events as they are published (default: every stream of\n"
		       "the layer; TYPE names one, e.g. risk_alert), one line each: entry id, type,\n"
		       "payload; with --api, the Federation's /events stream. Runs until Ctrl-C.\n\n"
		       "  --count N         stop after N events\n");
		orchctl_target_usage(stdout);
		orchctl_exit_codes(stdout);
		return 0;
	}
	int rc = orchctl_target_parse(&t, "tail", &argc, argv);
	if (rc != 0)
		return rc;
	long count = 0;
	const char *types[64];
	size_t nt = 0;
	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		double d;
		if ((rc = orchctl_take_value(argc, argv, &i, "--count", "orchctl tail: ", "tail", &v)))
			return rc;
		if (v) {
			if (orchctl_parse_double(v, &d) != 0 || d < 1 || d > 1e9 || d != (long)d)
				return orchctl_usage_error("tail", "--count: expected a whole number >= 1");
			count = (long)d;
		} else if (argv[i][0] == '-' || nt == 64) {
			return orchctl_usage_error("tail", "unexpected argument");
		} else {
			types[nt++] = argv[i];
		}
	}
	if (!nt)
		for (; nt < N_STREAMS; nt++)
			types[nt] = STREAMS[nt];
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (t.api)
		return tail_api(&t, count);
	redisContext *c = orchctl_redis(&t);
	if (!c)
		return ORCHCTL_EXIT_FAILED;
	char ids[64][64];
	for (size_t i = 0; i < nt; i++) {
		redisReply *r = redisCommand(c, "XREVRANGE %s:stream:%s + - COUNT 1", t.prefix, types[i]);
		snprintf(ids[i],
			 sizeof(ids[i]),
			 "%s",
			 r && r->type == REDIS_REPLY_ARRAY && r->elements ? r->element[0]->element[0]->str : "0-0");
		freeReplyObject(r);
	}
	long seen = 0;
	rc = 0;
	while (!stop && (count == 0 || seen < count)) {
		const char *av[3 + 2 * 64 + 3];
		char keys[64][160];
		int ac = 0;
		av[ac++] = "XREAD";
		av[ac++] = "BLOCK";
		av[ac++] = "1000";
		av[ac++] = "STREAMS";
		for (size_t i = 0; i < nt; i++) {
			snprintf(keys[i], sizeof(keys[i]), "%s:stream:%s", t.prefix, types[i]);
			av[ac++] = keys[i];
		}
		for (size_t i = 0; i < nt; i++)
			av[ac++] = ids[i];
		redisReply *r = redisCommandArgv(c, ac, av, NULL);
		if (!r) {
			fprintf(stderr, "orchctl tail: Redis connection lost: %s\n", c->errstr);
			rc = ORCHCTL_EXIT_FAILED;
			break;
		}
		for (size_t s = 0; r->type == REDIS_REPLY_ARRAY && s < r->elements; s++) {
			const redisReply *st = r->element[s];
			size_t k = 0;
			while (k < nt && strcmp(keys[k], st->element[0]->str) != 0)
				k++;
			for (size_t e = 0; e < st->element[1]->elements && (count == 0 || seen < count); e++) {
				json_t *ev = orchctl_entry(st->element[1]->element[e]);
				if (!json_is_string(json_object_get(ev, "_type")) && k < nt)
					json_object_set_new(ev, "_type", json_string(types[k]));
				if (k < nt)
					snprintf(ids[k],
						 sizeof(ids[k]),
						 "%s",
						 st->element[1]->element[e]->element[0]->str);
				print_event(&t, ev);
				json_decref(ev);
				seen++;
			}
		}
		freeReplyObject(r);
	}
	redisFree(c);
	return rc;
}
