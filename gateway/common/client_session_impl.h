/*
 * client_session_impl.h: inside struct client_session, for client_session.c
 * (the session: connect, HELLO, DATA, failover), client_session_probe.c
 * (the fail-back probe of better gateways) and client_session_cmd.c
 * (COMMANDs and their answers).  Nothing else sees inside it.
 */
#ifndef GW_CLIENT_SESSION_IMPL_H
#define GW_CLIENT_SESSION_IMPL_H

#include <stdint.h>
#include <stdlib.h>
#include <ev.h>

#include "client_session.h"
#include "conn.h"
#include "failover.h"

#define CLIENT_SESSION_MAGIC	0x436c5365u	/* "ClSe" */
/*
 * After its handshake, the fail-back probe listens this long for a
 * gateway that is cut off (it sends GOAWAY upstream-lost at once).
 */
#define CLIENT_PROBE_LISTEN	1.0	/* seconds */

/*
 * Where the session stands; only client_session_set_state() changes it
 * (client_session.c: the transitions it allows).  A conn exists from
 * CS_CONNECTING to CS_LEAVING.
 */
enum client_session_state {
	CS_IDLE,	/* not connected; maybe waiting to reconnect */
	CS_CONNECTING,	/* TCP connect and TLS handshake */
	CS_HELLO_WAIT,	/* HELLO sent, waiting for HELLO_ACK */
	CS_HELLO_DRAINING, /* ... and GOAWAY came first: then CS_DRAINING */
	CS_OPEN,	/* DATA flows */
	CS_DRAINING,	/* GOAWAY: send nothing new; the gateway closes */
	CS_LEAVING,	/* we close it to move to a better gateway */
	CS_FINISHED,	/* the status is final */
	CS_NSTATES
};

struct client_session {
	unsigned		 magic;		/* CLIENT_SESSION_MAGIC */
	struct ev_loop		*loop;
	struct client_session_params p;
	enum client_session_state state;
	struct conn		*conn;
	ev_timer		 retry;		/* next connect attempt */
	ev_timer		 heartbeat;	/* checks fo_heartbeat */
	ev_timer		 probe_timer;	/* fail-back: probe better ones */
	struct conn		*probe;		/* TLS handshake to a better one */
	int			 probe_idx;	/* its gateway, or -1 */
	int			 probe_open;	/* handshake done: listening */
	struct fo_peer		 gws[CLIENT_MAX_GATEWAYS];
	/* Each gateway's newest session ticket: a reconnect resumes. */
	struct conn_ticket	*tickets[CLIENT_MAX_GATEWAYS];
	int			 active;	/* gateway in use, or -1 */
	struct fo_policy	 pol;
	struct fo_heartbeat	 hb;
	int			 refused;	/* handshake failures in a row */
	int			 eof;		/* the input has ended */
	int			 ever_open;	/* a HELLO_ACK was received */
	uint64_t		 credit;
	uint32_t		 peer_max;	/* max_payload of the gateway */
	uint32_t		 caps;		/* HELLO_ACK's, of ours; 0: none */
	uint64_t		 acked;
	uint64_t		 ping_id;
	enum client_status	 status;
	char			 msg[512];
};

/*
 * The session behind a callback's ${arg} (conn_ops, or an ev_timer's
 * data); a pointer to anything else aborts.
 */
static inline struct client_session *
client_session_arg(void *arg)
{
	struct client_session *s = arg;

	if (s == NULL || s->magic != CLIENT_SESSION_MAGIC)
		abort();
	return s;
}

/* An open session: HELLO_ACK received, the conn not yet closing. */
static inline int
client_session_open(const struct client_session *s)
{
	return s->state == CS_OPEN || s->state == CS_DRAINING;
}

/**
 * client_session_command(s, f): COMMAND ${f} on the open session ${s}: to
 * the owner if the session agreed GW_CAP_COMMANDS, else logged and
 * ignored.  CONN_OK, or CONN_CLOSED_RC if the conn was closed.
 */
int client_session_command(struct client_session *s,
    const struct gw_frame *f);

/** client_session_state_str(st): the name of state ${st}. */
const char *client_session_state_str(enum client_session_state st);

/**
 * client_session_set_state(s, st): the one place that changes ${s}'s
 * state: to ${st}, logged; a transition that client_session_next does
 * not allow aborts.
 */
void client_session_set_state(struct client_session *s,
    enum client_session_state st);

/**
 * client_session_probe_timer_cb(loop, w, revents): the probe timer
 * (w->data: the session): move to a better gateway that has been up for
 * failback_hold, or probe the best one that may be tried
 * (client_session_probe.c).
 */
void client_session_probe_timer_cb(struct ev_loop *loop, ev_timer *w,
    int revents);

#endif /* GW_CLIENT_SESSION_IMPL_H */
