/*
 * goaway.h: the one GOAWAY builder of gatewayd: to agents (SIGTERM) and
 * to management servers (a link drains, the gateway stops).
 */
#ifndef GW_GOAWAY_H
#define GW_GOAWAY_H

#include <string.h>

#include "frame.h"

/* The longest reason text a GOAWAY carries (the rest is cut). */
#define GOAWAY_TEXT_MAX	200

/**
 * goaway_frame(f, text): make ${f} a GOAWAY, reason shutdown, with
 * ${text} (its first GOAWAY_TEXT_MAX bytes; ${text} must outlive ${f}).
 */
static inline void
goaway_frame(struct gw_frame *f, const char *text)
{
	memset(f, 0, sizeof(*f));
	f->type = GW_T_GOAWAY;
	f->u.reason.code = GW_R_SHUTDOWN;
	f->u.reason.text.p = (const uint8_t *)text;
	f->u.reason.text.len = (uint16_t)strnlen(text, GOAWAY_TEXT_MAX);
}

#endif /* GW_GOAWAY_H */
