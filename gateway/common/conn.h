/*
 * conn.h: one framed TLS connection over a non-blocking socket, driven by
 * one libev io watcher and one timer.  It owns the TLS I/O contract in one
 * place: connect, handshake, pinned writes (same pointer and length on
 * retry), reads drained until WANT_READ, frame decoding from a fixed-size
 * input buffer, and backpressure (reading stops while paused or full).
 *
 * Owners (agent session, upstream link, gw-mgmt session, gw-agent) keep
 * their own protocol state and get called through struct conn_ops.  Rules:
 *  - conn_send() never closes: I/O errors surface later in the io callback.
 *  - conn_close() is the one exit (conn_close_error() tells the peer why
 *    first, with an ERROR frame).  It calls ops->on_close exactly once and
 *    releases the socket and TLS state at once.  The struct, and the owner
 *    through ops->on_free, are freed later, by the loop before it waits
 *    (or conn_reap), when no call of any object is on the stack: whatever
 *    a call closes, its caller still finds it allocated, in its closed
 *    state.  A callback that closed its own conn returns CONN_CLOSED_RC.
 */
#ifndef GW_CONN_H
#define GW_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <ev.h>

#include "frame.h"
#include "tls_conf.h"

struct conn;
struct conn_ticket;	/* a client's saved TLS session: its newest ticket */

enum conn_state {
	CONN_CONNECTING,	/* client: TCP connect in progress */
	CONN_HANDSHAKE,		/* TLS handshake in progress */
	CONN_OPEN,		/* handshake done, frames flow */
	CONN_CLOSED		/* closed, waiting to be freed */
};

/* The most bytes of text an ERROR of conn_close_error carries. */
#define CONN_ERROR_TEXT_MAX	200

/* Return values of ops->on_frame. */
#define CONN_OK		0	/* frame consumed */
#define CONN_PAUSE	1	/* not consumed: pause; conn_resume() later */
#define CONN_CLOSED_RC	(-1)	/* the owner closed the conn */

struct conn_ops {
	/*
	 * TLS handshake done.  Check the peer (conn_peer_crt); return 0 to
	 * go on, or call conn_close and return CONN_CLOSED_RC.
	 */
	int	(*on_open)(struct conn *c, void *arg);
	/* One decoded frame (a view into the input buffer). */
	int	(*on_frame)(struct conn *c, const struct gw_frame *f, void *arg);
	/* Output space became available after conn_send said no. Optional. */
	void	(*on_writable)(struct conn *c, void *arg);
	/* Optional: all that was queued is written (TLS took it all). */
	void	(*on_flushed)(struct conn *c, void *arg);
	/* The timer set by conn_timer fired. NULL: close with GW_R_TIMEOUT. */
	void	(*on_timeout)(struct conn *c, void *arg);
	/*
	 * The conn is closing for ${reason} (enum gw_reason) with a human
	 * ${detail}.  The owner unlinks itself; once this returns the conn is
	 * closed for good (conn_* calls on it change nothing) and no other
	 * callback comes but on_free.
	 */
	void	(*on_close)(struct conn *c, unsigned reason, const char *detail,
		    void *arg);
	/*
	 * Optional: free the owner ${arg}, once, after on_close, when no call
	 * of any object is on the stack (see above).  An owner that frees
	 * itself here rather than in on_close can never be used after free
	 * by a caller up the stack.  Touch nothing but the owner's memory.
	 */
	void	(*on_free)(void *arg);
};

struct conn_params {
	size_t		 in_cap;	/* input buffer bytes (>= one frame) */
	size_t		 out_cap;	/* output buffer bytes */
	size_t		 max_payload;	/* largest payload we accept */
	const char	*server_name;	/* client: expected name in server cert
					   (NULL: the host dialed: a name a
					   DNS SAN, an address an IP SAN
					   must then name) */
	int		 record_per_frame; /* each frame its own TLS record
					   (gw-loadgen's record pattern) */
	/*
	 * Client: resume the session in *ticket if there is one, and keep
	 * the newest ticket the server sends there (allocated here; the
	 * owner frees it with conn_ticket_free, and keeps one per server).
	 * NULL: no resumption.
	 */
	struct conn_ticket **ticket;
	/*
	 * Server: the handshake work of every connection with a budget
	 * shares one per loop iteration: once the handshake steps run in
	 * an iteration have taken ${hs_budget} seconds, a connection whose
	 * handshake has bytes to read waits for the next iteration (its
	 * socket stays ready: the loop comes back to it).  So a burst of
	 * ClientHellos cannot hold the loop, and the links and timers it
	 * serves, for longer than that.  0: no budget.
	 */
	double		 hs_budget;
};

/**
 * conn_accept(loop, fd, tc, p, ops, arg): wrap the accepted socket ${fd}
 * (made non-blocking here) as a TLS server connection and start its
 * handshake.  Return NULL on error (${fd} is then closed).
 */
struct conn *conn_accept(struct ev_loop *loop, int fd,
    const struct tls_conf *tc, const struct conn_params *p,
    const struct conn_ops *ops, void *arg);

/**
 * conn_connect(loop, addr, tc, p, ops, arg): start a non-blocking TCP
 * connect to ${addr} ("IP:port", "[IPv6]:port" or "NAME:port") followed by
 * a TLS client handshake.  A name is resolved on ${loop} (conn_dial.c)
 * and its addresses tried in turn, each but the last with its share of
 * ${c}'s timer (conn_timer), which starts at the first address; the conn
 * closes (GW_R_CONNECT) if it does not resolve, or with the last
 * address's reason if none completes the handshake.  The server
 * certificate must name ${p}->server_name, or else the host dialed (name
 * or address; a name's final '.' left out).  Return NULL if the connect
 * failed at once (errno set; EINVAL: bad address).
 */
struct conn *conn_connect(struct ev_loop *loop, const char *addr,
    const struct tls_conf *tc, const struct conn_params *p,
    const struct conn_ops *ops, void *arg);

/**
 * conn_send(c, f): encode frame ${f} into the output buffer and schedule
 * its write.  Return 0, or GW_ENOSPACE if it does not fit now (the owner
 * waits for ops->on_writable), or another negative code if ${f} is invalid.
 */
int conn_send(struct conn *c, const struct gw_frame *f);

/**
 * conn_notify_writable(c): call ops->on_writable once the output buffer is
 * at least half empty (for owners that check conn_out_space themselves).
 */
void conn_notify_writable(struct conn *c);

/** conn_out_space(c): free bytes in ${c}'s output buffer. */
size_t conn_out_space(const struct conn *c);

/** conn_out_pending(c): bytes queued in ${c}'s output buffer. */
size_t conn_out_pending(const struct conn *c);

/**
 * conn_input_pending(c): 1 if bytes from the peer wait to be processed
 * (in the socket, in TLS, or in the input buffer), else 0.  A heartbeat
 * that fires after the process was stalled must look here before it calls
 * a peer silent: the peer's answer may be waiting behind the timer.
 */
int conn_input_pending(const struct conn *c);

/**
 * conn_hs_waiting(c): 1 if ${c}'s handshake has bytes to read and waits
 * for a later loop iteration (its handshake budget is spent: the wait is
 * ours, not its peer's), else 0.
 */
int conn_hs_waiting(const struct conn *c);

/** conn_resume(c): undo CONN_PAUSE: decode buffered frames, read again. */
void conn_resume(struct conn *c);

/**
 * conn_timer(c, seconds): (re)arm ${c}'s one timer to fire once after
 * ${seconds}; 0 stops it.  While ${c}'s name resolves, it is held: it
 * starts when the first address is dialed.
 */
void conn_timer(struct conn *c, double seconds);

/**
 * conn_close(c, reason, detail): the one exit.  Try once to flush pending
 * output and send close_notify (never blocks), call ops->on_close, release
 * the socket and TLS state; ${c} stays allocated (closed) until the loop
 * frees it, and its owner with ops->on_free.  Safe in any state; a second
 * call is a no-op.
 */
void conn_close(struct conn *c, unsigned reason, const char *detail);

/**
 * conn_close_error(c, code, fmt, ...): tell the peer why, then close: if
 * ${c} is open and ${code} is a wire reason other than GW_R_NORMAL, queue
 * ERROR(${code}, text) best effort (its text cut to CONN_ERROR_TEXT_MAX
 * bytes), then conn_close(c, ${code}, text), which tries once to flush it.
 * The text is formatted from ${fmt} as printf(3) does, up to 255 bytes.
 * Safe in any state, as conn_close; the owner's one ERROR-then-close.
 */
void conn_close_error(struct conn *c, unsigned code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/**
 * conn_reap(): free every closed conn now (ops->on_free first).  The loop
 * does it before it waits; call it only where no callback is on the stack,
 * e.g. after ev_run has returned and everything was closed.
 */
void conn_reap(void);

/** conn_state(c): the connection state. */
enum conn_state conn_state(const struct conn *c);

/** conn_state_str(s): "connecting", "handshake", "open" or "closed". */
const char *conn_state_str(enum conn_state s);

/** conn_peer(c): the peer address as "ip:port". */
const char *conn_peer(const struct conn *c);

/**
 * conn_peer_crt(c): the verified peer certificate while the owner's
 * on_open runs, else NULL: an open connection keeps only its DER
 * (conn_peer_der), not the 3.5 KiB a parsed certificate costs.
 */
const mbedtls_x509_crt *conn_peer_crt(const struct conn *c);

/**
 * conn_peer_der(c, len): the DER of the verified peer certificate, from
 * on_open to the close, or NULL; its length in ${len}.
 */
const uint8_t *conn_peer_der(const struct conn *c, size_t *len);

/**
 * conn_resumed(c): 1 if ${c}'s handshake resumed a session from a ticket
 * (no certificate was sent: conn_peer_crt is the one the ticket carried,
 * on the server), else 0.
 */
int conn_resumed(const struct conn *c);

/** conn_ticket_free(t): free a saved session; NULL-safe. */
void conn_ticket_free(struct conn_ticket *t);

/** conn_tls_info(c): "TLSv1.3/TLS1-3-AES-128-GCM-SHA256" or "". */
const char *conn_tls_info(const struct conn *c);

/** conn_set_arg(c, arg): change the owner pointer passed to callbacks. */
void conn_set_arg(struct conn *c, void *arg);

/**
 * conn_set_ops(c, ops, arg): hand ${c} to a new owner: its callbacks are
 * ${ops} with ${arg} from now on (an accepted connection whose owner is
 * known only once its handshake is done, from the peer's certificate).
 */
void conn_set_ops(struct conn *c, const struct conn_ops *ops, void *arg);

#endif /* GW_CONN_H */
