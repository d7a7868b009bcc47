/*
 * mgmt_env.h: the world fuzz_mgmt runs gw-mgmt's real session code in
 * (link.c, mchan.c, commit.c, signer.c, over store.c and store_sqlite.c):
 * the fake conns of fake_conn.h (no sockets, no TLS), whose gateway
 * connections the harness opens, feeds and closes; an signer_client.h
 * that holds enrollment requests until the harness answers them
 * (mgmt_auth.c); a SQLite store the harness can make fail and can read
 * from a second connection (what is durable: mgmt_store.c).
 *
 * Beyond the conn contract fake_conn.c keeps (a paused conn reads nothing
 * until conn_resume, and then only from the loop: mgmt_loop), it plays
 * the gateway (mgmt_link.c): it remembers what each channel sent and
 * checks, for every frame gw-mgmt sends, that
 *  - OPEN_ACK(last) answers a pending OPEN with the agent's highest
 *    durable seq; ACKs are cumulative, increasing, never above the highest
 *    DATA the channel sent, and every DATA they cover is durable (read from
 *    a second connection, which sees committed rows only);
 *  - ENROLL_RESULT answers an ENROLL of that link, once;
 *  - a COMMAND goes only on an open channel (OPEN_ACK received, no CLOSE)
 *    of an agent the command targets, never once the command expired;
 *    a target is delivered or answered in the store only if a COMMAND of
 *    it went on a channel of its agent; what a gateway sends changes only
 *    its own channel's agent's targets (mgmt_store.c keeps them);
 *  - no channel and no link is closed for what another channel or link
 *    did (the harness names the actor of each step), unless the store was
 *    made to fail in that step.
 *
 * The opcodes are the input format of fuzz_mgmt; gen_corpus writes its
 * seeds with them.
 */
#ifndef GW_FUZZ_MGMT_ENV_H
#define GW_FUZZ_MGMT_ENV_H

#include <stddef.h>
#include <stdint.h>

#include "fake_conn.h"

struct store;

/*
 * Input: one flags byte (MGMT_F_*), then operations: an opcode byte and
 * its argument bytes (count in the comment), some followed by frame bytes.
 * "who" picks a link slot (who % MGMT_LINKS).
 */
enum mgmt_op {
	MGMT_CONNECT,	/* crt: a gateway connects; crt % 6 < 5: its
			   handshake ends with certificate crt (mgmt_crt),
			   else it waits (MGMT_TLS, MGMT_TIMER) */
	MGMT_TLS,	/* who, crt: a waiting handshake ends */
	MGMT_HELLO,	/* who, vmax: HELLO (vmax 0: version 1) */
	MGMT_OPEN,	/* who, arg: OPEN for agent-(arg & 3) (agent-3 is
			   revoked); arg & 4: a bad identity; arg & 8: the
			   last channel id again */
	MGMT_DATA,	/* who, chan, seq, len: DATA on the link's channel
			   chan (% its count), seq picked by mgmt_seq */
	MGMT_CLOSE,	/* who, chan: the gateway closes that channel */
	MGMT_PING,	/* who */
	MGMT_ENROLL,	/* who, arg: ENROLL; arg & 1: malformed (a NUL in the
			   token); arg & 2: the authority answers at once */
	MGMT_RAW,	/* who, frame bytes: from the gateway, decoded */
	MGMT_FULL,	/* who, sel: the link's output fills, or drains
			   (all of it if sel & 32, else (sel + 1) * 64) */
	MGMT_TIMER,	/* who: the link's timer fires, if armed */
	MGMT_EOF,	/* who: the gateway closes the link */
	MGMT_BATCH,	/* -: the batch timer fires, if armed */
	MGMT_FAULT,	/* arg: the store: 0 works, 1 refuses every insert,
			   2 refuses the next commit */
	MGMT_ANSWER,	/* status: the authority answers its oldest request */
	/* With MGMT_F_COMMANDS only: */
	MGMT_CMD,	/* sel: a command made as `gw-mgmt command send` does,
			   for agent-(sel & 3), or every agent-* if sel & 4;
			   sel & 8: it expired already */
	MGMT_CMD_ACK,	/* who, chan, id: COMMAND_ACK on the link's channel
			   chan (% its count), the id mgmt_cmd_id picks */
	MGMT_RESULT,	/* who, chan, id, out: RESULT, outcome out % 6,
			   status out >> 3, output if out & 4 */
	MGMT_RESEND,	/* -: the resend round runs */
	MGMT_OPS
};

/* The opcodes of an input without MGMT_F_COMMANDS (as before them). */
#define MGMT_OPS_BASE	MGMT_CMD

/* MGMT_CMD_ACK's and MGMT_RESULT's id byte % MGMT_IDS (mgmt_cmd_id). */
enum mgmt_id {
	MGMT_ID_MADE,		/* 0 .. 3: the id of the command made
				   number sel / MGMT_IDS (modulo the count;
				   1 if none) */
	MGMT_ID_UNKNOWN = 4,	/* an id no command has */
	MGMT_ID_I64MAX1,	/* INT64_MAX + 1 */
	MGMT_ID_U64MAX,		/* UINT64_MAX */
	MGMT_IDS
};

/* MGMT_DATA's seq byte % MGMT_SEQS, from the channel's highest seq h. */
enum mgmt_seq {
	MGMT_SEQ_NEXT,		/* h + 1 */
	MGMT_SEQ_REPEAT,	/* h */
	MGMT_SEQ_GAP,		/* h + 2 */
	MGMT_SEQ_BACK,		/* h - 1 */
	MGMT_SEQ_ONE,		/* 1 */
	MGMT_SEQ_ZERO,		/* 0 (the codec refuses it) */
	MGMT_SEQ_I64MAX,	/* INT64_MAX */
	MGMT_SEQ_I64MAX1,	/* INT64_MAX + 1 */
	MGMT_SEQ_U64MAX,	/* UINT64_MAX */
	MGMT_SEQ_2_32,		/* 2^32 */
	MGMT_SEQS
};

/* Flags byte. */
#define MGMT_F_BATCH	3	/* batch_max: 1, 2, 3 or 64 */
#define MGMT_F_ENROLL	4	/* [enroll] ca_dir set: a signing authority */
#define MGMT_F_COMMANDS	8	/* HELLO announces COMMANDS; MGMT_CMD.. */

/* Certificates a gateway may show (MGMT_CONNECT, MGMT_TLS). */
enum mgmt_crt {
	MGMT_CRT_GW1,		/* gateway "gw-1" */
	MGMT_CRT_GW2,		/* gateway "gw-2" */
	MGMT_CRT_ROGUE,		/* a gateway certificate, name not allowed */
	MGMT_CRT_AGENT,		/* "gw-3", but an agent's (no serverAuth) */
	MGMT_CRT_NONE,		/* no certificate */
	MGMT_CRTS
};

#define MGMT_LINKS	3	/* link slots */
#define MGMT_AGENTS	4	/* agent names agent-0 .. agent-3 */

/** mgmt_env_init(crts): the certificates (MGMT_CRTS, NULL for NONE). */
void mgmt_env_init(const void *const crts[MGMT_CRTS]);

/**
 * mgmt_env_store(s, path, err, errlen): open the store at ${path} into
 * ${s} (store_open), with the fault hooks on its connection and a second,
 * read-only connection that sees only what is committed.  0 or -1.
 */
int mgmt_env_store(struct store **s, const char *path, char *err,
    size_t errlen);

/**
 * mgmt_env_reset(): forget everything (between inputs); no conn is live.
 * Link slot i is fake_conn_accepted(i).
 */
void mgmt_env_reset(void);

/** mgmt_env_done(): close the reader; check nothing is left. */
void mgmt_env_done(void);

/**
 * mgmt_step(who, chan): a step begins; its actor is link slot ${who}
 * (-1: none) and on it channel ${chan} (0: the link itself).  Closes of
 * other channels or links in this step are violations unless the store
 * failed in it.  mgmt_step(-2, 0): teardown, anything may close.
 */
void mgmt_step(int who, uint32_t chan);

/**
 * mgmt_check(s): after a step: nothing committed was lost, every new
 * durable row is one some channel of its agent sent, and no row of the
 * open batch was rolled back for what another channel did (unless the
 * store failed).
 */
void mgmt_check(struct store *s);

/**
 * mgmt_clock(now_ms): the loop's time, which stands still (the store's
 * times of commands, and what is expired).
 */
void mgmt_clock(int64_t now_ms);

/**
 * mgmt_command(s, sel): make a command in store ${s} (MGMT_CMD), as
 * `gw-mgmt command send` does, and remember its targets.
 */
void mgmt_command(struct store *s, unsigned sel);

/** mgmt_cmd_id(sel): the id MGMT_CMD_ACK, MGMT_RESULT send (enum mgmt_id). */
uint64_t mgmt_cmd_id(unsigned sel);

/** mgmt_fault(mode): the store's fault mode (MGMT_FAULT). */
void mgmt_fault(unsigned mode);

/** mgmt_open(c, crt): ${c}'s handshake ends with certificate ${crt}. */
void mgmt_open(struct conn *c, unsigned crt);

/** mgmt_send(c, f): the gateway sends frame ${f} on ${c}. */
void mgmt_send(struct conn *c, const struct gw_frame *f);

/**
 * mgmt_input(c, buf, len): bytes from the gateway on ${c}, decoded as the
 * real conn does (a bad frame: ERROR and close).  Return the bytes used,
 * or 0 if ${buf} holds no whole frame.
 */
size_t mgmt_input(struct conn *c, const uint8_t *buf, size_t len);

/**
 * mgmt_loop(check): run what the loop would: resumed links read the
 * frames they left waiting, one step each, ${check}() after each.
 */
void mgmt_loop(void (*check)(void));

/** mgmt_full(c, sel): ${c}'s output fills, or drains (MGMT_FULL). */
void mgmt_full(struct conn *c, unsigned sel);

/** mgmt_answer(status): the authority answers its oldest request. */
void mgmt_answer(unsigned status);

/** mgmt_auth_now(now): the next request is answered at once (${now}). */
void mgmt_auth_now(int now);

/**
 * mgmt_chan_pick(c, sel, id, hi): the id of ${c}'s channel number ${sel}
 * (modulo the count) into ${id}, and its highest seq (DATA sent or
 * OPEN_ACK) into ${hi}; -1 if ${c} has no channel.
 */
int mgmt_chan_pick(struct conn *c, unsigned sel, uint32_t *id,
    uint64_t *hi);

/** mgmt_max_chan(c): the highest channel id gw-mgmt read OPEN for. */
uint32_t mgmt_max_chan(struct conn *c);

#endif /* GW_FUZZ_MGMT_ENV_H */
