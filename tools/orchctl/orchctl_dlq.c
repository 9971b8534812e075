/*
 * orchctl_dlq.c - `orchctl dlq list|retry|drop`: the dead letters the
 * services' EventBus left in {prefix}:dlq:{type} (each entry: dlq_reason,
 * dlq_deliveries, dlq_source_id, dlq_group, dlq_consumer, then the original
 * fields). retry puts the original fields back on {prefix}:stream:{type}
 * and removes the dead letter in one atomic script, so an entry is never
 * both retried and kept, nor lost; drop removes it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orch.h"
#include "orchctl.h"
#include "orchctl_io.h"
#include "orchctl_net.h"

#define PFX "orchctl dlq: "

/* KEYS: dlq, stream. ARGV: id. 1 = moved, 0 = no such entry. */
static const char LUA_RETRY[] =
	"local e = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])\n"
	"if #e == 0 then return 0 end\n"
	"local f, a = e[1][2], {'XADD', KEYS[2], '*'}\n"
	"for i = 1, #f, 2 do\n"
	"  if string.sub(f[i], 1, 4) ~= 'dlq_' then a[#a + 1] = f[i]; a[#a + 1] = f[i + 1] end\n"
	"end\n"
	"if #a == 3 then return redis.error_reply('the entry holds no original fields') end\n"
	"redis.call(unpack(a))\n"
	"redis.call('XDEL', KEYS[1], ARGV[1])\n"
	"return 1\n";

static void dlq_usage(FILE *f)
{
	fprintf(f,
		"usage: orchctl dlq list [TYPE] [--limit N] [options]\n"
		"       orchctl dlq retry TYPE (ID ... | --all) [options]\n"
		"       orchctl dlq drop TYPE (ID ... | --all) [options]\n"
		"\n"
		"Dead letters: events a service could not handle (malformed, or failing past\n"
		"its delivery limit), kept with the reason in {prefix}:dlq:{TYPE}. list shows\n"
		"them (every type, or TYPE's; each consumer group that gave up on an event\n"
		"leaves its own); retry publishes an entry again on its stream, as it was\n"
		"first published, where every group reads it (the services dedupe by event\n"
		"id), and removes the dead letter; drop removes it. Through Redis only.\n"
		"\n"
		"  --limit N         at most N entries per type (default 100)\n"
		"  --all             every entry of TYPE\n");
	orchctl_target_usage(f);
	fprintf(f,
		"\nExit status: 0 success, 1 Redis could not be reached or an ID is not a dead\n"
		"letter of TYPE, 2 usage error.\n");
}

/* One dead letter as {type, id, reason, deliveries, source_id, group, consumer, fields}. */
static json_t *letter(const char *type, const redisReply *e)
{
	json_t *o = json_pack("{s:s, s:s}", "type", type, "id", e->element[0]->str), *fields = json_object();
	const redisReply *f = e->element[1];
	for (size_t k = 0; k + 1 < f->elements; k += 2) {
		const char *n = f->element[k]->str, *v = f->element[k + 1]->str;
		if (!strcmp(n, "dlq_deliveries"))
			json_object_set_new(o, "deliveries", json_integer(atoll(v)));
		else if (!strncmp(n, "dlq_", 4) && strcmp(n, "dlq_source_stream") != 0)
			json_object_set_new(o, n + 4, json_string(v));
		else if (strncmp(n, "dlq_", 4) != 0)
			json_object_set_new(fields, n, json_string(v));
	}
	json_object_set_new(o, "fields", fields);
	return o;
}

static int list_type(redisContext *c, const struct orchctl_target *t, const char *type, long limit, json_t *out)
{
	redisReply *r = redisCommand(c, "XRANGE %s:dlq:%s - + COUNT %ld", t->prefix, type, limit);
	if (!r || r->type == REDIS_REPLY_ERROR) {
		fprintf(stderr, PFX "reading %s:dlq:%s failed: %s\n", t->prefix, type, r ? r->str : c->errstr);
		freeReplyObject(r);
		return ORCHCTL_EXIT_FAILED;
	}
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
		json_array_append_new(out, letter(type, r->element[i]));
	freeReplyObject(r);
	return 0;
}

static int dlq_list(redisContext *c, const struct orchctl_target *t, const char *type, long limit)
{
	json_t *out = json_array();
	int rc = 0;
	if (type) {
		rc = list_type(c, t, type, limit, out);
	} else {
		json_t *types = orchctl_dlq_types(c, t), *name;
		size_t i;
		if (!types) {
			fprintf(stderr, PFX "SCAN failed: %s\n", c->err ? c->errstr : "Redis refused");
			rc = ORCHCTL_EXIT_FAILED;
		}
		json_array_foreach(types, i, name)
		{
			if ((rc = list_type(c, t, json_string_value(name), limit, out)) != 0)
				break;
		}
		json_decref(types);
	}
	if (rc == 0) {
		static const char *const cols[] = {"type", "id", "group", "deliveries", "reason", NULL};
		if (!t->json && !json_array_size(out))
			printf("no dead letters\n");
		else
			orchctl_print(t, out, cols);
	}
	json_decref(out);
	return rc;
}

/* retry or drop the given ids (all of TYPE when n == 0). */
static int dlq_move(redisContext *c, const struct orchctl_target *t, int retry, const char *type, char **ids, int n)
{
	char dlq[160], stream[160];
	snprintf(dlq, sizeof(dlq), "%s:dlq:%s", t->prefix, type);
	snprintf(stream, sizeof(stream), "%s:stream:%s", t->prefix, type);
	json_t *todo = json_array();
	if (n == 0) {
		redisReply *r = redisCommand(c, "XRANGE %s - +", dlq);
		for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
			json_array_append_new(todo, json_string(r->element[i]->element[0]->str));
		freeReplyObject(r);
	}
	for (int i = 0; i < n; i++)
		json_array_append_new(todo, json_string(ids[i]));
	long done = 0, missing = 0;
	size_t i;
	json_t *id;
	int rc = 0;
	json_array_foreach(todo, i, id)
	{
		redisReply *r =
			retry ? redisCommand(c, "EVAL %s 2 %s %s %s", LUA_RETRY, dlq, stream, json_string_value(id))
			      : redisCommand(c, "XDEL %s %s", dlq, json_string_value(id));
		if (!r || r->type != REDIS_REPLY_INTEGER) {
			fprintf(stderr,
				PFX "%s %s failed: %s\n",
				retry ? "retrying" : "dropping",
				json_string_value(id),
				r && r->str ? r->str : c->errstr);
			freeReplyObject(r);
			rc = ORCHCTL_EXIT_FAILED;
			break;
		}
		if (r->integer == 1) {
			done++;
		} else {
			fprintf(stderr, PFX "%s is not a dead letter of %s\n", json_string_value(id), type);
			missing++;
		}
		freeReplyObject(r);
	}
	json_decref(todo);
	json_t *res = json_pack("{s:s, s:s, s:I, s:I}",
				"type",
				type,
				"action",
				retry ? "retried" : "dropped",
				"done",
				(json_int_t)done,
				"not_found",
				(json_int_t)missing);
	orchctl_print(t, res, NULL);
	json_decref(res);
	return rc ? rc : missing ? ORCHCTL_EXIT_FAILED : 0;
}

int orchctl_dlq(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			dlq_usage(stdout);
			return 0;
		}
	struct orchctl_target t;
	int rc = orchctl_target_parse(&t, "dlq", &argc, argv);
	if (rc != 0)
		return rc;
	long limit = 100;
	int all = 0, n = 0;
	char *pos[256];
	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		double d;
		if ((rc = orchctl_take_value(argc, argv, &i, "--limit", PFX, "dlq", &v)))
			return rc;
		if (v) {
			if (orchctl_parse_double(v, &d) != 0 || d < 1 || d > 1e6 || d != (long)d) {
				fprintf(stderr, PFX "--limit: expected a whole number in [1, 1000000], got '%s'\n", v);
				return ORCH_EINVAL;
			}
			limit = (long)d;
		} else if (!strcmp(argv[i], "--all")) {
			all = 1;
		} else if (argv[i][0] == '-' || n == 256) {
			fprintf(stderr, PFX "unexpected argument '%s' (see orchctl dlq --help)\n", argv[i]);
			return ORCH_EINVAL;
		} else {
			pos[n++] = argv[i];
		}
	}
	const char *sub = n ? pos[0] : "";
	int is_list = !strcmp(sub, "list"), is_retry = !strcmp(sub, "retry"), is_drop = !strcmp(sub, "drop");
	if (!is_list && !is_retry && !is_drop) {
		fprintf(stderr, PFX "expected list, retry or drop (see orchctl dlq --help)\n");
		return ORCH_EINVAL;
	}
	if ((is_list && (n > 2 || all)) || (!is_list && (n < 2 || (all == (n > 2))))) {
		fprintf(stderr,
			PFX "%s\n",
			is_list ? "list takes at most a TYPE" : "retry and drop take a TYPE, then IDs or --all");
		return ORCH_EINVAL;
	}
	if (t.api) {
		fprintf(stderr, PFX "dead letters are on Redis only; leave out --api\n");
		return ORCH_EINVAL;
	}
	redisContext *c = orchctl_redis(&t);
	if (!c)
		return ORCHCTL_EXIT_FAILED;
	rc = is_list ? dlq_list(c, &t, n == 2 ? pos[1] : NULL, limit)
		     : dlq_move(c, &t, is_retry, pos[1], pos + 2, n - 2);
	redisFree(c);
	return rc;
}
