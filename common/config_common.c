/*
 * config_common.c - the settings every service shares: Redis (URL,
 * Sentinel, timeouts, WAIT) and the runtime (prefix, instance, admin port,
 * logs, clock, outbox, lease, the operators' command key), as settings
 * tables (config.h).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "orch.h"

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

/* "host:port" (or "[v6]:port") into ep, def_port when none is given. */
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

/* redis://[user:password@]host:port/db  (user may be empty: redis://:pw@h:1/0).
 * Percent-escapes in user and password are decoded. */
static int parse_redis_url(const char *url, struct redis_target *out, char *err, size_t errlen)
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
		    (colon &&
		     pct_decode(colon + 1, (size_t)(at - colon - 1), out->password, sizeof(out->password)) != 0)) {
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
		snprintf(err,
			 errlen,
			 "%s: expected host:port with port 1-65535 after redis://, got '%.*s'",
			 key,
			 (int)hlen,
			 p);
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

/* "host:port,host:port" into out->sentinels. */
static int parse_endpoints(const char *list, struct redis_target *out, char *err, size_t errlen)
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
			snprintf(err,
				 errlen,
				 "ORCH_REDIS_SENTINELS: expected up to %d host:port entries separated by commas, got "
				 "'%s'",
				 CONFIG_MAX_SENTINELS,
				 list);
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

/* ---- the Redis settings (struct redis_target) ---- */

static int parse_url(const char *name, const char *v, void *base, char *err, size_t errlen)
{
	(void)name;
	return parse_redis_url(v, base, err, errlen);
}

static int parse_sentinels(const char *name, const char *v, void *base, char *err, size_t errlen)
{
	(void)name;
	return parse_endpoints(v, base, err, errlen);
}

#define RT(f, T) CONFIG_FIELD(struct redis_target, f, T)
static const struct config_setting redis_settings[] = {
	/* first: config_load_redis skips it when the caller names the URL */
	{"ORCH_REDIS_URL",
	 CONFIG_CUSTOM,
	 0,
	 .def = "redis://127.0.0.1:6379/0",
	 .parse = parse_url,
	 .help = "`redis://[user:password@]host:port/db`; `redis://:password@host:port/db` for a password without "
		 "ACL user; `%XX` escapes allowed in user and password"},
	{"ORCH_REDIS_SENTINELS",
	 CONFIG_CUSTOM,
	 0,
	 .def = "",
	 .parse = parse_sentinels,
	 .help = "`host:port,host:port`: find the master through Sentinel on every (re)connect instead of using the "
		 "URL's host (user, password and db still come from the URL)"},
	{"ORCH_REDIS_MASTER_NAME",
	 CONFIG_STR,
	 RT(master_name, char[128]),
	 sizeof(((struct redis_target *)0)->master_name),
	 .def = "",
	 .help = "Sentinel service name; required with `ORCH_REDIS_SENTINELS`"},
	{"ORCH_REDIS_CONNECT_TIMEOUT_MS",
	 CONFIG_INT,
	 RT(connect_timeout_ms, int),
	 .def = "2000",
	 .min = 50,
	 .max = 60000,
	 .help = "connect watchdog per attempt"},
	{"ORCH_REDIS_BACKOFF_MIN_MS",
	 CONFIG_INT,
	 RT(backoff_min_ms, int),
	 .def = "100",
	 .min = 1,
	 .max = 60000,
	 .help = "first reconnect delay; each next one doubles up to the maximum, scaled by a random factor in [0.5, "
		 "1]"},
	{"ORCH_REDIS_BACKOFF_MAX_MS",
	 CONFIG_INT,
	 RT(backoff_max_ms, int),
	 .def = "5000",
	 .min = 1,
	 .max = 600000,
	 .help = "the longest reconnect delay; at least `ORCH_REDIS_BACKOFF_MIN_MS`"},
	{"ORCH_REDIS_WAIT_REPLICAS",
	 CONFIG_INT,
	 RT(wait_replicas, int),
	 .min = 0,
	 .max = 16,
	 .doc_def = "1 with Sentinel, else 0",
	 .help = "replicas that must acknowledge a PolicyStore or lease write (`WAIT`) before it counts"},
	{"ORCH_REDIS_WAIT_TIMEOUT_MS",
	 CONFIG_INT,
	 RT(wait_timeout_ms, int),
	 .def = "500",
	 .min = 1,
	 .max = 60000,
	 .help = "how long such a write waits for them (at most half the connection's stall timeout)"},
};
#undef RT

static void redis_init(void *base)
{
	struct redis_target *t = base;
	memset(t, 0, sizeof(*t));
	t->wait_replicas = -1; /* "1 with Sentinel, else 0", settled after loading */
}

const struct config_table config_redis_table = {"common: Redis",
						redis_settings,
						sizeof(redis_settings) / sizeof(redis_settings[0]),
						sizeof(struct redis_target),
						redis_init};

int config_load_redis(struct redis_target *t, const char *url, char *err, size_t errlen)
{
	struct config_table rest = config_redis_table;
	redis_init(t);
	int rc = 0;
	if (url) {
		/* the caller's URL instead of ORCH_REDIS_URL */
		rest.settings++;
		rest.n--;
		rc = parse_redis_url(url, t, err, errlen);
	}
	if (rc == 0)
		rc = config_table_load(&rest, t, err, errlen);
	if (rc != 0)
		return rc;
	if (t->n_sentinels > 0 && !t->master_name[0]) {
		snprintf(err, errlen, "ORCH_REDIS_MASTER_NAME: required when ORCH_REDIS_SENTINELS is set");
		return ORCH_EINVAL;
	}
	if (t->backoff_max_ms < t->backoff_min_ms) {
		snprintf(err,
			 errlen,
			 "ORCH_REDIS_BACKOFF_MAX_MS: must be at least ORCH_REDIS_BACKOFF_MIN_MS (%d)",
			 t->backoff_min_ms);
		return ORCH_EINVAL;
	}
	/* with Sentinel there are replicas to lose a write to: wait for one */
	if (t->wait_replicas < 0)
		t->wait_replicas = t->n_sentinels > 0 ? 1 : 0;
	return 0;
}

/* ---- the settings every service shares (struct orch_config) ---- */

static int parse_name(const char *name, const char *v, char *out, size_t outlen, char *err, size_t errlen)
{
	if (strlen(v) >= outlen || !name_chars_ok(v)) {
		snprintf(err,
			 errlen,
			 "%s: expected letters, digits, '_', '.' or '-' (at most %zu), got '%s'",
			 name,
			 outlen - 1,
			 v);
		return ORCH_EINVAL;
	}
	snprintf(out, outlen, "%s", v);
	return 0;
}

static int parse_prefix(const char *name, const char *v, void *base, char *err, size_t errlen)
{
	struct orch_config *c = base;
	return parse_name(name, v, c->prefix, sizeof(c->prefix), err, errlen);
}

static int parse_instance(const char *name, const char *v, void *base, char *err, size_t errlen)
{
	struct orch_config *c = base;
	return parse_name(name, v, c->instance_id, sizeof(c->instance_id), err, errlen);
}

static int parse_log_level(const char *name, const char *v, void *base, char *err, size_t errlen)
{
	if (log_parse_level(v, &((struct orch_config *)base)->log_level) != 0) {
		snprintf(err, errlen, "%s: expected debug, info, warn or error, got '%s'", name, v);
		return ORCH_EINVAL;
	}
	return 0;
}

static int parse_outbox(const char *name, const char *v, void *base, char *err, size_t errlen)
{
	struct orch_config *c = base;
	if (strlen(v) >= sizeof(c->outbox_dir) || (v[0] && access(v, W_OK) != 0)) {
		snprintf(err, errlen, "%s: '%s' is not a writable directory", name, v);
		return ORCH_EINVAL;
	}
	snprintf(c->outbox_dir, sizeof(c->outbox_dir), "%s", v);
	return 0;
}

int config_read_line(const char *name, const char *path, char *out, size_t outlen, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;
	if (!fp || getline(&line, &cap, fp) < 0) {
		snprintf(err, errlen, "%s: cannot read a line from '%.300s'", name, path);
		rc = ORCH_EINVAL;
		goto out;
	}
	line[strcspn(line, "\r\n")] = '\0';
	if (!line[0] || strlen(line) >= outlen) {
		snprintf(err,
			 errlen,
			 "%s: the first line of '%.300s' is empty or longer than %zu bytes",
			 name,
			 path,
			 outlen - 1);
		rc = ORCH_EINVAL;
		goto out;
	}
	snprintf(out, outlen, "%s", line);
out:
	free(line);
	if (fp)
		fclose(fp);
	return rc;
}

static int parse_command_key(const char *name, const char *v, void *base, char *err, size_t errlen)
{
	struct orch_config *c = base;
	if (v[0] && (strlen(v) < CONFIG_COMMAND_KEY_MIN || strlen(v) >= sizeof(c->command_key))) {
		snprintf(err,
			 errlen,
			 "%s: a key needs %d to %zu bytes, this one has %zu",
			 name,
			 CONFIG_COMMAND_KEY_MIN,
			 sizeof(c->command_key) - 1,
			 strlen(v));
		return ORCH_EINVAL;
	}
	snprintf(c->command_key, sizeof(c->command_key), "%s", v);
	return 0;
}

/* After ORCH_COMMAND_KEY (the table's order). */
static int parse_command_key_file(const char *name, const char *path, void *base, char *err, size_t errlen)
{
	struct orch_config *c = base;
	char key[sizeof(c->command_key)];
	if (!path[0])
		return 0;
	if (c->command_key[0]) {
		snprintf(err, errlen, "%s: ORCH_COMMAND_KEY is set too; set only one of them", name);
		return ORCH_EINVAL;
	}
	int rc = config_read_line(name, path, key, sizeof(key), err, errlen);
	if (rc == 0 && strlen(key) < CONFIG_COMMAND_KEY_MIN) {
		snprintf(err,
			 errlen,
			 "%s: the key in '%.300s' has %zu bytes; a key needs at least %d",
			 name,
			 path,
			 strlen(key),
			 CONFIG_COMMAND_KEY_MIN);
		rc = ORCH_EINVAL;
	}
	if (rc == 0)
		snprintf(c->command_key, sizeof(c->command_key), "%s", key);
	return rc;
}

#define OC(f, T)  CONFIG_FIELD(struct orch_config, f, T)
#define OC_STR(f) OC(f, char[sizeof(((struct orch_config *)0)->f)]), sizeof(((struct orch_config *)0)->f)
static const struct config_setting common_settings[] = {
	{"ORCH_PREFIX",
	 CONFIG_CUSTOM,
	 0,
	 .def = "quantum",
	 .parse = parse_prefix,
	 .help = "key prefix, as the original system uses"},
	{"ORCH_INSTANCE_ID",
	 CONFIG_CUSTOM,
	 0,
	 .parse = parse_instance,
	 .doc_def = "host name",
	 .help = "this instance's name: consumer names, lease holder, logs; unique per instance and stable across its "
		 "restarts"},
	{"ORCH_ADMIN_PORT",
	 CONFIG_INT,
	 OC(admin_port, int),
	 .min = 0,
	 .max = 65535,
	 .doc_def = "per service",
	 .help = "admin HTTP port (`/healthz`, `/readyz`, `/metrics`); 0 turns it off"},
	{"ORCH_ADMIN_BIND",
	 CONFIG_STR,
	 OC_STR(admin_bind),
	 .def = "127.0.0.1",
	 .help = "admin HTTP address (IPv4); `0.0.0.0` in containers"},
	{"ORCH_LOG_LEVEL",
	 CONFIG_CUSTOM,
	 0,
	 .def = "info",
	 .parse = parse_log_level,
	 .help = "`debug`, `info`, `warn` or `error`"},
	{"ORCH_CLOCK",
	 CONFIG_ENUM,
	 OC(clock_mode, int),
	 .def = "wall",
	 .choices = "wall|event",
	 .help = "decision clock: `wall`, or `event` for replays (time is the newest event time seen; operator "
		 "commands do not move it)"},
	{"ORCH_OUTBOX_DIR",
	 CONFIG_CUSTOM,
	 0,
	 .def = "",
	 .parse = parse_outbox,
	 .help = "directory where events that cannot be published yet are kept across restarts"},
	{"ORCH_POLICY_SNAPSHOT",
	 CONFIG_STR,
	 OC_STR(policy_snapshot),
	 .def = "",
	 .help = "file holding the last known policy document; lets a service start read-only while Redis is down"},
	{"ORCH_POLICY_KEY",
	 CONFIG_STR,
	 OC_STR(policy_key),
	 .def = "",
	 .doc_def = "`{ORCH_PREFIX}:policy:current`",
	 .help = "the PolicyStore document's key (the services, `orchctl status` and the replay feeder read it); give "
		 "the layer a key of its own when the original's live trading path keeps a HASH at "
		 "`quantum:policy:current` (docs/operations.md)"},
	{"ORCH_POLICY_CREATE",
	 CONFIG_BOOL,
	 OC(policy_create, int),
	 .def = "false",
	 .help = "create the default document when the key holds none; only for the owner of the key (the CEO of "
		 "a layer with a key of its own); otherwise a service waits for the document"},
	{"ORCH_POLICY_REFRESH_MS",
	 CONFIG_INT,
	 OC(policy_refresh_ms, int),
	 .def = "1000",
	 .min = 0,
	 .max = 600000,
	 .help = "re-read the document this often, so that writers that never publish `policy.updated` (the "
		 "original's PolicyStore) are seen; 0 = on changes and reconnects only (a key that is not usable, of "
		 "another type or absent, is still read again every second)"},
	{"ORCH_LEASE_TTL_MS",
	 CONFIG_INT,
	 OC(lease_ttl_ms, int),
	 .def = "10000",
	 .min = 300,
	 .max = 600000,
	 .help = "lease time-to-live of the services that run one active replica: a standby takes over within it"},
	{"ORCH_EVENT_MAX_FUTURE_S",
	 CONFIG_INT,
	 OC(event_max_future_ms, int),
	 .def = "300",
	 .min = 0,
	 .max = 86400,
	 .scale = 1000,
	 .help = "an event stamped more than this ahead of the host's real clock is dead-lettered "
		 "(its time would pin recency and the event clock); 0 = no check"},
	{"ORCH_BUS_WAIT_REPLICAS",
	 CONFIG_INT,
	 OC(bus_wait_replicas, int),
	 .def = "0",
	 .min = 0,
	 .max = 16,
	 .help = "replicas each published event waits for (`WAIT` after every `XADD`; 0 = none)"},
	/* in this order: config_load_command_key loads these two alone */
	{"ORCH_COMMAND_KEY",
	 CONFIG_CUSTOM,
	 0,
	 .def = "",
	 .parse = parse_command_key,
	 .help = "the key operators' commands are signed with (HMAC-SHA256, 16 bytes or more): the CEO accepts a "
		 "`ceo_command` only under it, and `orchctl`, the Federation and the replay feeder sign with it; "
		 "without one the CEO refuses every command (docs/operations.md)"},
	{"ORCH_COMMAND_KEY_FILE",
	 CONFIG_CUSTOM,
	 0,
	 .def = "",
	 .parse = parse_command_key_file,
	 .help = "file whose first line is that key (instead of `ORCH_COMMAND_KEY`; setting both is an error)"},
};
#undef OC
#undef OC_STR

const struct config_table config_common_table = {"common",
						 common_settings,
						 sizeof(common_settings) / sizeof(common_settings[0]),
						 sizeof(struct orch_config),
						 NULL};

/* Loads only the `count` rows of the common table from the one named
 * `first` on into c (a tool that needs one setting reads it as the
 * services do, without their other settings). */
static int load_rows(const char *first, size_t count, struct orch_config *c, char *err, size_t errlen)
{
	const size_t n = sizeof(common_settings) / sizeof(common_settings[0]);
	size_t i = 0;
	while (i < n && strcmp(common_settings[i].name, first) != 0)
		i++;
	struct config_table rows = {
		"common", &common_settings[i], i + count <= n ? count : 0, sizeof(struct orch_config), NULL};
	memset(c, 0, sizeof(*c));
	return config_table_load(&rows, c, err, errlen);
}

int config_load_policy_key(const char *prefix, char *key, size_t keylen, char *err, size_t errlen)
{
	struct orch_config cfg;
	int rc = load_rows("ORCH_POLICY_KEY", 1, &cfg, err, errlen);
	if (rc != 0)
		return rc;
	int len = cfg.policy_key[0] ? snprintf(key, keylen, "%s", cfg.policy_key)
				    : snprintf(key, keylen, "%s:policy:current", prefix);
	if (len < 0 || (size_t)len >= keylen) {
		snprintf(err, errlen, "ORCH_POLICY_KEY: the key '%s:policy:current' is too long", prefix);
		return ORCH_EINVAL;
	}
	return 0;
}

int config_load_command_key(char *key, size_t keylen, char *err, size_t errlen)
{
	struct orch_config c;
	/* ORCH_COMMAND_KEY and ORCH_COMMAND_KEY_FILE, in that order */
	int rc = load_rows("ORCH_COMMAND_KEY", 2, &c, err, errlen);
	if (rc == 0 && strlen(c.command_key) >= keylen) {
		snprintf(err, errlen, "ORCH_COMMAND_KEY: longer than %zu bytes", keylen - 1);
		rc = ORCH_EINVAL;
	}
	if (rc == 0)
		snprintf(key, keylen, "%s", c.command_key);
	return rc;
}

int config_load(struct orch_config *cfg, const char *service, int default_admin_port, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->service, sizeof(cfg->service), "%s", service);
	cfg->admin_port = default_admin_port;
	char host[128] = "";
	if (gethostname(host, sizeof(host) - 1) != 0 || !name_chars_ok(host))
		snprintf(host, sizeof(host), "%s-%d", service, (int)getpid());
	snprintf(cfg->instance_id, sizeof(cfg->instance_id), "%s", host);
	int rc = config_load_redis(&cfg->redis, NULL, err, errlen);
	return rc != 0 ? rc : config_table_load(&config_common_table, cfg, err, errlen);
}
