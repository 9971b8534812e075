/*
 * bench_http.c - GET /api/orchestration/global-state of a running
 * federation under wrk (2 threads, 64 keep-alive connections, 5 s,
 * --latency), beside nginx serving the very same bytes from a file in the
 * same run, configured as in ../shared/spec/performance-ceilings.md
 * (2 workers, sendfile, open_file_cache, keep-alive); then the live gate
 * at a fixed 5,000 requests/s over 32 keep-alive connections (http_load.h:
 * latency from each request's due time), the calls quantum_trader's client
 * makes in turn (GET /compat/ceo/status, POST /compat/strategy/evaluate,
 * POST /compat/risk/evaluate with its exact bodies), beside nginx
 * answering the same requests with the gate's answers as fixed bodies
 * (`return 200`) at the same rate from the same generator:
 *
 *   http_global_state_throughput  req/s   vs nginx req/s   (target ratio >= 1.0)
 *   http_global_state_p99         ms      vs nginx p99     (target < 5 ms)
 *   http_gate_p50                 ms      vs nginx p50     (informational)
 *   http_gate_p99                 ms      vs nginx p99     (target < 1 ms)
 *
 * The federation's state is made complete (and about 2 KB) by publishing
 * a CEO decision, a risk state and a strategy state first. Needs wrk and
 * nginx (make bench installs them). Usage: bench_http [SECONDS] (default 5).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "http_load.h"
#include "stack.h"

static struct harness_redis srv;

struct wrk_result {
	double rps, p99_ms;
};

/* "1.23ms", "456.00us", "1.02s" -> ms */
static double to_ms(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (!strncmp(end, "us", 2))
		return v / 1000;
	if (!strncmp(end, "ms", 2))
		return v;
	if (*end == 's')
		return v * 1000;
	return v;
}

static int run_wrk(const char *url, int seconds, struct wrk_result *out)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "wrk -t2 -c64 -d%ds --latency %s 2>&1", seconds, url);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	char line[512];
	int errors = 0;
	memset(out, 0, sizeof(*out));
	while (fgets(line, sizeof(line), p)) {
		char *at;
		if ((at = strstr(line, "Requests/sec:")))
			out->rps = strtod(at + 13, NULL);
		else if ((at = strstr(line, " 99%")))
			out->p99_ms = to_ms(at + 4 + strspn(at + 4, " \t"));
		else if (strstr(line, "Non-2xx") || strstr(line, "Socket errors"))
			errors = 1, fputs(line, stderr);
	}
	int rc = pclose(p);
	return rc == 0 && out->rps > 0 && !errors ? 0 : -1;
}

/* nginx with 2 workers and keep-alive, serving `server` (the body of its
 * server block) on 127.0.0.1:port from dir. */
static pid_t start_nginx(const char *dir, int port, const char *server)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/nginx.conf", dir);
	FILE *f = fopen(path, "w");
	if (!f ||
	    fprintf(f,
		    "worker_processes 2; daemon off; pid %s/nginx.pid; error_log %s/nginx.err;\n"
		    "events { worker_connections 1024; }\n"
		    "http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000;\n"
		    " open_file_cache max=100 inactive=60s; open_file_cache_valid 60s;\n"
		    " server { listen 127.0.0.1:%d; root %s; default_type application/json; %s } }\n",
		    dir,
		    dir,
		    port,
		    dir,
		    server) < 0 ||
	    fclose(f) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execlp("nginx", "nginx", "-c", path, "-p", dir, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void stop_nginx(pid_t ng)
{
	kill(ng, SIGTERM);
	waitpid(ng, NULL, 0);
}

/* The client's three calls, as it sends them (docs/live-gate.md). */
#define GATE_STRATEGY_BODY \
	"{\"symbol\": \"BTCUSDT\", \"direction\": \"BUY\", \"confidence\": 0.7, \"entry_price\": 100.0}"
#define GATE_RISK_BODY                                                                                                 \
	"{\"signal\": {\"symbol\": \"BTCUSDT\", \"direction\": \"BUY\", \"confidence\": 0.7, \"entry_price\": 100.0, " \
	"\"position_size_usd\": 1000.0, \"leverage\": 5, \"regime\": \"unknown\", \"strategy\": \"default\"}, "        \
	"\"operating_mode\": \"EXPANSION\"}"
#define POST(path, body) \
	"POST " path     \
	" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n" body
static const char *const GATE_PATHS[3] = {"/compat/ceo/status", "/compat/strategy/evaluate", "/compat/risk/evaluate"};

static void gate_requests(char req[3][512], struct http_load_req out[3])
{
	snprintf(req[0], sizeof(req[0]), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", GATE_PATHS[0]);
	snprintf(req[1],
		 sizeof(req[1]),
		 POST("/compat/strategy/evaluate", GATE_STRATEGY_BODY),
		 strlen(GATE_STRATEGY_BODY));
	snprintf(req[2], sizeof(req[2]), POST("/compat/risk/evaluate", GATE_RISK_BODY), strlen(GATE_RISK_BODY));
	for (int i = 0; i < 3; i++)
		out[i] = (struct http_load_req){req[i], strlen(req[i])};
}

/* The body of one answer to raw (sent with Connection: close added); new,
 * or NULL. */
static char *exchange(int port, const char *raw)
{
	char *closing = malloc(strlen(raw) + 32), *resp = NULL;
	const char *head_end = strstr(raw, "\r\n\r\n");
	if (!closing || !head_end)
		goto out;
	size_t head = (size_t)(head_end - raw);
	sprintf(closing, "%.*s\r\nConnection: close%s", (int)head, raw, head_end);
	resp = harness_http_raw(port, closing);
out:
	free(closing);
	return resp;
}

/* nginx's server block answering the gate's three paths with the answers
 * the federation gave (copied into `return 200 '...'`). */
static int gate_nginx_server(int api, const struct http_load_req reqs[3], char *out, size_t outlen)
{
	size_t used = 0;
	for (int i = 0; i < 3; i++) {
		char *resp = exchange(api, reqs[i].bytes);
		const char *body = resp && harness_http_status(resp) == 200 ? harness_http_body(resp) : NULL;
		int n = body && !strpbrk(body, "$\\")
				? snprintf(out + used, outlen - used, "location = %s { return 200 '", GATE_PATHS[i])
				: -1;
		for (const char *p = body; n > 0 && *p && used + (size_t)n + 2 < outlen; p++) {
			if (*p == '\'') /* nginx: \' inside a quoted string */
				out[used + (size_t)n++] = '\\';
			out[used + (size_t)n++] = *p;
		}
		free(resp);
		if (n < 0 || used + (size_t)n + 16 >= outlen)
			return -1;
		used += (size_t)n;
		used += (size_t)snprintf(out + used, outlen - used, "'; } ");
	}
	return 0;
}

/* The gate's p50 and p99 at 5,000 requests/s, and nginx's. */
static int bench_gate(int api, const char *dir, int seconds)
{
	char req[3][512], server[8192];
	struct http_load_req reqs[3];
	gate_requests(req, reqs);
	if (gate_nginx_server(api, reqs, server, sizeof(server)) != 0) {
		fprintf(stderr, "bench_http: the gate did not answer its three calls\n");
		return -1;
	}
	int ng_port = harness_free_port();
	pid_t ng = start_nginx(dir, ng_port, server);
	usleep(300000);
	struct http_load_result fr, nr;
	int ok = http_load_run(api, reqs, 3, 5000, seconds, 32, &fr) == 0 &&
		 http_load_run(ng_port, reqs, 3, 5000, seconds, 32, &nr) == 0;
	stop_nginx(ng);
	fprintf(stderr,
		"bench_http: gate %ld requests, max %.2f ms (nginx %.2f ms), %ld failed (nginx %ld)\n",
		fr.answered,
		fr.max_ms,
		nr.max_ms,
		fr.errors,
		nr.errors);
	if (!ok)
		return -1;
	harness_bench_line("http_gate_p50",
			   fr.p50_ms,
			   "ms",
			   "nginx returning the same answers, 5000 req/s, 32 conns",
			   nr.p50_ms,
			   "informational");
	harness_bench_line("http_gate_p99",
			   fr.p99_ms,
			   "ms",
			   "nginx returning the same answers, 5000 req/s, 32 conns",
			   nr.p99_ms,
			   "value<1");
	return 0;
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 5;
	if (system("command -v wrk >/dev/null && command -v nginx >/dev/null") != 0) {
		fprintf(stderr, "bench_http: needs wrk and nginx (deploy/install-deps.sh --bench)\n");
		return 1;
	}
	if (harness_redis_start(&srv, 0) != 0) {
		fprintf(stderr, "bench_http: cannot start redis-server\n");
		return 1;
	}
	int api = harness_free_port();
	char port[48];
	snprintf(port, sizeof(port), "ORCH_API_PORT=%d", api);
	const char *env[] = {
		"ORCH_PREFIX=b", "ORCH_INSTANCE_ID=bench", "ORCH_ADMIN_PORT=0", "ORCH_LOG_LEVEL=error", port, NULL};
	pid_t fed = harness_spawn_program("federation", &srv, env);
	redisContext *c = harness_redis_sync(&srv);
	stack_publish(
		c,
		"b",
		"ceo_decision",
		"{\"operating_mode\": \"GROWTH\", \"primary_reason\": \"win rate 0.6 >= 0.55, risk score 20 <= growth "
		"ceiling 30\", \"decision_confidence\": 1.0, \"effective_limits\": {\"max_leverage\": 15, "
		"\"max_risk_pct_per_trade\": 0.03, \"max_daily_drawdown\": 0.05, \"max_positions\": 15, "
		"\"global_min_confidence\": 0.65, \"scaling_factor\": 1.2, \"enable_rl\": true}}",
		NULL);
	stack_publish(c,
		      "b",
		      "risk_state_update",
		      "{\"risk_score\": 20, \"risk_level\": \"low\", \"should_reduce_exposure\": false, "
		      "\"should_pause_trading\": false, \"metrics\": {\"equity\": 100000, \"open_positions\": 2}}",
		      NULL);
	stack_publish(
		c,
		"b",
		"strategy_state_update",
		"{\"confidence\": 0.93, \"meta_strategy_mode\": \"primary_with_fallback\", \"ranking\": ["
		"{\"strategy\": \"trend_following_v3\", \"status\": \"active\"}, {\"strategy\": \"mean_reversion_eu\", "
		"\"status\": \"active\"}, {\"strategy\": \"breakout_asia\", \"status\": \"insufficient_data\"}], "
		"\"disabled\": [{\"strategy\": \"grid_btc\"}], \"models\": [{\"model\": \"ensemble\", \"status\": "
		"\"active\"}, {\"model\": \"xgb\", \"status\": \"active\"}]}",
		NULL);
	stack_publish(c,
		      "b",
		      "risk_alert",
		      "{\"level\": \"WARNING\", \"alert_details\": [{\"code\": \"VOLATILITY\", \"level\": \"WARNING\", "
		      "\"value\": 0.82, \"threshold\": 0.8}]}",
		      NULL);
	char url[128], *resp = NULL;
	snprintf(url, sizeof(url), "/api/orchestration/global-state");
	for (int i = 0; i < 100; i++) {
		free(resp);
		resp = harness_http(api, "GET", url);
		if (resp && strstr(resp, "\"status\":\"ok\""))
			break;
		usleep(50000);
	}
	const char *body = resp ? harness_http_body(resp) : NULL;
	if (!body || !strstr(body, "\"status\":\"ok\"")) {
		fprintf(stderr, "bench_http: the federation never had a complete state\n");
		return 1;
	}
	char dir[] = "/tmp/bench_http.XXXXXX", path[64];
	/* nginx's workers drop root: let them read the file */
	if (!mkdtemp(dir) || chmod(dir, 0755) != 0)
		return 1;
	snprintf(path, sizeof(path), "%s/doc.json", dir);
	FILE *f = fopen(path, "w");
	fputs(body, f);
	fclose(f);
	int ng_port = harness_free_port();
	pid_t ng = start_nginx(dir, ng_port, "");
	usleep(300000);
	char fed_url[160], ng_url[160];
	snprintf(fed_url, sizeof(fed_url), "http://127.0.0.1:%d%s", api, url);
	snprintf(ng_url, sizeof(ng_url), "http://127.0.0.1:%d/doc.json", ng_port);
	struct wrk_result fr, nr;
	int ok = run_wrk(fed_url, seconds, &fr) == 0 && run_wrk(ng_url, seconds, &nr) == 0;
	fprintf(stderr, "bench_http: body %zu bytes\n", strlen(body));
	if (ok) {
		harness_bench_line("http_global_state_throughput",
				   fr.rps,
				   "req/s",
				   "nginx serving the same bytes (2 workers, open_file_cache), wrk -t2 -c64",
				   nr.rps,
				   "ratio>=1.0");
		harness_bench_line(
			"http_global_state_p99", fr.p99_ms, "ms", "nginx p99, same run", nr.p99_ms, "value<5");
	} else {
		fprintf(stderr, "bench_http: wrk failed\n");
	}
	stop_nginx(ng);
	if (ok && bench_gate(api, dir, seconds) != 0) {
		fprintf(stderr, "bench_http: the gate's load failed\n");
		ok = 0;
	}
	kill(fed, SIGTERM);
	waitpid(fed, NULL, 0);
	char rm[128];
	snprintf(rm, sizeof(rm), "rm -rf %s", dir);
	if (system(rm) != 0)
		fprintf(stderr, "bench_http: could not remove %s\n", dir);
	free(resp);
	redisFree(c);
	harness_redis_stop(&srv);
	return ok ? 0 : 1;
}
