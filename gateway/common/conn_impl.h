/*
 * conn_impl.h: inside struct conn, for conn.c (the connection's state
 * machine), conn_out.c (its output: send queue, flush, pinned writes),
 * conn_tls.c (its TLS session: setup, handshake facts, tickets),
 * conn_bio.c (its socket side under mbedTLS) and conn_dial.c (a client's
 * DNS name: resolved, its addresses tried in turn, each with its share of
 * the owner's timer).  Nothing else sees
 * inside it.
 */
#ifndef GW_CONN_IMPL_H
#define GW_CONN_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/queue.h>
#include <ev.h>
#include <mbedtls/ssl.h>

#include "conn.h"
#include "tls_ticket.h"

#define CONN_MAGIC	0x436f6e6eu	/* "Conn" */

/* Abort unless ${c} is a live conn: where a void * or w->data is cast. */
#define CONN_CHECK(c) do {						\
	if ((c)->magic != CONN_MAGIC)					\
		abort();						\
} while (0)

/*
 * Socket bytes read ahead for mbedTLS, which asks for a record's header and
 * then its body: one recv(2) per wake-up instead of two per record.
 */
#define CONN_RX_CAP	(16384 + 512)

struct conn_dial;

struct conn {
	unsigned		 magic;
	enum conn_state		 state;		/* conn_set_state only */
	int			 fd;
	struct tls_conf		*tc;		/* a reference: outlives ssl */
	struct ev_loop		*loop;
	ev_io			 io;
	ev_timer		 tmr;
	mbedtls_ssl_context	 ssl;
	const struct conn_ops	*ops;
	void			*arg;
	int			 rd_want;	/* EV_* the last read waits on */
	int			 wr_want;	/* EV_* the pinned write waits on */
	int			 paused;	/* owner returned CONN_PAUSE */
	int			 busy;		/* our callbacks on the stack */
	int			 out_blocked;	/* conn_send said ENOSPACE */
	int			 record_per_frame;
	int			 server;
	double			 hs_budget;	/* conn_params.hs_budget */
	int			 verified;	/* a peer certificate was
						   verified (full handshake) */
	int			 peer_unparsed;	/* mbedTLS verified an empty
						   leaf: it skipped one signed
						   with an algorithm it lacks */
	int			 resumed;	/* the handshake resumed a
						   session from a ticket */
	struct tls_resumed	 res;		/* server: a ticket's peer */
	uint8_t			*peer_der;	/* after on_open: the peer's
						   certificate, DER */
	size_t			 peer_der_len;
	struct conn_ticket	**ticket;	/* client: conn_params.ticket */
	size_t			 max_payload;
	uint8_t			*in;
	size_t			 in_cap, in_off, in_len;
	uint8_t			*out;
	size_t			 out_cap, out_off, out_len;
	uint8_t			*rx;		/* read-ahead (CONN_RX_CAP) */
	size_t			 rx_off, rx_len;
	int			 rx_drained;	/* the last recv emptied the
						   socket: wait for the loop */
	TAILQ_ENTRY(conn)	 fq;		/* on conn_flushq.q (open) or
						   .dead (closed) */
	int			 on_fq;
	TAILQ_ENTRY(conn)	 hsq;		/* on conn_hs.c's FIFO */
	int			 on_hsq;
	size_t			 out_pin;	/* length handed to ssl_write */
	char			 peer[64];
	char			 tls_info[80];
	struct conn_dial	*dial;		/* client to a name, or NULL */
};

/* The state machine's side (conn.c); each is documented there. */
void conn_set_state(struct conn *c, enum conn_state s);
void conn_update_io(struct conn *c);
void conn_trim(struct conn *c);
void conn_process(struct conn *c);

/* The handshake budget (conn_hs.c); each is documented there. */
int conn_hs_defer(struct conn *c);
void conn_hs_unqueue(struct conn *c);
int conn_hs_step(struct conn *c);

/* Dialing a name (conn_dial.c); each is documented there. */
int conn_dial_start(struct conn *c, const char *host, const char *port,
    const char *server_name);
int conn_dial_hold(struct conn *c, double seconds);
int conn_dial_next(struct conn *c, int err, char *why, size_t whylen);
int conn_dial_redial(struct conn *c, const char *err, char *why,
    size_t whylen);
void conn_dial_free(struct conn *c);

/* The output side (conn_out.c); each is documented there. */
int conn_queue_loop(struct ev_loop *loop);
void conn_out_unqueue(struct conn *c);
void conn_out_wake(struct ev_loop *loop);
int conn_flush(struct conn *c);

/* The TLS session side (conn_tls.c); each is documented there. */
int conn_tls_setup(struct conn *c, const struct tls_conf *tc,
    const char *server_name);
int conn_tls_step(struct conn *c);
void conn_tls_opened(struct conn *c);
void conn_tls_forget_peer(struct conn *c);
void conn_tls_detail(struct conn *c, int rc, char *buf, size_t len);
void conn_tls_keep_ticket(struct conn *c);

/**
 * conn_bio_send(ctx, p, n) / conn_bio_recv(ctx, p, n): mbedTLS's BIO on
 * the connection ${ctx}'s socket; recv reads ahead (conn_bio.c).
 */
int conn_bio_send(void *ctx, const unsigned char *p, size_t n);
int conn_bio_recv(void *ctx, unsigned char *p, size_t n);

#endif /* GW_CONN_IMPL_H */
