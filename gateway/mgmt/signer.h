/*
 * signer.h: the management server's side of enrollment (signer.c): the
 * requests gateways forward (ENROLL) go to the signing authority of
 * [enroll]; ENROLL_RESULT goes back on the link they came on.
 */
#ifndef GW_MGMT_SIGNER_H
#define GW_MGMT_SIGNER_H

#include <stddef.h>

struct gw_frame;
struct link;
struct mgmt;

/**
 * signer_init(m, err, errlen): open the signing authority of [enroll]
 * (nothing if ca_dir is unset).  0, or -1 with ${err}.
 */
int signer_init(struct mgmt *m, char *err, size_t errlen);

/**
 * signer_request(m, l, f): ENROLL ${f} from link ${l}: hand it to the
 * authority; ENROLL_RESULT goes back on ${l} (now or when decided).
 */
void signer_request(struct mgmt *m, struct link *l, const struct gw_frame *f);

/** signer_link_gone(m, l): forget the requests of closing link ${l}. */
void signer_link_gone(struct mgmt *m, struct link *l);

/** signer_free(m): forget every request, close the authority. */
void signer_free(struct mgmt *m);

#endif /* GW_MGMT_SIGNER_H */
