/*
 * enroll_conn.h: one connection on the enrollment listener.  TLS with the
 * gateway's certificate only (the agent has none yet; it pins our CA by
 * fingerprint), then HELLO, then ENROLL requests one at a time, each
 * answered with ENROLL_RESULT (enroll.c does the work).
 */
#ifndef GW_ENROLL_CONN_H
#define GW_ENROLL_CONN_H

#include "gw.h"

enum enroll_conn_state {
	EC_HANDSHAKE,		/* TLS handshake */
	EC_HELLO_WAIT,		/* waiting for HELLO */
	EC_READY,		/* waiting for ENROLL (idle timer) */
	EC_WAITING,		/* ENROLL forwarded, waiting for its answer */
	EC_CLOSED
};

/** enroll_conn_accept(gw, fd): start a connection on accepted ${fd}. */
void enroll_conn_accept(struct gw *gw, int fd);

/** enroll_conn_stop_all(gw): close every enrollment connection. */
void enroll_conn_stop_all(struct gw *gw);

#endif /* GW_ENROLL_CONN_H */
