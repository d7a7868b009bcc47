/*
 * test_tls_records.c: the TLS records and buffers of our own configurations
 * (tls_conf_new) as docs/PROTOCOL.md section 2 states them, with a real
 * mbedTLS server and client talking through two byte queues in memory.
 * While a handshake runs the buffers hold records of 16 KiB, so a server
 * chain of 10 KB goes; once a TLS 1.3 handshake is over (the server's
 * ticket written, if it gives one; a resumed one too) the server's buffers
 * hold one record of TLS_RECORD_LIMIT each way, the client's output buffer
 * too, its input buffer stays full (a ticket may come later), and 10,000
 * bytes cross each way intact in records of that limit.  A peer that
 * announces another limit gets a server output buffer and records of its
 * own limit.  The server frees its handshake parameters once it is over.
 * TLS 1.2 keeps full buffers, unless the client asks max_fragment_length,
 * as ours that speak only TLS 1.2 do.  A record longer than the shrunk
 * input buffer is answered with a record_overflow alert and
 * MBEDTLS_ERR_SSL_INVALID_RECORD, not a crash (cmake/mbedtls-patches/0001).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <cmocka.h>

#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "authority_fixture.h"
#include "tls_conf.h"
#include "tls_rng.h"
#include "tls_ticket.h"

/*
 * TLS's own largest record (plaintext), what a full buffer holds: a figure,
 * not MBEDTLS_SSL_IN_CONTENT_LEN, which a configuration may lower (d75d781
 * had 2,048).
 */
#define FULL_RECORD	16384
/*
 * A shrunk buffer: one record of TLS_RECORD_LIMIT bytes of TLSInnerPlaintext
 * and mbedTLS's room around it in this build (cmake/gw_mbedtls_config.h:
 * AEAD suites only, no CBC, no connection ID): 13 bytes of header (8 of
 * sequence number kept in front, 5 of record header), 16 of explicit IV
 * (MBEDTLS_MAX_IV_LENGTH) and 16 of AEAD tag.  2,093 bytes.
 */
#define SMALL_BUF	(TLS_RECORD_LIMIT + 13 + 16 + 16)
#define TAG_LEN		16	/* AES-GCM, ChaCha20-Poly1305 */
#define DATA_LEN	10000	/* bytes each way */
#define CHAIN_MIN	10000	/* DER bytes of the big server chain */
#define GW_NAME		"gw.records.test"

static char tdir[64];
static struct tls_ticket *tickets;
static struct tls_conf *srv, *srv_t, *srv12, *cli, *cli12;
static size_t big_der, big_count;	/* the big chain, as sent */

/* One direction: bytes written by one end, not yet read by the other. */
struct queue {
	uint8_t		 buf[65536];
	size_t		 len, off;
};

struct end {
	struct queue	*in, *out;
};

/* A client and a server, and the smallest buffers seen while each ran. */
struct pair {
	mbedtls_ssl_context	 cli, srv;
	struct queue		 c2s, s2c;
	struct end		 ce, se;
	struct tls_resumed	 slot;		/* the server's ticket peer */
	size_t			 hs_srv_in, hs_srv_out, hs_cli_in, hs_cli_out;
};

static int
q_send(void *p, const unsigned char *buf, size_t len)
{
	struct queue *q = ((struct end *)p)->out;

	if (q->off == q->len)
		q->off = q->len = 0;
	if (len > sizeof(q->buf) - q->len)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	memcpy(q->buf + q->len, buf, len);
	q->len += len;
	return (int)len;
}

static int
q_recv(void *p, unsigned char *buf, size_t len)
{
	struct queue *q = ((struct end *)p)->in;
	size_t n = q->len - q->off;

	if (n == 0)
		return MBEDTLS_ERR_SSL_WANT_READ;
	if (n > len)
		n = len;
	memcpy(buf, q->buf + q->off, n);
	q->off += n;
	return (int)n;
}

static size_t
in_buf(const mbedtls_ssl_context *ssl)
{
	return ssl->MBEDTLS_PRIVATE(in_buf_len);
}

static size_t
out_buf(const mbedtls_ssl_context *ssl)
{
	return ssl->MBEDTLS_PRIVATE(out_buf_len);
}

/* ${path}: the string ${pem}, mode ${mode}. */
static void
put(const char *path, const unsigned char *pem, mode_t mode)
{
	char err[256];

	if (pki_write_file(path, pem, strlen((const char *)pem), mode, err,
	    sizeof(err)) != 0)
		fail_msg("%s", err);
}

/* ${d}/${file}.crt and .key: ${role} ${name}, issued by the CA of ${ca}. */
static void
issue(const char *ca, const char *file, enum pki_role role, const char *name)
{
	static unsigned char crt[8192], key[8192];
	struct pki_req req = { .role = role, .name = name };
	struct pki_ca pca;
	char p[256], err[256];

	pki_validity(&req, 30);
	assert_int_equal(pki_ca_load(&pca, ca, &rng, err, sizeof(err)), 0);
	if (pki_make(&req, &pca, &rng, crt, sizeof(crt), key, sizeof(key), err,
	    sizeof(err)) != 0)
		fail_msg("%s: %s", name, err);
	pki_ca_free(&pca);
	snprintf(p, sizeof(p), "%s/%s.crt", tdir, file);
	put(p, crt, 0644);
	snprintf(p, sizeof(p), "%s/%s.key", tdir, file);
	put(p, key, 0600);
}

/*
 * ${pem}: a certificate for ${req} and ${key}, issued by the CA in ${ca}
 * (NULL: self-signed).  Return its DER length.
 */
static size_t
sign(struct pki_req *req, mbedtls_pk_context *key, const char *ca,
    unsigned char *pem, size_t cap)
{
	struct pki_ca pca;
	mbedtls_x509_crt crt;
	char err[256];
	size_t len;

	pki_validity(req, 30);
	if (ca != NULL)
		assert_int_equal(pki_ca_load(&pca, ca, &rng, err, sizeof(err)),
		    0);
	if (pki_sign(req, key, ca != NULL ? &pca : NULL, &rng, pem, cap, err,
	    sizeof(err)) != 0)
		fail_msg("%s: %s", req->name, err);
	if (ca != NULL)
		pki_ca_free(&pca);
	mbedtls_x509_crt_init(&crt);
	assert_int_equal(mbedtls_x509_crt_parse(&crt, pem,
	    strlen((char *)pem) + 1), 0);
	len = crt.raw.len;
	mbedtls_x509_crt_free(&crt);
	return len;
}

/*
 * The big server chain, cheaply: one RSA-2048 key for every certificate
 * (RSA-4096 keys take seconds to make).  A root (big/ca.crt) issues
 * intermediates until they and the leaf come to CHAIN_MIN bytes of DER;
 * the leaf (big.crt) is issued by the first one (big/ica), the others ride
 * along after it in big-chain.crt, as cross-certificates may: the client
 * parses them all and verifies leaf, first intermediate, root.
 */
static void
make_big_chain(void)
{
	static unsigned char pem[8192];
	char p[256], name[64], root[128], ica[128], err[256];
	struct pki_req req = { .role = PKI_ROLE_CA };
	mbedtls_pk_context key;
	FILE *f;

	mbedtls_pk_init(&key);
	assert_int_equal(pki_genkey(&key, 2048, &rng, err, sizeof(err)), 0);
	assert_int_equal(mbedtls_pk_write_key_pem(&key, pem, sizeof(pem)), 0);
	snprintf(root, sizeof(root), "%s/big", tdir);
	snprintf(ica, sizeof(ica), "%s/big/ica", tdir);
	assert_int_equal(mkdir(root, 0700), 0);
	assert_int_equal(mkdir(ica, 0700), 0);
	snprintf(p, sizeof(p), "%s/ca.key", root);
	put(p, pem, 0600);
	snprintf(p, sizeof(p), "%s/ca.key", ica);
	put(p, pem, 0600);
	snprintf(p, sizeof(p), "%s/big.key", tdir);
	put(p, pem, 0600);

	req.name = "records big root";
	sign(&req, &key, NULL, pem, sizeof(pem));
	snprintf(p, sizeof(p), "%s/ca.crt", root);
	put(p, pem, 0644);
	snprintf(p, sizeof(p), "%s/big-chain.crt", tdir);
	assert_non_null(f = fopen(p, "w"));
	big_count = 0;
	big_der = 0;
	for (int i = 1; i == 1 || big_der < CHAIN_MIN; i++) {
		snprintf(name, sizeof(name), "records intermediate %d", i);
		req.name = name;
		big_der += sign(&req, &key, root, pem, sizeof(pem));
		big_count++;
		assert_true(fputs((char *)pem, f) >= 0);
		if (i > 1)
			continue;
		snprintf(p, sizeof(p), "%s/ca.crt", ica);
		put(p, pem, 0644);
		req.role = PKI_ROLE_GATEWAY;
		req.name = GW_NAME;
		big_der += sign(&req, &key, ica, pem, sizeof(pem));
		big_count++;
		snprintf(p, sizeof(p), "%s/big.crt", tdir);
		put(p, pem, 0644);
		req.role = PKI_ROLE_CA;
	}
	assert_int_equal(fclose(f), 0);
	mbedtls_pk_free(&key);
}

static struct tls_conf *
conf(int server, const char *file, const char *ca, const char *chain,
    int no_tls13, struct tls_ticket *t)
{
	char crt[128], key[128], cap[128], err[512];
	struct tls_conf_params p = { .server = server, .tls12 = 1,
	    .no_tls13 = no_tls13, .chain = chain, .tickets = t };
	struct tls_conf *tc;

	snprintf(crt, sizeof(crt), "%s/%s.crt", tdir, file);
	snprintf(key, sizeof(key), "%s/%s.key", tdir, file);
	snprintf(cap, sizeof(cap), "%s/%s", tdir, ca);
	p.cert = crt;
	p.key = key;
	p.ca = cap;
	if ((tc = tls_conf_new(&p, err, sizeof(err))) == NULL)
		fail_msg("tls_conf_new %s: %s", file, err);
	return tc;
}

static int
setup(void **state)
{
	char err[256], p[128];

	(void)state;
	snprintf(tdir, sizeof(tdir), "/tmp/test_tls_records.XXXXXX");
	assert_non_null(mkdtemp(tdir));
	assert_int_equal(pki_rng_init(&rng, err, sizeof(err)), 0);
	assert_int_equal(tls_rng_setup(err, sizeof(err)), 0);
	snprintf(p, sizeof(p), "%s/ca", tdir);
	make_ca(p, "records test CA");
	issue(p, "gw", PKI_ROLE_GATEWAY, GW_NAME);
	issue(p, "agent", PKI_ROLE_AGENT, "agent-records");
	if ((tickets = tls_ticket_new(NULL, 3600, err, sizeof(err))) == NULL)
		fail_msg("tls_ticket_new: %s", err);
	srv = conf(1, "gw", "ca/ca.crt", NULL, 0, NULL);
	srv_t = conf(1, "gw", "ca/ca.crt", NULL, 0, tickets);
	srv12 = conf(1, "gw", "ca/ca.crt", NULL, 1, NULL);
	cli = conf(0, "agent", "ca/ca.crt", NULL, 0, NULL);
	cli12 = conf(0, "agent", "ca/ca.crt", NULL, 1, NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tls_conf_free(srv);
	tls_conf_free(srv_t);
	tls_conf_free(srv12);
	tls_conf_free(cli);
	tls_conf_free(cli12);
	tls_ticket_free(tickets);
	pki_rng_free(&rng);
	nftw(tdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static struct pair *
pair_new(const struct tls_conf *s, const struct tls_conf *c,
    const mbedtls_ssl_session *session)
{
	struct pair *p;

	assert_non_null(p = calloc(1, sizeof(*p)));
	p->ce.in = &p->s2c;
	p->ce.out = &p->c2s;
	p->se.in = &p->c2s;
	p->se.out = &p->s2c;
	p->hs_srv_in = p->hs_srv_out = p->hs_cli_in = p->hs_cli_out = SIZE_MAX;
	mbedtls_ssl_init(&p->cli);
	mbedtls_ssl_init(&p->srv);
	assert_int_equal(mbedtls_ssl_setup(&p->srv, tls_conf_ssl(s)), 0);
	assert_int_equal(mbedtls_ssl_setup(&p->cli, tls_conf_ssl(c)), 0);
	assert_int_equal(mbedtls_ssl_set_hostname(&p->cli, GW_NAME), 0);
	if (session != NULL)
		assert_int_equal(mbedtls_ssl_set_session(&p->cli, session), 0);
	mbedtls_ssl_set_bio(&p->cli, &p->ce, q_send, q_recv, NULL);
	mbedtls_ssl_set_bio(&p->srv, &p->se, q_send, q_recv, NULL);
	return p;
}

static void
pair_free(struct pair *p)
{
	mbedtls_ssl_free(&p->cli);
	mbedtls_ssl_free(&p->srv);
	tls_resumed_clear(&p->slot);
	free(p);
}

static void
smallest(size_t *min, size_t v)
{
	if (v < *min)
		*min = v;
}

/* One handshake step of ${ssl} (the server's bound as conn_tls_step). */
static int
step(struct pair *p, mbedtls_ssl_context *ssl, int *done)
{
	int rc;

	if (*done)
		return 0;
	if (ssl == &p->srv)
		tls_conf_bind(&p->slot);
	rc = mbedtls_ssl_handshake(ssl);
	tls_conf_bind(NULL);
	if (rc == 0) {
		*done = 1;
		return 0;
	}
	if (rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE)
		return rc;
	/* Still running: what its buffers hold now. */
	if (ssl == &p->srv) {
		smallest(&p->hs_srv_in, in_buf(ssl));
		smallest(&p->hs_srv_out, out_buf(ssl));
	} else {
		smallest(&p->hs_cli_in, in_buf(ssl));
		smallest(&p->hs_cli_out, out_buf(ssl));
	}
	return 0;
}

static void
handshake(struct pair *p)
{
	int cdone = 0, sdone = 0, rc = 0;
	char buf[160];

	for (int i = 0; i < 50 && !(cdone && sdone) && rc == 0; i++)
		if ((rc = step(p, &p->cli, &cdone)) == 0)
			rc = step(p, &p->srv, &sdone);
	if (!(cdone && sdone))
		fail_msg("handshake: %s (-0x%04x), client %s, server %s",
		    tls_strerror(rc, buf, sizeof(buf)), (unsigned)-rc,
		    cdone ? "done" : "running", sdone ? "done" : "running");
	/* Both ran at least one step before the end. */
	assert_true(p->hs_srv_in != SIZE_MAX && p->hs_cli_in != SIZE_MAX);
}

/* The records waiting in ${q}: how many, and the longest (its length). */
static size_t
records(const struct queue *q, size_t *longest)
{
	size_t n = 0, off = q->off, len;

	*longest = 0;
	while (off + 5 <= q->len) {
		len = (size_t)q->buf[off + 3] << 8 | q->buf[off + 4];
		if (len > *longest)
			*longest = len;
		off += 5 + len;
		n++;
	}
	assert_int_equal(off, q->len);
	return n;
}

/*
 * ${from} writes DATA_LEN bytes into ${q}, in records of at most ${limit}
 * bytes (on the wire, after the header); ${to} reads them all back intact.
 * Return how many records went.
 */
static size_t
transfer(mbedtls_ssl_context *from, mbedtls_ssl_context *to,
    const struct queue *q, size_t limit)
{
	static uint8_t out[DATA_LEN], in[DATA_LEN + 1];
	size_t done = 0, got = 0, n, longest;
	int rc, tickets_seen = 0;

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7 + (i >> 8));
	for (int i = 0; done < DATA_LEN && i < DATA_LEN; i++) {
		rc = mbedtls_ssl_write(from, out + done, DATA_LEN - done);
		if (rc <= 0)
			fail_msg("write: -0x%04x after %zu", (unsigned)-rc, done);
		done += (size_t)rc;
	}
	assert_int_equal(done, DATA_LEN);
	n = records(q, &longest);
	if (longest > limit)
		fail_msg("a record of %zu bytes, limit %zu", longest, limit);
	for (int i = 0; got < DATA_LEN && i < DATA_LEN; i++) {
		rc = mbedtls_ssl_read(to, in + got, sizeof(in) - got);
		/* A ticket: one read takes its record, the next parses it. */
		if (rc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
			tickets_seen++;
			continue;
		}
		if (rc == MBEDTLS_ERR_SSL_WANT_READ && q->off < q->len)
			continue;
		if (rc <= 0)
			fail_msg("read: -0x%04x after %zu", (unsigned)-rc, got);
		got += (size_t)rc;
	}
	assert_int_equal(got, DATA_LEN);
	assert_memory_equal(in, out, DATA_LEN);
	assert_int_equal(mbedtls_ssl_read(to, in, sizeof(in)),
	    MBEDTLS_ERR_SSL_WANT_READ);
	return n - (size_t)tickets_seen;
}

/*
 * After a TLS 1.3 handshake of two of ours (both announce
 * TLS_RECORD_LIMIT): the server's buffers were full while it ran and hold
 * one small record now, the client's output buffer too, its input buffer
 * is full; DATA_LEN bytes go each way in records of the limit.
 */
static void
check_tls13(struct pair *p)
{
	/* The limit counts the inner content type; the tag comes on top. */
	const size_t wire = TLS_RECORD_LIMIT + TAG_LEN;

	assert_int_equal(mbedtls_ssl_get_version_number(&p->srv),
	    MBEDTLS_SSL_VERSION_TLS1_3);
	if (p->hs_srv_in < FULL_RECORD || p->hs_srv_out < FULL_RECORD)
		fail_msg("server buffers during the handshake: in %zu, out %zu,"
		    " want >= %d", p->hs_srv_in, p->hs_srv_out, FULL_RECORD);
	if (p->hs_cli_in < FULL_RECORD || p->hs_cli_out < FULL_RECORD)
		fail_msg("client buffers during the handshake: in %zu, out %zu,"
		    " want >= %d", p->hs_cli_in, p->hs_cli_out, FULL_RECORD);
	if (in_buf(&p->srv) != SMALL_BUF || out_buf(&p->srv) != SMALL_BUF)
		fail_msg("server buffers after the handshake: in %zu, out %zu,"
		    " want %d", in_buf(&p->srv), out_buf(&p->srv), SMALL_BUF);
	if (out_buf(&p->cli) != SMALL_BUF || in_buf(&p->cli) < FULL_RECORD)
		fail_msg("client buffers after the handshake: in %zu (want >= "
		    "%d), out %zu (want %d)", in_buf(&p->cli), FULL_RECORD,
		    out_buf(&p->cli), SMALL_BUF);
	/*
	 * The server's handshake parameters are freed, as after TLS 1.2
	 * (mbedTLS 3.6 kept them: 1,736 bytes and what they point to, per
	 * idle agent); the client keeps its own for tickets to come.
	 */
	if (p->srv.MBEDTLS_PRIVATE(handshake) != NULL)
		fail_msg("the server kept its handshake parameters");
	assert_non_null(p->cli.MBEDTLS_PRIVATE(handshake));
	assert_true(transfer(&p->cli, &p->srv, &p->c2s, wire) >=
	    DATA_LEN / TLS_RECORD_LIMIT + 1);
	assert_true(transfer(&p->srv, &p->cli, &p->s2c, wire) >=
	    DATA_LEN / TLS_RECORD_LIMIT + 1);
	/* Nothing grew back. */
	assert_int_equal(in_buf(&p->srv), SMALL_BUF);
	assert_int_equal(out_buf(&p->srv), SMALL_BUF);
	assert_int_equal(out_buf(&p->cli), SMALL_BUF);
}

static void
test_tls13_small_after_handshake(void **state)
{
	mbedtls_ssl_session s;
	struct pair *p;

	(void)state;
	/* No tickets. */
	p = pair_new(srv, cli, NULL);
	handshake(p);
	check_tls13(p);
	pair_free(p);

	/* Tickets: the server's is written before its handshake returns. */
	p = pair_new(srv_t, cli, NULL);
	handshake(p);
	assert_true(p->s2c.len > p->s2c.off);	/* the ticket, unread */
	check_tls13(p);
	mbedtls_ssl_session_init(&s);
	assert_int_equal(mbedtls_ssl_get_session(&p->cli, &s), 0);
	assert_true(s.MBEDTLS_PRIVATE(ticket_len) > 0);
	pair_free(p);

	/* Resumed from that ticket: the same. */
	p = pair_new(srv_t, cli, &s);
	handshake(p);
	assert_non_null(p->slot.crt);		/* the ticket was taken */
	check_tls13(p);
	pair_free(p);
	mbedtls_ssl_session_free(&s);
}

/*
 * TLS 1.2 has no record size limit.  A client that offers TLS 1.3 too asks
 * no max_fragment_length (a server that speaks only TLS 1.2 picks it):
 * full buffers for the session's life.
 */
static void
test_tls12_stays_full(void **state)
{
	struct pair *p;

	(void)state;
	p = pair_new(srv12, cli, NULL);
	handshake(p);
	assert_int_equal(mbedtls_ssl_get_version_number(&p->srv),
	    MBEDTLS_SSL_VERSION_TLS1_2);
	if (in_buf(&p->srv) < FULL_RECORD || out_buf(&p->srv) < FULL_RECORD)
		fail_msg("server buffers after a TLS 1.2 handshake: in %zu, "
		    "out %zu, want >= %d", in_buf(&p->srv), out_buf(&p->srv),
		    FULL_RECORD);
	/* DATA_LEN fits one record; 8 of explicit nonce, 16 of tag. */
	assert_int_equal(transfer(&p->cli, &p->srv, &p->c2s,
	    DATA_LEN + 8 + TAG_LEN), 1);
	assert_int_equal(transfer(&p->srv, &p->cli, &p->s2c,
	    DATA_LEN + 8 + TAG_LEN), 1);
	assert_true(in_buf(&p->srv) >= FULL_RECORD);
	pair_free(p);
}

/*
 * A client of ours that speaks only TLS 1.2 (gw-loadgen --tls12) asks
 * max_fragment_length 2048: the server's buffers shrink to it after the
 * handshake, and records keep to it.
 */
static void
test_tls12_mfl_small(void **state)
{
	struct pair *p;

	(void)state;
	p = pair_new(srv, cli12, NULL);
	handshake(p);
	assert_int_equal(mbedtls_ssl_get_version_number(&p->srv),
	    MBEDTLS_SSL_VERSION_TLS1_2);
	if (in_buf(&p->srv) != SMALL_BUF || out_buf(&p->srv) != SMALL_BUF)
		fail_msg("server buffers after a TLS 1.2 handshake with "
		    "max_fragment_length: in %zu, out %zu, want %d",
		    in_buf(&p->srv), out_buf(&p->srv), SMALL_BUF);
	assert_true(transfer(&p->cli, &p->srv, &p->c2s,
	    TLS_RECORD_LIMIT + 8 + TAG_LEN) >= DATA_LEN / TLS_RECORD_LIMIT + 1);
	assert_true(transfer(&p->srv, &p->cli, &p->s2c,
	    TLS_RECORD_LIMIT + 8 + TAG_LEN) >= DATA_LEN / TLS_RECORD_LIMIT + 1);
	assert_int_equal(in_buf(&p->srv), SMALL_BUF);
	pair_free(p);
}

/* A server chain of CHAIN_MIN bytes goes in one record of the handshake. */
static void
test_big_chain(void **state)
{
	struct tls_conf *srv_big, *cli_big;
	const mbedtls_x509_crt *peer;
	char chain[128];
	struct pair *p;
	size_t n = 0;

	(void)state;
	make_big_chain();
	snprintf(chain, sizeof(chain), "%s/big-chain.crt", tdir);
	srv_big = conf(1, "big", "ca/ca.crt", chain, 0, NULL);
	cli_big = conf(0, "agent", "big/ca.crt", NULL, 0, NULL);
	p = pair_new(srv_big, cli_big, NULL);
	handshake(p);
	assert_non_null(peer = mbedtls_ssl_get_peer_cert(&p->cli));
	for (; peer != NULL; peer = peer->next)
		n++;
	if (n != big_count || big_der < CHAIN_MIN)
		fail_msg("the client got %zu certificates of %zu (%zu bytes)",
		    n, big_count, big_der);
	print_message("server chain: %zu certificates, %zu bytes of DER\n",
	    big_count, big_der);
	check_tls13(p);
	pair_free(p);
	tls_conf_free(srv_big);
	tls_conf_free(cli_big);
}

/*
 * Into the server's input after a TLS 1.3 handshake: a record header
 * announcing ${len} bytes of application data, and that many bytes of
 * noise.  Return what the server's read returns; ${alert}: the alert the
 * client then reads from the server (-1: none came).
 */
static int
inject(size_t len, int *alert)
{
	struct queue *q;
	struct pair *p;
	uint8_t buf[64];
	size_t before;
	int rc;

	p = pair_new(srv, cli, NULL);
	handshake(p);
	assert_int_equal(in_buf(&p->srv), SMALL_BUF);
	/* The client's Finished etc. are read; the server's output drained. */
	assert_int_equal(mbedtls_ssl_read(&p->srv, buf, sizeof(buf)),
	    MBEDTLS_ERR_SSL_WANT_READ);
	p->s2c.off = p->s2c.len = 0;
	q = &p->c2s;
	assert_true(q->len + 5 + len <= sizeof(q->buf));
	q->buf[q->len++] = MBEDTLS_SSL_MSG_APPLICATION_DATA;
	q->buf[q->len++] = 0x03;
	q->buf[q->len++] = 0x03;
	q->buf[q->len++] = (uint8_t)(len >> 8);
	q->buf[q->len++] = (uint8_t)len;
	for (size_t i = 0; i < len; i++)
		q->buf[q->len++] = (uint8_t)(i * 13 + 5);
	before = p->s2c.len;
	rc = mbedtls_ssl_read(&p->srv, buf, sizeof(buf));
	*alert = -1;
	if (p->s2c.len > before &&
	    mbedtls_ssl_read(&p->cli, buf, sizeof(buf)) ==
	    MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE)
		*alert = p->cli.MBEDTLS_PRIVATE(in_msg)[1];
	pair_free(p);
	return rc;
}

static void
test_record_over_limit(void **state)
{
	/* The longest record our limit allows: TLS_RECORD_LIMIT + tag. */
	const size_t legal = TLS_RECORD_LIMIT + TAG_LEN;
	int rc, alert;

	(void)state;
	rc = inject(4000, &alert);
	if (rc != MBEDTLS_ERR_SSL_INVALID_RECORD ||
	    alert != MBEDTLS_SSL_ALERT_MSG_RECORD_OVERFLOW)
		fail_msg("a 4000-byte record: -0x%04x, alert %d; want -0x%04x, "
		    "record_overflow (%d)", (unsigned)-rc, alert,
		    (unsigned)-MBEDTLS_ERR_SSL_INVALID_RECORD,
		    MBEDTLS_SSL_ALERT_MSG_RECORD_OVERFLOW);
	/* One byte more than the buffer holds after its header. */
	rc = inject(SMALL_BUF - 13 + 1, &alert);
	assert_int_equal(rc, MBEDTLS_ERR_SSL_INVALID_RECORD);
	assert_int_equal(alert, MBEDTLS_SSL_ALERT_MSG_RECORD_OVERFLOW);
	/*
	 * A record of the limit is read in and decrypted: noise, a bad MAC
	 * (no alert for that without MBEDTLS_SSL_ALL_ALERT_MESSAGES).
	 */
	rc = inject(legal, &alert);
	assert_int_equal(rc, MBEDTLS_ERR_SSL_INVALID_MAC);
}

/*
 * A peer that announces another limit than ours (any TLS 1.3 stack may):
 * the server's input buffer holds our limit, its output buffer the peer's
 * (64, RFC 8449's least; 16,384, mbedTLS's default: full), and its records
 * keep to the peer's.  Without tickets: mbedTLS writes its ticket in one
 * record whatever the peer announced (688 bytes to a peer that announced
 * 64, as it sends a certificate chain), which a strict peer would refuse.
 */
static void
test_peer_limits(void **state)
{
	static const size_t limits[] = { 64, 512, 4096, FULL_RECORD };
	struct tls_conf *c;
	struct pair *p;

	(void)state;
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		c = conf(0, "agent", "ca/ca.crt", NULL, 0, NULL);
		assert_int_equal(mbedtls_ssl_conf_record_size_limit(
		    (mbedtls_ssl_config *)tls_conf_ssl(c),
		    (uint16_t)limits[i]), 0);
		p = pair_new(srv, c, NULL);
		handshake(p);
		if (in_buf(&p->srv) != SMALL_BUF ||
		    out_buf(&p->srv) != limits[i] + SMALL_BUF - TLS_RECORD_LIMIT)
			fail_msg("peer limit %zu: server buffers in %zu, out %zu;"
			    " want %d, %zu", limits[i], in_buf(&p->srv),
			    out_buf(&p->srv), SMALL_BUF,
			    limits[i] + SMALL_BUF - TLS_RECORD_LIMIT);
		assert_int_equal(out_buf(&p->cli), SMALL_BUF);
		assert_true(in_buf(&p->cli) >= FULL_RECORD);
		transfer(&p->cli, &p->srv, &p->c2s, TLS_RECORD_LIMIT + TAG_LEN);
		assert_true(transfer(&p->srv, &p->cli, &p->s2c,
		    limits[i] + TAG_LEN) >= DATA_LEN / limits[i] + 1);
		pair_free(p);
		tls_conf_free(c);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls13_small_after_handshake),
		cmocka_unit_test(test_tls12_stays_full),
		cmocka_unit_test(test_tls12_mfl_small),
		cmocka_unit_test(test_big_chain),
		cmocka_unit_test(test_record_over_limit),
		cmocka_unit_test(test_peer_limits),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
