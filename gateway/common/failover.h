/*
 * failover.h: the pure decisions of failover, shared by gatewayd (its
 * management servers) and gw-agent (its gateways).  No I/O, no clock, no
 * randomness of its own: every function takes the time ("now", seconds on
 * any monotonic scale) and random numbers as arguments, so the unit tests
 * drive it with a fake clock.
 *
 * A peer's health is an explicit state:
 *   UNKNOWN --connected--> UP --failure(reason)--> DOWN --connected--> UP
 * A DOWN peer may be tried again at retry_at: exponential backoff with
 * full jitter, uniform in [0, min(backoff_max, backoff_min * 2^(n-1))]
 * after the n-th failure in a row.  Peers are listed in priority order;
 * the active one is the first that may be tried, and fail-back moves to a
 * better peer once it has been UP for hold_down seconds.
 */
#ifndef GW_FAILOVER_H
#define GW_FAILOVER_H

#include <stddef.h>
#include <stdint.h>

enum fo_health { FO_UNKNOWN, FO_UP, FO_DOWN };

/* Why a peer went down. */
enum fo_reason {
	FO_R_NONE,
	FO_R_REFUSED,		/* connect() refused or unreachable */
	FO_R_CONNECT_TIMEOUT,	/* connect or TLS handshake too slow */
	FO_R_TLS,		/* TLS handshake or record failure */
	FO_R_HEARTBEAT,		/* heartbeats missed: hung */
	FO_R_GOAWAY,		/* the peer is draining */
	FO_R_PROTOCOL,		/* the peer broke the protocol */
	FO_R_CLOSED,		/* the connection ended otherwise */
	FO_R_UPSTREAM_LOST,	/* a gateway cut off from its servers */
	FO_R_MAX
};

struct fo_policy {
	double		backoff_min;	/* first retry ceiling, seconds */
	double		backoff_max;	/* cap of the ceiling */
	double		hold_down;	/* fail-back after UP this long; <0 off */
	double		hb_interval;	/* PING after this much silence */
	unsigned	hb_misses;	/* dead after hb_interval * hb_misses */
};

/*
 * The longest rest of a peer that keeps saying it is cut off (fo_down,
 * FO_R_UPSTREAM_LOST), in seconds, unless backoff_max is longer.
 */
#define FO_LOST_REST_MAX	60.0

struct fo_peer {
	enum fo_health	 health;
	enum fo_reason	 reason;	/* of the last failure */
	double		 since;		/* health changed at */
	double		 retry_at;	/* DOWN: earliest next attempt */
	unsigned	 fails;		/* failures in a row */
	uint64_t	 ups;		/* counters */
	uint64_t	 downs[FO_R_MAX];
};

/* Heartbeat of one connection. */
struct fo_heartbeat {
	double		last_rx;	/* last frame received */
	double		last_ping;	/* last PING sent */
	double		first_ping;	/* first PING since last_rx; 0: none */
};

enum fo_hb_action { FO_HB_WAIT, FO_HB_PING, FO_HB_DEAD };

/*
 * Cut off: a gateway with no ready link for the grace period.  One for
 * the whole gateway, driven by its tick:
 *   CONNECTED --no ready link--> GRACE --grace passed--> CUT_OFF
 *   GRACE or CUT_OFF --a ready link--> CONNECTED
 * It starts in GRACE: a gateway that never reaches a server is cut off.
 */
enum fo_grace_state { FO_GRACE_CONNECTED, FO_GRACE_WAIT, FO_GRACE_CUT_OFF };

/* What fo_grace_check says changed. */
enum fo_grace_event {
	FO_GRACE_NONE, FO_GRACE_CUT, FO_GRACE_BACK,
	FO_GRACE_OFF		/* cut off, and a reload made grace 0 */
};

struct fo_grace {
	enum fo_grace_state	 state;
	double			 since;	/* no ready link since (WAIT, CUT_OFF) */
};

/**
 * fo_policy_init(pol, backoff_min, backoff_max, hold_down, hb_interval,
 *     hb_misses): fill ${pol} with these timings (see struct fo_policy).
 */
void fo_policy_init(struct fo_policy *pol, double backoff_min,
    double backoff_max, double hold_down, double hb_interval,
    unsigned hb_misses);

/**
 * fo_policy_heartbeat(pol, ours, theirs): the PING interval of ${pol} for
 * a new connection: ${ours}, or the peer's ${theirs} (seconds) if that is
 * above 0 and shorter.
 */
void fo_policy_heartbeat(struct fo_policy *pol, double ours, double theirs);

/** fo_health_str(h), fo_reason_str(r): "up", "heartbeat-missed", ... */
const char *fo_health_str(enum fo_health h);
const char *fo_reason_str(enum fo_reason r);

/** fo_peer_init(p, now): a peer never tried: UNKNOWN, may be tried. */
void fo_peer_init(struct fo_peer *p, double now);

/** fo_up(p, now): a connection to ${p} completed its HELLO. */
void fo_up(struct fo_peer *p, double now);

/**
 * fo_down(p, reason, now, pol, rnd): a connection to ${p} failed for
 * ${reason}; schedule the next attempt with ${rnd} (uniform 32 bits).
 * FO_R_UPSTREAM_LOST (a peer that said it is cut off, and stays so for
 * seconds) is not tried again for backoff_max / 2 to backoff_max.
 */
void fo_down(struct fo_peer *p, enum fo_reason reason, double now,
    const struct fo_policy *pol, uint32_t rnd);

/**
 * fo_backoff(pol, fails, rnd): the delay after ${fails} failures in a row:
 * uniform (by ${rnd}) in [0, min(backoff_max, backoff_min * 2^(fails-1))].
 */
double fo_backoff(const struct fo_policy *pol, unsigned fails, uint32_t rnd);

/** fo_may_try(p, now): 1 if ${p} is not DOWN or its backoff has passed. */
int fo_may_try(const struct fo_peer *p, double now);

/**
 * fo_choose(v, n, now): the first of the ${n} peers (priority order) that
 * may be tried now, or -1 if none may (see fo_next_retry).
 */
int fo_choose(const struct fo_peer *v, size_t n, double now);

/** fo_next_retry(v, n): the earliest retry_at of the ${n} peers. */
double fo_next_retry(const struct fo_peer *v, size_t n);

/**
 * fo_failback(v, active, now, pol): the best peer before ${active} that
 * has been UP for at least hold_down, or -1 (none, or fail-back off).
 */
int fo_failback(const struct fo_peer *v, int active, double now,
    const struct fo_policy *pol);

/** fo_hb_start(hb, now): a connection is up; hb_rx(hb, now): a frame. */
void fo_hb_start(struct fo_heartbeat *hb, double now);
void fo_hb_rx(struct fo_heartbeat *hb, double now);

/**
 * fo_hb_check(hb, now, pol): DEAD after hb_interval * hb_misses without a
 * frame, once a PING has had hb_interval * (hb_misses - 1) to be
 * answered (a loop that was late asks before it gives up); PING (and
 * remember it) after hb_interval without a frame or a PING; else WAIT.
 */
enum fo_hb_action fo_hb_check(struct fo_heartbeat *hb, double now,
    const struct fo_policy *pol);

/** fo_hb_due(hb, pol): when fo_hb_check next has something to do. */
double fo_hb_due(const struct fo_heartbeat *hb, const struct fo_policy *pol);

/** fo_grace_init(g, now): no link yet: GRACE since ${now}. */
void fo_grace_init(struct fo_grace *g, double now);

/**
 * fo_grace_check(g, ready, now, grace): ${ready} is 1 if a link is ready
 * now.  Return FO_GRACE_CUT when there has been none for ${grace} seconds
 * (never if ${grace} <= 0), FO_GRACE_BACK when one is ready again after
 * that, FO_GRACE_OFF when still none but ${grace} became <= 0 (a reload:
 * "never" ends the cut-off), else FO_GRACE_NONE.
 */
enum fo_grace_event fo_grace_check(struct fo_grace *g, int ready, double now,
    double grace);

#endif /* GW_FAILOVER_H */
