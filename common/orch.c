/*
 * orch.c - text for the ORCH_E* error codes every module returns.
 */
#include "orch.h"

const char *orch_strerror(int code)
{
	switch (code) {
	case ORCH_OK: return "ok";
	case ORCH_ENOMEM: return "out of memory";
	case ORCH_EINVAL: return "invalid argument";
	case ORCH_ENOTCONN: return "not connected to Redis";
	case ORCH_EREDIS: return "Redis returned an error";
	case ORCH_ECONFLICT: return "version conflict";
	case ORCH_EFENCED: return "fencing token is stale";
	case ORCH_EFULL: return "queue full";
	case ORCH_ETIMEDOUT: return "timed out";
	case ORCH_EMALFORMED: return "malformed input";
	case ORCH_ENOENT: return "not found";
	case ORCH_EIO: return "I/O error";
	case ORCH_ECLOSED: return "closed";
	case ORCH_EBUSY: return "busy";
	case ORCH_ENOTDURABLE: return "not replicated in time";
	default: return "unknown error";
	}
}
