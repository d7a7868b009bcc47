/*
 * fuzz_ticket.c: session tickets as an agent presents them, straight to
 * the ticket parser gatewayd installs on its agent port (tls_conf.c's
 * f_ticket_parse: tls_ticket_parse, then the resumed identity checks), on
 * tls_world.c's agent port with tickets on as shipped (a fixed key, the
 * default 24 h lifetime).  fuzz_tls reaches the same parser through a
 * ClientHello's pre_shared_key; here no handshake stands before it, so
 * the fuzzer spends its time on the ticket.
 *
 * Input: byte 0 sets the clock, TLS_WORLD_TIME + byte0 * lifetime / 256
 * (the tickets of the seeds were issued at TLS_WORLD_TIME: every step is
 * within their lifetime, some crafted ones are not); byte 1 picks the
 * port: even, the agent port; odd, the agent port reloaded with a CRL
 * past its nextUpdate, where no ticket may resume (a full handshake fails
 * there too); the rest is the ticket.  gen_corpus records real tickets,
 * issued by the world's server to a real agent after a full TLS 1.3
 * handshake in memory, and tickets sealed by tls_ticket_write with the key
 * file's key around certificates and dates the parser must refuse
 * (revoked, expired, none, authenticated too long ago or in the
 * future).
 *
 * Invariants:
 *  - an accepted ticket leaves a peer that tls_world_check_resumed admits:
 *    the very agent certificate the world's full handshake verified (any
 *    other is a forgery), within lifetime and validity, not revoked,
 *    chaining to the CA under a CRL not past nextUpdate (so none on the
 *    stale port), its name allowed by agent_names;
 *  - an accepted ticket altered in any one byte, cut by one byte or grown
 *    by one is refused (the AEADs cover every byte of it);
 *  - a refusal is an mbedTLS error with a text (tls_strerror) and leaves
 *    no peer behind;
 *  - nothing leaks (LeakSanitizer): the peer and the session are freed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tls_world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tls_world w;

/* The configured parser on a copy of ${t} (it decrypts in place). */
static int
parse(const struct tls_conf *tc, const uint8_t *t, size_t len,
    struct tls_resumed *peer, mbedtls_ssl_session *s)
{
	const mbedtls_ssl_config *c = tls_conf_ssl(tc);
	unsigned char *buf;
	int rc;

	if ((buf = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	if (len > 0)
		memcpy(buf, t, len);
	mbedtls_ssl_session_init(s);
	tls_conf_bind(peer);		/* as conn_tls_step */
	rc = c->MBEDTLS_PRIVATE(f_ticket_parse)(c->MBEDTLS_PRIVATE(p_ticket),
	    s, buf, len);
	tls_conf_bind(NULL);
	free(buf);
	return rc;
}

/* A refusal: a named error, no peer left. */
static void
check_refused(int rc, const struct tls_resumed *peer)
{
	char why[160];

	FUZZ_CHECK(rc < 0);
	FUZZ_CHECK(tls_strerror(rc, why, sizeof(why))[0] != '\0');
	FUZZ_CHECK(strstr(why, "UNKNOWN") == NULL);
	FUZZ_CHECK(peer->crt == NULL && peer->auth_time == 0);
}

/* ${t} was accepted: every one-byte change of it must not be. */
static void
check_altered(const struct tls_conf *tc, const uint8_t *t, size_t len)
{
	struct tls_resumed peer = { NULL, 0 };
	mbedtls_ssl_session s;
	uint8_t *m;
	int rc;

	if ((m = malloc(len + 1)) == NULL)
		abort();
	memcpy(m, t, len);
	m[len] = 0;
	for (size_t i = 0; i < len; i++) {
		m[i] ^= (uint8_t)(1u << (i % 8));
		rc = parse(tc, m, len, &peer, &s);
		mbedtls_ssl_session_free(&s);
		check_refused(rc, &peer);
		m[i] = t[i];
	}
	rc = parse(tc, m, len - 1, &peer, &s);
	mbedtls_ssl_session_free(&s);
	check_refused(rc, &peer);
	rc = parse(tc, m, len + 1, &peer, &s);
	mbedtls_ssl_session_free(&s);
	check_refused(rc, &peer);
	free(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct tls_resumed peer = { NULL, 0 };
	const struct tls_conf *tc;
	mbedtls_ssl_session s;
	char why[160];
	int rc;

	if (!ready) {
		if (tls_world_init(&w, why, sizeof(why)) != 0) {
			fprintf(stderr, "fuzz_ticket: %s\n", why);
			abort();
		}
		ready = 1;
	}
	if (size < 2)
		return 0;
	tc = data[1] & 1 ? w.stale : w.server[TLS_WORLD_AGENT];
	tls_world_reset();
	tls_world_clock(TLS_WORLD_TIME +
	    (int64_t)data[0] * (TLS_WORLD_LIFETIME / 256));
	rc = parse(tc, data + 2, size - 2, &peer, &s);
	if (rc == 0) {
		FUZZ_CHECK(s.MBEDTLS_PRIVATE(tls_version) ==
		    MBEDTLS_SSL_VERSION_TLS1_3);
		tls_world_check_resumed(&w, tc, &peer);
		tls_resumed_clear(&peer);
		check_altered(tc, data + 2, size - 2);
	} else
		check_refused(rc, &peer);
	mbedtls_ssl_session_free(&s);
	tls_world_clock(TLS_WORLD_TIME);
	return 0;
}
