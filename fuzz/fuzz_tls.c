/*
 * fuzz_tls.c: bytes from a client to the gateway's TLS server side,
 * through memory callbacks, on the project's own TLS configurations
 * (tls_world.c: fixed keys, deterministic RNG, fixed clock).
 *
 * Input: byte 0 picks the server (enum tls_world_server); byte 1 is the
 * largest read the "socket" returns (0: no limit), so records arrive cut
 * at every place; the rest is what the client sends.  gen_corpus records
 * real agents' transcripts, which complete the handshake here, so the
 * fuzzer starts from whole sessions: handshake, then application records
 * holding frames, decoded as conn.c decodes them.  Only TLS 1.2 ones do:
 * in TLS 1.3 the server's key share comes from PSA's own generator, not
 * the world's, so a recorded client's Finished no longer matches and the
 * handshake stops there.  seed-agent-tls12-mfl-overlimit brings a record
 * over the limit the client negotiated (max_fragment_length) to the
 * shrunk input buffer (cmake/mbedtls-patches/0001): record_overflow.
 *
 * The agent ports issue and take session tickets, as gatewayd ships them
 * (tls_world.h); their handshake steps are bound to a ticket slot as
 * conn_tls_step binds them.  A recorded ClientHello that resumes from a
 * real ticket (seed-agent-resume) brings the fuzzer to the ticket parser
 * through the pre_shared_key extension (fuzz_ticket feeds it directly).
 *
 * Invariants:
 *  - a completed handshake on the agent port has a client certificate
 *    that verified against the agent CA (and is not on its CRL), and that
 *    certificate gives an identity (id_from_crt), as agent_on_open needs;
 *  - a ticket the server took (the slot holds a peer) passes
 *    tls_world_check_resumed: the agent certificate a full handshake
 *    verified, byte for byte, still valid, not revoked, name allowed;
 *  - a refused handshake has a reason (tls_verify_str, tls_strerror);
 *  - the server writes a bounded amount whatever the input (no
 *    amplification), and frees everything (LeakSanitizer).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "fuzz.h"
#include "identity.h"
#include "tls_world.h"

#define TLS_OUT_MAX	(64u * 1024)	/* server bytes per input, at most */
#define TLS_STEPS	64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct tls_io {
	const uint8_t	*in;
	size_t		 len, off, chunk;
	size_t		 out;
};

static int
io_send(void *p, const unsigned char *buf, size_t len)
{
	struct tls_io *io = p;

	(void)buf;
	io->out += len;
	FUZZ_CHECK(io->out <= TLS_OUT_MAX);
	return (int)len;
}

static int
io_recv(void *p, unsigned char *buf, size_t len)
{
	struct tls_io *io = p;
	size_t n = io->len - io->off;

	if (n == 0)
		return MBEDTLS_ERR_SSL_WANT_READ;
	if (n > len)
		n = len;
	if (io->chunk > 0 && n > io->chunk)
		n = io->chunk;
	memcpy(buf, io->in + io->off, n);
	io->off += n;
	return (int)n;
}

/* Application data: frames, as conn.c reads an agent. */
static void
tls_frames(mbedtls_ssl_context *ssl)
{
	static uint8_t in[GW_DEFAULT_MAX_PAYLOAD + GW_HDR_LEN + 1024];
	size_t len = 0, used;
	struct gw_frame f;
	int n;

	for (int i = 0; i < TLS_STEPS; i++) {
		n = mbedtls_ssl_read(ssl, in + len, sizeof(in) - len);
		if (n <= 0)
			return;
		len += (size_t)n;
		while (len > 0) {
			int rc = gw_frame_decode(in, len, GW_DEFAULT_MAX_PAYLOAD,
			    &f, &used);

			if (rc == GW_ENEED)
				break;
			if (rc != GW_OK)
				return;		/* conn.c closes the session */
			FUZZ_CHECK(used <= len);
			memmove(in, in + used, len - used);
			len -= used;
		}
		FUZZ_CHECK(len < sizeof(in));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tls_world w;
	static int ready;
	struct tls_io io = { 0 };
	struct tls_resumed slot = { NULL, 0 };
	mbedtls_ssl_context ssl;
	enum tls_world_server which;
	char why[160];
	int rc = MBEDTLS_ERR_SSL_WANT_READ;

	if (!ready) {
		if (tls_world_init(&w, why, sizeof(why)) != 0) {
			fprintf(stderr, "fuzz_tls: %s\n", why);
			abort();
		}
		ready = 1;
	}
	if (size < 2)
		return 0;
	which = (enum tls_world_server)(data[0] % TLS_WORLD_SERVERS);
	io.chunk = data[1];
	io.in = data + 2;
	io.len = size - 2;
	tls_world_reset();
	mbedtls_ssl_init(&ssl);
	if (mbedtls_ssl_setup(&ssl, tls_conf_ssl(w.server[which])) != 0)
		abort();
	mbedtls_ssl_set_bio(&ssl, &io, io_send, io_recv, NULL);
	for (int i = 0; i < TLS_STEPS && io.off <= io.len; i++) {
		tls_conf_bind(&slot);		/* as conn_tls_step */
		rc = mbedtls_ssl_handshake(&ssl);
		tls_conf_bind(NULL);
		if (rc == 0 || (rc == MBEDTLS_ERR_SSL_WANT_READ &&
		    io.off == io.len) || (rc != MBEDTLS_ERR_SSL_WANT_READ &&
		    rc != MBEDTLS_ERR_SSL_WANT_WRITE))
			break;
	}
	if (slot.crt != NULL) {
		FUZZ_CHECK(which != TLS_WORLD_ENROLL);
		tls_world_check_resumed(&w, w.server[which], &slot);
	}
	if (rc == 0) {
		const mbedtls_x509_crt *crt = mbedtls_ssl_get_peer_cert(&ssl);

		if (which != TLS_WORLD_ENROLL && crt == NULL)
			crt = slot.crt;		/* resumed: conn_peer_crt */
		if (which != TLS_WORLD_ENROLL) {
			struct id_info id;

			FUZZ_CHECK(crt != NULL);
			FUZZ_CHECK(crt == slot.crt ||
			    mbedtls_ssl_get_verify_result(&ssl) == 0);
			FUZZ_CHECK(!tls_conf_revoked(w.server[which], crt));
			FUZZ_CHECK(id_from_crt(crt, "192.0.2.1:1", &id) == 0);
		}
		tls_frames(&ssl);
	} else if (rc != MBEDTLS_ERR_SSL_WANT_READ) {
		uint32_t flags = mbedtls_ssl_get_verify_result(&ssl);

		/* What conn.c logs: the verification reason, or the error. */
		if (flags != 0 && flags != (uint32_t)-1)
			FUZZ_CHECK(tls_verify_str(flags, why, sizeof(why))[0]);
		FUZZ_CHECK(tls_strerror(rc, why, sizeof(why))[0]);
	}
	tls_resumed_clear(&slot);
	mbedtls_ssl_free(&ssl);
	return 0;
}
