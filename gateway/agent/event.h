/*
 * event.h: gw-agent's events as JSON objects (PROTOCOL.md 12), built into
 * a fixed buffer that never grows past SINK_EVENT_MAX bytes:
 *   {"v":1,"kind":"log","source":"/var/log/app.log",
 *    "ts":"2026-12-07T20:41:22.123456Z", ...the kind's members...}
 * Bytes that are UTF-8 become a JSON string under their key; bytes that
 * are not become base64 under "KEY_b64" (the convention of gw-mgmt's
 * export), so nothing read is altered.  A member that does not fit is cut
 * (at a character, never inside an escape) and the event then ends with
 * "truncated":true: an event is always whole JSON, whatever the input.
 * Pure: no I/O, no clock of its own (the caller passes the time).
 */
#ifndef GW_EVENT_H
#define GW_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "sink.h"

#define EVENT_VERSION	1
#define EVENT_DEPTH	8	/* objects and arrays inside the event */

struct event {
	char		 buf[SINK_EVENT_MAX];
	size_t		 len;
	size_t		 cap;		/* the bytes members may use */
	int		 depth;
	int		 dead;		/* levels opened that did not fit */
	int		 first[EVENT_DEPTH + 1]; /* no member yet at depth */
	char		 closer[EVENT_DEPTH + 1]; /* '}' or ']' */
	int		 truncated;
};

/**
 * event_begin(e, kind, source, ts): start event ${e} of ${kind} from
 * ${source} at ${ts} (seconds since the epoch, the agent's wall clock).
 */
void event_begin(struct event *e, const char *kind, const char *source,
    double ts);

/**
 * event_bytes(e, key, p, len): the member ${key} (NULL inside an array)
 * holding the ${len} bytes of ${p}: a string if they are UTF-8, else
 * base64 under "${key}_b64" (inside an array: an object {"b64":"..."}).
 * Return how many of the bytes went in: ${len}, or fewer if the member
 * was cut (0 if it did not fit at all).
 */
size_t event_bytes(struct event *e, const char *key, const void *p,
    size_t len);

/** event_str(e, key, s): event_bytes() of the C string ${s} (NULL: null). */
void event_str(struct event *e, const char *key, const char *s);

/** event_int(e, key, v): an integer member. */
void event_int(struct event *e, const char *key, int64_t v);

/** event_num(e, key, v): a number member (null if not finite). */
void event_num(struct event *e, const char *key, double v);

/** event_bool(e, key, v): true or false. */
void event_bool(struct event *e, const char *key, int v);

/** event_null(e, key): null. */
void event_null(struct event *e, const char *key);

/** event_time(e, key, ts): ${ts} as "YYYY-MM-DDTHH:MM:SS.uuuuuuZ". */
void event_time(struct event *e, const char *key, double ts);

/**
 * event_open(e, key, array): open an object (array: an array) under
 * ${key}; more than EVENT_DEPTH levels is a programming error (abort).
 */
void event_open(struct event *e, const char *key, int array);

/** event_close(e): close what event_open() opened last. */
void event_close(struct event *e);

/**
 * event_end(e): close whatever is open and the event itself (with
 * "truncated":true if a member was cut).  Return its length; the event
 * is e->buf (not NUL-terminated).
 */
size_t event_end(struct event *e);

#endif /* GW_EVENT_H */
