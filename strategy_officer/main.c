/*
 * strategy_officer/main.c - the Strategy Officer program: its settings,
 * then its service on the common runtime (strategy_officer_service.c), run
 * until SIGTERM (losing its lease makes it a standby, never ends it).
 */
#include <stdio.h>

#include "log.h"
#include "orch.h"
#include "service.h"
#include "strategy_officer_config.h"
#include "strategy_officer_service.h"

int main(int argc, char **argv)
{
	static const struct config_table *const tables[] = {&strategy_officer_config_table, NULL};
	struct service svc;
	struct strategy_officer_config cfg;
	struct strategy_officer_service *so = NULL;
	char err[512];
	int rc;
	if (service_args_handled(argc, argv, "strategy_officer", tables, &rc))
		return rc;
	if (strategy_officer_config_load(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "strategy_officer: configuration error: %s\n", err);
		return 2;
	}
	if (service_init(&svc, "strategy_officer", STRATEGY_OFFICER_ADMIN_PORT) != 0)
		return 2;
	if ((rc = strategy_officer_service_new(&so, &svc, &cfg)) == 0 && (rc = strategy_officer_service_start(so)) == 0)
		rc = service_run(&svc);
	if (rc != 0)
		log_error("strategy_officer: cannot start: %s", orch_strerror(rc));
	strategy_officer_service_free(so);
	service_release(&svc);
	return rc == 0 ? 0 : 1;
}
