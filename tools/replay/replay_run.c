/*
 * replay_run.c - one replay of the demo's feeder (see replay_run.h). Each
 * day: wait until the PolicyStore holds the Strategy Officer's disabled
 * set, read the limits, trade and publish the day, trade the book without
 * the layer, record both, then wait for the layer to take the day in and
 * ask the CEO to decide, so that the next day trades under the layer's
 * reaction to this one and a replay gives the same result every time.
 */
#include "replay_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "backtest_report.h"
#include "orch.h"
#include "replay_book.h"
#include "replay_ceo.h"
#include "replay_layer.h"
#include "replay_policy.h"
#include "replay_store.h"
#include "replay_summary.h"

#define WAIT_DISABLED_MS 5000
#define WAIT_IDLE_MS     5000
#define DECIDE_MS        10000

/* Day d: both books trade; the layer's book is published to the layer,
 * which then reacts (o->wait). */
static int run_day(const struct replay_prices *p, size_t d, struct replay_link *l, const struct replay_options *o,
		   struct rb_book *with, struct rb_book *without, struct replay_record *rec)
{
	const double *closes = &p->close[d * (size_t)p->n_instr];
	struct replay_policy pv, base;
	struct rb_day day[2];
	replay_policy_normal(&base);
	/* a timed-out wait is printed; the day then trades under what the
	 * document holds, as the layer left it */
	if (o->wait)
		replay_store_wait_disabled(l, o->prefix, o->policy_key, WAIT_DISABLED_MS);
	replay_store_read_policy(l, o->policy_key, &base, &pv);
	rb_step(with, closes, &pv.l, &day[0]);
	int rc = replay_layer_publish_day(l, o->prefix, p->t_ms[d], &day[0]);
	if (rc != 0) {
		fprintf(stderr, "replay: publishing day %zu failed\n", d + 1);
		return rc;
	}
	rb_step(without, closes, &base.l, &day[1]);
	replay_record_day(rec, p->t_ms[d], &day[0], &day[1], pv.mode);
	if (o->wait) {
		replay_layer_wait_idle(l, o->prefix, WAIT_IDLE_MS); /* a busy layer still gets the command */
		if ((rc = replay_ceo_request_decision(l, o->prefix, o->command_key, p->t_ms[d], DECIDE_MS)) != 0)
			return rc;
	}
	if (o->delay_ms > 0)
		usleep((useconds_t)o->delay_ms * 1000);
	return 0;
}

/* Prints the summary and writes the files asked for. */
static int report(const struct replay_prices *p, const struct replay_record *rec, json_t *summary,
		  const struct replay_options *o)
{
	replay_summary_print(stdout, summary);
	if (o->summary_path && json_dump_file(summary, o->summary_path, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
		fprintf(stderr, "replay: cannot write %s\n", o->summary_path);
		return ORCH_EIO;
	}
	char err[256];
	int rc = o->report_path ? backtest_report_write(o->report_path, summary, p, rec, NULL, err, sizeof(err)) : 0;
	if (rc != 0)
		fprintf(stderr, "replay: %s\n", err);
	return rc;
}

int replay_run(const struct replay_prices *p, struct replay_link *l, const struct replay_options *o)
{
	if (o->wait && !(o->command_key && o->command_key[0])) {
		fprintf(stderr,
			"replay: set ORCH_COMMAND_KEY (or ORCH_COMMAND_KEY_FILE) to the CEO's key: it decides "
			"each day on a signed force_decision\n");
		return ORCH_EINVAL;
	}
	int rc = 0;
	const char *names[RB_MAX_INSTR];
	for (int i = 0; i < p->n_instr; i++)
		names[i] = p->names[i];
	struct rb_book *with = rb_new(p->n_instr, names, REPLAY_INITIAL_EQUITY);
	struct rb_book *without = rb_new(p->n_instr, names, REPLAY_INITIAL_EQUITY);
	struct replay_record rec;
	json_t *summary = NULL;
	if (replay_record_init(&rec, p->n_days) != 0 || !with || !without) {
		rc = ORCH_ENOMEM;
		fprintf(stderr, "replay: out of memory\n");
		goto out;
	}
	for (size_t d = 0; rc == 0 && d < p->n_days; d++)
		rc = run_day(p, d, l, o, with, without, &rec);
	if (rc != 0)
		goto out;
	summary = replay_summary_json(&rec, p, o->prices_path, o->rules, replay_layer_mode_switches(l, o->prefix));
	if (!summary) {
		rc = ORCH_ENOMEM;
		fprintf(stderr, "replay: out of memory\n");
		goto out;
	}
	if ((rc = report(p, &rec, summary, o)) != 0)
		goto out;
	int n = replay_link_reconnects(l);
	if (n)
		printf("(Redis went away %d time%s during the replay; every command was sent again until stored)\n",
		       n,
		       n == 1 ? "" : "s");
out:
	json_decref(summary);
	replay_record_release(&rec);
	rb_free(with);
	rb_free(without);
	return rc;
}
