/*
 * fuzz_mgmt.c: gw-mgmt's session side.  Its real link.c (gateways,
 * backpressure), mchan.c (channels), commit.c (the group commit) and signer.c
 * (enrollment requests) run over the real store.c and store_sqlite.c, on
 * a WAL database in /dev/shm, with up to three gateway connections that
 * the input opens (allowed or refused certificates), feeds with frames,
 * fills, times out and closes (fake_conn.c, mgmt_link.c; the opcodes
 * are in mgmt_env.h).  agent_crl revokes agent-3.  The batch timer fires when
 * the input says; the store refuses inserts or a commit when the input
 * says.  The first byte picks batch_max (1, 2, 3 or 64), whether
 * enrollment is on, and whether gateways announce COMMANDS: then the
 * input makes commands through the store (as `gw-mgmt command send`),
 * gateways answer them (COMMAND_ACK, RESULT; ids made, unknown, out of
 * range) and the resend round runs when it says.
 *
 * Invariants, after every step (one operation, or one frame a resumed
 * link reads):
 *  - nothing one channel sends closes another channel or another link,
 *    or rolls back another channel's rows (unless the store failed);
 *  - a committed row is never lost, and every stored row is one a
 *    channel of its agent sent (agent, seq, payload);
 *  - an ACK covers only durable rows, never more than was sent;
 *    OPEN_ACK gives the agent's highest durable seq;
 *  - every frame sent re-decodes; ENROLL_RESULT answers an ENROLL of its
 *    link, once (mgmt_link.c);
 *  - a COMMAND goes only on an open channel of an agent its command
 *    targets, never expired; a target is delivered or answered only after
 *    a COMMAND went to its agent, keeps its first RESULT, and changes only
 *    in a step of its own agent's channel (or the resend round);
 *  - a channel owed an answer, or an open transaction, has the batch
 *    timer armed; a batch never holds batch_max items;
 *  - after the stop, nothing is left (LeakSanitizer), each conn closed
 *    once and never used after (ASan, fake_conn.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commit.h"
#include "crl.h"
#include "mchan.h"
#include "fuzz.h"
#include "identity.h"
#include "link.h"
#include "log.h"
#include "mgmt.h"
#include "mgmt_env.h"
#include "mgmt_world.h"
#include "x509_issue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char mgmt_conf[] =
    "[mgmt]\n"
    "cert = mgmt.crt\nkey = mgmt.key\ngateway_ca = ca.crt\n"
    "gateway_names = gw-*\n"
    "agent_crl = /nonexistent/fuzz_mgmt/agent.crl\n"
    "max_payload = 1024\n"
    "[store]\n"
    "database = fuzz.db\n";

static struct mgmt_config cfg;
static struct ev_loop *loop;
static mbedtls_x509_crt crts[MGMT_CRTS];
static struct mgmt m;
static char db[128], db_wal[160], db_shm[160];
/* agent_crl: a CRL of the agents' CA that revokes agent-3. */
static unsigned char agent_crl[4096];
static char agent_ca_dn[ID_DN_MAX];

/*
 * The store: a file (WAL needs one, and the committed view is a second
 * connection's), in /dev/shm if there is one: a sync costs nothing there.
 */
static void
mgmt_db_init(void)
{
	const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";

	snprintf(db, sizeof(db), "%s/fuzz_mgmt-%ld.db", dir, (long)getpid());
	snprintf(db_wal, sizeof(db_wal), "%s-wal", db);
	snprintf(db_shm, sizeof(db_shm), "%s-shm", db);
}

static void
mgmt_db_unlink(void)
{
	(void)unlink(db);
	(void)unlink(db_wal);
	(void)unlink(db_shm);
}

/*
 * The agents' CA and its CRL, which revokes serial 04 (agent-3).  The
 * harness loads it into m.links->agent_crl for each input; agent_crl
 * names no file, so link.c keeps that one ("a CRL that cannot be read
 * keeps the last good one").
 */
static void
mgmt_agent_crl(struct pki_rng *rng)
{
	static unsigned char pem[4096], key[4096];
	struct pki_req req = { .role = PKI_ROLE_CA, .name = "fuzz agent CA" };
	struct pki_revoked rv = { .serial = { 4 }, .len = 1,
	    .when = "20250101000000" };
	struct pki_ca ca;
	char err[256];

	pki_validity(&req, 30);
	mbedtls_x509_crt_init(&ca.crt);
	mbedtls_pk_init(&ca.key);
	ca.crt_pem = NULL;
	if (pki_make(&req, NULL, rng, pem, sizeof(pem), key, sizeof(key), err,
	    sizeof(err)) != 0 ||
	    mbedtls_x509_crt_parse(&ca.crt, pem, strlen((char *)pem) + 1) !=
	    0 || mbedtls_pk_parse_key(&ca.key, key, strlen((char *)key) + 1,
	    NULL, 0, mbedtls_ctr_drbg_random, &rng->drbg) != 0 ||
	    mbedtls_x509_dn_gets(agent_ca_dn, sizeof(agent_ca_dn),
	    &ca.crt.subject) < 0 ||
	    pki_crl_write(&ca, rng, &rv, 1, 30, agent_crl, sizeof(agent_crl),
	    err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_mgmt: agent CRL: %s\n", err);
		abort();
	}
	pki_ca_free(&ca);
}

static void
mgmt_init(void)
{
	static const struct mgmt_world_crt who[MGMT_CRTS - 1] = {
		{ PKI_ROLE_GATEWAY, "gw-1" },
		{ PKI_ROLE_GATEWAY, "gw-2" },
		{ PKI_ROLE_GATEWAY, "rogue" },
		{ PKI_ROLE_AGENT, "gw-3" },
	};
	const void *ptrs[MGMT_CRTS] = { NULL };
	struct pki_rng rng;
	char err[512];

	/* The store fails on purpose here: keep its errors quiet. */
	log_init("fuzz_mgmt", (enum log_level)(LOG_LVL_ERR + 1));
	if (mgmt_config_load_string(mgmt_conf, "mgmt", "/", &cfg, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_mgmt: %s\n", err);
		abort();
	}
	if ((loop = ev_loop_new(EVFLAG_AUTO)) == NULL ||
	    pki_rng_init(&rng, err, sizeof(err)) != 0)
		abort();
	mgmt_world_crts(who, MGMT_CRTS - 1, &rng, crts, "fuzz_mgmt");
	for (unsigned i = 0; i < MGMT_CRTS - 1; i++)
		ptrs[i] = &crts[i];
	mgmt_agent_crl(&rng);
	pki_rng_free(&rng);
	mgmt_env_init(ptrs);
	mgmt_db_init();
}

/* What must hold between any two steps. */
static void
mgmt_check_all(void)
{
	mgmt_check(m.store);
	FUZZ_CHECK(m.commit->batch_items < cfg.batch_max);
	if (!TAILQ_EMPTY(&m.commit->dirty) || store_in_txn(m.store))
		FUZZ_CHECK(ev_is_active(&m.commit->batch_timer));
	FUZZ_CHECK(m.links->n <= MGMT_LINKS);
}

/* An agent's identity as a gateway attests it in OPEN. */
static void
mgmt_identity(unsigned agent, int bad, struct id_info *id)
{
	memset(id, 0, sizeof(*id));
	if (!bad)		/* bad: no name */
		snprintf(id->name, sizeof(id->name), "agent-%u", agent);
	snprintf(id->subject, sizeof(id->subject), "CN=%s", id->name);
	snprintf(id->serial, sizeof(id->serial), "0%u", agent + 1);
	snprintf(id->issuer, sizeof(id->issuer), "%s", agent_ca_dn);
	snprintf(id->peer, sizeof(id->peer), "192.0.2.%u:5000", agent + 1);
	memset(id->fingerprint, (int)(0xa0 + agent), sizeof(id->fingerprint));
	id_fp_hex(id->fingerprint, id->fp_hex);
}

static uint64_t
mgmt_seq(unsigned sel, uint64_t hi)
{
	switch (sel % MGMT_SEQS) {
	case MGMT_SEQ_NEXT:	return hi + 1;
	case MGMT_SEQ_REPEAT:	return hi;
	case MGMT_SEQ_GAP:	return hi + 2;
	case MGMT_SEQ_BACK:	return hi - 1;
	case MGMT_SEQ_ONE:	return 1;
	case MGMT_SEQ_ZERO:	return 0;
	case MGMT_SEQ_I64MAX:	return INT64_MAX;
	case MGMT_SEQ_I64MAX1:	return (uint64_t)INT64_MAX + 1;
	case MGMT_SEQ_U64MAX:	return UINT64_MAX;
	default:		return (uint64_t)1 << 32;
	}
}

/* Arguments each opcode takes (MGMT_RAW: then frame bytes). */
static const uint8_t nargs[MGMT_OPS] = {
	[MGMT_CONNECT] = 1, [MGMT_TLS] = 2, [MGMT_HELLO] = 2,
	[MGMT_OPEN] = 2, [MGMT_DATA] = 4, [MGMT_CLOSE] = 2, [MGMT_PING] = 1,
	[MGMT_ENROLL] = 2, [MGMT_RAW] = 1, [MGMT_FULL] = 2, [MGMT_TIMER] = 1,
	[MGMT_EOF] = 1, [MGMT_BATCH] = 0, [MGMT_FAULT] = 1, [MGMT_ANSWER] = 1,
	[MGMT_CMD] = 1, [MGMT_CMD_ACK] = 3, [MGMT_RESULT] = 4,
	[MGMT_RESEND] = 0,
};

/* Does the input announce COMMANDS (MGMT_F_COMMANDS)? */
static int commands_on;

/*
 * COMMAND_ACK (${a}[3] unused) or RESULT from link ${c} on its channel
 * a[1] (modulo its count), the id a[2] picks (mgmt_cmd_id).
 */
static void
mgmt_answer_cmd(struct conn *c, unsigned op, const uint8_t *a)
{
	static const uint8_t out[] = "fuzz output";
	struct gw_frame f;
	uint32_t ch;
	uint64_t hi;

	if (mgmt_chan_pick(c, a[1], &ch, &hi) != 0)
		return;
	memset(&f, 0, sizeof(f));
	f.channel = ch;
	if (op == MGMT_CMD_ACK) {
		f.type = GW_T_COMMAND_ACK;
		f.u.ack.seq = mgmt_cmd_id(a[2]);
	} else {
		f.type = GW_T_RESULT;
		f.u.result.id = mgmt_cmd_id(a[2]);
		f.u.result.outcome = (uint8_t)(a[3] % 6);
		f.u.result.status = a[3] >> 3;
		f.u.result.output.p = out;
		f.u.result.output.len = a[3] & 4 ? sizeof(out) - 1 : 0;
	}
	mgmt_step((int)(a[0] % MGMT_LINKS), ch);
	mgmt_send(c, &f);
}

/*
 * One operation: ${op} with arguments ${a} on link slot a[0] (if it takes
 * one).  MGMT_RAW's frame bytes are at ${rest}; return how many it used
 * (SIZE_MAX: the input ends).
 */
static size_t
mgmt_op(unsigned op, const uint8_t *a, const uint8_t *rest, size_t nrest)
{
	static uint32_t refs, bodies;
	static const uint8_t csr[] = "fuzz CSR";
	struct conn *c = fake_conn_accepted(a[0]), *was[MGMT_LINKS];
	struct gw_frame f;
	struct id_info id;
	uint8_t body[32];
	uint32_t ch;
	uint64_t hi;
	size_t used = 0;

	memset(&f, 0, sizeof(f));
	if (op == MGMT_CONNECT || op == MGMT_BATCH || op == MGMT_FAULT ||
	    op == MGMT_ANSWER || op == MGMT_CMD || op == MGMT_RESEND)
		mgmt_step(-1, 0);
	else if (c == NULL)
		return op == MGMT_RAW ? SIZE_MAX : 0;
	else
		mgmt_step((int)(a[0] % MGMT_LINKS), 0);
	switch (op) {
	case MGMT_CONNECT:
		for (unsigned i = 0; i < MGMT_LINKS; i++)
			was[i] = fake_conn_accepted(i);
		link_accept(&m, -1);
		for (unsigned i = 0; i < MGMT_LINKS; i++)
			if ((c = fake_conn_accepted(i)) != NULL &&
			    c != was[i] && a[0] % 6 < MGMT_CRTS) {
				mgmt_step((int)i, 0);
				mgmt_open(c, a[0] % 6);
				break;
			}
		break;
	case MGMT_TLS:
		mgmt_open(c, a[1] % MGMT_CRTS);
		break;
	case MGMT_HELLO:
		f.type = GW_T_HELLO;
		f.u.hello.vmin = 1;
		f.u.hello.vmax = a[1] ? a[1] : 1;
		f.u.hello.caps = commands_on ? GW_CAP_COMMANDS : 0;
		f.u.hello.max_payload = 1024;
		mgmt_send(c, &f);
		break;
	case MGMT_OPEN:
		mgmt_identity(a[1] & 3, (a[1] & 4) != 0, &id);
		f.type = GW_T_OPEN;
		f.channel = mgmt_max_chan(c) + !(a[1] & 8);
		if (f.channel == 0)
			f.channel = 1;
		id_view(&id, &f.u.open);
		mgmt_step((int)(a[0] % MGMT_LINKS), f.channel);
		mgmt_send(c, &f);
		break;
	case MGMT_DATA:
		if (mgmt_chan_pick(c, a[1], &ch, &hi) != 0)
			break;
		f.type = GW_T_DATA;
		f.channel = ch;
		f.u.data.seq = mgmt_seq(a[2], hi);
		bodies++;
		for (unsigned i = 0; i < sizeof(body); i++)
			body[i] = (uint8_t)(bodies >> (8 * (i % 4)));
		f.u.data.body.p = body;
		f.u.data.body.len = a[3] % (sizeof(body) + 1);
		mgmt_step((int)(a[0] % MGMT_LINKS), ch);
		mgmt_send(c, &f);
		break;
	case MGMT_CLOSE:
		if (mgmt_chan_pick(c, a[1], &ch, &hi) != 0)
			break;
		f.type = GW_T_CLOSE;
		f.channel = ch;
		f.u.reason.code = GW_R_NORMAL;
		mgmt_step((int)(a[0] % MGMT_LINKS), ch);
		mgmt_send(c, &f);
		break;
	case MGMT_PING:
		f.type = GW_T_PING;
		f.u.ping.opaque = 0x0102030405060708ull;
		mgmt_send(c, &f);
		break;
	case MGMT_ENROLL:
		f.type = GW_T_ENROLL;
		f.u.enroll.ref = ++refs;
		f.u.enroll.csr.p = csr;
		f.u.enroll.csr.len = (uint16_t)(a[1] & 1 ? sizeof(csr) : 4);
		f.u.enroll.token.p = csr;
		f.u.enroll.token.len = (uint16_t)(a[1] & 1 ? sizeof(csr) : 4);
		f.u.enroll.source.p = (const uint8_t *)"192.0.2.9:7";
		f.u.enroll.source.len = 11;
		mgmt_auth_now((a[1] & 2) != 0);
		mgmt_send(c, &f);
		mgmt_auth_now(0);
		break;
	case MGMT_RAW:
		if ((used = mgmt_input(c, rest, nrest)) == 0)
			return SIZE_MAX;	/* a cut frame: the end */
		break;
	case MGMT_FULL:
		mgmt_full(c, a[1]);
		break;
	case MGMT_TIMER:
		fake_conn_timer(c);
		break;
	case MGMT_EOF:
		fake_conn_eof(c);
		break;
	case MGMT_BATCH:
		if (ev_is_active(&m.commit->batch_timer))
			ev_invoke(loop, &m.commit->batch_timer, EV_TIMER);
		break;
	case MGMT_FAULT:
		mgmt_fault(a[0]);
		break;
	case MGMT_ANSWER:
		mgmt_answer(a[0]);
		break;
	case MGMT_CMD:
		mgmt_command(m.store, a[0]);
		break;
	case MGMT_CMD_ACK:
	case MGMT_RESULT:
		mgmt_answer_cmd(c, op, a);
		break;
	case MGMT_RESEND:
		if (ev_is_active(&m.chans->resend))
			ev_invoke(loop, &m.chans->resend, EV_TIMER);
		break;
	}
	return used;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t batch[4] = { 1, 2, 3, 64 };
	static int ready;
	static char ca_dir[] = "fuzz-ca";
	struct store *store;
	size_t off = 1, used;
	char err[512];

	if (!ready) {
		mgmt_init();
		ready = 1;
	}
	if (size == 0)
		return 0;
	mgmt_env_reset();
	cfg.batch_max = batch[data[0] & MGMT_F_BATCH];
	cfg.enroll.ca_dir = data[0] & MGMT_F_ENROLL ? ca_dir : NULL;
	commands_on = (data[0] & MGMT_F_COMMANDS) != 0;
	mgmt_clock((int64_t)(ev_now(loop) * 1000.));
	mgmt_db_unlink();
	if (mgmt_env_store(&store, db, err, sizeof(err)) != 0 ||
	    mgmt_world_init(&m, &cfg, loop, store, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_mgmt: %s\n", err);
		abort();
	}
	if (mbedtls_x509_crl_parse(&m.links->agent_crl, agent_crl,
	    strlen((char *)agent_crl) + 1) != 0)
		abort();
	while (off < size) {
		unsigned op = data[off++] % (commands_on ? MGMT_OPS :
		    MGMT_OPS_BASE);
		uint8_t a[4] = { 0 };

		if (size - off < nargs[op])
			break;
		memcpy(a, data + off, nargs[op]);
		off += nargs[op];
		used = mgmt_op(op, a, data + off, size - off);
		if (used == SIZE_MAX)
			break;
		off += used;
		mgmt_check_all();
		mgmt_loop(mgmt_check_all);
		conn_reap();	/* as the loop does before it waits */
	}
	/* As gw-mgmt stops: commit the open batch, close every link. */
	mgmt_step(-2, 0);
	commit_now(&m);
	FUZZ_CHECK(!store_in_txn(m.store));
	mgmt_check(m.store);
	mgmt_world_stop(&m, "management server stopping");
	FUZZ_CHECK(m.links->n == 0 && TAILQ_EMPTY(&m.commit->dirty));
	FUZZ_CHECK(!ev_is_active(&m.commit->batch_timer));
	mgmt_world_free(&m);
	mgmt_env_done();
	mgmt_db_unlink();
	FUZZ_CHECK(fake_conn_live() == 0);
	cfg.enroll.ca_dir = NULL;
	return 0;
}
