/*
 * client_session.h: the agent's side of the downstream session (PROTOCOL.md
 * 9.1-9.6) over a conn, shared by gw-agent and gw-loadgen's agents: HELLO,
 * then DATA from the send queue (sendq.h) within the credit, cumulative
 * ACKs, PING/PONG, and reconnects that resend every unacknowledged line
 * with its original sequence number.  Gateways are listed in priority
 * order: the session moves to the next one when its gateway is
 * unreachable, hung (heartbeats) or says GOAWAY, and comes back to a
 * better one once it has accepted connections for failback_hold.  An
 * owner that answers COMMANDs (on_command) gets them once the gateway has
 * agreed GW_CAP_COMMANDS, and answers on the session
 * (client_session_cmd.c).
 */
#ifndef GW_CLIENT_SESSION_H
#define GW_CLIENT_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <ev.h>

#include "frame.h"
#include "sendq.h"
#include "tls_conf.h"

/* gw-agent's reconnect backoff (full jitter) and connect + TLS timeout;
 * gw-loadgen's plain clients use them too, to reconnect as agents do. */
#define CLIENT_BACKOFF_MIN	0.1
#define CLIENT_BACKOFF_MAX	5.0
#define CLIENT_CONNECT_TIMEOUT	5.0

struct client_session;

/* How a session ends, as client_session_status() reports them (gw-agent's
 * exit statuses). */
enum client_status {
	CLIENT_ST_RUNNING = -1,	/* not finished */
	CLIENT_ST_DONE = 0,	/* input ended and every line acknowledged */
	CLIENT_ST_FAIL = 1,	/* timeout or another failure */
	CLIENT_ST_REFUSED = 3	/* the gateway refused us */
};

#define CLIENT_MAX_GATEWAYS	16

struct client_session_params {
	const char		*gateways[CLIENT_MAX_GATEWAYS]; /* ip:port */
	size_t			 ngateways;	/* in priority order */
	const char		*server_name;	/* expected in the gateway cert */
	double			 heartbeat;	/* PING after this silence */
	double			 failback_hold;	/* <0: no fail-back */
	/*
	 * Seconds for TCP connect + TLS handshake before the gateway counts
	 * as unreachable (0: CLIENT_CONNECT_TIMEOUT, 5 s).  A gateway under a
	 * reconnect storm keeps new connections in its backlog (admission
	 * control): an agent that gives up early only queues again.
	 */
	double			 connect_timeout;
	int			 record_per_frame; /* conn_params: gw-loadgen */
	/*
	 * Nonzero: the HELLO does not offer GW_CAP_ACKCREDIT, as agents of
	 * before it (gw-loadgen --legacy-acks): credit comes in CREDIT
	 * frames only.
	 */
	int			 legacy_acks;
	const struct tls_conf	*tls;
	struct sendq		*queue;		/* shared with the input */
	/* Called when acknowledgements (up to ${seq}) dropped lines. */
	void			(*on_acked)(uint64_t seq, void *arg);
	/*
	 * Called after lines got their numbers and before they are sent
	 * (the journal makes the numbers durable); non-zero: stop.
	 */
	int			(*before_send)(void *arg);
	/* Called when a session opens (HELLO_ACK). Optional. */
	void			(*on_open)(void *arg);
	/*
	 * The session finished (done, failed or refused).  Optional: without
	 * it the session breaks the loop (ev_break), as gw-agent wants; a
	 * process with many sessions (gw-loadgen) counts them instead.
	 */
	void			(*on_finish)(enum client_status st,
				    void *arg);
	/* ENROLL_RESULT of client_session_enroll(). Optional. */
	void			(*on_enroll)(const struct gw_enroll_result *r,
				    void *arg);
	/*
	 * A COMMAND (9.7): its ${id} (1 .. 2^63-1) and ${body} (${len}
	 * bytes, valid during the call), on a session whose HELLO_ACK agreed
	 * GW_CAP_COMMANDS; the owner answers with
	 * client_session_command_ack() and client_session_result().
	 * Optional: only with it does the HELLO announce GW_CAP_COMMANDS;
	 * without it (or without the capability agreed) a COMMAND is logged
	 * and ignored, never answered.
	 */
	void			(*on_command)(uint64_t id,
				    const uint8_t *body, size_t len,
				    void *arg);
	void			*arg;
};

/**
 * client_session_new(loop, p): a session on ${loop} with the parameters
 * ${p} (copied; the strings, tls and queue must outlive it).  It connects
 * once client_session_start() is called.  Return NULL on error.
 */
struct client_session *client_session_new(struct ev_loop *loop,
    const struct client_session_params *p);

/** client_session_start(s): connect to the gateway. */
void client_session_start(struct client_session *s);

/** client_session_kick(s): new lines are queued: send what credit allows. */
void client_session_kick(struct client_session *s);

/**
 * client_session_eof(s): the input has ended; finish (ev_break) once every
 * line is acknowledged.
 */
void client_session_eof(struct client_session *s);

/**
 * client_session_fail(s, status, msg): stop with ${status} and the message
 * ${msg}: close the connection, cancel the timers and ev_break (or
 * on_finish).
 */
void client_session_fail(struct client_session *s, enum client_status status,
    const char *msg);

/** client_session_status(s): the exit status, or CLIENT_ST_RUNNING. */
enum client_status client_session_status(const struct client_session *s);

/** client_session_msg(s): the failure message, or "". */
const char *client_session_msg(const struct client_session *s);

/** client_session_acked(s): lines acknowledged so far. */
uint64_t client_session_acked(const struct client_session *s);

/**
 * client_session_enroll(s, csr, len, rid): send ENROLL (a renewal: ${csr},
 * or a poll for request ${rid}) on the open session; the answer comes to
 * on_enroll.  0, or -1 if no session is open or the output is full.
 */
int client_session_enroll(struct client_session *s, const uint8_t *csr,
    size_t len, const char *rid);

/**
 * client_session_caps(s): the capabilities (GW_CAP_*) the open session's
 * HELLO_ACK agreed, or 0 when no session is open.
 */
uint32_t client_session_caps(const struct client_session *s);

/**
 * client_session_command_ack(s, id): send COMMAND_ACK(${id}) on the open
 * session.  0, or -1 if no session is open, GW_CAP_COMMANDS was not
 * agreed, or the output is full (the server sends the COMMAND again).
 */
int client_session_command_ack(struct client_session *s, uint64_t id);

/**
 * client_session_result(s, id, outcome, flags, status, out, len): send
 * RESULT(${id}, ${outcome}, ${flags}, ${status}) with the ${len} bytes of
 * ${out}, cut to what the gateway's max_payload allows (then flags gets
 * GW_RESULT_TRUNCATED).  0, or -1 as client_session_command_ack().
 */
int client_session_result(struct client_session *s, uint64_t id,
    unsigned outcome, unsigned flags, int32_t status, const uint8_t *out,
    size_t len);

/**
 * client_session_resumed(s): 1 if ${s}'s connection resumed a TLS session
 * from the gateway's ticket (no full handshake), else 0.
 */
int client_session_resumed(const struct client_session *s);

/**
 * client_session_set_tls(s, tls): use ${tls} from the next connection on
 * (the live one keeps its own); the caller keeps ${tls} alive.
 */
void client_session_set_tls(struct client_session *s,
    const struct tls_conf *tls);

/** client_session_free(s): free ${s}; client_session_free(NULL) is a no-op. */
void client_session_free(struct client_session *s);

#endif /* GW_CLIENT_SESSION_H */
