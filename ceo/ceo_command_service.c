/*
 * ceo_command_service.c - the CEO's door for operator commands (see
 * ceo_command_service.h): the signature check, the counts and the
 * rate-limited log of refusals, the answer to a refused command.
 */
#include "ceo_command_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceo_inputs.h"
#include "command_auth.h"
#include "json_util.h"
#include "log.h"
#include "metrics.h"
#include "orch.h"

#define REMEMBERED_IDS 4096
#define LOG_EVERY_MS   60000

/* One kind of refusal (or the skipped history): counted, logged at most
 * once every LOG_EVERY_MS with how many went unlogged since. */
struct tally {
	struct metric *m;
	int64_t logged_ms;
	long unlogged;
};

struct ceo_command_service {
	char key[256];
	int64_t ttl_ms;
	struct command_guard *guard;
	struct tally refused[COMMAND_N_REFUSALS], expired;
	struct metric *m_accepted;
};

int ceo_command_service_new(struct ceo_command_service **out, const char *key, int64_t ttl_ms, int64_t now_ms)
{
	struct ceo_command_service *k = calloc(1, sizeof(*k));
	if (!k)
		return ORCH_ENOMEM;
	if (strlen(key) >= sizeof(k->key)) {
		free(k);
		return ORCH_EINVAL;
	}
	snprintf(k->key, sizeof(k->key), "%s", key);
	k->ttl_ms = ttl_ms;
	int rc = command_guard_new(&k->guard, ttl_ms, REMEMBERED_IDS, now_ms);
	if (rc != 0) {
		free(k);
		return rc;
	}
	for (int r = 0; r < COMMAND_N_REFUSALS; r++) {
		char labels[48];
		snprintf(labels, sizeof(labels), "reason=\"%s\"", command_refusal_name((enum command_refusal)r));
		k->refused[r].m = metrics_counter("orch_ceo_commands_rejected_total",
						  labels,
						  "Operator commands refused and dead-lettered (no proof of sender)");
	}
	k->expired.m = metrics_counter("orch_ceo_commands_expired_total",
				       NULL,
				       "Commands appended longer ago than the command ttl (history), skipped");
	k->m_accepted = metrics_counter("orch_ceo_commands_accepted_total", NULL, "Operator commands admitted");
	if (!key[0])
		log_warn("ceo: no ORCH_COMMAND_KEY (or ORCH_COMMAND_KEY_FILE) is set: every ceo_command is refused "
			 "until "
			 "the CEO and whoever sends commands share one (docs/operations.md)");
	*out = k;
	return 0;
}

void ceo_command_service_free(struct ceo_command_service *k)
{
	if (!k)
		return;
	command_guard_free(k->guard);
	free(k);
}

/* Counts one; 1 when it is time to log (then *unlogged gets how many were
 * not logged since the last time). */
static int tally(struct tally *t, int64_t now_ms, long *unlogged)
{
	metrics_inc(t->m);
	if (t->logged_ms && now_ms - t->logged_ms < LOG_EVERY_MS) {
		t->unlogged++;
		return 0;
	}
	*unlogged = t->unlogged;
	t->unlogged = 0;
	t->logged_ms = now_ms;
	return 1;
}

int ceo_command_service_admit(struct ceo_command_service *k, const struct bus_event *ev, int64_t now_ms, char *why,
			      size_t whylen)
{
	long unlogged;
	int64_t appended_ms = strtoll(ev->stream_id, NULL, 10);
	if (appended_ms > 0 && now_ms - appended_ms > k->ttl_ms) {
		if (tally(&k->expired, now_ms, &unlogged))
			log_info("ceo: ceo_command entry %s skipped: appended %lld s ago, beyond the %lld s a command "
				 "lives (%ld more skipped since the last report)",
				 ev->stream_id,
				 (long long)((now_ms - appended_ms) / 1000),
				 (long long)(k->ttl_ms / 1000),
				 unlogged);
		return ORCH_EAGAIN;
	}
	enum command_refusal r;
	int rc = command_verify(k->guard, ev->payload, "ceo_command", k->key, now_ms, &r, why, whylen);
	if (rc == 0)
		metrics_inc(k->m_accepted);
	if (rc == ORCH_EMALFORMED && tally(&k->refused[r], now_ms, &unlogged))
		log_warn("ceo: ceo_command entry %s (source '%.64s') %s (%ld more refused as %s since the last report)",
			 ev->stream_id,
			 ev->source,
			 why,
			 unlogged,
			 command_refusal_name(r));
	return rc;
}

void ceo_command_service_reject(struct bus *b, const json_t *cmd, const char *error)
{
	const char *rid = json_util_get_str(cmd, "request_id"), *action = json_util_get_str(cmd, "action");
	if (!rid || !rid[0] || strlen(rid) >= sizeof(((struct ceo_command *)0)->request_id))
		return; /* none, or none the CEO could ever have accepted */
	json_t *p = json_pack("{s:s, s:s, s:s}", "request_id", rid, "status", "rejected", "error", error);
	if (p && action)
		json_object_set_new(p, "action", json_string(action));
	bus_publish_new(b, "ceo_command_reply", p);
}
