/*
 * risk_officer/main.c - the Risk Officer program: its settings, then its
 * service on the common runtime (risk_officer_service.c), run until SIGTERM
 * (losing its lease makes it a standby, never ends it).
 */
#include <stdio.h>

#include "log.h"
#include "orch.h"
#include "risk_officer_config.h"
#include "risk_officer_service.h"
#include "service.h"

int main(int argc, char **argv)
{
	static const struct config_table *const tables[] = {&risk_officer_config_table, NULL};
	struct service svc;
	struct risk_officer_config cfg;
	struct risk_officer_service *ro = NULL;
	char err[512];
	int rc;
	if (service_args_handled(argc, argv, "risk_officer", tables, &rc))
		return rc;
	if (risk_officer_config_load(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "risk_officer: configuration error: %s\n", err);
		return 2;
	}
	if (service_init(&svc, "risk_officer", RISK_OFFICER_ADMIN_PORT) != 0)
		return 2;
	if ((rc = risk_officer_service_new(&ro, &svc, &cfg)) == 0 && (rc = risk_officer_service_start(ro)) == 0)
		rc = service_run(&svc);
	if (rc != 0)
		log_error("risk_officer: cannot start: %s", orch_strerror(rc));
	risk_officer_service_free(ro);
	service_release(&svc);
	return rc == 0 ? 0 : 1;
}
