/*
 * orch.h - error codes shared by every module of libcommon and the services.
 *
 * Every function in the project returns 0 on success or a negative ORCH_E*
 * code; orch_strerror() turns a code into text. The codes and their texts
 * are one table (ORCH_ERR_MAP), so the two cannot drift apart. Nothing
 * else lives here.
 */
#ifndef ORCH_H
#define ORCH_H

/* XX(name, value, text) */
#define ORCH_ERR_MAP(XX)                                                                         \
	XX(OK, 0, "ok")                                                                          \
	XX(ENOMEM, -1, "out of memory")                                                          \
	XX(EINVAL, -2, "invalid argument") /* or configuration value */                          \
	XX(ENOTCONN, -3, "not connected to Redis")                                               \
	XX(EREDIS, -4, "Redis returned an error")                                                \
	XX(ECONFLICT, -5, "version conflict")     /* compare-and-set lost */                     \
	XX(EFENCED, -6, "fencing token is stale") /* a newer holder wrote */                     \
	XX(EFULL, -7, "queue full")               /* bounded queue */                            \
	XX(ETIMEDOUT, -8, "timed out")                                                           \
	XX(EMALFORMED, -9, "malformed input") /* can never be processed */                       \
	XX(ENOENT, -10, "not found")                                                             \
	XX(EIO, -11, "I/O error")                         /* file or socket */                   \
	XX(ECLOSED, -12, "closed")                        /* shutting down */                    \
	XX(EBUSY, -13, "busy")                            /* too much in flight */               \
	XX(ENOTDURABLE, -14, "not replicated in time")    /* accepted, not on enough replicas */ \
	XX(EAGAIN, -15, "not now, try again")             /* e.g. not the leader yet */          \
	XX(EWRONGTYPE, -16, "the key holds another type") /* never written over */               \
	XX(EENCODE, -17, "a value JSON cannot carry (invalid UTF-8, NaN or infinity)")

enum {
#define ORCH_ERR_ENUM(name, value, text) ORCH_##name = (value),
	ORCH_ERR_MAP(ORCH_ERR_ENUM)
#undef ORCH_ERR_ENUM
};

/* Static text for an ORCH_E* code (never NULL, never freed). */
const char *orch_strerror(int code);

#endif
