/*
 * redis_uv.h - internal to redis_conn: our libuv glue for hiredis 0.14
 * async contexts, and blocking address resolution for the thread pool.
 */
#ifndef ORCH_REDIS_UV_H
#define ORCH_REDIS_UV_H

#include <hiredis/async.h>
#include <stddef.h>
#include <uv.h>

#include "config.h"

/* Attaches ac to loop. The glue frees itself when hiredis cleans up ac.
 * Returns 0, ORCH_ENOMEM or ORCH_EIO. */
int redis_uv_attach(uv_loop_t *loop, redisAsyncContext *ac);
/* getaddrinfo(host) into out as a numeric address. Blocking. */
int redis_resolve_host(const char *host, int port, struct redis_endpoint *out, char *err, size_t errlen);

#endif
