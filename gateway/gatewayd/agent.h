/*
 * agent.h: one downstream agent session: mutual-TLS handshake, identity
 * and policy check before any frame is parsed, HELLO, channel opening
 * upstream, DATA relayed up under per-agent credit, ACKs and commands
 * relayed down.  One state machine, one close with a reason.
 */
#ifndef GW_AGENT_H
#define GW_AGENT_H

#include <stdint.h>

#include "gw.h"

enum agent_state {
	AGENT_HANDSHAKE,	/* TLS handshake, certificate verification */
	AGENT_HELLO_WAIT,	/* authenticated, waiting for HELLO */
	AGENT_CLAIMING,		/* HELLO taken, workers mode: waiting for
				   the parent's GRANT (handover.h) */
	AGENT_OPENING,		/* HELLO taken: its channel opens (chan.h) */
	AGENT_OPEN,		/* HELLO_ACK sent: DATA flows (its channel
				   may be between links: chan.h) */
	AGENT_CLOSED
};

/* An agent is born in AGENT_HANDSHAKE: its memory is zeroed. */
_Static_assert(AGENT_HANDSHAKE == 0, "AGENT_HANDSHAKE starts zeroed");

/*
 * What the sessions count: the agent module (agent.c, agent_credit.c)
 * writes it, in its part of struct gw (gw->agents); the others read it
 * through agent_counts.
 */
struct agent_counts {
	unsigned	 agents;	/* sessions that exist */
	unsigned	 sessions;	/* agents and relayed sessions
					   (relay.c): what max_agents bounds,
					   for the listener and relays alike */
	unsigned	 handshakes;	/* ... of them holding a handshake
					   slot (listener.c's max_handshakes) */
	unsigned	 open;		/* ... past HELLO_ACK (they share
					   buffer_budget) */
	uint64_t	 reserved_bytes; /* buffer_budget reserved for credit
					   granted, unused (with
					   chan_replay_bytes, within it) */
};

/**
 * agent_all_new(): the sessions' part of a gateway, with none; the caller
 * keeps it as gw->agents.  NULL on ENOMEM.
 */
struct agent_all *agent_all_new(void);

/**
 * agent_all_free(aa): free ${aa} (every session closed: agent_stop_all);
 * agent_all_free(NULL) is a no-op.
 */
void agent_all_free(struct agent_all *aa);

/** agent_counts(gw): what the sessions of ${gw} count now. */
const struct agent_counts *agent_counts(const struct gw *gw);

/**
 * agent_name_index(gw): the index of the sessions of ${gw} by agent, direct
 * and relayed alike (agent_names.h: one session per agent).
 */
struct namemap **agent_name_index(struct gw *gw);

/**
 * agent_count_relayed(gw, more): a relayed session of ${gw} begins
 * (${more} nonzero) or ends: counted in sessions (agent_counts).
 */
void agent_count_relayed(struct gw *gw, int more);

/** agent_accept(gw, fd): start a session on accepted socket ${fd}. */
void agent_accept(struct gw *gw, int fd);

/** agent_stop_all(gw, reason, detail): close every session with ${reason}. */
void agent_stop_all(struct gw *gw, unsigned reason, const char *detail);

/**
 * agent_drain_all(gw): SIGTERM: tell every agent GOAWAY; close each one
 * once all the DATA it sent is acknowledged (at once if none is pending).
 */
void agent_drain_all(struct gw *gw);

/**
 * agent_cut_off(gw, on): the gateway is cut off from every management
 * server (${on} 1) or has a link again (0).  When it is cut off, every
 * session gets GOAWAY upstream-lost and is closed with that reason (its
 * agent resends elsewhere what was not acknowledged), and each new one
 * gets the same right after its handshake (agent_on_open), before HELLO,
 * until the gateway has a link again.  Inner gateways' links
 * ([downstream]) are told the same (downlink_cut_off).
 */
void agent_cut_off(struct gw *gw, int on);

/**
 * agent_revalidate_all(gw): after a reload, close the sessions whose
 * certificate is now revoked or that the admission policy (agent_names,
 * agent_issuers, agent_san_*, deny_*) no longer admits.
 * Return how many were closed.
 */
unsigned agent_revalidate_all(struct gw *gw);

/** agent_starved_count(gw): sessions whose credit waits for memory now. */
unsigned agent_starved_count(const struct gw *gw);

/** gw_is_drained(gw): draining and no session is left. */
int gw_is_drained(const struct gw *gw);

/**
 * agent_adopt_all(gw): a link is ready: open channels for the sessions
 * that have none, in the order they lost theirs.
 */
void agent_adopt_all(struct gw *gw);


#endif /* GW_AGENT_H */
