/*
 * test_downlink.c: the server side of a link that an outer gatewayd plays
 * toward an inner one ([downstream]: downlink.c, relay.c), on the real
 * session core (agent.c, chan.c, upstream.c, servers.c) over fake conns
 * (gwd_world.h): the inner gateway is a fake peer of an accepted conn, the
 * management server one of the links.  And the [downstream] keys.
 */
#include <sys/socket.h>
#include <unistd.h>

#include "gwd_world.h"

#include "downlink.h"
#include "config.h"
#include "handover.h"
#include "owners_msg.h"
#include "policy.h"

#define D_EXTRA	"heartbeat = 100ms\n" \
		"[downstream]\nlisten = 127.0.0.1:1\nca = ca.crt\n" \
		"gateway_names = gw-inner*\nagent_names = agent-*\n" \
		"agent_issuers = CN=Test*|CN=Other\n"

static mbedtls_x509_crt d_inner, d_rogue_gw;
static uint64_t d_open_ack_seq;	/* the last OPEN_ACK sent (w_tap) */
static char d_via[600];	/* the last OPEN's via, "-": none */

static void
d_tap(struct conn *c, const struct gw_frame *f)
{
	(void)c;
	if (f->type == GW_T_OPEN_ACK)
		d_open_ack_seq = f->u.ack.seq;
	if (f->type == GW_T_OPEN)
		snprintf(d_via, sizeof(d_via), "%.*s",
		    f->u.open.has_via ? (int)f->u.open.via.len : 1,
		    f->u.open.has_via ? (const char *)f->u.open.via.p : "-");
}

static int
d_setup(void **state)
{
	(void)state;
	w_init(D_EXTRA);
	w_tap = d_tap;
	w_queue_cap = 1u << 20;	/* room for a paused conn's frames */
	w_crt_make(&d_inner, PKI_ROLE_GATEWAY, "gw-inner-1");
	w_crt_make(&d_rogue_gw, PKI_ROLE_GATEWAY, "gw-elsewhere");
	return 0;
}

/* w_start, and the downstream part. */
static struct gw *
d_start(void)
{
	struct gw *gw = w_start();

	assert_non_null(gw->downlinks = downlink_all_new());
	return gw;
}

static void
d_stop(struct gw *gw)
{
	gw->stopping = 1;
	downlink_stop_all(gw, GW_R_SHUTDOWN, "gateway stopping");
	conn_reap();
	assert_int_equal(*downlink_counter(gw), 0);
	assert_int_equal(downlink_relays(gw), 0);
	w_stop(gw);
	downlink_all_free(gw->downlinks);
	gw->downlinks = NULL;
}

/* A new downstream link with certificate ${crt}; not yet HELLO. */
static struct conn *
d_accept(struct gw *gw, const mbedtls_x509_crt *crt)
{
	downlink_accept(gw, -1);
	return w_accepted(crt);
}

static void
d_hello(struct conn *c, uint32_t caps)
{
	w_hello(c, caps, 65536);
}

/*
 * OPEN on channel ${id} of the inner's link ${c} for agent ${name}, with
 * ${via} (NULL: none).
 */
static void
d_open_via(struct conn *c, uint32_t id, const char *name, const char *issuer,
    const char *via)
{
	struct gw_frame f = { .type = GW_T_OPEN, .channel = id };

	memset(f.u.open.fingerprint, 0xab, sizeof(f.u.open.fingerprint));
	f.u.open.name = gw_str_text(name);
	f.u.open.subject = gw_str_text("CN=x");
	f.u.open.san = gw_str_text("");
	f.u.open.issuer = gw_str_text(issuer);
	f.u.open.serial = gw_str_text("01");
	f.u.open.peer = gw_str_text("10.0.0.1:5000");
	f.u.open.has_ext = 1;
	f.u.open.not_after_ms = 1234;
	f.u.open.sans = gw_str_text("DNS:a.example");
	f.u.open.has_via = via != NULL;
	f.u.open.via = gw_str_text(via);
	fake_conn_frame(c, &f);
}

static void
d_open(struct conn *c, uint32_t id, const char *name, const char *issuer)
{
	d_open_via(c, id, name, issuer, NULL);
}

static void
d_data(struct conn *c, uint32_t id, uint64_t seq)
{
	struct gw_frame f = { .type = GW_T_DATA, .channel = id };

	f.u.data.seq = seq;
	f.u.data.body.p = (const uint8_t *)"line";
	f.u.data.body.len = 4;
	fake_conn_frame(c, &f);
}

/* The server answers ${type} ${seq} on the newest OPEN's channel. */
static uint32_t
d_server(struct conn *link, uint8_t type, uint64_t seq)
{
	const struct w_frame *o = w_last(link, GW_T_OPEN);
	struct gw_frame f = { .type = type };

	assert_non_null(o);
	f.channel = o->channel;
	if (type == GW_T_CLOSE)
		f.u.reason.code = (uint16_t)seq;
	else
		f.u.ack.seq = seq;
	fake_conn_frame(link, &f);
	return o->channel;
}

/* The link carrying the newest OPEN up. */
static struct conn *
d_up(void)
{
	const struct w_frame *a = w_last(w_link(0), GW_T_OPEN);
	const struct w_frame *b = w_last(w_link(1), GW_T_OPEN);

	if (a == NULL)
		return w_link(1);
	if (b == NULL || a->stamp > b->stamp)
		return w_link(0);
	return w_link(1);
}

/* A ready downstream link; the gateway's links are up. */
static struct conn *
d_ready(struct gw *gw, uint32_t caps)
{
	struct conn *c;

	w_links_up();
	c = d_accept(gw, &d_inner);
	d_hello(c, caps);
	assert_int_equal(conn_state(c), CONN_OPEN);
	assert_non_null(w_last(c, GW_T_HELLO_ACK));
	return c;
}

static void
test_config_keys(void **state)
{
	struct gw_config c;
	char err[1024] = "";

	(void)state;
	assert_int_equal(w_cfg.down_max_links, 16);
	assert_string_equal(w_cfg.down_gateway_names, "gw-inner*");
	assert_int_equal(gw_config_load_string("[gateway]\ncert = g\nkey = k\n"
	    "agent_ca = a\n[upstream]\nserver = 127.0.0.1:1\nca = c\n"
	    "[downstream]\nlisten = 127.0.0.1:2\nmax_links = 0\n", "d.ini",
	    "/", &c, err, sizeof(err)), 3);
	assert_non_null(strstr(err, "d.ini:10: [downstream] max_links"));
	assert_non_null(strstr(err, "d.ini: [downstream] ca: required"));
	assert_non_null(strstr(err,
	    "d.ini: [downstream] gateway_names: required"));
	gw_config_free(&c);
}

/* HELLO_ACK: caps = theirs & COMMANDS|FLEET; unknown bits dropped. */
static void
test_hello(void **state)
{
	struct gw *gw = d_start();
	struct conn *c;

	(void)state;
	c = d_ready(gw, GW_CAP_COMMANDS | GW_CAP_FLEET | 0x80u);
	assert_int_equal(w_last(c, GW_T_HELLO_ACK)->caps,
	    GW_CAP_COMMANDS | GW_CAP_FLEET);
	d_stop(gw);
}

/* No ready link, or cut off: ERROR upstream-lost; a loop never comes up. */
static void
test_hello_refused_without_upstream(void **state)
{
	struct gw *gw = d_start();
	struct conn *c, *d;

	(void)state;
	c = d_accept(gw, &d_inner);
	d_hello(c, GW_CAP_FLEET);
	assert_int_equal(conn_state(c), CONN_CLOSED);
	assert_int_equal(w_last(c, GW_T_ERROR)->code, GW_R_UPSTREAM_LOST);
	assert_null(w_last(c, GW_T_HELLO_ACK));
	conn_reap();
	d = d_ready(gw, GW_CAP_FLEET);
	agent_cut_off(gw, 1);
	assert_int_equal(conn_state(d), CONN_CLOSED);
	assert_int_equal(w_last(d, GW_T_GOAWAY)->code, GW_R_UPSTREAM_LOST);
	assert_int_equal(w_data(d)->reason, GW_R_UPSTREAM_LOST);
	conn_reap();
	c = d_accept(gw, &d_inner);
	d_hello(c, GW_CAP_FLEET);
	assert_int_equal(w_last(c, GW_T_ERROR)->code, GW_R_UPSTREAM_LOST);
	conn_reap();
	agent_cut_off(gw, 0);
	c = d_accept(gw, &d_inner);
	d_hello(c, GW_CAP_FLEET);
	assert_non_null(w_last(c, GW_T_HELLO_ACK));
	d_stop(gw);
}

/* An agent's certificate, or a gateway outside gateway_names: refused. */
static void
test_certificates_refused(void **state)
{
	struct gw *gw = d_start();
	struct conn *c;

	(void)state;
	w_links_up();
	c = d_accept(gw, &w_crt[0]);	/* agent-1: clientAuth only */
	assert_int_equal(conn_state(c), CONN_CLOSED);
	assert_int_equal(w_data(c)->reason, GW_R_POLICY);
	c = d_accept(gw, &d_rogue_gw);
	assert_int_equal(conn_state(c), CONN_CLOSED);
	assert_int_equal(w_data(c)->reason, GW_R_POLICY);
	conn_reap();
	assert_int_equal(*downlink_counter(gw), 0);
	d_stop(gw);
}

/*
 * OPEN relayed up with the inner's identity and extension; OPEN_ACK,
 * DATA, ACK and COMMAND through; the server's CLOSE goes down.
 */
static void
test_relay(void **state)
{
	struct gw *gw = d_start();
	struct conn *c, *up;
	struct gw_frame cmd = { .type = GW_T_COMMAND };
	uint32_t upch;

	(void)state;
	c = d_ready(gw, GW_CAP_COMMANDS | GW_CAP_FLEET);
	d_open(c, 7, "agent-3", "CN=Test CA");
	assert_int_equal(downlink_relays(gw), 1);
	up = d_up();
	assert_int_equal(w_last(up, GW_T_OPEN)->has_ext, 0); /* no FLEET up */
	assert_null(w_last(c, GW_T_OPEN_ACK));
	upch = d_server(up, GW_T_OPEN_ACK, 4);
	assert_int_equal(w_last(c, GW_T_OPEN_ACK)->channel, 7);
	assert_int_equal(d_open_ack_seq, 4);
	d_data(c, 7, 5);
	assert_int_equal(w_last(up, GW_T_DATA)->seq, 5);
	assert_int_equal(w_last(up, GW_T_DATA)->channel, upch);
	d_server(up, GW_T_ACK, 5);
	assert_int_equal(w_last(c, GW_T_ACK)->seq, 5);
	assert_int_equal(w_last(c, GW_T_ACK)->channel, 7);
	cmd.channel = upch;
	cmd.u.data.seq = 99;
	fake_conn_frame(up, &cmd);
	assert_int_equal(w_last(c, GW_T_COMMAND)->seq, 99);
	assert_int_equal(w_last(c, GW_T_COMMAND)->channel, 7);
	d_server(up, GW_T_CLOSE, GW_R_SUPERSEDED);
	assert_int_equal(w_last(c, GW_T_CLOSE)->channel, 7);
	assert_int_equal(w_last(c, GW_T_CLOSE)->code, GW_R_SUPERSEDED);
	assert_int_equal(downlink_relays(gw), 0);
	d_data(c, 7, 6);	/* late: ignored */
	assert_int_equal(conn_state(c), CONN_OPEN);
	d_stop(gw);
}

/* Channel errors close the channel (CLOSE down), the link stays. */
static void
test_channel_errors(void **state)
{
	struct gw *gw = d_start();
	struct conn *c, *up;

	(void)state;
	c = d_ready(gw, GW_CAP_FLEET);
	d_open(c, 1, "agent-1", "CN=Test CA");
	d_data(c, 1, 1);	/* before OPEN_ACK */
	assert_int_equal(w_last(c, GW_T_CLOSE)->channel, 1);
	assert_int_equal(w_last(c, GW_T_CLOSE)->code, GW_R_UNEXPECTED);
	d_open(c, 2, "agent-2", "CN=Test CA");
	up = d_up();
	d_server(up, GW_T_OPEN_ACK, 10);
	d_data(c, 2, 10);	/* not above last_seq */
	assert_int_equal(w_last(c, GW_T_CLOSE)->channel, 2);
	assert_int_equal(w_last(c, GW_T_CLOSE)->code, GW_R_SEQUENCE);
	assert_int_equal(w_last(up, GW_T_CLOSE)->code, GW_R_SEQUENCE);
	d_open(c, 3, "rogue-1", "CN=Test CA");		/* agent_names */
	assert_int_equal(w_last(c, GW_T_CLOSE)->code, GW_R_POLICY);
	d_open(c, 4, "agent-4", "CN=Elsewhere");	/* agent_issuers */
	assert_int_equal(w_last(c, GW_T_CLOSE)->code, GW_R_POLICY);
	d_open(c, 5, "agent-5", "CN=Other");
	assert_int_equal(w_last(c, GW_T_CLOSE)->channel, 4);
	assert_int_equal(downlink_relays(gw), 1);
	assert_int_equal(conn_state(c), CONN_OPEN);
	d_stop(gw);
}

/* Connection errors close the link, and each of its channels upstream. */
static void
test_connection_errors(void **state)
{
	struct gw *gw = d_start();
	struct conn *c, *up;
	struct gw_frame f = { .type = GW_T_ACK, .channel = 1 };

	(void)state;
	c = d_ready(gw, GW_CAP_FLEET);
	d_open(c, 5, "agent-1", "CN=Test CA");
	up = d_up();
	d_open(c, 5, "agent-2", "CN=Test CA");		/* id reused */
	assert_int_equal(conn_state(c), CONN_CLOSED);
	assert_int_equal(w_data(c)->reason, GW_R_PROTOCOL);
	assert_int_equal(w_last(up, GW_T_CLOSE)->code, GW_R_UPSTREAM_LOST);
	assert_int_equal(downlink_relays(gw), 0);
	conn_reap();
	c = d_ready(gw, GW_CAP_FLEET);
	d_data(c, 3, 1);				/* never opened */
	assert_int_equal(w_data(c)->reason, GW_R_PROTOCOL);
	conn_reap();
	c = d_ready(gw, GW_CAP_FLEET);
	f.u.ack.seq = 1;
	fake_conn_frame(c, &f);				/* not a gateway's */
	assert_int_equal(w_data(c)->reason, GW_R_UNEXPECTED);
	conn_reap();
	c = d_ready(gw, 0);
	d_open(c, 1, "agent-1", "CN=Test CA");	/* extension without FLEET */
	assert_int_equal(w_data(c)->reason, GW_R_UNEXPECTED);
	conn_reap();
	c = d_ready(gw, GW_CAP_FLEET);
	(void)fake_conn_input(c, (const uint8_t *)"\x09\x09\x09\x09"
	    "\x09\x09\x09\x09\x09\x09\x09\x09\x09\x09\x09\x09", 16);
	assert_int_equal(conn_state(c), CONN_CLOSED);	/* malformed */
	d_stop(gw);
}

/*
 * The inner sends DATA without credit: a full ring pauses the link (its
 * frame read again once an ACK frees a slot), never an error.
 */
static void
test_full_ring_pauses(void **state)
{
	struct gw *gw = d_start();
	struct conn *c, *up;
	unsigned window = w_cfg.agent_window;

	(void)state;
	c = d_ready(gw, GW_CAP_FLEET);
	d_open(c, 1, "agent-1", "CN=Test CA");
	up = d_up();
	d_server(up, GW_T_OPEN_ACK, 0);
	for (unsigned i = 1; i <= window + 2; i++)
		d_data(c, 1, i);
	assert_int_equal(w_last(up, GW_T_DATA)->seq, window);
	assert_int_equal(conn_state(c), CONN_OPEN);
	d_server(up, GW_T_ACK, 2);
	ev_run(w_loop, EVRUN_NOWAIT);	/* the resume timer */
	fake_conn_loop(NULL, NULL);
	assert_int_equal(w_last(up, GW_T_DATA)->seq, window + 2);
	assert_null(w_last(c, GW_T_CLOSE));
	d_stop(gw);
}

/* The inner's link ends: its channels close upstream, nothing is left. */
static void
test_link_lost(void **state)
{
	struct gw *gw = d_start();
	struct conn *c, *up;

	(void)state;
	c = d_ready(gw, GW_CAP_FLEET);
	d_open(c, 1, "agent-1", "CN=Test CA");
	up = d_up();
	d_server(up, GW_T_OPEN_ACK, 0);
	d_data(c, 1, 1);
	assert_true(chan_replay_bytes(gw) > 0);
	fake_conn_eof(c);
	conn_reap();
	assert_int_equal(w_last(up, GW_T_CLOSE)->code, GW_R_UPSTREAM_LOST);
	assert_true(chan_replay_bytes(gw) == 0);
	assert_int_equal(downlink_relays(gw), 0);
	d_stop(gw);
}

/*
 * SEEN from the inner gateway marks its channels heard: the next SEEN of
 * the link up lists their channels there (the server's liveness works
 * through a chain); ids not open here are ignored.
 */
static void
test_seen_relayed(void **state)
{
	struct gw *gw;
	struct conn *c, *up;
	uint8_t ids[8];
	struct gw_frame f = { .type = GW_T_SEEN, .u.seen = { ids, 2 } };
	double now = ev_now(w_loop);
	uint32_t upch;
	unsigned before;

	(void)state;
	w_link_caps = GW_CAP_COMMANDS | GW_CAP_FLEET;
	gw = d_start();
	c = d_ready(gw, GW_CAP_FLEET);
	d_open(c, 7, "agent-1", "CN=Test CA");
	up = d_up();
	upch = d_server(up, GW_T_OPEN_ACK, 0);
	servers_heartbeat(gw, now + 0.1);
	assert_int_equal(w_count(up, GW_T_SEEN), 0);	/* nothing heard */
	gw_seen_put(ids, 0, 9);		/* never opened: ignored */
	gw_seen_put(ids, 1, 7);
	fake_conn_frame(c, &f);
	assert_int_equal(conn_state(c), CONN_OPEN);
	servers_heartbeat(gw, now + 0.2);
	assert_int_equal(w_count(up, GW_T_SEEN), 1);
	assert_int_equal(w_last(up, GW_T_SEEN)->n, 1);
	assert_int_equal(w_last(up, GW_T_SEEN)->ids[0], upch);
	before = w_data(up)->n;
	servers_heartbeat(gw, now + 0.3);
	assert_int_equal(w_data(up)->n, before);	/* said once */
	d_stop(gw);
	w_link_caps = GW_CAP_COMMANDS;
}

/*
 * via (GW_CAP_CHAIN): the inner's path goes up with our name appended;
 * a last name not the inner's is CLOSE(protocol), our name in it or no
 * room is a loop, CLOSE(policy); via on a link without CHAIN closes it.
 */
static void
test_via(void **state)
{
	struct gw *gw;
	struct conn *c;
	const uint32_t caps = GW_CAP_FLEET | GW_CAP_CHAIN;

	(void)state;
	w_link_caps = GW_CAP_COMMANDS | caps;
	gw = d_start();
	snprintf(w_cfg.via_name, sizeof(w_cfg.via_name), "gw-outer");
	c = d_ready(gw, caps);
	assert_int_equal(w_last(c, GW_T_HELLO_ACK)->caps, caps);
	(void)w_agent(gw, 9);		/* a direct agent: via = our name */
	assert_string_equal(d_via, "gw-outer");
	d_open_via(c, 1, "agent-1", "CN=Test CA", "gw-inner-1");
	assert_string_equal(d_via, "gw-inner-1 gw-outer");
	d_open_via(c, 2, "agent-2", "CN=Test CA", "gw-a gw-inner-1");
	assert_string_equal(d_via, "gw-a gw-inner-1 gw-outer");
	d_open(c, 3, "agent-3", "CN=Test CA");	/* no path: none sent */
	assert_string_equal(d_via, "-");
	assert_int_equal(downlink_relays(gw), 3);
	d_open_via(c, 4, "agent-4", "CN=Test CA", "gw-inner-2");
	assert_int_equal(w_last(c, GW_T_CLOSE)->channel, 4);
	assert_int_equal(w_last(c, GW_T_CLOSE)->code, GW_R_PROTOCOL);
	d_open_via(c, 5, "agent-5", "CN=Test CA", "gw-outer gw-inner-1");
	assert_int_equal(w_last(c, GW_T_CLOSE)->channel, 5);
	assert_int_equal(w_last(c, GW_T_CLOSE)->code, GW_R_POLICY);
	d_open_via(c, 6, "agent-6", "CN=Test CA",
	    "g1 g2 g3 g4 g5 g6 g7 gw-inner-1");
	assert_int_equal(w_last(c, GW_T_CLOSE)->channel, 6);
	assert_int_equal(w_last(c, GW_T_CLOSE)->code, GW_R_POLICY);
	assert_int_equal(downlink_relays(gw), 3);
	assert_int_equal(conn_state(c), CONN_OPEN);
	c = d_ready(gw, GW_CAP_FLEET);
	d_open_via(c, 1, "agent-7", "CN=Test CA", "gw-inner-1");
	assert_int_equal(w_data(c)->reason, GW_R_UNEXPECTED);
	d_stop(gw);
	w_link_caps = GW_CAP_COMMANDS;
}

/*
 * One relayed session per agent: its OPEN from a second inner gateway's
 * link supersedes the first (CLOSE superseded down there, and up).
 */
static void
test_supersede(void **state)
{
	struct gw *gw = d_start();
	struct conn *a, *b, *up;

	(void)state;
	a = d_ready(gw, GW_CAP_FLEET);
	b = d_ready(gw, GW_CAP_FLEET);
	d_open(a, 1, "agent-1", "CN=Test CA");
	up = d_up();
	d_open(a, 2, "agent-2", "CN=Test CA");
	d_open(b, 1, "agent-1", "CN=Other");	/* another agent */
	assert_null(w_last(a, GW_T_CLOSE));
	assert_int_equal(downlink_relays(gw), 3);
	d_open(b, 2, "agent-1", "CN=Test CA");
	assert_int_equal(w_last(a, GW_T_CLOSE)->channel, 1);
	assert_int_equal(w_last(a, GW_T_CLOSE)->code, GW_R_SUPERSEDED);
	assert_null(w_last(b, GW_T_CLOSE));
	assert_true(w_last(up, GW_T_CLOSE) != NULL ||
	    w_last(up == w_link(0) ? w_link(1) : w_link(0), GW_T_CLOSE));
	assert_int_equal(downlink_relays(gw), 3);
	d_stop(gw);
}

/*
 * One session per agent whatever its path (agent_names.h): a relayed OPEN
 * supersedes the agent's direct session here, then its direct HELLO
 * supersedes the relayed one; never both open at once.
 */
static void
test_supersede_paths(void **state)
{
	struct gw *gw = d_start();
	struct conn *c, *a;
	char issuer[256];
	char *allowed = w_cfg.down_agent_issuers;

	(void)state;
	w_cfg.down_agent_issuers = NULL;	/* the agents' own CA */
	assert_true(mbedtls_x509_dn_gets(issuer, sizeof(issuer),
	    &w_crt[0].issuer) > 0);
	c = d_ready(gw, GW_CAP_FLEET);
	a = w_agent(gw, 0);			/* agent-1, direct */
	assert_int_equal(w_data(a)->reason, 0);
	d_open(c, 1, "agent-1", issuer);	/* agent-1, relayed */
	assert_int_equal(w_data(a)->reason, GW_R_SUPERSEDED);
	assert_null(w_last(c, GW_T_CLOSE));
	assert_int_equal(downlink_relays(gw), 1);
	conn_reap();
	assert_int_equal(agent_counts(gw)->agents, 0);
	a = w_agent(gw, 0);			/* direct again */
	assert_int_equal(w_data(a)->reason, 0);
	assert_int_equal(w_last(c, GW_T_CLOSE)->channel, 1);
	assert_int_equal(w_last(c, GW_T_CLOSE)->code, GW_R_SUPERSEDED);
	assert_int_equal(downlink_relays(gw), 0);
	assert_int_equal(agent_counts(gw)->agents, 1);
	d_open(c, 2, "agent-2", issuer);	/* another agent: both stay */
	assert_int_equal(downlink_relays(gw), 1);
	assert_int_equal(w_data(a)->reason, 0);
	d_stop(gw);
	w_cfg.down_agent_issuers = allowed;
}

/*
 * max_agents is one bound: direct agents and relayed sessions count in
 * one number, the one the agents' listener checks (main.c) and relay
 * admission alike.
 */
static void
test_one_bound(void **state)
{
	struct gw *gw = d_start();
	struct conn *c;
	unsigned max = w_cfg.max_agents;

	(void)state;
	w_cfg.max_agents = 3;
	c = d_ready(gw, GW_CAP_FLEET);
	(void)w_agent(gw, 0);
	d_open(c, 1, "agent-5", "CN=Test CA");
	d_open(c, 2, "agent-6", "CN=Test CA");
	assert_int_equal(agent_counts(gw)->agents, 1);
	assert_int_equal(downlink_relays(gw), 2);
	assert_int_equal(agent_counts(gw)->sessions, 3);
	d_open(c, 3, "agent-7", "CN=Test CA");	/* full: refused */
	assert_int_equal(w_last(c, GW_T_CLOSE)->channel, 3);
	assert_int_equal(w_last(c, GW_T_CLOSE)->code, GW_R_OVERLOAD);
	d_server(d_up(), GW_T_CLOSE, GW_R_SUPERSEDED);	/* one ends */
	assert_int_equal(agent_counts(gw)->sessions, 2);
	d_stop(gw);
	w_cfg.max_agents = max;
}

/*
 * A relayed OPEN with no identity extension (an inner gateway without
 * FLEET) goes up with none, not a zeroed one (a notAfter of 1970); one
 * with it goes up with it.
 */
static void
test_no_extension(void **state)
{
	struct gw *gw;
	struct conn *c;
	struct gw_frame f = { .type = GW_T_OPEN, .channel = 1 };
	const struct w_frame *o;

	(void)state;
	w_link_caps = GW_CAP_COMMANDS | GW_CAP_FLEET;
	gw = d_start();
	c = d_ready(gw, GW_CAP_FLEET);
	f.u.open.name = gw_str_text("agent-1");
	f.u.open.subject = gw_str_text("CN=agent-1");
	f.u.open.san = gw_str_text("");
	f.u.open.issuer = gw_str_text("CN=Test CA");
	f.u.open.serial = gw_str_text("01");
	f.u.open.peer = gw_str_text("10.0.0.1:5000");
	fake_conn_frame(c, &f);			/* no extension */
	assert_int_equal(downlink_relays(gw), 1);
	assert_non_null(o = w_last(d_up(), GW_T_OPEN));
	assert_int_equal(o->has_ext, 0);
	d_open(c, 2, "agent-2", "CN=Test CA");	/* with one */
	assert_non_null(o = w_last(d_up(), GW_T_OPEN));
	assert_int_equal(o->has_ext, 1);
	d_stop(gw);
	w_link_caps = GW_CAP_COMMANDS;
}

/*
 * [gateway] deny_names and deny_fingerprints refuse a relayed OPEN as they
 * refuse an agent here: by its CN, a DNS SAN of its extension, or its
 * fingerprint (CLOSE policy down, nothing up).
 */
static void
test_denied(void **state)
{
	struct gw *gw = d_start();
	struct conn *c;
	char why[128], fp[80];

	(void)state;
	for (int i = 0; i < 64; i++)
		fp[i] = i % 2 ? 'b' : 'a';	/* d_open's 0xab.. */
	fp[64] = '\0';
	c = d_ready(gw, GW_CAP_FLEET);
	assert_int_equal(policy_set(w_cfg.policy, "deny_names",
	    "Agent-9*, *.example", why, sizeof(why)), 0);
	d_open(c, 1, "agent-9", "CN=Test CA");		/* its CN */
	assert_int_equal(w_last(c, GW_T_CLOSE)->channel, 1);
	assert_int_equal(w_last(c, GW_T_CLOSE)->code, GW_R_POLICY);
	d_open(c, 2, "agent-8", "CN=Test CA");		/* DNS:a.example */
	assert_int_equal(w_last(c, GW_T_CLOSE)->channel, 2);
	assert_int_equal(w_last(c, GW_T_CLOSE)->code, GW_R_POLICY);
	assert_int_equal(downlink_relays(gw), 0);
	assert_int_equal(policy_set(w_cfg.policy, "deny_names", "", why,
	    sizeof(why)), -1);		/* "no item": the key unset */
	assert_int_equal(policy_set(w_cfg.policy, "deny_fingerprints", fp,
	    why, sizeof(why)), 0);
	d_open(c, 3, "agent-7", "CN=Test CA");		/* its fingerprint */
	assert_int_equal(w_last(c, GW_T_CLOSE)->channel, 3);
	assert_int_equal(w_last(c, GW_T_CLOSE)->code, GW_R_POLICY);
	assert_int_equal(policy_set(w_cfg.policy, "deny_fingerprints", "",
	    why, sizeof(why)), -1);
	d_open(c, 4, "agent-7", "CN=Test CA");		/* nothing denied */
	assert_int_equal(downlink_relays(gw), 1);
	assert_int_equal(w_last(c, GW_T_CLOSE)->channel, 3);
	d_stop(gw);
}

/* The OPENs the gateway sent up, on both links. */
static unsigned
d_opens(void)
{
	return w_count(w_link(0), GW_T_OPEN) + w_count(w_link(1), GW_T_OPEN);
}

/*
 * Workers mode (handover.h): a relayed OPEN goes up only after the
 * parent's GRANT; its RELEASE closes the relay as superseded (CLOSE down),
 * and RELEASED follows (its OPEN was answered).
 */
static void
test_handover(void **state)
{
	struct gw *gw = d_start();
	struct conn *c;
	uint8_t b[OWN_MSG_MAX + 1];
	unsigned opens;
	ssize_t n;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(handover_start(gw, sv[0]), 0);
	c = d_ready(gw, GW_CAP_COMMANDS | GW_CAP_FLEET);
	opens = d_opens();
	d_open(c, 7, "agent-3", "CN=Test CA");
	assert_int_equal(downlink_relays(gw), 1);
	assert_int_equal(d_opens(), opens);
	n = recv(sv[1], b, sizeof(b), MSG_DONTWAIT);
	assert_true(n > 1 + OWN_KEY_PREFIX && b[0] == OWN_CLAIM);
	b[0] = OWN_GRANT;
	assert_int_equal(send(sv[1], b, (size_t)n, 0), n);
	for (int i = 0; i < 4; i++)
		ev_run(w_loop, EVRUN_NOWAIT);
	assert_int_equal(d_opens(), opens + 1);
	d_server(d_up(), GW_T_OPEN_ACK, 4);
	assert_int_equal(w_last(c, GW_T_OPEN_ACK)->channel, 7);
	b[0] = OWN_RELEASE;
	assert_int_equal(send(sv[1], b, (size_t)n, 0), n);
	for (int i = 0; i < 4; i++)
		ev_run(w_loop, EVRUN_NOWAIT);
	assert_int_equal(w_last(c, GW_T_CLOSE)->code, GW_R_SUPERSEDED);
	assert_int_equal(downlink_relays(gw), 0);
	assert_int_equal(recv(sv[1], b, sizeof(b), MSG_DONTWAIT), n);
	assert_int_equal(b[0], OWN_RELEASED);
	d_stop(gw);
	handover_stop(gw);
	close(sv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_keys),
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_hello_refused_without_upstream),
		cmocka_unit_test(test_certificates_refused),
		cmocka_unit_test(test_relay),
		cmocka_unit_test(test_channel_errors),
		cmocka_unit_test(test_connection_errors),
		cmocka_unit_test(test_full_ring_pauses),
		cmocka_unit_test(test_link_lost),
		cmocka_unit_test(test_seen_relayed),
		cmocka_unit_test(test_via),
		cmocka_unit_test(test_supersede),
		cmocka_unit_test(test_supersede_paths),
		cmocka_unit_test(test_one_bound),
		cmocka_unit_test(test_no_extension),
		cmocka_unit_test(test_denied),
		cmocka_unit_test(test_handover),
	};

	return cmocka_run_group_tests(tests, d_setup, NULL);
}
