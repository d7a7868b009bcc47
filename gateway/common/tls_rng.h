/*
 * tls_rng.h: the process's one DRBG (CTR_DRBG seeded from the platform's
 * entropy), the f_rng that every TLS configuration and the ticket keys
 * draw from.  Every program here is one single-threaded loop.
 */
#ifndef GW_TLS_RNG_H
#define GW_TLS_RNG_H

#include <stddef.h>

/**
 * tls_rng_setup(err, errlen): seed the process's DRBG (tls_conf_new does
 * it too).  Return 0, or -1 with the reason in ${err}.
 */
int tls_rng_setup(char *err, size_t errlen);

/** tls_rng(unused, out, len): mbedTLS f_rng on the process's DRBG. */
int tls_rng(void *unused, unsigned char *out, size_t len);

#endif
