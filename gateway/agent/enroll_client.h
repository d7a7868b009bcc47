/*
 * enroll_client.h: gw-agent's enrollment client (PROTOCOL.md 9.11).  The key is
 * made here and written (0600) before anything is sent; the gateway must
 * prove it chains to the CA whose SHA-256 fingerprint we were given before
 * we send even HELLO; the certificate is checked (our key, our name, the
 * pinned CA) before it is written.  A pending request's id is kept in
 * CERT.request, so running the same command again polls for it.
 */
#ifndef GW_ENROLL_CLIENT_H
#define GW_ENROLL_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <ev.h>
#include <mbedtls/pk.h>

#include "frame.h"

/* Exit statuses: 0 issued, 1 failed, 3 refused, 4 still pending. */
#define ENROLL_OK		0
#define ENROLL_FAILED		1
#define ENROLL_REFUSED		3
#define ENROLL_PENDING		4

struct enroll_params {
	const char	*addr;		/* the enrollment listener "ip:port" */
	const char	*pin;		/* CA SHA-256, hex (colons allowed) */
	const char	*name;		/* the CN asked for */
	const char	*token;		/* bootstrap token, or NULL */
	const char	*key, *cert, *ca;	/* files to write */
	double		 wait;		/* keep polling this long (0: no) */
	unsigned	 rsa_bits;	/* 0: ECDSA, see ec_bits */
	unsigned	 ec_bits;	/* 0 or 256: P-256, 384: P-384 */
};

/**
 * enroll_client_run(loop, p): enroll as ${p} says, running ${loop} until done;
 * messages go to stderr.  Return an ENROLL_* status.
 */
int enroll_client_run(struct ev_loop *loop, const struct enroll_params *p);

/**
 * enroll_client_install(res, key, name, ca_file, cert_path, err, errlen): check
 * issued result ${res} (its leaf has ${key}'s public key and CN ${name},
 * and chains to the CA in ${ca_file}) and write it to ${cert_path} (0644,
 * atomically).  0 or -1.
 */
int enroll_client_install(const struct gw_enroll_result *res,
    mbedtls_pk_context *key, const char *name, const char *ca_file,
    const char *cert_path, char *err, size_t errlen);

#endif /* GW_ENROLL_CLIENT_H */
