/*
 * replay_layer.c - the feeder's traffic on the layer's streams (see
 * replay_layer.h).
 */
#include "replay_layer.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "json_util.h"
#include "orch.h"
#include "redis_sync.h"
#include "replay_feed.h"

/* 0 when r is XADD's answer (an entry id); frees r. */
static int xadd_stored(redisReply *r)
{
	int rc = r && r->type == REDIS_REPLY_STRING ? 0 : ORCH_EREDIS;
	if (r && r->type == REDIS_REPLY_ERROR)
		fprintf(stderr, "replay: Redis refused XADD: %s\n", r->str);
	freeReplyObject(r);
	return rc;
}

int replay_layer_publish_day(struct replay_link *l, const char *prefix, int64_t t_ms, const struct rb_day *d)
{
	struct replay_entry e[REPLAY_FEED_MAX_ENTRIES];
	int n = 0, rc = replay_feed_day(t_ms, d, e, &n);
	if (rc != 0)
		fprintf(stderr, "replay: out of memory\n");
	for (int k = 0; rc == 0 && k < n; k++) {
		char key[160];
		const char *argv[3 + 2 * REPLAY_FEED_MAX_FIELDS] = {"XADD", key, "*"};
		size_t lens[3 + 2 * REPLAY_FEED_MAX_FIELDS] = {4, 0, 1};
		lens[1] = (size_t)snprintf(key, sizeof(key), "%s:stream:%s", prefix, e[k].type);
		memcpy(&argv[3], e[k].kv, sizeof(e[k].kv[0]) * 2 * (size_t)e[k].nfields);
		memcpy(&lens[3], e[k].lens, sizeof(e[k].lens[0]) * 2 * (size_t)e[k].nfields);
		rc = xadd_stored(replay_link_argv(l, 3 + 2 * e[k].nfields, argv, lens));
	}
	replay_feed_release(e, n);
	return rc;
}

/* 1 when every consumer group of the stream has read all and ACKed all. */
static int stream_is_idle(struct replay_link *l, const char *key)
{
	redisReply *r = replay_link_cmd(l, "XINFO GROUPS %s", key);
	struct redis_backlog b;
	redis_backlog_of(r, &b);
	freeReplyObject(r);
	return b.pending == 0 && b.lag == 0;
}

int replay_layer_wait_idle(struct replay_link *l, const char *prefix, int timeout_ms)
{
	static const char *const streams[] = {"trade.closed",
					      "portfolio.snapshot_updated",
					      "risk_state_update",
					      "risk_alert",
					      "risk_ceiling_update",
					      "strategy_state_update",
					      "strategy_alert",
					      "ceo_decision"};
	/* idle twice in a row: a service may be between reading one stream
	 * and publishing on the next */
	int quiet = 0;
	for (int waited = 0; waited < timeout_ms && quiet < 2; waited++) {
		int idle = 1;
		for (size_t i = 0; i < sizeof(streams) / sizeof(streams[0]) && idle; i++) {
			char key[160];
			snprintf(key, sizeof(key), "%s:stream:%s", prefix, streams[i]);
			idle = stream_is_idle(l, key);
		}
		quiet = idle ? quiet + 1 : 0;
		if (quiet < 2)
			usleep(1000);
	}
	return quiet < 2 ? ORCH_ETIMEDOUT : 0;
}

/* The string at key of p, "" when absent (borrowed). */
static const char *str_or_empty(const json_t *p, const char *key)
{
	const char *s = json_util_get_str(p, key);
	return s ? s : "";
}

json_t *replay_layer_mode_switches(struct replay_link *l, const char *prefix)
{
	json_t *out = json_array();
	redisReply *r = replay_link_cmd(l, "XRANGE %s:stream:ceo_mode_switch - +", prefix);
	for (size_t e = 0; out && r && r->type == REDIS_REPLY_ARRAY && e < r->elements; e++) {
		redisReply *f = r->element[e]->element[1];
		for (size_t k = 0; k + 1 < f->elements; k += 2) {
			if (strcmp(f->element[k]->str, "payload") != 0)
				continue;
			json_t *p = json_loads(f->element[k + 1]->str, 0, NULL);
			const char *ts = str_or_empty(p, "timestamp");
			json_array_append_new(out,
					      json_pack("{s:s%, s:s, s:s, s:s}",
							"date",
							ts,
							strlen(ts) < 10 ? strlen(ts) : 10,
							"from",
							str_or_empty(p, "old_mode"),
							"to",
							str_or_empty(p, "new_mode"),
							"reason",
							str_or_empty(p, "reason")));
			json_decref(p);
		}
	}
	freeReplyObject(r);
	return out;
}
