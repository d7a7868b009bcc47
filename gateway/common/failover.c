/*
 * failover.c: the pure decisions of failover (see failover.h).
 */
#include <string.h>

#include "failover.h"

/** fo_health_str(h), fo_reason_str(r): "up", "heartbeat-missed", ... */
const char *
fo_health_str(enum fo_health h)
{
	static const char *const names[] = { "unknown", "up", "down" };

	return (unsigned)h < 3 ? names[h] : "?";
}

const char *
fo_reason_str(enum fo_reason r)
{
	static const char *const names[] = {
		"none", "connect-refused", "connect-timeout", "tls-failure",
		"heartbeat-missed", "goaway", "protocol-error", "closed",
		"upstream-lost"
	};

	return (unsigned)r < FO_R_MAX ? names[r] : "?";
}

/* A peer is born FO_UNKNOWN: fo_peer_init zeroes it. */
_Static_assert(FO_UNKNOWN == 0, "FO_UNKNOWN starts zeroed");

/** fo_peer_init(p, now): a peer never tried: UNKNOWN, may be tried. */
void
fo_peer_init(struct fo_peer *p, double now)
{
	memset(p, 0, sizeof(*p));
	p->since = now;
	p->retry_at = now;
}

/*
 * The one place that changes ${p}'s health: to ${h} at ${now}; 1 if it
 * changed, 0 if it already was ${h}.
 */
static int
fo_set_health(struct fo_peer *p, enum fo_health h, double now)
{
	if (p->health == h)
		return 0;
	p->health = h;
	p->since = now;
	return 1;
}

/** fo_up(p, now): a connection to ${p} completed its HELLO. */
void
fo_up(struct fo_peer *p, double now)
{
	if (fo_set_health(p, FO_UP, now))
		p->ups++;
	p->fails = 0;
	p->reason = FO_R_NONE;
	p->retry_at = now;
}

/**
 * fo_policy_init(pol, backoff_min, backoff_max, hold_down, hb_interval,
 *     hb_misses): fill ${pol} with these timings (see struct fo_policy).
 */
void
fo_policy_init(struct fo_policy *pol, double backoff_min,
    double backoff_max, double hold_down, double hb_interval,
    unsigned hb_misses)
{
	pol->backoff_min = backoff_min;
	pol->backoff_max = backoff_max;
	pol->hold_down = hold_down;
	pol->hb_interval = hb_interval;
	pol->hb_misses = hb_misses;
}

/**
 * fo_policy_heartbeat(pol, ours, theirs): the PING interval of ${pol} for
 * a new connection: ${ours}, or the peer's ${theirs} (seconds) if that is
 * above 0 and shorter.
 */
void
fo_policy_heartbeat(struct fo_policy *pol, double ours, double theirs)
{
	pol->hb_interval = ours;
	if (theirs > 0 && theirs < ours)
		pol->hb_interval = theirs;
}

/**
 * fo_backoff(pol, fails, rnd): the delay after ${fails} failures in a row:
 * uniform (by ${rnd}) in [0, min(backoff_max, backoff_min * 2^(fails-1))].
 */
double
fo_backoff(const struct fo_policy *pol, unsigned fails, uint32_t rnd)
{
	double ceiling = pol->backoff_min;

	for (unsigned i = 1; i < fails && ceiling < pol->backoff_max; i++)
		ceiling *= 2;
	if (ceiling > pol->backoff_max)
		ceiling = pol->backoff_max;
	return ceiling * ((double)rnd / 4294967296.0);
}

/**
 * fo_down(p, reason, now, pol, rnd): a connection to ${p} failed for
 * ${reason}; schedule the next attempt with ${rnd} (uniform 32 bits).
 * FO_R_UPSTREAM_LOST (a peer that said it is cut off, and stays so for
 * seconds) is not tried again for half to all of backoff_max doubled at
 * each failure in a row (1: backoff_max), at most FO_LOST_REST_MAX: a
 * fleet whose every gateway is cut off (its servers down) does not
 * reconnect to them in a loop.
 */
void
fo_down(struct fo_peer *p, enum fo_reason reason, double now,
    const struct fo_policy *pol, uint32_t rnd)
{
	(void)fo_set_health(p, FO_DOWN, now);
	if ((unsigned)reason >= FO_R_MAX)
		reason = FO_R_CLOSED;
	p->reason = reason;
	p->downs[reason]++;
	p->fails++;
	if (reason == FO_R_UPSTREAM_LOST) {
		double rest = pol->backoff_max;

		for (unsigned i = 1; i < p->fails && rest < FO_LOST_REST_MAX;
		    i++)
			rest *= 2;
		if (rest > FO_LOST_REST_MAX && pol->backoff_max <
		    FO_LOST_REST_MAX)
			rest = FO_LOST_REST_MAX;
		p->retry_at = now + rest *
		    (0.5 + (double)rnd / 8589934592.0);	/* 2^33 */
	} else
		p->retry_at = now + fo_backoff(pol, p->fails, rnd);
}

/** fo_may_try(p, now): 1 if ${p} is not DOWN or its backoff has passed. */
int
fo_may_try(const struct fo_peer *p, double now)
{
	return p->health != FO_DOWN || now >= p->retry_at;
}

/**
 * fo_choose(v, n, now): the first of the ${n} peers (priority order) that
 * may be tried now, or -1 if none may (see fo_next_retry).
 */
int
fo_choose(const struct fo_peer *v, size_t n, double now)
{
	for (size_t i = 0; i < n; i++)
		if (fo_may_try(&v[i], now))
			return (int)i;
	return -1;
}

/** fo_next_retry(v, n): the earliest retry_at of the ${n} peers. */
double
fo_next_retry(const struct fo_peer *v, size_t n)
{
	double t = 0;

	for (size_t i = 0; i < n; i++)
		if (i == 0 || v[i].retry_at < t)
			t = v[i].retry_at;
	return t;
}

/**
 * fo_failback(v, active, now, pol): the best peer before ${active} that
 * has been UP for at least hold_down, or -1 (none, or fail-back off).
 */
int
fo_failback(const struct fo_peer *v, int active, double now,
    const struct fo_policy *pol)
{
	if (pol->hold_down < 0)
		return -1;
	for (int i = 0; i < active; i++)
		if (v[i].health == FO_UP && now - v[i].since >= pol->hold_down)
			return i;
	return -1;
}

/** fo_hb_start(hb, now): a connection is up; hb_rx(hb, now): a frame. */
void
fo_hb_start(struct fo_heartbeat *hb, double now)
{
	hb->last_rx = now;
	hb->last_ping = now;
	hb->first_ping = 0;
}

void
fo_hb_rx(struct fo_heartbeat *hb, double now)
{
	hb->last_rx = now;
	hb->first_ping = 0;
}

/* When ${hb}'s peer is dead if nothing comes: 0 if no PING is out. */
static double
fo_hb_dead_at(const struct fo_heartbeat *hb, const struct fo_policy *pol)
{
	double silent = hb->last_rx + pol->hb_interval * pol->hb_misses;
	double asked = hb->first_ping + pol->hb_interval * (pol->hb_misses - 1);

	if (hb->first_ping <= 0)
		return 0;
	return silent > asked ? silent : asked;
}

/**
 * fo_hb_check(hb, now, pol): DEAD after hb_interval * hb_misses without a
 * frame, once a PING has had hb_interval * (hb_misses - 1) to be
 * answered: a loop that was late (a stopped process, a long iteration)
 * asks the peer before it gives up on it; PING (and remember it) after
 * hb_interval without a frame or a PING; else WAIT.
 */
enum fo_hb_action
fo_hb_check(struct fo_heartbeat *hb, double now, const struct fo_policy *pol)
{
	double dead = fo_hb_dead_at(hb, pol);

	if (dead > 0 && now >= dead)
		return FO_HB_DEAD;
	if (now - hb->last_rx >= pol->hb_interval &&
	    now - hb->last_ping >= pol->hb_interval) {
		hb->last_ping = now;
		if (hb->first_ping <= 0)
			hb->first_ping = now;
		return FO_HB_PING;
	}
	return FO_HB_WAIT;
}

/** fo_hb_due(hb, pol): when fo_hb_check next has something to do. */
double
fo_hb_due(const struct fo_heartbeat *hb, const struct fo_policy *pol)
{
	double dead = fo_hb_dead_at(hb, pol);
	double ping = (hb->last_rx > hb->last_ping ? hb->last_rx :
	    hb->last_ping) + pol->hb_interval;

	return dead > 0 && dead < ping ? dead : ping;
}

/* The one place that changes ${g}'s state: to ${st}, since ${now}. */
static void
fo_grace_set(struct fo_grace *g, enum fo_grace_state st, double now)
{
	if (st == FO_GRACE_WAIT)
		g->since = now;
	g->state = st;
}

/** fo_grace_init(g, now): no link yet: GRACE since ${now}. */
void
fo_grace_init(struct fo_grace *g, double now)
{
	fo_grace_set(g, FO_GRACE_WAIT, now);
}

/**
 * fo_grace_check(g, ready, now, grace): ${ready} is 1 if a link is ready
 * now.  Return FO_GRACE_CUT when there has been none for ${grace} seconds
 * (never if ${grace} <= 0), FO_GRACE_BACK when one is ready again after
 * that, FO_GRACE_OFF when still none but ${grace} became <= 0 (a reload:
 * "never" ends the cut-off), else FO_GRACE_NONE.
 */
enum fo_grace_event
fo_grace_check(struct fo_grace *g, int ready, double now, double grace)
{
	enum fo_grace_state was = g->state;

	if (ready) {
		fo_grace_set(g, FO_GRACE_CONNECTED, now);
		return was == FO_GRACE_CUT_OFF ? FO_GRACE_BACK : FO_GRACE_NONE;
	}
	if (was == FO_GRACE_CUT_OFF && grace <= 0) {
		fo_grace_set(g, FO_GRACE_WAIT, now);
		return FO_GRACE_OFF;
	}
	if (was == FO_GRACE_CONNECTED)
		fo_grace_set(g, FO_GRACE_WAIT, now);
	else if (was == FO_GRACE_WAIT && grace > 0 && now - g->since >= grace) {
		fo_grace_set(g, FO_GRACE_CUT_OFF, now);
		return FO_GRACE_CUT;
	}
	return FO_GRACE_NONE;
}
