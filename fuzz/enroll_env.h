/*
 * enroll_env.h: the world in which fuzz_enroll's session selector
 * (FUZZ_ENROLL_SESSION) runs gatewayd's real enrollment code: the
 * enrollment port's connections (enroll_conn.c) and requests (enroll.c)
 * in [enroll] mode = local, decided by the real signing authority
 * (certs/ca/authority*.c, enroll_dir.c) on a CA directory of its own.
 *
 * The seams, all at link time, so that no production code changes:
 *  - conn.h: the fake conns of fake_conn.h (no sockets, no TLS; the
 *    real conn's contract kept), from six peer addresses, with timers
 *    that fire when the clock passes them; what the gateway sends is
 *    checked: one ENROLL_RESULT per ENROLL, with its ref, never to a
 *    closed connection;
 *  - signer_client.h: in place of the signer process, which carries
 *    authority_submit() and its one answer over a socketpair, the same
 *    authority called in this process.  It answers inside
 *    signer_client_submit() (so inside enroll_submit(): hole 2 of issue
 *    17 was a use after free there), or holds the request until the input
 *    says: then decided, or decided at once and only answered then;
 *  - the clock: time() (the authority, tokens, certificate dates),
 *    ev_now() (enroll.c's deadlines) and the enrollment tick (its
 *    ev_timer_start is recorded, and fired when time moves) are wrapped
 *    (-Wl,--wrap, fuzz/CMakeLists.txt) and read the harness's clock while
 *    a session runs, the real one otherwise.
 *
 * The opcodes are the input format; gen_corpus writes seeds with them.
 */
#ifndef GW_FUZZ_ENROLL_ENV_H
#define GW_FUZZ_ENROLL_ENV_H

#include <stddef.h>
#include <stdint.h>

#include "fake_conn.h"

/*
 * Input after the selector byte: operations, one opcode byte each
 * (modulo ENR_OPS), followed by the argument bytes listed.
 */
enum enr_op {
	ENR_OPEN,	/* src: a connection from source src % ENR_SOURCES;
			   its TLS handshake ends at once unless src & 8 */
	ENR_TLS,	/* who: the handshake of connection who ends */
	ENR_HELLO,	/* who: HELLO */
	ENR_ENROLL,	/* who, csr, tok: ENROLL with CSR csr % ENR_CSRS and
			   token tok (enum enr_tok) */
	ENR_POLL,	/* who, k: ENROLL with only a request id: CSR k's
			   (k < ENR_CSRS), else an unknown or a bad one */
	ENR_RAWCSR,	/* who, tok, n, n bytes: ENROLL with those as CSR */
	ENR_RAW,	/* who, n, n bytes: bytes from the peer */
	ENR_MINT,	/* slot, terms, k: mint token slot % ENR_SLOTS now
			   (enr_mint: life, uses, names; k: the CSR whose
			   name a one-name token names) */
	ENR_ADVANCE,	/* k: the clock moves enr_steps[k % 16] seconds;
			   due connection timers fire, then enroll's tick */
	ENR_MODE,	/* m: how the signer answers now on (enum enr_mode) */
	ENR_DELIVER,	/* k: held request k (modulo those held) is decided
			   or answered now */
	ENR_FULL,	/* who: its output fills (every send fails), or
			   drains */
	ENR_EOF,	/* who: the peer closes */
	ENR_APPROVE,	/* k, replace: gw-cert approve [--replace] of the
			   request of CSR k */
	ENR_REVOKE,	/* slot: gw-cert token revoke of token slot */
	ENR_OPS
};

enum enr_tok {
	ENR_TOK_NONE,		/* no token: a pending request */
	ENR_TOK_SLOT0,		/* the token in slot 0 ("" if none) */
	ENR_TOK_SLOT1,
	ENR_TOK_SLOT2,
	ENR_TOK_SLOT3,
	ENR_TOK_FORGED,		/* good terms, another key */
	ENR_TOK_GARBAGE,	/* not a token */
	ENR_TOK_EXPIRED,	/* minted now, expired a second ago */
	ENR_TOKS
};

enum enr_mode {
	ENR_AT_ONCE,		/* answered inside signer_client_submit */
	ENR_DECIDE_LATER,	/* held; decided when delivered */
	ENR_ANSWER_LATER,	/* decided now, the answer held */
	ENR_MODES
};

/*
 * ENR_MINT's terms byte: life (bits 0-1): 5 s, 30 s, 10 min, 2 days;
 * uses (bits 2-3): 1, 2, 3, 16; names (bits 4-5): any, "agent-*", the
 * name of CSR k alone, "intruder*".
 */
#define ENR_TERMS(life, uses, names) ((life) | (uses) << 2 | (names) << 4)

#define ENR_SOURCES	6	/* 198.51.100.1 twice, .2, two of one
				   IPv6 /64, another /64 */
#define ENR_CONNS	6	/* connection slots */
#define ENR_CSRS	8	/* agent-0..3, agent-0 and agent-1 again
				   (other keys), intruder, agent-4 */
#define ENR_SLOTS	4	/* minted tokens */
#define ENR_HELD	8	/* requests the signer holds */
#define ENR_T0		1893456000	/* 2030-01-01T00:00:00Z */

/* The authority's bounds in the harness's configuration. */
#define ENR_MAX_PENDING		5
#define ENR_PER_SOURCE		2
#define ENR_NEW_PER_HOUR	4
#define ENR_PENDING_TTL		300
#define ENR_TIMEOUT		30	/* [enroll] timeout */
#define ENR_CERT_DAYS		1

/*
 * enroll_env.c: the world.  Counters of the signer's side: requests
 * submitted = answered + cancelled + held, at any time.
 */
struct enr_count {
	unsigned	 submitted;	/* signer_client_submit */
	unsigned	 answered;	/* ... answered to enroll.c */
	unsigned	 cancelled;	/* ... cancelled while held */
	unsigned	 answers;	/* ENROLL_RESULTs sent to agents */
};

#include <time.h>

struct authority_req;

/** enr_env_start(), enr_env_stop(): a session's clock (at ENR_T0). */
void enr_env_start(void);
void enr_env_stop(void);

/** enr_now(): the harness's clock. */
time_t enr_now(void);

/** enr_count(): the signer's counters. */
const struct enr_count *enr_count(void);

/** enr_source_group(source): the authority's key of ${source}, 0-3. */
unsigned enr_source_group(const char *source);

/** enr_accept_from(src): the next conn_accept comes from source ${src}. */
void enr_accept_from(unsigned src);

/** enr_accepted(): the conn it made, or NULL. */
struct conn *enr_accepted(void);

/**
 * enr_input(c, buf, len): bytes from ${c}'s peer, decoded as conn.c does
 * (a bad frame: ERROR and close); return the bytes used (all of ${len} if
 * they hold no whole frame or the conn is not open).
 */
size_t enr_input(struct conn *c, const uint8_t *buf, size_t len);

/** enr_advance(secs): the clock moves; due timers, enroll's tick fire. */
void enr_advance(time_t secs);

/** enr_set_mode(m): how the signer answers from now (enum enr_mode). */
void enr_set_mode(unsigned m);

/** enr_held_count(): requests the signer holds. */
unsigned enr_held_count(void);

/** enr_deliver(k): decide or answer held request ${k} (modulo). */
void enr_deliver(unsigned k);

/*
 * enroll_session.c: the model the world reports to.
 * enr_issued_size(): the size of DIR/issued.txt (0 if none);
 * enr_issued(req): the authority has just signed a certificate for
 * ${req}: check that it could (FUZZ_CHECK) and record it.
 */
long long enr_issued_size(void);
void enr_issued(const struct authority_req *req);

/**
 * enr_session(data, size): run the operations of ${data} on a fresh
 * gateway (enroll_new), check the invariants after each, close every
 * connection, check that nothing is left, and free the gateway.
 */
void enr_session(const uint8_t *data, size_t size);

#endif /* GW_FUZZ_ENROLL_ENV_H */
