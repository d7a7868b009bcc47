/*
 * gen_tls.h: recorded client transcripts for the fuzz_tls seeds.
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

#endif /* GW_FUZZ_GEN_TLS_H */
