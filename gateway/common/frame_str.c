/*
 * frame_str.c: the codec's strings: views (struct gw_str) made from and
 * into C strings, OPEN's via list read (count, last name, membership), a
 * GOAWAY of a text, and a message for each of the codec's return codes.
 * Pure, as frame.c: no I/O, no allocation, no global state.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "frame.h"
#include "proto.h"

/* A byte of a via name: printable ASCII but space, '"' and '\'. */
static int
via_byte(uint8_t c)
{
	return c > ' ' && c < 0x7f && c != '"' && c != '\\';
}

/**
 * gw_via_count(via): the number of names (1..GW_VIA_MAX) of OPEN's ${via},
 * or -1 if it is not a valid via: empty, an empty name (a space first,
 * last or twice), a name above GW_VIA_NAME_MAX bytes, a byte not printable
 * ASCII or one of space (except between names), '"' and '\', or more than
 * GW_VIA_MAX names.
 */
int
gw_via_count(const struct gw_str *via)
{
	size_t i, at = 0;
	int n = 1;

	if (via->p == NULL || via->len == 0 || via->len > GW_VIA_LEN_MAX)
		return -1;
	for (i = 0; i <= via->len; i++) {
		if (i < via->len && via->p[i] != ' ') {
			if (!via_byte(via->p[i]))
				return -1;
			continue;
		}
		if (i == at || i - at > GW_VIA_NAME_MAX)
			return -1;	/* a name empty or too long */
		if (i < via->len && ++n > GW_VIA_MAX)
			return -1;
		at = i + 1;
	}
	return n;
}

/**
 * gw_via_last(via): the last name of the valid via ${via} (the gateway
 * that sent the OPEN).
 */
struct gw_str
gw_via_last(const struct gw_str *via)
{
	uint16_t at = via->len;

	while (at > 0 && via->p[at - 1] != ' ')
		at--;
	return gw_str_bytes(via->p + at, (size_t)(via->len - at));
}

/**
 * gw_via_has(via, name): 1 if one of the names of the valid via ${via} is
 * ${name} (byte for byte), else 0.
 */
int
gw_via_has(const struct gw_str *via, const struct gw_str *name)
{
	size_t i, at = 0;

	if (name->len == 0)
		return 0;
	for (i = 0; i <= via->len; i++) {
		if (i < via->len && via->p[i] != ' ')
			continue;
		if (i - at == name->len &&
		    memcmp(via->p + at, name->p, name->len) == 0)
			return 1;
		at = i + 1;
	}
	return 0;
}

/**
 * gw_str_cstr(s, buf, len): view ${s} as a C string in ${buf} (capacity
 * ${len}).  Return 0, or -1 if it does not fit or holds a NUL byte.
 */
int
gw_str_cstr(const struct gw_str *s, char *buf, size_t len)
{
	if (s->len >= len || (s->len > 0 && memchr(s->p, 0, s->len) != NULL))
		return -1;
	if (s->len > 0)		/* memcpy(buf, NULL, 0) is undefined */
		memcpy(buf, s->p, s->len);
	buf[s->len] = '\0';
	return 0;
}

/**
 * gw_str_bytes(p, len): a view of the ${len} bytes at ${p} (of its first
 * 65535 bytes if longer: the caller checks a length that may be).
 */
struct gw_str
gw_str_bytes(const void *p, size_t len)
{
	return (struct gw_str){ .p = p,
	    .len = (uint16_t)(len < UINT16_MAX ? len : UINT16_MAX) };
}

/**
 * gw_str_text(s): a view of the C string ${s} without its NUL (of its
 * first 65535 bytes if longer), or an empty view if ${s} is NULL.
 */
struct gw_str
gw_str_text(const char *s)
{
	return gw_str_bytes(s, s != NULL ? strnlen(s, UINT16_MAX) : 0);
}

/**
 * gw_frame_goaway(text): a GOAWAY, reason shutdown, with ${text} (its
 * first GW_GOAWAY_TEXT_MAX bytes; ${text} must outlive the frame).
 */
struct gw_frame
gw_frame_goaway(const char *text)
{
	return (struct gw_frame){ .type = GW_T_GOAWAY,
	    .u.reason = { .code = GW_R_SHUTDOWN, .text = gw_str_bytes(text,
	    strnlen(text, GW_GOAWAY_TEXT_MAX)) } };
}

/** gw_perr_str(rc): a short message for any return code of this module. */
const char *
gw_perr_str(int rc)
{
	switch (rc) {
	case GW_OK:
		return "ok";
	case GW_ENEED:
		return "incomplete frame";
	case GW_ENOSPACE:
		return "output buffer too small";
	case GW_PERR_BAD_FLAGS:
		return "flags not zero";
	case GW_PERR_BAD_RESERVED:
		return "reserved header field not zero";
	case GW_PERR_LEN_TOO_BIG:
		return "payload length above maximum";
	case GW_PERR_UNKNOWN_TYPE:
		return "unknown frame type";
	case GW_PERR_BAD_LENGTH:
		return "payload length wrong for frame type";
	case GW_PERR_BAD_CHANNEL:
		return "channel not allowed for frame type";
	case GW_PERR_BAD_VERSION:
		return "bad protocol version";
	case GW_PERR_BAD_SEQ:
		return "sequence number zero";
	case GW_PERR_BAD_CREDIT:
		return "credit increment zero";
	case GW_PERR_BAD_STRING:
		return "bad string field";
	case GW_PERR_TRAILING:
		return "trailing bytes after last field";
	case GW_PERR_BAD_VALUE:
		return "field value out of range";
	default:
		return "unknown error";
	}
}
