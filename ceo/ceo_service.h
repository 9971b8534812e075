/*
 * ceo_service.h - the CEO as a service on the common runtime: inputs from
 * the EventBus into the brain, decisions into the PolicyStore, commands,
 * the lease. Glue: it runs on the service's loop and owns its Redis
 * connections; the decisions themselves are ceo_brain.c's.
 */
#ifndef CEO_SERVICE_H
#define CEO_SERVICE_H

#include "ceo_config.h"
#include "service.h"

struct ceo_service;

/* Wires a CEO into svc with cfg (copied): bus subscriptions, PolicyStore,
 * lease, timers, readiness checks, shutdown. Free with ceo_service_free()
 * once the loop has ended. Returns 0 or a negative code. */
int ceo_service_new(struct ceo_service **out, struct service *svc, const struct ceo_config *cfg);
/* Starts consuming, following the policy and contending for the lease. */
int ceo_service_start(struct ceo_service *c);
/* NULL is a no-op. */
void ceo_service_free(struct ceo_service *c);

#endif
