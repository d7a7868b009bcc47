/*
 * servers.c: the failover controller of gatewayd.  The management servers
 * are listed in priority order, each with an explicit health (failover.c:
 * unknown/up/down, the reason of its last failure, backoff, counters).
 * All K links go to one server, the active one:
 *  - a link failure blames its server (down, with backoff) and, if it was
 *    the active one, fails over at once to the first server that may be
 *    tried: a refused connection moves on within one connect attempt;
 *  - a 100 ms tick runs the heartbeats of every link, reconnects idle
 *    links, and keeps one spare link: to a better server than the active
 *    one if there is one (once that server has been up for failback_hold,
 *    every link moves back to it: fail-back), else to the next server, a
 *    warm standby that carries the channels at once after a failover,
 *    before the new links have finished their handshakes.
 * Channels of a link that goes away are closed with upstream-lost: agents
 * reconnect and resend what was not acknowledged.  With no ready link for
 * upstream_grace (failover.c: fo_grace), the gateway is cut off: its
 * agents get GOAWAY upstream-lost and go to another gateway, new ones are
 * refused (agent_cut_off), until a link is ready again.
 *
 * [upstream] mode = accept: the servers dial in (srvaccept.c) and each
 * link is one its server dialed (servers_take), kept in a pool of
 * GW_MAX_SERVERS * connections, at most `connections` per server.  The
 * same choices by rank: the active server is the first with a READY link
 * (one with none is unreachable); when it has none left, every channel
 * moves to the next such (failover); a better one READY for failback_hold
 * takes them back (fail-back: the old server's links drain, and it dials
 * them again).  The links of the other servers are their standbys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "conn.h"
#include "enroll.h"
#include "log.h"
#include "servers.h"
#include "upstream.h"

#define SERVERS_TICK	0.1	/* seconds */
#define SERVERS_MAGIC	0x53727673u	/* "Srvs" */

/* servers.c's part of struct gw (gw->servers). */
struct servers {
	unsigned		 magic;		/* SERVERS_MAGIC */
	struct gw		*gw;
	struct fo_peer		 srv[GW_MAX_SERVERS];	/* priority order */
	unsigned		 nsrv;
	int			 active;	/* the links' server, or -1 */
	struct upstream		*probe;		/* checks a better server */
	struct fo_policy	 fo;
	ev_timer		 tick;
	double			 failover_at;	/* last failover, until an
						   ACK */
	unsigned		 next_up;	/* servers_pick's round-robin */
	struct fo_grace		 grace;		/* cut off from every server? */
};

/* ${gw}'s part, checked: or abort (a bug). */
static struct servers *
servers_of(const struct gw *gw)
{
	struct servers *s = gw->servers;

	if (s == NULL || s->magic != SERVERS_MAGIC)
		abort();
	return s;
}

static uint32_t
servers_rnd(void)
{
	return (uint32_t)random() ^ ((uint32_t)random() << 16);
}

static const char *
srv_addr(const struct gw *gw, int i)
{
	return i >= 0 ? gw->cfg->servers[i] : "-";
}

/*
 * Accept mode: the links of the other servers are their standbys and
 * stay; those of the old active server ${from} that still carry channels
 * drain (fail-back), or are on their way down (failover: none is READY).
 */
static void
servers_switch_accept(struct gw *gw, int from, const char *detail,
    int drain)
{
	if (drain && from >= 0)
		for (unsigned i = 0; i < gw->nup; i++)
			if (upstream_server(gw->up[i]) == from &&
			    upstream_state(gw->up[i]) == UP_READY &&
			    !upstream_draining(gw->up[i]))
				upstream_drain(gw->up[i], detail);
	agent_adopt_all(gw);	/* the new server has a READY link */
}

/*
 * Make ${to} the active server.  Links elsewhere are drained (a planned
 * move: fail-back) or dropped (their server failed).
 */
static void
servers_switch(struct gw *gw, int to, const char *why, int drain)
{
	struct servers *s = servers_of(gw);
	int from = s->active;
	char detail[96];

	if (to == from)
		return;
	if (from < 0)
		log_info("event=server_selected server=%s", srv_addr(gw, to));
	else
		log_warnx("event=%s from=%s to=%s reason=%s", to < from ?
		    "failback" : "failover", srv_addr(gw, from),
		    srv_addr(gw, to), why);
	if (from >= 0) {
		if (to > from)
			s->failover_at = ev_now(gw->loop);
		stats_move(&gw->stats, to < from, ev_now(gw->loop));
	}
	s->active = to;
	snprintf(detail, sizeof(detail), "moving to server %s",
	    srv_addr(gw, to));
	if (gw->cfg->up_accept) {
		servers_switch_accept(gw, from, detail, drain);
		return;
	}
	/* (A link already draining is on its way out: let it finish.) */
	for (unsigned i = 0; i < gw->nup; i++)
		if (upstream_server(gw->up[i]) != to &&
		    !upstream_draining(gw->up[i]))
			(drain ? upstream_drain : upstream_drop)(gw->up[i],
			    detail);
	if (s->probe != NULL && upstream_server(s->probe) != to &&
	    !upstream_draining(s->probe))
		(drain ? upstream_drain : upstream_drop)(s->probe, detail);
	/* A warm spare on the new server takes the channels at once. */
	if (s->probe != NULL && upstream_state(s->probe) == UP_READY)
		agent_adopt_all(gw);
}

/* Accept mode: the first server (by rank) with a READY link, or -1. */
static int
servers_first_ready(const struct gw *gw, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (upstream_pick(gw->up, gw->nup, 0, (int)i) != NULL)
			return (int)i;
	return -1;
}

/*
 * Accept mode: while the active server has a READY link, it stays (a
 * better one comes back by fail-back, servers_spare); else the first
 * server with one takes over (failover; nothing to do if none has).
 */
static void
servers_choose_accept(struct gw *gw)
{
	struct servers *s = servers_of(gw);
	int best;

	if (s->active >= 0 &&
	    upstream_pick(gw->up, gw->nup, 0, s->active) != NULL)
		return;
	if ((best = servers_first_ready(gw, s->nsrv)) < 0)
		return;
	servers_switch(gw, best, s->active < 0 ? "start" :
	    s->srv[s->active].health == FO_DOWN ?
	    fo_reason_str(s->srv[s->active].reason) : "unreachable", 0);
}

/* Connect every idle link to the active server, if it may be tried. */
static void
servers_connect(struct gw *gw)
{
	struct servers *s = servers_of(gw);
	double now = ev_now(gw->loop);
	int best;

	if (gw->cfg->up_accept) {
		servers_choose_accept(gw);
		return;
	}
	if (s->active < 0 || !fo_may_try(&s->srv[s->active], now)) {
		if ((best = fo_choose(s->srv, s->nsrv, now)) < 0)
			return;		/* all in backoff: the tick retries */
		servers_switch(gw, best, s->active < 0 ? "start" :
		    fo_reason_str(s->srv[s->active].reason), 0);
	}
	for (unsigned i = 0; i < gw->nup; i++)
		if (upstream_state(gw->up[i]) == UP_IDLE)
			upstream_connect(gw->up[i], s->active);
}

/*
 * Accept mode: fail back to the best server before the active one that has
 * been up for the hold-down and has a READY link now (its links are its
 * own standbys: no spare).
 */
static void
servers_failback_accept(struct gw *gw, double now)
{
	struct servers *s = servers_of(gw);

	if (!gw->cfg->failback)
		return;
	for (int i = 0; i < s->active; i++)
		if (s->srv[i].health == FO_UP &&
		    now - s->srv[i].since >= s->fo.hold_down &&
		    upstream_pick(gw->up, gw->nup, 0, i) != NULL) {
			servers_switch(gw, i, "healthy-for-hold-down", 1);
			return;
		}
}

/*
 * Fail back once a better server has been up for the hold-down; keep the
 * spare link on the best server that is not the active one.
 */
static void
servers_spare(struct gw *gw, double now)
{
	struct servers *s = servers_of(gw);
	int i = -1, better = -1;

	if (s->active < 0)
		return;
	if (gw->cfg->up_accept) {
		servers_failback_accept(gw, now);
		return;
	}
	/*
	 * The spare carried the channels through a failover; once every
	 * link is up, hand them over and go back to being the spare.
	 */
	if (upstream_server(s->probe) == s->active &&
	    upstream_state(s->probe) == UP_READY) {
		for (unsigned j = 0; j < gw->nup; j++)
			if (upstream_state(gw->up[j]) != UP_READY)
				return;
		upstream_drain(s->probe, "links ready: spare released");
		return;
	}
	if (gw->cfg->failback && s->active > 0) {
		if ((better = fo_failback(s->srv, s->active, now,
		    &s->fo)) >= 0) {
			servers_switch(gw, better, "healthy-for-hold-down", 1);
			return;
		}
		i = fo_choose(s->srv, (size_t)s->active, now);
	}
	if (i < 0)	/* none better: a standby after the active one */
		for (unsigned j = (unsigned)s->active + 1; j < s->nsrv; j++)
			if (fo_may_try(&s->srv[j], now)) {
				i = (int)j;
				break;
			}
	if (i >= 0 && upstream_state(s->probe) == UP_IDLE)
		upstream_connect(s->probe, i);
}

/**
 * servers_serving(gw): 1 if a link to the active server is READY (one of
 * the K, or the spare that carries the channels after a failover): the
 * gateway can take agents.  What the cut-off (upstream_grace) and
 * /healthz both ask.
 */
int
servers_serving(const struct gw *gw)
{
	struct servers *s = servers_of(gw);

	return upstream_pick(gw->up, gw->nup, 0, s->active) != NULL ||
	    (s->probe != NULL && upstream_pick(&s->probe, 1, 0, s->active) !=
	    NULL);
}

/*
 * No link ready for upstream_grace: the gateway is cut off, its agents are
 * sent elsewhere and new ones refused; a ready link ends it.
 */
static void
servers_grace(struct gw *gw, double now)
{
	struct servers *s = servers_of(gw);
	int ready = servers_serving(gw);
	double since = s->grace.since;

	switch (fo_grace_check(&s->grace, ready, now,
	    gw->cfg->upstream_grace)) {
	case FO_GRACE_CUT:
		log_warnx("event=upstream_cut_off no_link_ms=%.0f agents=%u",
		    (now - since) * 1000, agent_counts(gw)->agents);
		agent_cut_off(gw, 1);
		break;
	case FO_GRACE_BACK:
		log_info("event=upstream_back server=%s cut_off_ms=%.0f",
		    srv_addr(gw, s->active), (now - since) * 1000);
		agent_cut_off(gw, 0);
		break;
	case FO_GRACE_OFF:
		log_info("event=upstream_cut_off_ended reason=\"upstream_grace "
		    "is 0 (never)\" cut_off_ms=%.0f", (now - since) * 1000);
		agent_cut_off(gw, 0);
		break;
	case FO_GRACE_NONE:
		break;
	}
}

static void
servers_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct gw *gw = gw_of(w->data);
	double now = ev_now(loop);

	(void)revents;
	servers_heartbeat(gw, now);
	servers_connect(gw);
	servers_spare(gw, now);
	/* No session waits for a link while one is ready. */
	agent_adopt_all(gw);
	servers_grace(gw, now);
}

/**
 * servers_heartbeat(gw, now): run the heartbeat of every link and of the
 * spare (upstream_heartbeat, under the failover timings).
 */
void
servers_heartbeat(struct gw *gw, double now)
{
	struct servers *s = servers_of(gw);

	for (unsigned i = 0; i < gw->nup; i++)
		upstream_heartbeat(gw->up[i], now, &s->fo);
	upstream_heartbeat(s->probe, now, &s->fo);
}

/**
 * servers_pick(gw): the READY link to the active server with the fewest
 * channels (ties go round the links), else the spare if it is READY on
 * the active server; NULL if none.  main.c makes it gw->pick_link.
 */
struct upstream *
servers_pick(struct gw *gw)
{
	struct servers *s = servers_of(gw);
	struct upstream *u;

	u = upstream_pick(gw->up, gw->nup, s->next_up++, s->active);
	/* The spare on the active server serves while no link is ready. */
	if (u == NULL && s->probe != NULL)
		u = upstream_pick(&s->probe, 1, 0, s->active);
	return u;
}

/** servers_active(gw): the links' server (its index), or -1. */
int
servers_active(const struct gw *gw)
{
	return servers_of(gw)->active;
}

/**
 * servers_peers(gw, n): the servers' health, in priority order; their
 * number goes to ${n}.
 */
const struct fo_peer *
servers_peers(const struct gw *gw, unsigned *n)
{
	const struct servers *s = servers_of(gw);

	*n = s->nsrv;
	return s->srv;
}

/* The failover timings of the configuration. */
static void
servers_policy(struct servers *s, const struct gw_config *cfg)
{
	fo_policy_init(&s->fo, cfg->backoff_min, cfg->backoff_max,
	    cfg->failback ? cfg->failback_hold : -1, cfg->up_heartbeat,
	    cfg->up_heartbeat_misses);
}

/* What the links tell servers.c (and enroll.c): upstream_ops. */
static void
servers_on_ready(struct upstream *u, void *arg)
{
	servers_link_up(gw_of(arg), u);
}

static void
servers_on_down(struct upstream *u, enum fo_reason why, void *arg)
{
	struct gw *gw = gw_of(arg);

	enroll_link_down(gw, u);
	if (upstream_state(u) == UP_IDLE)
		servers_link_down(gw, u, why);
}

static void
servers_on_ack_seen(struct upstream *u, void *arg)
{
	servers_ack_seen(gw_of(arg), u);
}

static void
servers_on_enroll_result(struct upstream *u, const struct gw_frame *f,
    void *arg)
{
	enroll_result(gw_of(arg), u, f);
}

static const struct upstream_ops servers_up_ops = {
	.on_ready = servers_on_ready,
	.on_down = servers_on_down,
	.on_ack_seen = servers_on_ack_seen,
	.on_enroll_result = servers_on_enroll_result,
};

/**
 * servers_new(gw): the servers of ${gw}'s configuration, the spare link,
 * the tick timer; it owns the links of gw->up from now on (their
 * upstream_ops).  The caller keeps it as gw->servers.  NULL on ENOMEM.
 */
struct servers *
servers_new(struct gw *gw)
{
	double now = ev_now(gw->loop);
	struct servers *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((s->probe = upstream_new(gw, 0, 1)) == NULL) {
		free(s);
		return NULL;
	}
	s->magic = SERVERS_MAGIC;
	s->gw = gw;
	s->nsrv = gw->cfg->nservers;
	for (unsigned i = 0; i < s->nsrv; i++)
		fo_peer_init(&s->srv[i], now);
	s->active = -1;
	fo_grace_init(&s->grace, now);
	servers_policy(s, gw->cfg);
	for (unsigned i = 0; i < gw->nup; i++)
		upstream_set_ops(gw->up[i], &servers_up_ops, gw);
	upstream_set_ops(s->probe, &servers_up_ops, gw);
	ev_timer_init(&s->tick, servers_tick, SERVERS_TICK, SERVERS_TICK);
	s->tick.data = gw;
	return s;
}

/** servers_start(gw): choose a server and connect the links. */
void
servers_start(struct gw *gw)
{
	ev_timer_start(gw->loop, &servers_of(gw)->tick);
	servers_connect(gw);	/* accept mode: nothing until one dials */
}

/* The link ${u} goes to the server's new number; away if it has none. */
static void
servers_renumber(struct upstream *u, const int *map)
{
	int s = upstream_server(u);

	if (s < 0)
		return;
	upstream_renumber(u, map[s]);
	if (map[s] < 0 && upstream_state(u) != UP_IDLE)
		upstream_drain(u, "server removed from the configuration");
}

/**
 * servers_reload(gw, old): gw->cfg has a new server list; ${old} is the
 * configuration it replaced.  A server that stays keeps its health, its
 * counters and its links, whatever its new rank; a new one starts unknown;
 * the links to a server that was removed are drained (if it was the active
 * one, the best server of the new list takes over).  The failover
 * timings (backoff, heartbeats, hold-down) take their new values.
 */
void
servers_reload(struct gw *gw, const struct gw_config *old)
{
	const struct gw_config *cfg = gw->cfg;
	struct servers *s = servers_of(gw);
	struct fo_peer srv[GW_MAX_SERVERS];
	int map[GW_MAX_SERVERS];	/* old number -> new, or -1 */
	unsigned i, j;

	servers_policy(s, cfg);
	for (i = 0; i < GW_MAX_SERVERS; i++)
		map[i] = -1;
	for (j = 0; j < cfg->nservers; j++) {
		for (i = 0; i < s->nsrv; i++)
			if (strcmp(old->servers[i], cfg->servers[j]) == 0)
				break;
		if (i < s->nsrv) {
			srv[j] = s->srv[i];
			map[i] = (int)j;
			continue;
		}
		fo_peer_init(&srv[j], ev_now(gw->loop));
		log_info("event=server_added server=%s rank=%u",
		    cfg->servers[j], j + 1);
	}
	for (i = 0; i < s->nsrv; i++)
		if (map[i] < 0)
			log_info("event=server_removed server=%s active=%s",
			    old->servers[i], (int)i == s->active ? "yes" :
			    "no");
	s->active = s->active >= 0 ? map[s->active] : -1;
	for (j = 0; j < cfg->nservers; j++)
		s->srv[j] = srv[j];
	s->nsrv = cfg->nservers;
	for (i = 0; i < gw->nup; i++)
		servers_renumber(gw->up[i], map);
	servers_renumber(s->probe, map);
	servers_connect(gw);	/* the active server went: the best one */
}

/**
 * servers_free(s): stop the tick, close the spare link, log each server's
 * counters, free ${s}; servers_free(NULL) is a no-op.
 */
void
servers_free(struct servers *s)
{
	if (s == NULL)
		return;
	ev_timer_stop(s->gw->loop, &s->tick);
	upstream_free(s->probe);
	s->probe = NULL;
	for (unsigned i = 0; i < s->nsrv; i++) {
		const struct fo_peer *p = &s->srv[i];

		log_info("event=server_stats server=%s health=%s ups=%llu "
		    "refused=%llu connect_timeout=%llu tls=%llu heartbeat=%llu "
		    "goaway=%llu protocol=%llu closed=%llu",
		    srv_addr(s->gw, (int)i),
		    fo_health_str(p->health), (unsigned long long)p->ups,
		    (unsigned long long)p->downs[FO_R_REFUSED],
		    (unsigned long long)p->downs[FO_R_CONNECT_TIMEOUT],
		    (unsigned long long)p->downs[FO_R_TLS],
		    (unsigned long long)p->downs[FO_R_HEARTBEAT],
		    (unsigned long long)p->downs[FO_R_GOAWAY],
		    (unsigned long long)p->downs[FO_R_PROTOCOL],
		    (unsigned long long)p->downs[FO_R_CLOSED]);
	}
	s->magic = 0;
	free(s);
}

/**
 * servers_ack_seen(gw, u): an ACK arrived on ${u}: the first one from the
 * new server after a failover ends it (logged with its duration).
 */
void
servers_ack_seen(struct gw *gw, struct upstream *u)
{
	struct servers *s = servers_of(gw);

	if (s->failover_at <= 0 || upstream_server(u) != s->active)
		return;
	log_info("event=failover_first_ack server=%s after_ms=%.0f",
	    srv_addr(gw, s->active),
	    (ev_now(gw->loop) - s->failover_at) * 1000);
	s->failover_at = 0;
}

/** servers_link_up(gw, u): ${u} completed its HELLO. */
void
servers_link_up(struct gw *gw, struct upstream *u)
{
	struct servers *s = servers_of(gw);
	struct fo_peer *p = &s->srv[upstream_server(u)];

	if (p->health != FO_UP)
		log_info("event=server_health server=%s from=%s to=up",
		    srv_addr(gw, upstream_server(u)), fo_health_str(p->health));
	fo_up(p, ev_now(gw->loop));
	if (upstream_server(u) == s->active)
		agent_adopt_all(gw);
	else if (gw->cfg->up_accept)
		servers_choose_accept(gw);	/* none was READY? */
}

/* Accept mode: links of server ${srv} live now (not idle). */
static unsigned
servers_links_of(const struct gw *gw, int srv)
{
	unsigned n = 0;

	for (unsigned i = 0; i < gw->nup; i++)
		n += upstream_server(gw->up[i]) == srv &&
		    upstream_state(gw->up[i]) != UP_IDLE &&
		    upstream_state(gw->up[i]) != UP_STOPPED;
	return n;
}

/*
 * Accept mode: a link of server ${srv} ended for ${why}.  A server is down
 * (unreachable) once it has no link left; the active one without a READY
 * link is replaced by the next that has one.
 */
static void
servers_link_down_accept(struct gw *gw, int srv, enum fo_reason why)
{
	struct servers *s = servers_of(gw);
	struct fo_peer *p = &s->srv[srv];

	if (why != FO_R_NONE && servers_links_of(gw, srv) == 0) {
		fo_down(p, why, ev_now(gw->loop), &s->fo, servers_rnd());
		log_warnx("event=server_health server=%s to=down reason=%s "
		    "detail=\"no link left: it dials again\"",
		    srv_addr(gw, srv), fo_reason_str(why));
	}
	servers_choose_accept(gw);
}

/**
 * servers_take(gw, c, srv): accept mode: server ${srv} dialed in on ${c}
 * (its handshake done, its certificate name checked): an idle link of the
 * pool adopts it, unless ${srv} already has `connections` links (${c} is
 * then closed, the reason logged).  Return 0, or -1 if ${c} was closed.
 */
int
servers_take(struct gw *gw, struct conn *c, int srv)
{
	unsigned have = servers_links_of(gw, srv);

	if (have >= gw->cfg->connections) {
		log_warnx("event=server_link_refused server=%s peer=%s "
		    "reason=\"connections (%u) reached: closing the extra "
		    "link\"", srv_addr(gw, srv), conn_peer(c),
		    gw->cfg->connections);
		conn_close_error(c, GW_R_POLICY, "this server has its %u "
		    "links already", gw->cfg->connections);
		return -1;
	}
	for (unsigned i = 0; i < gw->nup; i++)
		if (upstream_state(gw->up[i]) == UP_IDLE)
			return upstream_adopt(gw->up[i], c, srv);
	/* (The pool holds `connections` for each of GW_MAX_SERVERS.) */
	log_errx("event=bug detail=\"no idle link for server %s\"",
	    srv_addr(gw, srv));
	conn_close(c, GW_R_INTERNAL, "no idle link");
	return -1;
}

/**
 * servers_link_down(gw, u, why): ${u} is idle again; ${why} is what its
 * end says about its server (FO_R_NONE: nothing, we closed it).
 */
void
servers_link_down(struct gw *gw, struct upstream *u, enum fo_reason why)
{
	struct servers *s;
	int srv = upstream_server(u);
	struct fo_peer *p;

	if (gw->stopping || srv < 0)
		return;
	s = servers_of(gw);
	if (gw->cfg->up_accept) {
		servers_link_down_accept(gw, srv, why);
		return;
	}
	if (why != FO_R_NONE) {
		p = &s->srv[srv];
		fo_down(p, why, ev_now(gw->loop), &s->fo, servers_rnd());
		log_warnx("event=server_health server=%s to=down reason=%s "
		    "fails=%u retry_in=%.3f", srv_addr(gw, srv),
		    fo_reason_str(why), p->fails,
		    p->retry_at - ev_now(gw->loop));
		/* The active server failed: move every link at once. */
		if (srv == s->active) {
			int next = fo_choose(s->srv, s->nsrv,
			    ev_now(gw->loop));

			if (next >= 0)
				servers_switch(gw, next, fo_reason_str(why),
				    0);
		}
	}
	if (u != s->probe)
		servers_connect(gw);
}
