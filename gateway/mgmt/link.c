/*
 * link.c: one gateway connection to gw-mgmt, carrying many channels.
 * States: HANDSHAKE -> HELLO_WAIT -> READY -> CLOSED, one close with a
 * reason (conn_close -> link_on_close).  The gateway is authenticated by
 * its certificate (gateway_ca, crl, gateway_names) before any frame is
 * read.  Reading pauses while the output is short of room, so the ACKs a
 * commit owes always fit.  Its channels are mchan.c's (a struct mchan_set
 * per link): link.c hands them OPEN, DATA and CLOSE and sends what they
 * owe through struct mchan_ops.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/oid.h>

#include "conn.h"
#include "link.h"
#include "log.h"
#include "mchan.h"
#include "mgmt.h"
#include "signer.h"
#include "tls_conf.h"
#include "utf8.h"

#define LINK_OUT_CAP	(1024u * 1024)
/* Room kept for what one commit may owe: ACK or OPEN_ACK per item. */
#define LINK_RESERVE(m)	((size_t)(m)->cfg->batch_max * 2 * (GW_HDR_LEN + 8) \
			    + 16384)

enum link_state {
	LINK_HANDSHAKE,		/* calloc's: the first */
	LINK_HELLO_WAIT,
	LINK_READY,
	LINK_CLOSED
};

#define LINK_MAGIC	0x4d4c6e6bu	/* "MLnk" */

struct link {
	uint32_t		 magic;		/* LINK_MAGIC */
	struct mgmt		*m;
	struct conn		*c;
	enum link_state		 state;
	struct id_info		 id;		/* the gateway's identity */
	struct mchan_set	 chans;		/* mchan.c's */
	uint32_t		 max_chan;	/* highest channel opened */
	uint32_t		 caps;		/* in use (HELLO_ACK's) */
	uint32_t		 peer_max;	/* the gateway's max_payload */
	uint64_t		 frames_in;
	uint64_t		 seen_ignored;	/* SEEN ids not its open ones */
	const struct link_owner	*own;		/* dialed: mdial.c; or NULL */
	void			*own_arg;
	char			 dialed[96];	/* dialed: the address */
	TAILQ_ENTRY(link)	 entry;
};

static const char *
link_state_str(enum link_state s)
{
	static const char *const names[] = {
		"handshake", "hello-wait", "ready", "closed"
	};

	return (unsigned)s < 4 ? names[s] : "?";
}

/* The only writer of a link's state: forward, and once to CLOSED. */
static void
link_set_state(struct link *l, enum link_state s)
{
	if (s != l->state + 1 && (s != LINK_CLOSED || l->state == s)) {
		log_errx("event=bug detail=\"link state %s to %s\"",
		    link_state_str(l->state), link_state_str(s));
		abort();
	}
	log_debug("event=link_state gateway=%s from=%s to=%s", l->id.name,
	    link_state_str(l->state), link_state_str(s));
	l->state = s;
}

/* What a conn callback is handed must be a live link. */
static struct link *
link_check(void *arg)
{
	struct link *l = arg;

	if (l == NULL || l->magic != LINK_MAGIC)
		abort();
	return l;
}

/*
 * Queue connection-level frame ${f} on ${l}; 0, or a negative code if it
 * does not fit (the caller decides what that means).
 */
static int
link_send(struct link *l, const struct gw_frame *f)
{
	return conn_send(l->c, f);
}

/* mchan_ops: what a channel sends goes on its link's connection. */
static int
link_mchan_send(void *arg, const struct gw_frame *f)
{
	return link_send(link_check(arg), f);
}

static void
link_mchan_notify_writable(void *arg)
{
	conn_notify_writable(link_check(arg)->c);
}

/*
 * mchan_ops: a COMMAND goes only if the gateway takes its size and it
 * leaves the room kept for what commits owe (LINK_RESERVE): it never
 * takes an ACK's place, and one that finds no room goes on a later round.
 */
static enum mcmd_sent
link_mchan_send_spare(void *arg, const struct gw_frame *f)
{
	struct link *l = link_check(arg);
	size_t len = (size_t)8 + f->u.data.body.len;

	if (len > l->peer_max)
		return MCMD_TOO_BIG;
	if (conn_out_space(l->c) < LINK_RESERVE(l->m) + GW_HDR_LEN + len ||
	    conn_send(l->c, f) != 0)
		return MCMD_NO_ROOM;
	return MCMD_SENT;
}

static const struct mchan_ops link_mchan_ops = {
	.send = link_mchan_send,
	.notify_writable = link_mchan_notify_writable,
	.send_spare = link_mchan_send_spare,
};

/**
 * link_all_new(): the links' part of a struct mgmt, for its owner to store
 * in m->links (beside the channels' part, mchan_all_new, and the commit's,
 * commit_new).  NULL if out of memory.
 */
struct link_all *
link_all_new(void)
{
	struct link_all *la;

	if ((la = calloc(1, sizeof(*la))) == NULL)
		return NULL;
	TAILQ_INIT(&la->all);
	mbedtls_x509_crl_init(&la->agent_crl);
	return la;
}

/**
 * link_all_free(la): free ${la} (every link is closed); NULL-safe.
 */
void
link_all_free(struct link_all *la)
{
	if (la == NULL)
		return;
	mbedtls_x509_crl_free(&la->agent_crl);
	free(la);
}

static int
link_on_open(struct conn *c, void *arg)
{
	struct link *l = link_check(arg);
	const mbedtls_x509_crt *crt = conn_peer_crt(c);

	l->c = c;	/* the handshake may end inside conn_accept */
	if (crt == NULL || id_from_crt(crt, conn_peer(c), &l->id) != 0) {
		conn_close(c, GW_R_POLICY, "certificate has no usable name");
		return CONN_CLOSED_RC;
	}
	if (!id_policy_match(l->m->cfg->gateway_names, l->id.name)) {
		conn_close(c, GW_R_POLICY, "name not allowed by gateway_names");
		return CONN_CLOSED_RC;
	}
	/*
	 * A gateway's certificate is also a TLS server's (gw-cert --role
	 * gateway: serverAuth and clientAuth); an agent's is a client's
	 * only.  From the same CA, an agent must not pass for a gateway:
	 * a gateway speaks for every agent behind it.  A certificate with no
	 * extended key usage at all (any use, to mbedTLS) is not one.
	 */
	if (!mbedtls_x509_crt_has_ext_type(crt,
	    MBEDTLS_X509_EXT_EXTENDED_KEY_USAGE) ||
	    mbedtls_x509_crt_check_extended_key_usage(crt,
	    MBEDTLS_OID_SERVER_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH))
	    != 0) {
		conn_close(c, GW_R_POLICY, "not a gateway certificate (no "
		    "serverAuth extended key usage: an agent's?)");
		return CONN_CLOSED_RC;
	}
	l->m->links->accepted++;
	link_set_state(l, LINK_HELLO_WAIT);
	log_info("event=gateway_authenticated gateway=%s peer=%s fp=%s tls=%s "
	    "scope=%s", l->id.name, conn_peer(c), l->id.fp_hex,
	    conn_tls_info(c), mgmt_config_scope(l->m->cfg, l->id.name) !=
	    NULL ? "configured" : l->m->cfg->nscopes > 0 ? "none" : "any");
	conn_timer(c, l->m->cfg->hello_timeout);
	return CONN_OK;
}

static int
link_hello(struct link *l, const struct gw_frame *f)
{
	struct gw_frame r = { .type = GW_T_HELLO_ACK };
	char text[200];

	if (f->type == GW_T_ERROR) {	/* a gateway we dialed refused us */
		snprintf(text, sizeof(text), "gateway sent ERROR before HELLO: "
		    "%s: %.*s", gw_reason_str(f->u.reason.code),
		    (int)f->u.reason.text.len, (const char *)f->u.reason.text.p);
		conn_close(l->c, f->u.reason.code == GW_R_POLICY ?
		    GW_R_POLICY : GW_R_UNEXPECTED, text);
		return CONN_CLOSED_RC;
	}
	if (f->type != GW_T_HELLO) {
		conn_close(l->c, GW_R_UNEXPECTED, "first frame must be HELLO");
		return CONN_CLOSED_RC;
	}
	if (f->u.hello.vmin > GW_PROTO_VERSION_MAX ||
	    f->u.hello.vmax < GW_PROTO_VERSION_MIN) {
		conn_close(l->c, GW_R_VERSION, "no common protocol version");
		return CONN_CLOSED_RC;
	}
	r.u.hello_ack.version = GW_PROTO_VERSION_MAX;
	r.u.hello_ack.caps = f->u.hello.caps & GW_CAPS_KNOWN;
	r.u.hello_ack.max_payload = l->m->cfg->max_payload;
	if (link_send(l, &r) != 0) {
		conn_close(l->c, GW_R_INTERNAL, "cannot queue HELLO_ACK");
		return CONN_CLOSED_RC;
	}
	conn_timer(l->c, 0);
	l->caps = r.u.hello_ack.caps;
	l->peer_max = f->u.hello.max_payload;
	link_set_state(l, LINK_READY);
	log_info("event=gateway_ready gateway=%s peer=%s caps=0x%x%s%s",
	    l->id.name, conn_peer(l->c), l->caps, l->own != NULL ?
	    " dialed=" : "", l->own != NULL ? l->dialed : "");
	if (l->own != NULL)
		l->own->on_ready(l->own_arg);
	return CONN_OK;
}

/* Close the whole link for a protocol error; log the frame. */
static int
link_violation(struct link *l, unsigned code, const char *why,
    const struct gw_frame *f)
{
	char text[160];

	snprintf(text, sizeof(text), "%s (%s on channel %u)", why,
	    gw_type_str(f->type), f->channel);
	conn_close(l->c, code, text);
	return CONN_CLOSED_RC;
}

/*
 * Is this agent revoked, by agent_crl?  The file is re-read when it
 * changes, so `gw-cert revoke` takes effect without a restart.  A CRL that
 * cannot be read keeps the last good one (and says so).
 */
static int
link_agent_revoked(struct mgmt *m, const struct id_info *id)
{
	const char *path = m->cfg->agent_crl;
	struct stat st;
	char why[160];
	int rc;

	if (path == NULL)
		return 0;
	if (stat(path, &st) == 0 && (long long)st.st_mtime * 1000000000LL +
	    st.st_mtim.tv_nsec != m->links->agent_crl_mtime) {
		mbedtls_x509_crl fresh;

		mbedtls_x509_crl_init(&fresh);
		if ((rc = mbedtls_x509_crl_parse_file(&fresh, path)) != 0) {
			log_warnx("event=agent_crl_unreadable file=%s "
			    "detail=\"%s\" (keeping the last one)", path,
			    tls_strerror(rc, why, sizeof(why)));
			mbedtls_x509_crl_free(&fresh);
		} else {
			mbedtls_x509_crl_free(&m->links->agent_crl);
			m->links->agent_crl = fresh;
			log_info("event=agent_crl_loaded file=%s", path);
		}
		m->links->agent_crl_mtime = (long long)st.st_mtime *
		    1000000000LL + st.st_mtim.tv_nsec;
	}
	return id_revoked(id, &m->links->agent_crl);
}

/*
 * May the gateway of ${l} speak for agent ${id}?  A gateway attests any
 * identity it likes: gw-mgmt holds it to its [scope] (the agent CAs and
 * names it serves); with no [scope] at all, any (main.c warns).  0, or -1
 * with the reason in ${why}.
 */
static int
link_in_scope(const struct link *l, const struct id_info *id, char *why,
    size_t len)
{
	/* Looked up at each OPEN: SIGHUP may have changed the sections. */
	const struct mgmt_scope *sc = mgmt_config_scope(l->m->cfg, l->id.name);

	if (l->m->cfg->nscopes == 0)
		return 0;
	if (sc == NULL) {
		snprintf(why, len, "no [scope] for this gateway");
		return -1;
	}
	if (!mgmt_scope_allows(sc, id->issuer, id->name)) {
		snprintf(why, len, "outside this gateway's scope [scope %.32s] "
		    "(issuer %.64s)", sc->gateways, id->issuer);
		return -1;
	}
	return 0;
}

/*
 * OPEN's identity extension, from the gateway: notAfter must fit the
 * store's integers, the SANs be printable ASCII (as its encoder makes
 * them; the store takes UTF-8 alone).  1 if ${v}'s is good, else 0.
 */
static int
link_ext_ok(const struct gw_identity *v)
{
	if (v->not_after_ms > (uint64_t)INT64_MAX)
		return 0;
	for (uint32_t i = 0; i < v->sans.len; i++)
		if (v->sans.p[i] < 0x20 || v->sans.p[i] > 0x7e)
			return 0;
	return 1;
}

/*
 * Is every text of ${id} UTF-8, as the store takes it?  Checked where it
 * enters: one agent's bytes must never fail the inventory write that
 * carries other agents' rows too.
 */
static int
link_id_utf8(const struct id_info *id)
{
	const char *f[] = { id->name, id->subject, id->san, id->serial,
	    id->issuer, id->peer };

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (!utf8_valid((const unsigned char *)f[i], strlen(f[i])))
			return 0;
	return 1;
}

/*
 * OPEN's via (PROTOCOL.md 9.13): its last name must be the gateway of
 * this link, as its certificate says (the codec checked the names).  0,
 * or -1 with the reason in ${why}.
 */
static int
link_via_ok(const struct link *l, const struct gw_identity *v, char *why,
    size_t len)
{
	struct gw_str last = gw_via_last(&v->via);

	if (last.len == strlen(l->id.name) &&
	    memcmp(last.p, l->id.name, last.len) == 0)
		return 0;
	snprintf(why, len, "via ends with %.*s, not this gateway",
	    (int)last.len, (const char *)last.p);
	return -1;
}

static int
link_open(struct link *l, const struct gw_frame *f)
{
	const struct gw_identity *v = &f->u.open;
	struct id_info id;
	struct mchan *ch;
	char why[160];

	if (f->channel <= l->max_chan)
		return link_violation(l, GW_R_PROTOCOL, "channel id reused",
		    f);
	/* The extension comes only once FLEET is agreed, via once CHAIN
	   is (PROTOCOL.md). */
	if (v->has_ext && !(l->caps & GW_CAP_FLEET))
		return link_violation(l, GW_R_UNEXPECTED,
		    "FLEET not agreed in HELLO", f);
	if (v->has_via && !(l->caps & GW_CAP_CHAIN))
		return link_violation(l, GW_R_UNEXPECTED,
		    "CHAIN not agreed in HELLO", f);
	l->max_chan = f->channel;
	if ((ch = mchan_new(&l->chans, f->channel)) == NULL) {
		conn_close(l->c, GW_R_INTERNAL, "out of memory");
		return CONN_CLOSED_RC;
	}
	/* No issuer would be the legacy rows' ("" in the store). */
	if (id_from_view(v, &id) != 0 || id.name[0] == '\0' ||
	    id.issuer[0] == '\0' || !link_id_utf8(&id) ||
	    (v->has_ext && !link_ext_ok(v))) {
		mchan_close(ch, GW_R_PROTOCOL, "bad identity in OPEN");
		return CONN_OK;
	}
	mchan_name(ch, &id);
	if (v->has_via && link_via_ok(l, v, why, sizeof(why)) != 0) {
		mchan_close(ch, GW_R_PROTOCOL, why);	/* logs it, escaped */
		return CONN_OK;
	}
	if (v->has_ext && mchan_ext(ch, v) != 0) {
		mchan_close(ch, GW_R_INTERNAL, "out of memory");
		return CONN_OK;
	}
	/* Even if a gateway forwards it: a revoked agent stores nothing. */
	if (link_agent_revoked(l->m, &id)) {
		mchan_close(ch, GW_R_REVOKED, "agent certificate revoked");
		return CONN_OK;
	}
	if (link_in_scope(l, &id, why, sizeof(why)) != 0) {
		mchan_close(ch, GW_R_POLICY, why);	/* logs it, escaped */
		return CONN_OK;
	}
	mchan_start(ch);
	return CONN_OK;
}

/*
 * SEEN: each listed channel of this link heard from its agent.  Only an
 * open channel of this very link counts (mchan_seen): any other id (a
 * channel closed, never opened, or not holding its agent's name) is
 * ignored, counted and logged at debug, so a gateway can never mark
 * another gateway's agent seen.  The news goes to memory; the store
 * hears of it through the batched marks (mlive.h).
 */
static int
link_seen(struct link *l, const struct gw_frame *f)
{
	uint32_t i, id, ignored = 0, first = 0;
	struct mchan *ch;

	if (!(l->caps & GW_CAP_FLEET))
		return link_violation(l, GW_R_UNEXPECTED,
		    "FLEET not agreed in HELLO", f);
	for (i = 0; i < f->u.seen.n; i++) {
		id = gw_seen_id(f, i);
		if ((ch = mchan_get(&l->chans, id)) != NULL &&
		    mchan_seen(ch) == 0)
			continue;
		if (ignored++ == 0)
			first = id;
	}
	if (ignored > 0) {
		l->seen_ignored += ignored;
		log_debug("event=seen_ignored gateway=%s ids=%u ignored=%u "
		    "first=%u", l->id.name, f->u.seen.n, ignored, first);
	}
	return CONN_OK;
}

/* signer_reply_fn: ENROLL_RESULT goes back on the link ENROLL came on. */
static int
link_signer_reply(void *arg, const struct gw_frame *f)
{
	return link_send(link_check(arg), f);
}

/* A frame of channel 0 (the link's own) from a ready gateway. */
static int
link_on_control(struct link *l, struct conn *c, const struct gw_frame *f)
{
	struct gw_frame r;
	char text[160];

	switch (f->type) {
	case GW_T_PING:
		memset(&r, 0, sizeof(r));
		r.type = GW_T_PONG;
		r.u.ping.opaque = f->u.ping.opaque;
		(void)link_send(l, &r);
		return CONN_OK;
	case GW_T_PONG:
		return CONN_OK;
	case GW_T_SEEN:
		return link_seen(l, f);
	case GW_T_ENROLL:
		signer_request(l->m, f, l->id.name,
		    link_signer_reply, l);
		return conn_state(c) == CONN_CLOSED ? CONN_CLOSED_RC :
		    CONN_OK;
	case GW_T_GOAWAY:
		/*
		 * The gateway moves away: it sends no new channel
		 * and closes once its channels have left.
		 */
		log_info("event=gateway_goaway gateway=%s peer=%s "
		    "channels=%zu", l->id.name, conn_peer(c),
		    mchan_count(&l->chans));
		return CONN_OK;
	case GW_T_ERROR:
		snprintf(text, sizeof(text), "gateway sent %s: %s: "
		    "%.*s", gw_type_str(f->type),
		    gw_reason_str(f->u.reason.code),
		    (int)f->u.reason.text.len,
		    (const char *)f->u.reason.text.p);
		conn_close(c, f->type == GW_T_GOAWAY ? GW_R_SHUTDOWN :
		    f->u.reason.code, text);
		return CONN_CLOSED_RC;
	default:
		return link_violation(l, GW_R_UNEXPECTED,
		    "frame not valid here", f);
	}
}

static int
link_on_frame(struct conn *c, const struct gw_frame *f, void *arg)
{
	struct link *l = link_check(arg);
	struct mchan *ch;

	l->frames_in++;
	if (l->state == LINK_HELLO_WAIT)
		return link_hello(l, f);
	if (f->type >= GW_T_EXT_FIRST)
		return CONN_OK;
	/* Keep room for what the open batch owes: pause reading. */
	if (conn_out_space(c) < LINK_RESERVE(l->m)) {
		conn_notify_writable(c);
		return CONN_PAUSE;
	}
	if (f->channel == 0)
		return link_on_control(l, c, f);
	if (f->type == GW_T_OPEN)
		return link_open(l, f);
	/* An agent's answers, relayed: only once COMMANDS is agreed. */
	if ((f->type == GW_T_COMMAND_ACK || f->type == GW_T_RESULT) &&
	    !(l->caps & GW_CAP_COMMANDS))
		return link_violation(l, GW_R_UNEXPECTED,
		    "COMMANDS not agreed in HELLO", f);
	if (f->type != GW_T_DATA && f->type != GW_T_CLOSE &&
	    f->type != GW_T_COMMAND_ACK && f->type != GW_T_RESULT)
		return link_violation(l, GW_R_UNEXPECTED,
		    "frame not valid from a gateway", f);
	if ((ch = mchan_get(&l->chans, f->channel)) == NULL) {
		/* A channel we closed: late frames are ignored. */
		if (f->channel <= l->max_chan)
			return CONN_OK;
		return link_violation(l, GW_R_PROTOCOL, "channel not open", f);
	}
	if (f->type == GW_T_CLOSE)
		mchan_closed(ch, f);
	else if (f->type == GW_T_DATA)
		mchan_data(ch, f);
	else
		mchan_answer(ch, f);
	return CONN_OK;
}

static void
link_on_writable(struct conn *c, void *arg)
{
	struct link *l = link_check(arg);

	if (mchan_flush_owed(&l->chans) != 0)
		return;
	if (conn_out_space(c) >= LINK_RESERVE(l->m))
		conn_resume(c);
	else
		conn_notify_writable(c);
}

static void
link_on_timeout(struct conn *c, void *arg)
{
	struct link *l = link_check(arg);

	conn_close(c, GW_R_TIMEOUT, l->state == LINK_HANDSHAKE ?
	    "TLS handshake too slow" : "no HELLO in time");
}

static void
link_on_close(struct conn *c, unsigned reason, const char *detail,
    void *arg)
{
	struct link *l = link_check(arg);
	enum link_state was = l->state;
	size_t n;
	char eg[LOG_ESC_MAX], ed[LOG_ESC_MAX];	/* a CN, a gateway's text */

	link_set_state(l, LINK_CLOSED);
	signer_forget(l->m, l);
	n = mchan_set_free(&l->chans);
	log_esc(eg, sizeof(eg), l->id.name, LOG_ESC_STR, LOG_ESC_BARE);
	log_esc(ed, sizeof(ed), detail, LOG_ESC_STR, 0);
	if (l->own != NULL && was == LINK_HANDSHAKE &&
	    reason != GW_R_POLICY)
		log_warnx("event=gateway_dial_failed addr=%s peer=%s reason=%s "
		    "detail=\"%s\"", l->dialed, conn_peer(c),
		    gw_reason_str(reason), ed);
	else if (was == LINK_HANDSHAKE || reason == GW_R_POLICY) {
		l->m->links->refused++;
		log_warnx("event=gateway_refused peer=%s%s%s reason=%s "
		    "detail=\"%s\"", conn_peer(c), l->id.name[0] ?
		    " gateway=" : "", eg, gw_reason_str(reason), ed);
	} else
		log_info("event=gateway_closed gateway=%s peer=%s reason=%s "
		    "detail=\"%s\" state=%s channels=%zu frames=%llu "
		    "rows=%llu seen_ignored=%llu", eg, conn_peer(c),
		    gw_reason_str(reason), ed, link_state_str(was), n,
		    (unsigned long long)l->frames_in,
		    (unsigned long long)l->chans.rows,
		    (unsigned long long)l->seen_ignored);
	TAILQ_REMOVE(&l->m->links->all, l, entry);
	l->m->links->n--;
	if (l->own != NULL)
		l->own->on_gone(l->own_arg);	/* it dials again */
}

/* No call of ${arg} is on the stack any more (conn.h): free it. */
static void
link_on_free(void *arg)
{
	struct link *l = link_check(arg);

	l->magic = 0;
	free(l);
}

static const struct conn_ops link_ops = {
	.on_open = link_on_open,
	.on_frame = link_on_frame,
	.on_writable = link_on_writable,
	.on_timeout = link_on_timeout,
	.on_close = link_on_close,
	.on_free = link_on_free,
};

/* A new link of ${m}, in LINK_HANDSHAKE, with no conn yet; or NULL. */
static struct link *
link_new(struct mgmt *m)
{
	struct link *l;

	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    mchan_set_init(&l->chans, m, &link_mchan_ops, l, l->id.name,
	    l->id.fingerprint) != 0) {
		log_warnx("event=gateway_refused reason=overload "
		    "detail=\"out of memory\"");
		if (l != NULL)
			mchan_set_free(&l->chans);
		free(l);
		return NULL;
	}
	l->magic = LINK_MAGIC;
	l->m = m;		/* calloc: LINK_HANDSHAKE */
	return l;
}

/* ${l} got no conn: free it (nothing else knows it). */
static void
link_unmade(struct link *l)
{
	mchan_set_free(&l->chans);
	l->magic = 0;
	free(l);
}

/* The conn_params of a link of ${m}. */
static struct conn_params
link_params(const struct mgmt *m)
{
	return (struct conn_params){
		.in_cap = (size_t)m->cfg->max_payload + GW_HDR_LEN + 65536,
		.out_cap = LINK_OUT_CAP,
		.max_payload = m->cfg->max_payload,
	};
}

/** link_accept(m, fd): start a gateway connection on socket ${fd}. */
void
link_accept(struct mgmt *m, int fd)
{
	struct conn_params p = link_params(m);
	struct link *l;

	if (m->links->n >= m->cfg->max_gateways) {
		log_warnx("event=gateway_refused reason=overload "
		    "detail=\"max_gateways (%u) reached\"",
		    m->cfg->max_gateways);
		close(fd);
		return;
	}
	if ((l = link_new(m)) == NULL) {
		close(fd);
		return;
	}
	if ((l->c = conn_accept(m->loop, fd, m->tls, &p, &link_ops, l)) ==
	    NULL) {
		log_warnx("event=gateway_refused reason=overload "
		    "detail=\"cannot set up TLS\"");
		link_unmade(l);
		return;
	}
	TAILQ_INSERT_TAIL(&m->links->all, l, entry);
	m->links->n++;
	conn_timer(l->c, m->cfg->handshake_timeout);
}

/**
 * link_dial(m, addr, tc, server_name, own, arg): dial the gateway at
 * ${addr} (HOST:PORT, a name resolved on the loop) with the client
 * configuration ${tc}; its certificate must name ${server_name} (NULL: the
 * host dialed).  Once connected the link is handled exactly as an accepted
 * one (the gateway sends HELLO; its certificate is held to gateway_names
 * and [scope]); ${own} hears of it with ${arg}: on_gone once, when it
 * closes.  Return 0, or -1 if the dial failed at once (on_gone not called).
 */
int
link_dial(struct mgmt *m, const char *addr, const struct tls_conf *tc,
    const char *server_name, const struct link_owner *own, void *arg)
{
	struct conn_params p = link_params(m);
	struct link *l;

	p.server_name = server_name;
	if ((l = link_new(m)) == NULL)
		return -1;
	snprintf(l->dialed, sizeof(l->dialed), "%s", addr);
	/* (A dial never ends, well or badly, inside conn_connect.) */
	if ((l->c = conn_connect(m->loop, addr, tc, &p, &link_ops, l)) ==
	    NULL) {
		log_warn("event=gateway_dial_failed addr=%s", addr);
		link_unmade(l);
		return -1;
	}
	l->own = own;
	l->own_arg = arg;
	TAILQ_INSERT_TAIL(&m->links->all, l, entry);
	m->links->n++;
	conn_timer(l->c, m->cfg->handshake_timeout);
	return 0;
}

/** link_stop_all(m, reason, detail): close every link with ${reason}. */
void
link_stop_all(struct mgmt *m, unsigned reason, const char *detail)
{
	struct link *l;

	while ((l = TAILQ_FIRST(&m->links->all)) != NULL)
		conn_close(l->c, reason, detail);
}
/**
 * link_gateways(la, names, max): the gateway CN of each ready link of
 * ${la} into ${names}, at most ${max} (valid until the next event).
 * Return how many.
 */
unsigned
link_gateways(const struct link_all *la, const char **names, unsigned max)
{
	const struct link *l;
	unsigned n = 0;

	TAILQ_FOREACH(l, &la->all, entry)
		if (l->state == LINK_READY && n < max)
			names[n++] = l->id.name;
	return n;
}
