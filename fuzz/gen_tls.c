/*
 * gen_tls.c: fuzz_tls seeds for gen_corpus: a real client (the world's
 * agent, or an enrolling agent) and the world's server talk in memory; the
 * client's bytes are recorded.  The server runs exactly as in the harness
 * (same configuration, its random stream reset first), so the recording
 * replays there to a completed handshake and decrypted frames.
 */
#include <stdio.h>
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

static int
gen_step(mbedtls_ssl_context *ssl, int *done)
{
	int rc;

	if (*done)
		return 0;
	rc = mbedtls_ssl_handshake(ssl);
	if (rc == 0)
		*done = 1;
	return rc == MBEDTLS_ERR_SSL_WANT_READ ||
	    rc == MBEDTLS_ERR_SSL_WANT_WRITE ? 0 : rc;
}

int
gen_tls_transcript(const struct tls_world *w, enum tls_world_server which,
    const struct tls_conf *client, const uint8_t *app, size_t applen,
    uint8_t *out, size_t cap, size_t *outlen)
{
	static struct gen_pipe c2s, s2c;
	struct gen_end ce = { &s2c, &c2s, out, cap, outlen };
	struct gen_end se = { &c2s, &s2c, NULL, 0, NULL };
	mbedtls_ssl_context cli, srv;
	int cdone = 0, sdone = 0, rc = -1;

	memset(&c2s, 0, sizeof(c2s));
	memset(&s2c, 0, sizeof(s2c));
	*outlen = 0;
	tls_world_reset();
	mbedtls_ssl_init(&cli);
	mbedtls_ssl_init(&srv);
	if (mbedtls_ssl_setup(&cli, tls_conf_ssl(client)) != 0 ||
	    mbedtls_ssl_setup(&srv, tls_conf_ssl(w->server[which])) != 0 ||
	    mbedtls_ssl_set_hostname(&cli, TLS_WORLD_NAME) != 0)
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
out:
	mbedtls_ssl_free(&cli);
	mbedtls_ssl_free(&srv);
	return rc;
}
