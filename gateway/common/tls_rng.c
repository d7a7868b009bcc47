/*
 * tls_rng.c: the process's one DRBG, below tls_conf (its configurations'
 * f_rng) and tls_ticket (ticket keys and nonces).  A process forked from
 * it (gatewayd's workers) inherits its state: its first draw reseeds it
 * from the system's entropy, or every child would repeat the same stream
 * (the same ServerHello randoms, the same ticket nonces under the keys
 * the workers share).  PSA's own generator (TLS 1.3's key shares) draws
 * apart in each child as it is (test_tls_rng).
 */
#include <stdio.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <psa/crypto.h>

#include "tls_rng.h"

/* One process-wide DRBG: every program here is one single-threaded loop. */
static mbedtls_entropy_context tls_entropy;
static mbedtls_ctr_drbg_context tls_drbg;
static int tls_rng_ready;
static pid_t tls_rng_pid;		/* the process that seeded it last */

/**
 * tls_rng_setup(err, errlen): seed the process's DRBG (tls_conf_new does
 * it too).  Return 0, or -1 with the reason in ${err}.
 */
int
tls_rng_setup(char *err, size_t errlen)
{
	static const char pers[] = "gatewayd tls";
	int rc;

	if (tls_rng_ready)
		return 0;
	if (psa_crypto_init() != PSA_SUCCESS) {
		snprintf(err, errlen, "psa_crypto_init failed");
		return -1;
	}
	mbedtls_entropy_init(&tls_entropy);
	mbedtls_ctr_drbg_init(&tls_drbg);
	rc = mbedtls_ctr_drbg_seed(&tls_drbg, mbedtls_entropy_func,
	    &tls_entropy, (const unsigned char *)pers, sizeof(pers) - 1);
	if (rc != 0) {
		snprintf(err, errlen, "seeding the DRBG failed: -0x%04x", -rc);
		return -1;
	}
	tls_rng_ready = 1;
	tls_rng_pid = getpid();
	return 0;
}

/** tls_rng(unused, out, len): mbedTLS f_rng on the process's DRBG. */
int
tls_rng(void *unused, unsigned char *out, size_t len)
{
	pid_t pid = getpid();
	int rc;

	(void)unused;
	if (pid != tls_rng_pid) {	/* forked: not the parent's stream */
		if ((rc = mbedtls_ctr_drbg_reseed(&tls_drbg, NULL, 0)) != 0)
			return rc;
		tls_rng_pid = pid;
	}
	return mbedtls_ctr_drbg_random(&tls_drbg, out, len);
}
