/*
 * stack.c - helpers for tests of the services' binaries (see stack.h).
 */
#include "stack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "command_auth.h"
#include "harness.h"
#include "json_util.h"

int stack_publish(redisContext *c, const char *prefix, const char *type, const char *payload, const char *timestamp)
{
	char ts[40];
	if (!timestamp) {
		json_util_format_ts_us(clock_now_ms() * 1000, ts, sizeof(ts));
		timestamp = ts;
	}
	redisReply *r =
		redisCommand(c,
			     "XADD %s:stream:%s * event_type %s payload %s trace_id %s timestamp %s source test",
			     prefix,
			     type,
			     type,
			     payload,
			     "",
			     timestamp);
	int ok = r && r->type == REDIS_REPLY_STRING;
	freeReplyObject(r);
	return ok ? 0 : -1;
}

json_t *stack_wait_payload(redisContext *c, const char *prefix, const char *type,
			   int (*pred)(json_t *payload, const void *arg), const void *arg, int timeout_ms)
{
	return stack_wait_payload_after(c, prefix, type, NULL, pred, arg, timeout_ms);
}

json_t *stack_wait_payload_after(redisContext *c, const char *prefix, const char *type, const char *after,
				 int (*pred)(json_t *payload, const void *arg), const void *arg, int timeout_ms)
{
	char from[80] = "-";
	if (after)
		snprintf(from, sizeof(from), "(%s", after);
	for (int waited = 0; waited <= timeout_ms; waited += 50) {
		redisReply *r = redisCommand(c, "XREVRANGE %s:stream:%s + %s COUNT 100", prefix, type, from);
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

int stack_wait_ready(int port, int timeout_ms)
{
	for (int waited = 0;; waited += 25) {
		char *r = harness_http(port, "GET", "/readyz");
		int ok = r && harness_http_status(r) == 200;
		free(r);
		if (ok || waited >= timeout_ms)
			return ok;
		usleep(25000);
	}
}

int stack_publish_command(redisContext *c, const char *prefix, const char *payload, const char *key,
			  int64_t signed_at_ms)
{
	if (!key)
		return stack_publish(c, prefix, "ceo_command", payload, NULL);
	json_t *cmd = json_loads(payload, 0, NULL);
	char *text =
		cmd && command_sign(cmd, "ceo_command", key, signed_at_ms) == 0 ? json_dumps(cmd, JSON_COMPACT) : NULL;
	int rc = text ? stack_publish(c, prefix, "ceo_command", text, NULL) : -1;
	free(text);
	json_decref(cmd);
	return rc;
}

json_t *stack_command(redisContext *c, const char *prefix, const char *id, const char *body)
{
	char payload[512];
	snprintf(payload, sizeof(payload), "{\"request_id\": \"%s\", %s}", id, body);
	if (stack_publish_command(c, prefix, payload, HARNESS_COMMAND_KEY, clock_wall_ms()) != 0)
		return NULL;
	const char *want[] = {"request_id", id};
	return stack_wait_payload(c, prefix, "ceo_command_reply", stack_field_is, want, 10000);
}

int stack_write_prices(const char *path, int days)
{
	const char *src = getenv("ORCH_TEST_SRCDIR");
	char from[512], line[256];
	snprintf(from, sizeof(from), "%s/data/eustockmarkets.csv", src ? src : ".");
	FILE *in = fopen(from, "r"), *out = fopen(path, "w");
	int rc = in && out ? 0 : -1;
	for (int i = 0; rc == 0 && i <= days && fgets(line, sizeof(line), in); i++)
		fputs(line, out);
	if (in)
		fclose(in);
	if (out && fclose(out) != 0)
		rc = -1;
	return rc;
}

int stack_group_done(redisContext *c, const char *stream, const char *group, long n)
{
	redisReply *r = redisCommand(c, "XINFO GROUPS %s", stream);
	int done = 0;
	for (size_t g = 0; r && r->type == REDIS_REPLY_ARRAY && g < r->elements; g++) {
		redisReply *f = r->element[g];
		const char *name = NULL;
		long long pending = -1, read = -1;
		for (size_t k = 0; k + 1 < f->elements; k += 2) {
			const char *key = f->element[k]->str;
			redisReply *v = f->element[k + 1];
			if (strcmp(key, "name") == 0 && v->type == REDIS_REPLY_STRING)
				name = v->str;
			else if (strcmp(key, "pending") == 0)
				pending = v->integer;
			else if (strcmp(key, "entries-read") == 0 && v->type == REDIS_REPLY_INTEGER)
				read = v->integer;
		}
		if (name && strcmp(name, group) == 0)
			done = pending == 0 && read >= n;
	}
	freeReplyObject(r);
	return done;
}
