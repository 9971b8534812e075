/*
 * service.c - the runtime each service's main.c wires into (see service.h):
 * configuration, logs, clock, loop, signals and the admin port, whose
 * /readyz reflects the registered checks once a second.
 */
#include "service.h"

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_admin.h"
#include "log.h"
#include "orch.h"

static void ready_tick(uv_timer_t *t)
{
	struct service *s = t->data;
	int all = 1;
	json_t *checks = json_object();
	for (int i = 0; i < s->n_checks; i++) {
		char state[128] = "";
		int ok = s->checks[i].fn(s->checks[i].data, state, sizeof(state)) == 1;
		all &= ok;
		json_object_set_new(checks, s->checks[i].name, json_pack("{s:b, s:s}", "ok", ok, "state", state));
	}
	json_t *body = json_pack("{s:s, s:s, s:s, s:o}",
				 "status",
				 all && !s->stopping ? "ready" : "not_ready",
				 "service",
				 s->cfg.service,
				 "instance",
				 s->cfg.instance_id,
				 "checks",
				 checks);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	if (text && s->admin)
		http_probes_set_ready(http_admin_probes(s->admin), all && !s->stopping, text);
	free(text);
	json_decref(body);
}

/* Ends the run: closes the runtime's own handles so the loop can exit. */
static void service_stop_done(struct service *s)
{
	if (!uv_is_closing((uv_handle_t *)&s->ready_timer)) {
		uv_close((uv_handle_t *)&s->sig_term, NULL);
		uv_close((uv_handle_t *)&s->sig_int, NULL);
		uv_close((uv_handle_t *)&s->ready_timer, NULL);
	}
}

static void part_drained(void *data)
{
	struct service *s = data;
	if (!s->torn_down) {
		s->torn_down = 1;
		s->part.teardown(s->part.data);
	}
	service_stop_done(s);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct service *s = h->data;
	if (s->stopping) {
		log_warn("second %s: exiting now", signum == SIGINT ? "SIGINT" : "SIGTERM");
		exit(1);
	}
	s->stopping = 1;
	log_info("%s received: shutting down", signum == SIGINT ? "SIGINT" : "SIGTERM");
	ready_tick(&s->ready_timer);
	if (!s->attached) {
		service_stop_done(s);
		return;
	}
	if (s->part.quiesce)
		s->part.quiesce(s->part.data);
	struct bus *bus = s->part.bus ? *s->part.bus : NULL;
	if (bus)
		bus_stop(bus, 5000, part_drained, s);
	else
		part_drained(s);
}

int service_args_handled(int argc, char **argv, const char *name, const struct config_table *const *tables, int *status)
{
	*status = 0;
	if (argc < 2)
		return 0;
	if (argc == 2 && strcmp(argv[1], "--help-config") == 0) {
		config_table_print(stdout, &config_redis_table, 0);
		config_table_print(stdout, &config_common_table, 0);
		for (; tables && *tables; tables++)
			config_table_print(stdout, *tables, 0);
		return 1;
	}
	FILE *out = argc == 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr;
	fprintf(out,
		"usage: %s [--help-config]\n"
		"Runs the %s service; every setting comes from ORCH_* environment variables\n"
		"(--help-config lists them with defaults, ranges and meaning; docs/configuration.md).\n",
		name,
		name);
	*status = out == stdout ? 0 : 2;
	return 1;
}

int service_init(struct service *s, const char *name, int default_admin_port)
{
	char err[512];
	memset(s, 0, sizeof(*s));
	if (config_load(&s->cfg, name, default_admin_port, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: configuration error: %s\n", name, err);
		return ORCH_EINVAL;
	}
	log_init(name, s->cfg.instance_id, s->cfg.log_level);
	clock_set_mode(s->cfg.clock_mode);
	signal(SIGPIPE, SIG_IGN);
	s->loop = uv_default_loop();
	uv_signal_init(s->loop, &s->sig_term);
	uv_signal_init(s->loop, &s->sig_int);
	s->sig_term.data = s->sig_int.data = s;
	uv_signal_start(&s->sig_term, on_signal, SIGTERM);
	uv_signal_start(&s->sig_int, on_signal, SIGINT);
	uv_timer_init(s->loop, &s->ready_timer);
	s->ready_timer.data = s;
	if (s->cfg.admin_port > 0) {
		int rc = http_admin_new(&s->admin, s->cfg.admin_bind, s->cfg.admin_port, err, sizeof(err));
		if (rc != 0) {
			fprintf(stderr, "%s: configuration error: %s\n", name, err);
			service_stop_done(s);
			uv_run(s->loop, UV_RUN_DEFAULT);
			return rc;
		}
	}
	uv_timer_start(&s->ready_timer, ready_tick, 0, 1000);
	log_info("starting: redis %s:%d db %d%s, prefix %s, admin %s:%d, clock %s",
		 s->cfg.redis.addr.host,
		 s->cfg.redis.addr.port,
		 s->cfg.redis.db,
		 s->cfg.redis.n_sentinels ? " (via Sentinel)" : "",
		 s->cfg.prefix,
		 s->cfg.admin_bind,
		 s->admin ? http_admin_port(s->admin) : 0,
		 s->cfg.clock_mode == CLOCK_MODE_EVENT ? "event" : "wall");
	return 0;
}

int service_add_check(struct service *s, const char *name, service_check_fn fn, void *data)
{
	if (s->n_checks == SERVICE_MAX_CHECKS)
		return ORCH_EFULL;
	s->checks[s->n_checks].name = name;
	s->checks[s->n_checks].fn = fn;
	s->checks[s->n_checks].data = data;
	s->n_checks++;
	return 0;
}

void service_attach(struct service *s, const struct service_part *p)
{
	s->part = *p;
	s->attached = 1;
	s->torn_down = 0;
}

void service_detach(struct service *s)
{
	if (!s->attached)
		return;
	s->attached = 0;
	if (!s->torn_down) {
		s->torn_down = 1;
		s->part.teardown(s->part.data);
		uv_run(s->loop, UV_RUN_NOWAIT);
	}
}

int service_run(struct service *s)
{
	uv_run(s->loop, UV_RUN_DEFAULT);
	return 0;
}

void service_release(struct service *s)
{
	http_admin_free(s->admin);
	s->admin = NULL;
	uv_run(s->loop, UV_RUN_NOWAIT);
	uv_loop_close(s->loop);
}

void service_bus_config(const struct service *s, const char *service_name, struct bus_config *bc)
{
	bus_config_defaults(bc);
	bc->prefix = s->cfg.prefix;
	bc->service = service_name;
	bc->instance = s->cfg.instance_id;
	bc->outbox_dir = s->cfg.outbox_dir;
	bc->wait_replicas = s->cfg.bus_wait_replicas;
	bc->max_future_ms = s->cfg.event_max_future_ms;
}

void service_policy_config(const struct service *s, const char *writer, struct policy_config *pc)
{
	*pc = (struct policy_config){.prefix = s->cfg.prefix,
				     .key = s->cfg.policy_key,
				     .writer = writer,
				     .snapshot_path = s->cfg.policy_snapshot,
				     .create = s->cfg.policy_create,
				     .refresh_ms = s->cfg.policy_refresh_ms};
}
