/*
 * fuzz_events.c - libFuzzer target for event decoding: the input is split
 * into Redis entry fields (NUL-separated name/value pairs) for the
 * EventBus envelope decoder, and read as a JSON payload by every
 * service's input mapping (Risk Officer, Strategy Officer, CEO inputs and
 * commands, Federation alerts). Nothing may crash, leak or read out of
 * bounds; malformed input must come back as an error with a reason.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bus_envelope.h"
#include "ceo_inputs.h"
#include "federation_brain.h"
#include "orch.h"
#include "risk_book.h"
#include "strategy_book.h"

static void fuzz_envelope(const uint8_t *data, size_t size)
{
	const char *kv[16];
	size_t lens[16], n = 0, start = 0;
	for (size_t i = 0; i <= size && n < 16; i++) {
		if (i == size || data[i] == 0) {
			kv[n] = (const char *)data + start;
			lens[n++] = i - start;
			start = i + 1;
		}
	}
	struct bus_event ev;
	char why[160];
	if (bus_envelope_decode(&ev, "trade.closed", "1-0", n / 2, kv, lens, why, sizeof(why)) == 0)
		bus_event_release(&ev);
}

static void fuzz_payload(const json_t *p)
{
	char why[256];
	static const char *const risk_types[] = {
		"trade.closed", "portfolio.snapshot_updated", "portfolio.exposure_updated"};
	for (size_t i = 0; i < 3; i++) {
		struct risk_input in;
		risk_input_parse(risk_types[i], p, 1000, &in, why, sizeof(why));
	}
	static const char *const strat_types[] = {"trade.closed", "ai.decision.made", "meta.regime"};
	for (size_t i = 0; i < 3; i++) {
		struct strat_input in;
		strat_input_parse(strat_types[i], p, 1000, &in, why, sizeof(why));
	}
	struct ceo_inputs ci;
	memset(&ci, 0, sizeof(ci));
	int critical;
	for (int k = CEO_EV_RISK_STATE; k <= CEO_EV_REGIME; k++)
		ceo_inputs_apply(&ci, (enum ceo_event)k, p, 1000, &critical, why, sizeof(why));
	struct ceo_command cmd;
	ceo_command_parse(p, &cmd, why, sizeof(why));
	struct fed_state fs;
	struct fed_config fc;
	fed_state_init(&fs);
	fed_config_defaults(&fc);
	fed_state_alerts(&fs, "risk", p, 1000);
	fed_state_set(&fs, FED_POLICY, (json_t *)p, 1000);
	fed_state_set(&fs, FED_CEO, (json_t *)p, 1000);
	json_t *g = fed_global_state(&fs, &fc, 2000);
	json_decref(g);
	fed_state_release(&fs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_envelope(data, size);
	json_t *p = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (p) {
		fuzz_payload(p);
		json_decref(p);
	}
	return 0;
}
