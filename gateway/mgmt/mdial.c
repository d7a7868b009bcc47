/*
 * mdial.c: gw-mgmt dials its gateways.  One slot per link ([gateways]
 * links for each address of [gateways] dial), each either dialing or
 * connected (busy: link.c holds its link) or waiting for its retry timer.
 * A link that closes, or a dial that fails, is dialed again after a delay
 * drawn by failover.c's backoff (full jitter, from backoff_min doubling up
 * to backoff_max with each failure in a row; a link that became ready
 * starts the count again).  The gateway's certificate must chain to
 * gateway_ca and name the host dialed (or [gateways] server_name); link.c
 * then holds it to gateway_names and [scope] as any gateway.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failover.h"
#include "link.h"
#include "log.h"
#include "mdial.h"
#include "mgmt.h"
#include "tls_conf.h"

#define MDIAL_MAGIC	0x4d446c72u	/* "MDlr" */
#define MDIAL_SLOT_MAGIC 0x4d44536cu	/* "MDSl" */

struct mdial_slot {
	unsigned		 magic;		/* MDIAL_SLOT_MAGIC */
	struct mdial		*d;
	char			*addr;		/* the gateway's HOST:PORT */
	unsigned		 no;		/* its link number, for logs */
	int			 busy;		/* link.c holds its link */
	unsigned		 fails;		/* in a row */
	ev_timer		 retry;
};

struct mdial {
	unsigned		 magic;		/* MDIAL_MAGIC */
	struct mgmt		*m;
	struct tls_conf		*tls;		/* client side */
	struct mdial_slot	*slots;
	unsigned		 nslots;
	int			 stopping;
};

static struct mdial_slot *
mdial_slot_of(void *arg)
{
	struct mdial_slot *s = arg;

	if (s == NULL || s->magic != MDIAL_SLOT_MAGIC)
		abort();
	return s;
}

/* The client TLS configuration of ${m}'s configuration, or NULL. */
static struct tls_conf *
mdial_tls(const struct mgmt *m, char *err, size_t errlen)
{
	const struct mgmt_config *cfg = m->cfg;
	struct tls_conf_params tp = { .cert = cfg->cert, .key = cfg->key,
	    .ca = cfg->gateway_ca, .crl = cfg->crl, .server = 0,
	    .tls12 = cfg->tls12 };

	return tls_conf_new(&tp, err, errlen);
}

static void mdial_try(struct mdial_slot *s);

/* Dial ${s} again after the backoff of its failures in a row. */
static void
mdial_later(struct mdial_slot *s)
{
	const struct mgmt_config *cfg = s->d->m->cfg;
	struct fo_policy pol;
	uint32_t rnd = (uint32_t)random() ^ ((uint32_t)random() << 16);
	double delay;

	if (s->d->stopping)
		return;
	fo_policy_init(&pol, cfg->dial_backoff_min, cfg->dial_backoff_max,
	    -1, 0, 0);
	delay = fo_backoff(&pol, ++s->fails, rnd);
	log_debug("event=gateway_dial_retry addr=%s link=%u fails=%u "
	    "retry_in=%.3f", s->addr, s->no, s->fails, delay);
	ev_timer_stop(s->d->m->loop, &s->retry);
	ev_timer_set(&s->retry, delay, 0.);
	ev_timer_start(s->d->m->loop, &s->retry);
}

/* link_owner: the gateway answered HELLO_ACK: the failures are over. */
static void
mdial_on_ready(void *arg)
{
	mdial_slot_of(arg)->fails = 0;
}

/* link_owner: the link closed: dial again. */
static void
mdial_on_gone(void *arg)
{
	struct mdial_slot *s = mdial_slot_of(arg);

	s->busy = 0;
	mdial_later(s);
}

static const struct link_owner mdial_owner = {
	.on_ready = mdial_on_ready,
	.on_gone = mdial_on_gone,
};

/* Dial ${s}'s gateway; a failure at once is retried later. */
static void
mdial_try(struct mdial_slot *s)
{
	struct mdial *d = s->d;

	if (d->stopping || s->busy)
		return;
	s->busy = 1;	/* before: on_gone may come (never at once) */
	if (link_dial(d->m, s->addr, d->tls, d->m->cfg->dial_server_name,
	    &mdial_owner, s) != 0) {
		s->busy = 0;
		mdial_later(s);
	}
}

static void
mdial_on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	mdial_try(mdial_slot_of(w->data));
}

/* Fill ${d}'s slots: [gateways] links for each address of dial. */
static int
mdial_slots(struct mdial *d, const char *list)
{
	char *copy, *tok, *save = NULL;
	unsigned k = d->m->cfg->dial_links, n = 0;

	if ((copy = strdup(list)) == NULL)
		return -1;
	for (tok = strtok_r(copy, ", \t", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t", &save))
		n++;
	free(copy);
	if ((d->slots = calloc((size_t)n * k, sizeof(*d->slots))) == NULL ||
	    (copy = strdup(list)) == NULL)
		return -1;
	for (tok = strtok_r(copy, ", \t", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t", &save))
		for (unsigned j = 0; j < k; j++) {
			struct mdial_slot *s = &d->slots[d->nslots];

			if ((s->addr = strdup(tok)) == NULL) {
				free(copy);
				return -1;
			}
			s->magic = MDIAL_SLOT_MAGIC;
			s->d = d;
			s->no = j;
			ev_timer_init(&s->retry, mdial_on_retry, 0., 0.);
			s->retry.data = s;
			d->nslots++;
		}
	free(copy);
	return 0;
}

/**
 * mdial_new(m, err, errlen): the dialer of m->cfg's [gateways] (its client
 * TLS configuration: [mgmt] cert, key, gateway_ca, crl); NULL with the
 * reason in ${err} (out of memory, a file that does not load).
 */
struct mdial *
mdial_new(struct mgmt *m, char *err, size_t errlen)
{
	struct mdial *d;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->magic = MDIAL_MAGIC;
	d->m = m;
	if ((d->tls = mdial_tls(m, err, errlen)) == NULL) {
		free(d);
		return NULL;
	}
	if (mdial_slots(d, m->cfg->dial) != 0) {
		snprintf(err, errlen, "out of memory");
		mdial_free(d);
		return NULL;
	}
	return d;
}

/** mdial_start(d): dial every link now; mdial_start(NULL) is a no-op. */
void
mdial_start(struct mdial *d)
{
	if (d == NULL)
		return;
	for (unsigned i = 0; i < d->nslots; i++)
		mdial_try(&d->slots[i]);
}

/**
 * mdial_reload(d, err, errlen): SIGHUP: the client TLS configuration
 * again from m->cfg (a new crl; new dials use it).  0, or -1 with the
 * reason in ${err} (the old one stays).  mdial_reload(NULL, ...) is 0.
 */
int
mdial_reload(struct mdial *d, char *err, size_t errlen)
{
	struct tls_conf *tls;

	if (d == NULL)
		return 0;
	if ((tls = mdial_tls(d->m, err, errlen)) == NULL)
		return -1;
	tls_conf_free(d->tls);	/* live links keep their refs */
	d->tls = tls;
	return 0;
}

/**
 * mdial_stop(d): dial no more (the links close after it, and are not
 * dialed again); mdial_stop(NULL) is a no-op.
 */
void
mdial_stop(struct mdial *d)
{
	if (d == NULL)
		return;
	d->stopping = 1;
	for (unsigned i = 0; i < d->nslots; i++)
		ev_timer_stop(d->m->loop, &d->slots[i].retry);
}

/**
 * mdial_free(d): free ${d}, once its links are closed (mdial_stop, then
 * link_stop_all); mdial_free(NULL) is a no-op.
 */
void
mdial_free(struct mdial *d)
{
	if (d == NULL)
		return;
	mdial_stop(d);
	for (unsigned i = 0; i < d->nslots; i++) {
		free(d->slots[i].addr);
		d->slots[i].magic = 0;
	}
	free(d->slots);
	tls_conf_free(d->tls);
	d->magic = 0;
	free(d);
}
