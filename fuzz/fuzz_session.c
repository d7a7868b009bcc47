/*
 * fuzz_session.c: the stateful harness.  gatewayd's real session code
 * (agent.c and agent_all.c: the agent state machine; chan.c: channels,
 * their rings and FIFOs; upstream.c and servers.c: links, failover) runs
 * on connections that the
 * input opens, feeds with frames from either side, fills, times out and
 * closes (fake_conn.c, session_env.c; the opcodes are in
 * session_env.h).  Two servers, two links, the spare; four agents at
 * most; a window of 4 and a replay budget of three frames (and a bit) so
 * that flow control and backpressure are reached.
 *
 * Invariants, after every operation:
 *  - a session's credit adds up: credit + owed + ring == window once
 *    HELLO_ACK is sent; the ring holds at most the window, its bytes add
 *    up to chan_replay_bytes; an agent never holds more credit than the
 *    window, and no DATA was taken without credit (session_env.c);
 *    credit folded into an ACK owed (ACKCREDIT) is part of it only on a
 *    session that agreed ACKCREDIT, and the agent's only once sent;
 *  - buffer_budget is a bound: the reserved bytes (agent_counts) are
 *    max_payload for each frame of credit held, and replay + reserved <=
 *    budget; those waiting for memory are on gw->agents->starved once,
 *    and wait only while the budget cannot back one more frame;
 *  - every session is on gw->agents->list once, agent_counts counts them;
 *  - a session has a channel (not NEW) once it said HELLO; a channel
 *    is on a link exactly when it is OPENING, OPEN, WAITING or DRAINING,
 *    on gw->chans->no_link exactly when NO_LINK or NO_ROOM, on a link's FIFO
 *    exactly when NO_ROOM or WAITING;
 *  - an OPEN channel's ring is all sent upstream (it is WAITING for room
 *    otherwise, or DRAINING on a draining link): after a failover, the
 *    ring is resent on the new channel;
 *  - upstream, DATA only on open channels, in order (session_env.c);
 *  - commands: a session remembers at most GW_COMMANDS_INFLIGHT ids, the
 *    same the agent was relayed and did not answer by a RESULT (its ids
 *    allocated only with COMMANDS agreed); what is relayed, what goes up
 *    and who is closed for what it answers: session_env.c;
 *  - after the gateway stops, every connection and every byte is freed
 *    (LeakSanitizer) and no callback touched a freed session (ASan).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "agent_impl.h"
#include "fuzz.h"
#include "gw.h"
#include "log.h"
#include "session_env.h"
#include "servers.h"
#include "upstream.h"
#include "x509_issue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char sess_config[] =
    "[gateway]\n"
    "cert = gw.crt\nkey = gw.key\nagent_ca = ca.crt\n"
    "agent_names = agent-*\n"
    "max_payload = 1024\n"
    "agent_window = 4\n"
    "heartbeat = 1s\n"		/* SEEN at each tick (FLEET) */
    "[upstream]\n"
    "server = 127.0.0.1:1, 127.0.0.1:2\n"
    "ca = ca.crt\n"
    "connections = 2\n";

static struct gw_config cfg;
static struct ev_loop *loop;
/* agent-1 .. agent-SESS_NAMES, then a name not allowed (sess_crt). */
static mbedtls_x509_crt crts[SESS_NAMES + 1];

static void
sess_init(void)
{
	static const char *const names[SESS_NAMES + 1] = { "agent-1",
	    "agent-2", "agent-3", "agent-4", "intruder" };
	static unsigned char pem[4096], key[4096];
	struct pki_req req = { .role = PKI_ROLE_AGENT };
	struct pki_rng rng;
	char err[512];

	log_init("fuzz_session", LOG_LVL_ERR);
	if (gw_config_load_string(sess_config, "session", "/", &cfg, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_session: %s\n", err);
		abort();
	}
	cfg.buffer_budget = 3 * 1024 + 100;	/* below the config's floor */
	cfg.agent_output_buffer = SESS_AGENT_OUTPUT;
	snprintf(cfg.via_name, sizeof(cfg.via_name), "%s", SESS_VIA_NAME);
	if ((loop = ev_loop_new(EVFLAG_AUTO)) == NULL ||
	    pki_rng_init(&rng, err, sizeof(err)) != 0)
		abort();
	pki_validity(&req, 30);
	for (int i = 0; i < SESS_NAMES + 1; i++) {
		req.name = names[i];
		mbedtls_x509_crt_init(&crts[i]);
		if (pki_make(&req, NULL, &rng, pem, sizeof(pem), key,
		    sizeof(key), err, sizeof(err)) != 0 ||
		    mbedtls_x509_crt_parse(&crts[i], pem,
		    strlen((char *)pem) + 1) != 0) {
			fprintf(stderr, "fuzz_session: %s\n", err);
			abort();
		}
	}
	pki_rng_free(&rng);
}

/* The certificate SESS_AGENT_TLS(who) ends the handshake with. */
static const mbedtls_x509_crt *
sess_crt(unsigned who)
{
	return &crts[who & 4 ? SESS_NAMES : (who >> 3) % SESS_NAMES];
}

static void
sess_check(const struct gw *gw)
{
	const struct agent *a;
	const struct replay *r;
	const struct agent_counts *cnt = agent_counts(gw);
	uint64_t bytes = 0, reserved = 0;
	unsigned n = 0, nopen = 0, nstarved = 0;

	for (a = gw->agents->list; a != NULL; a = a->next) {
		const struct sess_conn_view *v = sess_view(a->c);
		const struct chan *ch = &a->ch;
		int open = a->state == AGENT_OPEN;

		FUZZ_CHECK(a->magic == AGENT_MAGIC && n++ < SESS_AGENTS);
		FUZZ_CHECK(ch->magic == CHAN_MAGIC);
		FUZZ_CHECK(ch->ring_len <= cfg.agent_window);
		FUZZ_CHECK(ch->ring_sent <= ch->ring_len);
		for (uint32_t i = 0; i < ch->ring_len; i++) {
			r = &ch->ring[(ch->ring_head + i) % cfg.agent_window];
			FUZZ_CHECK(r->body != NULL);
			bytes += r->len;
		}
		if (open) {
			FUZZ_CHECK(a->credit + a->credit_owed + ch->ring_len ==
			    cfg.agent_window);
			FUZZ_CHECK(v->credit_granted - v->data_taken <=
			    cfg.agent_window);
			/*
			 * All it may still send is reserved (below), and
			 * what is folded into an ACK owed (ACKCREDIT) too,
			 * before the ACK has sent it.
			 */
			FUZZ_CHECK(a->credit_fold <= a->credit);
			FUZZ_CHECK(a->credit_fold == 0 || (a->ack_todo != 0 &&
			    (a->caps & GW_CAP_ACKCREDIT)));
			FUZZ_CHECK(v->credit_granted - v->data_taken ==
			    a->credit - a->credit_fold);
		} else
			FUZZ_CHECK(ch->ring_len == 0 && a->credit == 0 &&
			    !a->on_starved);
		/* A channel past HELLO only, on a link when it has one. */
		FUZZ_CHECK((ch->state == CHAN_NEW) ==
		    (a->state < AGENT_OPENING));
		FUZZ_CHECK(chan_ready(ch) || ch->state == CHAN_OPENING ?
		    ch->up != NULL : ch->up == NULL);
		FUZZ_CHECK(!chan_ready(ch) || open);
		/* The FIFOs are as its state says. */
		FUZZ_CHECK(ch->on_no_link == (ch->state == CHAN_NO_LINK ||
		    ch->state == CHAN_NO_ROOM));
		FUZZ_CHECK((ch->wait_tab != NULL) ==
		    (ch->state == CHAN_NO_ROOM || ch->state == CHAN_WAITING));
		/* Its ring is in flight, or it waits for room to send it. */
		FUZZ_CHECK(ch->state != CHAN_OPEN ||
		    ch->ring_sent == ch->ring_len);
		FUZZ_CHECK(ch->state != CHAN_DRAINING ||
		    upstream_draining(ch->up));
		/* Commands: the ids the agent was relayed, 16 at most. */
		FUZZ_CHECK(agent_cmd_count(a) <= GW_COMMANDS_INFLIGHT);
		FUZZ_CHECK(agent_cmd_count(a) == v->cmds);
		FUZZ_CHECK(a->cmds == NULL || (a->caps & GW_CAP_COMMANDS));
		reserved += (uint64_t)a->credit * cfg.max_payload;
		nopen += open;
		nstarved += a->on_starved != 0;
	}
	FUZZ_CHECK(n == cnt->agents);
	FUZZ_CHECK(bytes == chan_replay_bytes(gw));
	FUZZ_CHECK(reserved == cnt->reserved_bytes);
	FUZZ_CHECK(nopen == cnt->open);
	FUZZ_CHECK(chan_replay_bytes(gw) + cnt->reserved_bytes <=
	    cfg.buffer_budget);
	FUZZ_CHECK(nstarved == agent_starved_count(gw));
	FUZZ_CHECK(TAILQ_EMPTY(&gw->agents->starved) || cfg.buffer_budget -
	    chan_replay_bytes(gw) - cnt->reserved_bytes < cfg.max_payload);
	TAILQ_FOREACH(a, &gw->agents->starved, starved)
		FUZZ_CHECK(a->on_starved && a->credit_owed > 0);
}

static void
sess_stop(struct gw *gw)
{
	sess_cause(SESS_OPS, NULL);
	gw->stopping = 1;
	agent_stop_all(gw, GW_R_SHUTDOWN, "gateway stopping");
	servers_free(gw->servers);
	gw->servers = NULL;
	for (unsigned i = 0; i < gw->nup; i++)
		upstream_free(gw->up[i]);
	free(gw->up);
	conn_reap();
	limits_stop(&gw->limits);
	FUZZ_CHECK(agent_counts(gw)->agents == 0 &&
	    chan_replay_bytes(gw) == 0 &&
	    agent_counts(gw)->reserved_bytes == 0 &&
	    agent_counts(gw)->open == 0);
	FUZZ_CHECK(fake_conn_live() == 0);
	agent_all_free(gw->agents);
	gw->agents = NULL;
	chan_all_free(gw->chans);
	gw->chans = NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct gw gw;
	size_t off = 0, used;
	double now;

	if (!ready) {
		sess_init();
		ready = 1;
	}
	sess_env_reset();
	now = ev_now(loop);
	memset(&gw, 0, sizeof(gw));
	gw.magic = GW_MAGIC;
	if ((gw.chans = chan_all_new()) == NULL)
		abort();
	if ((gw.agents = agent_all_new()) == NULL)
		abort();
	gw.cfg = &cfg;
	gw.loop = loop;
	limits_init(&gw.limits, loop);
	gw.nup = cfg.connections;
	if ((gw.up = calloc(gw.nup, sizeof(*gw.up))) == NULL)
		return 0;
	for (unsigned i = 0; i < gw.nup; i++)
		if ((gw.up[i] = upstream_new(&gw, i, 0)) == NULL)
			abort();
	gw.pick_link = servers_pick;
	if ((gw.servers = servers_new(&gw)) == NULL)
		abort();
	servers_start(&gw);

	while (off < size) {
		unsigned op = data[off++] % SESS_OPS, who = 0, sel = 0;
		struct conn *c;

		if (op != SESS_ACCEPT && op != SESS_TICK && op != SESS_DRAIN) {
			if (off == size)
				break;
			who = data[off++];
		}
		if (op == SESS_LINK_COMMAND || op == SESS_AGENT_ANSWER) {
			if (off == size)
				break;
			sel = data[off++];
		}
		c = op == SESS_LINK_TLS || op == SESS_LINK_FRAME ||
		    op == SESS_LINK_HELLO_ACK || op == SESS_LINK_OPEN_ACKS ||
		    op == SESS_LINK_ACKS || op == SESS_LINK_FULL ||
		    op == SESS_LINK_TIMER || op == SESS_LINK_EOF ||
		    op == SESS_LINK_COMMAND ?
		    fake_conn_connected(who) : fake_conn_accepted(who);
		sess_cause(op, c);
		switch (op) {
		case SESS_ACCEPT:
			if (!gw.draining)
				agent_accept(&gw, -1);
			break;
		case SESS_AGENT_TLS:
		case SESS_LINK_TLS:
			if (c != NULL)
				fake_conn_open(c, sess_crt(who));
			break;
		case SESS_AGENT_FRAME:
		case SESS_LINK_FRAME:
			if (c == NULL || conn_state(c) != CONN_OPEN)
				break;
			if ((used = fake_conn_input(c, data + off,
			    size - off)) == 0)
				off = size;	/* a cut frame: the input ends */
			off += used < size - off ? used : size - off;
			break;
		case SESS_LINK_HELLO_ACK:
			if (c != NULL) {
				struct gw_frame f = { .type = GW_T_HELLO_ACK };

				/*
				 * who & 0x40: no COMMANDS; 0x80: 64 bytes;
				 * 0x20: FLEET; 0x10: CHAIN.
				 */
				f.u.hello_ack.version = GW_PROTO_VERSION_MAX;
				f.u.hello_ack.caps = (who & 0x40 ? 0 :
				    GW_CAP_COMMANDS) |
				    (who & 0x20 ? GW_CAP_FLEET : 0) |
				    (who & 0x10 ? GW_CAP_CHAIN : 0);
				f.u.hello_ack.max_payload = who & 0x80 ? 64 :
				    1024;
				f.u.hello_ack.heartbeat_ms = 500;
				fake_conn_frame(c, &f);
			}
			break;
		case SESS_LINK_OPEN_ACKS:
		case SESS_LINK_ACKS:
			if (c != NULL)
				sess_link_channels(c, op == SESS_LINK_ACKS,
				    who >> 3);
			break;
		case SESS_AGENT_FULL:
		case SESS_LINK_FULL:
			if (c != NULL)
				sess_full(c, who >> 2);
			break;
		case SESS_AGENT_TIMER:
		case SESS_LINK_TIMER:
			if (c != NULL)
				fake_conn_timer(c);
			break;
		case SESS_AGENT_EOF:
		case SESS_LINK_EOF:
			if (c != NULL)
				fake_conn_eof(c);
			break;
		case SESS_TICK:
			now += 1.0;
			servers_heartbeat(&gw, now);
			break;
		case SESS_DRAIN:
			if (!gw.draining) {
				gw.draining = 1;
				agent_drain_all(&gw);
			}
			break;
		case SESS_ENROLL_ANSWER:
			sess_enroll_answer(who);
			break;
		case SESS_LINK_COMMAND:
			if (c != NULL)	/* who >> 2: body, 16 bytes a unit */
				sess_link_command(c, sel, (who >> 2) * 16);
			break;
		case SESS_AGENT_ANSWER:	/* who >> 4: output, 70 bytes a unit */
			if (c != NULL)
				sess_answer(c, sel, (who >> 4) * 70);
			break;
		}
		sess_check(&gw);
		conn_reap();	/* as the loop does before it waits */
	}
	sess_stop(&gw);
	return 0;
}
