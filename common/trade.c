/*
 * trade.c - the original producers' closed-trade return (see trade.h).
 */
#include "trade.h"

#include <stdio.h>

#include "json_util.h"
#include "orch.h"

int trade_parse_return(const json_t *payload, double *ret, char *why, size_t whylen)
{
	static const char *const keys[] = {"pnl_percent", "pnl_pct", "realized_pnl_pct", NULL};
	double pct;
	int rc = json_util_first_double(payload, keys, &pct, why, whylen);
	if (rc == ORCH_ENOENT)
		snprintf(why, whylen, "no pnl_percent, pnl_pct or realized_pnl_pct field");
	if (rc != 0)
		return ORCH_EMALFORMED;
	if (!(pct > TRADE_MIN_RETURN * 100)) {
		snprintf(why, whylen, "return %g%% is a loss beyond 100%%", pct);
		return ORCH_EMALFORMED;
	}
	if (pct > TRADE_MAX_RETURN * 100) {
		snprintf(why, whylen, "return %g%% is beyond +1000%%: not a trade's return", pct);
		return ORCH_EMALFORMED;
	}
	*ret = pct / 100;
	return 0;
}

int trade_check_age(int64_t t_ms, int64_t now_ms, int64_t window_age_ms, char *why, size_t whylen)
{
	if (!window_age_ms || t_ms >= now_ms - window_age_ms)
		return 0;
	char at[40], now[40];
	json_util_format_ts_us(t_ms * 1000, at, sizeof(at));
	json_util_format_ts_us(now_ms * 1000, now, sizeof(now));
	snprintf(why,
		 whylen,
		 "stamped %.19s, older than the window (%lld s) at %.19s",
		 at,
		 (long long)(window_age_ms / 1000),
		 now);
	return ORCH_EMALFORMED;
}
