/*
 * policy_writer.c - compare-and-set writes of one owner's wishes into the
 * PolicyStore, retried with jittered backoff (see policy_writer.h).
 */
#include "policy_writer.h"

#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "orch.h"
#include "rng.h"

struct policy_writer {
	struct policy *policy;
	struct policy_writer_config cfg;
	policy_writer_build_fn build;
	policy_writer_done_fn done;
	void *data;
	uv_timer_t retry;
	uint64_t fence;
	int wanted;                                 /* a write was asked for and is not done */
	int writing;                                /* a CAS in flight */
	int freed;                                  /* free asked for while a CAS was in flight */
	int failures;                               /* failed writes in a row */
	int64_t min_version;                        /* build only once the cache holds this version */
	int delay_ms;                               /* the next conflict backoff */
	int building;                               /* inside build: records may be attached */
	struct bus_record recs[POLICY_MAX_RECORDS]; /* attached by the last build */
	size_t n_recs;
};

static void attempt(struct policy_writer *w);

static void retry_cb(uv_timer_t *t)
{
	attempt(t->data);
}

static void schedule(struct policy_writer *w, int ms)
{
	uv_timer_start(&w->retry, retry_cb, (uint64_t)ms, 0);
}

/* A conflict's backoff: uniform in [d/2, d], d doubling up to the cap. */
static int conflict_delay(struct policy_writer *w)
{
	int d = w->delay_ms;
	w->delay_ms = d * 2 > w->cfg.conflict_max_ms ? w->cfg.conflict_max_ms : d * 2;
	return d / 2 + (int)(rng_unit() * (d - d / 2 + 1));
}

static void drop_records(struct policy_writer *w)
{
	for (size_t i = 0; i < w->n_recs; i++)
		bus_record_release(&w->recs[i]);
	w->n_recs = 0;
}

static void closed(uv_handle_t *h)
{
	free(h->data);
}

/* The store cannot take a write now: the owner hears why, and the writer
 * tries again after retry_ms. */
static void refused(struct policy_writer *w, int status, int64_t version)
{
	w->failures++;
	schedule(w, w->cfg.retry_ms);
	w->done(status, 0, version, w->data);
}

/* Why the store takes no write in state st. */
static int refusal_of(enum policy_state st, int stale)
{
	if (stale)
		return ORCH_ENOTCONN;
	return st == POLICY_WRONGTYPE ? ORCH_EWRONGTYPE : st == POLICY_INVALID ? ORCH_EINVAL : ORCH_ENOENT;
}

static void written(int status, int64_t new_version, int64_t current_version, void *data)
{
	struct policy_writer *w = data;
	w->writing = 0;
	if (w->freed) {
		uv_close((uv_handle_t *)&w->retry, closed);
		return;
	}
	if (status == 0) {
		w->failures = 0;
		w->delay_ms = w->cfg.conflict_min_ms;
		/* a newer wish is built on the document just stored, once cached */
		w->min_version = new_version;
		w->done(0, 1, new_version, w->data);
		attempt(w);
		return;
	}
	w->failures++;
	if (status == ORCH_EFENCED) {
		w->wanted = 0;
		w->done(status, 0, current_version, w->data);
		return;
	}
	w->wanted = 1;
	w->done(status, 0, current_version, w->data);
	schedule(w, status == ORCH_ECONFLICT ? conflict_delay(w) : w->cfg.retry_ms);
}

static void attempt(struct policy_writer *w)
{
	if (w->writing || !w->wanted || uv_is_active((uv_handle_t *)&w->retry))
		return;
	int64_t version;
	const json_t *cur = policy_current(w->policy, &version);
	enum policy_state st = policy_state(w->policy, NULL, 0);
	int lost = st == POLICY_LOST || st == POLICY_REGRESSED;
	if (!cur) {
		schedule(w, w->cfg.retry_ms); /* nothing read yet */
		return;
	}
	if (policy_is_stale(w->policy) || (st != POLICY_OK && !lost)) {
		/* Redis unreachable, or nothing this writer may write over */
		refused(w, refusal_of(st, policy_is_stale(w->policy)), version);
		return;
	}
	if (version < w->min_version && !lost)
		return; /* the cache catches up and the owner asks again */
	json_t *doc = NULL;
	w->building = 1;
	int rc = w->build(cur, &doc, w->data);
	w->building = 0;
	if (rc != 0 || !doc)
		drop_records(w);
	if (rc == 0 && !doc && lost)
		doc = policy_restore_doc(w->policy); /* Redis lost it: put the last known one back */
	if (rc == ORCH_EAGAIN)
		return;
	if (rc != 0) {
		refused(w, rc, version);
		return;
	}
	if (!doc) {
		w->wanted = 0;
		w->done(0, 0, version, w->data);
		return;
	}
	rc = policy_cas_records(
		w->policy, doc, version, w->fence, w->cfg.updated_by, NULL, w->recs, w->n_recs, written, w);
	json_decref(doc);
	drop_records(w);
	if (rc != 0) {
		refused(w, rc, version);
		return;
	}
	w->writing = 1;
	w->wanted = 0;
}

int policy_writer_new(struct policy_writer **out, uv_loop_t *loop, struct policy *p,
		      const struct policy_writer_config *cfg, policy_writer_build_fn build, policy_writer_done_fn done,
		      void *data)
{
	if (!p || !cfg || !build || !done || cfg->conflict_min_ms < 1 || cfg->conflict_max_ms < cfg->conflict_min_ms ||
	    cfg->retry_ms < 1)
		return ORCH_EINVAL;
	struct policy_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return ORCH_ENOMEM;
	*w = (struct policy_writer){
		.policy = p, .cfg = *cfg, .build = build, .done = done, .data = data, .delay_ms = cfg->conflict_min_ms};
	uv_timer_init(loop, &w->retry);
	w->retry.data = w;
	*out = w;
	return 0;
}

void policy_writer_request(struct policy_writer *w, uint64_t fence)
{
	if (fence != w->fence)
		w->min_version = 0;
	w->fence = fence;
	w->wanted = 1;
	attempt(w);
}

int policy_writer_attach(struct policy_writer *w, struct bus_record *rec)
{
	if (!w->building || w->n_recs == POLICY_MAX_RECORDS) {
		bus_record_release(rec);
		return w->building ? ORCH_EFULL : ORCH_EINVAL;
	}
	w->recs[w->n_recs++] = *rec;
	memset(rec, 0, sizeof(*rec));
	return 0;
}

int policy_writer_busy(const struct policy_writer *w)
{
	return w->writing || w->wanted;
}

int policy_writer_failures(const struct policy_writer *w)
{
	return w->failures;
}

void policy_writer_free(struct policy_writer *w)
{
	if (!w)
		return;
	uv_timer_stop(&w->retry);
	drop_records(w);
	w->freed = 1;
	if (!w->writing)
		uv_close((uv_handle_t *)&w->retry, closed);
}
