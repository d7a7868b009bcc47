/*
 * signer.h: the management server's side of enrollment (signer.c): the
 * requests gateways forward (ENROLL) go to the signing authority of
 * [enroll]; ENROLL_RESULT goes back up through the reply callback of the
 * request (link.c's: on the link it came on).  signer.c knows no link.
 */
#ifndef GW_MGMT_SIGNER_H
#define GW_MGMT_SIGNER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "proto.h"

struct signer_client;
struct gw_frame;
struct mgmt;
struct signer_req;

/* The signer's part of struct mgmt (mgmt.signer): signer.c alone writes it. */
struct signer {
	struct signer_client		*auth;		/* or NULL */
	TAILQ_HEAD(, signer_req)	 pending;	/* waiting for it */
	uint64_t	 answers[GW_ENROLL_STATUS_MAX + 1];	/* by status */
};

/*
 * Where an answer goes: send ENROLL_RESULT ${f} back where the request
 * came from; 0, or -1 if it does not fit (the signer logs that).  ${arg}
 * is the caller's and must check its magic.
 */
typedef int signer_reply_fn(void *arg, const struct gw_frame *f);

/**
 * signer_new(m, err, errlen): the signer's part of ${m}, for its owner to
 * store in m->signer; it opens the signing authority of [enroll] of
 * m->cfg on m->loop (none if ca_dir is unset).  NULL with ${err} if it
 * cannot.
 */
struct signer *signer_new(struct mgmt *m, char *err, size_t errlen);

/**
 * signer_request(m, f, via, reply, arg): ENROLL ${f} from gateway ${via}:
 * hand it to the authority; ENROLL_RESULT goes to ${reply}(${arg}) (now
 * or when decided).  ${via} and ${arg} must live until
 * signer_forget(${m}, ${arg}).
 */
void signer_request(struct mgmt *m, const struct gw_frame *f,
    const char *via, signer_reply_fn *reply, void *arg);

/** signer_forget(m, arg): forget the requests answered to ${arg}. */
void signer_forget(struct mgmt *m, const void *arg);

/**
 * signer_free(s): forget every request of ${s}, close its authority, free
 * ${s}; NULL-safe.
 */
void signer_free(struct signer *s);

#endif /* GW_MGMT_SIGNER_H */
