/*
 * replay_feed.c - one day of the demo's book as stream entries (see
 * replay_feed.h).
 */
#include "replay_feed.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "orch.h"

/* Appends name = value (value copied into e->val when copy). */
static void field(struct replay_entry *e, const char *name, const char *value, int copy)
{
	int k = e->nfields++;
	if (copy) {
		snprintf(e->val[k], sizeof(e->val[k]), "%s", value);
		value = e->val[k];
	}
	e->kv[2 * k] = name;
	e->lens[2 * k] = strlen(name);
	e->kv[2 * k + 1] = value;
	e->lens[2 * k + 1] = strlen(value);
}

static void trade_entry(struct replay_entry *e, int64_t t_ms, int k, const struct rb_trade *t, const char *ts)
{
	char id[64], pnl[32];
	snprintf(id, sizeof(id), "replay-%lld-t%d", (long long)t_ms, k);
	snprintf(pnl, sizeof(pnl), "%.6f", t->pnl_pct);
	e->type = "trade.closed";
	field(e, "event_type", "trade.closed", 0);
	field(e, "event_id", id, 1);
	field(e, "symbol", t->symbol, 1);
	field(e, "side", "BUY", 0);
	field(e, "pnl_percent", pnl, 1);
	field(e, "strategy", t->strategy, 1);
	field(e, "model", "replay", 0);
	field(e, "timestamp", ts, 1);
	field(e, "source", "replay", 0);
}

static int snapshot_entry(struct replay_entry *e, int64_t t_ms, const struct rb_day *d, const char *ts)
{
	json_t *positions = json_array();
	for (int k = 0; positions && k < d->n_positions; k++)
		json_array_append_new(
			positions,
			json_pack(
				"{s:s, s:f}", "symbol", d->positions[k].symbol, "exposure", d->positions[k].exposure));
	json_t *snap = positions ? json_pack("{s:f, s:f, s:i, s:o, s:s}",
					     "total_equity",
					     d->equity,
					     "total_exposure",
					     d->exposure,
					     "num_positions",
					     d->n_positions,
					     "positions",
					     positions,
					     "timestamp",
					     ts)
				 : NULL;
	e->payload = snap ? json_dumps(snap, JSON_COMPACT) : NULL;
	json_decref(snap);
	if (!e->payload)
		return ORCH_ENOMEM;
	char id[64];
	snprintf(id, sizeof(id), "replay-%lld-s", (long long)t_ms);
	e->type = "portfolio.snapshot_updated";
	field(e, "event_type", "portfolio.snapshot_updated", 0);
	field(e, "event_id", id, 1);
	field(e, "payload", e->payload, 0);
	field(e, "trace_id", "", 0);
	field(e, "timestamp", ts, 1);
	field(e, "source", "replay", 0);
	return 0;
}

int replay_feed_day(int64_t t_ms, const struct rb_day *d, struct replay_entry *out, int *n)
{
	char ts[40];
	json_util_format_ts_us(t_ms * 1000, ts, sizeof(ts));
	*n = 0;
	for (int k = 0; k < d->n_trades; k++) {
		memset(&out[k], 0, sizeof(out[k]));
		trade_entry(&out[k], t_ms, k, &d->trades[k], ts);
	}
	struct replay_entry *s = &out[d->n_trades];
	memset(s, 0, sizeof(*s));
	if (snapshot_entry(s, t_ms, d, ts) != 0)
		return ORCH_ENOMEM;
	*n = d->n_trades + 1;
	return 0;
}

void replay_feed_release(struct replay_entry *e, int n)
{
	for (int i = 0; i < n; i++) {
		free(e[i].payload);
		e[i].payload = NULL;
	}
}
