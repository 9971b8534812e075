/*
 * config.h - configuration from the environment (ORCH_*), validated at start.
 *
 * Every reader names the variable in its error text, so a service that
 * refuses to start says exactly which key is wrong and why. The env lookup
 * is injectable (config_set_getenv) so unit tests run without touching the
 * process environment.
 */
#ifndef ORCH_CONFIG_H
#define ORCH_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "clock.h"
#include "log.h"

#define CONFIG_MAX_SENTINELS 8

struct redis_endpoint {
	char host[256];
	int port;
};

/* Where and how to reach Redis; shared by redis_conn, bus, policy, lease. */
struct redis_target {
	struct redis_endpoint addr; /* used when no sentinels are set */
	char user[128];             /* ACL user, "" for none */
	char password[256];         /* "" for none */
	int db;                     /* SELECT index, 0..15 */
	struct redis_endpoint sentinels[CONFIG_MAX_SENTINELS];
	int n_sentinels;        /* 0 = no Sentinel discovery */
	char master_name[128];  /* Sentinel service name */
	int connect_timeout_ms; /* connect watchdog, default 2000 */
	int backoff_min_ms;     /* first reconnect delay, default 100 */
	int backoff_max_ms;     /* cap, default 5000 */
	int wait_replicas;      /* replicas a PolicyStore or lease write waits for (WAIT) */
	int wait_timeout_ms;    /* how long it waits, default 500 */
};

/* Settings every service shares. */
struct orch_config {
	char service[64];           /* set by the caller, e.g. "ceo" */
	struct redis_target redis;  /* ORCH_REDIS_URL, _SENTINELS, _MASTER_NAME */
	char prefix[64];            /* ORCH_PREFIX, default "quantum" */
	char instance_id[128];      /* ORCH_INSTANCE_ID, default hostname */
	int admin_port;             /* ORCH_ADMIN_PORT, default per service; 0 = off */
	char admin_bind[64];        /* ORCH_ADMIN_BIND, default "127.0.0.1" */
	enum log_level log_level;   /* ORCH_LOG_LEVEL, default info */
	enum clock_mode clock_mode; /* ORCH_CLOCK, "wall" (default) | "event" */
	char outbox_dir[512];       /* ORCH_OUTBOX_DIR, "" = memory only */
	char policy_snapshot[512];  /* ORCH_POLICY_SNAPSHOT, "" = none */
	char policy_key[160];       /* ORCH_POLICY_KEY, "" = {prefix}:policy:current */
	int policy_create;          /* ORCH_POLICY_CREATE, default false */
	int policy_refresh_ms;      /* ORCH_POLICY_REFRESH_MS, default 1000 */
	int lease_ttl_ms;           /* ORCH_LEASE_TTL_MS, default 10000 */
	int bus_wait_replicas;      /* ORCH_BUS_WAIT_REPLICAS, default 0 */
	int event_max_future_ms;    /* ORCH_EVENT_MAX_FUTURE_S, default 300 s */
	char command_key[256];      /* ORCH_COMMAND_KEY or the first line of ORCH_COMMAND_KEY_FILE;
				       "" = none (the CEO then refuses every command) */
};

#define CONFIG_COMMAND_KEY_MIN 16 /* bytes */

typedef const char *(*config_getenv_fn)(const char *name);
/* Replaces the environment lookup (NULL restores getenv). */
void config_set_getenv(config_getenv_fn fn);

/*
 * The Redis part of the configuration alone (for tools): ORCH_REDIS_URL
 * (or `url` when not NULL), _SENTINELS, _MASTER_NAME, _CONNECT_TIMEOUT_MS,
 * _BACKOFF_*, _WAIT_REPLICAS (default 1 with Sentinel, else 0) and
 * _WAIT_TIMEOUT_MS (500). Errors as config_load.
 */
int config_load_redis(struct redis_target *t, const char *url, char *err, size_t errlen);

/*
 * The PolicyStore document's key as the services read it, for the tools
 * that read the document outside a service (orchctl, the replay feeder):
 * ORCH_POLICY_KEY, loaded by the row of config_common_table, else
 * {prefix}:policy:current. Writes it into key (keylen bytes). Returns 0,
 * or ORCH_EINVAL with "ORCH_POLICY_KEY: ..." in err.
 */
int config_load_policy_key(const char *prefix, char *key, size_t keylen, char *err, size_t errlen);

/*
 * The operators' command key alone (for tools that sign commands):
 * ORCH_COMMAND_KEY, or the first line of ORCH_COMMAND_KEY_FILE, into key
 * ("" when neither is set). ORCH_EINVAL with "NAME: reason" in err when
 * both are set, the file cannot be read, or the key is shorter than
 * CONFIG_COMMAND_KEY_MIN bytes or does not fit in keylen.
 */
int config_load_command_key(char *key, size_t keylen, char *err, size_t errlen);

/*
 * The first line of the file at path, without its line end, into out (for
 * secrets given as files: Kubernetes Secrets, Docker secrets). 0, or
 * ORCH_EINVAL with "name: reason" in err when it cannot be read, is empty
 * or does not fit in outlen.
 */
int config_read_line(const char *name, const char *path, char *out, size_t outlen, char *err, size_t errlen);

/*
 * Loads struct orch_config for `service` with `default_admin_port`.
 * On error returns ORCH_EINVAL and writes "ORCH_X: reason" into err.
 */
int config_load(struct orch_config *cfg, const char *service, int default_admin_port, char *err, size_t errlen);

/* ---- settings tables ----
 *
 * Each service describes its settings in one table: name, type, where the
 * value goes, default, range and help. One loader reads every table (and
 * names the key in each error); the same table prints --help-config and
 * the reference in docs/configuration.md, so they cannot drift apart.
 */
enum config_type {
	CONFIG_INT,    /* int */
	CONFIG_LONG,   /* long */
	CONFIG_I64,    /* int64_t */
	CONFIG_SIZE,   /* size_t */
	CONFIG_DOUBLE, /* double */
	CONFIG_BOOL,   /* int, 0 or 1: true/false/1/0/yes/no/on/off */
	CONFIG_STR,    /* char[size] */
	CONFIG_ENUM,   /* int: the index of the value in choices ("input|command") */
	CONFIG_CUSTOM, /* parse() */
};

struct config_setting {
	const char *name; /* ORCH_CEO_INTERVAL_S */
	enum config_type type;
	size_t offset;       /* of the field in the settings struct (CONFIG_FIELD) */
	size_t size;         /* CONFIG_STR: the buffer's size */
	const char *def;     /* applied when unset; NULL keeps the value the struct holds (a module's defaults) */
	double min, max;     /* numbers: the accepted range, inclusive, in the unit given */
	double scale;        /* numbers: stored = given x scale (seconds into ms); 0 means 1 */
	const char *choices; /* CONFIG_ENUM: "a|b|c" */
	/* CONFIG_CUSTOM: parses value (never NULL: the default when unset) into
	 * base, the whole settings struct; 0 or ORCH_EINVAL naming name in err */
	int (*parse)(const char *name, const char *value, void *base, char *err, size_t errlen);
	const char *doc_def; /* the default as documented, when it is not one value ("host name") */
	const char *help;    /* one line */
	int rule;            /* 1: a rule parameter (numeric): it decides a mode, a limit or a disable,
				rather than how the service runs; `orchctl backtest --sensitivity` varies it */
};

/* The offset of field f (of type T) in struct S; does not compile when the
 * field is not a T, so a table cannot write an int into a double. */
#define CONFIG_FIELD(S, f, T) (offsetof(S, f) + 0 * sizeof(char[sizeof(((S *)0)->f) == sizeof(T) ? 1 : -1]))

struct config_table {
	const char *title; /* "ceo", "common" */
	const struct config_setting *settings;
	size_t n;
	size_t size;              /* of the settings struct */
	void (*init)(void *base); /* the module's defaults, before the table; may be NULL */
};

/*
 * Loads every setting of t into base (t->init is NOT called: the caller
 * has set base's defaults). Stops at the first error: ORCH_EINVAL with
 * "NAME: expected ..., got '...'" in err.
 */
int config_table_load(const struct config_table *t, void *base, char *err, size_t errlen);
/*
 * Prints t: one line per setting (name, default, range, help), or with
 * markdown a section with a table. Defaults come from a struct set up by
 * t->init then the defaults of the table. Returns 0 or ORCH_ENOMEM.
 */
int config_table_print(FILE *f, const struct config_table *t, int markdown);

/* The settings every service shares: Redis (struct redis_target) and the
 * runtime (struct orch_config). */
extern const struct config_table config_redis_table, config_common_table;

#define CONFIG_LIST_ITEM 96
/* A comma-separated list of 1..max non-empty items (each shorter than
 * CONFIG_LIST_ITEM) into out (for a table's CONFIG_CUSTOM parser); *n gets
 * the count. When known is given, every item must satisfy it. Errors name
 * the key and the offending item; choices is what they list as known. */
int config_parse_list(const char *name, const char *list, char out[][CONFIG_LIST_ITEM], int max, int *n,
		      int (*known)(const char *item), const char *choices, char *err, size_t errlen);

#endif
