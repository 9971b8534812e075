/*
 * risk_fixtures.h - what the risk-metric tests share: the confidences,
 * the first oracle vector of ../shared/spec/risk-metrics-and-peers.md
 * (section 5) and a window filled with given returns.
 */
#ifndef TEST_RISK_FIXTURES_H
#define TEST_RISK_FIXTURES_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "risk_models.h"

static const double CONF[2] = {0.95, 0.99};
static const double X1[10] = {-0.03, 0.01, 0.02, -0.01, 0.005, -0.02, 0.015, 0.0, -0.005, 0.03};

/* A window of max_count returns holding x[0..n-1], one a second. */
static inline struct risk_window *window_of(const double *x, size_t n, size_t max_count)
{
	struct risk_window *w = NULL;
	struct risk_window_config cfg = {.max_count = max_count, .periods_per_year = 252, .ewma_lambda = 0.94};
	ck_assert_int_eq(risk_window_new(&w, &cfg), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(risk_window_push(w, x[i], (int64_t)i * 1000), 0);
	return w;
}

#endif
