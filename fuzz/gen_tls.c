/*
 * gen_tls.c: fuzz_tls seeds for gen_corpus: a real client (the world's
 * agent, or an enrolling agent) and the world's server talk in memory; the
 * client's bytes are recorded.  The server runs exactly as in the harness
 * (same configuration, its random stream reset first), so the recording
 * replays there to a completed handshake and decrypted frames.  The
 * server's handshake steps are bound (tls_conf_bind) as conn_tls_step
 * binds them, so its ticket callbacks run as in gatewayd.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_tls.h"
#include "tls_world.h"

struct gen_pipe {
	uint8_t	 buf[65536];
	size_t	 len, off;
};

struct gen_end {
	struct gen_pipe	*in, *out;
	uint8_t		*rec;		/* client: the recording */
	size_t		 rec_cap, *rec_len;
};

static int
gen_send(void *p, const unsigned char *buf, size_t len)
{
	struct gen_end *e = p;

	if (len > sizeof(e->out->buf) - e->out->len)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	memcpy(e->out->buf + e->out->len, buf, len);
	e->out->len += len;
	if (e->rec != NULL) {
		if (len > e->rec_cap - *e->rec_len)
			return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
		memcpy(e->rec + *e->rec_len, buf, len);
		*e->rec_len += len;
	}
	return (int)len;
}

static int
gen_recv(void *p, unsigned char *buf, size_t len)
{
	struct gen_end *e = p;
	size_t n = e->in->len - e->in->off;

	if (n == 0)
		return MBEDTLS_ERR_SSL_WANT_READ;
	if (n > len)
		n = len;
	memcpy(buf, e->in->buf + e->in->off, n);
	e->in->off += n;
	return (int)n;
}

static struct tls_resumed gen_slot;	/* the server's ticket peer */

static int
gen_step(mbedtls_ssl_context *ssl, int *done)
{
	int rc;

	if (*done)
		return 0;
	if (mbedtls_ssl_conf_get_endpoint(ssl->MBEDTLS_PRIVATE(conf)) ==
	    MBEDTLS_SSL_IS_SERVER)
		tls_conf_bind(&gen_slot);
	rc = mbedtls_ssl_handshake(ssl);
	tls_conf_bind(NULL);
	if (rc == 0)
		*done = 1;
	return rc == MBEDTLS_ERR_SSL_WANT_READ ||
	    rc == MBEDTLS_ERR_SSL_WANT_WRITE ? 0 : rc;
}

/*
 * A handshake of ${client} (resuming ${session} if not NULL) with server
 * ${which}, the client's bytes recorded in ${out}; then ${app}; then, with
 * ${got} not NULL, the client reads the server's ticket into ${got}.
 */
static int
gen_run(const struct tls_world *w, enum tls_world_server which,
    const struct tls_conf *client, const mbedtls_ssl_session *session,
    const uint8_t *app, size_t applen, uint8_t *out, size_t cap,
    size_t *outlen, mbedtls_ssl_session *got)
{
	static struct gen_pipe c2s, s2c;
	struct gen_end ce = { &s2c, &c2s, out, cap, outlen };
	struct gen_end se = { &c2s, &s2c, NULL, 0, NULL };
	mbedtls_ssl_context cli, srv;
	unsigned char junk[64];
	int cdone = 0, sdone = 0, rc = -1;

	memset(&c2s, 0, sizeof(c2s));
	memset(&s2c, 0, sizeof(s2c));
	tls_resumed_clear(&gen_slot);
	*outlen = 0;
	tls_world_reset();
	mbedtls_ssl_init(&cli);
	mbedtls_ssl_init(&srv);
	if (mbedtls_ssl_setup(&cli, tls_conf_ssl(client)) != 0 ||
	    mbedtls_ssl_setup(&srv, tls_conf_ssl(w->server[which])) != 0 ||
	    mbedtls_ssl_set_hostname(&cli, TLS_WORLD_NAME) != 0 ||
	    (session != NULL && mbedtls_ssl_set_session(&cli, session) != 0))
		goto out;
	mbedtls_ssl_set_bio(&cli, &ce, gen_send, gen_recv, NULL);
	mbedtls_ssl_set_bio(&srv, &se, gen_send, gen_recv, NULL);
	for (int i = 0; i < 100 && !(cdone && sdone); i++) {
		if ((rc = gen_step(&cli, &cdone)) != 0 ||
		    (rc = gen_step(&srv, &sdone)) != 0)
			break;
	}
	if (!(cdone && sdone)) {
		fprintf(stderr, "gen_tls: handshake: -0x%04x\n", (unsigned)-rc);
		rc = -1;
		goto out;
	}
	rc = applen == 0 || mbedtls_ssl_write(&cli, app, applen) ==
	    (int)applen ? 0 : -1;
	if (rc == 0 && got != NULL) {
		/* The server's ticket: a first read queues it, a second
		 * takes it. */
		for (int i = 0; i < 4; i++)
			if ((rc = mbedtls_ssl_read(&cli, junk, sizeof(junk))) !=
			    MBEDTLS_ERR_SSL_WANT_READ)
				break;
		rc = rc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET &&
		    mbedtls_ssl_get_session(&cli, got) == 0 ? 0 : -1;
	}
out:
	mbedtls_ssl_free(&cli);
	mbedtls_ssl_free(&srv);
	return rc;
}

/**
 * gen_tls_transcript(w, which, client, app, applen, out, cap, outlen):
 * run ${client} against server ${which} of ${w} in memory, then send
 * ${applen} bytes of ${app}; the client's bytes go to ${out}.  0 once the
 * handshake completed and ${app} was written, or -1.
 */
int
gen_tls_transcript(const struct tls_world *w, enum tls_world_server which,
    const struct tls_conf *client, const uint8_t *app, size_t applen,
    uint8_t *out, size_t cap, size_t *outlen)
{
	return gen_run(w, which, client, NULL, app, applen, out, cap, outlen,
	    NULL);
}

/**
 * gen_tls_ticket(w, ticket, cap, tlen, hello, hcap, hlen): a full TLS 1.3
 * handshake of the world's agent with the agent port, whose ticket (as
 * the agent holds it) goes to ${ticket}; then the same agent resumes from
 * it, recorded into ${hello} (its ClientHello carries the ticket).  0 once
 * the server took the ticket for that agent's certificate, or -1.
 */
int
gen_tls_ticket(const struct tls_world *w, uint8_t *ticket, size_t cap,
    size_t *tlen, uint8_t *hello, size_t hcap, size_t *hlen)
{
	mbedtls_ssl_session s;
	int rc = -1;

	mbedtls_ssl_session_init(&s);
	if (gen_run(w, TLS_WORLD_AGENT, w->client, NULL, NULL, 0, hello,
	    hcap, hlen, &s) != 0 || s.MBEDTLS_PRIVATE(ticket_len) == 0 ||
	    s.MBEDTLS_PRIVATE(ticket_len) > cap) {
		fprintf(stderr, "gen_tls: no ticket\n");
		goto out;
	}
	*tlen = s.MBEDTLS_PRIVATE(ticket_len);
	memcpy(ticket, s.MBEDTLS_PRIVATE(ticket), *tlen);
	if (gen_run(w, TLS_WORLD_AGENT, w->client, &s, NULL, 0, hello, hcap,
	    hlen, NULL) != 0)
		goto out;
	/* Resumed: the server's peer is the ticket's certificate. */
	if (gen_slot.crt == NULL ||
	    gen_slot.crt->raw.len != w->agent.raw.len ||
	    memcmp(gen_slot.crt->raw.p, w->agent.raw.p, w->agent.raw.len) != 0) {
		fprintf(stderr, "gen_tls: the ticket was not taken\n");
		goto out;
	}
	rc = 0;
out:
	tls_resumed_clear(&gen_slot);
	mbedtls_ssl_session_free(&s);
	return rc;
}

/**
 * gen_tls_sealed(w, ticket, tlen, crt, auth, out, cap, outlen): the
 * session of ${ticket} (one of gen_tls_ticket's) sealed again by the
 * world's ticket keys (tls_ticket_write) with the peer ${crt} (NULL: none)
 * authenticated at ${auth}, as a resumed session carries its peer on.
 * 0 or -1.
 */
int
gen_tls_sealed(const struct tls_world *w, const uint8_t *ticket,
    size_t tlen, mbedtls_x509_crt *crt, int64_t auth, uint8_t *out,
    size_t cap, size_t *outlen)
{
	struct tls_resumed peer = { NULL, 0 }, as = { crt, auth };
	mbedtls_ssl_session s;
	uint8_t *copy;
	uint32_t life;
	int rc = -1;

	mbedtls_ssl_session_init(&s);
	if ((copy = malloc(tlen)) == NULL)
		return -1;
	memcpy(copy, ticket, tlen);
	if (tls_ticket_parse(w->tickets, &s, copy, tlen, &peer) == 0 &&
	    tls_ticket_write(w->tickets, &s, &as, out, out + cap, outlen,
	    &life) == 0)
		rc = 0;
	tls_resumed_clear(&peer);
	mbedtls_ssl_session_free(&s);
	free(copy);
	return rc;
}
