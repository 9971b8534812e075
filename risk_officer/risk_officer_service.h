/*
 * risk_officer_service.h - the Risk Officer as a service on the common
 * runtime: trading inputs from the EventBus into the book and the brain,
 * assessments, alerts and ceilings out, one active replica by lease. Glue:
 * it runs on the service's loop; the measures are risk_models.c's and
 * risk_brain.c's.
 */
#ifndef RISK_OFFICER_SERVICE_H
#define RISK_OFFICER_SERVICE_H

#include "risk_officer_config.h"
#include "service.h"

struct risk_officer_service;

/* Wires a Risk Officer into svc with cfg (copied). Free with
 * risk_officer_service_free() once the loop has ended. Returns 0 or a
 * negative code. */
int risk_officer_service_new(struct risk_officer_service **out, struct service *svc,
			     const struct risk_officer_config *cfg);
/* Starts following the policy and contending for the lease. */
int risk_officer_service_start(struct risk_officer_service *r);
/* NULL is a no-op. */
void risk_officer_service_free(struct risk_officer_service *r);

#endif
