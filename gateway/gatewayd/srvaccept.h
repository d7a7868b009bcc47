/*
 * srvaccept.h: [upstream] mode = accept: gatewayd listens on [upstream]
 * listen for the management servers that dial in (mutual TLS: their
 * certificates chain to [upstream] ca), ranks each by its certificate name
 * (its position in [upstream] server) and hands the connection to
 * servers.c (servers_take), where it becomes a link like a dialed one.
 *
 * Its state is its part of struct gw (gw->srvaccept): made by
 * srvaccept_new, written by srvaccept.c alone, freed by srvaccept_free.
 */
#ifndef GW_SRVACCEPT_H
#define GW_SRVACCEPT_H

#include <mbedtls/x509_crt.h>

struct gw;
struct srvaccept;

/* Server handshakes in progress at once, at most (more wait). */
#define SRVACCEPT_HANDSHAKES	8

/**
 * srvaccept_rank(crt, names, n): the index of the first of the ${n}
 * ${names} that certificate ${crt} names (one of its DNS SANs if it has a
 * SAN extension, else its CN; equal but for case, no wildcard), or -1 if
 * none, or if ${crt} is no server's: without the serverAuth extended key
 * usage (an agent's certificate of the same CA, clientAuth only, must not
 * pass for a management server).
 */
int srvaccept_rank(const mbedtls_x509_crt *crt, char *const *names,
    unsigned n);

/**
 * srvaccept_new(gw, err, errlen): listen on [upstream] listen of
 * gw->cfg; NULL with the reason in ${err} on failure.
 */
struct srvaccept *srvaccept_new(struct gw *gw, char *err, size_t errlen);

/** srvaccept_start(sa): accept; srvaccept_start(NULL) is a no-op. */
void srvaccept_start(struct srvaccept *sa);

/**
 * srvaccept_reload(sa): a reload: the listener's limits from the new
 * gw->cfg; srvaccept_reload(NULL) is a no-op.
 */
void srvaccept_reload(struct srvaccept *sa);

/**
 * srvaccept_free(sa): stop listening and free ${sa} (handshakes in
 * progress are closed first: conn_close); srvaccept_free(NULL) is a
 * no-op.
 */
void srvaccept_free(struct srvaccept *sa);

#endif /* !GW_SRVACCEPT_H */
