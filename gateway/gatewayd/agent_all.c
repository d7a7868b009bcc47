/*
 * agent_all.c: what the gateway does to every session at once: stop them,
 * drain them on SIGTERM, check them again after a reload, count those
 * waiting for replay memory.  It sits above agent.c and calls only down.
 */
#include <stdio.h>
#include <string.h>

#include "agent_impl.h"
#include "conn.h"
#include "goaway.h"
#include "policy.h"
#include "tls_conf.h"

/** agent_stop_all(gw, reason, detail): close every session with ${reason}. */
void
agent_stop_all(struct gw *gw, unsigned reason, const char *detail)
{
	while (gw->agents != NULL)
		agent_close(gw->agents, reason, detail);
}

/**
 * agent_drain_all(gw): SIGTERM: tell every agent GOAWAY; close each one
 * once all the DATA it sent is acknowledged (at once if none is pending).
 */
void
agent_drain_all(struct gw *gw)
{
	struct gw_frame f;
	struct agent *a, *next;

	goaway_frame(&f, "gateway draining");
	for (a = gw->agents; a != NULL; a = next) {
		next = a->next;
		if (a->state != AGENT_OPEN) {
			agent_close(a, GW_R_SHUTDOWN, "gateway draining");
			continue;
		}
		(void)conn_send(a->c, &f);
		if (chan_ring_len(&a->ch) == 0)
			agent_close(a, GW_R_SHUTDOWN, "gateway drained");
	}
}

/**
 * agent_revalidate_all(gw): after a reload, close the sessions whose
 * certificate is now revoked or that the admission policy (agent_names,
 * agent_issuers, agent_san_*, deny_*) no longer admits.
 * Return how many were closed.
 */
unsigned
agent_revalidate_all(struct gw *gw)
{
	struct agent *a, *next;
	const uint8_t *der;
	size_t len;
	unsigned n = 0;
	char why[128], detail[160];

	for (a = gw->agents; a != NULL; a = next) {
		next = a->next;
		if (a->state == AGENT_HANDSHAKE)
			continue;	/* checked by the new handshake rules */
		der = conn_peer_der(a->c, &len);
		if (der != NULL && tls_conf_revoked_der(gw->agent_tls, der,
		    len)) {
			agent_close(a, GW_R_REVOKED, "certificate revoked");
			n++;
		} else if (der != NULL && policy_check_der(gw->cfg->policy,
		    der, len, why, sizeof(why)) != 0) {
			snprintf(detail, sizeof(detail), "no longer allowed: %s",
			    why);
			agent_close(a, GW_R_POLICY, detail);
			n++;
		}
	}
	return n;
}

/** agent_starved_count(gw): sessions whose credit waits for memory now. */
unsigned
agent_starved_count(const struct gw *gw)
{
	const struct agent *a;
	unsigned n = 0;

	TAILQ_FOREACH(a, &gw->starved, starved)
		n++;
	return n;
}
