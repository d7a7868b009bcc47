/*
 * upstream_owed.h: the control frames an upstream link owes its server.
 * A control frame (CLOSE, PONG) that finds no room in the link's output,
 * or others already waiting, is owed and goes first when room comes: a
 * control frame never fails a link for lack of room.  Owed CLOSEs keep
 * their order and lose their text; one PONG answers the newest PING.
 */
#ifndef GW_UPSTREAM_OWED_H
#define GW_UPSTREAM_OWED_H

#include "conn.h"
#include "frame.h"

struct upstream_owed;

/** upstream_owed_new(): nothing owed; NULL on ENOMEM. */
struct upstream_owed *upstream_owed_new(void);

/** upstream_owed_free(o): upstream_owed_free(NULL) is a no-op. */
void upstream_owed_free(struct upstream_owed *o);

/** upstream_owed_any(o): 1 while control frames wait for room in ${o}. */
int upstream_owed_any(const struct upstream_owed *o);

/**
 * upstream_owed_send(o, c, f): send control frame ${f} (CLOSE or PONG) on
 * ${c}, or owe it in ${o} (and ask ${c} for on_writable) if it finds no
 * room or others wait.  Return 0, or -1 if there is no memory to owe it.
 */
int upstream_owed_send(struct upstream_owed *o, struct conn *c,
    const struct gw_frame *f);

/**
 * upstream_owed_flush(o, c): send on ${c} what ${o} owes: the PONG, then
 * the CLOSEs in order.  Return 0 if nothing is left, or -1 if some still
 * wait (${c} calls on_writable again when room comes).
 */
int upstream_owed_flush(struct upstream_owed *o, struct conn *c);

/**
 * upstream_owed_clear(o): the connection ended, and its channels with it:
 * nothing is owed any more.
 */
void upstream_owed_clear(struct upstream_owed *o);

#endif /* GW_UPSTREAM_OWED_H */
