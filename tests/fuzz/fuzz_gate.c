/*
 * fuzz_gate.c - libFuzzer target for the live gate: the input is read as a
 * strategy and a risk request body (with Python's bare NaN words), each
 * signal read is judged by both evaluations and their answers written; as
 * JSON it is also every Federation source and the GlobalState the gate's
 * state is filled from. Nothing may crash, leak or read out of bounds, a
 * body is either read or refused with a reason, and every answer holds
 * finite numbers only.
 */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "federation_brain.h"
#include "gate.h"
#include "gate_wire.h"
#include "orch.h"

static const int64_t NOW = 1767225600000;

static void check_finite(const json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;
	if (json_is_real(j) && !isfinite(json_real_value(j)))
		abort();
	json_object_foreach((json_t *)j, k, v) check_finite(v);
	json_array_foreach(j, i, v) check_finite(v);
}

static void answer(json_t *j)
{
	if (!j)
		abort();
	check_finite(j);
	json_decref(j);
}

static void judge(const struct gate_state *s, const struct gate_signal *g)
{
	struct gate_config c;
	gate_config_defaults(&c);
	struct gate_ceo_status st;
	struct gate_strategy_verdict sv;
	struct gate_risk_verdict rv;
	gate_ceo_status(s, &c, NOW, &st);
	gate_strategy_evaluate(s, &c, g, NOW, &sv);
	gate_risk_evaluate(s, &c, g, NOW, &rv);
	if (!rv.approved && !(rv.position_size_usd <= 0))
		abort();
	answer(gate_wire_status(&st, NOW));
	answer(gate_wire_health("risk_brain", &st, NOW));
	answer(gate_wire_strategy(&sv, NOW));
	answer(gate_wire_risk(&rv, NOW));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gate_state s;
	struct gate_signal g;
	char why[160];
	gate_state_init(&s);
	json_t *p = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (p) {
		struct fed_state fs;
		struct fed_config fc;
		fed_state_init(&fs);
		fed_config_defaults(&fc);
		for (int src = 0; src < FED_N_DOCS; src++)
			fed_state_set(&fs, (enum fed_source)src, p, NOW - 1000);
		gate_wire_state(&fs, p, &s);
		json_t *gs = fed_global_state(&fs, &fc, NOW);
		gate_wire_state(&fs, gs, &s);
		json_decref(gs);
		fed_state_release(&fs);
		json_decref(p);
	}
	why[0] = 0;
	int rc = gate_wire_parse_strategy((const char *)data, size, &g, why, sizeof(why));
	if (rc == 0)
		judge(&s, &g);
	else if (rc != ORCH_EMALFORMED || !why[0])
		abort();
	why[0] = 0;
	rc = gate_wire_parse_risk((const char *)data, size, &g, why, sizeof(why));
	if (rc == 0)
		judge(&s, &g);
	else if (rc != ORCH_EMALFORMED || !why[0])
		abort();
	return 0;
}
