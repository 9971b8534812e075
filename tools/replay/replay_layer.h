/*
 * replay_layer.h - the feeder's traffic on the layer's streams: a day's
 * entries in, waiting until the layer has taken them in, and the CEO's
 * mode switches read back for the summary. Blocking, over replay_link.
 */
#ifndef REPLAY_LAYER_H
#define REPLAY_LAYER_H

#include <jansson.h>
#include <stdint.h>

#include "replay_book.h"
#include "replay_link.h"

/* XADDs the day's entries (replay_feed.h, stamped t_ms) to
 * {prefix}:stream:{type}. Returns 0, or ORCH_ENOMEM or ORCH_EREDIS
 * (printed) when an entry was not stored. */
int replay_layer_publish_day(struct replay_link *l, const char *prefix, int64_t t_ms, const struct rb_day *d);

/* Waits, up to timeout_ms, until every consumer group of the layer's
 * streams has read and acknowledged everything. Returns 0, or
 * ORCH_ETIMEDOUT when the layer was still busy. */
int replay_layer_wait_idle(struct replay_link *l, const char *prefix, int timeout_ms);

/* The CEO's mode switches so far ({prefix}:stream:ceo_mode_switch), as
 * the summary's [{date, from, to, reason}] in stream order. New
 * reference; NULL when out of memory. */
json_t *replay_layer_mode_switches(struct replay_link *l, const char *prefix);

#endif
