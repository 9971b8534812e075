/*
 * config.c - ORCH_* environment configuration, validated at start (see
 * config.h). Every error names the variable and what was expected; a
 * password is never echoed back.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "orch.h"

static config_getenv_fn env_fn;

void config_set_getenv(config_getenv_fn fn)
{
	env_fn = fn;
}

static const char *env(const char *name)
{
	const char *v = env_fn ? env_fn(name) : getenv(name);
	return v && v[0] ? v : NULL;
}

int config_get_int(const char *name, int64_t def, int64_t min, int64_t max, int64_t *out, char *err,
		   size_t errlen)
{
	const char *v = env(name);
	if (!v) {
		*out = def;
		return 0;
	}
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (end == v || *end || errno == ERANGE || n < min || n > max) {
		snprintf(err, errlen, "%s: expected an integer in [%lld, %lld], got '%s'", name, (long long)min,
			 (long long)max, v);
		return ORCH_EINVAL;
	}
	*out = n;
	return 0;
}

int config_get_double(const char *name, double def, double min, double max, double *out, char *err,
		      size_t errlen)
{
	const char *v = env(name);
	if (!v) {
		*out = def;
		return 0;
	}
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (end == v || *end || errno == ERANGE || !isfinite(d) || d < min || d > max) {
		snprintf(err, errlen, "%s: expected a number in [%g, %g], got '%s'", name, min, max, v);
		return ORCH_EINVAL;
	}
	*out = d;
	return 0;
}

int config_get_bool(const char *name, int def, int *out, char *err, size_t errlen)
{
	static const char *const yes[] = {"1", "true", "yes", "on"}, *const no[] = {"0", "false", "no", "off"};
	const char *v = env(name);
	if (!v) {
		*out = def;
		return 0;
	}
	for (int i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i]) || !strcasecmp(v, no[i])) {
			*out = !strcasecmp(v, yes[i]);
			return 0;
		}
	}
	snprintf(err, errlen, "%s: expected true or false, got '%s'", name, v);
	return ORCH_EINVAL;
}

int config_get_str(const char *name, const char *def, char *out, size_t outlen, char *err, size_t errlen)
{
	const char *v = env(name);
	if (!v)
		v = def ? def : "";
	if (strlen(v) >= outlen) {
		snprintf(err, errlen, "%s: longer than %zu characters", name, outlen - 1);
		return ORCH_EINVAL;
	}
	snprintf(out, outlen, "%s", v);
	return 0;
}

/* Decodes %XX escapes of src[0..n) into out. */
static int pct_decode(const char *src, size_t n, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (o + 1 >= outlen)
			return ORCH_EINVAL;
		if (src[i] == '%') {
			if (i + 2 >= n || !isxdigit((unsigned char)src[i + 1]) || !isxdigit((unsigned char)src[i + 2]))
				return ORCH_EINVAL;
			char hex[3] = {src[i + 1], src[i + 2], 0};
			out[o++] = (char)strtol(hex, NULL, 16);
			i += 2;
		} else {
			out[o++] = src[i];
		}
	}
	out[o] = 0;
	return 0;
}

/* "host:port" (or "[v6]:port") into ep; port required when need_port. */
static int parse_hostport(const char *s, size_t n, struct redis_endpoint *ep, int def_port)
{
	const char *colon = NULL, *host = s;
	size_t hlen;
	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (!close)
			return ORCH_EINVAL;
		host = s + 1;
		hlen = (size_t)(close - host);
		if (close + 1 < s + n) {
			if (close[1] != ':')
				return ORCH_EINVAL;
			colon = close + 1;
		}
	} else {
		colon = memchr(s, ':', n);
		hlen = colon ? (size_t)(colon - s) : n;
	}
	if (hlen == 0 || hlen >= sizeof(ep->host))
		return ORCH_EINVAL;
	memcpy(ep->host, host, hlen);
	ep->host[hlen] = 0;
	ep->port = def_port;
	if (colon) {
		char buf[8];
		size_t plen = (size_t)(s + n - colon - 1);
		if (plen == 0 || plen >= sizeof(buf))
			return ORCH_EINVAL;
		memcpy(buf, colon + 1, plen);
		buf[plen] = 0;
		char *end;
		long p = strtol(buf, &end, 10);
		if (*end || p < 1 || p > 65535)
			return ORCH_EINVAL;
		ep->port = (int)p;
	}
	return ep->port > 0 ? 0 : ORCH_EINVAL;
}

int config_parse_redis_url(const char *url, struct redis_target *out, char *err, size_t errlen)
{
	static const char scheme[] = "redis://";
	const char *key = "ORCH_REDIS_URL";
	if (strncmp(url, scheme, sizeof(scheme) - 1) != 0) {
		snprintf(err, errlen, "%s: expected redis://[user:password@]host:port/db", key);
		return ORCH_EINVAL;
	}
	const char *p = url + sizeof(scheme) - 1;
	const char *at = strrchr(p, '@');
	out->user[0] = out->password[0] = 0;
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		size_t ulen = colon ? (size_t)(colon - p) : (size_t)(at - p);
		if (pct_decode(p, ulen, out->user, sizeof(out->user)) != 0 ||
		    (colon && pct_decode(colon + 1, (size_t)(at - colon - 1), out->password, sizeof(out->password)) != 0)) {
			snprintf(err, errlen, "%s: bad user or password escape in redis://***@...", key);
			return ORCH_EINVAL;
		}
		if (!colon) {
			/* redis://password@host: the original's URLs put the password alone */
			snprintf(out->password, sizeof(out->password), "%s", out->user);
			out->user[0] = 0;
		}
		p = at + 1;
	}
	const char *slash = strchr(p, '/');
	size_t hlen = slash ? (size_t)(slash - p) : strlen(p);
	if (parse_hostport(p, hlen, &out->addr, 6379) != 0) {
		snprintf(err, errlen, "%s: expected host:port with port 1-65535 after redis://, got '%.*s'", key,
			 (int)hlen, p);
		return ORCH_EINVAL;
	}
	out->db = 0;
	if (slash && slash[1]) {
		char *end;
		long db = strtol(slash + 1, &end, 10);
		if (*end || db < 0 || db > 15) {
			snprintf(err, errlen, "%s: database must be 0-15, got '%s'", key, slash + 1);
			return ORCH_EINVAL;
		}
		out->db = (int)db;
	}
	return 0;
}

int config_parse_endpoints(const char *list, struct redis_target *out, char *err, size_t errlen)
{
	out->n_sentinels = 0;
	const char *p = list;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		while (n > 0 && isspace((unsigned char)*p)) {
			p++;
			n--;
		}
		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
		if (out->n_sentinels == CONFIG_MAX_SENTINELS ||
		    parse_hostport(p, n, &out->sentinels[out->n_sentinels], 26379) != 0) {
			snprintf(err, errlen, "ORCH_REDIS_SENTINELS: expected up to %d host:port entries separated by commas, got '%s'",
				 CONFIG_MAX_SENTINELS, list);
			return ORCH_EINVAL;
		}
		out->n_sentinels++;
		p = comma ? comma + 1 : p + n;
	}
	return 0;
}

static int name_chars_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '.' || *s == '-'))
			return 0;
	return 1;
}

int config_load_redis(struct redis_target *t, const char *url, char *err, size_t errlen)
{
	char buf[1024];
	int64_t n;
	memset(t, 0, sizeof(*t));
	int rc = 0;
	if (url)
		snprintf(buf, sizeof(buf), "%s", url);
	else
		rc = config_get_str("ORCH_REDIS_URL", "redis://127.0.0.1:6379/0", buf, sizeof(buf), err, errlen);
	if (rc == 0)
		rc = config_parse_redis_url(buf, t, err, errlen);
	if (rc == 0 && (rc = config_get_str("ORCH_REDIS_SENTINELS", "", buf, sizeof(buf), err, errlen)) == 0 && buf[0])
		rc = config_parse_endpoints(buf, t, err, errlen);
	if (rc == 0)
		rc = config_get_str("ORCH_REDIS_MASTER_NAME", "", t->master_name, sizeof(t->master_name), err, errlen);
	if (rc == 0 && t->n_sentinels > 0 && !t->master_name[0]) {
		snprintf(err, errlen, "ORCH_REDIS_MASTER_NAME: required when ORCH_REDIS_SENTINELS is set");
		return ORCH_EINVAL;
	}
	if (rc == 0 && (rc = config_get_int("ORCH_REDIS_CONNECT_TIMEOUT_MS", 2000, 50, 60000, &n, err, errlen)) == 0)
		t->connect_timeout_ms = (int)n;
	if (rc == 0 && (rc = config_get_int("ORCH_REDIS_BACKOFF_MIN_MS", 100, 1, 60000, &n, err, errlen)) == 0)
		t->backoff_min_ms = (int)n;
	if (rc == 0 && (rc = config_get_int("ORCH_REDIS_BACKOFF_MAX_MS", 5000, 1, 600000, &n, err, errlen)) == 0)
		t->backoff_max_ms = (int)n;
	/* with Sentinel there are replicas to lose a write to: wait for one */
	if (rc == 0 && (rc = config_get_int("ORCH_REDIS_WAIT_REPLICAS", t->n_sentinels > 0 ? 1 : 0, 0, 16, &n, err,
					    errlen)) == 0)
		t->wait_replicas = (int)n;
	if (rc == 0 && (rc = config_get_int("ORCH_REDIS_WAIT_TIMEOUT_MS", 500, 1, 60000, &n, err, errlen)) == 0)
		t->wait_timeout_ms = (int)n;
	if (rc == 0 && t->backoff_max_ms < t->backoff_min_ms) {
		snprintf(err, errlen, "ORCH_REDIS_BACKOFF_MAX_MS: must be at least ORCH_REDIS_BACKOFF_MIN_MS (%d)",
			 t->backoff_min_ms);
		return ORCH_EINVAL;
	}
	return rc;
}

int config_load(struct orch_config *cfg, const char *service, int default_admin_port, char *err, size_t errlen)
{
	char buf[1024];
	int64_t n;
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->service, sizeof(cfg->service), "%s", service);
	int rc = config_load_redis(&cfg->redis, NULL, err, errlen);
	if (rc == 0)
		rc = config_get_str("ORCH_PREFIX", "quantum", cfg->prefix, sizeof(cfg->prefix), err, errlen);
	if (rc == 0 && !name_chars_ok(cfg->prefix)) {
		snprintf(err, errlen, "ORCH_PREFIX: expected letters, digits, '_', '.' or '-', got '%s'", cfg->prefix);
		return ORCH_EINVAL;
	}
	if (rc == 0) {
		char host[128] = "";
		if (gethostname(host, sizeof(host) - 1) != 0 || !name_chars_ok(host))
			snprintf(host, sizeof(host), "%s-%d", service, (int)getpid());
		rc = config_get_str("ORCH_INSTANCE_ID", host, cfg->instance_id, sizeof(cfg->instance_id), err, errlen);
	}
	if (rc == 0 && !name_chars_ok(cfg->instance_id)) {
		snprintf(err, errlen, "ORCH_INSTANCE_ID: expected letters, digits, '_', '.' or '-', got '%s'",
			 cfg->instance_id);
		return ORCH_EINVAL;
	}
	if (rc == 0 && (rc = config_get_int("ORCH_ADMIN_PORT", default_admin_port, 0, 65535, &n, err, errlen)) == 0)
		cfg->admin_port = (int)n;
	if (rc == 0)
		rc = config_get_str("ORCH_ADMIN_BIND", "127.0.0.1", cfg->admin_bind, sizeof(cfg->admin_bind), err, errlen);
	if (rc == 0 && (rc = config_get_str("ORCH_LOG_LEVEL", "info", buf, sizeof(buf), err, errlen)) == 0 &&
	    log_parse_level(buf, &cfg->log_level) != 0) {
		snprintf(err, errlen, "ORCH_LOG_LEVEL: expected debug, info, warn or error, got '%s'", buf);
		return ORCH_EINVAL;
	}
	if (rc == 0 && (rc = config_get_str("ORCH_CLOCK", "wall", buf, sizeof(buf), err, errlen)) == 0 &&
	    clock_parse_mode(buf, &cfg->clock_mode) != 0) {
		snprintf(err, errlen, "ORCH_CLOCK: expected wall or event, got '%s'", buf);
		return ORCH_EINVAL;
	}
	if (rc == 0)
		rc = config_get_str("ORCH_OUTBOX_DIR", "", cfg->outbox_dir, sizeof(cfg->outbox_dir), err, errlen);
	if (rc == 0 && cfg->outbox_dir[0] && access(cfg->outbox_dir, W_OK) != 0) {
		snprintf(err, errlen, "ORCH_OUTBOX_DIR: '%s' is not a writable directory", cfg->outbox_dir);
		return ORCH_EINVAL;
	}
	if (rc == 0)
		rc = config_get_str("ORCH_POLICY_SNAPSHOT", "", cfg->policy_snapshot, sizeof(cfg->policy_snapshot),
				    err, errlen);
	if (rc == 0 && (rc = config_get_int("ORCH_LEASE_TTL_MS", 10000, 300, 600000, &n, err, errlen)) == 0)
		cfg->lease_ttl_ms = (int)n;
	if (rc == 0 && (rc = config_get_int("ORCH_BUS_WAIT_REPLICAS", 0, 0, 16, &n, err, errlen)) == 0)
		cfg->bus_wait_replicas = (int)n;
	return rc;
}

int config_get_list(const char *name, const char *def, char out[][CONFIG_LIST_ITEM], int max, int *n,
		    int (*known)(const char *item), char *err, size_t errlen)
{
	char list[2048];
	int rc = config_get_str(name, def, list, sizeof(list), err, errlen);
	if (rc != 0)
		return rc;
	*n = 0;
	const char *p = list;
	while (*p) {
		size_t len = strcspn(p, ",");
		if (len == 0 || len >= CONFIG_LIST_ITEM || *n == max) {
			snprintf(err, errlen, "%s: expected 1-%d comma-separated items, got '%.200s'", name, max, list);
			return ORCH_EINVAL;
		}
		memcpy(out[*n], p, len);
		out[*n][len] = '\0';
		if (known && !known(out[*n])) {
			snprintf(err, errlen, "%s: '%s' is not one of: %s", name, out[*n], def);
			return ORCH_EINVAL;
		}
		(*n)++;
		p += len + (p[len] == ',');
	}
	if (*n == 0) {
		snprintf(err, errlen, "%s: expected 1-%d comma-separated items, got an empty list", name, max);
		return ORCH_EINVAL;
	}
	return 0;
}
