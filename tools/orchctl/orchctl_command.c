/*
 * orchctl_command.c - operator commands to the CEO through Redis, signed
 * (see orchctl_command.h).
 */
#include "orchctl_command.h"

#include <stdio.h>
#include <string.h>

#include "bus_envelope.h"
#include "clock.h"
#include "command_auth.h"
#include "config.h"
#include "json_util.h"
#include "orch.h"

int orchctl_command_key(const struct orchctl_target *t, char *key, size_t keylen)
{
	char err[512];
	if (config_load_command_key(key, keylen, err, sizeof(err)) != 0) {
		fprintf(stderr, "orchctl %s: %s\n", t->cmd, err);
		return ORCH_EINVAL;
	}
	if (!key[0]) {
		fprintf(stderr,
			"orchctl %s: set ORCH_COMMAND_KEY or ORCH_COMMAND_KEY_FILE to the CEO's key: "
			"it accepts only signed commands\n",
			t->cmd);
		return ORCH_EINVAL;
	}
	return 0;
}

json_t *orchctl_ceo_command(redisContext *c, const struct orchctl_target *t, const char *sign_key, json_t *cmd)
{
	json_t *reply = NULL;
	char rid[64], key[160], id[64] = "0-0", ts[40];
	int64_t now_ms = clock_wall_ms();
	bus_uuid7(now_ms, rid);
	json_util_format_ts_us(now_ms * 1000, ts, sizeof(ts));
	if (!cmd || json_object_set_new(cmd, "request_id", json_string(rid)) != 0 ||
	    command_sign(cmd, "ceo_command", sign_key, now_ms) != 0) {
		fprintf(stderr, "orchctl %s: out of memory\n", t->cmd);
		goto out;
	}
	snprintf(key, sizeof(key), "%s:stream:ceo_command_reply", t->prefix);
	redisReply *r = redisCommand(c, "XREVRANGE %s + - COUNT 1", key);
	if (r && r->type == REDIS_REPLY_ARRAY && r->elements)
		snprintf(id, sizeof(id), "%s", r->element[0]->element[0]->str);
	freeReplyObject(r);
	char *text = json_dumps(cmd, JSON_COMPACT);
	r = text ? redisCommand(c,
				"XADD %s:stream:ceo_command * event_type ceo_command payload %s trace_id %s "
				"timestamp %s source orchctl",
				t->prefix,
				text,
				rid,
				ts)
		 : NULL;
	free(text);
	int sent = r && r->type == REDIS_REPLY_STRING;
	freeReplyObject(r);
	if (!sent) {
		fprintf(stderr,
			"orchctl %s: cannot publish on %s:stream:ceo_command: %s\n",
			t->cmd,
			t->prefix,
			c->err ? c->errstr : "Redis refused");
		goto out;
	}
	for (int waited = 0; waited < t->timeout_ms; waited += 100) {
		r = redisCommand(c, "XREAD COUNT 100 BLOCK 100 STREAMS %s %s", key, id);
		const redisReply *entries =
			r && r->type == REDIS_REPLY_ARRAY && r->elements ? r->element[0]->element[1] : NULL;
		for (size_t e = 0; entries && e < entries->elements; e++) {
			snprintf(id, sizeof(id), "%s", entries->element[e]->element[0]->str);
			json_t *p = orchctl_entry(entries->element[e]);
			const char *got = json_string_value(json_object_get(p, "request_id"));
			if (got && !strcmp(got, rid)) {
				freeReplyObject(r);
				reply = p;
				goto out;
			}
			json_decref(p);
		}
		freeReplyObject(r);
	}
	fprintf(stderr,
		"orchctl %s: no answer from the CEO within %d ms (is a ceo running with prefix %s?)\n",
		t->cmd,
		t->timeout_ms,
		t->prefix);
out:
	json_decref(cmd);
	return reply;
}
