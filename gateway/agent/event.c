/*
 * event.c: gw-agent's events as bounded JSON objects (event.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/base64.h>

#include "event.h"
#include "utf8.h"

/* Kept back for the closing brackets and ,"truncated":true. */
#define EVENT_RESERVE	(EVENT_DEPTH + 32)

/* Append ${len} bytes if they fit in the members' space: 0, else -1. */
static int
put(struct event *e, const char *p, size_t len)
{
	if (len > e->cap - e->len)
		return -1;
	memcpy(e->buf + e->len, p, len);
	e->len += len;
	return 0;
}

/* Append past the members' space (the closing bytes): always fits. */
static void
put_end(struct event *e, const char *p)
{
	size_t len = strlen(p);

	if (len > sizeof(e->buf) - e->len)
		abort();
	memcpy(e->buf + e->len, p, len);
	e->len += len;
}

/* The bytes of ${p} escaped into JSON, as many whole characters as fit
 * with one byte left for the closing quote: how many bytes of ${p}. */
static size_t
put_escaped(struct event *e, const unsigned char *p, size_t len)
{
	char esc[8];
	size_t i = 0, n;

	while (i < len) {
		unsigned char c = p[i];
		const char *s = esc;

		n = 1;
		switch (c) {
		case '"': s = "\\\""; break;
		case '\\': s = "\\\\"; break;
		case '\n': s = "\\n"; break;
		case '\r': s = "\\r"; break;
		case '\t': s = "\\t"; break;
		default:
			if (c < 0x20 || c == 0x7F) {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
			} else {
				/* A whole UTF-8 sequence (valid: checked). */
				n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 :
				    c >= 0xC0 ? 2 : 1;
				if (n > len - i)
					n = len - i;
				if (n + 1 > e->cap - e->len)
					return i;
				memcpy(e->buf + e->len, p + i, n);
				e->len += n;
				i += n;
				continue;
			}
		}
		if (strlen(s) + 1 > e->cap - e->len)
			return i;
		put(e, s, strlen(s));
		i++;
	}
	return len;
}

/* The separator and "key": of a new member, or -1 if it cannot fit. */
static int
member(struct event *e, const char *key, size_t value_min)
{
	size_t start = e->len;

	if (e->dead > 0) {
		e->truncated = 1;
		return -1;
	}
	if (!e->first[e->depth] && put(e, ",", 1) != 0)
		goto cut;
	if (key != NULL) {
		if (put(e, "\"", 1) != 0 ||
		    put_escaped(e, (const unsigned char *)key, strlen(key)) !=
		    strlen(key) ||
		    put(e, "\":", 2) != 0)
			goto cut;
	}
	if (value_min > e->cap - e->len)
		goto cut;
	e->first[e->depth] = 0;
	return 0;
cut:
	e->len = start;
	e->truncated = 1;
	return -1;
}

/* A member whose whole value is ${v}. */
static void
member_raw(struct event *e, const char *key, const char *v)
{
	if (member(e, key, strlen(v)) == 0)
		put(e, v, strlen(v));
}

void
event_begin(struct event *e, const char *kind, const char *source,
    double ts)
{
	e->len = 0;
	e->cap = sizeof(e->buf) - EVENT_RESERVE;
	e->depth = 0;
	e->dead = 0;
	e->first[0] = 1;
	e->truncated = 0;
	put(e, "{", 1);
	event_int(e, "v", EVENT_VERSION);
	event_str(e, "kind", kind);
	event_str(e, "source", source);
	event_time(e, "ts", ts);
}

size_t
event_bytes(struct event *e, const char *key, const void *p, size_t len)
{
	char k[64];
	size_t room, n, olen;

	if (utf8_valid(p, len)) {
		if (member(e, key, 2) != 0)
			return 0;
		put(e, "\"", 1);
		if ((n = put_escaped(e, p, len)) != len)
			e->truncated = 1;
		put(e, "\"", 1);	/* put_escaped left room for it */
		return n;
	}
	if (key != NULL) {
		snprintf(k, sizeof(k), "%s_b64", key);
		if (member(e, k, 2) != 0)
			return 0;
	} else {
		if (member(e, NULL, 10) != 0)
			return 0;
		put(e, "{\"b64\":", 7);
	}
	room = e->cap - e->len - (key == NULL ? 3 : 2);
	n = len;
	if ((n + 2) / 3 * 4 > room) {
		n = room / 4 * 3;
		e->truncated = 1;
	}
	put(e, "\"", 1);
	if (mbedtls_base64_encode((unsigned char *)e->buf + e->len,
	    e->cap - e->len, &olen, p, n) == 0)
		e->len += olen;
	else
		n = 0;
	put(e, "\"", 1);
	if (key == NULL)
		put(e, "}", 1);
	return n;
}

void
event_str(struct event *e, const char *key, const char *s)
{
	if (s == NULL)
		event_null(e, key);
	else
		event_bytes(e, key, s, strlen(s));
}

void
event_int(struct event *e, const char *key, int64_t v)
{
	char b[32];

	snprintf(b, sizeof(b), "%lld", (long long)v);
	member_raw(e, key, b);
}

void
event_num(struct event *e, const char *key, double v)
{
	char b[40];

	if (!isfinite(v)) {
		event_null(e, key);
		return;
	}
	snprintf(b, sizeof(b), "%.15g", v);
	member_raw(e, key, b);
}

void
event_bool(struct event *e, const char *key, int v)
{
	member_raw(e, key, v ? "true" : "false");
}

void
event_null(struct event *e, const char *key)
{
	member_raw(e, key, "null");
}

void
event_time(struct event *e, const char *key, double ts)
{
	time_t sec = (time_t)floor(ts);
	long usec = lround((ts - floor(ts)) * 1e6);
	struct tm tm;
	char b[96];

	if (usec > 999999)
		usec = 999999;
	if (gmtime_r(&sec, &tm) == NULL) {
		event_null(e, key);
		return;
	}
	snprintf(b, sizeof(b), "\"%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ\"",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, usec);
	member_raw(e, key, b);
}

void
event_open(struct event *e, const char *key, int array)
{
	/* Inside a container that did not fit, or this one does not fit
	 * (its closer is within the reserve): skipped with what it holds. */
	if (e->dead > 0 || member(e, key, 1) != 0) {
		e->dead++;
		e->truncated = 1;
		return;
	}
	if (e->depth >= EVENT_DEPTH)
		abort();
	put(e, array ? "[" : "{", 1);
	e->depth++;
	e->first[e->depth] = 1;
	e->closer[e->depth] = array ? ']' : '}';
}

void
event_close(struct event *e)
{
	char c[2] = { 0, 0 };

	if (e->dead > 0) {
		e->dead--;
		return;
	}
	if (e->depth == 0)
		abort();
	c[0] = e->closer[e->depth--];
	put_end(e, c);
}

size_t
event_end(struct event *e)
{
	e->dead = 0;
	while (e->depth > 0)
		event_close(e);
	e->cap = sizeof(e->buf);
	if (e->truncated)
		put_end(e, ",\"truncated\":true");
	put_end(e, "}");
	return e->len;
}
