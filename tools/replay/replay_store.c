/*
 * replay_store.c - the feeder's reads of the PolicyStore document (see
 * replay_store.h).
 */
#include "replay_store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json_util.h"
#include "orch.h"

/* The document (new reference: the caller json_decref()s), or NULL when
 * the key holds no JSON. */
static json_t *policy_doc(struct replay_link *l, const char *policy_key)
{
	redisReply *r = replay_link_cmd(l, "GET %s", policy_key);
	json_t *doc = r && r->type == REDIS_REPLY_STRING ? json_loads(r->str, 0, NULL) : NULL;
	freeReplyObject(r);
	return doc;
}

void replay_store_read_policy(struct replay_link *l, const char *policy_key, const struct replay_policy *base,
			      struct replay_policy *v)
{
	json_t *doc = policy_doc(l, policy_key);
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
	json_array_foreach(arr, i, v)
	{
		const char *s = json_is_string(v) ? json_string_value(v) : json_util_get_str(v, "strategy");
		if (s && n < REPLAY_POLICY_MAX_DISABLED)
			names[n++] = s;
	}
	qsort(names, n, sizeof(names[0]), cmp_str);
	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s,", names[i]);
}

/* The disabled set the newest strategy_state_update names, into buf. */
static void disabled_named(struct replay_link *l, const char *prefix, char *buf, size_t len)
{
	buf[0] = '\0';
	redisReply *r = replay_link_cmd(l, "XREVRANGE %s:stream:strategy_state_update + - COUNT 1", prefix);
	const redisReply *f = r && r->type == REDIS_REPLY_ARRAY && r->elements ? r->element[0]->element[1] : NULL;
	for (size_t k = 0; f && k + 1 < f->elements; k += 2) {
		if (strcmp(f->element[k]->str, "payload") != 0)
			continue;
		json_t *p = json_loads(f->element[k + 1]->str, 0, NULL);
		name_set(json_object_get(p, "disabled"), buf, len);
		json_decref(p);
	}
	freeReplyObject(r);
}

int replay_store_wait_disabled(struct replay_link *l, const char *prefix, const char *policy_key, int timeout_ms)
{
	for (int waited = 0; waited < timeout_ms; waited++) {
		char want[4096], have[4096];
		disabled_named(l, prefix, want, sizeof(want));
		json_t *doc = policy_doc(l, policy_key);
		name_set(json_object_get(doc, "disabled_strategies"), have, sizeof(have));
		json_decref(doc);
		if (strcmp(want, have) == 0)
			return 0;
		usleep(1000);
	}
	fprintf(stderr,
		"replay: the PolicyStore did not take the Strategy Officer's disabled set within %d ms\n",
		timeout_ms);
	return ORCH_ETIMEDOUT;
}
