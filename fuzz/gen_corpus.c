/*
 * gen_corpus.c: writes the seed corpora of the fuzz harnesses with the
 * project's own encoders (frames by gw_frame_encode, CSRs by pki_csr,
 * tokens by token_mint), so the seeds are valid by construction and follow
 * the codec when it changes.  Its keys come from a fixed DRBG
 * (tls_world_pki_rng): a second run writes the same bytes, but for the
 * TLS 1.3 transcripts (their key shares come from PSA's own generator).
 *
 *   gen_corpus SOURCE_DIR      (writes SOURCE_DIR/fuzz/corpus/<harness>/)
 *
 * Seeds are named seed-*; crashes kept as regression cases are named
 * crash-* (fuzz/README.md) and are never touched here.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "enroll_env.h"
#include "frame.h"
#include "fuzz.h"
#include "gen_tls.h"
#include "mgmt_env.h"
#include "session_env.h"
#include "token.h"
#include "x509_issue.h"

#define S(lit)	{ (const uint8_t *)(lit), sizeof(lit) - 1 }

static const char *src;

static void
put(const char *harness, const char *name, uint8_t sel, int use_sel,
    const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/fuzz/corpus/%s", src, harness);
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/fuzz/corpus/%s/seed-%s", src,
	    harness, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    (use_sel && fwrite(&sel, 1, 1, f) != 1) ||
	    (n > 0 && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Encode ${f} at ${buf}; return its size. */
static size_t
enc(uint8_t *buf, size_t cap, const struct gw_frame *f)
{
	int n = gw_frame_encode(buf, cap, f);

	if (n < 0) {
		fprintf(stderr, "gen_corpus: %s: %s\n", gw_type_str(f->type),
		    gw_perr_str(n));
		exit(1);
	}
	return (size_t)n;
}

/* One frame of each type, as a session would send them. */
static size_t
frames(uint8_t *buf, size_t cap, const uint8_t *csr, size_t csrlen,
    const char *token)
{
	struct gw_frame f[16];
	size_t n = 0, off = 0;

	memset(f, 0, sizeof(f));
	f[n].type = GW_T_HELLO;
	f[n].u.hello.vmin = 1;
	f[n].u.hello.vmax = 1;
	f[n].u.hello.max_payload = 16384;
	n++;
	f[n].type = GW_T_HELLO_ACK;
	f[n].u.hello_ack.version = 1;
	f[n].u.hello_ack.max_payload = 16384;
	f[n].u.hello_ack.heartbeat_ms = 5000;
	f[n].u.hello_ack.last_seq = 41;
	n++;
	f[n].type = GW_T_DATA;
	f[n].u.data.seq = 42;
	f[n].u.data.body.p = (const uint8_t *)"{\"cpu\":7}";
	f[n].u.data.body.len = 9;
	n++;
	f[n].type = GW_T_ACK;
	f[n].u.ack.seq = 42;
	n++;
	f[n].type = GW_T_CREDIT;
	f[n].u.credit.n = 32;
	n++;
	f[n].type = GW_T_PING;
	f[n].u.ping.opaque = 7;
	n++;
	f[n].type = GW_T_GOAWAY;
	f[n].u.reason.code = GW_R_SHUTDOWN;
	f[n].u.reason.text = (struct gw_str)S("drain");
	n++;
	f[n].type = GW_T_OPEN;
	f[n].channel = 3;
	f[n].u.open.name = (struct gw_str)S("agent-1");
	f[n].u.open.subject = (struct gw_str)S("CN=agent-1,O=gatewayd");
	f[n].u.open.san = (struct gw_str)S("agent-1");
	f[n].u.open.serial = (struct gw_str)S("01:02");
	f[n].u.open.issuer = (struct gw_str)S("CN=ca,O=gatewayd");
	f[n].u.open.peer = (struct gw_str)S("10.0.0.1:40000");
	n++;
	f[n].type = GW_T_OPEN_ACK;
	f[n].channel = 3;
	n++;
	f[n].type = GW_T_COMMAND;
	f[n].channel = 3;
	f[n].u.data.seq = 1;
	f[n].u.data.body.p = (const uint8_t *)"{}";
	f[n].u.data.body.len = 2;
	n++;
	f[n].type = GW_T_CLOSE;
	f[n].channel = 3;
	f[n].u.reason.code = GW_R_POLICY;
	f[n].u.reason.text = (struct gw_str)S("name not allowed");
	n++;
	f[n].type = GW_T_ENROLL;
	f[n].u.enroll.ref = 1;
	f[n].u.enroll.token.p = (const uint8_t *)token;
	f[n].u.enroll.token.len = (uint16_t)strlen(token);
	f[n].u.enroll.csr.p = csr;
	f[n].u.enroll.csr.len = (uint16_t)csrlen;
	n++;
	f[n].type = GW_T_ENROLL;
	f[n].u.enroll.ref = 2;
	f[n].u.enroll.request_id =
	    (struct gw_str)S("0123456789abcdef0123456789abcdef");
	n++;
	f[n].type = GW_T_ENROLL_RESULT;
	f[n].u.enroll_result.ref = 2;
	f[n].u.enroll_result.status = GW_ENROLL_PENDING;
	f[n].u.enroll_result.retry_after = 30;
	f[n].u.enroll_result.request_id =
	    (struct gw_str)S("0123456789abcdef0123456789abcdef");
	f[n].u.enroll_result.message = (struct gw_str)S("wait");
	n++;
	f[n].type = GW_T_ERROR;
	f[n].u.reason.code = GW_R_PROTOCOL;
	n++;
	for (size_t i = 0; i < n; i++)
		off += enc(buf + off, cap - off, &f[i]);
	return off;
}

/* fuzz_session scripts: opcodes of session_env.h and encoded frames. */
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

static void
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
		[MGMT_FAULT] = 1, [MGMT_ANSWER] = 1,
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

static void
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
}

/* fuzz_enroll's sessions: opcodes of enroll_env.h and their arguments. */
static uint8_t eb[4096];
static size_t en;

/* Opcode ${o} and its ${n} argument bytes. */
static void
eo(unsigned o, unsigned n, ...)
{
	va_list ap;

	eb[en++] = (uint8_t)o;
	va_start(ap, n);
	while (n-- > 0)
		eb[en++] = (uint8_t)va_arg(ap, unsigned);
	va_end(ap);
}

/* Connection ${who} from source ${src}: TLS done, HELLO. */
static void
e_up(unsigned src, unsigned who)
{
	eo(ENR_OPEN, 1, src);
	eo(ENR_HELLO, 1, who);
}

static void
e_put(const char *name)
{
	put("enroll", name, FUZZ_ENROLL_SESSION, 1, eb, en);
	en = 0;
}

static void
enroll_session_seeds(void)
{
	/* A token valid, then expired; polls; a forged and garbage token. */
	e_up(0, 0);
	eo(ENR_MINT, 3, 0, ENR_TERMS(1, 2, 0), 0);	/* 30 s, 3 uses */
	eo(ENR_ENROLL, 3, 0, 0, ENR_TOK_SLOT0);		/* issued */
	eo(ENR_POLL, 2, 0, 0);				/* issued again */
	eo(ENR_ADVANCE, 1, 6);				/* 31 s */
	eo(ENR_ENROLL, 3, 0, 1, ENR_TOK_SLOT0);		/* expired */
	eo(ENR_ENROLL, 3, 0, 2, ENR_TOK_EXPIRED);
	eo(ENR_ENROLL, 3, 0, 3, ENR_TOK_FORGED);
	eo(ENR_ENROLL, 3, 0, 7, ENR_TOK_GARBAGE);
	eo(ENR_ENROLL, 3, 0, 6, ENR_TOK_SLOT1);		/* intruder */
	eo(ENR_MINT, 3, 2, ENR_TERMS(2, 3, 0), 0);
	eo(ENR_REVOKE, 1, 2);
	eo(ENR_ENROLL, 3, 0, 3, ENR_TOK_SLOT2);		/* revoked */
	eo(ENR_POLL, 2, 0, 200);			/* unknown */
	eo(ENR_POLL, 2, 0, 201);			/* not an id */
	e_put("token-expiry");

	/* Sixteen requests on one connection, the last answered later. */
	e_up(2, 0);
	for (unsigned i = 0; i < 15; i++)
		eo(ENR_POLL, 2, 0, i % 3);
	eo(ENR_MODE, 1, ENR_DECIDE_LATER);
	eo(ENR_ENROLL, 3, 0, 3, ENR_TOK_NONE);
	eo(ENR_DELIVER, 1, 0);				/* 16th: closed */
	eo(ENR_ENROLL, 3, 0, 3, ENR_TOK_NONE);		/* no one there */
	eo(ENR_MODE, 1, ENR_AT_ONCE);
	e_up(2, 0);
	for (unsigned i = 0; i < 16; i++)		/* 16th inside */
		eo(ENR_POLL, 2, 0, i % 3);		/* enroll_submit */
	e_put("sixteenth-request");

	/*
	 * Answered inside enroll_submit while the answer cannot be queued
	 * (hole 2's shape), then answers held, decided or not, whose
	 * connections close, or whose deadline passes.
	 */
	e_up(0, 0);
	eo(ENR_FULL, 1, 0);
	eo(ENR_ENROLL, 3, 0, 0, ENR_TOK_NONE);
	e_up(1, 0);
	eo(ENR_ENROLL, 3, 0, 1, ENR_TOK_NONE);
	eo(ENR_EOF, 1, 0);
	eo(ENR_MODE, 1, ENR_ANSWER_LATER);
	e_up(2, 0);
	eo(ENR_ENROLL, 3, 0, 2, ENR_TOK_NONE);
	eo(ENR_EOF, 1, 0);
	eo(ENR_MODE, 1, ENR_DECIDE_LATER);
	e_up(3, 0);
	eo(ENR_ENROLL, 3, 0, 3, ENR_TOK_NONE);
	e_up(5, 1);
	eo(ENR_ENROLL, 3, 1, 7, ENR_TOK_NONE);
	eo(ENR_FULL, 1, 1);
	eo(ENR_DELIVER, 1, 1);				/* cannot queue */
	eo(ENR_ADVANCE, 1, 6);				/* timed out */
	eo(ENR_DELIVER, 1, 0);
	eo(ENR_OPEN, 1, 8 | 4);				/* slow handshake */
	eo(ENR_ADVANCE, 1, 5);
	eo(ENR_TLS, 1, 0);
	e_put("answer-then-close");

	/* A live name: refused, but to a token for it alone, or --replace. */
	e_up(0, 0);
	eo(ENR_MINT, 3, 0, ENR_TERMS(2, 3, 1), 0);	/* agent-*, 16 uses */
	eo(ENR_ENROLL, 3, 0, 0, ENR_TOK_SLOT0);		/* agent-0 issued */
	eo(ENR_ENROLL, 3, 0, 4, ENR_TOK_SLOT0);		/* agent-0: taken */
	eo(ENR_MINT, 3, 1, ENR_TERMS(2, 0, 2), 4);	/* "agent-0" alone */
	eo(ENR_ENROLL, 3, 0, 4, ENR_TOK_SLOT1);		/* issued again */
	eo(ENR_ENROLL, 3, 0, 1, ENR_TOK_SLOT0);		/* agent-1 issued */
	e_up(3, 1);
	eo(ENR_ENROLL, 3, 1, 5, ENR_TOK_NONE);		/* agent-1: pending */
	eo(ENR_APPROVE, 2, 5, 0);			/* refused: taken */
	eo(ENR_APPROVE, 2, 5, 1);			/* --replace */
	eo(ENR_POLL, 2, 1, 5);
	eo(ENR_ADVANCE, 1, 15);				/* a day: all free */
	e_up(0, 0);
	eo(ENR_ENROLL, 3, 0, 4, ENR_TOK_SLOT0);
	e_put("name-taken");

	/* Pending bounds: per source (IPv4, IPv6 /64), overall, expiry. */
	for (unsigned k = 0; k < ENR_SOURCES; k++)
		e_up(k, k);
	for (unsigned i = 0; i < ENR_CSRS; i++)
		eo(ENR_ENROLL, 3, i % ENR_SOURCES, i, ENR_TOK_NONE);
	for (unsigned i = 0; i < ENR_CSRS; i++)
		eo(ENR_ENROLL, 3, (i + 1) % ENR_SOURCES, i, ENR_TOK_NONE);
	eo(ENR_ADVANCE, 1, 12);				/* 301 s: expired */
	e_up(0, 0);
	eo(ENR_POLL, 2, 0, 0);
	eo(ENR_ENROLL, 3, 0, 1, ENR_TOK_NONE);
	e_put("pending-bounds");

	/* Raw bytes: frames cut short or bad, a CSR cut short. */
	e_up(0, 0);
	eo(ENR_RAW, 2, 0, 3);
	eb[en++] = 9;
	eb[en++] = 0;
	eb[en++] = 0;
	eo(ENR_RAWCSR, 3, 0, ENR_TOK_NONE, 4);
	memcpy(eb + en, "\x30\x82\x01\x00", 4);
	en += 4;
	eo(ENR_RAW, 2, 0, GW_HDR_LEN);
	memset(eb + en, 0xff, GW_HDR_LEN);
	en += GW_HDR_LEN;
	e_put("raw");
}

/*
 * fuzz_ticket (byte 0: the clock step, byte 1: the port) and fuzz_tls: a
 * real ticket, the ClientHello that resumes from it, the ticket on the
 * port whose CRL is past nextUpdate, and the same session sealed again
 * around peers and dates the parser must refuse (but "carried").
 */
static void
ticket_seeds(struct tls_world *w)
{
	static uint8_t t[4096], hello[65536], out[4096];
	size_t tlen, hlen, n;
	const struct {
		const char		*name;
		mbedtls_x509_crt	*crt;
		int64_t			 auth;
		uint8_t			 step;
	} runs[] = {
		{ "carried", &w->agent, TLS_WORLD_TIME - 10, 0 },
		{ "lifetime-edge", &w->agent, TLS_WORLD_TIME - 500, 255 },
		{ "auth-expired", &w->agent,
		    TLS_WORLD_TIME - TLS_WORLD_LIFETIME - 1, 0 },
		{ "auth-future", &w->agent, TLS_WORLD_TIME + 3600, 0 },
		{ "revoked", &w->revoked, TLS_WORLD_TIME, 0 },
		{ "cert-expired", &w->expired, TLS_WORLD_TIME, 0 },
		{ "no-cert", NULL, TLS_WORLD_TIME, 0 },
	};

	if (gen_tls_ticket(w, t + 1, sizeof(t) - 1, &tlen, hello + 1,
	    sizeof(hello) - 1, &hlen) != 0) {
		fprintf(stderr, "gen_corpus: ticket: failed\n");
		exit(1);
	}
	hello[0] = 0;				/* no read limit */
	put("tls", "agent-resume", TLS_WORLD_AGENT, 1, hello, hlen + 1);
	put("tls", "agent13-resume", TLS_WORLD_AGENT13, 1, hello, hlen + 1);
	t[0] = 0;				/* the agent port */
	put("ticket", "issued", 0, 1, t, tlen + 1);
	put("ticket", "issued-late", 255, 1, t, tlen + 1);
	t[0] = 1;				/* its CRL past nextUpdate */
	put("ticket", "issued-crl-stale", 0, 1, t, tlen + 1);
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		out[0] = 0;
		if (gen_tls_sealed(w, t + 1, tlen, runs[i].crt, runs[i].auth,
		    out + 1, sizeof(out) - 1, &n) != 0) {
			fprintf(stderr, "gen_corpus: ticket: %s failed\n",
			    runs[i].name);
			exit(1);
		}
		put("ticket", runs[i].name, runs[i].step, 1, out, n + 1);
	}
}

/* fuzz_tls: recorded agents, TLS 1.2 and 1.3, then HELLO and DATA. */
static void
tls_seeds(void)
{
	static uint8_t rec[65536], app[256];
	struct tls_world w;
	struct gw_frame f = { .type = GW_T_HELLO };
	char err[256];
	size_t n, applen;
	const struct {
		const char		*name;
		enum tls_world_server	 server;
		int			 client;	/* 0, 12, anon (1) */
	} runs[] = {
		{ "agent-tls12", TLS_WORLD_AGENT, 12 },
		{ "agent-tls13", TLS_WORLD_AGENT, 0 },
		{ "agent13-tls13", TLS_WORLD_AGENT13, 0 },
		{ "enroll-tls12", TLS_WORLD_ENROLL, 12 },
		{ "enroll-anon", TLS_WORLD_ENROLL, 1 },
	};

	if (tls_world_init(&w, err, sizeof(err)) != 0) {
		fprintf(stderr, "gen_corpus: tls: %s\n", err);
		exit(1);
	}
	f.u.hello.vmin = f.u.hello.vmax = 1;
	f.u.hello.max_payload = 16384;
	applen = enc(app, sizeof(app), &f);
	memset(&f, 0, sizeof(f));
	f.type = GW_T_DATA;
	f.u.data.seq = 1;
	f.u.data.body.p = (const uint8_t *)"{\"cpu\":7}";
	f.u.data.body.len = 9;
	applen += enc(app + applen, sizeof(app) - applen, &f);
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		const struct tls_conf *c = runs[i].client == 12 ? w.client12 :
		    runs[i].client == 1 ? w.client_anon : w.client;

		if (gen_tls_transcript(&w, runs[i].server, c, app, applen,
		    rec + 1, sizeof(rec) - 1, &n) != 0) {
			fprintf(stderr, "gen_corpus: tls: %s failed\n",
			    runs[i].name);
			exit(1);
		}
		rec[0] = 0;			/* no read limit */
		put("tls", runs[i].name, (uint8_t)runs[i].server, 1, rec,
		    n + 1);
		if (i == 0) {			/* the same, read 7 at a time */
			rec[0] = 7;
			put("tls", "agent-tls12-cut", TLS_WORLD_AGENT, 1, rec,
			    n + 1);
		}
	}
	ticket_seeds(&w);
}

static void
conf_seed(const char *name, uint8_t sel, const char *file)
{
	char path[4096], *text;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/conf/%s", src, file);
	if ((f = fopen(path, "rb")) == NULL || (text = malloc(65536)) == NULL) {
		perror(path);
		exit(1);
	}
	n = fread(text, 1, 65535, f);
	fclose(f);
	put("config", name, sel, 1, text, n);
	free(text);
}

int
main(int argc, char **argv)
{
	static uint8_t buf[65536];
	struct pki_rng rng;
	mbedtls_pk_context pk;
	struct token_terms t = { .expires = 4102444800u, .uses = 5 };
	uint8_t csr[4096], one[1024];
	char err[256], token[TOKEN_STR_MAX], name[32];
	size_t csrlen, n, off, i;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_corpus SOURCE_DIR\n");
		return 2;
	}
	src = argv[1];
	mbedtls_pk_init(&pk);
	if (tls_world_pki_rng(&rng) != 0 ||
	    pki_genkey(&pk, 0, &rng, err, sizeof(err)) != 0 ||
	    pki_csr(&pk, "agent-seed", &rng, csr, sizeof(csr), &csrlen, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "gen_corpus: %s\n", err);
		return 1;
	}
	memcpy(t.id, "seedtokn", TOKEN_ID_LEN);
	snprintf(t.names, sizeof(t.names), "agent-*");
	if (token_mint(fuzz_token_key, &t, token, sizeof(token)) != 0)
		return 1;

	/* Every frame alone, then the whole stream, at each max_payload. */
	n = frames(buf, sizeof(buf), csr, csrlen, token);
	for (off = 0, i = 0; off < n; i++) {
		struct gw_frame f;
		size_t used;

		if (gw_frame_decode(buf + off, n - off, sizeof(buf), &f,
		    &used) != GW_OK)
			return 1;
		snprintf(name, sizeof(name), "%02zu-%s", i,
		    gw_type_str(f.type));
		put("frame", name, 1, 1, buf + off, used);
		put("upstream", name, 0, 0, buf + off, used);
		off += used;
	}
	put("frame", "stream", 2, 1, buf, n);
	put("frame", "stream-small-max", 0, 1, buf, n);
	put("upstream", "stream", 0, 0, buf, n);
	/* Two partial frames: a header alone, a payload cut short. */
	put("frame", "cut-header", 1, 1, buf, GW_HDR_LEN - 1);
	put("frame", "cut-payload", 1, 1, buf, GW_HDR_LEN + 3);

	/* Enrollment: a CSR, an RSA CSR, a token, frames. */
	put("enroll", "csr-ec", FUZZ_ENROLL_CSR, 1, csr, csrlen);
	session_seeds(csr, csrlen);
	mbedtls_pk_free(&pk);
	mbedtls_pk_init(&pk);
	if (pki_genkey(&pk, 2048, &rng, err, sizeof(err)) != 0 ||
	    pki_csr(&pk, "agent-rsa", &rng, one, sizeof(one), &csrlen, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "gen_corpus: %s\n", err);
		return 1;
	}
	put("enroll", "csr-rsa", FUZZ_ENROLL_CSR, 1, one, csrlen);
	put("enroll", "token", FUZZ_ENROLL_TOKEN, 1, token, strlen(token));
	put("enroll", "frames", FUZZ_ENROLL_FRAME, 1, buf, n);
	enroll_session_seeds();

	tls_seeds();
	mgmt_seeds();
	conf_seed("gateway", 0, "gateway.ini");
	conf_seed("mgmt", 1, "mgmt.ini");
	mbedtls_pk_free(&pk);
	pki_rng_free(&rng);
	printf("gen_corpus: seeds written under %s/fuzz/corpus\n", src);
	return 0;
}
