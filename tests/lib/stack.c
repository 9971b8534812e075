/*
 * stack.c - helpers for tests of the services' binaries (see stack.h).
 */
#include "stack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "json_util.h"

int stack_publish(redisContext *c, const char *prefix, const char *type, const char *payload, const char *timestamp)
{
	char ts[40];
	if (!timestamp) {
		json_util_format_ts_us(clock_now_ms() * 1000, ts, sizeof(ts));
		timestamp = ts;
	}
	redisReply *r = redisCommand(c, "XADD %s:stream:%s * event_type %s payload %s trace_id %s timestamp %s source test",
				     prefix, type, type, payload, "", timestamp);
	int ok = r && r->type == REDIS_REPLY_STRING;
	freeReplyObject(r);
	return ok ? 0 : -1;
}

json_t *stack_wait_payload(redisContext *c, const char *prefix, const char *type,
			   int (*pred)(json_t *payload, const void *arg), const void *arg, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 50) {
		redisReply *r = redisCommand(c, "XREVRANGE %s:stream:%s + - COUNT 100", prefix, type);
		for (size_t e = 0; r && r->type == REDIS_REPLY_ARRAY && e < r->elements; e++) {
			redisReply *f = r->element[e]->element[1];
			for (size_t k = 0; k + 1 < f->elements; k += 2) {
				if (strcmp(f->element[k]->str, "payload") != 0)
					continue;
				json_t *p = json_loads(f->element[k + 1]->str, 0, NULL);
				if (p && (!pred || pred(p, arg))) {
					freeReplyObject(r);
					return p;
				}
				json_decref(p);
			}
		}
		freeReplyObject(r);
		usleep(50000);
	}
	return NULL;
}

int stack_field_is(json_t *payload, const void *arg)
{
	const char *const *kv = arg;
	const char *v = json_string_value(json_object_get(payload, kv[0]));
	return v && strcmp(v, kv[1]) == 0;
}

char *stack_get(redisContext *c, const char *key)
{
	redisReply *r = redisCommand(c, "GET %s", key);
	char *s = r && r->type == REDIS_REPLY_STRING ? strdup(r->str) : NULL;
	freeReplyObject(r);
	return s;
}

json_t *stack_get_json(redisContext *c, const char *key)
{
	char *s = stack_get(c, key);
	json_t *j = s ? json_loads(s, 0, NULL) : NULL;
	free(s);
	return j;
}

double stack_metric(int port, const char *name)
{
	char *resp = harness_http(port, "GET", "/metrics");
	double v = -1;
	char pat[256];
	snprintf(pat, sizeof(pat), "\n%s ", name);
	const char *at = resp ? strstr(resp, pat) : NULL;
	if (at)
		v = strtod(at + strlen(pat), NULL);
	free(resp);
	return v;
}
