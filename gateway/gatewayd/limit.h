/*
 * limit.h: the session limits of gatewayd, counted, and logged once per
 * interval (event=limit_hit), never once per event: a flood of silent
 * connections costs one line every LIMIT_LOG_EVERY seconds, not one per
 * connection.  The totals are logged at exit (event=limit_totals).
 */
#ifndef GW_LIMIT_H
#define GW_LIMIT_H

#include <stdint.h>
#include <ev.h>

#define LIMIT_LOG_EVERY	10.0	/* seconds between limit_hit lines */

enum limit {
	LIMIT_HANDSHAKE_TIMEOUT,	/* handshake_timeout */
	LIMIT_HELLO_TIMEOUT,		/* hello_timeout */
	LIMIT_IDLE_TIMEOUT,		/* idle_timeout */
	LIMIT_FRAME_SIZE,		/* max_payload: a frame too big */
	LIMIT_AGENT_OUTPUT,		/* output buffer: agent does not read */
	LIMIT_AGENT_WINDOW,		/* agent_window: DATA without credit */
	LIMIT_BUFFER_BUDGET,		/* buffer_budget: credit withheld */
	LIMIT_FIRST_BYTE_TIMEOUT,	/* first_byte_timeout: never spoke */
	LIMIT_COUNT
};

#define LIMITS_MAGIC	0x4c6d7473u	/* "Lmts" */

struct limits {
	unsigned	 magic;		/* LIMITS_MAGIC */
	struct ev_loop	*loop;
	uint64_t	 total[LIMIT_COUNT];
	uint64_t	 logged[LIMIT_COUNT];	/* total at the last line */
	ev_tstamp	 last[LIMIT_COUNT];	/* time of the last line */
	ev_timer	 flush;		/* logs what the interval still holds */
};

/** limit_name(i): "handshake_timeout", ... (the config key it counts). */
const char *limit_name(enum limit i);

/** limits_init(l, loop): no hits yet. */
void limits_init(struct limits *l, struct ev_loop *loop);

/**
 * limit_hit(l, which): count one hit of ${which}; log it at once if the
 * last line for it is an interval old, else at the end of the interval.
 */
void limit_hit(struct limits *l, enum limit which);

/** limits_stop(l): log what is pending and the totals; stop the timer. */
void limits_stop(struct limits *l);

#endif /* GW_LIMIT_H */
