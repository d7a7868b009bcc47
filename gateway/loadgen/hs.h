/*
 * hs.h: gw-loadgen's handshake mode (loadgen.h, LG_HANDSHAKE): handshakes
 * per second through a gateway or a relay, full or resumed.  At most
 * `inflight` agents at a time (and `connect_rate` new ones per second)
 * each connect, complete a mutual TLS handshake, close and start again,
 * cycling through the N certificates.  A handshake counts once the far
 * end has accepted the certificate:
 *
 *   gatewayd  HELLO_ACK: it parses no frame before it has verified the
 *             certificate and checked the name policy.  In TLS 1.3 the
 *             client finishes its handshake before the server has checked
 *             its certificate, so the handshake alone proves nothing; the
 *             HELLO_ACK also costs the gateway a channel OPEN and CLOSE to
 *             the management server, small beside the handshake.
 *   --plain   one event through the relay and the sink's one-byte
 *             acknowledgement, for the same reason: the relay's share is
 *             the handshake and its connection to the sink.
 *
 * Then the client closes (close_notify).
 */
#ifndef GW_LOADGEN_HS_H
#define GW_LOADGEN_HS_H

#include <ev.h>

#include "loadgen.h"

/* After "warm agents=N" (resume), the timed part starts this much later. */
#define HS_WARM_PAUSE	0.25

/**
 * hs_run(loop, p, r): run the handshake mode of ${p} on ${loop} until
 * p->seconds (or p->handshakes) after its timed part began, or p->timeout;
 * fill ${r}.  Return 0, or -1 if the agents could not be set up, with the
 * reason in ${r}->first_error.
 */
int hs_run(struct ev_loop *loop, const struct lg_params *p,
    struct lg_result *r);

#endif /* GW_LOADGEN_HS_H */
