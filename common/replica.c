/*
 * replica.c - lease, rebuild from the streams, then consume (contract in
 * replica.h).
 */
#include "replica.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "lease.h"
#include "log.h"
#include "metrics.h"
#include "orch.h"

enum replica_role { REP_STANDBY, REP_REBUILDING, REP_ACTIVE, REP_STEPPING_DOWN };

struct replica {
	struct service *svc;
	struct bus *bus;
	struct lease *lease;
	struct bus_replay *replay;
	char role[64];
	char types[BUS_REPLAY_MAX_TYPES][128];
	char applied_to[BUS_REPLAY_MAX_TYPES][BUS_REPLAY_ID_LEN];
	int n_types;
	long rebuild_max;
	int64_t rebuild_age_ms;
	struct replica_hooks hooks;
	enum replica_role state;
	int lead_again; /* the lease came back while stepping down */
	uint64_t token;
	struct metric *m_replayed, *m_step_downs;
};

static void take_over(struct replica *r);

static void stood_down(void *data)
{
	struct replica *r = data;
	memset(r->applied_to, 0, sizeof(r->applied_to));
	r->state = REP_STANDBY;
	if (r->hooks.on_standby)
		r->hooks.on_standby(r->hooks.data);
	log_warn("%s: standing by; contending for the lease again", r->role);
	if (r->lead_again) {
		r->lead_again = 0;
		take_over(r);
	}
}

/* Back to standby in this process: stop consuming (what was delivered is
 * handled and acknowledged first: the next active replica's rebuild covers
 * it), forget the windows, contend for the lease again. */
static void step_down(struct replica *r, const char *why)
{
	log_error("%s: %s; stepping down to standby", r->role, why);
	metrics_inc(r->m_step_downs);
	bus_replay_cancel(r->replay);
	r->replay = NULL;
	r->state = REP_STEPPING_DOWN;
	bus_pause(r->bus, 5000, stood_down, r);
}

static void become_active(struct replica *r)
{
	int rc = bus_start(r->bus);
	if (rc != 0) {
		char why[96];
		snprintf(why, sizeof(why), "cannot consume the inputs: %s", orch_strerror(rc));
		step_down(r, why);
		return;
	}
	r->state = REP_ACTIVE;
	if (r->hooks.on_active)
		r->hooks.on_active(r->hooks.data);
}

static void replay_event(const struct bus_event *ev, void *data)
{
	struct replica *r = data;
	metrics_inc(r->m_replayed);
	r->hooks.on_replay(ev, r->hooks.data);
}

static void replay_done(int status, const struct bus_replay_result *res, void *data)
{
	struct replica *r = data;
	r->replay = NULL;
	if (status != 0 || r->state != REP_REBUILDING)
		return;
	for (int i = 0; i < r->n_types; i++)
		memcpy(r->applied_to[i], res->last_id[i], BUS_REPLAY_ID_LEN);
	log_info("%s: rebuilt from %ld events of %d input streams", r->role, res->events, r->n_types);
	become_active(r);
}

static void on_lease(int leader, uint64_t token, void *data)
{
	struct replica *r = data;
	if (!leader) {
		r->lead_again = 0;
		if (r->state == REP_ACTIVE || r->state == REP_REBUILDING)
			step_down(r, "lost the lease");
		return;
	}
	r->token = token;
	if (r->state == REP_STEPPING_DOWN) {
		r->lead_again = 1; /* once the step down is complete */
		return;
	}
	take_over(r);
}

static void take_over(struct replica *r)
{
	log_info("%s: active (lease token %llu)", r->role, (unsigned long long)r->token);
	r->state = REP_REBUILDING;
	if (r->rebuild_max == 0) {
		become_active(r);
		return;
	}
	const char *types[BUS_REPLAY_MAX_TYPES];
	for (int i = 0; i < r->n_types; i++)
		types[i] = r->types[i];
	struct bus_replay_config rc = {.prefix = r->svc->cfg.prefix,
				       .types = types,
				       .n_types = r->n_types,
				       .max_per_stream = r->rebuild_max,
				       .min_ms = r->rebuild_age_ms > 0 ? clock_now_ms() - r->rebuild_age_ms : 0,
				       .max_future_ms = r->svc->cfg.event_max_future_ms};
	int err = bus_replay_start(&r->replay, r->svc->loop, &r->svc->cfg.redis, &rc, replay_event, replay_done, r);
	if (err != 0) {
		char why[96];
		snprintf(why, sizeof(why), "cannot rebuild from the streams: %s", orch_strerror(err));
		step_down(r, why);
	}
}

int replica_new(struct replica **out, struct service *svc, struct bus *bus, const struct replica_config *cfg,
		const struct replica_hooks *hooks)
{
	if (!cfg || !cfg->role || cfg->n_types < 1 || cfg->n_types > BUS_REPLAY_MAX_TYPES || cfg->rebuild_max < 0 ||
	    !hooks || !hooks->on_replay)
		return ORCH_EINVAL;
	struct replica *r = calloc(1, sizeof(*r));
	if (!r)
		return ORCH_ENOMEM;
	r->svc = svc;
	r->bus = bus;
	r->hooks = *hooks;
	r->n_types = cfg->n_types;
	r->rebuild_max = cfg->rebuild_max;
	r->rebuild_age_ms = cfg->rebuild_age_ms;
	snprintf(r->role, sizeof(r->role), "%s", cfg->role);
	for (int i = 0; i < cfg->n_types; i++)
		snprintf(r->types[i], sizeof(r->types[i]), "%s", cfg->types[i]);
	char labels[96];
	snprintf(labels, sizeof(labels), "role=\"%s\"", r->role);
	r->m_replayed = metrics_counter("orch_replica_replayed_total",
					labels,
					"Input events replayed from the streams when this replica took over");
	r->m_step_downs = metrics_counter(
		"orch_replica_step_downs_total", labels, "Times this replica lost the lease and went back to standby");
	struct lease_config lc = {.prefix = svc->cfg.prefix,
				  .role = r->role,
				  .holder = svc->cfg.instance_id,
				  .ttl_ms = svc->cfg.lease_ttl_ms};
	int rc = lease_new(&r->lease, svc->loop, &lc, &svc->cfg.redis, on_lease, r);
	if (rc != 0) {
		free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int replica_start(struct replica *r)
{
	return lease_start(r->lease);
}

int replica_covered(const struct replica *r, int type_index, const char *stream_id)
{
	if (type_index < 0 || type_index >= r->n_types || !r->applied_to[type_index][0])
		return 0;
	return bus_compare_ids(stream_id, r->applied_to[type_index]) <= 0;
}

int replica_is_active(const struct replica *r)
{
	return r->state == REP_ACTIVE;
}

int replica_check_ready(void *replica, char *buf, size_t len)
{
	struct replica *r = replica;
	switch (r->state) {
	case REP_STANDBY: {
		char l[96];
		int ok = lease_check_ready(r->lease, l, sizeof(l));
		snprintf(buf, len, "standby (lease: %s)", l);
		return ok;
	}
	case REP_REBUILDING:
		snprintf(buf, len, "rebuilding from the input streams");
		return 0;
	case REP_STEPPING_DOWN:
		snprintf(buf, len, "stepping down to standby");
		return 0;
	default:
		return bus_check_ready(r->bus, buf, len);
	}
}

void replica_stop(struct replica *r)
{
	bus_replay_cancel(r->replay);
}

void replica_free(struct replica *r)
{
	if (!r)
		return;
	bus_replay_cancel(r->replay);
	lease_free(r->lease);
	free(r);
}
