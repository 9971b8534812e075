/*
 * service.h - the runtime every service main.c wires itself into: config
 * from ORCH_* (fails at start naming the bad key), JSON logs, the decision
 * clock, the libuv loop, SIGTERM/SIGINT graceful shutdown and the admin
 * HTTP port whose /readyz reflects the checks registered here.
 */
#ifndef ORCH_SERVICE_H
#define ORCH_SERVICE_H

#include <stddef.h>
#include <uv.h>

#include "bus.h"
#include "config.h"
#include "policy.h"

struct http_admin;

/* Readiness check: returns 1 when ready; writes a short state into buf
 * (e.g. "connected", "leader", "follower", "snapshot only"). */
typedef int (*service_check_fn)(void *data, char *buf, size_t len);

/*
 * What a service built on the runtime hands it, so that SIGTERM stops it
 * in order: quiesce (stop timers and new work), drain the bus (up to 5 s:
 * handlers finish, ACKs go out, its own pending entries are given back),
 * then teardown (close everything; the loop then ends).
 */
struct service_part {
	void (*quiesce)(void *data);  /* may be NULL */
	void (*teardown)(void *data); /* called exactly once, by the runtime */
	struct bus *const *bus;       /* where the part keeps its bus (read at SIGTERM); NULL: none */
	void *data;
};

#define SERVICE_MAX_CHECKS 8

struct service {
	uv_loop_t *loop;
	struct orch_config cfg;
	struct http_admin *admin;
	uv_signal_t sig_term, sig_int;
	uv_timer_t ready_timer;
	struct {
		const char *name;
		service_check_fn fn;
		void *data;
	} checks[SERVICE_MAX_CHECKS];
	int n_checks;
	struct service_part part;
	int attached, torn_down;
	int stopping;
};

/*
 * The command line every service takes: --help-config prints the settings
 * (the common ones, then tables, a NULL-terminated list), --help the usage.
 * Returns 1 when the program has nothing more to do (*status is its exit
 * status: 0, or 2 for an unknown argument), 0 when it should run.
 */
int service_args_handled(int argc, char **argv, const char *name, const struct config_table *const *tables,
			 int *status);

/* Loads config, sets up logs, clock, loop, signals and the admin port.
 * Prints the config error to stderr and returns ORCH_EINVAL when invalid. */
int service_init(struct service *s, const char *name, int default_admin_port);
/* Bus settings for this service: defaults, then prefix, service name,
 * instance and outbox directory from its config (strings borrowed from s). */
void service_bus_config(const struct service *s, const char *service_name, struct bus_config *bc);
/* PolicyStore settings for this service: prefix, key, create, refresh and
 * snapshot from its config, writer as given (strings borrowed from s). */
void service_policy_config(const struct service *s, const char *writer, struct policy_config *pc);
int service_add_check(struct service *s, const char *name, service_check_fn fn, void *data);
/* Hands the runtime the part to stop on SIGTERM (one per service; attach
 * it before creating what its teardown closes). */
void service_attach(struct service *s, const struct service_part *p);
/* Tears the part down now unless SIGTERM did, and lets the loop finish
 * the closing: for a part that never ran or failed to start. */
void service_detach(struct service *s);
/* Runs the loop until shutdown finished. Returns 0. */
int service_run(struct service *s);
void service_release(struct service *s);

#endif
