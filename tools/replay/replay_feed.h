/*
 * replay_feed.h - what a trading system publishes about one day of the
 * demo's book, in the original wire format, as stream entries (field/value
 * pairs ready for XADD or for bus_envelope_decode): one trade.closed per
 * closed trade, a "direct" entry with every field a string (symbol, side,
 * pnl_percent in PERCENT with six decimals, strategy, model), then one
 * portfolio.snapshot_updated with a JSON payload (total_equity,
 * total_exposure, num_positions, positions [{symbol, exposure}], USD).
 * Every entry is stamped with the day's time. Pure (jansson only): the
 * feeder writes these to Redis, the backtest hands them to the services'
 * own decoders.
 */
#ifndef REPLAY_FEED_H
#define REPLAY_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "replay_book.h"

#define REPLAY_FEED_MAX_FIELDS  9
#define REPLAY_FEED_MAX_ENTRIES (2 * RB_MAX_INSTR + 1)

struct replay_entry {
	const char *type; /* stream type, e.g. "trade.closed" */
	int nfields;      /* pairs */
	const char *kv[2 * REPLAY_FEED_MAX_FIELDS];
	size_t lens[2 * REPLAY_FEED_MAX_FIELDS];
	char val[REPLAY_FEED_MAX_FIELDS][64]; /* short values */
	char *payload;                        /* JSON text of a snapshot, malloc'd */
};

/*
 * The day's entries into out (room for REPLAY_FEED_MAX_ENTRIES): d's trades,
 * then its snapshot. *n gets how many. Returns 0 or ORCH_ENOMEM (nothing to
 * release). Release with replay_feed_release().
 */
int replay_feed_day(int64_t t_ms, const struct rb_day *d, struct replay_entry *out, int *n);
void replay_feed_release(struct replay_entry *e, int n);

#endif
