/*
 * gen_session.c: fuzz_session's seeds, scripts of session_env.h's opcodes (see gen_corpus.c).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "fuzz.h"
#include "gen_corpus.h"
#include "session_env.h"

static uint8_t sb[16384];
static size_t sn;

static void
op(unsigned o, unsigned who)
{
	sb[sn++] = (uint8_t)o;
	if (o != SESS_ACCEPT && o != SESS_TICK && o != SESS_DRAIN)
		sb[sn++] = (uint8_t)who;
}

/* SESS_LINK_COMMAND or SESS_AGENT_ANSWER: who, then sel. */
static void
op2(unsigned o, unsigned who, unsigned sel)
{
	op(o, who);
	sb[sn++] = (uint8_t)sel;
}

/* The server sends COMMAND ${id} on the first open channel of each link. */
static void
command_all(uint64_t id)
{
	for (unsigned k = 0; k < SESS_LINKS; k++)
		op2(SESS_LINK_COMMAND, k, (unsigned)(id - 1) << 3);
}

/* Agent ${who} answers ${id}: COMMAND_ACK, or RESULT of ${units} x 70. */
static void
answer(unsigned who, int result, uint64_t id, unsigned units)
{
	op2(SESS_AGENT_ANSWER, who | units << 4,
	    (unsigned)(id - 1) << 1 | (result ? 1 : 0));
}

static void
say(unsigned who, const struct gw_frame *f)
{
	op(SESS_AGENT_FRAME, who);
	sn += enc(sb + sn, sizeof(sb) - sn, f);
}

/* Every link slot: OPEN_ACK(last_seq) new channels, or ACK all DATA. */
static void
server_all(unsigned o, unsigned last_seq)
{
	for (unsigned k = 0; k < SESS_LINKS; k++)
		op(o, k | last_seq << 3);
}

static void
links_up(void)
{
	for (unsigned k = 0; k < SESS_LINKS; k++) {
		op(SESS_LINK_TLS, k);
		op(SESS_LINK_HELLO_ACK, k);
	}
}

/* Full links: 64 bytes of room each, full again, then all drained. */
static void
links_drain_slowly(void)
{
	for (unsigned k = 0; k < SESS_LINKS; k++)
		op(SESS_LINK_FULL, k);		/* 64 bytes of room */
	for (unsigned k = 0; k < SESS_LINKS; k++) {
		op(SESS_LINK_FULL, k);		/* full again */
		op(SESS_LINK_FULL, k | 63 << 2);	/* all drained */
	}
}

/*
 * Agent ${who}: connect, authenticate as agent-(${name} + 1) (two sessions
 * of one name: the newer supersedes the older), HELLO with capabilities
 * ${caps} and max_payload ${max}, get its channel opened.
 */
static void
agent_max(unsigned who, unsigned name, unsigned last_seq, uint32_t caps,
    uint32_t max)
{
	struct gw_frame f = { .type = GW_T_HELLO };

	f.u.hello.vmin = f.u.hello.vmax = 1;
	f.u.hello.caps = caps;
	f.u.hello.max_payload = max;
	op(SESS_ACCEPT, 0);
	op(SESS_AGENT_TLS, who | name << 3);
	say(who, &f);
	server_all(SESS_LINK_OPEN_ACKS, last_seq);
}

/*
 * Agent ${who}: connect, authenticate as agent-(${name} + 1) (two sessions
 * of one name: the newer supersedes the older), HELLO with capabilities
 * ${caps}, get its channel opened.
 */
static void
agent_caps(unsigned who, unsigned name, unsigned last_seq, uint32_t caps)
{
	agent_max(who, name, last_seq, caps, 1024);
}

/* The same, without capabilities (as every agent was before COMMANDS). */
static void
agent_named(unsigned who, unsigned name, unsigned last_seq)
{
	agent_caps(who, name, last_seq, 0);
}

/* Agent ${who}, agent-1 (as every agent was before SESS_NAMES). */
static void
agent_up(unsigned who, unsigned last_seq)
{
	agent_named(who, 0, last_seq);
}

/* ${n} DATA from ${who}, seq ${from} on, of ${len} bytes each. */
static void
data(unsigned who, uint64_t from, unsigned n, uint32_t len)
{
	static const uint8_t body[1024];
	struct gw_frame f = { .type = GW_T_DATA };

	for (unsigned i = 0; i < n; i++) {
		f.u.data.seq = from + i;
		f.u.data.body.p = body;
		f.u.data.body.len = len;
		say(who, &f);
	}
}

void
session_seeds(const uint8_t *csr, size_t csrlen)
{
	struct gw_frame f;

	/*
	 * Data acknowledged, a failover with resend, renewal, drain.  The
	 * budget backs three frames of credit: three DATA, their ACK, three
	 * more left unacknowledged when the links go; on the new links the
	 * channel reopens at last_seq 5 and seq 6 is sent again.
	 */
	sn = 0;
	links_up();
	agent_named(0, 0, 0);
	data(0, 1, 3, 9);
	server_all(SESS_LINK_ACKS, 0);
	data(0, 4, 3, 9);
	memset(&f, 0, sizeof(f));
	f.type = GW_T_ENROLL;
	f.u.enroll.ref = 9;
	f.u.enroll.csr.p = csr;
	f.u.enroll.csr.len = (uint16_t)csrlen;
	say(0, &f);
	op(SESS_ENROLL_ANSWER, GW_ENROLL_ISSUED);
	op(SESS_LINK_EOF, 0);
	op(SESS_LINK_EOF, 1);
	op(SESS_TICK, 0);
	links_up();
	server_all(SESS_LINK_OPEN_ACKS, 5);
	server_all(SESS_LINK_ACKS, 0);
	op(SESS_DRAIN, 0);
	server_all(SESS_LINK_ACKS, 0);
	put("session", "failover", 0, 0, sb, sn);

	/*
	 * Several agents, a refused name, output full, backpressure.  Two
	 * names (one name would supersede): agent 0 takes the budget's three
	 * frames of credit, agent 1 waits for memory until agent 0's DATA
	 * (520 bytes) give some back; then both wait for room on full links.
	 */
	sn = 0;
	links_up();
	agent_named(0, 0, 0);
	agent_named(1, 1, 100);
	op(SESS_ACCEPT, 0);
	op(SESS_AGENT_TLS, 2 | 4);		/* a name not allowed */
	data(0, 1, 3, 520);			/* agent 1 fed after the 2nd */
	data(1, 101, 1, 9);
	op(SESS_AGENT_FULL, 0);
	for (unsigned k = SESS_LINKS; k-- > 0;)	/* agent 1's link first */
		op(SESS_LINK_ACKS, k);
	op(SESS_LINK_FULL, 0);
	op(SESS_LINK_FULL, 1);
	data(1, 102, 1, 9);
	op(SESS_AGENT_FULL, 0 | 63 << 2);	/* drained, all of it */
	op(SESS_LINK_FULL, 0 | 63 << 2);
	op(SESS_LINK_FULL, 1 | 63 << 2);
	server_all(SESS_LINK_ACKS, 0);
	memset(&f, 0, sizeof(f));
	f.type = GW_T_PING;
	f.u.ping.opaque = 3;
	say(1, &f);
	op(SESS_AGENT_TIMER, 1);
	put("session", "backpressure", 0, 0, sb, sn);

	/*
	 * Links full while agents wait with DATA, then drained by 64 bytes
	 * only: the agents woken fill them again at once, and must wait for
	 * the next drain (upstream_on_writable once looped here for ever).
	 */
	sn = 0;
	links_up();
	agent_named(0, 0, 0);
	agent_named(1, 1, 0);
	for (unsigned k = 0; k < SESS_LINKS; k++)
		op(SESS_LINK_FULL, k);
	data(0, 1, 3, 300);
	data(1, 1, 1, 300);
	links_drain_slowly();
	server_all(SESS_LINK_ACKS, 0);
	data(0, 4, 1, 300);
	data(1, 2, 1, 300);
	server_all(SESS_LINK_ACKS, 0);
	put("session", "refill", 0, 0, sb, sn);

	/*
	 * Agents close while their link's output is full: each CLOSE waits
	 * for room (the link once closed itself, and failed over, here), a
	 * PONG waits behind them, and DATA behind both.  Three names: agents
	 * of one name would supersede each other, and the script go astray.
	 */
	sn = 0;
	links_up();
	for (unsigned k = 0; k < 3; k++)
		agent_named(k, k, 0);		/* one name each: all stay */
	for (unsigned k = 0; k < SESS_LINKS; k++)
		op(SESS_LINK_FULL, k);
	op(SESS_AGENT_EOF, 0);
	op(SESS_AGENT_TIMER, 1);
	memset(&f, 0, sizeof(f));
	f.type = GW_T_PING;
	f.u.ping.opaque = 7;
	op(SESS_LINK_FRAME, 0);
	sn += enc(sb + sn, sizeof(sb) - sn, &f);
	data(2, 1, 1, 9);			/* its one frame of credit */
	links_drain_slowly();
	server_all(SESS_LINK_ACKS, 0);
	op(SESS_AGENT_EOF, 2);
	put("session", "close-while-full", 0, 0, sb, sn);

	/* Timeouts and bad frames close one session each. */
	sn = 0;
	links_up();
	op(SESS_ACCEPT, 0);
	op(SESS_AGENT_TIMER, 0);		/* handshake too slow */
	op(SESS_ACCEPT, 0);
	op(SESS_AGENT_TLS, 0);
	op(SESS_AGENT_TIMER, 0);		/* no HELLO */
	agent_up(0, 0);			/* slots are reused, first free */
	data(0, 1, 1, 9);
	op(SESS_AGENT_FRAME, 0);
	sb[sn++] = GW_T_DATA;			/* flags not zero */
	sb[sn++] = 0xff;
	memset(sb + sn, 0, GW_HDR_LEN - 2);
	sn += GW_HDR_LEN - 2;
	agent_up(0, 0);
	data(0, 1, 5, 9);			/* the fifth has no credit */
	put("session", "errors", 0, 0, sb, sn);
	/*
	 * Commands: relayed to an agent with COMMANDS and to one without;
	 * COMMAND_ACK and RESULT go up on the channel; a COMMAND_ACK again
	 * without a new COMMAND does not; a RESULT again is dropped; an id
	 * never sent, or an answer without COMMANDS closes that session
	 * alone.
	 */
	sn = 0;
	links_up();
	agent_caps(0, 0, 0, GW_CAP_COMMANDS);
	agent_caps(1, 1, 0, 0);
	agent_caps(2, 2, 0, GW_CAP_COMMANDS | 0x80);
	for (unsigned k = 0; k < SESS_LINKS; k++)	/* every channel */
		for (unsigned ch = 0; ch < 3; ch++)
			op2(SESS_LINK_COMMAND, k, ch | 1 << 3);	/* id 2 */
	answer(0, 0, 2, 0);
	answer(0, 0, 2, 0);			/* not relayed again */
	command_all(2);
	answer(0, 0, 2, 0);
	answer(0, 1, 2, 3);			/* RESULT, 210 bytes */
	answer(2, 1, 2, 15);			/* RESULT, 1010 bytes */
	answer(1, 0, 2, 0);			/* no COMMANDS: closed */
	answer(0, 1, 2, 0);			/* answered: dropped */
	answer(2, 0, 23, 0);			/* never sent: closed */
	put("session", "commands", 0, 0, sb, sn);

	/*
	 * The bound: 16 ids without RESULT, the 17th and 18th not relayed, a
	 * repeated one relayed; RESULTs free slots, and the server's resends
	 * get through.
	 */
	sn = 0;
	links_up();
	agent_caps(0, 0, 0, GW_CAP_COMMANDS);
	for (uint64_t id = 1; id <= 18; id++)
		command_all(id);
	command_all(5);
	answer(0, 0, 17, 0);			/* not relayed: closed ... */
	agent_caps(0, 1, 0, GW_CAP_COMMANDS);	/* ... a new one, slot 0 */
	for (uint64_t id = 1; id <= 18; id++)
		command_all(id);
	for (uint64_t id = 1; id <= 3; id++)
		answer(0, 1, id, 1);
	command_all(17);
	command_all(18);
	answer(0, 0, 17, 0);
	answer(0, 1, 18, 0);
	put("session", "commands-bound", 0, 0, sb, sn);

	/*
	 * Commands across a failover: an answer while the channel has no
	 * link is dropped; the new links, one without COMMANDS and one that
	 * takes 64 bytes, drop what they cannot take; the server resends.
	 */
	sn = 0;
	links_up();
	agent_caps(0, 0, 0, GW_CAP_COMMANDS);
	command_all(4);
	op(SESS_LINK_EOF, 0);
	op(SESS_LINK_EOF, 1);
	answer(0, 0, 4, 0);			/* no channel: dropped */
	op(SESS_TICK, 0);
	for (unsigned k = 0; k < SESS_LINKS; k++) {
		op(SESS_LINK_TLS, k);
		op(SESS_LINK_HELLO_ACK, k | (k & 1 ? 0x40 : 0x80));
	}
	server_all(SESS_LINK_OPEN_ACKS, 0);
	command_all(4);
	answer(0, 0, 4, 0);
	answer(0, 1, 4, 2);			/* 140 bytes: above 64 */
	command_all(4);
	answer(0, 1, 4, 0);
	op(SESS_LINK_FULL, 2);
	op(SESS_LINK_FULL, 3);
	command_all(6);
	answer(0, 1, 6, 0);			/* no room: dropped */
	put("session", "commands-move", 0, 0, sb, sn);

	/*
	 * No link agrees COMMANDS: the agent, which does, still gets its
	 * COMMANDs, and its answers stay here.
	 */
	sn = 0;
	for (unsigned k = 0; k < SESS_LINKS; k++) {
		op(SESS_LINK_TLS, k);
		op(SESS_LINK_HELLO_ACK, k | 0x40);
	}
	agent_caps(0, 0, 0, GW_CAP_COMMANDS);
	command_all(8);
	answer(0, 0, 8, 0);
	answer(0, 1, 8, 0);
	answer(0, 1, 8, 0);			/* answered: dropped */
	answer(0, 1, 9, 0);			/* never sent: closed */
	put("session", "commands-no-link-caps", 0, 0, sb, sn);

	/*
	 * Resends cross the answers (PROTOCOL.md 9.7): ACK ACK RESULT, ACK
	 * RESULT RESULT, RESULT RESULT, a late ACK: each dropped, the session
	 * stays; a COMMAND after its RESULT is relayed and answered again;
	 * 17 ids answered, the oldest is forgotten: an answer for it closes.
	 */
	sn = 0;
	links_up();
	agent_caps(0, 0, 0, GW_CAP_COMMANDS);
	command_all(1);
	command_all(1);
	answer(0, 0, 1, 0);
	answer(0, 0, 1, 0);
	answer(0, 1, 1, 1);
	command_all(2);
	command_all(2);
	answer(0, 0, 2, 0);
	answer(0, 1, 2, 1);
	answer(0, 1, 2, 1);			/* dropped */
	command_all(3);
	command_all(3);
	answer(0, 1, 3, 0);
	answer(0, 1, 3, 0);			/* dropped */
	answer(0, 0, 3, 0);			/* late: dropped */
	command_all(1);				/* after its RESULT */
	answer(0, 1, 1, 0);			/* up again */
	answer(0, 1, 1, 0);			/* dropped */
	for (uint64_t id = 4; id <= 18; id++) {
		command_all(id);
		answer(0, 1, id, 0);
	}
	answer(0, 1, 3, 0);			/* still known: dropped */
	answer(0, 1, 2, 0);			/* forgotten: closed */
	put("session", "commands-crossed", 0, 0, sb, sn);

	/*
	 * Too big: an agent that takes 64 bytes is not relayed a COMMAND of
	 * 72 (body 64: who 4 << 2), nor one that takes 1024 a COMMAND of
	 * 1016 (body 1008: a 1028-byte frame) with its 1 KiB output buffer;
	 * both get those below.
	 * A server's COMMAND id above 2^63-1 ends its link.
	 */
	sn = 0;
	links_up();
	agent_max(0, 0, 0, GW_CAP_COMMANDS, 64);
	agent_caps(1, 1, 0, GW_CAP_COMMANDS);
	for (unsigned k = 0; k < SESS_LINKS; k++)
		for (unsigned ch = 0; ch < 2; ch++) {
			op2(SESS_LINK_COMMAND, k | 4 << 2, ch | 0 << 3);
			op2(SESS_LINK_COMMAND, k | 3 << 2, ch | 1 << 3);
			op2(SESS_LINK_COMMAND, k | 63 << 2, ch | 2 << 3);
			op2(SESS_LINK_COMMAND, k | 60 << 2, ch | 3 << 3);
		}
	answer(0, 1, 1, 0);			/* never relayed: closed */
	answer(1, 1, 4, 0);
	{
		struct gw_frame f = { .type = GW_T_COMMAND, .channel = 1 };

		f.u.data.seq = UINT64_C(1) << 63;
		op(SESS_LINK_FRAME, 0);
		sn += enc(sb + sn, sizeof(sb) - sn, &f);
	}
	put("session", "commands-too-big", 0, 0, sb, sn);

	/*
	 * FLEET (one link of 64 bytes): OPENs with the identity extension,
	 * and at the tick SEEN of the channels heard (PING or DATA), each
	 * once, not of the silent one.  (The harness's clock stands still
	 * for the links: they miss their heartbeat at the second tick.)
	 */
	sn = 0;
	for (unsigned k = 0; k < SESS_LINKS; k++) {
		op(SESS_LINK_TLS, k);
		op(SESS_LINK_HELLO_ACK, k | 0x20 | (k == 1 ? 0x80 : 0));
	}
	agent_caps(0, 0, 0, GW_CAP_COMMANDS);
	agent_caps(1, 1, 0, GW_CAP_COMMANDS);
	agent_caps(2, 2, 0, 0);
	{
		struct gw_frame p = { .type = GW_T_PING };

		say(1, &p);
		data(0, 1, 2, 10);
		say(0, &p);
		op(SESS_TICK, 0);
		op(SESS_TICK, 0);
	}
	put("session", "fleet", 0, 0, sb, sn);

	/*
	 * CHAIN: one link with FLEET and CHAIN (OPEN with via), one with
	 * FLEET alone (without), one of 64 bytes (no extension at all).
	 */
	sn = 0;
	for (unsigned k = 0; k < SESS_LINKS; k++) {
		op(SESS_LINK_TLS, k);
		op(SESS_LINK_HELLO_ACK, k | 0x20 | (k == 0 ? 0x10 : 0) |
		    (k == 2 ? 0x90 : 0));
	}
	agent_caps(0, 0, 0, GW_CAP_COMMANDS);
	agent_caps(1, 1, 0, GW_CAP_COMMANDS);
	data(0, 1, 2, 10);
	op(SESS_LINK_EOF, 0);
	agent_caps(2, 2, 0, 0);
	op(SESS_TICK, 0);
	put("session", "chain", 0, 0, sb, sn);

	/*
	 * ACKCREDIT: agent 0 offers it and gets its credit in its ACKs,
	 * agent 1 does not (ACK then CREDIT, as before); agent 0's output
	 * fills, two ACKs wait with their credit and go as one once it
	 * drains; then a server's ACK with a credit ends its link.
	 */
	sn = 0;
	links_up();
	agent_caps(0, 0, 0, GW_CAP_ACKCREDIT);
	agent_caps(1, 1, 0, GW_CAP_COMMANDS);
	data(0, 1, 3, 9);
	data(1, 1, 3, 9);
	server_all(SESS_LINK_ACKS, 0);
	data(0, 4, 3, 9);
	op(SESS_AGENT_FULL, 0);
	server_all(SESS_LINK_ACKS, 0);
	data(0, 7, 1, 9);
	op(SESS_AGENT_FULL, 0 | 63 << 2);
	data(0, 7, 3, 9);
	server_all(SESS_LINK_ACKS, 0);
	memset(&f, 0, sizeof(f));
	f.type = GW_T_ACK;
	f.channel = 1;
	f.u.ack.seq = 1;
	f.u.ack.credit = 4;
	op(SESS_LINK_FRAME, 0);
	sn += enc(sb + sn, sizeof(sb) - sn, &f);
	put("session", "ackcredit", 0, 0, sb, sn);
}

/*
 * fuzz_mgmt scripts: a flags byte, then opcodes of mgmt_env.h with their
 * arguments.  None lets a bad seq share a batch with another channel's
 * rows (that is hole 1 of issue 17, for the fuzzer to find).
 */
