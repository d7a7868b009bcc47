/*
 * gw-tls-limits: what mbedTLS itself costs on this CPU, with the project's
 * own build and TLS configuration (tls_conf.c), one core, server side only,
 * so that each gatewayd figure of bench/run can be read as a share of the
 * physical limit:
 *
 *   - ECDSA P-256 sign and verify, and one side of an ECDHE P-256 exchange
 *     (key pair + shared secret), per second;
 *   - AES-128-GCM sealing of one 200-byte record, per second;
 *   - full mutual-TLS handshakes (ECDSA P-256 certificates, the agent's
 *     verified against the CA) per server CPU-second, TLS 1.3 and TLS 1.2;
 *   - the heap one server context holds once its handshake is over;
 *   - 200-byte application records read (decrypted) per server CPU-second.
 *
 *   gw-tls-limits --cert F --key F --ca F --agent-cert F --agent-key F
 *                 [--seconds S]
 *
 * Both ends run in this process over memory buffers; only the server's
 * calls are timed (CLOCK_THREAD_CPUTIME_ID).  Heap is glibc's count of
 * bytes in use (mallinfo2) with the client's context freed.  Output: one
 * line of key=value figures.
 */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/entropy.h>
#include <mbedtls/gcm.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "tls_conf.h"
#include "tls_ticket.h"

#define PIPE_CAP	(1 << 20)
#define RECORD		200
#define BATCH		256	/* records written before they are read */

/* One direction of the in-memory connection. */
struct pipe {
	unsigned char	 buf[PIPE_CAP];
	size_t		 off, len;
};

struct end {
	struct pipe	*in, *out;
};

static int
mem_send(void *ctx, const unsigned char *p, size_t n)
{
	struct pipe *o = ((struct end *)ctx)->out;

	if (o->off > 0 && o->off + o->len + n > PIPE_CAP) {
		memmove(o->buf, o->buf + o->off, o->len);
		o->off = 0;
	}
	if (o->off + o->len + n > PIPE_CAP)
		n = PIPE_CAP - o->off - o->len;
	if (n == 0)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	memcpy(o->buf + o->off + o->len, p, n);
	o->len += n;
	return (int)n;
}

static int
mem_recv(void *ctx, unsigned char *p, size_t n)
{
	struct pipe *i = ((struct end *)ctx)->in;

	if (i->len == 0)
		return MBEDTLS_ERR_SSL_WANT_READ;
	if (n > i->len)
		n = i->len;
	memcpy(p, i->buf + i->off, n);
	i->off += n;
	i->len -= n;
	if (i->len == 0)
		i->off = 0;
	return (int)n;
}

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t
heap_in_use(void)
{
	return mallinfo2().uordblks;
}

static void
die(const char *what, int rc)
{
	char e[160];

	fprintf(stderr, "gw-tls-limits: %s: %s\n", what, tls_strerror(rc, e,
	    sizeof(e)));
	exit(1);
}

static mbedtls_ctr_drbg_context drbg;

/* A connected pair: both ends set up, nothing exchanged. */
struct pair {
	struct pipe		 c2s, s2c;
	struct end		 ce, se;
	mbedtls_ssl_context	 cli, srv;
	double			 srv_cpu;	/* in the server's calls */
};

static void
pair_init(struct pair *p, const struct tls_conf *server,
    const struct tls_conf *client)
{
	int rc;

	p->c2s.off = p->c2s.len = p->s2c.off = p->s2c.len = 0;
	p->ce = (struct end){ .in = &p->s2c, .out = &p->c2s };
	p->se = (struct end){ .in = &p->c2s, .out = &p->s2c };
	p->srv_cpu = 0;
	mbedtls_ssl_init(&p->cli);
	mbedtls_ssl_init(&p->srv);
	if ((rc = mbedtls_ssl_setup(&p->cli, tls_conf_ssl(client))) != 0 ||
	    (rc = mbedtls_ssl_set_hostname(&p->cli, "gateway")) != 0)
		die("client setup", rc);
	if ((rc = mbedtls_ssl_setup(&p->srv, tls_conf_ssl(server))) != 0)
		die("server setup", rc);
	mbedtls_ssl_set_bio(&p->cli, &p->ce, mem_send, mem_recv, NULL);
	mbedtls_ssl_set_bio(&p->srv, &p->se, mem_send, mem_recv, NULL);
}

static int
in_progress(int rc)
{
	return rc == MBEDTLS_ERR_SSL_WANT_READ ||
	    rc == MBEDTLS_ERR_SSL_WANT_WRITE;
}

/* Run both handshakes to their end; time the server's part. */
static void
pair_handshake(struct pair *p)
{
	int cdone = 0, sdone = 0, rc;

	for (int rounds = 0; !cdone || !sdone; rounds++) {
		if (rounds > 100)
			die("handshake does not end", 0);
		if (!cdone) {
			rc = mbedtls_ssl_handshake(&p->cli);
			if (rc == 0)
				cdone = 1;
			else if (!in_progress(rc))
				die("client handshake", rc);
		}
		if (!sdone) {
			double t0 = cpu_now();

			rc = mbedtls_ssl_handshake(&p->srv);
			p->srv_cpu += cpu_now() - t0;
			if (rc == 0)
				sdone = 1;
			else if (!in_progress(rc))
				die("server handshake", rc);
		}
	}
}

static void
pair_free(struct pair *p)
{
	mbedtls_ssl_free(&p->cli);
	mbedtls_ssl_free(&p->srv);
}

/* Full handshakes per server CPU-second. */
static double
handshakes(const struct tls_conf *server, const struct tls_conf *client,
    double seconds)
{
	static struct pair p;
	double cpu = 0;
	unsigned n = 0;

	while (cpu < seconds) {
		pair_init(&p, server, client);
		pair_handshake(&p);
		cpu += p.srv_cpu;
		n++;
		pair_free(&p);
	}
	return n / cpu;
}

/*
 * Resumed TLS 1.3 handshakes (psk_dhe_ke: the ticket's key and a new
 * ECDHE, as gatewayd resumes) per server CPU-second.  One full handshake
 * gets the client a ticket; every resumption presents it, and the server
 * also writes a new one each time, as it does for an agent.
 */
static double
resumptions(const struct tls_conf *server, const struct tls_conf *client,
    double seconds)
{
	static struct pair p;
	static struct tls_resumed slot;
	mbedtls_ssl_session sess;
	unsigned char buf[16];
	double cpu = 0;
	unsigned n = 0;
	int rc;

	tls_conf_bind(&slot);	/* the server's peer from the ticket */
	pair_init(&p, server, client);
	pair_handshake(&p);
	/* The client holds the ticket back once (WANT_READ), then takes it. */
	for (int i = 0; i < 3 && (rc = mbedtls_ssl_read(&p.cli, buf,
	    sizeof(buf))) == MBEDTLS_ERR_SSL_WANT_READ; i++)
		;
	if (rc != MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
		die("no session ticket", rc);
	mbedtls_ssl_session_init(&sess);
	if ((rc = mbedtls_ssl_get_session(&p.cli, &sess)) != 0)
		die("get session", rc);
	pair_free(&p);
	while (cpu < seconds) {
		pair_init(&p, server, client);
		if ((rc = mbedtls_ssl_set_session(&p.cli, &sess)) != 0)
			die("set session", rc);
		pair_handshake(&p);
		if (mbedtls_ssl_get_peer_cert(&p.srv) != NULL ||
		    slot.crt == NULL)
			die("not resumed", 0);
		tls_resumed_clear(&slot);
		cpu += p.srv_cpu;
		n++;
		pair_free(&p);
	}
	tls_conf_bind(NULL);
	mbedtls_ssl_session_free(&sess);
	return n / cpu;
}

/*
 * The heap of one server context after its handshake (KiB), and 200-byte
 * records it reads per CPU-second.
 */
static void
server_context(const struct tls_conf *server, const struct tls_conf *client,
    double seconds, double *kib, double *records)
{
	static struct pair p;
	static unsigned char rec[RECORD], buf[RECORD];
	size_t base;
	double cpu = 0;
	unsigned long n = 0;
	int rc;

	base = heap_in_use();
	pair_init(&p, server, client);
	pair_handshake(&p);
	/* The client's context out of the count. */
	mbedtls_ssl_free(&p.cli);
	mbedtls_ssl_init(&p.cli);
	*kib = (double)(heap_in_use() - base) / 1024;
	/* Records: a fresh pair, the client writes, the server reads. */
	pair_free(&p);
	pair_init(&p, server, client);
	pair_handshake(&p);
	memset(rec, 'x', sizeof(rec));
	while (cpu < seconds) {
		for (int i = 0; i < BATCH; i++)
			if ((rc = mbedtls_ssl_write(&p.cli, rec, RECORD)) !=
			    RECORD)
				die("client write", rc);
		double t0 = cpu_now();

		for (int i = 0; i < BATCH; i++)
			if ((rc = mbedtls_ssl_read(&p.srv, buf, sizeof(buf))) !=
			    RECORD)
				die("server read", rc);
		cpu += cpu_now() - t0;
		n += BATCH;
	}
	*records = n / cpu;
	pair_free(&p);
}

/* Repeat ${stmt} for ${seconds} of CPU: how many per second. */
#define RATE(seconds, stmt) ({						\
	double t0_ = cpu_now(), t_;					\
	unsigned long n_ = 0;						\
	do {								\
		stmt;							\
		n_++;							\
	} while ((t_ = cpu_now() - t0_) < (seconds));			\
	n_ / t_;							\
})

static void
primitives(const char *cert, const char *key, double seconds, double *sign,
    double *verify, double *ecdhe, double *aead)
{
	mbedtls_x509_crt crt;
	mbedtls_pk_context pk;
	mbedtls_ecp_group grp;
	mbedtls_mpi d, z;
	mbedtls_ecp_point q, peer;
	mbedtls_gcm_context gcm;
	unsigned char hash[32] = { 1 }, sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	unsigned char k[16] = { 2 }, iv[12] = { 3 }, in[RECORD], out[RECORD];
	unsigned char tag[16];
	size_t slen;
	int rc;

	mbedtls_x509_crt_init(&crt);
	mbedtls_pk_init(&pk);
	if ((rc = mbedtls_x509_crt_parse_file(&crt, cert)) != 0)
		die(cert, rc);
	if ((rc = mbedtls_pk_parse_keyfile(&pk, key, NULL,
	    mbedtls_ctr_drbg_random, &drbg)) != 0)
		die(key, rc);
	if (!mbedtls_pk_can_do(&pk, MBEDTLS_PK_ECDSA)) {
		fprintf(stderr, "gw-tls-limits: %s: not an EC key\n", key);
		exit(1);
	}
	*sign = RATE(seconds, if ((rc = mbedtls_pk_sign(&pk, MBEDTLS_MD_SHA256,
	    hash, sizeof(hash), sig, sizeof(sig), &slen,
	    mbedtls_ctr_drbg_random, &drbg)) != 0) die("sign", rc));
	*verify = RATE(seconds, if ((rc = mbedtls_pk_verify(&crt.pk,
	    MBEDTLS_MD_SHA256, hash, sizeof(hash), sig, slen)) != 0)
	    die("verify", rc));

	mbedtls_ecp_group_init(&grp);
	mbedtls_mpi_init(&d);
	mbedtls_mpi_init(&z);
	mbedtls_ecp_point_init(&q);
	mbedtls_ecp_point_init(&peer);
	if ((rc = mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1)) != 0 ||
	    (rc = mbedtls_ecdh_gen_public(&grp, &d, &peer,
	    mbedtls_ctr_drbg_random, &drbg)) != 0)
		die("ecdh setup", rc);
	*ecdhe = RATE(seconds, if ((rc = mbedtls_ecdh_gen_public(&grp, &d, &q,
	    mbedtls_ctr_drbg_random, &drbg)) != 0 ||
	    (rc = mbedtls_ecdh_compute_shared(&grp, &z, &peer, &d,
	    mbedtls_ctr_drbg_random, &drbg)) != 0) die("ecdh", rc));

	mbedtls_gcm_init(&gcm);
	memset(in, 'x', sizeof(in));
	if ((rc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, k, 128)) != 0)
		die("gcm setkey", rc);
	*aead = RATE(seconds, if ((rc = mbedtls_gcm_crypt_and_tag(&gcm,
	    MBEDTLS_GCM_ENCRYPT, RECORD, iv, sizeof(iv), hash, 5, in, out,
	    sizeof(tag), tag)) != 0) die("gcm", rc));

	mbedtls_gcm_free(&gcm);
	mbedtls_ecp_point_free(&q);
	mbedtls_ecp_point_free(&peer);
	mbedtls_mpi_free(&d);
	mbedtls_mpi_free(&z);
	mbedtls_ecp_group_free(&grp);
	mbedtls_pk_free(&pk);
	mbedtls_x509_crt_free(&crt);
}

static void
usage(void)
{
	fprintf(stderr, "usage: gw-tls-limits --cert F --key F --ca F "
	    "--agent-cert F --agent-key F [--seconds S]\n");
	exit(2);
}

/* The command line. */
struct opts {
	const char	*cert, *key, *ca, *acert, *akey;
	double		 seconds;
};

/* The configurations measured: gatewayd's agent side, an agent's. */
struct confs {
	struct tls_conf		*srv, *srvr, *cli, *cli12;
	struct tls_ticket	*tickets;
};

/* Parse the command line into ${o}, or exit with the usage. */
static void
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option opts[] = {
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "ca", required_argument, NULL, 'a' },
		{ "agent-cert", required_argument, NULL, 'C' },
		{ "agent-key", required_argument, NULL, 'K' },
		{ "seconds", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	*o = (struct opts){ .seconds = 1 };
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->cert = optarg; break;
		case 'k': o->key = optarg; break;
		case 'a': o->ca = optarg; break;
		case 'C': o->acert = optarg; break;
		case 'K': o->akey = optarg; break;
		case 's':
			if ((o->seconds = atof(optarg)) <= 0 ||
			    o->seconds > 3600)
				usage();
			break;
		default: usage();
		}
	}
	if (o->cert == NULL || o->key == NULL || o->ca == NULL ||
	    o->acert == NULL || o->akey == NULL)
		usage();
}

/* Build the configurations of ${o} into ${k}; 0, or -1 (said on stderr). */
static int
confs_new(const struct opts *o, struct confs *k)
{
	char err[300];

	if ((k->srv = tls_conf_new(&(struct tls_conf_params){ .cert = o->cert,
	    .key = o->key, .ca = o->ca, .server = 1, .tls12 = 1 }, err,
	    sizeof(err))) == NULL ||
	    (k->cli = tls_conf_new(&(struct tls_conf_params){
	    .cert = o->acert, .key = o->akey, .ca = o->ca, .tls12 = 1 }, err,
	    sizeof(err))) == NULL ||
	    (k->cli12 = tls_conf_new(&(struct tls_conf_params){
	    .cert = o->acert, .key = o->akey, .ca = o->ca, .tls12 = 1,
	    .no_tls13 = 1 }, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gw-tls-limits: %s\n", err);
		return -1;
	}
	/* gatewayd's agent side with resumption on (keys in memory). */
	if ((k->tickets = tls_ticket_new(NULL, 3600, err,
	    sizeof(err))) == NULL ||
	    (k->srvr = tls_conf_new(&(struct tls_conf_params){
	    .cert = o->cert, .key = o->key, .ca = o->ca, .server = 1,
	    .tls12 = 1, .tickets = k->tickets }, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gw-tls-limits: %s\n", err);
		return -1;
	}
	return 0;
}

/* Free what confs_new made. */
static void
confs_free(struct confs *k)
{
	tls_conf_free(k->srv);
	tls_conf_free(k->srvr);
	tls_ticket_free(k->tickets);
	tls_conf_free(k->cli);
	tls_conf_free(k->cli12);
}

/* Measure everything with ${k} for ${o}->seconds each; print one line. */
static void
measure(const struct opts *o, const struct confs *k)
{
	double sign, verify, ecdhe, aead, hs13, hs12, res13, kib13, kib12,
	    rec13, rec12;

	primitives(o->cert, o->key, o->seconds, &sign, &verify, &ecdhe,
	    &aead);
	hs13 = handshakes(k->srv, k->cli, o->seconds);
	hs12 = handshakes(k->srv, k->cli12, o->seconds);
	res13 = resumptions(k->srvr, k->cli, o->seconds);
	server_context(k->srv, k->cli, o->seconds, &kib13, &rec13);
	server_context(k->srv, k->cli12, o->seconds, &kib12, &rec12);
	printf("ecdsa_p256_sign_per_s=%.0f ecdsa_p256_verify_per_s=%.0f "
	    "ecdhe_p256_per_s=%.0f aes128gcm_seal_200B_per_s=%.0f "
	    "handshakes_tls13_per_cpu_s=%.0f handshakes_tls12_per_cpu_s=%.0f "
	    "resumed_tls13_per_cpu_s=%.0f "
	    "server_ctx_kib_tls13=%.1f server_ctx_kib_tls12=%.1f "
	    "records_200B_read_tls13_per_cpu_s=%.0f "
	    "records_200B_read_tls12_per_cpu_s=%.0f\n", sign, verify, ecdhe,
	    aead, hs13, hs12, res13, kib13, kib12, rec13, rec12);
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct confs k = { NULL };
	mbedtls_entropy_context ent;
	int rc;

	parse_opts(argc, argv, &o);
	mbedtls_entropy_init(&ent);
	mbedtls_ctr_drbg_init(&drbg);
	if ((rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent,
	    NULL, 0)) != 0)
		die("drbg", rc);
	if (confs_new(&o, &k) != 0)
		return 1;
	measure(&o, &k);
	confs_free(&k);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&ent);
	return 0;
}
