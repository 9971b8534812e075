/*
 * ceo/main.c - the CEO program: its settings, then its service on the
 * common runtime (ceo_service.c), run until SIGTERM.
 */
#include <stdio.h>

#include "ceo_config.h"
#include "ceo_service.h"
#include "log.h"
#include "orch.h"
#include "service.h"

int main(int argc, char **argv)
{
	static const struct config_table *const tables[] = {&ceo_config_table, NULL};
	struct service svc;
	struct ceo_config cfg;
	struct ceo_service *ceo = NULL;
	char err[512];
	int rc;
	if (service_args_handled(argc, argv, "ceo", tables, &rc))
		return rc;
	if (ceo_config_load(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "ceo: configuration error: %s\n", err);
		return 2;
	}
	if (service_init(&svc, "ceo", CEO_ADMIN_PORT) != 0)
		return 2;
	if ((rc = ceo_service_new(&ceo, &svc, &cfg)) == 0 && (rc = ceo_service_start(ceo)) == 0)
		rc = service_run(&svc);
	if (rc != 0)
		log_error("ceo: cannot start: %s", orch_strerror(rc));
	ceo_service_free(ceo);
	service_release(&svc);
	return rc == 0 ? 0 : 1;
}
