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

/* What a run of hs_run measured: hs.c alone writes it. */
struct hs_result {
	unsigned	 handshakes;	/* completed, timed part */
	unsigned	 resumed;	/* ... from a session ticket */
	unsigned	 failed;	/* handshakes that failed or were
					   refused */
	unsigned	 warmup;	/* first ones of resume, not timed */
	double		 hs_s;		/* timed part: start to last one */
	int		 timed_out;
	char		 first_error[300];
};

/**
 * hs_run(loop, p, r): run the handshake mode of ${p} on ${loop} until
 * p->seconds (or p->handshakes) after its timed part began, or p->timeout;
 * fill ${r}.  Return 0, or -1 if the agents could not be set up, with the
 * reason in ${r}->first_error.
 */
int hs_run(struct ev_loop *loop, const struct lg_params *p,
    struct hs_result *r);

#endif /* GW_LOADGEN_HS_H */
