/*
 * plain.h: gw-loadgen's plain 1:1 mode, for measuring a general TLS relay
 * (HAProxy) with the same tool, certificates and record pattern as
 * gatewayd.  A plain client is an agent without our protocol: mutual TLS
 * to the relay with its own certificate, then E events of B bytes, each
 * written as its own TLS record, at most `window` unacknowledged.  Behind
 * the relay, the sink (in the generator's process and loop) reads each
 * connection and answers every complete event with one byte: the client's
 * acknowledgement, so that send-to-ACK latency means the same as with
 * gatewayd (minus the durable store).
 *
 * A client can start again once finished (gw-loadgen's handshake mode:
 * connect, handshake, one event and its acknowledgement, close; its storm
 * mode: the relay restarted, connect again); with `resume` it keeps the
 * relay's newest TLS 1.3 ticket between its connections and offers it in
 * the next handshake.  With a `connect_timeout`, a connection that has
 * not completed its handshake by then fails, as gw-agent's does.
 */
#ifndef GW_LOADGEN_PLAIN_H
#define GW_LOADGEN_PLAIN_H

#include <stddef.h>
#include <stdint.h>
#include <ev.h>

#include "client_session.h"
#include "tls_conf.h"

struct plain;

struct plain_params {
	const char		*addr;		/* the relay, "ip:port" */
	const char		*server_name;	/* in the relay's certificate */
	const struct tls_conf	*tls;		/* client side, own certificate */
	unsigned		 size;		/* bytes per event */
	unsigned		 window;	/* unacknowledged events, at most */
	int			 resume;	/* keep tickets, resume */
	double			 connect_timeout; /* TCP and TLS, s; 0: none */
	/* Event ${seq} (from 1) was written. */
	void			(*on_sent)(uint64_t seq, void *arg);
	/* Events up to ${seq} are acknowledged. */
	void			(*on_acked)(uint64_t seq, void *arg);
	void			(*on_open)(void *arg);	/* handshake done */
	void			(*on_finish)(enum client_status st,
				    void *arg);
	void			*arg;
};

/** plain_new(loop, p): a client on ${loop}; NULL on error (errno). */
struct plain *plain_new(struct ev_loop *loop, const struct plain_params *p);

/**
 * plain_start(c): connect and handshake; a finished client starts again
 * (nothing sent yet, its ticket kept).
 */
void plain_start(struct plain *c);

/**
 * plain_send(c, events): send ${events} more events (once open).
 * plain_eof(c): no more: finish (CLIENT_ST_DONE) when all are acknowledged.
 */
void plain_send(struct plain *c, unsigned events);
void plain_eof(struct plain *c);

/** plain_fail(c, st, msg): close and finish with ${st} and ${msg}. */
void plain_fail(struct plain *c, enum client_status st, const char *msg);

/** plain_msg(c): why it failed, or "". */
const char *plain_msg(const struct plain *c);

/**
 * plain_resumed(c): 1 if ${c}'s last handshake resumed a session from a
 * ticket (the relay sent no certificate), else 0.
 */
int plain_resumed(const struct plain *c);

/** plain_free(c): free; plain_free(NULL) is a no-op. */
void plain_free(struct plain *c);

struct plain_sink;

/**
 * plain_sink_new(loop, addr, size, err, errlen): listen on ${addr}; answer
 * every ${size} bytes read on a connection with one byte.  NULL on error,
 * with the reason in ${err}.
 */
struct plain_sink *plain_sink_new(struct ev_loop *loop, const char *addr,
    unsigned size, char *err, size_t errlen);

/** plain_sink_free(s): close the sink and its connections. */
void plain_sink_free(struct plain_sink *s);

#endif /* GW_LOADGEN_PLAIN_H */
