/*
 * ceo_service_store.c - the CEO's writes to the PolicyStore (see
 * ceo_service_internal.h): the document it wants (ceo_report.c builds it
 * from the brain's mode and limits and the emergency stop the store
 * holds), the ceo_mode_switch and ceo_mode_history records stored in the
 * same script, and the operators' commands answered once their write
 * landed or failed. The policy writer retries; a reply does not.
 */
#include <stdio.h>
#include <string.h>

#include "bus.h"
#include "ceo_report.h"
#include "ceo_service_internal.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "orch.h"
#include "policy_writer.h"

#define CAS_ALERT_AFTER 3

void ceo__settle_replies(struct ceo_service *c, const char *error)
{
	if (!c->n_waiting || (!error && policy_writer_busy(c->writer)))
		return;
	int n = c->n_waiting;
	c->n_waiting = 0;
	for (int i = 0; i < n; i++)
		ceo__reply(c, &c->waiting[i].cmd, error ? "error" : "ok", error, error ? NULL : &c->waiting[i].d);
}

void ceo__await_write(struct ceo_service *c, const struct ceo_command *cmd, const struct ceo_decision *d)
{
	if (c->n_waiting == MAX_WAITING) {
		ceo__reply(c, cmd, "error", "too many commands waiting for the policy write", NULL);
		return;
	}
	c->waiting[c->n_waiting++] = (struct waiting){.cmd = *cmd, .d = *d};
}

/* A record for the write being built: sw's payload as event_type. */
static int attach(struct ceo_service *c, const char *event_type, const struct pending_switch *sw)
{
	const char *op = sw->operator_id[0] ? sw->operator_id : NULL, *req = sw->request_id[0] ? sw->request_id : NULL;
	json_t *p = ceo_report_mode_switch(
		sw->old_mode, sw->new_mode, sw->rule, sw->reason, op, req, c->token, clock_now_ms());
	struct bus_record rec;
	int rc = p ? bus_record_encode(c->bus, event_type, p, &rec) : ORCH_ENOMEM;
	json_decref(p);
	return rc ? rc : policy_writer_attach(c->writer, &rec);
}

/* The policy writer's build: the brain's mode and effective limits over
 * the current document (BLACK_SWAN's limits while it holds a stop the CEO
 * did not set), with the records of a pending switch or clearing, or NULL
 * when it holds them already. */
int ceo__build_doc(const json_t *cur, json_t **doc, void *data)
{
	struct ceo_service *c = data;
	if (!c->leader || c->fenced || !c->brain_ready)
		return ORCH_EAGAIN;
	int external = ceo_report_external_stop(cur), clear = c->clr.active && external;
	c->clr.active = clear; /* a stop lifted meanwhile needs no clearing */
	struct ceo_limits l;
	ceo_brain_limits(&c->cfg.brain, external && !clear ? CEO_BLACK_SWAN : c->brain.mode, &c->in, &l, NULL);
	int changed = 0, rc = 0;
	json_t *d = ceo_report_policy_doc(cur, c->brain.mode, &l, c->mode_reason, clear, clock_now_ms(), &changed);
	if (!d)
		return ORCH_ENOMEM;
	if (!changed && !c->sw.active && !clear) {
		json_decref(d);
		*doc = NULL;
		return 0;
	}
	if ((c->sw.active &&
	     ((rc = attach(c, "ceo_mode_switch", &c->sw)) || (rc = attach(c, "ceo_mode_history", &c->sw)))) ||
	    (clear && (rc = attach(c, "ceo_mode_history", &c->clr)))) {
		json_decref(d);
		return rc;
	}
	snprintf(c->written_mode, sizeof(c->written_mode), "%s", ceo_mode_name(c->brain.mode));
	c->sw_sent = c->sw;
	c->sw.active = 0;
	c->clr_sent = c->clr;
	c->clr.active = 0;
	*doc = d;
	return 0;
}

/* The write of sw_sent and clr_sent landed, records included. */
static void records_stored(struct ceo_service *c)
{
	const struct pending_switch *sw = &c->sw_sent;
	if (sw->active && sw->new_mode == CEO_BLACK_SWAN) {
		char msg[400];
		snprintf(msg,
			 sizeof(msg),
			 "BLACK_SWAN entered: %s; left only by an operator command%s",
			 sw->reason,
			 c->cfg.brain.black_swan_exit_auto ? " or when the rules allow (auto exit)" : "");
		bus_publish_new(c->bus, "ceo_alert", ceo_report_alert("critical", msg, sw->new_mode, clock_now_ms()));
	}
	if (c->clr_sent.active)
		log_warn("ceo: emergency stop cleared (%s)", c->clr_sent.reason);
	c->sw_sent.active = c->clr_sent.active = 0;
}

/* A write that did not land: its switch and clearing wait for the next
 * (a newer switch keeps the mode the store still holds as its old one). */
static void records_lost(struct ceo_service *c)
{
	if (c->sw_sent.active) {
		enum ceo_mode stored = c->sw_sent.old_mode;
		if (!c->sw.active)
			c->sw = c->sw_sent;
		c->sw.old_mode = stored;
	}
	if (c->clr_sent.active && !c->clr.active)
		c->clr = c->clr_sent;
	c->sw_sent.active = c->clr_sent.active = 0;
}

void ceo__policy_done(int status, int written, int64_t version, void *data)
{
	struct ceo_service *c = data;
	if (status == 0) {
		if (written) {
			metrics_inc(c->m_writes);
			log_info("ceo: policy version %lld: %s", (long long)version, c->written_mode);
			records_stored(c);
		}
		ceo__settle_replies(c, NULL);
		return;
	}
	if (status == ORCH_EFENCED) {
		/* a CEO with a newer token wrote: this one no longer leads */
		metrics_inc(c->m_fenced);
		log_error("ceo: policy write fenced (a newer leader wrote version %lld); stopping", (long long)version);
		c->fenced = 1;
		c->sw_sent.active = c->clr_sent.active = 0;
		ceo__settle_replies(c, "fenced: another CEO leads");
		return;
	}
	if (status == ORCH_ECONFLICT)
		metrics_inc(c->m_conflicts);
	if (status == ORCH_ENOTDURABLE)
		records_stored(c); /* on the master with its records: not written twice */
	else
		records_lost(c);
	int failures = policy_writer_failures(c->writer);
	if (failures == 1)
		log_warn("ceo: policy write failed (%s, store at version %lld); retrying",
			 orch_strerror(status),
			 (long long)version);
	if (failures == CAS_ALERT_AFTER) {
		char msg[160];
		snprintf(msg,
			 sizeof(msg),
			 "%d policy writes in a row failed (last: %s)",
			 failures,
			 orch_strerror(status));
		bus_publish_new(c->bus, "ceo_alert", ceo_report_alert("warning", msg, c->brain.mode, clock_now_ms()));
	}
	if (status != ORCH_ECONFLICT || failures >= CAS_ALERT_AFTER) {
		char why[200];
		snprintf(why,
			 sizeof(why),
			 "policy write failed (%s): not stored; the CEO keeps the change and retries",
			 orch_strerror(status));
		ceo__settle_replies(c, why);
	}
}

void ceo__sync_policy(struct ceo_service *c)
{
	policy_writer_request(c->writer, c->token);
}
