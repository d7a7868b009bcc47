/*
 * mdial.h: gw-mgmt dials its gateways ([gateways] dial: gatewayd's
 * [upstream] mode = accept): it keeps [gateways] links links to each,
 * dialing again with backoff, and hands each connection to link.c
 * (link_dial), which handles it exactly as an accepted one.
 *
 * Its state is its part of struct mgmt (m->dial): made by mdial_new,
 * written by mdial.c alone, freed by mdial_free.
 */
#ifndef GW_MGMT_MDIAL_H
#define GW_MGMT_MDIAL_H

#include <stddef.h>

struct mdial;
struct mgmt;
struct tls_conf;

/**
 * mdial_new(m, err, errlen): the dialer of m->cfg's [gateways] (its client
 * TLS configuration: [mgmt] cert, key, gateway_ca, crl); NULL with the
 * reason in ${err} (out of memory, a file that does not load).
 */
struct mdial *mdial_new(struct mgmt *m, char *err, size_t errlen);

/** mdial_start(d): dial every link now; mdial_start(NULL) is a no-op. */
void mdial_start(struct mdial *d);

/**
 * mdial_reload(d, err, errlen): SIGHUP: the client TLS configuration
 * again from m->cfg (a new crl; new dials use it).  0, or -1 with the
 * reason in ${err} (the old one stays).  mdial_reload(NULL, ...) is 0.
 */
int mdial_reload(struct mdial *d, char *err, size_t errlen);

/**
 * mdial_stop(d): dial no more (the links close after it, and are not
 * dialed again); mdial_stop(NULL) is a no-op.
 */
void mdial_stop(struct mdial *d);

/**
 * mdial_free(d): free ${d}, once its links are closed (mdial_stop, then
 * link_stop_all); mdial_free(NULL) is a no-op.
 */
void mdial_free(struct mdial *d);

#endif /* !GW_MGMT_MDIAL_H */
