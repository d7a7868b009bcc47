/*
 * gen_tls.h: recorded client transcripts for the fuzz_tls seeds, and
 * real tickets for the fuzz_ticket seeds.
 */
#ifndef GW_FUZZ_GEN_TLS_H
#define GW_FUZZ_GEN_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "tls_world.h"

/**
 * gen_tls_transcript(w, which, client, app, applen, out, cap, outlen):
 * run ${client} against server ${which} of ${w} in memory, then send
 * ${applen} bytes of ${app}; the client's bytes go to ${out}.  0 once the
 * handshake completed and ${app} was written, or -1.
 */
int gen_tls_transcript(const struct tls_world *w, enum tls_world_server which,
    const struct tls_conf *client, const uint8_t *app, size_t applen,
    uint8_t *out, size_t cap, size_t *outlen);

/**
 * gen_tls_ticket(w, ticket, cap, tlen, hello, hcap, hlen): a full TLS 1.3
 * handshake of the world's agent with the agent port, whose ticket (as
 * the agent holds it) goes to ${ticket}; then the same agent resumes from
 * it, recorded into ${hello} (its ClientHello carries the ticket).  0 once
 * the server took the ticket for that agent's certificate, or -1.
 */
int gen_tls_ticket(const struct tls_world *w, uint8_t *ticket, size_t cap,
    size_t *tlen, uint8_t *hello, size_t hcap, size_t *hlen);

/**
 * gen_tls_sealed(w, ticket, tlen, crt, auth, out, cap, outlen): the
 * session of ${ticket} (one of gen_tls_ticket's) sealed again by the
 * world's ticket keys (tls_ticket_write) with the peer ${crt} (NULL: none)
 * authenticated at ${auth}, as a resumed session carries its peer on.
 * 0 or -1.
 */
int gen_tls_sealed(const struct tls_world *w, const uint8_t *ticket,
    size_t tlen, mbedtls_x509_crt *crt, int64_t auth, uint8_t *out,
    size_t cap, size_t *outlen);

#endif /* GW_FUZZ_GEN_TLS_H */
