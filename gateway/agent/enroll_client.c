/*
 * enroll_client.c: gw-agent's enrollment client (enroll_client.h).  One attempt is one
 * connection: connect, TLS (the gateway's chain must lead to the pinned
 * CA), HELLO, one ENROLL, its ENROLL_RESULT, close.  A pending answer or
 * an unavailable gateway means another attempt after a while, as long as
 * --wait allows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <mbedtls/pem.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include "conf_util.h"
#include "conn.h"
#include "csr.h"
#include "keyfile.h"
#include "enroll_client.h"
#include "log.h"
#include "pkifile.h"
#include "pkikey.h"
#include "tls_conf.h"

#define EN_RETRY_MIN	1.0
#define EN_RETRY_MAX	300.0
#define EN_UNAVAILABLE	2.0	/* wait before retrying a lost gateway */

enum en_state {
	EN_CONNECTING,	/* TCP connect and TLS handshake */
	EN_HELLO_WAIT,	/* HELLO sent */
	EN_RESULT_WAIT,	/* ENROLL sent */
	EN_POLL_WAIT,	/* pending or unavailable: next attempt later */
	EN_DONE		/* status is final */
};

struct enroll {
	unsigned		 magic;		/* ENROLL_MAGIC */
	const struct enroll_params *p;
	struct ev_loop		*loop;
	enum en_state		 state;
	struct tls_conf		*tls;
	struct conn		*c;
	ev_timer		 timer;
	double			 deadline;	/* stop polling after this */
	uint8_t			 pin[32];
	mbedtls_pk_context	 key;
	uint8_t			 csr[CSR_DER_MAX];
	size_t			 csrlen;
	char			 rid[64];	/* a pending request, or "" */
	char			 key_fp[65];
	int			 status;
};

#define ENROLL_MAGIC	0x456e436cu	/* "EnCl" */

/* The enroll behind a callback's ${arg}; anything else aborts. */
static struct enroll *
enroll_arg(void *arg)
{
	struct enroll *v = arg;

	if (v == NULL || v->magic != ENROLL_MAGIC)
		abort();
	return v;
}

static const char *
en_state_str(enum en_state s)
{
	static const char *const names[] = {
		"connecting", "hello-wait", "result-wait", "poll-wait", "done"
	};

	return (unsigned)s < 5 ? names[s] : "?";
}

static void
en_set_state(struct enroll *e, enum en_state s)
{
	log_debug("event=enroll_state from=%s to=%s", en_state_str(e->state),
	    en_state_str(s));
	e->state = s;
}

static void
en_done(struct enroll *e, int status)
{
	en_set_state(e, EN_DONE);
	e->status = status;
	ev_timer_stop(e->loop, &e->timer);
	if (e->c != NULL)
		conn_close(e->c, GW_R_NORMAL, "enrollment done");
	ev_break(e->loop, EVBREAK_ALL);
}

/* The next attempt in ${delay} seconds, if --wait allows. */
static void
en_later(struct enroll *e, double delay, int status_if_not)
{
	double now = ev_now(e->loop);

	if (now + delay > e->deadline) {
		en_done(e, status_if_not);
		return;
	}
	en_set_state(e, EN_POLL_WAIT);
	ev_timer_set(&e->timer, delay, 0.);
	ev_timer_start(e->loop, &e->timer);
}

static int
parse_pin(const char *s, uint8_t pin[32])
{
	return conf_hex(s, pin, 32) == 32 ? 0 : -1;
}

/*
 * The pinned CA in the gateway's chain, if the chain leads to it: the
 * certificate whose DER has our SHA-256, a CA, that the gateway's leaf
 * verifies against.  NULL otherwise.
 */
static const mbedtls_x509_crt *
en_pinned(struct enroll *e, const mbedtls_x509_crt *chain, char *why,
    size_t len)
{
	const mbedtls_x509_crt *c;
	mbedtls_x509_crt anchor;
	unsigned char h[32];
	uint32_t flags = 0;
	int rc;

	for (c = chain; c != NULL && c->raw.p != NULL; c = c->next) {
		if (mbedtls_sha256(c->raw.p, c->raw.len, h, 0) != 0 ||
		    memcmp(h, e->pin, 32) != 0)
			continue;
		if (!c->MBEDTLS_PRIVATE(ca_istrue)) {
			snprintf(why, len, "the pinned certificate is not a CA");
			return NULL;
		}
		mbedtls_x509_crt_init(&anchor);
		rc = mbedtls_x509_crt_parse_der(&anchor, c->raw.p, c->raw.len);
		if (rc == 0)
			rc = mbedtls_x509_crt_verify((mbedtls_x509_crt *)chain,
			    &anchor, NULL, NULL, &flags, NULL, NULL);
		mbedtls_x509_crt_free(&anchor);
		if (rc != 0) {
			snprintf(why, len, "the gateway's certificate does not "
			    "verify against the pinned CA (flags 0x%x)",
			    (unsigned)flags);
			return NULL;
		}
		return c;
	}
	snprintf(why, len, "the gateway's chain does not contain the pinned "
	    "CA (is --ca-fingerprint right?)");
	return NULL;
}

/* Write the pinned CA as PEM to --ca. */
static int
en_write_ca(struct enroll *e, const mbedtls_x509_crt *ca, char *err,
    size_t errlen)
{
	unsigned char pem[8192];
	size_t n;

	if (mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n",
	    "-----END CERTIFICATE-----\n", ca->raw.p, ca->raw.len, pem,
	    sizeof(pem), &n) != 0) {
		snprintf(err, errlen, "CA certificate too large");
		return -1;
	}
	return pki_write_file(e->p->ca, pem, n - 1, 0644, err, errlen);
}

static int
en_on_open(struct conn *c, void *arg)
{
	struct enroll *e = enroll_arg(arg);
	const mbedtls_x509_crt *ca;
	struct gw_frame f = { .type = GW_T_HELLO };
	char why[256], err[300];

	e->c = c;
	if ((ca = en_pinned(e, conn_peer_crt(c), why, sizeof(why))) == NULL) {
		fprintf(stderr, "gw-agent: enroll: refusing gateway %s: %s; "
		    "nothing was sent\n", e->p->addr, why);
		en_done(e, ENROLL_REFUSED);
		return CONN_CLOSED_RC;
	}
	if (en_write_ca(e, ca, err, sizeof(err)) != 0) {
		fprintf(stderr, "gw-agent: enroll: %s\n", err);
		en_done(e, ENROLL_FAILED);
		return CONN_CLOSED_RC;
	}
	f.u.hello.vmin = GW_PROTO_VERSION_MIN;
	f.u.hello.vmax = GW_PROTO_VERSION_MAX;
	f.u.hello.max_payload = 65536;
	(void)conn_send(c, &f);
	en_set_state(e, EN_HELLO_WAIT);
	return 0;
}

static void
en_send_request(struct enroll *e)
{
	struct gw_frame f = { .type = GW_T_ENROLL };

	f.u.enroll.ref = 1;
	if (e->rid[0] != '\0') {
		f.u.enroll.request_id.p = (const uint8_t *)e->rid;
		f.u.enroll.request_id.len = (uint16_t)strlen(e->rid);
	} else {
		f.u.enroll.csr.p = e->csr;
		f.u.enroll.csr.len = (uint16_t)e->csrlen;
		if (e->p->token != NULL) {
			f.u.enroll.token.p = (const uint8_t *)e->p->token;
			f.u.enroll.token.len = (uint16_t)strlen(e->p->token);
		}
	}
	(void)conn_send(e->c, &f);
	en_set_state(e, EN_RESULT_WAIT);
}

static void
en_result(struct enroll *e, const struct gw_enroll_result *r)
{
	char err[300], path[4096], esc[LOG_ESC_MAX];	/* gateway's words */
	unsigned retry;

	snprintf(path, sizeof(path), "%s.request", e->p->cert);
	switch (r->status) {
	case GW_ENROLL_ISSUED:
		if (enroll_client_install(r, &e->key, e->p->name, e->p->ca,
		    e->p->cert, err, sizeof(err)) != 0) {
			fprintf(stderr, "gw-agent: enroll: the certificate "
			    "received is not usable: %s\n", err);
			en_done(e, ENROLL_FAILED);
			return;
		}
		unlink(path);
		fprintf(stderr, "gw-agent: enrolled %s: wrote %s %s %s\n",
		    e->p->name, e->p->key, e->p->cert, e->p->ca);
		en_done(e, ENROLL_OK);
		return;
	case GW_ENROLL_PENDING:
		if (r->request_id.len >= sizeof(e->rid)) {
			en_done(e, ENROLL_FAILED);
			return;
		}
		if (e->rid[0] == '\0') {
			memcpy(e->rid, r->request_id.p, r->request_id.len);
			e->rid[r->request_id.len] = '\0';
			if (pki_write_file(path, e->rid, strlen(e->rid), 0644,
			    err, sizeof(err)) != 0)
				fprintf(stderr, "gw-agent: enroll: %s\n", err);
			fprintf(stderr, "gw-agent: pending: request %s for %s, "
			    "key sha256 %s; an operator approves it with "
			    "\"gw-cert approve\"\n", log_esc(esc, sizeof(esc),
			    e->rid, LOG_ESC_STR, LOG_ESC_BARE), e->p->name,
			    e->key_fp);
		}
		retry = r->retry_after;
		en_later(e, retry < EN_RETRY_MIN ? EN_RETRY_MIN :
		    retry > EN_RETRY_MAX ? EN_RETRY_MAX : retry,
		    ENROLL_PENDING);
		if (e->c != NULL)
			conn_close(e->c, GW_R_NORMAL, "pending");
		if (e->status == ENROLL_PENDING)
			fprintf(stderr, "gw-agent: pending: request %s; run the "
			    "same command again to poll\n", log_esc(esc,
			    sizeof(esc), e->rid, LOG_ESC_STR, LOG_ESC_BARE));
		return;
	default:
		break;
	}
	fprintf(stderr, "gw-agent: enroll refused: %s: %s\n",
	    gw_reason_str(r->reason), log_esc(esc, sizeof(esc), r->message.p,
	    r->message.len, 0));
	/* What the gateway cannot answer now, it may answer later. */
	if (r->reason == GW_R_UPSTREAM_LOST || r->reason == GW_R_TIMEOUT ||
	    r->reason == GW_R_OVERLOAD) {
		en_later(e, EN_UNAVAILABLE, ENROLL_FAILED);
		if (e->c != NULL)
			conn_close(e->c, GW_R_NORMAL, "retry");
		return;
	}
	if (r->reason == GW_R_REQUEST_UNKNOWN ||
	    r->reason == GW_R_REQUEST_EXPIRED)
		unlink(path);
	en_done(e, ENROLL_REFUSED);
}

static int
en_on_frame(struct conn *c, const struct gw_frame *f, void *arg)
{
	struct enroll *e = enroll_arg(arg);
	char esc[LOG_ESC_MAX];

	(void)c;
	switch (f->type) {
	case GW_T_HELLO_ACK:
		if (e->state != EN_HELLO_WAIT)
			break;
		en_send_request(e);
		return CONN_OK;
	case GW_T_ENROLL_RESULT:
		if (e->state != EN_RESULT_WAIT)
			break;
		en_result(e, &f->u.enroll_result);
		return CONN_CLOSED_RC;
	case GW_T_PING: {
		struct gw_frame p = { .type = GW_T_PONG };

		p.u.ping.opaque = f->u.ping.opaque;
		(void)conn_send(c, &p);
		return CONN_OK;
	}
	case GW_T_ERROR:
	case GW_T_GOAWAY:
		fprintf(stderr, "gw-agent: enroll: gateway sent %s %s: %s\n",
		    gw_type_str(f->type), gw_reason_str(f->u.reason.code),
		    log_esc(esc, sizeof(esc), f->u.reason.text.p,
		    f->u.reason.text.len, 0));
		conn_close(c, f->u.reason.code, "gateway closed");
		return CONN_CLOSED_RC;
	default:
		if (f->type >= GW_T_EXT_FIRST || f->type == GW_T_PONG)
			return CONN_OK;
		break;
	}
	conn_close(c, GW_R_UNEXPECTED, "unexpected frame");
	return CONN_CLOSED_RC;
}

static void
en_on_close(struct conn *c, unsigned reason, const char *detail, void *arg)
{
	struct enroll *e = enroll_arg(arg);
	char esc[LOG_ESC_MAX];

	(void)c;
	e->c = NULL;
	if (e->state == EN_DONE || e->state == EN_POLL_WAIT)
		return;
	fprintf(stderr, "gw-agent: enroll: connection to %s lost: %s: %s\n",
	    e->p->addr, gw_reason_str(reason), log_esc(esc, sizeof(esc),
	    detail, LOG_ESC_STR, 0));
	en_later(e, EN_UNAVAILABLE, ENROLL_FAILED);
}

static const struct conn_ops en_ops = {
	.on_open = en_on_open,
	.on_frame = en_on_frame,
	.on_close = en_on_close,
};

static void
en_attempt(struct enroll *e)
{
	struct conn_params cp = {
		.in_cap = 80 * 1024, .out_cap = 32 * 1024,
		.max_payload = 65536,
	};

	en_set_state(e, EN_CONNECTING);
	if ((e->c = conn_connect(e->loop, e->p->addr, e->tls, &cp, &en_ops,
	    e)) == NULL) {
		fprintf(stderr, "gw-agent: enroll: connect %s: %s\n",
		    e->p->addr, strerror(errno));
		en_later(e, EN_UNAVAILABLE, ENROLL_FAILED);
		return;
	}
	conn_timer(e->c, 10.0);
}

static void
en_on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	en_attempt(enroll_arg(w->data));
}

/*
 * The key: reuse KEY when a request is pending (CERT.request), else make
 * one and write it (0600) before anything goes out.
 */
static int
en_key(struct enroll *e, struct pki_rng *rng)
{
	unsigned char pem[16384];
	char err[300], path[4096];
	size_t n;
	int rc;

	snprintf(path, sizeof(path), "%s.request", e->p->cert);
	if (access(e->p->key, F_OK) == 0 &&
	    pki_read_file(path, e->rid, sizeof(e->rid), &n) == 0) {
		e->rid[strcspn(e->rid, "\n")] = '\0';
		if (keyfile_pk(&e->key, e->p->key, mbedtls_ctr_drbg_random,
		    &rng->drbg, err, sizeof(err)) != 0) {
			fprintf(stderr, "gw-agent: enroll: the key of the "
			    "pending request: %s\n", err);
			return -1;
		}
		fprintf(stderr, "gw-agent: polling for pending request %s\n",
		    e->rid);
		return 0;
	}
	e->rid[0] = '\0';
	rc = e->p->rsa_bits != 0 ?
	    pki_genkey(&e->key, e->p->rsa_bits, rng, err, sizeof(err)) :
	    pki_genkey_ec(&e->key, e->p->ec_bits, rng, err, sizeof(err));
	if (rc == 0 && (rc = mbedtls_pk_write_key_pem(&e->key, pem,
	    sizeof(pem))) != 0)
		snprintf(err, sizeof(err), "cannot write it as PEM");
	if (rc != 0 ||
	    pki_write_file(e->p->key, pem, strlen((char *)pem), 0600, err,
	    sizeof(err)) != 0) {
		mbedtls_platform_zeroize(pem, sizeof(pem));
		fprintf(stderr, "gw-agent: enroll: key: %s\n", err);
		return -1;
	}
	mbedtls_platform_zeroize(pem, sizeof(pem));
	return 0;
}

/**
 * enroll_client_run(loop, p): enroll as ${p} says, running ${loop} until done;
 * messages go to stderr.  Return an ENROLL_* status.
 */
int
enroll_client_run(struct ev_loop *loop, const struct enroll_params *p)
{
	struct tls_conf_params tp = { .tls12 = 1, .anon_peer = 1 };
	struct enroll e = { .magic = ENROLL_MAGIC, .p = p, .loop = loop,
	    .status = ENROLL_FAILED };
	struct pki_rng rng;
	char err[512];

	mbedtls_pk_init(&e.key);
	if (pki_rng_init(&rng, err, sizeof(err)) != 0) {
		fprintf(stderr, "gw-agent: enroll: %s\n", err);
		goto out;
	}
	if (parse_pin(p->pin, e.pin) != 0) {
		fprintf(stderr, "gw-agent: --ca-fingerprint: want the 64 hex "
		    "digits of \"gw-cert fingerprint ca.crt\"\n");
		goto out;
	}
	if ((e.tls = tls_conf_new(&tp, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gw-agent: enroll: %s\n", err);
		goto out;
	}
	if (en_key(&e, &rng) != 0)
		goto out;
	if (pki_csr(&e.key, p->name, &rng, e.csr, sizeof(e.csr), &e.csrlen,
	    err, sizeof(err)) != 0 || csr_key_fp(&e.key, e.key_fp) != 0) {
		fprintf(stderr, "gw-agent: enroll: %s\n", err);
		goto out;
	}
	e.deadline = ev_now(loop) + p->wait;
	ev_timer_init(&e.timer, en_on_timer, 0., 0.);
	e.timer.data = &e;
	en_attempt(&e);
	if (e.state != EN_DONE)
		ev_run(loop, 0);
	ev_timer_stop(loop, &e.timer);
	if (e.c != NULL)
		conn_close(e.c, GW_R_NORMAL, "enrollment over");
out:
	tls_conf_free(e.tls);
	mbedtls_pk_free(&e.key);
	pki_rng_free(&rng);
	return e.status;
}

/**
 * enroll_client_install(res, key, name, ca_file, cert_path, err, errlen): check
 * issued result ${res} (its leaf has ${key}'s public key and CN ${name},
 * and chains to the CA in ${ca_file}) and write it to ${cert_path} (0644,
 * atomically).  0 or -1.
 */
int
enroll_client_install(const struct gw_enroll_result *res, mbedtls_pk_context *key,
    const char *name, const char *ca_file, const char *cert_path, char *err,
    size_t errlen)
{
	mbedtls_x509_crt chain, ca;
	struct id_info id;
	char fa[65], fb[65];
	unsigned char *buf;
	uint32_t flags = 0;
	int rc = -1;

	mbedtls_x509_crt_init(&chain);
	mbedtls_x509_crt_init(&ca);
	if ((buf = malloc(res->chain.len + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(buf, res->chain.p, res->chain.len);
	buf[res->chain.len] = '\0';
	if (mbedtls_x509_crt_parse(&chain, buf, res->chain.len + 1) != 0 ||
	    chain.raw.p == NULL)
		snprintf(err, errlen, "not a PEM certificate chain");
	else if (csr_key_fp(&chain.pk, fa) != 0 || csr_key_fp(key, fb) != 0 ||
	    strcmp(fa, fb) != 0 || id_from_crt(&chain, "", &id) != 0 ||
	    strcmp(id.name, name) != 0)
		snprintf(err, errlen, "not our key or not our name");
	else if (mbedtls_x509_crt_parse_file(&ca, ca_file) != 0 ||
	    mbedtls_x509_crt_verify(&chain, &ca, NULL, NULL, &flags, NULL,
	    NULL) != 0)
		snprintf(err, errlen, "does not chain to the CA (0x%x)",
		    (unsigned)flags);
	else
		rc = pki_write_file(cert_path, buf, res->chain.len, 0644, err,
		    errlen);
	free(buf);
	mbedtls_x509_crt_free(&chain);
	mbedtls_x509_crt_free(&ca);
	return rc;
}
