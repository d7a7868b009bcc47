/*
 * session_env.h: the world fuzz_session runs gatewayd's real session code
 * in (agent.c, agent_all.c, chan.c, upstream.c, servers.c): the fake
 * conns of fake_conn.h (no sockets, no TLS; the harness opens, feeds and
 * closes them), and an enroll.h that holds requests until the harness
 * answers them.
 *
 * Beyond the conn contract fake_conn.c keeps, it checks what the gateway
 * sends:
 *  - on every upstream connection, DATA goes only on a channel that was
 *    OPENed there and not CLOSEd, with increasing sequence numbers;
 *  - an agent gets one HELLO_ACK, then credit (CREDIT, and the credit of
 *    its ACKs only if its HELLO_ACK agreed ACKCREDIT); the gateway takes
 *    no DATA from it beyond the credit it sent, and ACKs no seq it did not
 *    send (nor one its HELLO_ACK did not name);
 *  - commands: the gateway relays to an agent only COMMANDs the server
 *    sent on one of its channels, whose payload its HELLO's max_payload
 *    and its output buffer (SESS_AGENT_OUTPUT) take, and remembers
 *    (COMMANDS on) at most GW_COMMANDS_INFLIGHT ids without RESULT; an
 *    agent that answers (COMMAND_ACK, RESULT) an id not relayed to it,
 *    or without COMMANDS, is closed, unless the id is among the last
 *    GW_COMMANDS_INFLIGHT it answered by a RESULT (a resend crossed it:
 *    the answer stays here, the session stays); an answer goes up only
 *    on an open channel of the answering agent's session, on a link that
 *    agreed COMMANDS, for an id relayed to it and not answered since;
 *  - a COMMAND id above GW_SEQ_MAX from a server ends its link
 *    (sequence);
 *  - GW_CAP_FLEET: OPEN has the identity extension exactly on a link whose
 *    HELLO_ACK had FLEET; SEEN only there, within its max_payload, of
 *    channels open on that link, each once, whose agent sent a frame
 *    since a SEEN last listed its channel;
 *  - GW_CAP_CHAIN: OPEN has a via only on a link whose HELLO_ACK had
 *    FLEET and CHAIN, and there always (unless it cannot fit the
 *    server's max_payload): one name, the gateway's own (SESS_VIA_NAME);
 *  - the gateway closes an upstream connection only for what the harness
 *    did (sess_cause): its server's EOF, a bad or final frame from it (an
 *    ACK with a credit: protocol),
 *    its timer, a heartbeat missed, the stop, and a failover after one of
 *    these; never for lack of room (a CLOSE or PONG that finds none waits
 *    for it), whatever reason it gives.
 *
 * The opcodes are the input format of fuzz_session; gen_corpus writes its
 * seeds with them.
 */
#ifndef GW_FUZZ_SESSION_ENV_H
#define GW_FUZZ_SESSION_ENV_H

#include <stddef.h>
#include <stdint.h>

#include "fake_conn.h"

/* The gateway's name in OPEN's via (its configuration's via_name). */
#define SESS_VIA_NAME	"gw-fuzz"

/*
 * Input: a sequence of operations, one opcode byte each, some followed by
 * an argument byte (who: an agent or link slot) or a whole frame.
 */
enum sess_op {
	SESS_ACCEPT,		/* a new agent connection */
	SESS_AGENT_TLS,		/* who; its handshake ends: agent-N, N = 1 +
				   (who >> 3) % SESS_NAMES (who & 4: a name
				   not allowed) */
	SESS_AGENT_FRAME,	/* who, frame bytes: from the agent */
	SESS_LINK_TLS,		/* who; a link's handshake ends */
	SESS_LINK_FRAME,	/* who, frame bytes: from the server */
	SESS_LINK_HELLO_ACK,	/* who; the server's HELLO_ACK (who & 0x40:
				   caps 0, not COMMANDS; who & 0x80:
				   max_payload 64, not 1024; who & 0x20:
				   FLEET too; who & 0x10: CHAIN too) */
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
	SESS_LINK_COMMAND,	/* who, sel: the server sends COMMAND on a
				   channel of the link (sess_link_command;
				   its body: (who >> 2) * 16 bytes) */
	SESS_AGENT_ANSWER,	/* who, sel: the agent answers (sess_answer;
				   a RESULT's output: (who >> 4) * 70 bytes) */
	SESS_OPS
};

#define SESS_AGENTS	4	/* agent slots */
#define SESS_LINKS	4	/* link slots: 2 links, the spare, a spare */
#define SESS_NAMES	4	/* agent names: agent-1 .. agent-4 */
#define SESS_AGENT_OUTPUT 1024	/* agent_output_buffer: below the largest
				   COMMAND (max_payload 1024 and a header) */

/* What the harness sees of each fake conn (agents'). */
struct sess_conn_view {
	uint64_t	 credit_granted;	/* CREDIT sent, total */
	uint64_t	 data_taken;		/* DATA delivered */
	int		 hello_acked;		/* HELLO_ACK sent */
	unsigned	 cmds;			/* COMMAND ids relayed to it
						   (COMMANDS on), no RESULT
						   from it yet */
};

/**
 * sess_env_reset(): forget everything (between inputs); no conn is live.
 * Agents are fake_conn_accepted(0 .. SESS_AGENTS - 1), links
 * fake_conn_connected(0 .. SESS_LINKS - 1).
 */
void sess_env_reset(void);

/**
 * sess_cause(op, c): the harness does ${op} (SESS_OPS: it stops the
 * gateway) on ${c} (NULL: none); what may end a link follows from it.
 */
void sess_cause(unsigned op, const struct conn *c);

/** sess_view(c): what the harness may check of ${c}. */
const struct sess_conn_view *sess_view(const struct conn *c);

/**
 * sess_full(c, sel): ${c}'s output fills up, or (if full) drains: all of
 * it when ${sel} >= 63, else only (${sel} + 1) * 64 bytes, so that what
 * on_writable wakes can fill it up again.
 */
void sess_full(struct conn *c, unsigned sel);

/**
 * sess_link_channels(c, acks, last_seq): as the server on link ${c}:
 * answer OPEN_ACK(last_seq) to every channel not answered yet (acks 0), or
 * ACK the newest DATA of every channel (acks 1).
 */
void sess_link_channels(struct conn *c, int acks, uint64_t last_seq);

/* The COMMAND ids sess_link_command picks from; sess_answer adds some. */
#define SESS_CMD_IDS	20

/**
 * sess_link_command(c, sel, len): as the server on link ${c}: COMMAND
 * with id 1 + (${sel} >> 3) % SESS_CMD_IDS and a body of ${len} bytes
 * (at most 1016) on its ((${sel} & 7) modulo how many) channel still
 * open.
 */
void sess_link_command(struct conn *c, unsigned sel, uint32_t len);

/**
 * sess_answer(c, sel, len): as the agent on ${c}: COMMAND_ACK (${sel}
 * even) or RESULT with ${len} bytes of output (odd), about id 1 +
 * (${sel} >> 1) % (SESS_CMD_IDS + 4): the last four never COMMANDed.
 */
void sess_answer(struct conn *c, unsigned sel, uint32_t len);

/** sess_enroll_answer(status): answer the oldest renewal request. */
void sess_enroll_answer(unsigned status);

#endif /* GW_FUZZ_SESSION_ENV_H */
