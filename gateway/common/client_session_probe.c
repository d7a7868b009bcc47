/*
 * client_session_probe.c: fail-back for an agent session on a worse
 * gateway.  Now and then a TLS handshake probes the best gateway that may
 * be tried (a hung process accepts TCP connections but cannot finish one);
 * once one has been up for failback_hold, the session moves to it.  Part
 * of the client session module: it shares client_session_impl.h.
 */
#include <stdlib.h>

#include "client_session_impl.h"
#include "log.h"
#include "proto.h"

/* The probed gateway is up: fail-back may count its hold-down. */
static void
client_session_probe_up(struct client_session *s)
{
	struct fo_peer *p = &s->gws[s->probe_idx];

	if (p->health != FO_UP)
		log_info("event=gateway_health gateway=%s to=up by=probe",
		    s->p.gateways[s->probe_idx]);
	fo_up(p, ev_now(s->loop));
}

/*
 * The fail-back probe: a TLS handshake with a better gateway (a hung
 * process accepts TCP connections but cannot finish one), then
 * CLIENT_PROBE_LISTEN of listening: a gateway cut off from its servers
 * says so at once (GOAWAY upstream-lost), and is no better.  It ends at
 * on_frame or on_timeout (done) or on_close (failure), and sends no frame.
 */
static int
client_session_probe_on_open(struct conn *c, void *arg)
{
	struct client_session *s = client_session_arg(arg);

	s->probe_open = 1;
	conn_timer(c, CLIENT_PROBE_LISTEN);
	return CONN_OK;
}

static int
client_session_probe_on_frame(struct conn *c, const struct gw_frame *f,
    void *arg)
{
	struct client_session *s = client_session_arg(arg);

	if ((f->type == GW_T_GOAWAY || f->type == GW_T_ERROR) &&
	    f->u.reason.code == GW_R_UPSTREAM_LOST) {
		log_debug("event=probe_cut_off gateway=%s",
		    s->p.gateways[s->probe_idx]);
		fo_down(&s->gws[s->probe_idx], FO_R_UPSTREAM_LOST,
		    ev_now(s->loop), &s->pol, (uint32_t)random());
	} else
		client_session_probe_up(s);
	conn_close(c, GW_R_NORMAL, "probe done");
	return CONN_CLOSED_RC;
}

static void
client_session_probe_on_timeout(struct conn *c, void *arg)
{
	struct client_session *s = client_session_arg(arg);

	if (!s->probe_open) {
		conn_close(c, GW_R_TIMEOUT, "probe handshake too slow");
		return;
	}
	client_session_probe_up(s);	/* it said nothing against it */
	conn_close(c, GW_R_NORMAL, "probe done");
}

static void
client_session_probe_on_close(struct conn *c, unsigned reason,
    const char *detail, void *arg)
{
	struct client_session *s = client_session_arg(arg);
	char ed[LOG_ESC_MAX];

	(void)c;
	if (reason != GW_R_NORMAL && s->probe_open)
		client_session_probe_up(s);	/* closed while listening */
	else if (reason != GW_R_NORMAL) {
		log_debug("event=probe_failed gateway=%s reason=%s "
		    "detail=\"%s\"", s->p.gateways[s->probe_idx],
		    gw_reason_str(reason), log_esc(ed, sizeof(ed), detail,
		    LOG_ESC_STR, 0));
		fo_down(&s->gws[s->probe_idx], reason == GW_R_CONNECT ?
		    FO_R_REFUSED : reason == GW_R_TIMEOUT ?
		    FO_R_CONNECT_TIMEOUT : FO_R_TLS, ev_now(s->loop), &s->pol,
		    (uint32_t)random());
	}
	s->probe = NULL;
	s->probe_idx = -1;
	s->probe_open = 0;
}

static const struct conn_ops client_session_probe_ops = {
	.on_open = client_session_probe_on_open,
	.on_frame = client_session_probe_on_frame,
	.on_timeout = client_session_probe_on_timeout,
	.on_close = client_session_probe_on_close,
};

/*
 * Fail-back: on a worse gateway, probe the best one that may be tried
 * (a TCP connect); once one has accepted for failback_hold, move to it.
 */
void
client_session_probe_timer_cb(struct ev_loop *loop, ev_timer *w,
    int revents)
{
	struct client_session *s = client_session_arg(w->data);
	double now = ev_now(loop);
	int i;

	(void)revents;
	if (s->state != CS_OPEN || s->active <= 0 || s->probe != NULL)
		return;
	if (fo_failback(s->gws, s->active, now, &s->pol) >= 0) {
		/* Not a failure; the reconnect picks the better one. */
		client_session_set_state(s, CS_LEAVING);
		conn_close(s->conn, GW_R_NORMAL, "moving to a better gateway");
		return;
	}
	/* Probe at a random point of each second: no herd of agents. */
	if ((i = fo_choose(s->gws, (size_t)s->active, now)) < 0 ||
	    random() % 4 != 0)
		return;
	s->probe_idx = i;
	s->probe = conn_connect(loop, s->p.gateways[i], s->p.tls,
	    &(struct conn_params){ .in_cap = 4096, .out_cap = 4096,
	    .max_payload = 1024, .server_name = s->p.server_name,
	    .ticket = &s->tickets[i] },
	    &client_session_probe_ops, s);
	if (s->probe == NULL) {
		fo_down(&s->gws[i], FO_R_REFUSED, now, &s->pol,
		    (uint32_t)random());
		s->probe_idx = -1;
		return;
	}
	conn_timer(s->probe, s->p.connect_timeout);
}
