/*
 * ceo_service.c - the CEO's glue (see ceo_service.h): the inputs
 * (ceo_inputs.c), the brain (ceo_brain.c), the payloads and the policy
 * document (ceo_report.c), the lease and the PolicyStore.
 *
 * Every replica consumes every input (a consumer group of its own, so a
 * standby is always warm); only the holder of the lease "ceo" decides,
 * writes and answers commands, which count only when signed
 * (ceo_command_service.c). Evaluations run ORCH_CEO_DEBOUNCE_MS after
 * an input, at once on a CRITICAL risk_alert or a command, on taking the
 * lease, and every ORCH_CEO_INTERVAL_S; with ORCH_CEO_EVALUATE=command
 * (replays) only commands and the lease do, so that a feeder decides when
 * a time step's inputs are all in. A force_decision command is answered
 * once the PolicyStore holds the decision, and so is every command that
 * writes (an error when the write fails or cannot happen). A decision that
 * changes the mode or the effective limits is written to the PolicyStore
 * by the policy writer, carrying the lease's fencing token (a conflict
 * re-reads and retries; a fenced write means another CEO leads: this one
 * stops acting); a mode switch's ceo_mode_switch and ceo_mode_history
 * records go in the same script as the write, so they land together or
 * not at all. When Redis lost the document the writer puts the CEO's
 * decision back above every version seen. An emergency stop the CEO did
 * not set is held (ceo_report.h) until its writer or an operator's
 * clear_emergency_stop lifts it. Each cycle publishes ceo_decision;
 * ceo_alert goes out for BLACK_SWAN, stale inputs and repeated write
 * failures; mode changes and operator commands are recorded on the
 * ceo_mode_history stream.
 */
#include "ceo_service.h"
#include "ceo_service_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "ceo_command_service.h"
#include "ceo_inputs.h"
#include "ceo_report.h"
#include "clock.h"
#include "json_util.h"
#include "lease.h"
#include "log.h"
#include "metrics.h"
#include "orch.h"
#include "policy.h"
#include "policy_writer.h"

/* ---- decisions ---- */

static void count_switch(struct ceo_service *c, int64_t now)
{
	metrics_inc(c->m_switches);
	c->switch_times[c->n_switch_times++ % 64] = now;
	int n = 0;
	for (int i = 0; i < 64 && i < c->n_switch_times; i++)
		n += now - c->switch_times[i] <= 3600000;
	metrics_set(c->m_switches_hour, n);
	for (int m = 0; m < CEO_N_MODES; m++)
		metrics_set(c->m_mode[m], m == (int)c->brain.mode);
}

static void record_switch(struct ceo_service *c, enum ceo_mode old_mode, enum ceo_mode new_mode, const char *rule,
			  const char *reason, const struct ceo_command *cmd)
{
	struct pending_switch *sw = &c->sw;
	if (!sw->active)
		sw->old_mode = old_mode;
	sw->active = 1;
	sw->new_mode = new_mode;
	snprintf(sw->rule, sizeof(sw->rule), "%s", rule);
	snprintf(sw->reason, sizeof(sw->reason), "%s", reason);
	snprintf(sw->operator_id, sizeof(sw->operator_id), "%s", cmd ? cmd->operator_id : "");
	snprintf(sw->request_id, sizeof(sw->request_id), "%s", cmd ? cmd->request_id : "");
	snprintf(c->mode_reason, sizeof(c->mode_reason), "%s", reason);
	log_warn("ceo: mode %s -> %s (%s: %s)", ceo_mode_name(old_mode), ceo_mode_name(new_mode), rule, reason);
	count_switch(c, clock_now_ms());
}

/* Takes the brain's starting mode from the stored document. */
static void brain_start(struct ceo_service *c)
{
	enum ceo_mode m = ceo_report_start_mode(policy_current(c->policy, NULL));
	ceo_brain_init(&c->brain, m, clock_now_ms());
	snprintf(c->mode_reason, sizeof(c->mode_reason), "mode %s taken from the policy document", ceo_mode_name(m));
	c->brain_ready = 1;
	for (int k = 0; k < CEO_N_MODES; k++)
		metrics_set(c->m_mode[k], k == (int)m);
	log_info("ceo: leading from mode %s", ceo_mode_name(m));
}

/* One evaluation; fills d when given. Returns 0, or ORCH_EAGAIN when this
 * replica does not decide now (not leader, fenced, disabled, no policy yet). */
static int evaluate(struct ceo_service *c, const char *trigger, struct ceo_decision *d_out)
{
	if (!c->leader || c->fenced || !c->enabled)
		return ORCH_EAGAIN;
	if (!c->brain_ready) {
		if (!policy_current(c->policy, NULL))
			return ORCH_EAGAIN;
		brain_start(c);
	}
	int64_t t0 = clock_mono_ns(), now = clock_now_ms();
	uv_timer_stop(&c->debounce);
	struct ceo_decision d;
	enum ceo_mode before = c->brain.mode;
	ceo_brain_decide(&c->brain, &c->cfg.brain, &c->in, now, &d);
	if (d.changed)
		record_switch(c, before, d.mode, d.rule, d.reason, NULL);
	ceo__sync_policy(c);
	/* a stop the CEO did not set: its decision stands, BLACK_SWAN's limits apply */
	struct ceo_stop stop;
	ceo_report_stop_of(policy_current(c->policy, NULL), &stop);
	if (stop.held && !stop.ours)
		ceo_brain_limits(&c->cfg.brain, CEO_BLACK_SWAN, &c->in, &d.limits, &d.vol_ratio);
	json_t *dp = ceo_report_decision(&d, trigger, d.changed, &stop, now);
	/* the interval it runs at, which the Federation's status reports */
	json_object_set_new(dp, "decision_interval_s", json_integer(c->cfg.interval_ms / 1000));
	bus_publish_new(c->bus, "ceo_decision", dp);
	if (d.stale[0] && strcmp(d.stale, c->last_stale) != 0) {
		char msg[160];
		snprintf(msg, sizeof(msg), "inputs stale or missing: %s (counted as DEGRADED health)", d.stale);
		bus_publish_new(c->bus, "ceo_alert", ceo_report_alert("warning", msg, d.mode, now));
	}
	snprintf(c->last_stale, sizeof(c->last_stale), "%s", d.stale);
	const int64_t ages[3] = {c->in.risk_ms, c->in.strategy_ms, c->in.health_ms};
	for (int i = 0; i < 3; i++)
		metrics_set(c->m_age[i], ages[i] ? (double)(now - ages[i]) / 1000 : -1);
	metrics_observe(c->m_cycle, (double)(clock_mono_ns() - t0) / 1e9);
	if (d_out)
		*d_out = d;
	return 0;
}

static void cycle_cb(uv_timer_t *t)
{
	evaluate(t->data, "cycle", NULL);
}

static void debounce_cb(uv_timer_t *t)
{
	evaluate(t->data, "input", NULL);
}

/* ---- commands ---- */

static const char *const ACTION_NAMES[] = {"force_decision", "set_mode", "leave_black_swan", "clear_emergency_stop"};

void ceo__reply(struct ceo_service *c, const struct ceo_command *cmd, const char *status, const char *error,
		const struct ceo_decision *d)
{
	json_t *p = json_pack("{s:s, s:s, s:s}",
			      "request_id",
			      cmd->request_id,
			      "status",
			      status,
			      "action",
			      ACTION_NAMES[cmd->action]);
	if (p && error)
		json_object_set_new(p, "error", json_string(error));
	if (p && d)
		json_object_set_new(p, "decision", ceo_report_decision(d, "command", d->changed, NULL, clock_now_ms()));
	bus_publish_new(c->bus, "ceo_command_reply", p);
}

/* The decision an operator's command makes: mode m from before, with the
 * limits the policy gets (BLACK_SWAN's under a stop the CEO did not set,
 * unless the command clears it). */
static void operator_decision(struct ceo_service *c, enum ceo_mode before, enum ceo_mode m, const char *reason,
			      int clearing, struct ceo_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->mode = d->recommended = m;
	d->previous = before;
	d->changed = before != m;
	d->rule = "operator";
	snprintf(d->reason, sizeof(d->reason), "%.255s", reason);
	int external = !clearing && ceo_report_external_stop(policy_current(c->policy, NULL));
	ceo_brain_limits(&c->cfg.brain, external ? CEO_BLACK_SWAN : m, &c->in, &d->limits, &d->vol_ratio);
	d->confidence = 1;
}

/* clear_emergency_stop: only a stop the CEO did not set; its own BLACK_SWAN
 * stop goes with leave_black_swan. */
static void clear_stop(struct ceo_service *c, const struct ceo_command *cmd, const char *reason)
{
	struct ceo_stop st;
	ceo_report_stop_of(policy_current(c->policy, NULL), &st);
	if (!st.held || st.ours) {
		ceo__reply(c,
			   cmd,
			   "error",
			   !st.held ? "no emergency stop held"
				    : "the stop is the CEO's BLACK_SWAN: leave_black_swan lifts it",
			   NULL);
		return;
	}
	log_warn("ceo: %s clears the emergency stop set by %s (%s)", reason, st.set_by, st.reason);
	struct pending_switch *k = &c->clr;
	*k = (struct pending_switch){.active = 1, .old_mode = c->brain.mode, .new_mode = c->brain.mode};
	snprintf(k->rule, sizeof(k->rule), "operator_clear_emergency_stop");
	snprintf(k->reason, sizeof(k->reason), "%.80s (the stop set by %.50s: %.90s)", reason, st.set_by, st.reason);
	snprintf(k->operator_id, sizeof(k->operator_id), "%s", cmd->operator_id);
	snprintf(k->request_id, sizeof(k->request_id), "%s", cmd->request_id);
	struct ceo_decision d;
	operator_decision(c, c->brain.mode, c->brain.mode, reason, 1, &d);
	ceo__await_write(c, cmd, &d);
	ceo__sync_policy(c);
	ceo__settle_replies(c, NULL);
}

static void on_command(struct ceo_service *c, const struct ceo_command *cmd)
{
	int64_t now = clock_now_ms();
	struct ceo_decision d;
	if (cmd->action == CEO_CMD_FORCE_DECISION) {
		if (evaluate(c, "force_decision", &d) != 0) {
			ceo__reply(c,
				   cmd,
				   "error",
				   c->enabled ? "not ready to decide" : "disabled by enable_ai_ceo",
				   NULL);
			return;
		}
		ceo__await_write(c, cmd, &d);
		ceo__settle_replies(c, NULL);
		return;
	}
	if (!c->brain_ready || c->fenced) {
		ceo__reply(c, cmd, "error", "not ready to decide", NULL);
		return;
	}
	char reason[256];
	snprintf(reason, sizeof(reason), "operator %.63s: %.180s", cmd->operator_id, cmd->reason);
	if (cmd->action == CEO_CMD_CLEAR_EMERGENCY_STOP) {
		clear_stop(c, cmd, reason);
		return;
	}
	if (cmd->action == CEO_CMD_LEAVE_BLACK_SWAN && c->brain.mode != CEO_BLACK_SWAN) {
		ceo__reply(c, cmd, "error", "not in BLACK_SWAN", NULL);
		return;
	}
	enum ceo_mode before = c->brain.mode;
	ceo_brain_set_mode(&c->brain, cmd->mode, now);
	if (before != cmd->mode)
		record_switch(c,
			      before,
			      cmd->mode,
			      cmd->action == CEO_CMD_SET_MODE ? "operator_set_mode" : "operator_leave_black_swan",
			      reason,
			      cmd);
	else
		bus_publish_new(c->bus,
				"ceo_mode_history",
				ceo_report_mode_switch(before,
						       before,
						       "operator_set_mode",
						       reason,
						       cmd->operator_id,
						       cmd->request_id,
						       c->token,
						       now));
	operator_decision(c, before, cmd->mode, reason, 0, &d);
	ceo__await_write(c, cmd, &d);
	ceo__sync_policy(c);
	ceo__settle_replies(c, NULL);
}

/* ---- inputs ---- */

static int on_input(struct bus_delivery *dl, const struct bus_event *ev, void *data)
{
	struct ceo_service *c = data;
	enum ceo_event kind = ceo_event_of(ev->event_type);
	char why[256];
	if (kind == CEO_EV_COMMAND) {
		/* the signature first (every replica, to remember the ids used),
		 * on real time: a replay's clock is no measure of a command's age */
		struct ceo_command cmd;
		int rc = ceo_command_service_admit(c->commands, ev, clock_wall_ms(), why, sizeof(why));
		if (rc == ORCH_EMALFORMED && c->leader)
			ceo_command_service_reject(c->bus, ev->payload, why);
		if (rc == 0 && ceo_command_parse(ev->payload, &cmd, why, sizeof(why)) != 0) {
			metrics_inc(c->m_malformed);
			rc = ORCH_EMALFORMED;
		}
		if (rc == ORCH_EMALFORMED)
			bus_delivery_reason(dl, "%s", why);
		if (rc == 0 && c->leader)
			on_command(c, &cmd);
		return rc == ORCH_EAGAIN ? 0 : rc;
	}
	int critical = 0;
	if (ceo_inputs_apply(&c->in, kind, ev->payload, clock_now_ms(), &critical, why, sizeof(why)) != 0) {
		metrics_inc(c->m_malformed);
		bus_delivery_reason(dl, "%s", why);
		return ORCH_EMALFORMED;
	}
	if (c->cfg.on_command_only)
		return 0;
	if (critical)
		evaluate(c, "critical_risk_alert", NULL);
	else if (c->leader && !uv_is_active((uv_handle_t *)&c->debounce))
		uv_timer_start(&c->debounce, debounce_cb, (uint64_t)c->cfg.debounce_ms, 0);
	return 0;
}

static void on_lease(int leader, uint64_t token, void *data)
{
	struct ceo_service *c = data;
	c->leader = leader;
	c->token = leader ? token : 0;
	if (!leader) {
		log_warn("ceo: standing by (lease lost)");
		c->brain_ready = 0;
		ceo__settle_replies(c, "lost the lease");
		return;
	}
	c->fenced = 0;
	c->brain_ready = 0;
	evaluate(c, "leadership", NULL);
}

/* Enable flag and interval from the PolicyStore (hot reload). */
static void on_policy(const json_t *doc, int64_t version, void *data)
{
	struct ceo_service *c = data;
	int enabled = 1;
	const json_t *active = json_object_get(json_object_get(doc, "modes"), json_util_get_str(doc, "active_mode"));
	if (json_util_get_bool(doc, "enable_ai_ceo", &enabled) == ORCH_ENOENT)
		json_util_get_bool(active, "enable_ai_ceo", &enabled);
	if (enabled != c->enabled)
		log_warn("ceo: %s by the policy (version %lld)", enabled ? "enabled" : "disabled", (long long)version);
	c->enabled = enabled;
	int64_t iv;
	if (json_util_get_int64(doc, "ai_ceo_decision_interval", &iv) == 0 && iv >= 1 && iv <= 86400 &&
	    iv * 1000 != c->cfg.interval_ms) {
		c->cfg.interval_ms = iv * 1000;
		if (!c->cfg.on_command_only)
			uv_timer_start(&c->cycle, cycle_cb, (uint64_t)c->cfg.interval_ms, (uint64_t)c->cfg.interval_ms);
	}
	if (c->leader && !c->brain_ready)
		evaluate(c, "policy", NULL);
	ceo__sync_policy(c);
}

/* ---- lifecycle ---- */

static void register_metrics(struct ceo_service *c)
{
	static const double lat[] = {1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 2e-2, 0.1};
	static const char *inputs[] = {"risk_state", "strategy_state", "health"};
	char labels[64];
	c->m_cycle = metrics_histogram("orch_ceo_decision_seconds", NULL, "One decision cycle", lat, 8);
	c->m_switches = metrics_counter("orch_ceo_mode_switches_total", NULL, "Operating mode changes");
	c->m_switches_hour = metrics_gauge("orch_ceo_mode_switches_last_hour", NULL, "Mode changes in the last hour");
	for (int m = 0; m < CEO_N_MODES; m++) {
		snprintf(labels, sizeof(labels), "mode=\"%s\"", ceo_mode_name((enum ceo_mode)m));
		c->m_mode[m] = metrics_gauge("orch_ceo_mode", labels, "1 for the current operating mode");
	}
	for (int i = 0; i < 3; i++) {
		snprintf(labels, sizeof(labels), "input=\"%s\"", inputs[i]);
		c->m_age[i] = metrics_gauge("orch_ceo_input_age_seconds", labels, "Age of the newest input, -1 = none");
	}
	c->m_fenced = metrics_counter("orch_ceo_fenced_writes_total", NULL, "Policy writes refused by fencing");
	c->m_writes = metrics_counter("orch_ceo_policy_writes_total", NULL, "Policy documents stored");
	c->m_conflicts = metrics_counter("orch_ceo_policy_conflicts_total", NULL, "Policy writes that lost a CAS");
	c->m_malformed = metrics_counter("orch_ceo_malformed_total", NULL, "Inputs dead-lettered as malformed");
}

/* Closes what the service holds; the loop finishes the closing. */
static void teardown(void *data)
{
	struct ceo_service *c = data;
	uv_timer_stop(&c->cycle);
	uv_timer_stop(&c->debounce);
	policy_writer_free(c->writer);
	bus_free(c->bus);
	lease_free(c->lease);
	policy_free(c->policy);
	ceo_command_service_free(c->commands);
	uv_close((uv_handle_t *)&c->cycle, NULL);
	uv_close((uv_handle_t *)&c->debounce, NULL);
}

static void quiesce(void *data)
{
	struct ceo_service *c = data;
	uv_timer_stop(&c->cycle);
	uv_timer_stop(&c->debounce);
}

int ceo_service_new(struct ceo_service **out, struct service *svc, const struct ceo_config *cfg)
{
	struct ceo_service *c = calloc(1, sizeof(*c));
	if (!c)
		return ORCH_ENOMEM;
	c->svc = svc;
	c->cfg = *cfg;
	c->enabled = 1;
	uv_timer_init(svc->loop, &c->cycle);
	uv_timer_init(svc->loop, &c->debounce);
	c->cycle.data = c->debounce.data = c;
	service_attach(svc,
		       &(struct service_part){.quiesce = quiesce, .teardown = teardown, .bus = &c->bus, .data = c});
	register_metrics(c);
	/* a consumer group per replica: every replica sees every input */
	snprintf(c->bus_service, sizeof(c->bus_service), "ceo-%s", svc->cfg.instance_id);
	struct bus_config bc;
	service_bus_config(svc, c->bus_service, &bc);
	struct policy_config pc;
	service_policy_config(svc, "ai_ceo", &pc);
	struct policy_writer_config wc = {
		.updated_by = "ai_ceo", .conflict_min_ms = 20, .conflict_max_ms = 2000, .retry_ms = 1000};
	struct lease_config lc = {.prefix = svc->cfg.prefix,
				  .role = "ceo",
				  .holder = svc->cfg.instance_id,
				  .ttl_ms = svc->cfg.lease_ttl_ms};
	int rc;
	if ((rc = ceo_command_service_new(&c->commands, svc->cfg.command_key, cfg->command_ttl_ms, clock_wall_ms())) !=
		    0 ||
	    (rc = bus_new(&c->bus, svc->loop, &bc, &svc->cfg.redis)) != 0 ||
	    (rc = policy_new(&c->policy, svc->loop, &pc, &svc->cfg.redis)) != 0 ||
	    (rc = policy_writer_new(&c->writer, svc->loop, c->policy, &wc, ceo__build_doc, ceo__policy_done, c)) != 0 ||
	    (rc = lease_new(&c->lease, svc->loop, &lc, &svc->cfg.redis, on_lease, c)) != 0)
		goto fail;
	for (int i = 0; i < ceo_n_input_types; i++)
		if ((rc = bus_subscribe(c->bus, ceo_input_types[i], on_input, c)) != 0)
			goto fail;
	/* in replays an operator's command must not jump the clock to today */
	if ((rc = bus_set_untimed(c->bus, "ceo_command")) != 0)
		goto fail;
	policy_on_change(c->policy, on_policy, c);
	service_add_check(svc, "bus", bus_check_ready, c->bus);
	service_add_check(svc, "lease", lease_check_ready, c->lease);
	service_add_check(svc, "policy", policy_check_ready, c->policy);
	*out = c;
	return 0;
fail:
	ceo_service_free(c);
	return rc;
}

int ceo_service_start(struct ceo_service *c)
{
	int rc;
	if (!c->cfg.on_command_only)
		uv_timer_start(&c->cycle, cycle_cb, (uint64_t)c->cfg.interval_ms, (uint64_t)c->cfg.interval_ms);
	if ((rc = bus_start(c->bus)) != 0 || (rc = policy_start(c->policy)) != 0 || (rc = lease_start(c->lease)) != 0)
		return rc;
	log_info("ceo: consuming as %s, deciding every %lld s while leader by the %s rules",
		 c->bus_service,
		 (long long)(c->cfg.interval_ms / 1000),
		 ceo_rules_name(c->cfg.brain.rules));
	return 0;
}

void ceo_service_free(struct ceo_service *c)
{
	if (!c)
		return;
	service_detach(c->svc);
	free(c);
}
