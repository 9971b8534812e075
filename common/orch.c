/*
 * orch.c - text for the ORCH_E* error codes every module returns, from the
 * one table in orch.h.
 */
#include "orch.h"

const char *orch_strerror(int code)
{
	switch (code) {
#define ORCH_ERR_TEXT(name, value, text) \
	case (value):                    \
		return text;
		ORCH_ERR_MAP(ORCH_ERR_TEXT)
#undef ORCH_ERR_TEXT
	default:
		return "unknown error";
	}
}
