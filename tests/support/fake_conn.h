/*
 * fake_conn.h: conn.h without sockets or TLS, for the fuzz harnesses and
 * unit tests that run an owner's real session code (fuzz_session:
 * gatewayd's agent.c and upstream.c; fuzz_mgmt: gw-mgmt's link.c;
 * fuzz_enroll: gatewayd's enroll_conn.c).  Link fake_conn.c into the
 * harness or test (fuzz/CMakeLists.txt, tests/CMakeLists.txt) with
 * tests/support/ on its include path: its conn_* functions then stand for
 * gateway/common/conn.c's, and the harness plays the socket and the peer
 * with the fake_conn_* calls below.
 *
 * It keeps the real conn's contract, so a bug of the owner shows up as a
 * sanitizer report or a failed SUPPORT_CHECK:
 *  - on_close is called exactly once; the struct, and its owner through
 *    on_free, are freed only by conn_reap, which the harness calls between
 *    operations, as the loop does (a later use is a use after free);
 *  - a frame the owner sends is encoded with the real encoder and must
 *    decode back to the same bytes; it fits while the output has room
 *    (fake_conn_full), else GW_ENOSPACE and on_writable once it drains;
 *    conn_out_pending is 0, unless the output is a buffer of bytes
 *    (fake_conn_bounded) that drains by fake_conn_drain;
 *  - bytes from the peer are decoded as conn.c does (a bad frame: ERROR,
 *    then close); a paused conn (CONN_PAUSE) reads nothing until
 *    conn_resume, and then only from the loop (fake_conn_loop);
 *  - conn_close_error sends ERROR (shown to env->sent as the owner's)
 *    only if the conn is open and the code a wire reason other than
 *    GW_R_NORMAL, its text cut to CONN_ERROR_TEXT_MAX, then closes.
 *
 * The environment checks the owner's side through the hooks of struct
 * fake_conn_env, and keeps what it knows of each conn (channels, say) in
 * the conn's own memory (fake_conn_data), freed with it.
 *
 * To use it: fill a struct fake_conn_env (static: it is kept), call
 * fake_conn_reset(&env) before each input, drive the conns the owner
 * opened (fake_conn_accepted, fake_conn_connected) with fake_conn_open,
 * fake_conn_input or fake_conn_frame, fake_conn_full, fake_conn_timer and
 * fake_conn_eof, call conn_reap after each operation, and check
 * fake_conn_live() == 0 after the owner's teardown.
 */
#ifndef GW_SUPPORT_FAKE_CONN_H
#define GW_SUPPORT_FAKE_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"

#define FAKE_CONN_SLOTS	24	/* conns at once, per side */

struct fake_conn_env {
	unsigned	 accepts;	/* conn_accept's slots (then ENOBUFS) */
	unsigned	 connects;	/* conn_connect's; 0: it is a bug */
	size_t		 data_size;	/* fake_conn_data bytes, zeroed */
	size_t		 queue_cap;	/* bytes a paused conn holds unread;
					   0: no owner pauses (CONN_PAUSE and
					   conn_resume are bugs) */
	/*
	 * Each hook may be NULL.  sent: the owner sent ${f} on ${c} (as
	 * decoded back); ${fits} 0: it got GW_ENOSPACE.  The conn's own
	 * ERROR (a bad frame from the peer) is not shown.
	 */
	void	(*sent)(struct conn *c, const struct gw_frame *f, int fits);
	/* reading: the owner is about to read ${f} from ${c}'s peer. */
	void	(*reading)(struct conn *c, const struct gw_frame *f);
	/* read: ... and did; ${rc} is on_frame's (CONN_PAUSE: not taken). */
	void	(*read)(struct conn *c, const struct gw_frame *f, int rc);
	/* closing: conn_close(c, reason, detail), before on_close. */
	void	(*closing)(struct conn *c, unsigned reason,
		    const char *detail);
	/* made: conn_accept or conn_connect made ${c}, before its owner. */
	void	(*made)(struct conn *c);
	/* timer: conn_timer(c, seconds) (0: stopped). */
	void	(*timer)(struct conn *c, double seconds);
	/* peer: conn_peer(c) (NULL hook: one address for all). */
	const char *(*peer)(const struct conn *c);
};

/**
 * fake_conn_reset(env): forget every conn (between inputs; none may be
 * live) and use ${env}, which must outlive them.
 */
void fake_conn_reset(const struct fake_conn_env *env);

/** fake_conn_live(): conns not yet freed (0 after a clean teardown). */
unsigned fake_conn_live(void);

/**
 * fake_conn_accepted(i), fake_conn_connected(i): the conn conn_accept
 * (conn_connect) put in slot ${i} modulo the slots, or NULL.
 */
struct conn *fake_conn_accepted(unsigned i);
struct conn *fake_conn_connected(unsigned i);

/** fake_conn_slot(c): ${c}'s slot number. */
unsigned fake_conn_slot(const struct conn *c);

/** fake_conn_is_accepted(c): 1 if conn_accept made ${c}, else 0. */
int fake_conn_is_accepted(const struct conn *c);

/** fake_conn_data(c): the environment's data_size bytes for ${c}. */
void *fake_conn_data(const struct conn *c);

/**
 * fake_conn_crt(c): the certificate ${c}'s handshake ended with (NULL:
 * none yet, or none shown), whatever its state now.
 */
const mbedtls_x509_crt *fake_conn_crt(const struct conn *c);

/**
 * fake_conn_open(c, crt): ${c}'s handshake ends (if it was under way)
 * with peer certificate ${crt} (may be NULL): on_open.
 */
void fake_conn_open(struct conn *c, const mbedtls_x509_crt *crt);

/**
 * fake_conn_decode(c, buf, len, f, used): decode the frame at the head of
 * ${buf} as ${c} would (its max_payload): GW_OK with the frame in ${f} and
 * its length in ${used}; GW_ENEED (${used} 0) if ${buf} holds no whole
 * frame; else the GW_PERR_* code, having closed ${c} as conn.c does (ERROR
 * first, if open), with ${used} the bytes to skip.
 */
int fake_conn_decode(struct conn *c, const uint8_t *buf, size_t len,
    struct gw_frame *f, size_t *used);

/**
 * fake_conn_bytes(c, buf, len): the peer sends the whole, valid frame
 * ${buf}: the owner reads it now, or it waits behind a pause (or earlier
 * frames), in ${c}'s queue if there is room there.  Only if ${c} is open.
 */
void fake_conn_bytes(struct conn *c, const uint8_t *buf, size_t len);

/**
 * fake_conn_input(c, buf, len): bytes from ${c}'s peer (fake_conn_decode,
 * then fake_conn_bytes).  Return the bytes used, or 0 if ${buf} holds no
 * whole frame.
 */
size_t fake_conn_input(struct conn *c, const uint8_t *buf, size_t len);

/**
 * fake_conn_frame(c, f): the peer sends frame ${f}: the owner reads it now
 * (as it is), or it waits, encoded, as in fake_conn_bytes.
 */
void fake_conn_frame(struct conn *c, const struct gw_frame *f);

/**
 * fake_conn_loop(step, check): what the loop does for conns resumed since
 * the last call: read the frames they hold, one at a time, each after
 * ${step}(c, f) (may be NULL) and followed by ${check}() (may be NULL).
 */
void fake_conn_loop(void (*step)(struct conn *, const struct gw_frame *),
    void (*check)(void));

/**
 * fake_conn_full(c, room): ${c}'s output fills up; or, if full, drains:
 * ${room} bytes of room (SIZE_MAX: all of it), and on_writable if the
 * owner waits for it (it may fill it up again).
 */
void fake_conn_full(struct conn *c, size_t room);

/**
 * fake_conn_bounded(c): ${c}'s output becomes a buffer of its out_cap
 * bytes, empty now, which fills with the frames the owner sends (in that
 * order: conn_out_pending counts them) and empties only by
 * fake_conn_drain.  Do not mix with fake_conn_full.
 */
void fake_conn_bounded(struct conn *c);

/**
 * fake_conn_drain(c, n): the socket takes up to ${n} of the bytes in
 * ${c}'s bounded output, the oldest first; then, as conn.c after a write,
 * on_writable if the owner waits for it and the output is at least half
 * empty.  Return the bytes taken.
 */
size_t fake_conn_drain(struct conn *c, size_t n);

/** fake_conn_timer(c): ${c}'s timer fires, if armed. */
void fake_conn_timer(struct conn *c);

/** fake_conn_eof(c): ${c}'s peer closes. */
void fake_conn_eof(struct conn *c);

#endif /* GW_SUPPORT_FAKE_CONN_H */
