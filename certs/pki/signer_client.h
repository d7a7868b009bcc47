/*
 * signer_client.h: the client of gw-signer, the signing authority
 * (authority.h) in a process of its own, so that the process that parses
 * agents' or gateways' bytes never holds the CA key, nor even the code
 * that signs: this side only starts the signer and talks to it.
 * signer_client_open() runs the program gw-signer (gw_signer.c: beside
 * the running program, as in a build tree, else GW_SIGNER_RELPATH from
 * its directory, ../libexec/gatewayd/gw-signer when installed) as
 * "PROG-signer SIGNER_ARG USER DIR NAMES HOOK" and the ten numbers
 * of struct authority_params, with one end of a SOCK_SEQPACKET socketpair
 * as descriptor SIGNER_FD and no other; that "signer" drops to
 * its own user if one is given, opens the authority (it alone reads
 * DIR/ca.key) and answers requests in its own libev loop.  The interface
 * is the authority's: submit, then one callback, unless cancelled.
 *
 * On the socketpair: one message is one frame of the project's codec
 * (frame.h).  The parent sends ENROLL (ref: its own request id) followed,
 * in the same message, by the bytes of the requester's "via" name; the
 * signer answers ENROLL_RESULT with that ref.  Once, at start, the signer
 * sends "ok" or the error that stopped it.  The parent treats the
 * signer's bytes as untrusted: a message that does not decode as an
 * ENROLL_RESULT ends the signer; a result for an unknown ref is logged
 * and ignored.
 *
 * The signer is started once, before the parent drops privileges.  If it
 * dies, every request in flight and every later one is refused (internal)
 * and the death is logged; the parent keeps running and serving its other
 * work.  It is not restarted: the parent can no longer start a process
 * that may read the key, which is the point.  Restart the program.
 */
#ifndef GW_SIGNER_CLIENT_H
#define GW_SIGNER_CLIENT_H

#include <stddef.h>

#include "authority_msg.h"

/* argv[1] of the signer process. */
#define SIGNER_ARG	"--authority-signer"
#define SIGNER_NARGS	16		/* its argc */
#define SIGNER_FD	3		/* its end of the socketpair */
#define SIGNER_MSG_MAX	(128 * 1024)	/* one message, either way */
#define SIGNER_VIA_MAX	255		/* after the ENROLL frame */

struct signer_client;

/**
 * signer_client_open(p, user, err, errlen): start the signer with the
 * authority of ${p} (its loop is the caller's, for the signer's socket)
 * as ${user} (NULL: the caller's user) and wait until it has opened the
 * authority.  NULL on error, with "what: why" in ${err}.
 */
struct signer_client *signer_client_open(const struct authority_params *p,
    const char *user, char *err, size_t errlen);

/**
 * signer_client_submit(ap, req, cb, arg): send ${req} to the signer and
 * call ${cb}(res, ${arg}) exactly once with its answer, unless
 * signer_client_cancel(${arg}) comes first.  A request that cannot be
 * sent (too many in flight, the socket full, the signer gone) is refused
 * (overload or internal) before this returns.
 */
void signer_client_submit(struct signer_client *ap,
    const struct authority_req *req, authority_cb cb, void *arg);

/** signer_client_cancel(ap, arg): the requester ${arg} is gone. */
void signer_client_cancel(struct signer_client *ap, void *arg);

/**
 * signer_client_close(ap): stop the signer (it kills its running hooks)
 * and wait for it; answer nothing more; free ${ap}.  NULL is a no-op.
 */
void signer_client_close(struct signer_client *ap);

#endif /* GW_SIGNER_CLIENT_H */
