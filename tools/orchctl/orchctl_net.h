/*
 * orchctl_net.h - what orchctl's online commands share: where to reach the
 * layer (Redis, or the Federation's REST API with --api), a blocking Redis
 * connection, a small HTTP/1.0 client, the layer's event entries, and
 * printing JSON as JSON or as a table.
 *
 * Online commands return 0, ORCHCTL_EXIT_FAILED (the layer could not be
 * reached or refused) or a negative ORCH_E* code for usage errors (exit 2).
 */
#ifndef ORCHCTL_NET_H
#define ORCHCTL_NET_H

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stddef.h>

#define ORCHCTL_EXIT_FAILED 1

struct orchctl_target {
	const char *cmd;       /* "status", for messages */
	const char *redis_url; /* --redis, else NULL: ORCH_REDIS_URL (ORCH_REDIS_SENTINELS...) */
	char prefix[64];       /* --prefix, else ORCH_PREFIX, else quantum */
	const char *api;       /* --api URL ("http://host:port"), NULL = Redis */
	const char *token;     /* --token, else ORCH_API_TOKEN */
	int json;              /* --json: JSON output, else a table */
	int timeout_ms;        /* --timeout-ms, default 5000 */
};

/*
 * Takes the common options (--redis, --prefix, --api, --token, --json,
 * --timeout-ms) out of argv, leaving the others in place (argv[0] kept);
 * *argc is updated. Returns 0 or ORCH_EINVAL (printed).
 */
int orchctl_target_parse(struct orchctl_target *t, const char *cmd, int *argc, char **argv);
/* Usage lines of the common options. */
void orchctl_target_usage(FILE *f);

/* A connection to t's Redis (AUTH, SELECT done), or NULL (printed). Free
 * with redisFree(). */
redisContext *orchctl_redis(const struct orchctl_target *t);

/*
 * One HTTP/1.0 request to t->api + path (with the Bearer token when body
 * is not NULL: a POST). Returns the status (> 0) with *out the parsed JSON
 * body (caller json_decref()s; NULL when the body is not JSON), or
 * ORCHCTL_EXIT_FAILED negated when the API could not be reached (printed).
 */
int orchctl_http(const struct orchctl_target *t, const char *method, const char *path, const char *body, json_t **out);
/*
 * Opens a GET of path for streaming: sends the request and skips the
 * response head. Returns a socket to read the body from (close() it), or
 * ORCH_EIO (printed) on failure or a status other than 200.
 */
int orchctl_http_stream(const struct orchctl_target *t, const char *path);

/* The payload of a stream entry (its "payload" field as JSON, or the
 * entry's own fields for direct entries) with "_id" and "_type" added.
 * Caller json_decref()s. */
json_t *orchctl_entry(const redisReply *entry);

/* The event types that have dead letters ({prefix}:dlq:{type}, by SCAN),
 * as a JSON array of strings; NULL when Redis did not answer (caller
 * json_decref()s). */
json_t *orchctl_dlq_types(redisContext *c, const struct orchctl_target *t);

/* Prints v: JSON (one line) with t->json, else an object as "key  value"
 * lines (nested objects flattened with dots), an array of objects as a
 * table with the given columns (NULL-terminated; NULL = every key of the
 * first row). */
void orchctl_print(const struct orchctl_target *t, const json_t *v, const char *const *columns);

/* Prints "orchctl CMD: WHAT (see orchctl CMD --help)"; returns ORCH_EINVAL. */
int orchctl_usage_error(const char *cmd, const char *what);
/* 1 when argv holds --help or -h. */
int orchctl_wants_help(int argc, char **argv);
/* The exit statuses of the commands against a running layer. */
void orchctl_exit_codes(FILE *f);

#endif
