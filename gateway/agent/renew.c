/*
 * renew.c: automatic certificate renewal (renew.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <mbedtls/x509_crt.h>

#include "csr.h"
#include "enroll_client.h"
#include "keyfile.h"
#include "log.h"
#include "pkifile.h"
#include "pkikey.h"
#include "renew.h"

#define RENEW_RECHECK	3600.0	/* at most this long between checks */
#define RENEW_RETRY	3600.0	/* after a refusal */

enum renew_state {
	RN_IDLE,	/* waiting until renewal is due */
	RN_SENT,	/* ENROLL sent, waiting for its answer */
	RN_POLL		/* pending: polling by request id */
};

struct renew {
	unsigned		 magic;		/* RENEW_MAGIC */
	struct renew_params	 p;
	enum renew_state	 state;
	ev_timer		 timer;
	struct pki_rng		 rng;
	mbedtls_pk_context	 key;		/* the new key, while RN_SENT */
	char			 name[ID_NAME_MAX];
	char			 rid[64];
	char			 keynew[4200];
	double			 retry_at;	/* no attempt before */
};

#define RENEW_MAGIC	0x52656e77u	/* "Renw" */

/* The renew behind a callback's ${arg}; anything else aborts. */
static struct renew *
renew_arg(void *arg)
{
	struct renew *v = arg;

	if (v == NULL || v->magic != RENEW_MAGIC)
		abort();
	return v;
}

/* The one place that changes ${r}'s state, logged. */
static void
renew_set_state(struct renew *r, enum renew_state st)
{
	static const char *const names[] = { "idle", "sent", "poll" };

	if (r->state == st)
		return;
	log_debug("event=renew_state from=%s to=%s", names[r->state],
	    names[st]);
	r->state = st;
}

/**
 * renew_recover(key, cert): before the TLS files are loaded: if KEY.new
 * exists, put it in place when CERT matches it, else delete it.
 */
void
renew_recover(const char *key, const char *cert)
{
	mbedtls_x509_crt crt;
	mbedtls_pk_context pk;
	struct pki_rng rng;
	char path[4200], a[65], b[65], err[256];
	int match = 0;

	snprintf(path, sizeof(path), "%s.new", key);
	if (access(path, F_OK) != 0)
		return;
	mbedtls_x509_crt_init(&crt);
	mbedtls_pk_init(&pk);
	if (pki_rng_init(&rng, err, sizeof(err)) == 0 &&
	    mbedtls_x509_crt_parse_file(&crt, cert) == 0 &&
	    keyfile_pk(&pk, path, mbedtls_ctr_drbg_random, &rng.drbg, err,
	    sizeof(err)) == 0 && csr_key_fp(&crt.pk, a) == 0 &&
	    csr_key_fp(&pk, b) == 0)
		match = strcmp(a, b) == 0;
	if (match && rename(path, key) == 0)
		log_info("event=renewal_recovered key=%s", key);
	else {
		unlink(path);
		log_info("event=renewal_discarded key=%s", path);
	}
	mbedtls_x509_crt_free(&crt);
	mbedtls_pk_free(&pk);
	pki_rng_free(&rng);
}

/*
 * Seconds until renewal is due (<= 0: now), from the certificate on disk;
 * its CN goes to r->name.
 */
static double
renew_due(struct renew *r)
{
	mbedtls_x509_crt crt;
	struct id_info id;
	time_t nb, na, now = time(NULL);
	double due = RENEW_RECHECK;

	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse_file(&crt, r->p.cert) == 0 &&
	    id_from_crt(&crt, "", &id) == 0) {
		snprintf(r->name, sizeof(r->name), "%s", id.name);
		nb = (time_t)tls_x509_epoch(&crt.valid_from);
		na = (time_t)tls_x509_epoch(&crt.valid_to);
		due = (double)(na - now) - r->p.share * (double)(na - nb);
	}
	mbedtls_x509_crt_free(&crt);
	return due;
}

static void
renew_arm(struct renew *r, double delay)
{
	ev_timer_stop(r->p.loop, &r->timer);
	ev_timer_set(&r->timer, delay < 1 ? 1 : delay > RENEW_RECHECK ?
	    RENEW_RECHECK : delay, 0.);
	ev_timer_start(r->p.loop, &r->timer);
}

/*
 * The type and size of the current certificate's key, for the new one (an
 * operator's PKI may require RSA, or P-384): as pki_key_kind() says, and
 * named in ${kind}.  RSA is kept to what --rsa makes (a larger key would
 * stall the agent while it is made).
 */
static int
renew_kind(struct renew *r, unsigned *rsa_bits, unsigned *ec_bits,
    char *kind, size_t kindlen, char *err, size_t errlen)
{
	mbedtls_x509_crt crt;
	int rc = -1;

	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse_file(&crt, r->p.cert) != 0) {
		snprintf(err, errlen, "%s: cannot read the certificate",
		    r->p.cert);
		goto out;
	}
	if (pki_key_kind(&crt.pk, rsa_bits, ec_bits, err, errlen) != 0)
		goto out;
	if (*rsa_bits != 0 && (*rsa_bits < 2048 || *rsa_bits > 4096)) {
		snprintf(err, errlen, "RSA key of %u bits: gw-agent makes "
		    "2048 to 4096", *rsa_bits);
		goto out;
	}
	if (*rsa_bits != 0)
		snprintf(kind, kindlen, "rsa-%u", *rsa_bits);
	else
		snprintf(kind, kindlen, "ecdsa-p%u", *ec_bits);
	rc = 0;
out:
	mbedtls_x509_crt_free(&crt);
	return rc;
}

/*
 * Make a new key of the current one's type and size (written to KEY.new)
 * and send its CSR.
 */
static void
renew_start(struct renew *r)
{
	unsigned char pem[16384], der[CSR_DER_MAX];
	char err[256], kind[16];
	unsigned rsa_bits, ec_bits;
	size_t len;
	int rc;

	mbedtls_pk_free(&r->key);
	mbedtls_pk_init(&r->key);
	if ((rc = renew_kind(r, &rsa_bits, &ec_bits, kind, sizeof(kind), err,
	    sizeof(err))) == 0)
		rc = rsa_bits != 0 ?
		    pki_genkey(&r->key, rsa_bits, &r->rng, err, sizeof(err)) :
		    pki_genkey_ec(&r->key, ec_bits, &r->rng, err, sizeof(err));
	if (rc == 0 && mbedtls_pk_write_key_pem(&r->key, pem, sizeof(pem)) !=
	    0) {
		snprintf(err, sizeof(err), "new key: cannot write it as PEM");
		rc = -1;
	}
	if (rc != 0 ||
	    pki_write_file(r->keynew, pem, strlen((char *)pem), 0600, err,
	    sizeof(err)) != 0 ||
	    pki_csr(&r->key, r->name, &r->rng, der, sizeof(der), &len, err,
	    sizeof(err)) != 0) {
		mbedtls_platform_zeroize(pem, sizeof(pem));
		log_warnx("event=renewal_failed detail=\"%s\"", err);
		renew_arm(r, RENEW_RETRY);
		return;
	}
	mbedtls_platform_zeroize(pem, sizeof(pem));
	if (client_session_enroll(r->p.sess, der, len, NULL) != 0) {
		renew_arm(r, 60);	/* the session went away: later */
		return;
	}
	renew_set_state(r, RN_SENT);
	log_info("event=renewal_requested name=%s key=%s", r->name, kind);
}

static void
renew_check(struct renew *r)
{
	double due;

	if (r->state != RN_IDLE || ev_now(r->p.loop) < r->retry_at)
		return;
	if ((due = renew_due(r)) > 0) {
		renew_arm(r, due);
		return;
	}
	renew_start(r);
}

static void
renew_on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct renew *r = renew_arg(w->data);

	(void)loop;
	(void)revents;
	if (r->state == RN_POLL) {
		if (client_session_enroll(r->p.sess, NULL, 0, r->rid) == 0)
			return;
		renew_arm(r, 60);
		return;
	}
	renew_check(r);
}

/* Put the issued certificate and the new key in place; reload TLS. */
static int
renew_install(struct renew *r, const struct gw_enroll_result *res)
{
	struct tls_conf *tc;
	char err[300];

	if (enroll_client_install(res, &r->key, r->name, r->p.ca, r->p.cert,
	    err, sizeof(err)) != 0 || rename(r->keynew, r->p.key) != 0) {
		log_warnx("event=renewal_failed detail=\"%s\"", err);
		unlink(r->keynew);
		r->retry_at = ev_now(r->p.loop) + RENEW_RETRY;
		renew_arm(r, RENEW_RETRY);
		return -1;
	}
	tc = tls_conf_new(&(struct tls_conf_params){ .cert = r->p.cert,
	    .key = r->p.key, .ca = r->p.ca, .tls12 = 1 }, err, sizeof(err));
	if (tc == NULL)
		log_warnx("event=renewal_reload_failed detail=\"%s\"", err);
	else {
		client_session_set_tls(r->p.sess, tc);
		tls_conf_free(*r->p.tls);	/* live connections keep theirs */
		*r->p.tls = tc;
	}
	renew_arm(r, renew_due(r));
	return 0;
}

/** renew_result(r, res): ENROLL_RESULT of our request. */
void
renew_result(struct renew *r, const struct gw_enroll_result *res)
{
	char e[LOG_ESC_MAX];	/* the authority's words, escaped */

	if (r->state == RN_IDLE)
		return;
	switch (res->status) {
	case GW_ENROLL_ISSUED:
		renew_set_state(r, RN_IDLE);
		if (renew_install(r, res) == 0)
			log_info("event=cert_renewed name=%s cert=%s", r->name,
			    r->p.cert);
		return;
	case GW_ENROLL_PENDING:
		renew_set_state(r, RN_POLL);
		snprintf(r->rid, sizeof(r->rid), "%.*s",
		    (int)res->request_id.len, (const char *)res->request_id.p);
		log_info("event=renewal_pending rid=%s", log_esc(e, sizeof(e),
		    r->rid, LOG_ESC_STR, LOG_ESC_BARE));
		renew_arm(r, res->retry_after);
		return;
	default:
		renew_set_state(r, RN_IDLE);
		unlink(r->keynew);
		log_warnx("event=renewal_refused reason=%s detail=\"%s\"",
		    gw_reason_str(res->reason), log_esc(e, sizeof(e),
		    res->message.p, res->message.len, 0));
		r->retry_at = ev_now(r->p.loop) + RENEW_RETRY;
		renew_arm(r, RENEW_RETRY);
		return;
	}
}

/** renew_open(r): a session opened: renew now if it is time. */
void
renew_open(struct renew *r)
{
	if (r->state == RN_SENT)
		renew_set_state(r, RN_IDLE);	/* the answer died with the session */
	if (r->state == RN_IDLE)
		renew_check(r);
}

/** renew_new(p): a renewer (NULL on ENOMEM); it acts from renew_open. */
struct renew *
renew_new(const struct renew_params *p)
{
	struct renew *r;
	char err[256];

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->magic = RENEW_MAGIC;
	r->p = *p;
	snprintf(r->keynew, sizeof(r->keynew), "%s.new", p->key);
	mbedtls_pk_init(&r->key);
	if (pki_rng_init(&r->rng, err, sizeof(err)) != 0) {
		pki_rng_free(&r->rng);
		free(r);
		return NULL;
	}
	ev_timer_init(&r->timer, renew_on_timer, RENEW_RECHECK, 0.);
	r->timer.data = r;
	return r;
}

/** renew_free(r): stop and free ${r}; NULL is a no-op. */
void
renew_free(struct renew *r)
{
	if (r == NULL)
		return;
	ev_timer_stop(r->p.loop, &r->timer);
	mbedtls_pk_free(&r->key);
	pki_rng_free(&r->rng);
	r->magic = 0;
	free(r);
}
