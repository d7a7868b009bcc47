/*
 * renew.h: automatic certificate renewal in a streaming gw-agent.  When
 * less than a share of the certificate's validity is left, a new key (of
 * the current key's type and size) and CSR go over the open session
 * (ENROLL, authenticated by the current certificate: no token); the answer
 * is installed without dropping the session and used from the next
 * connection on.
 *
 * Install order, so that a crash never leaves a key and a certificate that
 * do not match: KEY.new (0600), then CERT (atomic), then KEY.new -> KEY.
 * renew_recover() finishes or discards an install a crash interrupted.
 */
#ifndef GW_RENEW_H
#define GW_RENEW_H

#include <ev.h>

#include "client_session.h"
#include "frame.h"
#include "tls_conf.h"

struct renew;

struct renew_params {
	struct ev_loop		*loop;
	struct client_session	*sess;
	const char		*key, *cert, *ca;
	double			 share;		/* renew below this share */
	struct tls_conf		**tls;		/* the agent's, replaced */
};

/**
 * renew_recover(key, cert): before the TLS files are loaded: if KEY.new
 * exists, put it in place when CERT matches it, else delete it.
 */
void renew_recover(const char *key, const char *cert);

/** renew_new(p): a renewer (NULL on ENOMEM); it acts from renew_open. */
struct renew *renew_new(const struct renew_params *p);

/** renew_open(r): a session opened: renew now if it is time. */
void renew_open(struct renew *r);

/** renew_result(r, res): ENROLL_RESULT of our request. */
void renew_result(struct renew *r, const struct gw_enroll_result *res);

/** renew_free(r): stop and free ${r}; NULL is a no-op. */
void renew_free(struct renew *r);

#endif /* GW_RENEW_H */
