/*
 * tls_conf.c: one TLS policy for every program.  TLS 1.2 minimum (1.3
 * preferred), AEAD suites only, peer certificate required and verified
 * against one CA (and its CRL).  Renegotiation and compression are not
 * compiled into our mbedTLS at all (cmake/gw_mbedtls_config.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_time.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>

#include "keyfile.h"
#include "tls_conf.h"
#include "tls_ticket.h"

#define TLS_CONF_MAGIC	0x546c7343u	/* "TlsC" */

struct tls_conf {
	unsigned		magic;
	int			refs;	/* tls_conf_ref / tls_conf_free */
	mbedtls_ssl_config	conf;
	mbedtls_x509_crt	own;
	mbedtls_pk_context	key;
	mbedtls_x509_crt	ca;
	mbedtls_x509_crl	crl;
	int			has_crl;
	struct tls_ticket	*tickets;	/* not ours: outlives us */
};

/*
 * Abort unless ${tc} is a live configuration: mbedTLS's callbacks get it
 * back as a void *.
 */
static const struct tls_conf *
tls_conf_check(const void *tc)
{
	if (((const struct tls_conf *)tc)->magic != TLS_CONF_MAGIC)
		abort();
	return tc;
}

/* One process-wide DRBG: every program here is one single-threaded loop. */
static mbedtls_entropy_context tls_entropy;
static mbedtls_ctr_drbg_context tls_drbg;
static int tls_rng_ready;

static const int tls_suites[] = {
	MBEDTLS_TLS1_3_AES_128_GCM_SHA256,
	MBEDTLS_TLS1_3_AES_256_GCM_SHA384,
	MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	0
};

/**
 * tls_rng_setup(err, errlen): seed the process's DRBG (tls_conf_new does
 * it too).  Return 0, or -1 with the reason in ${err}.
 */
int
tls_rng_setup(char *err, size_t errlen)
{
	static const char pers[] = "gatewayd tls";
	int rc;

	if (tls_rng_ready)
		return 0;
	if (psa_crypto_init() != PSA_SUCCESS) {
		snprintf(err, errlen, "psa_crypto_init failed");
		return -1;
	}
	mbedtls_entropy_init(&tls_entropy);
	mbedtls_ctr_drbg_init(&tls_drbg);
	rc = mbedtls_ctr_drbg_seed(&tls_drbg, mbedtls_entropy_func,
	    &tls_entropy, (const unsigned char *)pers, sizeof(pers) - 1);
	if (rc != 0) {
		snprintf(err, errlen, "seeding the DRBG failed: -0x%04x", -rc);
		return -1;
	}
	tls_rng_ready = 1;
	return 0;
}

/** tls_rng(unused, out, len): mbedTLS f_rng on the process's DRBG. */
int
tls_rng(void *unused, unsigned char *out, size_t len)
{
	(void)unused;
	return mbedtls_ctr_drbg_random(&tls_drbg, out, len);
}

/* The server connection whose handshake step is running (tls_conf_bind). */
static struct tls_resumed *tls_slot;

/**
 * tls_conf_bind(slot): the server connection whose handshake step runs
 * next (NULL after it): a ticket it presents leaves its peer in ${slot},
 * and a ticket it is given carries ${slot}'s peer if the session has no
 * certificate of its own (it was resumed).  mbedTLS's ticket callbacks
 * know no connection; each process is one loop, so this names it.
 */
void
tls_conf_bind(struct tls_resumed *slot)
{
	tls_slot = slot;
}

/*
 * The CRL checks of ${crt}, the same for a full handshake (tls_verify_cb)
 * and a resumption (tls_resumable), as mbedTLS's verification flags: the
 * CRLs of its issuer must be in their validity period (past nextUpdate,
 * or before thisUpdate, nothing that CA issued is taken: mbedTLS's
 * BADCRL_EXPIRED and BADCRL_FUTURE), and its serial on none of them.
 */
static uint32_t
tls_crl_flags(const struct tls_conf *tc, const mbedtls_x509_crt *crt)
{
	uint32_t flags = 0;

	if (!tc->has_crl)
		return 0;
	for (const mbedtls_x509_crl *crl = &tc->crl; crl != NULL &&
	    crl->raw.len > 0; crl = crl->next) {
		if (crl->issuer_raw.len != crt->issuer_raw.len ||
		    memcmp(crl->issuer_raw.p, crt->issuer_raw.p,
		    crt->issuer_raw.len) != 0)
			continue;
		if (mbedtls_x509_time_is_past(&crl->next_update))
			flags |= MBEDTLS_X509_BADCRL_EXPIRED;
		if (mbedtls_x509_time_is_future(&crl->this_update))
			flags |= MBEDTLS_X509_BADCRL_FUTURE;
	}
	if (tls_conf_revoked(tc, crt))
		flags |= MBEDTLS_X509_BADCERT_REVOKED;
	return flags;
}

/*
 * mbedTLS's f_vrfy, for each certificate of a full handshake's chain: the
 * peer's gets tls_crl_flags too, so both ways apply one check (mbedTLS's
 * own, which also verifies the CRL's signature, finds the same).
 */
static int
tls_verify_cb(void *p, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	const struct tls_conf *tc = tls_conf_check(p);

	if (depth == 0)
		*flags |= tls_crl_flags(tc, crt);
	return 0;
}

/*
 * May a ticket's certificate stand in for a full handshake now?  Its
 * signature chain was verified by the full handshake that issued the
 * ticket; what can have changed since is checked again: its validity
 * period, the CRL as a full handshake checks it (reloads included:
 * tls_crl_flags), and that a configured CA has its issuer's name.
 */
static int
tls_resumable(const struct tls_conf *tc, const mbedtls_x509_crt *crt)
{
	if (mbedtls_x509_time_is_past(&crt->valid_to) ||
	    mbedtls_x509_time_is_future(&crt->valid_from) ||
	    tls_crl_flags(tc, crt) != 0)
		return 0;
	for (const mbedtls_x509_crt *ca = &tc->ca; ca != NULL &&
	    ca->raw.len > 0; ca = ca->next)
		if (ca->subject_raw.len == crt->issuer_raw.len &&
		    memcmp(ca->subject_raw.p, crt->issuer_raw.p,
		    crt->issuer_raw.len) == 0)
			return 1;
	return 0;
}

static int
tls_ticket_write_cb(void *p, const mbedtls_ssl_session *s,
    unsigned char *start, const unsigned char *end, size_t *tlen,
    uint32_t *lifetime)
{
	const struct tls_conf *tc = tls_conf_check(p);
	struct tls_resumed peer = { NULL, 0 };

	/* TLS 1.2 gets no ticket (mbedTLS then sends an empty one). */
	if (s->MBEDTLS_PRIVATE(tls_version) != MBEDTLS_SSL_VERSION_TLS1_3)
		return MBEDTLS_ERR_SSL_FEATURE_UNAVAILABLE;
	if (s->MBEDTLS_PRIVATE(peer_cert) != NULL) {
		/* A full handshake: its certificate was verified just now. */
		peer.crt = s->MBEDTLS_PRIVATE(peer_cert);
		peer.auth_time = (int64_t)mbedtls_time(NULL);
	} else if (tls_slot != NULL)
		peer = *tls_slot;	/* resumed: carry its peer on */
	return tls_ticket_write(tc->tickets, s, &peer, start, end, tlen,
	    lifetime);
}

static int
tls_ticket_parse_cb(void *p, mbedtls_ssl_session *s, unsigned char *buf,
    size_t len)
{
	const struct tls_conf *tc = tls_conf_check(p);
	struct tls_resumed peer;
	int rc;

	/* The slot holds the last ticket parsed: the one chosen, if any. */
	if (tls_slot != NULL)
		tls_resumed_clear(tls_slot);
	if ((rc = tls_ticket_parse(tc->tickets, s, buf, len, &peer)) != 0)
		return rc;
	if (s->MBEDTLS_PRIVATE(tls_version) != MBEDTLS_SSL_VERSION_TLS1_3 ||
	    peer.crt == NULL || !tls_resumable(tc, peer.crt) ||
	    tls_slot == NULL) {
		tls_resumed_clear(&peer);
		return MBEDTLS_ERR_SSL_SESSION_TICKET_EXPIRED;	/* full hs */
	}
	*tls_slot = peer;
	return 0;
}

/*
 * mbedTLS writes a handshake message as one record: our certificate chain
 * must fit in MBEDTLS_SSL_OUT_CONTENT_LEN (16 KiB; buffers are full size
 * while a handshake runs, cmake/gw_mbedtls_config.h).  Better said at
 * start than as a handshake that fails on every connection.
 */
static int
tls_chain_too_big(const struct tls_conf *tc, const struct tls_conf_params *p,
    char *err, size_t errlen)
{
	/* TLS 1.3: header 4, context 1, list 3, per certificate 3 + 2. */
	size_t len = 8;

	for (const mbedtls_x509_crt *crt = &tc->own; crt != NULL &&
	    crt->raw.len > 0; crt = crt->next)
		len += crt->raw.len + 5;
	if (len <= MBEDTLS_SSL_OUT_CONTENT_LEN)
		return 0;
	snprintf(err, errlen, "%s: certificate chain too big for a TLS record: "
	    "%zu bytes, a record holds %d (MBEDTLS_SSL_OUT_CONTENT_LEN; mbedTLS "
	    "sends a handshake message in one record): leave the root out of "
	    "the file, or use shorter (ECDSA) certificates",
	    p->chain != NULL ? p->chain : p->cert, len,
	    MBEDTLS_SSL_OUT_CONTENT_LEN);
	return 1;
}

static void
tls_fail(char *err, size_t errlen, const char *file, const char *what, int rc)
{
	char buf[160];

	/* mbedTLS says "Read/write of file failed": say which failure. */
	if (access(file, R_OK) != 0)
		snprintf(err, errlen, "%s: %s: %s", file, what,
		    strerror(errno));
	else
		snprintf(err, errlen, "%s: %s: %s", file, what,
		    tls_strerror(rc, buf, sizeof(buf)));
}

/*
 * Load ${p}'s files into ${tc}: our certificate, its chain and key (which
 * must match), the CA and the CRL.  Return 0, or -1 with "file: why" in
 * ${err}.
 */
static int
tls_conf_load(struct tls_conf *tc, const struct tls_conf_params *p,
    char *err, size_t errlen)
{
	int rc;

	if ((p->cert == NULL && (p->server || !p->anon_peer)) ||
	    (p->ca == NULL && !p->anon_peer)) {
		snprintf(err, errlen, "tls: certificate or CA missing");
		return -1;
	}
	if (p->cert != NULL && (rc = mbedtls_x509_crt_parse_file(&tc->own,
	    p->cert)) != 0) {
		tls_fail(err, errlen, p->cert, "cannot load certificate", rc);
		return -1;
	}
	if (p->chain != NULL && (rc = mbedtls_x509_crt_parse_file(&tc->own,
	    p->chain)) != 0) {
		tls_fail(err, errlen, p->chain, "cannot load certificate", rc);
		return -1;
	}
	if (tls_chain_too_big(tc, p, err, errlen))
		return -1;
	/* Owner only (keyfile.c); the bytes read are zeroised. */
	if (p->cert != NULL && keyfile_pk(&tc->key, p->key,
	    mbedtls_ctr_drbg_random, &tls_drbg, err, errlen) != 0)
		return -1;
	if (p->cert != NULL && (rc = mbedtls_pk_check_pair(&tc->own.pk,
	    &tc->key, mbedtls_ctr_drbg_random, &tls_drbg)) != 0) {
		tls_fail(err, errlen, p->key, "key does not match certificate",
		    rc);
		return -1;
	}
	if (p->ca != NULL && (rc = mbedtls_x509_crt_parse_file(&tc->ca,
	    p->ca)) != 0) {
		tls_fail(err, errlen, p->ca, "cannot load CA certificate", rc);
		return -1;
	}
	if (p->crl != NULL) {
		if ((rc = mbedtls_x509_crl_parse_file(&tc->crl, p->crl)) != 0) {
			tls_fail(err, errlen, p->crl, "cannot load CRL", rc);
			return -1;
		}
		tc->has_crl = 1;
	}
	return 0;
}

/*
 * ${tc}'s protocol: its role, versions, suites and record sizes.  Return
 * 0, or -1 with the reason in ${err}.
 */
static int
tls_conf_protocol(struct tls_conf *tc, const struct tls_conf_params *p,
    char *err, size_t errlen)
{
	int rc;

	rc = mbedtls_ssl_config_defaults(&tc->conf,
	    p->server ? MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
	if (rc != 0) {
		tls_fail(err, errlen, "tls", "config defaults", rc);
		return -1;
	}
	mbedtls_ssl_conf_rng(&tc->conf, mbedtls_ctr_drbg_random, &tls_drbg);
	mbedtls_ssl_conf_min_tls_version(&tc->conf, p->tls12 ?
	    MBEDTLS_SSL_VERSION_TLS1_2 : MBEDTLS_SSL_VERSION_TLS1_3);
	mbedtls_ssl_conf_max_tls_version(&tc->conf, p->tls12 && p->no_tls13 ?
	    MBEDTLS_SSL_VERSION_TLS1_2 : MBEDTLS_SSL_VERSION_TLS1_3);
	mbedtls_ssl_conf_ciphersuites(&tc->conf, tls_suites);
	/*
	 * TLS 1.3: we take records of TLS_RECORD_LIMIT from a peer that
	 * announces a limit of its own (RFC 8449), as gw-agent does; once
	 * the handshake is over both buffers shrink to it (cmake/
	 * mbedtls-patches/0001).  A peer that announces none is not bound
	 * and keeps 16 KiB buffers (docs/PROTOCOL.md section 2).
	 */
	if ((rc = mbedtls_ssl_conf_record_size_limit(&tc->conf,
	    TLS_RECORD_LIMIT)) != 0) {
		tls_fail(err, errlen, "tls", "record size limit", rc);
		return -1;
	}
	/*
	 * TLS 1.2 has no record size limit: a client that speaks only TLS
	 * 1.2 asks max_fragment_length instead, so the server's buffers
	 * shrink the same (one that also offers TLS 1.3 cannot: mbedTLS's
	 * TLS 1.3 client fails when a server echoes it).
	 */
	if (!p->server && p->tls12 && p->no_tls13 &&
	    (rc = mbedtls_ssl_conf_max_frag_len(&tc->conf,
	    MBEDTLS_SSL_MAX_FRAG_LEN_2048)) != 0) {
		tls_fail(err, errlen, "tls", "max fragment length", rc);
		return -1;
	}
	return 0;
}

/* How ${tc} verifies its peer: required or not, the CA and the CRL. */
static void
tls_conf_verify(struct tls_conf *tc, const struct tls_conf_params *p)
{
	mbedtls_ssl_conf_authmode(&tc->conf, !p->anon_peer ?
	    MBEDTLS_SSL_VERIFY_REQUIRED : p->server ? MBEDTLS_SSL_VERIFY_NONE :
	    MBEDTLS_SSL_VERIFY_OPTIONAL);
	if (p->ca != NULL)
		mbedtls_ssl_conf_ca_chain(&tc->conf, &tc->ca,
		    tc->has_crl ? &tc->crl : NULL);
	if (tc->has_crl)
		mbedtls_ssl_conf_verify(&tc->conf, tls_verify_cb, tc);
}

/*
 * ${tc}'s session tickets: a server issues them with ${p}'s keys (or none
 * without), a client keeps those it is sent.
 */
static void
tls_conf_tickets(struct tls_conf *tc, const struct tls_conf_params *p)
{
	if (p->server && p->tickets != NULL) {
		tc->tickets = p->tickets;
		mbedtls_ssl_conf_session_tickets_cb(&tc->conf,
		    tls_ticket_write_cb, tls_ticket_parse_cb, tc);
		/*
		 * Not psk_ke (the ticket's key alone, no ECDHE): mbedTLS 3.6
		 * ranks a full handshake above it, so a server that also takes
		 * agents without tickets never picks it.
		 */
		mbedtls_ssl_conf_tls13_key_exchange_modes(&tc->conf,
		    MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL |
		    MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL);
	} else if (p->server) {
		mbedtls_ssl_conf_new_session_tickets(&tc->conf, 0);
		mbedtls_ssl_conf_tls13_key_exchange_modes(&tc->conf,
		    MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL);
	} else
		mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(
		    &tc->conf, MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_ENABLED);
}

/**
 * tls_conf_new(p, err, errlen):
 * Load the files of ${p} and build a TLS configuration.  On error return
 * NULL and write "file: why" into ${err}.  The private key bytes read from
 * disk are zeroised once mbedTLS holds the key.
 */
struct tls_conf *
tls_conf_new(const struct tls_conf_params *p, char *err, size_t errlen)
{
	struct tls_conf *tc;
	int rc;

	if (tls_rng_setup(err, errlen) != 0)
		goto err0;
	if ((tc = calloc(1, sizeof(*tc))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto err0;
	}
	tc->magic = TLS_CONF_MAGIC;
	tc->refs = 1;
	mbedtls_ssl_config_init(&tc->conf);
	mbedtls_x509_crt_init(&tc->own);
	mbedtls_pk_init(&tc->key);
	mbedtls_x509_crt_init(&tc->ca);
	mbedtls_x509_crl_init(&tc->crl);
	if (tls_conf_load(tc, p, err, errlen) != 0 ||
	    tls_conf_protocol(tc, p, err, errlen) != 0)
		goto err1;
	tls_conf_verify(tc, p);
	tls_conf_tickets(tc, p);
	if (p->cert != NULL && (rc = mbedtls_ssl_conf_own_cert(&tc->conf,
	    &tc->own, &tc->key)) != 0) {
		tls_fail(err, errlen, p->cert, "cannot use certificate", rc);
		goto err1;
	}
	return tc;

err1:
	tls_conf_free(tc);
err0:
	return NULL;
}

/**
 * tls_conf_ref(tc): one more reference to ${tc} (each connection holds
 * one, so a reload can replace the configuration while old sessions live
 * on); tls_conf_free drops one.  Return ${tc}.
 */
struct tls_conf *
tls_conf_ref(const struct tls_conf *tc)
{
	struct tls_conf *t = (struct tls_conf *)tc;

	t->refs++;
	return t;
}

/**
 * tls_conf_revoked(tc, crt): 1 if ${crt}'s serial is on a CRL of ${tc},
 * else 0.
 */
int
tls_conf_revoked(const struct tls_conf *tc, const mbedtls_x509_crt *crt)
{
	if (!tc->has_crl)
		return 0;
	/*
	 * Every CRL loaded, whoever issued it: serials are random, and a
	 * match by issuer name could miss one encoded differently.
	 */
	for (const mbedtls_x509_crl *crl = &tc->crl; crl != NULL &&
	    crl->raw.len > 0; crl = crl->next)
		if (mbedtls_x509_crt_is_revoked(crt, crl) != 0)
			return 1;
	return 0;
}

/**
 * tls_conf_revoked_der(tc, der, len): tls_conf_revoked for a certificate
 * kept as DER (parsing one costs about 2 us).  One that does not parse
 * counts as revoked.
 */
int
tls_conf_revoked_der(const struct tls_conf *tc, const uint8_t *der,
    size_t len)
{
	mbedtls_x509_crt crt;
	int revoked;

	if (!tc->has_crl)
		return 0;
	mbedtls_x509_crt_init(&crt);
	revoked = mbedtls_x509_crt_parse_der_nocopy(&crt, der, len) != 0 ||
	    tls_conf_revoked(tc, &crt);
	mbedtls_x509_crt_free(&crt);
	return revoked;
}

/** tls_x509_epoch(t): X.509 time ${t} (UTC) as Unix time. */
int64_t
tls_x509_epoch(const mbedtls_x509_time *t)
{
	struct tm tm = {
		.tm_year = t->year - 1900, .tm_mon = t->mon - 1,
		.tm_mday = t->day, .tm_hour = t->hour, .tm_min = t->min,
		.tm_sec = t->sec
	};

	return (int64_t)timegm(&tm);
}

/**
 * tls_conf_own_expiry(tc): when ${tc}'s own certificate expires (Unix
 * time), or 0 if it has none.
 */
int64_t
tls_conf_own_expiry(const struct tls_conf *tc)
{
	return tc->own.raw.len > 0 ? tls_x509_epoch(&tc->own.valid_to) : 0;
}

/**
 * tls_conf_crl_dates(tc, this_update, next_update): the first CRL's dates
 * (Unix time).  Return 0, or -1 if ${tc} has no CRL.
 */
int
tls_conf_crl_dates(const struct tls_conf *tc, int64_t *this_update,
    int64_t *next_update)
{
	if (!tc->has_crl)
		return -1;
	*this_update = tls_x509_epoch(&tc->crl.this_update);
	*next_update = tls_x509_epoch(&tc->crl.next_update);
	return 0;
}

/** tls_conf_ssl(tc): the mbedtls_ssl_config to pass to mbedtls_ssl_setup. */
const mbedtls_ssl_config *
tls_conf_ssl(const struct tls_conf *tc)
{
	return &tc->conf;
}

/**
 * tls_conf_free(tc): drop a reference to ${tc}, freeing it with the last;
 * tls_conf_free(NULL) is a no-op.
 */
void
tls_conf_free(struct tls_conf *tc)
{
	if (tc == NULL || --tc->refs > 0)
		return;
	mbedtls_ssl_config_free(&tc->conf);
	mbedtls_x509_crt_free(&tc->own);
	mbedtls_pk_free(&tc->key);
	mbedtls_x509_crt_free(&tc->ca);
	mbedtls_x509_crl_free(&tc->crl);
	tc->magic = 0;
	free(tc);
}

/**
 * tls_strerror(rc, buf, len): mbedTLS error ${rc} as text ("X509 - ...");
 * return ${buf}.
 */
const char *
tls_strerror(int rc, char *buf, size_t len)
{
	/* Our BIO's socket errors: mbedTLS names them only with NET_C. */
	switch (rc) {
	case MBEDTLS_ERR_NET_CONN_RESET:
		snprintf(buf, len, "connection reset by peer");
		break;
	case MBEDTLS_ERR_NET_SEND_FAILED:
		snprintf(buf, len, "socket send failed");
		break;
	case MBEDTLS_ERR_NET_RECV_FAILED:
		snprintf(buf, len, "socket receive failed");
		break;
	default:
		mbedtls_strerror(rc, buf, len);
	}
	return buf;
}

/**
 * tls_verify_str(flags, buf, len): the X.509 verification flags of a failed
 * handshake as one short reason ("unknown-ca", "expired", "revoked",
 * "no-certificate", ...); return ${buf}.
 */
const char *
tls_verify_str(uint32_t flags, char *buf, size_t len)
{
	static const struct {
		uint32_t	 flag;
		const char	*name;
	} map[] = {
		{ MBEDTLS_X509_BADCERT_MISSING, "no-certificate" },
		{ MBEDTLS_X509_BADCERT_NOT_TRUSTED, "unknown-ca" },
		{ MBEDTLS_X509_BADCERT_EXPIRED, "expired" },
		{ MBEDTLS_X509_BADCERT_FUTURE, "not-yet-valid" },
		{ MBEDTLS_X509_BADCERT_REVOKED, "revoked" },
		{ MBEDTLS_X509_BADCERT_CN_MISMATCH, "name-mismatch" },
		{ MBEDTLS_X509_BADCERT_KEY_USAGE, "bad-key-usage" },
		{ MBEDTLS_X509_BADCERT_EXT_KEY_USAGE, "bad-key-usage" },
		{ MBEDTLS_X509_BADCERT_BAD_MD, "weak-signature" },
		{ MBEDTLS_X509_BADCERT_BAD_PK, "bad-key-type" },
		{ MBEDTLS_X509_BADCERT_BAD_KEY, "weak-key" },
		{ MBEDTLS_X509_BADCRL_NOT_TRUSTED, "crl-untrusted" },
		{ MBEDTLS_X509_BADCRL_EXPIRED, "crl-expired" },
		{ MBEDTLS_X509_BADCRL_FUTURE, "crl-not-yet-valid" },
		{ MBEDTLS_X509_BADCRL_BAD_MD, "crl-weak-signature" },
		{ MBEDTLS_X509_BADCRL_BAD_PK, "crl-bad-key-type" },
		{ MBEDTLS_X509_BADCRL_BAD_KEY, "crl-weak-key" },
		{ MBEDTLS_X509_BADCERT_NS_CERT_TYPE, "bad-key-usage" },
	};
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if ((flags & map[i].flag) == 0 ||
		    (n > 0 && strstr(buf, map[i].name) != NULL))
			continue;
		int r = snprintf(buf + n, len - n, "%s%s", n ? "," : "",
		    map[i].name);
		if (r < 0 || (size_t)r >= len - n)
			break;
		n += (size_t)r;
		flags &= ~map[i].flag;
	}
	if (n == 0)
		snprintf(buf, len, "verify-failed(0x%x)", (unsigned)flags);
	return buf;
}
