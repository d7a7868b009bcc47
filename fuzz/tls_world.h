/*
 * tls_world.h: a fixed TLS world for fuzz_tls and its seed generator.
 * The CA, the gateway's and an agent's keys and certificates come from a
 * DRBG with constant entropy and fixed dates, so they are the same bytes in
 * every process; the configurations are the project's own (tls_conf_new:
 * the gateway's agent port, the same without TLS 1.2, the enrollment port,
 * and an agent's client side), with a deterministic RNG per side and the
 * wall clock fixed (mbedtls_platform_set_time).  A client transcript
 * recorded by gen_corpus therefore replays in the harness up to its last
 * byte: the handshake completes and the application records decrypt.
 *
 * Not deterministic: the PSA random generator, which makes TLS 1.3 key
 * shares; a TLS 1.3 transcript diverges at the server's key share (its
 * ClientHello is still a useful seed).
 */
#ifndef GW_FUZZ_TLS_WORLD_H
#define GW_FUZZ_TLS_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "tls_conf.h"

/* The server configurations, picked by the first byte of an input. */
enum tls_world_server {
	TLS_WORLD_AGENT,	/* agent port: client certificate required */
	TLS_WORLD_AGENT13,	/* the same, TLS 1.3 only (tls12 = 0) */
	TLS_WORLD_ENROLL,	/* enrollment port: no client certificate */
	TLS_WORLD_SERVERS
};

#define TLS_WORLD_NAME		"gw-fuzz"	/* the gateway's name */
#define TLS_WORLD_AGENT_NAME	"agent-fuzz"
/* The clock: inside the certificates' 2025-2035 and after the CRL's this
 * update, which pki_crl_write takes from the real clock. */
#define TLS_WORLD_TIME		1893456000	/* 2030-01-01T00:00:00Z */

struct tls_world {
	struct tls_conf	*server[TLS_WORLD_SERVERS];
	struct tls_conf	*client;	/* an agent: TLS 1.2 and 1.3 */
	struct tls_conf	*client12;	/* an agent: TLS 1.2 at most */
	struct tls_conf	*client_anon;	/* an enrolling agent */
};

/** tls_world_init(w, err, errlen): build ${w}; 0, or -1 with ${err}. */
int tls_world_init(struct tls_world *w, char *err, size_t errlen);

struct pki_rng;

/**
 * tls_world_pki_rng(r): seed ${r} from constant entropy: the same keys in
 * every process (gen_corpus's seeds do not change from run to run).
 * 0 or -1; pki_rng_free(${r}) in both cases.
 */
int tls_world_pki_rng(struct pki_rng *r);

/** tls_world_reset(): restart both sides' random streams (per input). */
void tls_world_reset(void);

#endif /* GW_FUZZ_TLS_WORLD_H */
