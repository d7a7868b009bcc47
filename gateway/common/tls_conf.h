/*
 * tls_conf.h: mbedtls_ssl_config for our three roles.  One policy for every
 * program: TLS 1.2 minimum, TLS 1.3 preferred, AEAD suites only (AES-GCM,
 * ChaCha20-Poly1305), no renegotiation, the peer certificate always required
 * and verified against the given CA (and CRL).
 */
#ifndef GW_TLS_CONF_H
#define GW_TLS_CONF_H

#include <stddef.h>
#include <mbedtls/ssl.h>

struct tls_conf;

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
	/*
	 * Enrollment: the peer is not authenticated by a CA here.  Server:
	 * ask no client certificate.  Client: accept any server chain and
	 * let the caller check it (conn_peer_crt: a pinned CA fingerprint).
	 */
	int		 anon_peer;
};

/**
 * tls_conf_new(p, err, errlen):
 * Load the files of ${p} and build a TLS configuration.  On error return
 * NULL and write "file: why" into ${err}.  The private key bytes read from
 * disk are zeroised once mbedTLS holds the key.
 */
struct tls_conf *tls_conf_new(const struct tls_conf_params *p, char *err,
    size_t errlen);

/** tls_conf_ssl(tc): the mbedtls_ssl_config to pass to mbedtls_ssl_setup. */
const mbedtls_ssl_config *tls_conf_ssl(const struct tls_conf *tc);

/**
 * tls_conf_ref(tc): one more reference to ${tc} (each connection holds
 * one, so a reload can replace the configuration while old sessions live
 * on); tls_conf_free drops one.  Return ${tc}.
 */
struct tls_conf *tls_conf_ref(const struct tls_conf *tc);

/**
 * tls_conf_revoked(tc, crt): 1 if ${crt} is on the CRL of ${tc}, else 0.
 */
int tls_conf_revoked(const struct tls_conf *tc, const mbedtls_x509_crt *crt);

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
