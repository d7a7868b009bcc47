/*
 * gen_mgmt.c: fuzz_mgmt's seeds, scripts of mgmt_env.h's opcodes (see gen_corpus.c).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "fuzz.h"
#include "gen_corpus.h"
#include "mgmt_env.h"

/* MGMT_CMD_ACK's, MGMT_RESULT's id byte for the command made number k. */
#define ID(k)	((k) * MGMT_IDS)

static uint8_t mb[4096];
static size_t mn;

static void
mg(unsigned o, unsigned a0, unsigned a1, unsigned a2, unsigned a3)
{
	static const uint8_t nargs[MGMT_OPS] = {
		[MGMT_CONNECT] = 1, [MGMT_TLS] = 2, [MGMT_HELLO] = 2,
		[MGMT_OPEN] = 2, [MGMT_DATA] = 4, [MGMT_CLOSE] = 2,
		[MGMT_PING] = 1, [MGMT_ENROLL] = 2, [MGMT_RAW] = 1,
		[MGMT_FULL] = 2, [MGMT_TIMER] = 1, [MGMT_EOF] = 1,
		[MGMT_FAULT] = 1, [MGMT_ANSWER] = 1, [MGMT_CMD] = 1,
		[MGMT_CMD_ACK] = 3, [MGMT_RESULT] = 4, [MGMT_RESEND] = 0,
	};
	const uint8_t a[4] = { (uint8_t)a0, (uint8_t)a1, (uint8_t)a2,
	    (uint8_t)a3 };

	mb[mn++] = (uint8_t)o;
	memcpy(mb + mn, a, nargs[o]);
	mn += nargs[o];
}

/* Gateway ${who} (slot) with certificate ${crt}: connect, HELLO. */
static void
mg_up(unsigned who, unsigned crt)
{
	mg(MGMT_CONNECT, crt, 0, 0, 0);
	mg(MGMT_HELLO, who, 0, 0, 0);
}

/* ${n} DATA on channel ${ch} of link ${who}, seq picked by ${seq}. */
static void
mg_data(unsigned who, unsigned ch, unsigned n, unsigned seq)
{
	for (unsigned i = 0; i < n; i++)
		mg(MGMT_DATA, who, ch, seq, 8 + i);
}

/* A raw frame ${f} on link ${who}. */
static void
mg_raw(unsigned who, const struct gw_frame *f)
{
	mg(MGMT_RAW, who, 0, 0, 0);
	mn += enc(mb + mn, sizeof(mb) - mn, f);
}

void
mgmt_seeds(void)
{
	struct gw_frame f;
	struct gw_identity id;

	/* One gateway, two agents, batches by the timer, enrollment. */
	mn = 0;
	mb[mn++] = 3 | MGMT_F_ENROLL;		/* batch_max 64 */
	mg_up(0, MGMT_CRT_GW1);
	mg(MGMT_OPEN, 0, 0, 0, 0);
	mg(MGMT_OPEN, 0, 1, 0, 0);
	mg_data(0, 0, 3, MGMT_SEQ_NEXT);
	mg_data(0, 1, 2, MGMT_SEQ_NEXT);
	mg(MGMT_BATCH, 0, 0, 0, 0);
	mg(MGMT_PING, 0, 0, 0, 0);
	mg(MGMT_ENROLL, 0, 0, 0, 0);
	mg(MGMT_ENROLL, 0, 1, 0, 0);		/* malformed */
	mg(MGMT_ENROLL, 0, 2, 0, 0);		/* answered at once */
	mg(MGMT_ANSWER, 0, 0, 0, 0);
	mg(MGMT_ANSWER, 1, 0, 0, 0);
	mg_data(0, 0, 2, MGMT_SEQ_NEXT);
	mg(MGMT_CLOSE, 0, 0, 0, 0);
	mg(MGMT_BATCH, 0, 0, 0, 0);
	mg(MGMT_OPEN, 0, 0, 0, 0);		/* agent-0 again: resumes */
	mg_data(0, 2, 2, MGMT_SEQ_NEXT);
	mg(MGMT_ENROLL, 0, 0, 0, 0);		/* left waiting at the end */
	put("mgmt", "one-gateway", 0, 0, mb, mn);

	/* Two gateways, the same agent on both, a link lost. */
	mn = 0;
	mb[mn++] = 1;				/* batch_max 2 */
	mg_up(0, MGMT_CRT_GW1);
	mg_up(1, MGMT_CRT_GW2);
	mg(MGMT_OPEN, 0, 0, 0, 0);
	mg(MGMT_OPEN, 1, 1, 0, 0);
	mg(MGMT_OPEN, 1, 0, 0, 0);
	mg_data(0, 0, 3, MGMT_SEQ_NEXT);
	mg_data(1, 0, 3, MGMT_SEQ_NEXT);
	mg_data(1, 1, 1, MGMT_SEQ_NEXT);
	mg(MGMT_EOF, 0, 0, 0, 0);
	mg(MGMT_BATCH, 0, 0, 0, 0);
	mg_data(1, 1, 2, MGMT_SEQ_NEXT);
	mg(MGMT_ENROLL, 1, 0, 0, 0);		/* enrollment off: refused */
	mg(MGMT_BATCH, 0, 0, 0, 0);
	put("mgmt", "two-gateways", 0, 0, mb, mn);

	/*
	 * One gateway on two links, the same agent on both (a stale OPEN of
	 * a link the gateway lost, read after the current one): neither
	 * channel is closed for the other.
	 */
	mn = 0;
	mb[mn++] = 3;				/* batch_max 64 */
	mg_up(0, MGMT_CRT_GW1);
	mg_up(1, MGMT_CRT_GW1);
	mg(MGMT_OPEN, 1, 0, 0, 0);
	mg_data(1, 0, 2, MGMT_SEQ_NEXT);
	mg(MGMT_BATCH, 0, 0, 0, 0);
	mg(MGMT_OPEN, 0, 0, 0, 0);
	mg_data(0, 0, 2, MGMT_SEQ_NEXT);
	mg(MGMT_BATCH, 0, 0, 0, 0);
	mg(MGMT_EOF, 1, 0, 0, 0);
	mg_data(0, 0, 1, MGMT_SEQ_NEXT);
	mg(MGMT_BATCH, 0, 0, 0, 0);
	put("mgmt", "same-gateway-two-links", 0, 0, mb, mn);

	/* Refused and slow gateways. */
	mn = 0;
	mb[mn++] = 3;
	mg(MGMT_CONNECT, MGMT_CRT_ROGUE, 0, 0, 0);
	mg(MGMT_CONNECT, MGMT_CRT_AGENT, 0, 0, 0);
	mg(MGMT_CONNECT, MGMT_CRT_NONE, 0, 0, 0);
	mg(MGMT_CONNECT, 5, 0, 0, 0);		/* handshake waits */
	mg(MGMT_TIMER, 0, 0, 0, 0);		/* ...too long */
	mg(MGMT_CONNECT, 5, 0, 0, 0);
	mg(MGMT_TLS, 0, MGMT_CRT_GW2, 0, 0);
	mg(MGMT_TIMER, 0, 0, 0, 0);		/* no HELLO in time */
	mg(MGMT_CONNECT, MGMT_CRT_GW1, 0, 0, 0);
	mg(MGMT_HELLO, 0, 9, 0, 0);		/* versions 1-9 */
	mg(MGMT_OPEN, 0, 3, 0, 0);		/* agent-3: revoked */
	mg(MGMT_OPEN, 0, 4, 0, 0);		/* a bad identity */
	mg(MGMT_OPEN, 0, 8 | 1, 0, 0);		/* the same id again */
	mg(MGMT_CONNECT, MGMT_CRT_GW1, 0, 0, 0);
	mg(MGMT_PING, 0, 0, 0, 0);		/* before HELLO */
	put("mgmt", "refused", 0, 0, mb, mn);

	/* Output full: ACKs owed, reading paused, then resumed. */
	mn = 0;
	mb[mn++] = 2;				/* batch_max 3 */
	mg_up(0, MGMT_CRT_GW1);
	mg_up(1, MGMT_CRT_GW2);
	mg(MGMT_OPEN, 0, 0, 0, 0);
	mg(MGMT_OPEN, 1, 1, 0, 0);
	mg_data(0, 0, 2, MGMT_SEQ_NEXT);
	mg(MGMT_FULL, 0, 0, 0, 0);		/* full */
	mg_data(0, 0, 1, MGMT_SEQ_NEXT);	/* paused */
	mg_data(0, 0, 2, MGMT_SEQ_NEXT);	/* waiting */
	mg_data(1, 0, 3, MGMT_SEQ_NEXT);
	mg(MGMT_FULL, 0, 1, 0, 0);		/* a little room */
	mg(MGMT_FULL, 0, 1, 0, 0);		/* full again */
	mg(MGMT_FULL, 0, 32, 0, 0);		/* all of it */
	mg(MGMT_BATCH, 0, 0, 0, 0);
	mg(MGMT_FULL, 1, 0, 0, 0);
	mg(MGMT_DATA, 1, 0, MGMT_SEQ_REPEAT, 4);	/* CLOSE owed */
	mg(MGMT_FULL, 1, 32, 0, 0);
	put("mgmt", "backpressure", 0, 0, mb, mn);

	/* The store fails: inserts, then a commit. */
	mn = 0;
	mb[mn++] = 1;
	mg_up(0, MGMT_CRT_GW1);
	mg(MGMT_OPEN, 0, 0, 0, 0);
	mg(MGMT_OPEN, 0, 1, 0, 0);
	mg_data(0, 0, 1, MGMT_SEQ_NEXT);
	mg(MGMT_FAULT, 1, 0, 0, 0);
	mg_data(0, 1, 1, MGMT_SEQ_NEXT);
	mg(MGMT_FAULT, 0, 0, 0, 0);
	mg(MGMT_OPEN, 0, 1, 0, 0);
	mg_data(0, 2, 1, MGMT_SEQ_NEXT);
	mg(MGMT_FAULT, 2, 0, 0, 0);
	mg_data(0, 2, 1, MGMT_SEQ_NEXT);
	mg(MGMT_BATCH, 0, 0, 0, 0);
	mg(MGMT_OPEN, 0, 2, 0, 0);
	mg_data(0, 3, 2, MGMT_SEQ_NEXT);
	put("mgmt", "store-fails", 0, 0, mb, mn);

	/* Sequences, one row per batch: repeats, gaps, the edges. */
	mn = 0;
	mb[mn++] = 0;				/* batch_max 1 */
	mg_up(0, MGMT_CRT_GW1);
	for (unsigned s = 0; s < MGMT_SEQS; s++) {
		mg(MGMT_OPEN, 0, s & 3, 0, 0);
		mg_data(0, s, 2, MGMT_SEQ_NEXT);
		mg(MGMT_DATA, 0, s, s, 1);
		mg_data(0, s, 1, MGMT_SEQ_NEXT);
	}
	put("mgmt", "sequences", 0, 0, mb, mn);

	/* Frames as bytes: OPEN, DATA, CLOSE, GOAWAY, an extension, ERROR. */
	mn = 0;
	mb[mn++] = 3;
	mg(MGMT_CONNECT, MGMT_CRT_GW1, 0, 0, 0);
	memset(&f, 0, sizeof(f));
	f.type = GW_T_HELLO;
	f.u.hello.vmin = f.u.hello.vmax = 1;
	f.u.hello.max_payload = 1024;
	mg_raw(0, &f);
	memset(&id, 0, sizeof(id));
	id.name.p = (const uint8_t *)"agent-0";
	id.name.len = 7;
	id.subject.p = (const uint8_t *)"CN=agent-0";
	id.subject.len = 10;
	memset(&f, 0, sizeof(f));
	f.type = GW_T_OPEN;
	f.channel = 7;
	f.u.open = id;
	mg_raw(0, &f);
	memset(&f, 0, sizeof(f));
	f.type = GW_T_DATA;
	f.channel = 7;
	f.u.data.seq = 1;
	f.u.data.body.p = (const uint8_t *)"{\"cpu\":7}";
	f.u.data.body.len = 9;
	mg_raw(0, &f);
	f.channel = 9;				/* never opened */
	mg_raw(0, &f);
	mg(MGMT_CONNECT, MGMT_CRT_GW2, 0, 0, 0);
	mg(MGMT_HELLO, 1, 0, 0, 0);
	mg(MGMT_OPEN, 1, 0, 0, 0);
	memset(&f, 0, sizeof(f));
	f.type = GW_T_GOAWAY;
	mg_raw(1, &f);
	f.type = GW_T_EXT_FIRST;
	mg_raw(1, &f);
	memset(&f, 0, sizeof(f));
	f.type = GW_T_CLOSE;
	f.channel = 1;
	mg_raw(1, &f);
	memset(&f, 0, sizeof(f));
	f.type = GW_T_ERROR;
	f.u.reason.code = GW_R_SHUTDOWN;
	mg_raw(1, &f);
	put("mgmt", "raw", 0, 0, mb, mn);

	/*
	 * Commands: made for one agent, for all, expired; sent at OPEN_ACK
	 * and by the resend round; answered by their agents, and by another
	 * agent's channel, with ids made, unknown and out of range; a full
	 * output; an agent back on another link; the store failing.
	 */
	mn = 0;
	mb[mn++] = 3 | MGMT_F_COMMANDS;		/* batch_max 64 */
	mg_up(0, MGMT_CRT_GW1);
	mg_up(1, MGMT_CRT_GW2);
	mg(MGMT_OPEN, 0, 0, 0, 0);		/* agent-0 */
	mg(MGMT_OPEN, 1, 1, 0, 0);		/* agent-1 */
	mg(MGMT_CMD, 0, 0, 0, 0);		/* id 1: agent-0 */
	mg(MGMT_CMD, 4, 0, 0, 0);		/* id 2: agent-* */
	mg(MGMT_CMD, 8 | 1, 0, 0, 0);		/* id 3: expired */
	mg(MGMT_RESEND, 0, 0, 0, 0);
	mg(MGMT_CMD_ACK, 0, 0, 0, 0);		/* agent-0 takes 1 */
	mg(MGMT_RESULT, 0, 0, 0, 0);		/* exited 0 */
	mg(MGMT_RESULT, 0, 0, 0, 1);		/* again: the first stays */
	mg(MGMT_CMD_ACK, 1, 0, 0, 0);		/* 1 is not agent-1's */
	mg(MGMT_RESULT, 1, 0, 0, 0);
	mg(MGMT_CMD_ACK, 1, 0, ID(1), 0);	/* 2 is */
	mg(MGMT_RESULT, 1, 0, ID(1), 1 | 4 | 8);	/* killed, output */
	mg(MGMT_CMD_ACK, 0, 0, MGMT_ID_UNKNOWN, 0);
	mg(MGMT_RESULT, 0, 0, MGMT_ID_I64MAX1, 0);
	mg(MGMT_CMD_ACK, 0, 0, MGMT_ID_U64MAX, 0);
	mg(MGMT_FULL, 0, 0, 0, 0);		/* full: no COMMAND */
	mg(MGMT_CMD, 0, 0, 0, 0);		/* id 4 */
	mg(MGMT_RESEND, 0, 0, 0, 0);
	mg(MGMT_CMD_ACK, 0, 0, ID(3), 0);	/* 4: not sent yet */
	mg(MGMT_FULL, 0, 32, 0, 0);
	mg(MGMT_RESEND, 0, 0, 0, 0);
	mg(MGMT_EOF, 1, 0, 0, 0);		/* agent-1's link lost */
	mg(MGMT_CMD, 1, 0, 0, 0);		/* id 5: agent-1, away */
	mg(MGMT_OPEN, 0, 1, 0, 0);		/* agent-1 on link 0: 5 */
	mg(MGMT_CMD_ACK, 0, 1, ID(4), 0);
	mg(MGMT_FAULT, 2, 0, 0, 0);		/* the next commit fails */
	mg(MGMT_RESULT, 0, 1, ID(4), 0);
	mg(MGMT_RESEND, 0, 0, 0, 0);
	mg(MGMT_RESULT, 0, 1, ID(4), 0);
	mg(MGMT_CLOSE, 0, 0, 0, 0);
	put("mgmt", "commands", 0, 0, mb, mn);

	/* Answers without COMMANDS agreed, as raw frames: the link closes. */
	mn = 0;
	mb[mn++] = 3;
	mg_up(0, MGMT_CRT_GW1);
	mg(MGMT_OPEN, 0, 0, 0, 0);
	memset(&f, 0, sizeof(f));
	f.type = GW_T_COMMAND_ACK;
	f.channel = 1;
	f.u.ack.seq = 1;
	mg_raw(0, &f);
	put("mgmt", "answers-without-commands", 0, 0, mb, mn);
}

/* fuzz_enroll's sessions: opcodes of enroll_env.h and their arguments. */
