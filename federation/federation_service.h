/*
 * federation_service.h - the Federation as a service on the common
 * runtime: the agents' events and the PolicyStore in, the merged global
 * state out on the EventBus and over the REST API (http_api.h). Glue: it
 * runs on the service's loop; the merging is federation_brain.c's.
 */
#ifndef FEDERATION_SERVICE_H
#define FEDERATION_SERVICE_H

#include "federation_config.h"
#include "service.h"

struct federation_service;

/* Wires a Federation into svc with cfg (copied). Free with
 * federation_service_free() once the loop has ended. Returns 0 or a
 * negative code (err says why when the API cannot be set up). */
int federation_service_new(struct federation_service **out, struct service *svc, const struct federation_config *cfg,
			   char *err, size_t errlen);
/* Starts serving the API, consuming and following the policy. */
int federation_service_start(struct federation_service *f, char *err, size_t errlen);
/* NULL is a no-op. */
void federation_service_free(struct federation_service *f);

#endif
