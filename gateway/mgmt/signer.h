/*
 * signer.h: the management server's side of enrollment (signer.c): the
 * requests gateways forward (ENROLL) go to the signing authority of
 * [enroll]; ENROLL_RESULT goes back up through the reply callback of the
 * request (link.c's: on the link it came on).  signer.c knows no link.
 */
#ifndef GW_MGMT_SIGNER_H
#define GW_MGMT_SIGNER_H

#include <stddef.h>
#include <sys/queue.h>

struct signer_client;
struct gw_frame;
struct mgmt;
struct signer_req;

/* The signer's part of struct mgmt (mgmt.signer): signer.c alone writes it. */
struct signer {
	struct signer_client		*auth;		/* or NULL */
	TAILQ_HEAD(, signer_req)	 pending;	/* waiting for it */
};

/*
 * Where an answer goes: send ENROLL_RESULT ${f} back where the request
 * came from; 0, or -1 if it does not fit (the signer logs that).  ${arg}
 * is the caller's and must check its magic.
 */
typedef int signer_reply_fn(void *arg, const struct gw_frame *f);

/**
 * signer_init(m, err, errlen): set up the signer's part of ${m}
 * (m->signer); open the signing authority of [enroll] (nothing if ca_dir
 * is unset).  0, or -1 with ${err}.
 */
int signer_init(struct mgmt *m, char *err, size_t errlen);

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
 * signer_free(m): forget every request, close the authority, free what
 * signer_init set up; nothing if it did not.
 */
void signer_free(struct mgmt *m);

#endif /* GW_MGMT_SIGNER_H */
