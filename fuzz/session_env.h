/*
 * session_env.h: the world fuzz_session runs gatewayd's real session code
 * in (agent.c, agent_all.c, upstream.c, servers.c): a conn.h without
 * sockets or TLS, whose connections the harness opens, feeds and closes,
 * and an enroll.h that holds requests until the harness answers them.
 *
 * It keeps the real conn's contract, so a bug of the owner shows up as a
 * sanitizer report or a failed FUZZ_CHECK:
 *  - on_close is called exactly once; the struct, and its owner through
 *    on_free, are freed only by conn_reap, which the harness calls between
 *    operations (a later use is a use after free);
 *  - a frame the gateway sends is encoded with the real encoder and must
 *    decode back to the same bytes;
 *  - on every upstream connection, DATA goes only on a channel that was
 *    OPENed there and not CLOSEd, with increasing sequence numbers;
 *  - the gateway never closes an upstream connection for lack of room
 *    (overload): a CLOSE or PONG that finds none waits for it.
 *
 * The opcodes are the input format of fuzz_session; gen_corpus writes its
 * seeds with them.
 */
#ifndef GW_FUZZ_SESSION_ENV_H
#define GW_FUZZ_SESSION_ENV_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"

/*
 * Input: a sequence of operations, one opcode byte each, some followed by
 * an argument byte (who: an agent or link slot) or a whole frame.
 */
enum sess_op {
	SESS_ACCEPT,		/* a new agent connection */
	SESS_AGENT_TLS,		/* who; its handshake ends (who & 4: bad name) */
	SESS_AGENT_FRAME,	/* who, frame bytes: from the agent */
	SESS_LINK_TLS,		/* who; a link's handshake ends */
	SESS_LINK_FRAME,	/* who, frame bytes: from the server */
	SESS_LINK_HELLO_ACK,	/* who; the server's HELLO_ACK */
	SESS_LINK_OPEN_ACKS,	/* who, last_seq byte: OPEN_ACK every new channel */
	SESS_LINK_ACKS,		/* who; ACK the last DATA of every channel */
	SESS_AGENT_FULL,	/* who; its output fills, or drains (who >> 2:
				   how much, see sess_full) */
	SESS_LINK_FULL,		/* who; the same for a link */
	SESS_AGENT_TIMER,	/* who; its timer fires */
	SESS_LINK_TIMER,	/* who; its timer fires */
	SESS_AGENT_EOF,		/* who; the agent closes */
	SESS_LINK_EOF,		/* who; the server closes */
	SESS_TICK,		/* one second passes: heartbeats */
	SESS_DRAIN,		/* SIGTERM */
	SESS_ENROLL_ANSWER,	/* status byte; the oldest renewal is answered */
	SESS_OPS
};

#define SESS_AGENTS	4	/* agent slots */
#define SESS_LINKS	4	/* link slots: 2 links, the spare, a spare */

/* What the harness sees of each fake connection. */
struct sess_conn_view {
	int		 live;
	int		 server;	/* accepted (agent) or connected (link) */
	enum conn_state	 state;
	int		 timer_armed;
	uint64_t	 credit_granted;	/* agent: CREDIT sent, total */
	uint64_t	 data_taken;		/* agent: DATA delivered */
	int		 hello_acked;		/* agent: HELLO_ACK sent */
};

/** sess_env_reset(): forget everything (between inputs); no conn is live. */
void sess_env_reset(void);

/** sess_env_set_peer(crt_good, crt_bad): the certificates agents show. */
void sess_env_set_peer(const void *crt_good, const void *crt_bad);

/** sess_agent(i), sess_link(i): slot ${i}'s conn, or NULL. */
struct conn *sess_agent(unsigned i);
struct conn *sess_link(unsigned i);

/** sess_view(c): what the harness may check of ${c}. */
const struct sess_conn_view *sess_view(const struct conn *c);

/** sess_open(c, bad_name): the TLS handshake of ${c} ends: on_open. */
void sess_open(struct conn *c, int bad_name);

/**
 * sess_input(c, buf, len): bytes from ${c}'s peer, decoded as the real
 * conn does (a bad frame: ERROR and close).  Return the bytes used, or 0
 * if ${buf} holds no whole frame.
 */
size_t sess_input(struct conn *c, const uint8_t *buf, size_t len);

/** sess_frame(c, f): deliver frame ${f} to ${c}'s owner. */
void sess_frame(struct conn *c, const struct gw_frame *f);

/**
 * sess_full(c, sel): ${c}'s output fills up, or (if full) drains: all of
 * it when ${sel} >= 63, else only (${sel} + 1) * 64 bytes, so that what
 * on_writable wakes can fill it up again.
 */
void sess_full(struct conn *c, unsigned sel);

/** sess_timer(c): ${c}'s timer fires, if armed. */
void sess_timer(struct conn *c);

/** sess_eof(c): the peer of ${c} closes. */
void sess_eof(struct conn *c);

/**
 * sess_link_channels(c, acks, last_seq): as the server on link ${c}:
 * answer OPEN_ACK(last_seq) to every channel not answered yet (acks 0), or
 * ACK the newest DATA of every channel (acks 1).
 */
void sess_link_channels(struct conn *c, int acks, uint64_t last_seq);

/** sess_enroll_answer(status): answer the oldest renewal request. */
void sess_enroll_answer(unsigned status);

/** sess_live(): conns not yet freed (0 after a clean teardown). */
unsigned sess_live(void);

#endif /* GW_FUZZ_SESSION_ENV_H */
