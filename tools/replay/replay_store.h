/*
 * replay_store.h - the feeder reading the PolicyStore document at
 * policy_key (config_load_policy_key: the key the services read): the
 * limits its book obeys, and the wait until the document holds the
 * Strategy Officer's disabled set. Blocking, over replay_link.
 */
#ifndef REPLAY_STORE_H
#define REPLAY_STORE_H

#include "replay_link.h"
#include "replay_policy.h"

/* The limits the document gives the book now, over base (replay_policy_read;
 * no document: base's). */
void replay_store_read_policy(struct replay_link *l, const char *policy_key, const struct replay_policy *base,
			      struct replay_policy *v);

/*
 * The Strategy Officer stores its disabled set in the PolicyStore on its
 * own, by compare-and-set, and after losing one to the CEO's write it
 * retries later: waits (up to timeout_ms) until the document holds the set
 * its newest {prefix}:stream:strategy_state_update names, so that the next
 * day trades under it whatever the timing. Returns 0, or ORCH_ETIMEDOUT
 * (printed).
 */
int replay_store_wait_disabled(struct replay_link *l, const char *prefix, const char *policy_key, int timeout_ms);

#endif
