/*
 * gen_enroll.c: fuzz_enroll's session seeds, scripts of enroll_env.h's opcodes (see gen_corpus.c).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "fuzz.h"
#include "gen_corpus.h"
#include "enroll_env.h"
#include "token.h"

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

void
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
