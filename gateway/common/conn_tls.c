/*
 * conn_tls.c: the TLS session side of a connection (conn_impl.h): its
 * mbedTLS context set up, a handshake step, what the finished handshake
 * tells (who the peer is, whether a ticket stood in for a full handshake),
 * why one failed, and the session tickets a client keeps to resume.
 * conn.c keeps the connection's state machine and its buffers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform.h>
#include <mbedtls/ssl.h>

#include "conn.h"
#include "conn_impl.h"

struct conn_ticket {
	mbedtls_ssl_session	 s;
};

/*
 * mbedTLS's per-certificate verify hook: only notes that one was seen, and
 * whether the leaf is the empty one mbedTLS leaves for a certificate it
 * skipped (signed with an algorithm not built in, as MD5): its flags then
 * say nothing (expired, unknown-ca, weak-signature, bad-key-type, ...).
 */
static int
conn_on_verify(void *arg, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	struct conn *c = arg;

	(void)flags;
	CONN_CHECK(c);
	c->verified = 1;
	if (depth == 0 && crt->version == 0)
		c->peer_unparsed = 1;
	return 0;
}

/**
 * conn_tls_setup(c, tc, server_name): set up ${c}'s initialised ssl
 * context on ${tc} (a reference is taken), the name a client expects,
 * the client's ticket to resume with, and the BIO.  Return 0 or -1.
 */
int
conn_tls_setup(struct conn *c, const struct tls_conf *tc,
    const char *server_name)
{
	if (mbedtls_ssl_setup(&c->ssl, tls_conf_ssl(tc)) != 0)
		return -1;
	c->tc = tls_conf_ref(tc);
	if (server_name != NULL &&
	    mbedtls_ssl_set_hostname(&c->ssl, server_name) != 0)
		return -1;
	mbedtls_ssl_set_verify(&c->ssl, conn_on_verify, c);
	/* A ticket the server no longer takes costs a full handshake. */
	if (c->ticket != NULL && *c->ticket != NULL)
		(void)mbedtls_ssl_set_session(&c->ssl, &(*c->ticket)->s);
	mbedtls_ssl_set_bio(&c->ssl, c, conn_bio_send, conn_bio_recv, NULL);
	return 0;
}

/**
 * conn_tls_step(c): one mbedtls_ssl_handshake call; a server names ${c}
 * to the ticket callbacks for its duration (tls_conf_bind).
 */
int
conn_tls_step(struct conn *c)
{
	int rc;

	if (c->server)
		tls_conf_bind(&c->res);
	rc = mbedtls_ssl_handshake(&c->ssl);
	tls_conf_bind(NULL);
	return rc;
}

/** conn_tls_opened(c): the handshake is done: note what it was. */
void
conn_tls_opened(struct conn *c)
{
	/*
	 * No certificate was verified: a ticket stood in.  (A client's
	 * resumed session still holds the server certificate of the full
	 * handshake; a server's holds none, its peer is in c->res.)
	 */
	c->resumed = !c->verified && (c->server ? c->res.crt != NULL &&
	    mbedtls_ssl_get_peer_cert(&c->ssl) == NULL :
	    c->ticket != NULL && *c->ticket != NULL);
	if (!c->resumed)
		tls_resumed_clear(&c->res);	/* a ticket not taken */
	snprintf(c->tls_info, sizeof(c->tls_info), "%s/%s",
	    mbedtls_ssl_get_version(&c->ssl),
	    mbedtls_ssl_get_ciphersuite(&c->ssl));
}

/*
 * A peer certificate mbedTLS cannot parse for an algorithm not built into
 * it, named as tls_verify_str names one that parsed but is refused.  By
 * the high-level part of the error (the X.509 one may carry an OID's).
 */
static const struct {
	int		 rc;
	const char	*why;
} conn_tls_unsupported[] = {
	{ MBEDTLS_ERR_X509_UNKNOWN_SIG_ALG, "unsupported-signature: signed "
	    "with an algorithm not built in (MD5, Ed25519, ...)" },
	{ MBEDTLS_ERR_PK_UNKNOWN_PK_ALG, "unsupported-key-type: a key "
	    "neither ECDSA nor RSA (Ed25519, Ed448, DSA, ...)" },
	{ MBEDTLS_ERR_PK_UNKNOWN_NAMED_CURVE, "unsupported-key-type: an EC "
	    "key on a curve other than P-256 and P-384" },
};

/**
 * conn_tls_detail(c, rc, buf, len): why ${c}'s handshake failed with
 * ${rc}, with the certificate's verification flags if it was that, or
 * the algorithm of a certificate that did not parse.
 */
void
conn_tls_detail(struct conn *c, int rc, char *buf, size_t len)
{
	char e[128], v[96];
	uint32_t flags = mbedtls_ssl_get_verify_result(&c->ssl);
	int hi = rc < 0 ? -(-rc & 0xff80) : rc;

	if (c->peer_unparsed)
		hi = MBEDTLS_ERR_X509_UNKNOWN_SIG_ALG;	/* flags say nothing */
	for (size_t i = 0; i < sizeof(conn_tls_unsupported) /
	    sizeof(conn_tls_unsupported[0]); i++)
		if (hi == conn_tls_unsupported[i].rc) {
			snprintf(buf, len, "certificate %s",
			    conn_tls_unsupported[i].why);
			return;
		}
	if (rc == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE) {
		/*
		 * OpenSSL sends none when its key fits none of the signature
		 * algorithms we ask for (TLS 1.3, and 1.2 for Ed25519).
		 */
		snprintf(buf, len, "certificate no-certificate: the client "
		    "sent none (as a client does without one, or with one "
		    "whose key is neither ECDSA P-256/P-384 nor RSA: Ed25519, "
		    "P-521, ...)");
		return;
	}
	tls_strerror(rc, e, sizeof(e));
	if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED ||
	    (flags != 0 && flags != (uint32_t)-1))
		snprintf(buf, len, "certificate %s: %s",
		    tls_verify_str(flags, v, sizeof(v)), e);
	else
		snprintf(buf, len, "%s", e);
}

/**
 * conn_tls_keep_ticket(c): a client got a ticket: the newest one replaces
 * the last in the owner's slot.
 */
void
conn_tls_keep_ticket(struct conn *c)
{
	struct conn_ticket *t;

	if (c->ticket == NULL)
		return;
	if ((t = *c->ticket) == NULL && (t = calloc(1, sizeof(*t))) == NULL)
		return;
	mbedtls_ssl_session_free(&t->s);
	mbedtls_ssl_session_init(&t->s);
	if (mbedtls_ssl_get_session(&c->ssl, &t->s) != 0) {
		conn_ticket_free(t);
		t = NULL;
	}
	*c->ticket = t;
}

/**
 * conn_tls_forget_peer(c): the owner has seen the peer (on_open): keep
 * only its certificate's DER (conn_peer_der).  A parsed P-256 certificate
 * costs 3.5 KiB of heap, and a gateway holds one per agent; mbedTLS 3.6
 * cannot drop it itself (TLS 1.3 requires MBEDTLS_SSL_KEEP_PEER_CERTIFICATE),
 * and nothing of it reads the session's certificate after the handshake.
 * Out of memory: the parsed one stays.
 */
void
conn_tls_forget_peer(struct conn *c)
{
	mbedtls_ssl_session *s = c->ssl.MBEDTLS_PRIVATE(session);
	const mbedtls_x509_crt *crt = conn_peer_crt(c);

	if (crt == NULL || (c->peer_der = malloc(crt->raw.len)) == NULL)
		return;
	memcpy(c->peer_der, crt->raw.p, crt->raw.len);
	c->peer_der_len = crt->raw.len;
	if (s != NULL && s->MBEDTLS_PRIVATE(peer_cert) != NULL) {
		mbedtls_x509_crt_free(s->MBEDTLS_PRIVATE(peer_cert));
		mbedtls_free(s->MBEDTLS_PRIVATE(peer_cert));
		s->MBEDTLS_PRIVATE(peer_cert) = NULL;
	}
	tls_resumed_clear(&c->res);
}

/**
 * conn_peer_crt(c): the verified peer certificate while the owner's
 * on_open runs, else NULL (conn_peer_der keeps it).
 */
const mbedtls_x509_crt *
conn_peer_crt(const struct conn *c)
{
	const mbedtls_x509_crt *crt;

	if (c->state != CONN_OPEN)
		return NULL;
	crt = mbedtls_ssl_get_peer_cert(&c->ssl);
	return crt != NULL ? crt : c->res.crt;
}

/**
 * conn_peer_der(c, len): the DER of the verified peer certificate, from
 * on_open to the close, or NULL; its length in ${len}.
 */
const uint8_t *
conn_peer_der(const struct conn *c, size_t *len)
{
	const mbedtls_x509_crt *crt = conn_peer_crt(c);

	if (crt != NULL) {
		*len = crt->raw.len;
		return crt->raw.p;
	}
	*len = c->peer_der_len;
	return c->state == CONN_OPEN ? c->peer_der : NULL;
}

/**
 * conn_resumed(c): 1 if ${c}'s handshake resumed a session from a ticket
 * (no certificate was sent: conn_peer_crt is the one the ticket carried,
 * on the server), else 0.
 */
int
conn_resumed(const struct conn *c)
{
	return c->resumed;
}

/** conn_ticket_free(t): free a saved session; NULL-safe. */
void
conn_ticket_free(struct conn_ticket *t)
{
	if (t == NULL)
		return;
	mbedtls_ssl_session_free(&t->s);
	free(t);
}

/** conn_tls_info(c): "TLSv1.3/TLS1-3-AES-128-GCM-SHA256" or "". */
const char *
conn_tls_info(const struct conn *c)
{
	return c->tls_info;
}
