/*
 * redis_resolve.c - turns a redis_target into a numeric address: DNS, or
 * Sentinel discovery (SENTINEL get-master-addr-by-name, first Sentinel
 * that knows the name wins). Blocking by design: redis_conn runs it on the
 * libuv thread pool, tools may call it directly.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "orch.h"
#include "redis_conn.h"
#include "redis_uv.h"

int redis_resolve_host(const char *host, int port, struct redis_endpoint *out, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
	int rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0 || !res) {
		snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
		return ORCH_EIO;
	}
	void *addr = res->ai_family == AF_INET6 ? (void *)&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr
						: (void *)&((struct sockaddr_in *)res->ai_addr)->sin_addr;
	inet_ntop(res->ai_family, addr, out->host, sizeof(out->host));
	out->port = port;
	freeaddrinfo(res);
	return 0;
}

int redis_conn_resolve_master(const struct redis_target *t, struct redis_endpoint *out, char *err, size_t errlen)
{
	int reached = 0;
	snprintf(err, errlen, "no sentinel configured");
	for (int i = 0; i < t->n_sentinels; i++) {
		const struct redis_endpoint *s = &t->sentinels[i];
		int ms = t->connect_timeout_ms > 0 ? t->connect_timeout_ms : 1000;
		struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
		redisContext *rc = redisConnectWithTimeout(s->host, s->port, tv);
		if (!rc || rc->err) {
			if (rc)
				redisFree(rc);
			continue;
		}
		reached = 1;
		redisSetTimeout(rc, tv);
		redisReply *r = redisCommand(rc, "SENTINEL get-master-addr-by-name %s", t->master_name);
		int ok = r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
			 r->element[0]->type == REDIS_REPLY_STRING && r->element[1]->type == REDIS_REPLY_STRING;
		if (ok) {
			snprintf(out->host, sizeof(out->host), "%s", r->element[0]->str);
			out->port = atoi(r->element[1]->str);
		}
		if (r)
			freeReplyObject(r);
		redisFree(rc);
		if (ok)
			return 0;
	}
	if (t->n_sentinels > 0)
		snprintf(err,
			 errlen,
			 reached ? "no sentinel knows master '%s'" : "no sentinel reachable",
			 t->master_name);
	return ORCH_ENOTCONN;
}
