/*
 * client_session_impl.h: inside struct client_session, for client_session.c
 * (the session: connect, HELLO, DATA, failover) and client_probe.c (the
 * fail-back probe of better gateways).  Nothing else sees inside it.
 */
#ifndef GW_CLIENT_SESSION_IMPL_H
#define GW_CLIENT_SESSION_IMPL_H

#include <stdint.h>
#include <ev.h>

#include "client_session.h"
#include "conn.h"
#include "failover.h"

enum client_session_state {
	CS_IDLE,	/* not connected; maybe waiting to reconnect */
	CS_CONNECTING,	/* TCP connect and TLS handshake */
	CS_HELLO_WAIT,	/* HELLO sent, waiting for HELLO_ACK */
	CS_OPEN,	/* DATA flows */
	CS_FINISHED	/* the status is final */
};

struct client_session {
	struct ev_loop		*loop;
	struct client_session_params p;
	enum client_session_state	 state;
	struct conn		*conn;
	ev_timer		 retry;		/* next connect attempt */
	ev_timer		 heartbeat;	/* checks fo_heartbeat */
	ev_timer		 probe_timer;	/* fail-back: probe better ones */
	struct conn		*probe;		/* TLS handshake to a better one */
	int			 probe_idx;	/* its gateway, or -1 */
	struct fo_peer		 gws[CLIENT_MAX_GATEWAYS];
	/* Each gateway's newest session ticket: a reconnect resumes. */
	struct conn_ticket	*tickets[CLIENT_MAX_GATEWAYS];
	int			 active;	/* gateway in use, or -1 */
	struct fo_policy	 pol;
	struct fo_heartbeat	 hb;
	int			 goaway;	/* GOAWAY: send nothing new */
	int			 leaving;	/* we close it: not a failure */
	int			 refused;	/* handshake failures in a row */
	int			 eof;		/* the input has ended */
	int			 ever_open;	/* a HELLO_ACK was received */
	uint64_t		 credit;
	uint32_t		 peer_max;	/* max_payload of the gateway */
	uint64_t		 acked;
	uint64_t		 ping_id;
	enum client_status	 status;
	char			 msg[512];
};

/**
 * client_probe_timer_cb(loop, w, revents): the probe timer (w->data: the
 * session): move to a better gateway that has been up for failback_hold,
 * or probe the best one that may be tried (client_probe.c).
 */
void client_probe_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);

#endif /* GW_CLIENT_SESSION_IMPL_H */
