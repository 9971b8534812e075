/*
 * replay_ceo.c - the feeder's force_decision and the wait for the CEO's
 * reply (see replay_ceo.h).
 */
#include "replay_ceo.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "command_auth.h"
#include "json_util.h"
#include "orch.h"

/* The newest entry id of a stream, "0-0" when it is empty. */
static void stream_last_id(struct replay_link *l, const char *key, char *id, size_t len)
{
	redisReply *r = replay_link_cmd(l, "XREVRANGE %s + - COUNT 1", key);
	snprintf(id,
		 len,
		 "%s",
		 r && r->type == REDIS_REPLY_ARRAY && r->elements ? r->element[0]->element[0]->str : "0-0");
	freeReplyObject(r);
}

/* The payload of a ceo_command_reply entry whose request_id starts with
 * prefix (new reference: the caller json_decref()s), or NULL. */
static json_t *reply_matching(const redisReply *entry, const char *prefix)
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
 * signed with key. 0, ORCH_ENOMEM or ORCH_EREDIS (printed). */
static int send_force_decision(struct replay_link *l, const char *prefix, const char *key, const char *rid,
			       const char *ts)
{
	int rc = ORCH_ENOMEM;
	json_t *cmd = json_pack("{s:s, s:s, s:s, s:s}",
				"request_id",
				rid,
				"action",
				"force_decision",
				"reason",
				"replay: the day's inputs are in",
				"operator",
				"replay");
	int signed_ok = cmd && command_sign(cmd, "ceo_command", key, clock_wall_ms()) == 0;
	char *text = signed_ok ? json_dumps(cmd, JSON_COMPACT) : NULL;
	if (!text)
		goto out;
	redisReply *r = replay_link_cmd(l,
					"XADD %s:stream:ceo_command * event_type ceo_command event_id %s "
					"payload %s trace_id %s timestamp %s source replay",
					prefix,
					rid,
					text,
					rid,
					ts);
	rc = r && r->type == REDIS_REPLY_STRING ? 0 : ORCH_EREDIS;
	if (r && r->type == REDIS_REPLY_ERROR)
		fprintf(stderr, "replay: Redis refused XADD: %s\n", r->str);
	freeReplyObject(r);
out:
	if (rc != 0)
		fprintf(stderr, "replay: cannot publish ceo_command: %s\n", orch_strerror(rc));
	free(text);
	json_decref(cmd);
	return rc;
}

/* What the CEO's reply p says: 0 for "ok", else ORCH_ECONFLICT (printed). */
static int reply_verdict(const json_t *p, const char *ts)
{
	const char *status = json_util_get_str(p, "status"), *err = json_util_get_str(p, "error");
	if (status && !strcmp(status, "ok"))
		return 0;
	fprintf(stderr, "replay: the CEO refused to decide on %.10s: %s\n", ts, err ? err : "?");
	return ORCH_ECONFLICT;
}

int replay_ceo_request_decision(struct replay_link *l, const char *prefix, const char *sign_key, int64_t t_ms,
				int timeout_ms)
{
	char key[160], id[64], base[48], rid[64], ts[40];
	snprintf(key, sizeof(key), "%s:stream:ceo_command_reply", prefix);
	stream_last_id(l, key, id, sizeof(id));
	json_util_format_ts_us(t_ms * 1000, ts, sizeof(ts));
	snprintf(base, sizeof(base), "replay-%lld-", (long long)t_ms);
	int sent = 0, rc = ORCH_ETIMEDOUT;
	for (int waited = 0; rc == ORCH_ETIMEDOUT && waited < timeout_ms; waited += 200) {
		if (waited % REPLAY_CEO_RESEND_MS == 0) {
			snprintf(rid, sizeof(rid), "%s%d", base, ++sent);
			int sent_rc = send_force_decision(l, prefix, sign_key, rid, ts);
			if (sent_rc != 0)
				return sent_rc;
		}
		redisReply *r = replay_link_cmd(l, "XREAD COUNT 100 BLOCK 200 STREAMS %s %s", key, id);
		const redisReply *entries =
			r && r->type == REDIS_REPLY_ARRAY && r->elements ? r->element[0]->element[1] : NULL;
		for (size_t e = 0; rc == ORCH_ETIMEDOUT && entries && e < entries->elements; e++) {
			snprintf(id, sizeof(id), "%s", entries->element[e]->element[0]->str);
			json_t *p = reply_matching(entries->element[e], base);
			if (p)
				rc = reply_verdict(p, ts);
			json_decref(p);
		}
		freeReplyObject(r);
	}
	if (rc == ORCH_ETIMEDOUT)
		fprintf(stderr,
			"replay: the CEO did not answer a force_decision for %.10s within %d ms "
			"(is it running with ORCH_CEO_EVALUATE=command and the same ORCH_PREFIX?)\n",
			ts,
			timeout_ms);
	return rc;
}
