/*
 * loadgen.h: many simulated agents in one process and one event loop, each
 * a real gw-agent session (client_session.c: mutual TLS with its own
 * certificate, HELLO, credit, ACKs, heartbeats) fed by the generator
 * instead of a file, with the timing of every event recorded.
 *
 *   idle  connect N agents (paced: at most connect_rate per second and
 *         inflight handshakes at a time), HELLO, heartbeat, hold, stop
 *   send  once all N are open, each agent sends E events of B bytes as
 *         fast as its credit allows (or, with a rate, the agents together
 *         send that many per second, in turn); each is acknowledged end to
 *         end (the management server's durable store) and its send-to-ACK
 *         latency recorded
 *   storm once all N are open, wait for every agent to lose its session
 *         and open a new one (the gateway restarted: each agent reconnects
 *         on its own, with its backoff, all at once), then stop; when the
 *         last one is back is reported as wall-clock time, for the caller
 *         that restarted the gateway to subtract its own timestamp;
 *         through a relay (plain), an agent is open, and later back, once
 *         the sink has acknowledged one event of its connection, and
 *         reconnects after gw-agent's backoff, offering its ticket
 *   handshake  for `seconds` (or until `handshakes` in all), agents connect,
 *         complete a mutual TLS handshake, close and start again, cycling
 *         through the N certificates (hs.h: not agent sessions, but each
 *         connection says HELLO and closes at HELLO_ACK, when the gateway
 *         has accepted the certificate); completed handshakes are
 *         counted, with how many the gateway resumed from a ticket.  With
 *         `resume`, each agent keeps its newest ticket between its
 *         connections: its first handshake, full, is a warm-up (every
 *         agent once, not counted), then "warm agents=N" is printed and
 *         the timed part starts HS_WARM_PAUSE later, so that a caller can
 *         sample the gateway's CPU in between; without it, tickets are
 *         dropped and every handshake is a full one
 *
 * `tls12` (any mode): offer TLS 1.2 only (no tickets: not with resume).
 */
#ifndef GW_LOADGEN_H
#define GW_LOADGEN_H

#include <stddef.h>
#include <stdint.h>
#include <ev.h>

#include "tls_conf.h"

enum lg_mode { LG_IDLE, LG_SEND, LG_STORM, LG_HANDSHAKE };

struct lg_params {
	enum lg_mode	 mode;
	const char	*gateway;	/* "ip:port", or a gw-agent list
					   with groups (gwlist.h) */
	double		 failback_hold;	/* a list's fail-back; <0: off */
	const char	*server_name;	/* in the gateway's certificate */
	const char	*ca;		/* the CA the gateway chains to */
	char		**certs;	/* N certificate files (key: .key) */
	unsigned	 agents;
	double		 connect_rate;	/* new connections per second */
	unsigned	 inflight;	/* connecting at once, at most */
	double		 hold;		/* idle: seconds to hold once open */
	unsigned	 events;	/* send: events per agent */
	unsigned	 size;		/* send: bytes per event (plain
					   handshake: its one event) */
	double		 rate;		/* send: events/s in all; 0: at once */
	double		 timeout;	/* the whole run, seconds */
	double		 connect_timeout; /* an agent's, as gw-agent's */
	double		 heartbeat;	/* an agent's PING interval, seconds */
	double		 seconds;	/* handshake: timed part, seconds */
	unsigned	 handshakes;	/* handshake: stop after so many; 0:
					   after `seconds` only */
	int		 resume;	/* handshake: keep tickets */
	int		 tls12;		/* offer TLS 1.2 only */
	int		 legacy_acks;	/* HELLO without ACKCREDIT */
	/*
	 * Plain 1:1 mode (plain.h): the agents speak raw TLS to a relay
	 * (HAProxy) instead of our protocol, `window` events unacknowledged
	 * at most; the sink behind the relay listens on `sink`.
	 */
	int		 plain;
	const char	*sink;		/* "ip:port", or NULL: none here */
	unsigned	 window;
};

/* What a run of lg_run measured (the handshake mode's: hs.h). */
struct lg_result {
	unsigned	 opened;	/* agents that got HELLO_ACK */
	unsigned	 failed;	/* agents that failed or were refused */
	double		 connect_s;	/* first connect to last HELLO_ACK */
	uint64_t	 sent, acked;	/* events */
	double		 send_s;	/* first event to last ACK */
	double		 lat_p50_ms, lat_p99_ms, lat_max_ms;
	unsigned	 back;		/* storm: agents that reopened */
	unsigned	 resumed;	/* ... from a session ticket */
	double		 first_back_at;	/* storm: wall clock (epoch s) */
	double		 all_back_at;
	int		 timed_out;
	char		 first_error[300];
};

/**
 * lg_run(loop, p, r): run ${p} (idle, send or storm: the handshake mode
 * is hs_run's) to its end (or its timeout) on ${loop}; fill ${r}.  Return 0, or -1 if the agents could not be set up (their
 * files), with the reason in ${r}->first_error.
 */
int lg_run(struct ev_loop *loop, const struct lg_params *p,
    struct lg_result *r);

/**
 * lg_tls_conf(p, i, err, errlen): the client TLS configuration of agent
 * ${i} of ${p} (its certificate, the key beside it, p->tls12).  NULL on
 * error, with the reason in ${err}.
 */
struct tls_conf *lg_tls_conf(const struct lg_params *p, unsigned i,
    char *err, size_t errlen);

#endif /* GW_LOADGEN_H */
