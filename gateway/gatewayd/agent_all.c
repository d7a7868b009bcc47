/*
 * agent_all.c: what the gateway does to every session at once: stop them,
 * drain them on SIGTERM, check them again after a reload, count those
 * waiting for replay memory; and it makes and frees the sessions' part of
 * struct gw (gw->agents).  It sits above agent.c and calls only down.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_impl.h"
#include "conn.h"
#include "downlink.h"
#include "policy.h"
#include "tls_conf.h"

/**
 * agent_all_new(): the sessions' part of a gateway, with none; the caller
 * keeps it as gw->agents.  NULL on ENOMEM.
 */
struct agent_all *
agent_all_new(void)
{
	struct agent_all *aa;

	if ((aa = calloc(1, sizeof(*aa))) == NULL)
		return NULL;
	TAILQ_INIT(&aa->starved);
	return aa;
}

/**
 * agent_all_free(aa): free ${aa} (every session closed: agent_stop_all);
 * agent_all_free(NULL) is a no-op.
 */
void
agent_all_free(struct agent_all *aa)
{
	free(aa);
}

/** agent_counts(gw): what the sessions of ${gw} count now. */
const struct agent_counts *
agent_counts(const struct gw *gw)
{
	return &gw->agents->n;
}

/** agent_stop_all(gw, reason, detail): close every session with ${reason}. */
void
agent_stop_all(struct gw *gw, unsigned reason, const char *detail)
{
	if (gw->agents == NULL)
		return;		/* not built */
	while (gw->agents->list != NULL)
		agent_close(gw->agents->list, reason, detail);
}

/*
 * GOAWAY ${reason} ${text} to every open session; close with ${reason}
 * those that are not open yet, and those with no DATA to wait for.  If
 * ${wait} is 0, nothing will acknowledge their DATA here: each session
 * past its handshake gets GOAWAY and is closed at once (one in its
 * handshake is sent away by agent_on_open).
 */
static void
agent_goaway_all(struct gw *gw, unsigned reason, const char *text, int wait)
{
	struct gw_frame f = gw_frame_goaway(text);
	struct agent *a, *next;

	f.u.reason.code = (uint16_t)reason;
	for (a = gw->agents->list; a != NULL; a = next) {
		next = a->next;
		if (!wait) {
			if (a->state != AGENT_HANDSHAKE)
				agent_goaway_close(a, reason, text);
			continue;
		}
		if (a->state != AGENT_OPEN) {
			agent_close(a, reason, text);
			continue;
		}
		(void)conn_send(a->c, &f);
		if (chan_ring_len(&a->ch) == 0)
			agent_close(a, reason, "gateway drained");
	}
}

/**
 * agent_drain_all(gw): SIGTERM: tell every agent GOAWAY; close each one
 * once all the DATA it sent is acknowledged (at once if none is pending).
 */
void
agent_drain_all(struct gw *gw)
{
	agent_goaway_all(gw, GW_R_SHUTDOWN, "gateway draining", 1);
}

/**
 * agent_cut_off(gw, on): the gateway is cut off from every management
 * server (${on} 1) or has a link again (0).  When it is cut off, every
 * session gets GOAWAY upstream-lost and is closed with that reason (its
 * agent resends elsewhere what was not acknowledged), and each new one
 * gets the same right after its handshake (agent_on_open), before HELLO,
 * until the gateway has a link again.  Inner gateways' links
 * ([downstream]) are told the same (downlink_cut_off).
 */
void
agent_cut_off(struct gw *gw, int on)
{
	gw->agents->cut_off = on;
	if (on && !gw->draining && !gw->stopping)
		agent_goaway_all(gw, GW_R_UPSTREAM_LOST, AGENT_CUT_OFF_TEXT,
		    0);
	downlink_cut_off(gw, on);	/* inner gateways: the same */
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

	for (a = gw->agents->list; a != NULL; a = next) {
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

	TAILQ_FOREACH(a, &gw->agents->starved, starved)
		n++;
	return n;
}
