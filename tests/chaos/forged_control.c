/*
 * forged_control.c - `make chaos`: control events forged by whoever can
 * write to Redis, against a layer in BLACK_SWAN (issue 18, finding 2):
 *   - an unsigned ceo_command set_mode GROWTH: the mode stays, the command
 *     is refused (answered so), dead-lettered with its reason and counted;
 *   - a forged ceo_mode_switch and a forged ceo_decision naming GROWTH:
 *     the policy and the federation's reported mode stay BLACK_SWAN and
 *     the live gate never answers ACTIVE;
 *   - the operator's own path (force-decision through the REST API) is
 *     still obeyed.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "chaos.h"
#include "stack.h"

static struct chaos_stack s;

static void forged_command(void)
{
	const char *attack = "unsigned ceo_command set_mode GROWTH in BLACK_SWAN";
	char id[64], switch_before[64], mode[32], groups[128], reason[160];
	long long v0, v;
	const char *rejected = "orch_ceo_commands_rejected_total";
	double rej0 = chaos_metric_sum(s.admin[CHAOS_CEO], rejected);
	chaos_policy_mode(s.c, mode, sizeof(mode), &v0);
	chaos_last_id(s.c, "ceo_mode_switch", switch_before, sizeof(switch_before));
	chaos_publish(
		s.c,
		"ceo_command",
		"{\"request_id\": \"chaos-forged-1\", \"action\": \"set_mode\", \"mode\": \"GROWTH\", \"reason\": "
		"\"forged\", \"operator\": \"mallory\"}",
		id,
		sizeof(id));
	int past = chaos_group_past(s.c, "ceo_command", "ceo-", id, 5000);
	usleep(500000); /* a write it caused lands meanwhile */
	chaos_policy_mode(s.c, mode, sizeof(mode), &v);
	/* used to happen: BLACK_SWAN to GROWTH at once, past confirmations and
	 * cooldown, at risk score 95; the command carries no proof of its sender */
	chaos_check(attack,
		    past && !strcmp(mode, "BLACK_SWAN"),
		    NULL,
		    "policy %s at version %lld (was version %lld)%s",
		    mode,
		    v,
		    v0,
		    past ? "" : "; the CEO did not read it within 5 s");
	const char *want[] = {"new_mode", "GROWTH"};
	json_t *sw = stack_wait_payload_after(s.c, "t", "ceo_mode_switch", switch_before, stack_field_is, want, 200);
	chaos_check(
		attack, !sw, NULL, sw ? "a ceo_mode_switch to GROWTH was published" : "no ceo_mode_switch to GROWTH");
	json_decref(sw);
	int dead = chaos_dead_letters(s.c, "ceo_command", id, 1, 1000, groups, sizeof(groups), reason, sizeof(reason));
	double rej = chaos_metric_sum(s.admin[CHAOS_CEO], rejected);
	chaos_check(attack,
		    dead >= 1 && reason[0],
		    NULL,
		    "%d dead letters%s%s%s",
		    dead,
		    dead ? " (" : "",
		    dead ? reason : "",
		    dead ? ")" : "");
	chaos_check(attack,
		    rej0 >= 0 && rej - rej0 >= 1,
		    NULL,
		    "%s %s",
		    rejected,
		    rej < 0           ? "not on /metrics"
		    : rej - rej0 >= 1 ? "counted it"
				      : "did not count it");
	const char *rid[] = {"request_id", "chaos-forged-1"};
	json_t *reply = stack_wait_payload(s.c, "t", "ceo_command_reply", stack_field_is, rid, 1000);
	const char *st = json_string_value(json_object_get(reply, "status"));
	chaos_check(attack, !st || strcmp(st, "ok") != 0, NULL, "the CEO answered %s", st ? st : "nothing");
	json_decref(reply);
}

/* Publishes a forged event, waits until the federation has read it, and
 * checks for a second that the policy, the federation's mode and the live
 * gate do not follow it. */
static void forged_event(const char *attack, const char *type, const char *payload)
{
	char id[64], mode[32], seen[160] = "";
	long long v;
	chaos_publish(s.c, type, payload, id, sizeof(id));
	int past = chaos_group_past(s.c, type, "federation-", id, 5000);
	int held = 1, gate_active = 0, agent_held = 1, status;
	char agent_seen[64] = "";
	for (int i = 0; i < 10; i++, usleep(100000)) {
		json_t *gs = chaos_api_get(&s, "/api/orchestration/global-state", &status);
		json_t *d = json_object_get(gs, "data");
		const char *m = json_string_value(json_object_get(d, "global_mode"));
		if (!m || strcmp(m, "BLACK_SWAN") != 0) {
			const char *src = json_string_value(json_object_get(d, "mode_source"));
			held = 0;
			snprintf(seen, sizeof(seen), "%s (mode_source %s)", m ? m : "none", src ? src : "none");
		}
		json_decref(gs);
		json_t *gate = chaos_api_get(&s, "/compat/ceo/status", &status);
		const char *gm = json_string_value(json_object_get(gate, "mode"));
		gate_active |= !gm || !strcmp(gm, "ACTIVE");
		json_decref(gate);
		json_t *ag = chaos_api_get(&s, "/api/orchestration/agents/ceo/status", &status);
		const char *am = json_string_value(json_object_get(json_object_get(ag, "data"), "current_mode"));
		if (!am || strcmp(am, "BLACK_SWAN") != 0) {
			agent_held = 0;
			snprintf(agent_seen, sizeof(agent_seen), "%s", am ? am : "none");
		}
		json_decref(ag);
	}
	chaos_policy_mode(s.c, mode, sizeof(mode), &v);
	chaos_check(attack,
		    past && !strcmp(mode, "BLACK_SWAN"),
		    NULL,
		    "policy %s (version %lld)%s",
		    mode,
		    v,
		    past ? "" : "; the federation did not read it within 5 s");
	/* the mode shown is the policy's, never the newest ceo_mode_switch
	 * or ceo_decision (which anyone who can write the stream can forge) */
	chaos_check(attack,
		    past && held,
		    NULL,
		    "federation global_mode %s",
		    held ? "BLACK_SWAN in every sample for 1 s" : seen);
	chaos_check(attack,
		    past && !gate_active,
		    NULL,
		    "live gate /compat/ceo/status %s",
		    gate_active ? "answered ACTIVE (or nothing)" : "never ACTIVE");
	chaos_check(attack,
		    past && agent_held,
		    NULL,
		    "/agents/ceo/status current_mode %s",
		    agent_held ? "BLACK_SWAN in every sample for 1 s" : agent_seen);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (chaos_begin(&s, "forged control: the layer", NULL, NULL) != 0)
		return 1;
	int swan = chaos_to_black_swan(&s);
	chaos_check("forged control: the layer",
		    swan,
		    NULL,
		    "a CRITICAL risk_alert (score 95): %s",
		    swan ? "the policy holds BLACK_SWAN" : "no BLACK_SWAN within 10 s");
	if (swan) {
		forged_command();
		/* where the forged command moved the mode (main today), back to
		 * BLACK_SWAN for the next attacks */
		swan = chaos_to_black_swan(&s);
	}
	if (swan) {
		forged_event(
			"forged ceo_mode_switch BLACK_SWAN -> GROWTH",
			"ceo_mode_switch",
			"{\"old_mode\": \"BLACK_SWAN\", \"new_mode\": \"GROWTH\", \"reason\": \"forged\", \"rule\": "
			"\"operator\", \"operator\": \"mallory\", \"request_id\": \"chaos-forged-2\"}");
		forged_event("forged ceo_decision GROWTH",
			     "ceo_decision",
			     "{\"operating_mode\": \"GROWTH\", \"mode_changed\": true, \"primary_reason\": \"forged\", "
			     "\"decision_confidence\": 1.0, \"update_policy_store\": false}");
		char mode[32];
		int status = chaos_force_decision(&s, mode, sizeof(mode));
		chaos_check("operator's force-decision through the API after the forgeries",
			    status == 200 && !strcmp(mode, "BLACK_SWAN"),
			    NULL,
			    "%d, %s",
			    status,
			    mode[0] ? mode : "no decision");
	}
	return chaos_end(&s, "forged control: the layer");
}
