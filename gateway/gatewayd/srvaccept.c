/*
 * srvaccept.c: the management servers that dial in ([upstream] mode =
 * accept).  A listener of its own (listener.c: the lobby, a rate, and
 * admission control: at most SRVACCEPT_HANDSHAKES handshakes at once, the
 * next ones wait in the backlog), each handshake bounded by
 * handshake_timeout.  Once one is done, the server's certificate (chained
 * to [upstream] ca by TLS) must name one of [upstream] server: that
 * position is its rank, which a hostile server cannot claim better than
 * its certificate says.  Then the connection goes to servers.c
 * (servers_take), which gives it to a link (upstream_adopt: HELLO first,
 * as always).  A certificate that names no server is refused, logged with
 * the reason.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <mbedtls/oid.h>

#include "conn.h"
#include "gw.h"
#include "identity.h"
#include "listener.h"
#include "log.h"
#include "servers.h"
#include "srvaccept.h"
#include "upstream.h"

#define SRVACCEPT_MAGIC		0x53724163u	/* "SrAc" */
#define SRVACCEPT_RATE		20.0	/* new connections per second */
#define SRVACCEPT_PER_SOURCE	5.0	/* ... from one address */
#define SRVACCEPT_SILENT	64	/* not spoken yet, at most */
#define SRVACCEPT_SILENT_SOURCE	8	/* ... from one address */

struct srvaccept {
	unsigned		 magic;		/* SRVACCEPT_MAGIC */
	struct gw		*gw;
	struct listener		*l;
	struct conn		*hs[SRVACCEPT_HANDSHAKES];	/* in progress */
	unsigned		 handshakes;	/* on hs */
	uint64_t		 accepted, refused;
};

/* ${arg} of a callback: the live part, or abort (a bug). */
static struct srvaccept *
srvaccept_of(void *arg)
{
	struct srvaccept *sa = arg;

	if (sa == NULL || sa->magic != SRVACCEPT_MAGIC)
		abort();
	return sa;
}

/* ${len} bytes at ${p} are ${name} exactly, but for case. */
static int
srvaccept_same(const unsigned char *p, size_t len, const char *name)
{
	return len == strlen(name) && strncasecmp((const char *)p, name,
	    len) == 0;
}

/*
 * 1 if ${crt} names ${name}: one of its DNS SANs if it has a SAN
 * extension, else its CN, equal but for case.  No wildcard: a server
 * that dials in picks its rank by its certificate, and a certificate for
 * "*.corp" must not take every listed name of that domain.
 */
static int
srvaccept_names(const mbedtls_x509_crt *crt, const char *name)
{
	const mbedtls_x509_sequence *s;
	const mbedtls_x509_name *n;

	if (mbedtls_x509_crt_has_ext_type(crt,
	    MBEDTLS_X509_EXT_SUBJECT_ALT_NAME)) {
		for (s = &crt->subject_alt_names; s != NULL &&
		    s->buf.p != NULL; s = s->next)
			if (s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC |
			    MBEDTLS_X509_SAN_DNS_NAME) &&
			    srvaccept_same(s->buf.p, s->buf.len, name))
				return 1;
		return 0;
	}
	for (n = &crt->subject; n != NULL; n = n->next)
		if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0)
			return srvaccept_same(n->val.p, n->val.len, name);
	return 0;
}

/**
 * srvaccept_rank(crt, names, n): the index of the first of the ${n}
 * ${names} that certificate ${crt} names (one of its DNS SANs if it has a
 * SAN extension, else its CN; equal but for case, no wildcard), or -1 if
 * none, or if ${crt} is no server's: without the serverAuth extended key
 * usage (an agent's certificate of the same CA, clientAuth only, must not
 * pass for a management server).
 */
int
srvaccept_rank(const mbedtls_x509_crt *crt, char *const *names, unsigned n)
{
	if (!mbedtls_x509_crt_has_ext_type(crt,
	    MBEDTLS_X509_EXT_EXTENDED_KEY_USAGE) ||
	    mbedtls_x509_crt_check_extended_key_usage(crt,
	    MBEDTLS_OID_SERVER_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH))
	    != 0)
		return -1;
	for (unsigned i = 0; i < n; i++)
		if (srvaccept_names(crt, names[i]))
			return (int)i;
	return -1;
}

/* ${c} is no longer a handshake of ${sa}: its slot and its turn go. */
static void
srvaccept_forget(struct srvaccept *sa, struct conn *c)
{
	for (unsigned i = 0; i < SRVACCEPT_HANDSHAKES; i++)
		if (sa->hs[i] == c) {
			sa->hs[i] = NULL;
			sa->handshakes--;
			listener_admit(sa->l);
			return;
		}
}

/* A server's handshake is done: rank it by its name, hand it on. */
static int
srvaccept_on_open(struct conn *c, void *arg)
{
	struct srvaccept *sa = srvaccept_of(arg);
	const struct gw_config *cfg = sa->gw->cfg;
	const mbedtls_x509_crt *crt = conn_peer_crt(c);
	struct id_info id;
	char en[LOG_ESC_MAX];
	int rank;

	if (crt == NULL || (rank = srvaccept_rank(crt, cfg->servers,
	    cfg->nservers)) < 0) {
		if (crt == NULL || id_from_crt(crt, conn_peer(c), &id) != 0)
			snprintf(id.name, sizeof(id.name), "?");
		sa->refused++;
		log_warnx("event=server_refused peer=%s name=\"%s\" "
		    "reason=\"its certificate names no [upstream] server, or "
		    "has no serverAuth\"",
		    conn_peer(c), log_esc(en, sizeof(en), id.name,
		    LOG_ESC_STR, 0));
		conn_close_error(c, GW_R_POLICY, "your certificate names no "
		    "[upstream] server of this gateway");
		return CONN_CLOSED_RC;
	}
	srvaccept_forget(sa, c);
	sa->accepted++;
	log_info("event=server_dialed_in server=%s rank=%d peer=%s tls=%s",
	    cfg->servers[rank], rank + 1, conn_peer(c), conn_tls_info(c));
	return servers_take(sa->gw, c, rank) == 0 ? CONN_OK : CONN_CLOSED_RC;
}

static void
srvaccept_on_timeout(struct conn *c, void *arg)
{
	(void)srvaccept_of(arg);
	conn_close(c, GW_R_TIMEOUT, "handshake timeout");
}

/* A handshake failed or timed out (a refused name was logged). */
static void
srvaccept_on_close(struct conn *c, unsigned reason, const char *detail,
    void *arg)
{
	struct srvaccept *sa = srvaccept_of(arg);
	char ed[LOG_ESC_MAX];

	srvaccept_forget(sa, c);
	if (reason == GW_R_POLICY)
		return;
	sa->refused++;
	log_warnx("event=server_refused peer=%s reason=%s detail=\"%s\"",
	    conn_peer(c), gw_reason_str(reason), log_esc(ed, sizeof(ed),
	    detail, LOG_ESC_STR, 0));
}

static int
srvaccept_on_frame(struct conn *c, const struct gw_frame *f, void *arg)
{
	(void)f;
	(void)srvaccept_of(arg);
	conn_close(c, GW_R_UNEXPECTED, "frame before the handshake ended");
	return CONN_CLOSED_RC;
}

static const struct conn_ops srvaccept_conn_ops = {
	.on_open = srvaccept_on_open,
	.on_frame = srvaccept_on_frame,
	.on_timeout = srvaccept_on_timeout,
	.on_close = srvaccept_on_close,
};

/* The listener took a socket that spoke, with a handshake slot free. */
static void
srvaccept_on_accept(void *arg, int fd)
{
	struct srvaccept *sa = srvaccept_of(arg);
	struct conn_params p;
	struct conn *c;
	unsigned i;

	for (i = 0; i < SRVACCEPT_HANDSHAKES && sa->hs[i] != NULL; i++)
		;
	if (i == SRVACCEPT_HANDSHAKES) {	/* admission control failed? */
		log_errx("event=bug detail=\"no server handshake slot\"");
		close(fd);
		return;
	}
	upstream_conn_params(sa->gw, &p);
	/* (It may fail inside conn_accept, never end well there: a server
	 * side's handshake waits for the client's Finished.) */
	if ((c = conn_accept(sa->gw->loop, fd, sa->gw->srv_tls, &p,
	    &srvaccept_conn_ops, sa)) == NULL) {
		log_warnx("event=server_refused reason=overload "
		    "detail=\"cannot set up TLS\"");
		return;
	}
	if (conn_state(c) == CONN_CLOSED)
		return;
	sa->hs[i] = c;
	sa->handshakes++;
	conn_timer(c, sa->gw->cfg->handshake_timeout);
}

/* What the servers' listener accepts under gw->cfg. */
static struct listener_limits
srvaccept_limits(struct srvaccept *sa)
{
	const struct gw_config *cfg = sa->gw->cfg;

	/* Sockets beyond the handshakes wait in the lobby (admission). */
	return (struct listener_limits){ "servers", &sa->handshakes,
	    2 * SRVACCEPT_HANDSHAKES, SRVACCEPT_RATE, SRVACCEPT_PER_SOURCE,
	    &sa->handshakes, SRVACCEPT_HANDSHAKES, cfg->first_byte_timeout,
	    SRVACCEPT_SILENT, SRVACCEPT_SILENT_SOURCE, cfg->ipv6_prefix };
}

/**
 * srvaccept_new(gw, err, errlen): listen on [upstream] listen of
 * gw->cfg; NULL with the reason in ${err} on failure.
 */
struct srvaccept *
srvaccept_new(struct gw *gw, char *err, size_t errlen)
{
	struct listener_limits lim;
	struct srvaccept *sa;

	if ((sa = calloc(1, sizeof(*sa))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	sa->magic = SRVACCEPT_MAGIC;
	sa->gw = gw;
	lim = srvaccept_limits(sa);
	if ((sa->l = listener_new(gw->loop, &gw->limits, gw->cfg->up_listen,
	    &lim, srvaccept_on_accept, sa, err, errlen)) == NULL) {
		free(sa);
		return NULL;
	}
	return sa;
}

/** srvaccept_start(sa): accept; srvaccept_start(NULL) is a no-op. */
void
srvaccept_start(struct srvaccept *sa)
{
	if (sa != NULL)
		listener_start(sa->l);
}

/**
 * srvaccept_reload(sa): a reload: the listener's limits from the new
 * gw->cfg; srvaccept_reload(NULL) is a no-op.
 */
void
srvaccept_reload(struct srvaccept *sa)
{
	struct listener_limits lim;

	if (sa == NULL)
		return;
	lim = srvaccept_limits(sa);
	listener_set_limits(sa->l, &lim);
}

/**
 * srvaccept_free(sa): stop listening and free ${sa} (handshakes in
 * progress are closed first: conn_close); srvaccept_free(NULL) is a
 * no-op.
 */
void
srvaccept_free(struct srvaccept *sa)
{
	if (sa == NULL)
		return;
	listener_stop(sa->l);
	for (unsigned i = 0; i < SRVACCEPT_HANDSHAKES; i++)
		if (sa->hs[i] != NULL)
			conn_close(sa->hs[i], GW_R_SHUTDOWN, "gateway stopping");
	if (sa->accepted + sa->refused > 0)
		log_info("event=server_accept_stats accepted=%llu refused=%llu",
		    (unsigned long long)sa->accepted,
		    (unsigned long long)sa->refused);
	listener_free(sa->l);
	sa->magic = 0;
	free(sa);
}
