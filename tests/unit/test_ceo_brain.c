/*
 * test_ceo_brain.c - the original rule set's rules and transitions
 * (test_ceo_rules.c has the default set's): every rule at, just below and
 * just above its threshold, in the original's order; the
 * integration guide's example (risk 75, win rate 0.55, drawdown 0.04 ->
 * DEFENSIVE); risk score meaning risk everywhere; staleness as DEGRADED
 * health; immediate escalation, de-escalation only after confirmations
 * and the cooldown (injected clock); the BLACK_SWAN exit policy; limits
 * as the stricter of the mode's and the Risk Officer's ceilings; the
 * inputs read from the other services' payloads and operator commands.
 */
#include <check.h>
#include <string.h>

#include "ceo_brain.h"
#include "ceo_inputs.h"
#include "orch.h"
#include "run_suite.h"

/* A state no rule reacts to: DEFENSIVE stays DEFENSIVE. */
static struct ceo_state calm(void)
{
	struct ceo_state s;
	memset(&s, 0, sizeof(s));
	s.current = CEO_DEFENSIVE;
	s.risk_known = 1;
	s.risk_score = 60;
	s.win_rate_known = 1;
	s.win_rate = 0.50;
	s.health = CEO_HEALTHY;
	return s;
}

enum field { F_DD, F_RISK, F_WIN, F_HEALTH, F_CURRENT };

struct row {
	const char *name;
	enum field f;
	double v;
	enum ceo_mode want;
	const char *rule;
};

static const double E = 1e-9;

static const struct row rows[] = {
	{"critical drawdown at", F_DD, 0.08, CEO_BLACK_SWAN, "black_swan_drawdown"},
	{"critical drawdown above", F_DD, 0.08 + E, CEO_BLACK_SWAN, "black_swan_drawdown"},
	{"critical drawdown below", F_DD, 0.08 - E, CEO_CAPITAL_PRESERVATION, "preservation_drawdown"},
	{"risk critical at", F_RISK, 85, CEO_BLACK_SWAN, "black_swan_risk"},
	{"risk critical above", F_RISK, 85 + E, CEO_BLACK_SWAN, "black_swan_risk"},
	{"risk critical below", F_RISK, 85 - E, CEO_DEFENSIVE, "defensive_risk"},
	{"offline", F_HEALTH, CEO_OFFLINE, CEO_BLACK_SWAN, "black_swan_offline"},
	{"critical health", F_HEALTH, CEO_CRITICAL, CEO_CAPITAL_PRESERVATION, "preservation_health"},
	{"degraded health", F_HEALTH, CEO_DEGRADED, CEO_DEFENSIVE, "stay"},
	{"preservation drawdown at", F_DD, 0.05, CEO_CAPITAL_PRESERVATION, "preservation_drawdown"},
	{"preservation drawdown below", F_DD, 0.05 - E, CEO_DEFENSIVE, "defensive_drawdown"},
	{"defensive drawdown at", F_DD, 0.03, CEO_DEFENSIVE, "defensive_drawdown"},
	{"defensive drawdown above", F_DD, 0.03 + E, CEO_DEFENSIVE, "defensive_drawdown"},
	{"defensive drawdown below", F_DD, 0.03 - E, CEO_DEFENSIVE, "stay"},
	{"defensive risk at", F_RISK, 70, CEO_DEFENSIVE, "defensive_risk"},
	{"defensive risk below", F_RISK, 70 - E, CEO_DEFENSIVE, "stay"},
	{"defensive win rate below", F_WIN, 0.48 - E, CEO_DEFENSIVE, "defensive_win_rate"},
	{"defensive win rate at", F_WIN, 0.48, CEO_DEFENSIVE, "stay"},
	{"expansion win rate at", F_WIN, 0.52, CEO_DEFENSIVE, "stay"}, /* risk 60 > expansion ceiling 50 */
};

static void apply(struct ceo_state *s, enum field f, double v)
{
	switch (f) {
	case F_DD:
		s->daily_drawdown = v;
		break;
	case F_RISK:
		s->risk_score = v;
		break;
	case F_WIN:
		s->win_rate = v;
		break;
	case F_HEALTH:
		s->health = (enum ceo_health)v;
		break;
	case F_CURRENT:
		s->current = (enum ceo_mode)v;
		break;
	}
}

START_TEST(test_rules_at_and_around_every_threshold)
{
	struct ceo_thresholds t;
	ceo_thresholds_defaults(CEO_RULES_ORIGINAL, &t);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ceo_state s = calm();
		apply(&s, rows[i].f, rows[i].v);
		struct ceo_recommendation r;
		ceo_policy_recommend(&s, &t, &r);
		ck_assert_msg(r.mode == rows[i].want && strcmp(r.rule, rows[i].rule) == 0,
			      "%s: got %s by %s, want %s by %s",
			      rows[i].name,
			      ceo_mode_name(r.mode),
			      r.rule,
			      ceo_mode_name(rows[i].want),
			      rows[i].rule);
	}
}
END_TEST

START_TEST(test_growth_and_expansion_edges)
{
	struct ceo_thresholds t;
	ceo_thresholds_defaults(CEO_RULES_ORIGINAL, &t);
	struct ceo_recommendation r;
	struct ceo_state s = calm();
	/* growth: win >= 0.55, risk <= 30, drawdown < 0.03, healthy */
	s.win_rate = 0.55;
	s.risk_score = 30;
	s.daily_drawdown = 0.03 - E;
	ceo_policy_recommend(&s, &t, &r);
	ck_assert_str_eq(r.rule, "growth");
	ck_assert_int_eq(r.mode, CEO_GROWTH);
	s.risk_score = 30 + E; /* above the growth ceiling: expansion */
	ceo_policy_recommend(&s, &t, &r);
	ck_assert_str_eq(r.rule, "expansion");
	s.risk_score = 30;
	s.win_rate = 0.55 - E;
	ceo_policy_recommend(&s, &t, &r);
	ck_assert_str_eq(r.rule, "expansion");
	s.win_rate = 0.55;
	s.health = CEO_DEGRADED; /* growth needs HEALTHY, expansion does not */
	ceo_policy_recommend(&s, &t, &r);
	ck_assert_str_eq(r.rule, "expansion");
	/* expansion: win >= 0.52, risk <= 50 */
	s = calm();
	s.win_rate = 0.52;
	s.risk_score = 50;
	ceo_policy_recommend(&s, &t, &r);
	ck_assert_str_eq(r.rule, "expansion");
	s.risk_score = 50 + E;
	ceo_policy_recommend(&s, &t, &r);
	ck_assert_str_eq(r.rule, "stay");
	s.risk_score = 50;
	s.win_rate = 0.52 - E;
	ceo_policy_recommend(&s, &t, &r);
	ck_assert_str_eq(r.rule, "stay");
	/* the win-rate DEFENSIVE rule does not apply in GROWTH (the original's rule) */
	s = calm();
	s.current = CEO_GROWTH;
	s.win_rate = 0.40;
	ceo_policy_recommend(&s, &t, &r);
	ck_assert_str_eq(r.rule, "stay");
	ck_assert_int_eq(r.mode, CEO_GROWTH);
	/* unknown win rate or risk: neither growth nor expansion nor the win-rate rule */
	s = calm();
	s.win_rate = 0.60;
	s.risk_score = 10;
	s.win_rate_known = 0;
	ceo_policy_recommend(&s, &t, &r);
	ck_assert_str_eq(r.rule, "stay");
	s.win_rate_known = 1;
	s.risk_known = 0;
	s.risk_score = 99; /* ignored when unknown */
	ceo_policy_recommend(&s, &t, &r);
	ck_assert_str_eq(r.rule, "stay");
}
END_TEST

START_TEST(test_spec_example_and_risk_means_risk)
{
	struct ceo_thresholds t;
	ceo_thresholds_defaults(CEO_RULES_ORIGINAL, &t);
	struct ceo_recommendation r;
	struct ceo_state s = calm();
	s.current = CEO_EXPANSION;
	s.risk_score = 75;
	s.win_rate = 0.55;
	s.daily_drawdown = 0.04;
	ceo_policy_recommend(&s, &t, &r);
	ck_assert_int_eq(r.mode, CEO_DEFENSIVE);
	/* without the drawdown, the risk score alone: 75 >= 70 is DEFENSIVE */
	s.daily_drawdown = 0;
	ceo_policy_recommend(&s, &t, &r);
	ck_assert_int_eq(r.mode, CEO_DEFENSIVE);
	ck_assert_str_eq(r.rule, "defensive_risk");
	/* a LOW risk score never makes the CEO defensive (the original did) */
	s.risk_score = 10;
	s.win_rate = 0.50;
	ceo_policy_recommend(&s, &t, &r);
	ck_assert_str_ne(r.rule, "defensive_risk");
	ck_assert_int_eq(r.mode, CEO_EXPANSION);
	/* peak drawdown counts like the day's */
	s.peak_drawdown = 0.06;
	ceo_policy_recommend(&s, &t, &r);
	ck_assert_int_eq(r.mode, CEO_CAPITAL_PRESERVATION);
}
END_TEST

static struct ceo_inputs fresh_inputs(int64_t now)
{
	struct ceo_inputs in;
	memset(&in, 0, sizeof(in));
	in.risk_ms = now;
	in.risk_score = 20;
	in.strategy_ms = now;
	in.win_rate_sufficient = 1;
	in.win_rate = 0.60;
	return in;
}

START_TEST(test_escalation_immediate_deescalation_confirmed_and_cooled)
{
	struct ceo_brain_config c;
	ceo_brain_config_defaults(&c, CEO_RULES_ORIGINAL);
	struct ceo_brain b;
	int64_t t = 1000000;
	ceo_brain_init(&b, CEO_EXPANSION, t);
	struct ceo_decision d;
	/* a CRITICAL risk: BLACK_SWAN at once, no confirmation */
	struct ceo_inputs in = fresh_inputs(t);
	in.risk_score = 90;
	ceo_brain_decide(&b, &c, &in, t, &d);
	ck_assert(d.changed);
	ck_assert_int_eq(d.mode, CEO_BLACK_SWAN);
	ck_assert_int_eq(d.previous, CEO_EXPANSION);
	/* calm again: BLACK_SWAN waits for an operator */
	in = fresh_inputs(t + 10000000);
	ceo_brain_decide(&b, &c, &in, t + 10000000, &d);
	ck_assert(!d.changed);
	ck_assert_str_eq(d.hold, "black_swan_manual_exit");
	ck_assert_int_eq(d.recommended, CEO_GROWTH);
	/* the operator moves it to DEFENSIVE */
	t += 10000000;
	ceo_brain_set_mode(&b, CEO_DEFENSIVE, t);
	/* GROWTH recommended: needs 3 in a row AND 600 s since the change */
	for (int i = 1; i <= 3; i++) {
		in = fresh_inputs(t + i * 1000);
		ceo_brain_decide(&b, &c, &in, t + i * 1000, &d);
		ck_assert(!d.changed);
		ck_assert_str_eq(d.hold, i < 3 ? "confirming" : "cooldown");
	}
	/* a safer recommendation in between restarts the count */
	in = fresh_inputs(t + 4000);
	in.risk_score = 72;
	ceo_brain_decide(&b, &c, &in, t + 4000, &d);
	ck_assert(!d.changed);
	ck_assert_int_eq(d.mode, CEO_DEFENSIVE);
	int64_t at = t + 600000;
	for (int i = 0; i < 2; i++) {
		in = fresh_inputs(at + i);
		ceo_brain_decide(&b, &c, &in, at + i, &d);
		ck_assert(!d.changed);
		ck_assert_str_eq(d.hold, "confirming");
	}
	in = fresh_inputs(at + 2);
	ceo_brain_decide(&b, &c, &in, at + 2, &d);
	ck_assert(d.changed);
	ck_assert_int_eq(d.mode, CEO_GROWTH);
	/* escalation from GROWTH: at once, even right after a change */
	in = fresh_inputs(at + 3);
	in.daily_drawdown = 0.035;
	ceo_brain_decide(&b, &c, &in, at + 3, &d);
	ck_assert(d.changed);
	ck_assert_int_eq(d.mode, CEO_DEFENSIVE);
	ck_assert_str_eq(d.rule, "defensive_drawdown");
}
END_TEST

START_TEST(test_black_swan_auto_exit_and_cooldown_into_defensive)
{
	struct ceo_brain_config c;
	ceo_brain_config_defaults(&c, CEO_RULES_ORIGINAL);
	c.black_swan_exit_auto = 1;
	c.confirmations = 1;
	struct ceo_brain b;
	ceo_brain_init(&b, CEO_BLACK_SWAN, 0);
	struct ceo_inputs in = fresh_inputs(299999);
	in.risk_score = 72; /* DEFENSIVE: a 300 s cooldown */
	struct ceo_decision d;
	ceo_brain_decide(&b, &c, &in, 299999, &d);
	ck_assert(!d.changed);
	ck_assert_str_eq(d.hold, "cooldown");
	ck_assert_str_eq(d.hold_detail, "DEFENSIVE recommended; cooldown 1 s left");
	in.risk_ms = 300000;
	in.strategy_ms = 300000;
	ceo_brain_decide(&b, &c, &in, 300000, &d);
	ck_assert(d.changed);
	ck_assert_int_eq(d.mode, CEO_DEFENSIVE);
}
END_TEST

START_TEST(test_stale_inputs_count_as_degraded)
{
	struct ceo_brain_config c;
	ceo_brain_config_defaults(&c, CEO_RULES_ORIGINAL);
	c.confirmations = 1;
	c.cooldown_ms = c.cooldown_aggressive_ms = 0;
	struct ceo_brain b;
	int64_t now = 10000000;
	ceo_brain_init(&b, CEO_DEFENSIVE, 0);
	struct ceo_inputs in = fresh_inputs(now);
	struct ceo_decision d;
	/* fresh and calm: GROWTH */
	ceo_brain_decide(&b, &c, &in, now, &d);
	ck_assert_int_eq(d.mode, CEO_GROWTH);
	ck_assert_str_eq(d.stale, "");
	ck_assert_double_eq(d.confidence, 1);
	/* the risk state went quiet 91 s ago: DEGRADED, risk unknown -> no
	 * longer growth-eligible; nothing safer is called for, so it stays */
	ceo_brain_init(&b, CEO_DEFENSIVE, 0);
	in.risk_ms = now - 91000;
	ceo_brain_decide(&b, &c, &in, now, &d);
	ck_assert_int_eq(d.state.health, CEO_DEGRADED);
	ck_assert_int_eq(d.state.risk_known, 0);
	ck_assert_str_eq(d.stale, "risk_state");
	ck_assert_int_eq(d.mode, CEO_DEFENSIVE);
	ck_assert_str_eq(d.rule, "stay");
	ck_assert(strstr(d.reason, "stale: risk_state") != NULL);
	ck_assert_double_eq(d.confidence, 0.5);
	/* never received at all: the same */
	in.risk_ms = 0;
	ceo_brain_decide(&b, &c, &in, now, &d);
	ck_assert_int_eq(d.state.health, CEO_DEGRADED);
	/* a stale CRITICAL health report stays CRITICAL */
	in = fresh_inputs(now);
	in.health_ms = now - 200000;
	in.health = CEO_CRITICAL;
	ceo_brain_decide(&b, &c, &in, now, &d);
	ck_assert_int_eq(d.mode, CEO_CAPITAL_PRESERVATION);
	ck_assert_str_eq(d.stale, "health");
}
END_TEST

START_TEST(test_limits_stricter_of_mode_and_ceiling)
{
	struct ceo_brain_config c;
	ceo_brain_config_defaults(&c, CEO_RULES_ORIGINAL);
	struct ceo_inputs in = fresh_inputs(1);
	struct ceo_limits l;
	ceo_brain_limits(&c, CEO_GROWTH, &in, &l, NULL);
	ck_assert_double_eq(l.max_leverage, 15);
	ck_assert_int_eq(l.max_positions, 15);
	in.ceiling_ms = 1;
	in.ceiling_max_leverage = 4;
	in.ceiling_max_risk_per_trade = 0.05; /* looser than GROWTH's 0.03: ignored */
	in.ceiling_max_positions = 7;
	ceo_brain_limits(&c, CEO_GROWTH, &in, &l, NULL);
	ck_assert_double_eq(l.max_leverage, 4);
	ck_assert_double_eq(l.max_risk_pct_per_trade, 0.03);
	ck_assert_int_eq(l.max_positions, 7);
	ck_assert_double_eq(l.global_min_confidence, 0.65);
	ceo_brain_limits(&c, CEO_CAPITAL_PRESERVATION, &in, &l, NULL);
	ck_assert_double_eq(l.max_leverage, 2);
	ck_assert_int_eq(l.max_positions, 2);
	ck_assert_int_eq(l.enable_rl, 0);
	ck_assert_int_eq(l.enable_pal, 1);
	struct ceo_thresholds t;
	ceo_thresholds_defaults(CEO_RULES_ORIGINAL, &t);
	char err[128];
	ck_assert_int_eq(ceo_thresholds_validate(&t, err, sizeof(err)), 0);
	t.risk_defensive = 40; /* below the expansion ceiling: inconsistent */
	ck_assert_int_eq(ceo_thresholds_validate(&t, err, sizeof(err)), ORCH_EINVAL);
	ck_assert(strstr(err, "risk levels") != NULL);
}
END_TEST

static int apply_json(struct ceo_inputs *in, const char *type, const char *text, int64_t now, int *critical)
{
	json_t *p = json_loads(text, 0, NULL);
	ck_assert_ptr_nonnull(p);
	char why[160];
	int rc = ceo_inputs_apply(in, ceo_event_of(type), p, now, critical, why, sizeof(why));
	json_decref(p);
	return rc;
}

START_TEST(test_inputs_from_the_services_payloads)
{
	struct ceo_inputs in;
	memset(&in, 0, sizeof(in));
	int crit = -1;
	ck_assert_int_eq(
		apply_json(&in,
			   "risk_state_update",
			   "{\"risk_score\": 42.5, \"metrics\": {\"daily_drawdown\": 0.012, \"current_drawdown\": 0.02,"
			   " \"open_positions\": 4}, \"score_components\": {\"var\": {\"value\": 0.3, \"weight\": 0.1},"
			   " \"es\": {\"value\": 0.6, \"weight\": 0.15}}}",
			   1000,
			   &crit),
		0);
	ck_assert_int_eq(crit, 0);
	ck_assert_double_eq(in.risk_score, 42.5);
	ck_assert_double_eq(in.daily_drawdown, 0.012);
	ck_assert_double_eq(in.peak_drawdown, 0.02);
	ck_assert_int_eq(in.open_positions, 4);
	ck_assert_double_eq(in.var_ratio, 0.3);
	ck_assert_double_eq(in.es_ratio, 0.6);
	ck_assert_int_eq(in.risk_ms, 1000);
	/* a CRITICAL alert carries its own reading */
	ck_assert_int_eq(apply_json(&in,
				    "risk_alert",
				    "{\"level\": \"CRITICAL\", \"risk_score\": 88, \"alert_details\": [{\"code\": "
				    "\"DAILY_DRAWDOWN\", \"value\": 0.061}, {\"code\": \"VAR\", \"value\": 0.5}]}",
				    2000,
				    &crit),
			 0);
	ck_assert_int_eq(crit, 1);
	ck_assert_double_eq(in.risk_score, 88);
	ck_assert_double_eq(in.daily_drawdown, 0.061);
	ck_assert_int_eq(in.risk_ms, 2000);
	ck_assert_int_eq(apply_json(&in, "risk_alert", "{\"level\": \"WARNING\"}", 2500, &crit), 0);
	ck_assert_int_eq(crit, 0);
	ck_assert_double_eq(in.risk_score, 88);
	ck_assert_int_eq(apply_json(&in,
				    "risk_ceiling_update",
				    "{\"max_leverage\": 3.5, \"max_risk_per_trade\": 0.01, \"max_positions\": 8}",
				    3000,
				    &crit),
			 0);
	ck_assert_double_eq(in.ceiling_max_leverage, 3.5);
	ck_assert_int_eq(in.ceiling_max_positions, 8);
	/* ours: known only with a primary; the original's: always */
	ck_assert_int_eq(apply_json(&in,
				    "strategy_state_update",
				    "{\"win_rate\": 0.57, \"primary_strategy\": null, \"ranking\": [],"
				    " \"strategies_eligible\": 0, \"strategies_disabled\": 2}",
				    4000,
				    &crit),
			 0);
	ck_assert_int_eq(in.win_rate_sufficient, 0);
	ck_assert_int_eq(in.strategies_disabled, 2);
	ck_assert_int_eq(
		apply_json(
			&in,
			"strategy_state_update",
			"{\"win_rate\": 0.57, \"primary_strategy\": \"trend\", \"ranking\": [{\"wilson_lower\": 0.5}]}",
			4000,
			&crit),
		0);
	ck_assert_int_eq(in.win_rate_sufficient, 1);
	ck_assert_double_eq(in.win_rate_lower, 0.5);
	ck_assert_int_eq(
		apply_json(&in, "strategy_state_update", "{\"win_rate\": 0.51, \"sharpe_ratio\": 1}", 4100, &crit), 0);
	ck_assert_int_eq(in.win_rate_sufficient, 1);
	ck_assert_int_eq(apply_json(&in, "system_health_update", "{\"overall_health\": \"CRITICAL\"}", 5000, &crit), 0);
	ck_assert_int_eq(in.health, CEO_CRITICAL);
	ck_assert_int_eq(apply_json(&in, "system_degraded", "{\"engine\": \"ai\"}", 5100, &crit), 0);
	ck_assert_int_eq(in.health, CEO_DEGRADED);
	ck_assert_int_eq(apply_json(&in, "meta.regime", "{\"regime\": \"VOLATILE\", \"confidence\": 0.8}", 6000, &crit),
			 0);
	ck_assert_str_eq(in.regime, "VOLATILE");
	/* refused, nothing changed */
	ck_assert_int_eq(apply_json(&in, "risk_state_update", "{\"risk_score\": 101}", 7000, &crit), ORCH_EMALFORMED);
	ck_assert_int_eq(apply_json(&in, "risk_state_update", "{\"metrics\": {}}", 7000, &crit), ORCH_EMALFORMED);
	ck_assert_int_eq(apply_json(&in, "risk_alert", "{\"risk_score\": 50}", 7000, &crit), ORCH_EMALFORMED);
	ck_assert_int_eq(apply_json(&in, "system_health_update", "{\"overall_health\": \"FINE\"}", 7000, &crit),
			 ORCH_EMALFORMED);
	ck_assert_int_eq(apply_json(&in, "system_health_update", "{}", 7000, &crit), ORCH_EMALFORMED);
	ck_assert_int_eq(apply_json(&in, "risk_ceiling_update", "{\"max_positions\": 3}", 7000, &crit),
			 ORCH_EMALFORMED);
	ck_assert_double_eq(in.risk_score, 88);
	ck_assert_int_eq(in.risk_ms, 2000);
	ck_assert_int_eq(in.health, CEO_DEGRADED);
	ck_assert_int_eq(in.health_ms, 5100);
	ck_assert_int_eq(in.ceiling_ms, 3000);
	ck_assert_int_eq(in.ceiling_max_positions, 8);
}
END_TEST

static int cmd(const char *text, struct ceo_command *c)
{
	json_t *p = json_loads(text, 0, NULL);
	char why[160];
	int rc = ceo_command_parse(p, c, why, sizeof(why));
	json_decref(p);
	return rc;
}

START_TEST(test_commands)
{
	struct ceo_command c;
	ck_assert_int_eq(cmd("{\"request_id\": \"r1\", \"action\": \"force_decision\"}", &c), 0);
	ck_assert_int_eq(c.action, CEO_CMD_FORCE_DECISION);
	ck_assert_str_eq(c.request_id, "r1");
	ck_assert_int_eq(
		cmd("{\"request_id\": \"r2\", \"action\": \"set_mode\", \"mode\": \"GROWTH\", \"reason\": \"x\","
		    " \"operator\": \"ann\"}",
		    &c),
		0);
	ck_assert_int_eq(c.mode, CEO_GROWTH);
	ck_assert_str_eq(c.operator_id, "ann");
	ck_assert_int_eq(cmd("{\"request_id\": \"r3\", \"action\": \"leave_black_swan\", \"reason\": \"ok\","
			     " \"operator\": \"ann\"}",
			     &c),
			 0);
	ck_assert_int_eq(c.mode, CEO_CAPITAL_PRESERVATION);
	ck_assert_int_eq(cmd("{\"action\": \"force_decision\"}", &c), ORCH_EMALFORMED);
	ck_assert_int_eq(cmd("{\"request_id\": \"r\", \"action\": \"reboot\"}", &c), ORCH_EMALFORMED);
	ck_assert_int_eq(
		cmd("{\"request_id\": \"r\", \"action\": \"set_mode\", \"reason\": \"x\", \"operator\": \"a\"}", &c),
		ORCH_EMALFORMED);
	ck_assert_int_eq(cmd("{\"request_id\": \"r\", \"action\": \"set_mode\", \"mode\": \"NORMAL\"}", &c),
			 ORCH_EMALFORMED);
	ck_assert_int_eq(cmd("{\"request_id\": \"r\", \"action\": \"set_mode\", \"mode\": \"GROWTH\"}", &c),
			 ORCH_EMALFORMED);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ceo_brain");
	TCase *tc = tcase_create("rules");
	tcase_add_test(tc, test_rules_at_and_around_every_threshold);
	tcase_add_test(tc, test_growth_and_expansion_edges);
	tcase_add_test(tc, test_spec_example_and_risk_means_risk);
	tcase_add_test(tc, test_escalation_immediate_deescalation_confirmed_and_cooled);
	tcase_add_test(tc, test_black_swan_auto_exit_and_cooldown_into_defensive);
	tcase_add_test(tc, test_stale_inputs_count_as_degraded);
	tcase_add_test(tc, test_limits_stricter_of_mode_and_ceiling);
	tcase_add_test(tc, test_inputs_from_the_services_payloads);
	tcase_add_test(tc, test_commands);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
