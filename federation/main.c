/*
 * federation/main.c - the Federation program: its settings, then its
 * service on the common runtime (federation_service.c), run until SIGTERM.
 */
#include <stdio.h>

#include "federation_config.h"
#include "federation_service.h"
#include "log.h"
#include "orch.h"
#include "service.h"

int main(int argc, char **argv)
{
	static const struct config_table *const tables[] = {&federation_config_table, NULL};
	struct service svc;
	struct federation_config cfg;
	struct federation_service *fed = NULL;
	char err[512] = "";
	int rc;
	if (service_args_handled(argc, argv, "federation", tables, &rc))
		return rc;
	if (federation_config_load(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "federation: configuration error: %s\n", err);
		return 2;
	}
	if (service_init(&svc, "federation", FEDERATION_ADMIN_PORT) != 0)
		return 2;
	if ((rc = federation_service_new(&fed, &svc, &cfg, err, sizeof(err))) == 0 &&
	    (rc = federation_service_start(fed, err, sizeof(err))) == 0)
		rc = service_run(&svc);
	if (rc != 0)
		log_error("federation: cannot start: %s%s%s", orch_strerror(rc), err[0] ? ": " : "", err);
	federation_service_free(fed);
	service_release(&svc);
	return rc == 0 ? 0 : 1;
}
