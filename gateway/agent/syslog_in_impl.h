/*
 * syslog_in_impl.h: what the syslog input's files share (syslog_in.c:
 * the input, its listeners, UDP and the events; syslog_in_tcp.c: the TCP
 * connections).  No one else includes it.
 */
#ifndef GW_SYSLOG_IN_IMPL_H
#define GW_SYSLOG_IN_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <ev.h>

#include "event.h"
#include "sink.h"
#include "syslog_conf.h"
#include "syslog_in.h"
#include "syslog_parse.h"

#define SYSLOG_IN_MAGIC		0x53794c49u	/* "SyLI" */
#define SYSLOG_CONN_MAGIC	0x53794c43u	/* "SyLC" */
#define SYSLOG_DGRAM_MAX	65536		/* a UDP datagram, whole */
#define SYSLOG_RBUF		4096		/* a TCP read */
#define SYSLOG_BURST		64		/* reads or datagrams a turn */
#define SYSLOG_WARN_EVERY	10.		/* s between alike warnings */
#define SYSLOG_PEER_MAX		64
#define SYSLOG_FIRST_MSG	30.		/* s to a connection's 1st */
#define SYSLOG_ACCEPT_PAUSE	1.		/* s without accept: EMFILE */

/* Warnings that a flood could repeat: one a SYSLOG_WARN_EVERY each. */
enum syslog_warn {
	SYSLOG_W_REFUSED_UDP,	/* a datagram from a sender not allowed */
	SYSLOG_W_REFUSED_TCP,	/* a connection from one */
	SYSLOG_W_DROPPED,	/* a datagram that found no room */
	SYSLOG_W_CUT,		/* a message over max_message */
	SYSLOG_W_CONNS,		/* a connection over max_connections */
	SYSLOG_W_FRAME,		/* a broken octet count */
	SYSLOG_W_EVICT,		/* a connection closed for a newcomer */
	SYSLOG_W_ACCEPT,	/* accept() failed (EMFILE, ENFILE...) */
	SYSLOG_W_READ,		/* a read failed (not a reset) */
	SYSLOG_W_N
};

/* A TCP connection's life; only syslog_conn_set_state() changes it. */
enum syslog_conn_state {
	SYSLOG_CONN_READING,	/* its socket is watched */
	SYSLOG_CONN_WAITING,	/* one message waits for room */
	SYSLOG_CONN_CLOSED	/* freed at once */
};

struct syslog_in;

struct syslog_conn {
	unsigned		 magic;		/* SYSLOG_CONN_MAGIC */
	struct syslog_in	*in;
	TAILQ_ENTRY(syslog_conn) entry;
	enum syslog_conn_state	 state;
	int			 fd;
	int			 eof;		/* the peer is done sending */
	ev_io			 io;
	ev_timer		 idle;
	struct sink_waiter	 waiter;
	char			 peer[SYSLOG_PEER_MAX];
	struct sockaddr_storage	 sa;		/* the peer's address */
	unsigned		 gen;		/* in->tcp_gen when accepted */
	uint64_t		 nmsgs;		/* messages framed */
	double			 last_msg;	/* when the last was (or open) */
	uint8_t			 rbuf[SYSLOG_RBUF];
	size_t			 roff, rlen;	/* read, not yet framed */
	struct syslog_framer	 fr;
	struct syslog_frame	 pend;		/* WAITING: the message */
	double			 pend_ts;	/* ... and when it came */
	uint8_t			 msg[];		/* max_message bytes */
};

TAILQ_HEAD(syslog_conns, syslog_conn);

struct syslog_in {
	unsigned		 magic;		/* SYSLOG_IN_MAGIC */
	struct ev_loop		*loop;
	struct sink		*sink;
	struct syslog_conf	 conf;		/* a copy of our own */
	int			 udp_fd, tcp_fd;	/* -1: none */
	ev_io			 udp_io, tcp_io;
	ev_timer		 accept_pause;	/* EMFILE: tcp_io stopped */
	unsigned		 tcp_gen;	/* bumped: a new TCP listener */
	struct syslog_conns	 conns;
	unsigned		 nconns;
	int			 stopped;
	struct syslog_stats	 st;
	double			 warned[SYSLOG_W_N];	/* last, per kind */
	uint64_t		 quiet[SYSLOG_W_N];	/* not logged since */
	uint8_t			 dgram[SYSLOG_DGRAM_MAX];
	struct event		 ev;		/* the event being built */
};

/**
 * syslog_in_warn_ok(in, w): 1 if a warning of kind ${w} may be logged
 * now (else it is counted as not logged); *quiet says how many were not.
 */
int syslog_in_warn_ok(struct syslog_in *in, enum syslog_warn w,
    uint64_t *quiet);

/**
 * syslog_in_push(in, p, len, cut, transport, peer, ts): parse the
 * message of ${len} bytes at ${p} (a frame, or a datagram), make it an
 * event and push it: SINK_OK, SINK_FULL or SINK_ERR.  Counted received
 * (and cut) when it went.
 */
int syslog_in_push(struct syslog_in *in, const uint8_t *p, size_t len,
    int cut, const char *transport, const char *peer, double ts);

/**
 * syslog_in_refused(in, transport, peer): a sender not on the allow list:
 * counted, logged now and then.
 */
void syslog_in_refused(struct syslog_in *in, const char *transport,
    const char *peer);

/** syslog_in_commit(in): sink_commit(); on failure, log nothing more. */
void syslog_in_commit(struct syslog_in *in);

/** syslog_conn_accept(in): accept what waits on the TCP listener. */
void syslog_conn_accept(struct syslog_in *in);

/** syslog_conn_close(c, why): close and free connection ${c}. */
void syslog_conn_close(struct syslog_conn *c, const char *why);

/** syslog_conn_idle(in, t): a new idle timeout for every connection. */
void syslog_conn_idle(struct syslog_in *in, double t);

/**
 * syslog_conn_reloaded(in): close each connection whose peer the allow
 * list no longer names, or accepted on a listener since replaced; the
 * number closed.
 */
unsigned syslog_conn_reloaded(struct syslog_in *in);

/** syslog_conn_pause_cb: the accept pause is over: watch the listener. */
void syslog_conn_pause_cb(struct ev_loop *loop, ev_timer *w, int revents);

#endif /* GW_SYSLOG_IN_IMPL_H */
