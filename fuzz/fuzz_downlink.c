/*
 * fuzz_downlink.c: the server side of a link that an outer gatewayd plays
 * toward an inner one ([downstream]: downlink.c, relay.c), on the real
 * session core (chan.c, upstream.c, servers.c) over fake conns
 * (tests/support/fake_conn.h).  Two links to the management server are up
 * (COMMANDS, FLEET, CHAIN); one inner gateway (gw-inner) has said HELLO
 * with the caps of the input's first byte.  The rest is a script of
 * records, each an opcode byte:
 *   0: the inner gateway sends the frame that follows (header + payload,
 *      as the wire carries it; a malformed one closes the link);
 *   1: the server answers what it was sent: OPEN_ACK 0 to each OPEN, ACK
 *      to each DATA, and the loop runs (a paused link reads again);
 *   2: the server closes the newest channel it was sent (CLOSE policy);
 *   3: link 0 is lost (EOF): its channels move to link 1;
 *   4: the gateway is cut off, then has a link again;
 *   5: the heartbeat: SEEN of the channels heard, up.
 * Invariants: what goes down is only what a server sends (HELLO_ACK,
 * OPEN_ACK, ACK, COMMAND, CLOSE, PONG, GOAWAY, ERROR, ENROLL_RESULT) and
 * what goes up only what a gateway sends; relayed sessions never exceed
 * max_agents; the replay rings never hold more than buffer_budget; every
 * frame sent re-decodes to itself (fake_conn); after the stop no relay,
 * no ring byte and no conn is left (LeakSanitizer: no leak).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "chan.h"
#include "config.h"
#include "downlink.h"
#include "fake_conn.h"
#include "fuzz.h"
#include "gw.h"
#include "log.h"
#include "servers.h"
#include "upstream.h"
#include "x509_issue.h"

#define FD_UP_MAX	64	/* upstream frames remembered per input */

static struct gw_config fd_cfg;
static struct ev_loop *fd_loop;
static mbedtls_x509_crt fd_inner;
static struct gw fd_gw;

/* What the server was sent and has not answered. */
static struct {
	unsigned	 slot;		/* its link's (fake_conn_connected) */
	uint8_t		 type;
	uint32_t	 channel;
	uint64_t	 seq;
} fd_up[FD_UP_MAX];
static unsigned fd_nup;

/* An open conn of slot ${i}, connected (links) or accepted, or NULL. */
static struct conn *
fd_open_conn(int accepted, unsigned i)
{
	struct conn *c = accepted ? fake_conn_accepted(i) :
	    fake_conn_connected(i);

	return c != NULL && conn_state(c) == CONN_OPEN ? c : NULL;
}

static int
fd_is_link(const struct conn *c)
{
	return !fake_conn_is_accepted(c);
}

static void
fd_sent(struct conn *c, const struct gw_frame *f, int fits)
{
	if (!fits)
		return;
	if (fd_is_link(c)) {
		FUZZ_CHECK(f->type == GW_T_HELLO || f->type == GW_T_OPEN ||
		    f->type == GW_T_DATA || f->type == GW_T_CLOSE ||
		    f->type == GW_T_PING || f->type == GW_T_PONG ||
		    f->type == GW_T_SEEN || f->type == GW_T_GOAWAY ||
		    f->type == GW_T_ERROR || f->type == GW_T_COMMAND_ACK ||
		    f->type == GW_T_RESULT);
		if ((f->type == GW_T_OPEN || f->type == GW_T_DATA) &&
		    fd_nup < FD_UP_MAX) {
			fd_up[fd_nup].slot = fake_conn_slot(c);
			fd_up[fd_nup].type = f->type;
			fd_up[fd_nup].channel = f->channel;
			fd_up[fd_nup++].seq = f->type == GW_T_DATA ?
			    f->u.data.seq : 0;
		}
		return;
	}
	FUZZ_CHECK(f->type == GW_T_HELLO_ACK || f->type == GW_T_OPEN_ACK ||
	    f->type == GW_T_ACK || f->type == GW_T_COMMAND ||
	    f->type == GW_T_CLOSE || f->type == GW_T_PONG ||
	    f->type == GW_T_GOAWAY || f->type == GW_T_ERROR ||
	    f->type == GW_T_ENROLL_RESULT);
}

static const struct fake_conn_env fd_env = {
	.accepts = 4,
	.connects = 4,
	.queue_cap = 1u << 20,
	.sent = fd_sent,
};

static void
fd_init(void)
{
	static const char text[] = "[gateway]\ncert = g\nkey = k\n"
	    "agent_ca = a\nagent_names = agent-*\nmax_payload = 1024\n"
	    "agent_window = 4\nbuffer_budget = 65536\nmax_agents = 6\n"
	    "heartbeat = 1s\n[upstream]\nserver = 127.0.0.1:1\nca = c\n"
	    "connections = 2\n[downstream]\nlisten = 127.0.0.1:2\nca = c\n"
	    "gateway_names = gw-inner\nagent_names = agent-*\n"
	    "agent_issuers = CN=A*|CN=B\n";
	static unsigned char pem[4096], key[4096];
	struct pki_req req = { .role = PKI_ROLE_GATEWAY, .name = "gw-inner" };
	struct pki_rng rng;
	char err[1024];

	log_init("fuzz_downlink", LOG_LVL_ERR);
	if (gw_config_load_string(text, "fuzz", "/", &fd_cfg, err,
	    sizeof(err)) != 0 || (fd_loop = ev_loop_new(0)) == NULL ||
	    pki_rng_init(&rng, err, sizeof(err)) != 0)
		abort();
	pki_validity(&req, 30);
	mbedtls_x509_crt_init(&fd_inner);
	if (pki_make(&req, NULL, &rng, pem, sizeof(pem), key, sizeof(key),
	    err, sizeof(err)) != 0 ||
	    mbedtls_x509_crt_parse(&fd_inner, pem, strlen((char *)pem) + 1))
		abort();
	pki_rng_free(&rng);
}

/* The gateway, its two links up, the inner's link after its HELLO. */
static struct gw *
fd_start(uint32_t caps)
{
	struct gw *gw = &fd_gw;
	struct gw_frame f = { .type = GW_T_HELLO_ACK };

	fake_conn_reset(&fd_env);
	fd_nup = 0;
	memset(gw, 0, sizeof(*gw));
	gw->magic = GW_MAGIC;
	if ((gw->chans = chan_all_new()) == NULL ||
	    (gw->agents = agent_all_new()) == NULL ||
	    (gw->downlinks = downlink_all_new()) == NULL)
		abort();
	gw->cfg = &fd_cfg;
	gw->loop = fd_loop;
	snprintf(fd_cfg.via_name, sizeof(fd_cfg.via_name), "gw-outer");
	limits_init(&gw->limits, fd_loop);
	gw->nup = fd_cfg.connections;
	if ((gw->up = calloc(gw->nup, sizeof(*gw->up))) == NULL)
		abort();
	for (unsigned i = 0; i < gw->nup; i++)
		if ((gw->up[i] = upstream_new(gw, i, 0)) == NULL)
			abort();
	gw->pick_link = servers_pick;
	if ((gw->servers = servers_new(gw)) == NULL)
		abort();
	servers_start(gw);
	f.u.hello_ack.version = GW_PROTO_VERSION_MAX;
	f.u.hello_ack.caps = GW_CAP_COMMANDS | GW_CAP_FLEET | GW_CAP_CHAIN;
	f.u.hello_ack.max_payload = 1024;
	for (unsigned i = 0; i < 2; i++) {
		struct conn *c = fake_conn_connected(i);

		FUZZ_CHECK(c != NULL);
		fake_conn_open(c, NULL);
		fake_conn_frame(c, &f);
	}
	conn_reap();
	downlink_accept(gw, -1);
	FUZZ_CHECK(fake_conn_accepted(0) != NULL);
	fake_conn_open(fake_conn_accepted(0), &fd_inner);
	memset(&f, 0, sizeof(f));
	f.type = GW_T_HELLO;
	f.u.hello.vmin = GW_PROTO_VERSION_MIN;
	f.u.hello.vmax = GW_PROTO_VERSION_MAX;
	f.u.hello.caps = caps;
	f.u.hello.max_payload = 1024;
	fake_conn_frame(fake_conn_accepted(0), &f);
	conn_reap();
	return gw;
}

/* Opcode 1: the server answers all it was sent; the loop runs. */
static void
fd_answer(void)
{
	struct gw_frame f;
	struct conn *c;

	for (unsigned i = 0; i < fd_nup; i++) {
		if ((c = fd_open_conn(0, fd_up[i].slot)) == NULL)
			continue;
		memset(&f, 0, sizeof(f));
		f.type = fd_up[i].type == GW_T_OPEN ? GW_T_OPEN_ACK : GW_T_ACK;
		f.channel = fd_up[i].channel;
		f.u.ack.seq = fd_up[i].seq;
		fake_conn_frame(c, &f);
		conn_reap();
	}
	fd_nup = 0;
	ev_run(fd_loop, EVRUN_NOWAIT);
	fake_conn_loop(NULL, NULL);
	conn_reap();
}

/* Opcode 2: CLOSE policy on the newest channel the server heard of. */
static void
fd_close_newest(void)
{
	struct gw_frame f = { .type = GW_T_CLOSE };
	struct conn *c;

	if (fd_nup == 0 ||
	    (c = fd_open_conn(0, fd_up[fd_nup - 1].slot)) == NULL)
		return;
	f.channel = fd_up[fd_nup - 1].channel;
	f.u.reason.code = GW_R_POLICY;
	fake_conn_frame(c, &f);
	conn_reap();
}

/* One opcode of the script at ${p}; return the bytes it used. */
static size_t
fd_step(struct gw *gw, const uint8_t *p, size_t len)
{
	size_t used = 1;
	struct conn *c;

	switch (p[0] % 6) {
	case 0:
		if ((c = fd_open_conn(1, 0)) == NULL)
			return len;	/* nothing more to read */
		used += fake_conn_input(c, p + 1, len - 1);
		if (used == 1)
			return len;	/* no whole frame: the end */
		break;
	case 1:
		fd_answer();
		break;
	case 2:
		fd_close_newest();
		break;
	case 3:
		if ((c = fd_open_conn(0, 0)) != NULL)
			fake_conn_eof(c);
		break;
	case 4:
		agent_cut_off(gw, 1);
		agent_cut_off(gw, 0);
		break;
	default:
		servers_heartbeat(gw, ev_now(fd_loop) + 1.5);
		break;
	}
	conn_reap();
	return used;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int inited;
	struct gw *gw;
	size_t at = 1;

	if (!inited) {
		fd_init();
		inited = 1;
	}
	if (size < 1)
		return 0;
	gw = fd_start(data[0]);
	while (at < size) {
		at += fd_step(gw, data + at, size - at);
		FUZZ_CHECK(downlink_relays(gw) <= fd_cfg.max_agents);
		FUZZ_CHECK(chan_replay_bytes(gw) <= fd_cfg.buffer_budget);
	}
	gw->stopping = 1;
	downlink_stop_all(gw, GW_R_SHUTDOWN, "stop");
	agent_stop_all(gw, GW_R_SHUTDOWN, "stop");
	servers_free(gw->servers);
	for (unsigned i = 0; i < gw->nup; i++)
		upstream_free(gw->up[i]);
	free(gw->up);
	conn_reap();
	limits_stop(&gw->limits);
	FUZZ_CHECK(downlink_relays(gw) == 0);
	FUZZ_CHECK(*downlink_counter(gw) == 0);
	FUZZ_CHECK(chan_replay_bytes(gw) == 0);
	FUZZ_CHECK(fake_conn_live() == 0);
	downlink_all_free(gw->downlinks);
	agent_all_free(gw->agents);
	chan_all_free(gw->chans);
	return 0;
}
