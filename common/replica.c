/*
 * replica.c - lease, rebuild from the streams, then consume (contract in
 * replica.h).
 */
#include "replica.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "lease.h"
#include "log.h"
#include "metrics.h"
#include "orch.h"

enum replica_role { REP_STANDBY, REP_REBUILDING, REP_ACTIVE };

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
	int lost;
	struct metric *m_replayed;
};

static void leave(struct replica *r, const char *why)
{
	log_error("%s: %s; exiting so that this replica restarts as a standby", r->role, why);
	r->lost = 1;
	raise(SIGTERM);
}

static void become_active(struct replica *r)
{
	int rc = bus_start(r->bus);
	if (rc != 0) {
		char why[96];
		snprintf(why, sizeof(why), "cannot consume the inputs: %s", orch_strerror(rc));
		leave(r, why);
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
	if (status != 0)
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
		if (r->state != REP_STANDBY)
			leave(r, "lost the lease");
		return;
	}
	log_info("%s: active (lease token %llu)", r->role, (unsigned long long)token);
	r->state = REP_REBUILDING;
	if (r->rebuild_max == 0) {
		become_active(r);
		return;
	}
	const char *types[BUS_REPLAY_MAX_TYPES];
	for (int i = 0; i < r->n_types; i++)
		types[i] = r->types[i];
	struct bus_replay_config rc = {.prefix = r->svc->cfg.prefix, .types = types, .n_types = r->n_types,
				       .max_per_stream = r->rebuild_max,
				       .min_ms = r->rebuild_age_ms > 0 ? clock_now_ms() - r->rebuild_age_ms : 0};
	int err = bus_replay_start(&r->replay, r->svc->loop, &r->svc->cfg.redis, &rc, replay_event, replay_done, r);
	if (err != 0) {
		char why[96];
		snprintf(why, sizeof(why), "cannot rebuild from the streams: %s", orch_strerror(err));
		leave(r, why);
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
	r->m_replayed = metrics_counter("orch_replica_replayed_total", labels,
					"Input events replayed from the streams when this replica took over");
	struct lease_config lc = {.prefix = svc->cfg.prefix, .role = r->role, .holder = svc->cfg.instance_id,
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

int replica_lost(const struct replica *r)
{
	return r->lost;
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
