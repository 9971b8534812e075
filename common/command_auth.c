/*
 * command_auth.c - signing and checking operator commands (see
 * command_auth.h).
 */
#include "command_auth.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmac.h"
#include "orch.h"

struct seen {
	uint64_t hash; /* FNV-1a of the request_id */
	int64_t expires_ms;
};

struct command_guard {
	int64_t ttl_ms, since_ms;
	size_t max, n;
	struct seen *ids;
};

/* The signed text of cmd (signature left out); malloc'd. */
static char *signed_text(const json_t *cmd, const char *event_type)
{
	json_t *copy = json_copy((json_t *)cmd);
	if (!copy)
		return NULL;
	json_object_del(copy, "signature");
	char *body = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(copy);
	if (!body)
		return NULL;
	size_t n = strlen(event_type) + 1 + strlen(body) + 1;
	char *text = malloc(n);
	if (text)
		snprintf(text, n, "%s\n%s", event_type, body);
	free(body);
	return text;
}

int command_sign(json_t *cmd, const char *event_type, const char *key, int64_t now_ms)
{
	if (!key || !key[0] || !json_is_object(cmd))
		return ORCH_EINVAL;
	json_object_del(cmd, "signature");
	if (json_object_set_new(cmd, "signed_at", json_integer(now_ms)) != 0)
		return ORCH_ENOMEM;
	char *text = signed_text(cmd, event_type), hex[2 * SHA256_LEN + 1];
	if (!text)
		return ORCH_ENOMEM;
	hmac_sha256_hex(key, strlen(key), text, strlen(text), hex);
	free(text);
	return json_object_set_new(cmd, "signature", json_string(hex)) == 0 ? 0 : ORCH_ENOMEM;
}

const char *command_refusal_name(enum command_refusal r)
{
	static const char *const names[COMMAND_N_REFUSALS] = {
		"no_key", "unsigned", "stale", "bad_signature", "replay", "too_many"};
	return (unsigned)r < COMMAND_N_REFUSALS ? names[r] : "unknown";
}

int command_guard_new(struct command_guard **out, int64_t ttl_ms, size_t max, int64_t now_ms)
{
	if (ttl_ms <= 0 || max == 0)
		return ORCH_EINVAL;
	struct command_guard *g = calloc(1, sizeof(*g));
	if (!g || !(g->ids = calloc(max, sizeof(*g->ids)))) {
		free(g);
		return ORCH_ENOMEM;
	}
	g->ttl_ms = ttl_ms;
	g->since_ms = now_ms;
	g->max = max;
	*out = g;
	return 0;
}

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* 1 when h was accepted and has not expired; drops what has. */
static int seen_before(struct command_guard *g, uint64_t h, int64_t now_ms)
{
	int found = 0;
	for (size_t i = 0; i < g->n;) {
		if (g->ids[i].expires_ms <= now_ms) {
			g->ids[i] = g->ids[--g->n];
			continue;
		}
		found |= g->ids[i].hash == h;
		i++;
	}
	return found;
}

/* Room for one more id (g->n < g->max, checked by the caller). */
static void remember(struct command_guard *g, uint64_t h, int64_t now_ms)
{
	g->ids[g->n++] = (struct seen){h, now_ms + g->ttl_ms};
}

static int is_hex64(const char *s)
{
	if (!s || strlen(s) != 2 * SHA256_LEN)
		return 0;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* Sets *r and why; returns ORCH_EMALFORMED. */
static int refuse(enum command_refusal *r, enum command_refusal what, char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int refuse(enum command_refusal *r, enum command_refusal what, char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	*r = what;
	return ORCH_EMALFORMED;
}

int command_verify(struct command_guard *g, const json_t *cmd, const char *event_type, const char *key, int64_t now_ms,
		   enum command_refusal *refusal, char *why, size_t whylen)
{
	const char *sig = json_string_value(json_object_get(cmd, "signature"));
	const char *rid = json_string_value(json_object_get(cmd, "request_id"));
	json_t *at = json_object_get(cmd, "signed_at");
	if (!key || !key[0])
		return refuse(refusal,
			      COMMAND_NO_KEY,
			      why,
			      whylen,
			      "refused: no ORCH_COMMAND_KEY is set here, so no command can prove its sender");
	if (!is_hex64(sig) || !json_is_integer(at) || !rid || !rid[0])
		return refuse(refusal,
			      COMMAND_UNSIGNED,
			      why,
			      whylen,
			      "refused: not signed (signature, signed_at and request_id are required)");
	int64_t signed_at = (int64_t)json_integer_value(at), age = now_ms - signed_at;
	if (age > g->ttl_ms || -age > g->ttl_ms)
		return refuse(refusal,
			      COMMAND_STALE,
			      why,
			      whylen,
			      "refused: signed %lld s %s, beyond the %lld s a command lives",
			      (long long)((age < 0 ? -age : age) / 1000),
			      age < 0 ? "ahead" : "ago",
			      (long long)(g->ttl_ms / 1000));
	char *text = signed_text(cmd, event_type), want[2 * SHA256_LEN + 1];
	if (!text) {
		snprintf(why, whylen, "out of memory");
		return ORCH_ENOMEM;
	}
	hmac_sha256_hex(key, strlen(key), text, strlen(text), want);
	free(text);
	char lower[2 * SHA256_LEN + 1];
	for (size_t i = 0; i <= 2 * SHA256_LEN; i++)
		lower[i] = (char)tolower((unsigned char)sig[i]);
	if (!hmac_equal(lower, want, 2 * SHA256_LEN))
		return refuse(refusal,
			      COMMAND_BAD_SIGNATURE,
			      why,
			      whylen,
			      "refused: bad signature (not signed with this layer's ORCH_COMMAND_KEY)");
	if (signed_at < g->since_ms)
		return refuse(
			refusal,
			COMMAND_REPLAY,
			why,
			whylen,
			"refused: signed before this process started checking, so a replay of it could not be told");
	uint64_t h = fnv(rid);
	if (seen_before(g, h, now_ms))
		return refuse(refusal,
			      COMMAND_REPLAY,
			      why,
			      whylen,
			      "refused: request_id %.80s was already used (a replay)",
			      rid);
	if (g->n == g->max) /* forgetting one would let its replay through */
		return refuse(refusal,
			      COMMAND_TOO_MANY,
			      why,
			      whylen,
			      "refused: %zu commands accepted within the last %lld s, as many as are remembered",
			      g->max,
			      (long long)(g->ttl_ms / 1000));
	remember(g, h, now_ms);
	return 0;
}

void command_guard_free(struct command_guard *g)
{
	if (!g)
		return;
	free(g->ids);
	free(g);
}
