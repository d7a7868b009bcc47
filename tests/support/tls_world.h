/*
 * tls_world.h: a fixed TLS world for fuzz_tls, fuzz_ticket and their seed
 * generator.  The CA, the gateway's and an agent's keys and certificates
 * (and two more agents': one on the CRL, one expired) come from a DRBG
 * with constant entropy and fixed dates, so they are the same bytes in
 * every process; the configurations are the project's own (tls_conf_new:
 * the gateway's agent port, the same without TLS 1.2, the enrollment port,
 * and an agent's client side), with a deterministic RNG per side and the
 * wall clock fixed (mbedtls_platform_set_time).  A client transcript
 * recorded by gen_corpus therefore replays in the harness up to its last
 * byte: the handshake completes and the application records decrypt.
 *
 * Session tickets are on, as gatewayd ships them (resumption = yes,
 * ticket_lifetime 24h): the agent ports share one struct tls_ticket whose
 * key file, written here, holds a fixed key made at TLS_WORLD_TIME.
 * mbedTLS's ticket part dates a ticket with mbedtls_ms_time, not
 * mbedtls_time: the programs that link tls_world.c are linked with
 * --wrap=mbedtls_ms_time (fuzz/CMakeLists.txt), and it follows the same
 * fixed clock, so a recorded ticket stays valid in every later run.
 *
 * Not deterministic: the PSA random generator, which makes TLS 1.3 key
 * shares; a TLS 1.3 transcript diverges at the server's key share (its
 * ClientHello is still a useful seed: with a ticket in it, the server
 * parses and checks that ticket).
 */
#ifndef GW_SUPPORT_TLS_WORLD_H
#define GW_SUPPORT_TLS_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>

#include "tls_conf.h"
#include "tls_ticket.h"

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
#define TLS_WORLD_LIFETIME	86400u		/* ticket_lifetime's default */
#define TLS_WORLD_POLICY	"agent-*"	/* gateway.ini: agent_names */

struct tls_world {
	struct tls_conf	*server[TLS_WORLD_SERVERS];
	struct tls_conf	*client;	/* an agent: TLS 1.2 and 1.3 */
	struct tls_conf	*client12;	/* an agent: TLS 1.2 at most */
	struct tls_conf	*client12_mfl;	/* TLS 1.2 only, as tls_conf makes
					   it: max_fragment_length 2048 */
	struct tls_conf	*client_anon;	/* an enrolling agent */
	struct tls_ticket *tickets;	/* the agent ports' ticket keys */
	struct tls_conf	*stale;		/* the agent port reloaded with a CRL
					   past its nextUpdate (same keys) */
	mbedtls_x509_crt agent;		/* the agent's certificate */
	mbedtls_x509_crt revoked;	/* an agent on the CRL */
	mbedtls_x509_crt expired;	/* an agent expired in 2029 */
	mbedtls_x509_crt ca;		/* the agent CA */
	mbedtls_x509_crl crl;		/* its CRL: revoked's serial */
	mbedtls_x509_crl crl_stale;	/* the same, past nextUpdate */
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

/**
 * tls_world_clock(t): mbedTLS's clocks (mbedtls_time, mbedtls_ms_time)
 * read ${t} from now on (TLS_WORLD_TIME after tls_world_init).  Stay
 * within [TLS_WORLD_TIME, TLS_WORLD_TIME + TLS_WORLD_LIFETIME): beyond,
 * the ticket key is due and would be replaced by a random one.
 */
void tls_world_clock(int64_t t);

/**
 * tls_world_check_resumed(w, tc, peer): the invariants of a ticket that
 * ${tc}'s ticket parser accepted, leaving ${peer}: it carries the agent
 * certificate whose full handshake issued tickets (byte for byte: any
 * other is a forgery), authenticated within the ticket lifetime, now in
 * its validity period, not revoked, chaining to the CA under ${tc}'s CRL
 * (which must not be past its nextUpdate), with a name that agent_names
 * admits.  Aborts if one fails.
 */
void tls_world_check_resumed(const struct tls_world *w,
    const struct tls_conf *tc, const struct tls_resumed *peer);

#endif /* GW_SUPPORT_TLS_WORLD_H */
