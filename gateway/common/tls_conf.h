/*
 * tls_conf.h: mbedtls_ssl_config for our three roles.  One policy for every
 * program: TLS 1.2 minimum, TLS 1.3 preferred, AEAD suites only (AES-GCM,
 * ChaCha20-Poly1305), no renegotiation, the peer certificate always required
 * and verified against the given CA (and CRL).
 */
#ifndef GW_TLS_CONF_H
#define GW_TLS_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <mbedtls/ssl.h>

/*
 * The records every configuration takes from a TLS 1.3 peer that announces
 * a record size limit of its own (RFC 8449), and announces as its own:
 * after the handshake, its TLS buffers hold one such record each way.
 */
#define TLS_RECORD_LIMIT	2048

struct tls_conf;
struct tls_ticket;
struct tls_resumed;

struct tls_conf_params {
	const char	*cert;		/* PEM chain: own certificate first;
					   NULL: none (client, anon_peer) */
	const char	*key;		/* PEM private key (with cert) */
	const char	*chain;		/* more PEM certificates to send after
					   cert (a CA to pin), or NULL */
	const char	*ca;		/* PEM CA(s) the peer must chain to;
					   NULL only with anon_peer */
	const char	*crl;		/* PEM/DER CRL of that CA, or NULL */
	int		 server;	/* 1: server side, 0: client side */
	int		 tls12;		/* 1: also allow TLS 1.2 (default 1) */
	int		 no_tls13;	/* with tls12: TLS 1.2 only (gw-loadgen
					   --tls12 measures it) */
	/*
	 * Enrollment: the peer is not authenticated by a CA here.  Server:
	 * ask no client certificate.  Client: accept any server chain and
	 * let the caller check it (conn_peer_crt: a pinned CA fingerprint).
	 */
	int		 anon_peer;
	/*
	 * Server: issue TLS 1.3 session tickets with these keys and resume
	 * from them, psk_dhe_ke: the ticket's key and a new ECDHE (NULL: full
	 * handshakes only).  A resumed session's peer is the certificate
	 * sealed in its ticket: it must still be in its validity period,
	 * pass the CRL checks of a full handshake (not on the CRL, and its
	 * issuer's CRL between thisUpdate and nextUpdate), and be issued by
	 * the CA (by name); else the handshake is a full one.  Client:
	 * tickets are always taken (conn_params.ticket keeps them).
	 */
	struct tls_ticket *tickets;
};

/**
 * tls_conf_new(p, err, errlen):
 * Load the files of ${p} and build a TLS configuration.  On error return
 * NULL and write "file: why" into ${err}.  The private key bytes read from
 * disk are zeroised once mbedTLS holds the key.
 */
struct tls_conf *tls_conf_new(const struct tls_conf_params *p, char *err,
    size_t errlen);

/**
 * tls_conf_bind(slot): the server connection whose handshake step runs
 * next (NULL after it): a ticket it presents leaves its peer in ${slot},
 * and a ticket it is given carries ${slot}'s peer if the session has no
 * certificate of its own (it was resumed).  mbedTLS's ticket callbacks
 * know no connection; each process is one loop, so this names it.
 */
void tls_conf_bind(struct tls_resumed *slot);

/** tls_x509_epoch(t): X.509 time ${t} (UTC) as Unix time. */
int64_t tls_x509_epoch(const mbedtls_x509_time *t);

/**
 * tls_conf_own_expiry(tc): when ${tc}'s own certificate expires (Unix
 * time), or 0 if it has none.
 */
int64_t tls_conf_own_expiry(const struct tls_conf *tc);

/**
 * tls_conf_crl_dates(tc, this_update, next_update): the first CRL's dates
 * (Unix time).  Return 0, or -1 if ${tc} has no CRL.
 */
int tls_conf_crl_dates(const struct tls_conf *tc, int64_t *this_update,
    int64_t *next_update);

/** tls_conf_ssl(tc): the mbedtls_ssl_config to pass to mbedtls_ssl_setup. */
const mbedtls_ssl_config *tls_conf_ssl(const struct tls_conf *tc);

/**
 * tls_conf_ref(tc): one more reference to ${tc} (each connection holds
 * one, so a reload can replace the configuration while old sessions live
 * on); tls_conf_free drops one.  Return ${tc}.
 */
struct tls_conf *tls_conf_ref(const struct tls_conf *tc);

/**
 * tls_conf_revoked(tc, crt): 1 if ${crt}'s serial is on a CRL of ${tc},
 * else 0.
 */
int tls_conf_revoked(const struct tls_conf *tc, const mbedtls_x509_crt *crt);

/**
 * tls_conf_revoked_der(tc, der, len): tls_conf_revoked for a certificate
 * kept as DER; one that does not parse counts as revoked.
 */
int tls_conf_revoked_der(const struct tls_conf *tc, const uint8_t *der,
    size_t len);

/**
 * tls_conf_free(tc): drop a reference to ${tc}, freeing it with the last;
 * tls_conf_free(NULL) is a no-op.
 */
void tls_conf_free(struct tls_conf *tc);

/**
 * tls_strerror(rc, buf, len): mbedTLS error ${rc} as text ("X509 - ...");
 * return ${buf}.
 */
const char *tls_strerror(int rc, char *buf, size_t len);

/**
 * tls_verify_str(flags, buf, len): the X.509 verification flags of a failed
 * handshake as one short reason ("unknown-ca", "expired", "revoked",
 * "no-certificate", ...); return ${buf}.
 */
const char *tls_verify_str(uint32_t flags, char *buf, size_t len);

#endif /* GW_TLS_CONF_H */
