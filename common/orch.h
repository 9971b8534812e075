/*
 * orch.h - error codes shared by every module of libcommon and the services.
 *
 * Every function in the project returns 0 on success or a negative ORCH_E*
 * code; orch_strerror() turns a code into text. Nothing else lives here.
 */
#ifndef ORCH_H
#define ORCH_H

enum {
	ORCH_OK = 0,
	ORCH_ENOMEM = -1,     /* allocation failed */
	ORCH_EINVAL = -2,     /* bad argument or configuration value */
	ORCH_ENOTCONN = -3,   /* no Redis connection right now */
	ORCH_EREDIS = -4,     /* Redis answered with an error */
	ORCH_ECONFLICT = -5,  /* compare-and-set lost: version moved on */
	ORCH_EFENCED = -6,    /* fencing token lower than one already seen */
	ORCH_EFULL = -7,      /* bounded queue full */
	ORCH_ETIMEDOUT = -8,  /* deadline passed */
	ORCH_EMALFORMED = -9, /* input that can never be processed */
	ORCH_ENOENT = -10,    /* no such thing */
	ORCH_EIO = -11,       /* file or socket I/O failed */
	ORCH_ECLOSED = -12,   /* object is shutting down */
	ORCH_EBUSY = -13,     /* too much in flight; retry later */
	ORCH_ENOTDURABLE = -14, /* write accepted but not replicated in time */
};

/* Static text for an ORCH_E* code (never NULL, never freed). */
const char *orch_strerror(int code);

#endif
