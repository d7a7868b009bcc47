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
 * of one name: the newer supersedes the older), HELLO, get its channel
 * opened.
 */
static void
agent_named(unsigned who, unsigned name, unsigned last_seq)
{
	struct gw_frame f = { .type = GW_T_HELLO };

	f.u.hello.vmin = f.u.hello.vmax = 1;
	f.u.hello.max_payload = 1024;
	op(SESS_ACCEPT, 0);
	op(SESS_AGENT_TLS, who | name << 3);
	say(who, &f);
	server_all(SESS_LINK_OPEN_ACKS, last_seq);
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
}

/*
 * fuzz_mgmt scripts: a flags byte, then opcodes of mgmt_env.h with their
 * arguments.  None lets a bad seq share a batch with another channel's
 * rows (that is hole 1 of issue 17, for the fuzzer to find).
 */
