/*
 * strategy_officer_service.h - the Strategy Officer as a service on the
 * common runtime: trades, decisions and regimes from the EventBus into the
 * book and the brain, recommendations and alerts out, the disabled set into
 * the PolicyStore, one active replica by lease. Glue: it runs on the
 * service's loop; the decisions are strategy_brain.c's.
 */
#ifndef STRATEGY_OFFICER_SERVICE_H
#define STRATEGY_OFFICER_SERVICE_H

#include "strategy_officer_config.h"
#include "service.h"

struct strategy_officer_service;

/* Wires a Strategy Officer into svc with cfg (copied). Free with
 * strategy_officer_service_free() once the loop has ended. Returns 0 or a
 * negative code. */
int strategy_officer_service_new(struct strategy_officer_service **out, struct service *svc,
				 const struct strategy_officer_config *cfg);
/* Starts following the policy and contending for the lease. */
int strategy_officer_service_start(struct strategy_officer_service *r);
/* NULL is a no-op. */
void strategy_officer_service_free(struct strategy_officer_service *r);

#endif
