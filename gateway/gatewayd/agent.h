/*
 * agent.h: one downstream agent session: mutual-TLS handshake, identity
 * and policy check before any frame is parsed, HELLO, channel opening
 * upstream, DATA relayed up under per-agent credit, ACKs and commands
 * relayed down.  One state machine, one close with a reason.
 */
#ifndef GW_AGENT_H
#define GW_AGENT_H

#include <stdint.h>
#include <sys/queue.h>

#include "frame.h"
#include "gw.h"

enum agent_state {
	AGENT_HANDSHAKE,	/* TLS handshake, certificate verification */
	AGENT_HELLO_WAIT,	/* authenticated, waiting for HELLO */
	AGENT_OPENING,		/* OPEN sent upstream, waiting for OPEN_ACK */
	AGENT_OPEN,		/* DATA flows */
	AGENT_NO_LINK,		/* link lost: waiting for another */
	AGENT_CLOSED
};

/* Upstream-side links of an agent; owned by upstream.c. */
struct agent_link {
	struct agent		*self;
	struct upstream		*up;		/* NULL: no channel */
	uint32_t		 chan;
	struct upstream		*wait_up;	/* whose wait queue we are on */
	TAILQ_ENTRY(agent_link)	 wait;
};
TAILQ_HEAD(agent_link_q, agent_link);

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

/** agent_link(a): the upstream-side links of ${a} (for upstream.c). */
struct agent_link *agent_link(struct agent *a);

/** agent_resume(a): the upstream has room again: go on relaying. */
void agent_resume(struct agent *a);

/**
 * agent_open_ack(a, last_seq): the management server opened the channel;
 * ${last_seq} is durable.  The first time, answer HELLO_ACK and grant the
 * window, as much as memory can back; after a lost link, resend the ring
 * above ${last_seq}.
 */
void agent_open_ack(struct agent *a, uint64_t last_seq);

/**
 * agent_adopt_all(gw): a link is ready: open channels for the sessions
 * that have none, in the order they lost theirs.
 */
void agent_adopt_all(struct gw *gw);

/** agent_ack(a, seq): relay a cumulative ACK to the agent. */
void agent_ack(struct agent *a, uint64_t seq);

/** agent_command(a, f): relay a COMMAND frame to the agent. */
void agent_command(struct agent *a, const struct gw_frame *f);

/**
 * agent_lost(a, reason, text): the channel is gone.  The link is already
 * cleared.  A lost link (upstream-lost) keeps the session: it waits for
 * another link and resends; anything else (CLOSE from the server, the
 * gateway stopping) closes it with ${reason}.
 */
void agent_lost(struct agent *a, unsigned reason, const char *text);


#endif /* GW_AGENT_H */
