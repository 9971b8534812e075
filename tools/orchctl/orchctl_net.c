/*
 * orchctl_net.c - reaching the layer from orchctl's online commands (see
 * orchctl_net.h): options, a blocking hiredis connection, an HTTP/1.0
 * client for the Federation's REST API, and JSON or table output.
 */
#include "orchctl_net.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "config.h"
#include "orch.h"
#include "orchctl_io.h"
#include "redis_sync.h"

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

void orchctl_target_usage(FILE *f)
{
	fprintf(f,
		"  --redis URL       Redis to talk to (default ORCH_REDIS_URL, else\n"
		"                    redis://127.0.0.1:6379/0; with ORCH_REDIS_SENTINELS and\n"
		"                    ORCH_REDIS_MASTER_NAME, the master they name)\n"
		"  --prefix P        key prefix (default ORCH_PREFIX, else quantum)\n"
		"  --api URL         talk to the Federation's REST API instead (http://host:port)\n"
		"  --token T         API token for writes (default ORCH_API_TOKEN)\n"
		"  --json            JSON output (default: a table)\n"
		"  --timeout-ms N    how long to wait for an answer (default 5000)\n");
}

int orchctl_target_parse(struct orchctl_target *t, const char *cmd, int *argc, char **argv)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "orchctl %s: ", cmd);
	memset(t, 0, sizeof(*t));
	t->cmd = cmd;
	t->redis_url = NULL; /* ORCH_REDIS_URL and the rest of ORCH_REDIS_* */
	snprintf(t->prefix, sizeof(t->prefix), "%s", env_or("ORCH_PREFIX", "quantum"));
	t->token = env_or("ORCH_API_TOKEN", NULL);
	t->timeout_ms = 5000;
	int out = 1;
	for (int i = 1; i < *argc; i++) {
		const char *v = NULL;
		int rc;
		if (!strcmp(argv[i], "--json")) {
			t->json = 1;
			continue;
		}
		if ((rc = orchctl_take_value(*argc, argv, &i, "--redis", prefix, cmd, &v)) != 0)
			return rc;
		if (v) {
			t->redis_url = v;
			continue;
		}
		if ((rc = orchctl_take_value(*argc, argv, &i, "--prefix", prefix, cmd, &v)) != 0)
			return rc;
		if (v) {
			snprintf(t->prefix, sizeof(t->prefix), "%s", v);
			continue;
		}
		if ((rc = orchctl_take_value(*argc, argv, &i, "--api", prefix, cmd, &v)) != 0)
			return rc;
		if (v) {
			if (strncmp(v, "http://", 7) != 0) {
				fprintf(stderr, "%s--api: expected http://host:port, got '%s'\n", prefix, v);
				return ORCH_EINVAL;
			}
			t->api = v;
			continue;
		}
		if ((rc = orchctl_take_value(*argc, argv, &i, "--token", prefix, cmd, &v)) != 0)
			return rc;
		if (v) {
			t->token = v;
			continue;
		}
		if ((rc = orchctl_take_value(*argc, argv, &i, "--timeout-ms", prefix, cmd, &v)) != 0)
			return rc;
		if (v) {
			double d;
			if (orchctl_parse_double(v, &d) != 0 || d < 1 || d > 3600000 || d != (int)d) {
				fprintf(stderr,
					"%s--timeout-ms: expected a whole number of ms in [1, 3600000], got '%s'\n",
					prefix,
					v);
				return ORCH_EINVAL;
			}
			t->timeout_ms = (int)d;
			continue;
		}
		argv[out++] = argv[i];
	}
	*argc = out;
	return 0;
}

redisContext *orchctl_redis(const struct orchctl_target *t)
{
	struct redis_target rt;
	char err[256];
	if (config_load_redis(&rt, t->redis_url, err, sizeof(err)) != 0) {
		fprintf(stderr, "orchctl %s: %s\n", t->cmd, err);
		return NULL;
	}
	rt.connect_timeout_ms = t->timeout_ms;
	redisContext *c = redis_sync_connect(&rt, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "orchctl %s: cannot connect to Redis: %s\n", t->cmd, err);
		return NULL;
	}
	/* blocking reads (tail) wait in XREAD, not in the socket */
	struct timeval rd = {t->timeout_ms / 1000 + 5, 0};
	redisSetTimeout(c, rd);
	return c;
}

/* ---- HTTP ---- */

/* Connects to the host:port of t->api; returns a socket or ORCH_EIO (printed). */
static int api_connect(const struct orchctl_target *t, char *host, size_t hostlen)
{
	char port[8] = "80";
	const char *h = t->api + 7, *end = h + strcspn(h, "/");
	const char *colon = memchr(h, ':', (size_t)(end - h));
	size_t hl = (size_t)((colon ? colon : end) - h);
	if (hl == 0 || hl >= hostlen) {
		fprintf(stderr, "orchctl %s: --api: no host in '%s'\n", t->cmd, t->api);
		return ORCH_EIO;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (colon)
		snprintf(port, sizeof(port), "%.*s", (int)(end - colon - 1), colon + 1);
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "orchctl %s: %s: %s\n", t->cmd, t->api, gai_strerror(rc));
		return ORCH_EIO;
	}
	int fd = -1;
	for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
		if (fd < 0)
			continue;
		struct timeval tv = {t->timeout_ms / 1000, (t->timeout_ms % 1000) * 1000};
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		fprintf(stderr, "orchctl %s: cannot connect to %s: %s\n", t->cmd, t->api, strerror(errno));
	return fd;
}

static int send_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);
		if (w <= 0)
			return ORCH_EIO;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

static int send_request(const struct orchctl_target *t, int fd, const char *host, const char *method, const char *path,
			const char *body)
{
	const char *base = t->api + 7 + strcspn(t->api + 7, "/");
	size_t blen = strlen(base);
	while (blen && base[blen - 1] == '/')
		blen--;
	char head[1024];
	int n = snprintf(head,
			 sizeof(head),
			 "%s %.*s%s HTTP/1.0\r\nHost: %s\r\nAccept: application/json\r\n",
			 method,
			 (int)blen,
			 base,
			 path,
			 host);
	if (body && t->token)
		n += snprintf(head + n, sizeof(head) - (size_t)n, "Authorization: Bearer %s\r\n", t->token);
	if (body)
		n += snprintf(head + n,
			      sizeof(head) - (size_t)n,
			      "Content-Type: application/json\r\nContent-Length: %zu\r\n",
			      strlen(body));
	n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
	if (n >= (int)sizeof(head) || send_all(fd, head, (size_t)n) != 0 || (body && send_all(fd, body, strlen(body))))
		return ORCH_EIO;
	return 0;
}

int orchctl_http(const struct orchctl_target *t, const char *method, const char *path, const char *body, json_t **out)
{
	char host[256];
	*out = NULL;
	int fd = api_connect(t, host, sizeof(host));
	if (fd < 0)
		return -ORCHCTL_EXIT_FAILED;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int status = -ORCHCTL_EXIT_FAILED;
	if (send_request(t, fd, host, method, path, body) != 0) {
		fprintf(stderr, "orchctl %s: sending to %s failed: %s\n", t->cmd, t->api, strerror(errno));
		goto out;
	}
	for (;;) {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap ? 2 * cap : 8192);
			if (!nb)
				goto out;
			buf = nb;
			cap = cap ? 2 * cap : 8192;
		}
		ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
		if (r < 0) {
			fprintf(stderr, "orchctl %s: no answer from %s within %d ms\n", t->cmd, t->api, t->timeout_ms);
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	int code;
	char *sep = strstr(buf, "\r\n\r\n");
	if (sscanf(buf, "HTTP/%*d.%*d %d", &code) != 1 || !sep) {
		fprintf(stderr, "orchctl %s: %s did not answer HTTP\n", t->cmd, t->api);
		goto out;
	}
	*out = json_loads(sep + 4, 0, NULL);
	status = code;
out:
	free(buf);
	close(fd);
	return status;
}

int orchctl_http_stream(const struct orchctl_target *t, const char *path)
{
	char host[256];
	int fd = api_connect(t, host, sizeof(host));
	if (fd < 0)
		return ORCH_EIO;
	struct timeval none = {0, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
	if (send_request(t, fd, host, "GET", path, NULL) != 0) {
		fprintf(stderr, "orchctl %s: sending to %s failed: %s\n", t->cmd, t->api, strerror(errno));
		close(fd);
		return ORCH_EIO;
	}
	/* the head, a byte at a time, so that the body stays in the socket */
	char head[4096];
	size_t n = 0;
	while (n < sizeof(head) - 1 && !(n >= 4 && !memcmp(head + n - 4, "\r\n\r\n", 4))) {
		if (recv(fd, head + n, 1, 0) != 1)
			break;
		n++;
	}
	head[n] = '\0';
	int code = 0;
	if (sscanf(head, "HTTP/%*d.%*d %d", &code) != 1 || code != 200) {
		fprintf(stderr, "orchctl %s: %s%s answered %d\n", t->cmd, t->api, path, code);
		close(fd);
		return ORCH_EIO;
	}
	return fd;
}

/* ---- entries and output ---- */

json_t *orchctl_dlq_types(redisContext *c, const struct orchctl_target *t)
{
	json_t *types = json_array();
	char cursor[32] = "0";
	do {
		redisReply *r = redisCommand(c, "SCAN %s MATCH %s:dlq:* COUNT 1000", cursor, t->prefix);
		if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
			freeReplyObject(r);
			json_decref(types);
			return NULL;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		for (size_t i = 0; i < r->element[1]->elements; i++)
			json_array_append_new(types,
					      json_string(r->element[1]->element[i]->str + strlen(t->prefix) + 5));
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	return types;
}

json_t *orchctl_entry(const redisReply *entry)
{
	const redisReply *f = entry->element[1];
	json_t *out = NULL, *direct = json_object();
	for (size_t k = 0; k + 1 < f->elements; k += 2) {
		const char *name = f->element[k]->str, *val = f->element[k + 1]->str;
		if (!strcmp(name, "payload"))
			out = json_loads(val, 0, NULL);
		else
			json_object_set_new(direct, name, json_string(val));
	}
	if (!json_is_object(out)) {
		json_decref(out);
		out = json_incref(direct);
	}
	json_object_set_new(out, "_id", json_string(entry->element[0]->str));
	json_t *type = json_object_get(direct, "event_type");
	json_object_set(out, "_type", type ? type : json_null());
	json_decref(direct);
	return out;
}

/* v as one short cell: strings bare, numbers and the rest as JSON. */
static void print_cell(FILE *f, const json_t *v, int width)
{
	char *s = json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(6));
	const char *text = json_is_string(v) ? json_string_value(v) : s ? s : "";
	if (width)
		fprintf(f, "%-*s", width, text);
	else
		fputs(text, f);
	free(s);
}

static void print_flat(const json_t *o, const char *path)
{
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)o, k, v)
	{
		char key[256];
		snprintf(key, sizeof(key), "%s%s%s", path, *path ? "." : "", k);
		if (json_is_object(v) && json_object_size(v)) {
			print_flat(v, key);
			continue;
		}
		printf("%-44s ", key);
		print_cell(stdout, v, 0);
		putchar('\n');
	}
}

void orchctl_print(const struct orchctl_target *t, const json_t *v, const char *const *columns)
{
	if (t->json) {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (s)
			puts(s);
		free(s);
		return;
	}
	if (json_is_object(v)) {
		print_flat(v, "");
		return;
	}
	if (!json_is_array(v) || !json_array_size(v)) {
		print_cell(stdout, v, 0);
		putchar('\n');
		return;
	}
	const char *cols[32];
	size_t nc = 0;
	if (columns) {
		while (columns[nc] && nc < 32) {
			cols[nc] = columns[nc];
			nc++;
		}
	} else {
		const char *k;
		const json_t *x;
		json_object_foreach(json_array_get(v, 0), k, x)
		{
			if (nc < 32)
				cols[nc++] = k;
		}
	}
	int width[32];
	for (size_t c = 0; c < nc; c++) {
		width[c] = (int)strlen(cols[c]);
		size_t i;
		const json_t *row;
		json_array_foreach(v, i, row)
		{
			const json_t *x = json_object_get(row, cols[c]);
			char *s = json_is_string(x)
					  ? NULL
					  : json_dumps(x, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(6));
			int w = (int)strlen(json_is_string(x) ? json_string_value(x) : s ? s : "");
			free(s);
			if (w > width[c])
				width[c] = w > 60 ? 60 : w;
		}
	}
	for (size_t c = 0; c < nc; c++)
		printf("%-*s%s", c + 1 < nc ? width[c] : 0, cols[c], c + 1 < nc ? "  " : "\n");
	size_t i;
	const json_t *row;
	json_array_foreach(v, i, row)
	{
		for (size_t c = 0; c < nc; c++) {
			const json_t *x = json_object_get(row, cols[c]);
			print_cell(stdout, x ? x : json_null(), c + 1 < nc ? width[c] : 0);
			fputs(c + 1 < nc ? "  " : "\n", stdout);
		}
	}
}

int orchctl_usage_error(const char *cmd, const char *what)
{
	fprintf(stderr, "orchctl %s: %s (see orchctl %s --help)\n", cmd, what, cmd);
	return ORCH_EINVAL;
}

int orchctl_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	return 0;
}

void orchctl_exit_codes(FILE *f)
{
	fprintf(f,
		"\nExit status: 0 success, 1 the layer could not be reached, refused or did\n"
		"not answer in time, 2 usage error.\n");
}
