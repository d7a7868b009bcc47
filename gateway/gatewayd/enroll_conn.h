/*
 * enroll_conn.h: one connection on the enrollment listener.  TLS with the
 * gateway's certificate only (the agent has none yet; it pins our CA by
 * fingerprint), then HELLO, then ENROLL requests one at a time, each
 * answered with ENROLL_RESULT (enroll.c does the work).
 *
 * The connections are enroll_conn.c's part of struct gw (gw->enroll_conns,
 * opaque): made by enroll_conn_all_new, written here alone.
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

struct enroll_conn_all;

/**
 * enroll_conn_all_new(): the enrollment connections' part of a gateway,
 * with none; the caller keeps it as gw->enroll_conns.  NULL on ENOMEM.
 */
struct enroll_conn_all *enroll_conn_all_new(void);

/**
 * enroll_conn_all_free(ea): free ${ea} (every connection closed:
 * enroll_conn_stop_all); enroll_conn_all_free(NULL) is a no-op.
 */
void enroll_conn_all_free(struct enroll_conn_all *ea);

/**
 * enroll_conn_counter(gw): the number of enrollment connections that
 * exist, where it is kept (the listener's limit reads it there).
 */
const unsigned *enroll_conn_counter(const struct gw *gw);

/** enroll_conn_accept(gw, fd): start a connection on accepted ${fd}. */
void enroll_conn_accept(struct gw *gw, int fd);

/** enroll_conn_stop_all(gw): close every enrollment connection. */
void enroll_conn_stop_all(struct gw *gw);

#endif /* GW_ENROLL_CONN_H */
