/*
 * chaos.c - the layer under attack and the attacker's view of it (see
 * chaos.h). Test support: it starts and stops only what it started, by
 * pid, on loopback.
 */
#include "chaos.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "json_util.h"
#include "stack.h"

const char *const chaos_svc_names[CHAOS_N_SVC] = {"ceo", "risk_officer", "strategy_officer", "federation"};

static int failed;

/* ---- the stack ---- */

/* Starts one service with its stderr in logdir/<name>.log. */
static pid_t spawn_logged(struct chaos_stack *s, int i, const char *const *env)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s.log", s->logdir, chaos_svc_names[i]);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), saved = dup(2);
	if (fd < 0 || saved < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fflush(stderr);
	dup2(fd, 2);
	close(fd);
	pid_t pid = harness_spawn_program(chaos_svc_names[i], &s->redis, env);
	dup2(saved, 2);
	close(saved);
	return pid;
}

static int start_service(struct chaos_stack *s, int i, const char *const *extra, const char *const *fed_extra)
{
	char id[64], admin[48], api[48], token[96];
	snprintf(id, sizeof(id), "ORCH_INSTANCE_ID=%s-1", chaos_svc_names[i]);
	s->admin[i] = harness_free_port();
	snprintf(admin, sizeof(admin), "ORCH_ADMIN_PORT=%d", s->admin[i]);
	const char *env[48] = {"ORCH_PREFIX=t",
			       id,
			       admin,
			       "ORCH_LOG_LEVEL=info",
			       "ORCH_LEASE_TTL_MS=1000",
			       "ORCH_CEO_DEBOUNCE_MS=10",
			       "ORCH_RISK_PUBLISH_MIN_MS=0",
			       "ORCH_STRATEGY_PUBLISH_MIN_MS=0",
			       "ORCH_CEO_RULES=original",
			       "ORCH_CEO_BLACK_SWAN_EXIT=manual",
			       i == CHAOS_CEO ? "ORCH_POLICY_CREATE=true" : "ORCH_POLICY_CREATE=false"};
	size_t n = 11;
	if (i == CHAOS_FEDERATION) {
		s->api = harness_free_port();
		snprintf(api, sizeof(api), "ORCH_API_PORT=%d", s->api);
		snprintf(token, sizeof(token), "ORCH_API_TOKEN=%s", CHAOS_API_TOKEN);
		env[n++] = api;
		env[n++] = token;
		for (size_t k = 0; fed_extra && fed_extra[k] && n < 47; k++)
			env[n++] = fed_extra[k];
	}
	for (size_t k = 0; extra && extra[k] && n < 47; k++)
		env[n++] = extra[k];
	s->pid[i] = spawn_logged(s, i, env);
	if (s->pid[i] <= 0) {
		s->pid[i] = 0;
		fprintf(stderr, "chaos: cannot start %s\n", chaos_svc_names[i]);
		return -1;
	}
	if (!stack_wait_ready(s->admin[i], 15000)) {
		fprintf(stderr, "chaos: %s is not ready after 15 s\n", chaos_svc_names[i]);
		return -1;
	}
	return 0;
}

int chaos_stack_start(struct chaos_stack *s, const char *const *extra, const char *const *fed_extra)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->logdir, sizeof(s->logdir), "/tmp/orch-chaos-XXXXXX");
	if (!mkdtemp(s->logdir)) {
		s->logdir[0] = '\0';
		return -1;
	}
	if (harness_redis_start(&s->redis, 0) != 0) {
		fprintf(stderr, "chaos: cannot start redis-server\n");
		return -1;
	}
	s->c = harness_redis_sync(&s->redis);
	/* the CEO first: it alone creates the policy document the others wait for */
	for (int i = 0; i < CHAOS_N_SVC; i++)
		if (start_service(s, i, extra, fed_extra) != 0)
			return -1;
	return 0;
}

int chaos_stack_stop(struct chaos_stack *s, int keep_logs)
{
	int unclean = s->lost;
	for (int i = 0; i < CHAOS_N_SVC; i++)
		if (s->pid[i] > 0)
			kill(s->pid[i], SIGTERM);
	for (int i = 0; i < CHAOS_N_SVC; i++) {
		if (s->pid[i] <= 0)
			continue;
		int st = -1;
		pid_t got = 0;
		for (int k = 0; k < 400 && (got = waitpid(s->pid[i], &st, WNOHANG)) == 0; k++)
			usleep(25000);
		if (got == 0) {
			kill(s->pid[i], SIGKILL);
			waitpid(s->pid[i], &st, 0);
		}
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "chaos: %s ended with status %d after SIGTERM\n", chaos_svc_names[i], st);
			unclean++;
		}
		s->pid[i] = 0;
	}
	if (s->c)
		redisFree(s->c);
	s->c = NULL;
	harness_redis_stop(&s->redis);
	if (s->logdir[0] && !keep_logs) {
		for (int i = 0; i < CHAOS_N_SVC; i++) {
			char path[128];
			snprintf(path, sizeof(path), "%s/%s.log", s->logdir, chaos_svc_names[i]);
			unlink(path);
		}
		rmdir(s->logdir);
	} else if (s->logdir[0]) {
		fprintf(stderr, "chaos: the services' logs are kept in %s\n", s->logdir);
	}
	return unclean;
}

int chaos_stack_alive(struct chaos_stack *s, char *dead, size_t len)
{
	int alive = 0;
	if (len)
		dead[0] = '\0';
	for (int i = 0; i < CHAOS_N_SVC; i++) {
		int st;
		if (s->pid[i] > 0 && waitpid(s->pid[i], &st, WNOHANG) == s->pid[i]) {
			size_t used = strlen(dead);
			snprintf(dead + used,
				 len - used,
				 "%s%s (status %d)",
				 used ? ", " : "",
				 chaos_svc_names[i],
				 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
			s->pid[i] = 0;
			s->lost++;
		}
		alive += s->pid[i] > 0;
	}
	return alive;
}

int chaos_stack_ready(const struct chaos_stack *s, int timeout_ms, long *took_ms)
{
	int64_t t0 = clock_mono_ms();
	for (;;) {
		int ready = 0;
		for (int i = 0; i < CHAOS_N_SVC; i++) {
			char *r = harness_http(s->admin[i], "GET", "/readyz");
			ready += harness_http_status(r) == 200;
			free(r);
		}
		*took_ms = (long)(clock_mono_ms() - t0);
		if (ready == CHAOS_N_SVC)
			return 1;
		if (*took_ms >= timeout_ms)
			return 0;
		usleep(100000);
	}
}

void chaos_stack_reconnect(struct chaos_stack *s)
{
	if (s->c)
		redisFree(s->c);
	s->c = harness_redis_sync(&s->redis);
}

int chaos_begin(struct chaos_stack *s, const char *family, const char *const *extra, const char *const *fed_extra)
{
	if (chaos_stack_start(s, extra, fed_extra) == 0)
		return 0;
	chaos_check(family, 0, NULL, "the layer did not start");
	chaos_stack_dump_logs(s);
	chaos_stack_stop(s, 1);
	return -1;
}

int chaos_end(struct chaos_stack *s, const char *family)
{
	char dead[256];
	int alive = chaos_stack_alive(s, dead, sizeof(dead));
	chaos_check(family,
		    alive == CHAOS_N_SVC,
		    NULL,
		    "after the attacks %d of 4 services running%s%s",
		    alive,
		    dead[0] ? "; died: " : "",
		    dead);
	if (failed)
		chaos_stack_dump_logs(s);
	int unclean = chaos_stack_stop(s, failed);
	chaos_check(family, unclean == 0, NULL, "%d services did not exit 0 on SIGTERM", unclean);
	return failed;
}

void chaos_stack_dump_logs(const struct chaos_stack *s)
{
	for (int i = 0; i < CHAOS_N_SVC; i++) {
		char path[128], buf[3000];
		snprintf(path, sizeof(path), "%s/%s.log", s->logdir, chaos_svc_names[i]);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		if (fseek(f, -(long)(sizeof(buf) - 1), SEEK_END) != 0)
			rewind(f);
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		const char *from = strchr(buf, '\n');
		fprintf(stderr, "--- the end of %s\n%s\n", path, from && n == sizeof(buf) - 1 ? from + 1 : buf);
	}
}

/* ---- the report ---- */

void chaos_check(const char *attack, int ok, const char *waits_for, const char *fmt, ...)
{
	char outcome[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(outcome, sizeof(outcome), fmt, ap);
	va_end(ap);
	for (char *p = outcome; *p; p++)
		if (*p == '\t' || *p == '\n' || *p == '\r')
			*p = ' ';
	const char *status = waits_for ? (ok ? "XPASS" : "XFAIL") : (ok ? "PASS" : "FAIL");
	if (!ok && !waits_for)
		failed = 1;
	if (waits_for)
		printf("CHAOS\t%s\t%s\t%s [%s: %s]\n",
		       status,
		       attack,
		       outcome,
		       ok ? "holds now: flip this check, it waited for" : "waits for",
		       waits_for);
	else
		printf("CHAOS\t%s\t%s\t%s\n", status, attack, outcome);
	fflush(stdout);
}

int chaos_failed(void)
{
	return failed;
}

void chaos_printable(const char *s, char *out, size_t len)
{
	size_t n = 0;
	for (; s && *s && n + 1 < len; s++)
		out[n++] = (unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e ? '?' : *s;
	if (len)
		out[n] = '\0';
}

/* ---- the bus ---- */

int chaos_xadd(redisContext *c, const char *type, const char *const *fields, char *id, size_t idlen)
{
	char stream[128];
	snprintf(stream, sizeof(stream), "t:stream:%s", type);
	const char *argv[40] = {"XADD", stream, "*", "event_type", type};
	int argc = 5;
	for (size_t k = 0; fields && fields[k] && argc < 40; k++)
		argv[argc++] = fields[k];
	redisReply *r = redisCommandArgv(c, argc, argv, NULL);
	int ok = r && r->type == REDIS_REPLY_STRING;
	if (id && idlen)
		snprintf(id, idlen, "%s", ok ? r->str : "");
	freeReplyObject(r);
	return ok ? 0 : -1;
}

int chaos_publish(redisContext *c, const char *type, const char *payload, char *id, size_t idlen)
{
	char ts[40];
	json_util_format_ts_us(clock_wall_ms() * 1000, ts, sizeof(ts));
	const char *f[] = {"payload", payload, "trace_id", "", "timestamp", ts, "source", "chaos", NULL};
	return chaos_xadd(c, type, f, id, idlen);
}

void chaos_last_id(redisContext *c, const char *type, char *id, size_t idlen)
{
	redisReply *r = redisCommand(c, "XREVRANGE t:stream:%s + - COUNT 1", type);
	int have = r && r->type == REDIS_REPLY_ARRAY && r->elements == 1;
	snprintf(id, idlen, "%s", have ? r->element[0]->element[0]->str : "0-0");
	freeReplyObject(r);
}

/* <0, 0, >0 as stream id a is before, at, after b. */
static int id_cmp(const char *a, const char *b)
{
	unsigned long long ams = strtoull(a, NULL, 10), bms = strtoull(b, NULL, 10);
	const char *ad = strchr(a, '-'), *bd = strchr(b, '-');
	unsigned long long aseq = ad ? strtoull(ad + 1, NULL, 10) : 0, bseq = bd ? strtoull(bd + 1, NULL, 10) : 0;
	if (ams != bms)
		return ams < bms ? -1 : 1;
	return aseq < bseq ? -1 : aseq > bseq;
}

/* The value of field name in an entry's field list, or NULL. */
static const char *field_of(const redisReply *f, const char *name)
{
	for (size_t k = 0; f && k + 1 < f->elements; k += 2)
		if (f->element[k]->type == REDIS_REPLY_STRING && !strcmp(f->element[k]->str, name))
			return f->element[k + 1]->str;
	return NULL;
}

int chaos_dead_letters(redisContext *c, const char *type, const char *source_id, int want, int timeout_ms, char *groups,
		       size_t glen, char *reason, size_t rlen)
{
	int64_t end = clock_mono_ms() + timeout_ms;
	int n;
	do {
		n = 0;
		groups[0] = reason[0] = '\0';
		redisReply *r = redisCommand(c, "XRANGE t:dlq:%s - + COUNT 1000", type);
		for (size_t e = 0; r && r->type == REDIS_REPLY_ARRAY && e < r->elements; e++) {
			const redisReply *f = r->element[e]->element[1];
			const char *src = field_of(f, "dlq_source_id"), *g = field_of(f, "dlq_group");
			if (!src || strcmp(src, source_id) != 0)
				continue;
			n++;
			/* t:group:<name>:<type> -> <name> */
			const char *name = g && !strncmp(g, "t:group:", 8) ? g + 8 : g ? g : "?";
			size_t used = strlen(groups);
			snprintf(groups + used, glen - used, "%s%.*s", used ? ", " : "", (int)strcspn(name, ":"), name);
			if (!reason[0])
				chaos_printable(field_of(f, "dlq_reason"), reason, rlen);
		}
		freeReplyObject(r);
		if (n >= want)
			break;
		usleep(50000);
	} while (clock_mono_ms() < end);
	return n;
}

int chaos_group_past(redisContext *c, const char *type, const char *group, const char *id, int timeout_ms)
{
	int64_t end = clock_mono_ms() + timeout_ms;
	do {
		int past = 0;
		redisReply *r = redisCommand(c, "XINFO GROUPS t:stream:%s", type);
		for (size_t g = 0; r && r->type == REDIS_REPLY_ARRAY && g < r->elements; g++) {
			const redisReply *f = r->element[g];
			const char *name = NULL, *last = NULL;
			long long pending = -1;
			for (size_t k = 0; k + 1 < f->elements; k += 2) {
				const char *key = f->element[k]->str;
				const redisReply *v = f->element[k + 1];
				if (!strcmp(key, "name"))
					name = v->str;
				else if (!strcmp(key, "last-delivered-id"))
					last = v->str;
				else if (!strcmp(key, "pending"))
					pending = v->integer;
			}
			past |= name && strstr(name, group) && last && id_cmp(last, id) >= 0 && pending == 0;
		}
		freeReplyObject(r);
		if (past)
			return 1;
		usleep(50000);
	} while (clock_mono_ms() < end);
	return 0;
}

/* ---- the services from outside ---- */

double chaos_metric_sum(int port, const char *name)
{
	char *resp = harness_http(port, "GET", "/metrics");
	double sum = -1;
	size_t n = strlen(name);
	for (const char *line = harness_http_body(resp); line && *line;) {
		const char *nl = strchr(line, '\n');
		if (strncmp(line, name, n) == 0 && (line[n] == ' ' || line[n] == '{')) {
			const char *sp = memrchr(line, ' ', nl ? (size_t)(nl - line) : strlen(line));
			sum = (sum < 0 ? 0 : sum) + (sp ? strtod(sp + 1, NULL) : 0);
		}
		line = nl ? nl + 1 : NULL;
	}
	free(resp);
	return sum;
}

json_t *chaos_policy(redisContext *c)
{
	return stack_get_json(c, "t:policy:current");
}

void chaos_policy_mode(redisContext *c, char *mode, size_t len, long long *version)
{
	json_t *doc = chaos_policy(c);
	const char *m = json_string_value(json_object_get(doc, "operating_mode"));
	snprintf(mode, len, "%s", m ? m : "");
	*version = doc ? (long long)json_integer_value(json_object_get(doc, "version")) : -1;
	json_decref(doc);
}

static json_t *json_of(char *resp, int *status)
{
	*status = harness_http_status(resp);
	json_t *j = resp ? json_loads(harness_http_body(resp), 0, NULL) : NULL;
	free(resp);
	return j;
}

json_t *chaos_api_get(const struct chaos_stack *s, const char *path, int *status)
{
	return json_of(harness_http(s->api, "GET", path), status);
}

int chaos_force_decision(const struct chaos_stack *s, char *mode, size_t len)
{
	static const char req[] = "POST /api/orchestration/agents/ceo/force-decision HTTP/1.1\r\nHost: chaos\r\n"
				  "Authorization: Bearer " CHAOS_API_TOKEN "\r\nContent-Length: 0\r\n"
				  "Connection: close\r\n\r\n";
	int status;
	json_t *d = json_of(harness_http_raw(s->api, req), &status);
	const char *m = json_string_value(json_object_get(json_object_get(d, "decision"), "operating_mode"));
	snprintf(mode, len, "%s", m ? m : "");
	json_decref(d);
	return status;
}

int chaos_to_black_swan(const struct chaos_stack *s)
{
	char mode[32] = "";
	long long v;
	chaos_publish(s->c,
		      "risk_alert",
		      "{\"level\": \"CRITICAL\", \"risk_score\": 95, \"alerts\": [\"RISK_SCORE\"]}",
		      NULL,
		      0);
	for (int i = 0; i < 100 && strcmp(mode, "BLACK_SWAN") != 0; i++, usleep(100000))
		chaos_policy_mode(s->c, mode, sizeof(mode), &v);
	return !strcmp(mode, "BLACK_SWAN");
}
