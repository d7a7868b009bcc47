/*
 * link.c: one gateway connection to gw-mgmt, carrying many channels.
 * States: HANDSHAKE -> HELLO_WAIT -> READY -> CLOSED, one close with a
 * reason (conn_close -> link_on_close).  The gateway is authenticated by
 * its certificate (gateway_ca, crl, gateway_names) before any frame is
 * read.  Reading pauses while the output is short of room, so the ACKs a
 * commit owes always fit.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/oid.h>

#include "chanmap.h"
#include "commit.h"
#include "conn.h"
#include "link.h"
#include "log.h"
#include "mgmt.h"
#include "namemap.h"
#include "signer.h"
#include "tls_conf.h"

#define LINK_OUT_CAP	(1024u * 1024)
/* Room kept for what one commit may owe: ACK or OPEN_ACK per item. */
#define LINK_RESERVE(m)	((size_t)(m)->cfg->batch_max * 2 * (GW_HDR_LEN + 8) \
			    + 16384)

/*
 * A channel's state, set only by link_chan_set_state.  The frames
 * it owes the gateway follow from it: OPEN_ACK in MCHAN_ANSWERED and
 * MCHAN_ANSWERED_CLOSING, CLOSE in both closing states (after that
 * OPEN_ACK), and in MCHAN_OPEN an ACK when durable > acked.
 */
enum mchan_state {
	MCHAN_OPENING,		/* OPEN read; OPEN_ACK waits for the commit */
	MCHAN_ANSWERED,		/* OPEN_ACK owed, waits for room */
	MCHAN_OPEN,		/* OPEN_ACK sent: DATA flows */
	MCHAN_ANSWERED_CLOSING,	/* OPEN_ACK, then CLOSE owed */
	MCHAN_CLOSING		/* CLOSE owed; DATA is ignored */
};

#define MCHAN_MAGIC	0x4d436861u	/* "MCha" */

/* One agent session on a link. */
struct mchan {
	uint32_t		 magic;		/* MCHAN_MAGIC */
	struct link		*link;
	uint32_t		 id;
	enum mchan_state	 state;
	char			 agent[ID_NAME_MAX];	/* identity name */
	char			 issuer[ID_DN_MAX];	/* its issuer's DN */
	/* The agent: "issuer\nname" (link_claim's key; no DN has \n). */
	char			 key[ID_DN_MAX + ID_NAME_MAX];
	char			 fp_hex[2 * GW_FINGERPRINT_LEN + 1];
	/* Its commit: last_seq (highest DATA seq), durable (committed). */
	struct commit_chan	 cc;
	uint64_t		 acked;		/* highest seq ACKed (sent) */
	uint16_t		 close_code;	/* closing: the CLOSE owed */
	char			 close_text[128];
	int			 owed;		/* on link's owed list */
	TAILQ_ENTRY(mchan)	 owed_entry;
};

TAILQ_HEAD(mchan_q, mchan);

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
	const struct mgmt_scope	*scope;		/* its [scope], or NULL */
	struct chanmap		*chans;
	uint32_t		 max_chan;	/* highest channel opened */
	struct mchan_q		 owed;		/* frames waiting for room */
	uint64_t		 frames_in, rows;
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

static const char *
link_chan_state_str(enum mchan_state s)
{
	static const char *const names[] = {
		"opening", "answered", "open", "answered-closing", "closing"
	};

	return (unsigned)s < 5 ? names[s] : "?";
}

/* May a channel go from ${from} to ${to}?  (closing again: a new reason) */
static int
link_chan_may(enum mchan_state from, enum mchan_state to)
{
	switch (to) {
	case MCHAN_ANSWERED:
		return from == MCHAN_OPENING;
	case MCHAN_OPEN:
		return from == MCHAN_ANSWERED;
	case MCHAN_ANSWERED_CLOSING:
		return from == MCHAN_ANSWERED || from == to;
	case MCHAN_CLOSING:
		return from != MCHAN_ANSWERED;
	default:
		return 0;
	}
}

/* The only writer of a channel's state (enum mchan_state above). */
static void
link_chan_set_state(struct mchan *ch, enum mchan_state s)
{
	if (!link_chan_may(ch->state, s)) {
		log_errx("event=bug detail=\"channel state %s to %s\"",
		    link_chan_state_str(ch->state), link_chan_state_str(s));
		abort();
	}
	log_debug("event=channel_state gateway=%s channel=%u from=%s to=%s",
	    ch->link->id.name, ch->id, link_chan_state_str(ch->state),
	    link_chan_state_str(s));
	ch->state = s;
}

/* Does ${ch} owe a CLOSE (and so ignore DATA)? */
static int
link_chan_closing(const struct mchan *ch)
{
	return ch->state == MCHAN_CLOSING ||
	    ch->state == MCHAN_ANSWERED_CLOSING;
}

/* ${ch} goes: it no longer holds its agent's name (link_claim). */
static void
link_unclaim(struct mgmt *m, struct mchan *ch)
{
	if (m->links.agents == NULL)
		return;
	namemap_del(m->links.agents, ch);
	if (namemap_count(m->links.agents) == 0) {
		namemap_free(m->links.agents);
		m->links.agents = NULL;
	}
}

static void
link_chan_free(struct link *l, struct mchan *ch)
{
	link_unclaim(l->m, ch);
	commit_forget(l->m, &ch->cc);
	if (ch->owed)
		TAILQ_REMOVE(&l->owed, ch, owed_entry);
	chanmap_del(l->chans, ch->id);
	ch->magic = 0;
	free(ch);
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

/*
 * Send what ${ch} is owed: OPEN_ACK, ACK, CLOSE.  Return 0 if all went
 * (a closed channel is freed), -1 if ${ch} waits on the owed list.
 */
static int
link_chan_flush(struct link *l, struct mchan *ch)
{
	struct gw_frame f = { .channel = ch->id };

	if (ch->state == MCHAN_ANSWERED ||
	    ch->state == MCHAN_ANSWERED_CLOSING) {
		f.type = GW_T_OPEN_ACK;
		f.u.ack.seq = ch->acked;
		if (link_send(l, &f) != 0)
			goto owe;
		link_chan_set_state(ch, ch->state == MCHAN_ANSWERED ?
		    MCHAN_OPEN : MCHAN_CLOSING);
	}
	if (ch->state == MCHAN_CLOSING) {
		f.type = GW_T_CLOSE;
		f.u.reason.code = ch->close_code;
		f.u.reason.text.p = (const uint8_t *)ch->close_text;
		f.u.reason.text.len = (uint16_t)strlen(ch->close_text);
		if (link_send(l, &f) != 0)
			goto owe;
		link_chan_free(l, ch);
		return 0;
	}
	if (ch->cc.durable > ch->acked) {
		f.type = GW_T_ACK;
		f.u.ack.seq = ch->cc.durable;
		if (link_send(l, &f) != 0)
			goto owe;
		ch->acked = ch->cc.durable;
	}
	if (ch->owed) {
		TAILQ_REMOVE(&l->owed, ch, owed_entry);
		ch->owed = 0;
	}
	return 0;
owe:
	if (!ch->owed) {
		TAILQ_INSERT_TAIL(&l->owed, ch, owed_entry);
		ch->owed = 1;
		log_warnx("event=link_output_full gateway=%s channel=%u",
		    l->id.name, ch->id);
	}
	conn_notify_writable(l->c);
	return -1;
}

/* OPEN_ACK(last_seq) (the commit set last_seq, durable); DATA may flow. */
static void
link_open_ack(struct mchan *ch, uint64_t last_seq)
{
	char ea[LOG_ESC_MAX];	/* the name in OPEN, escaped */

	link_chan_set_state(ch, MCHAN_ANSWERED);
	ch->acked = last_seq;
	log_debug("event=channel_open gateway=%s channel=%u agent=%s "
	    "last_seq=%llu", ch->link->id.name, ch->id, log_esc(ea,
	    sizeof(ea), ch->agent, LOG_ESC_STR, LOG_ESC_BARE),
	    (unsigned long long)last_seq);
	(void)link_chan_flush(ch->link, ch);
}

/*
 * CLOSE(code, text): ${ch} is freed (at once, or once the CLOSE is sent).
 * Nothing else is closed or freed: a frame that finds no room in the
 * link's output is owed and sent when room comes (reading pauses long
 * before that).
 */
static void
link_chan_close(struct mchan *ch, unsigned code, const char *text)
{
	char ea[LOG_ESC_MAX], ed[LOG_ESC_MAX];

	log_info("event=channel_closed gateway=%s channel=%u agent=%s "
	    "reason=%s detail=\"%s\"", ch->link->id.name, ch->id,
	    log_esc(ea, sizeof(ea), ch->agent, LOG_ESC_STR, LOG_ESC_BARE),
	    gw_reason_str(code), log_esc(ed, sizeof(ed), text, LOG_ESC_STR,
	    0));
	commit_forget(ch->link->m, &ch->cc);
	link_chan_set_state(ch, ch->state == MCHAN_ANSWERED ||
	    ch->state == MCHAN_ANSWERED_CLOSING ? MCHAN_ANSWERED_CLOSING :
	    MCHAN_CLOSING);
	ch->close_code = (uint16_t)code;
	snprintf(ch->close_text, sizeof(ch->close_text), "%s", text);
	(void)link_chan_flush(ch->link, ch);
}

/* The channel a commit_ops call is about. */
static struct mchan *
link_chan_of(struct commit_chan *cc)
{
	struct mchan *ch = (struct mchan *)(void *)((char *)cc -
	    offsetof(struct mchan, cc));

	if (cc == NULL || ch->magic != MCHAN_MAGIC)
		abort();
	return ch;
}

static void
link_commit_open_ack(struct commit_chan *cc, uint64_t last_seq)
{
	link_open_ack(link_chan_of(cc), last_seq);
}

/* The commit made more durable: ACK(durable), now or when room comes. */
static void
link_commit_ack(struct commit_chan *cc)
{
	struct mchan *ch = link_chan_of(cc);

	(void)link_chan_flush(ch->link, ch);
}

static void
link_commit_close(struct commit_chan *cc, unsigned code, const char *text)
{
	link_chan_close(link_chan_of(cc), code, text);
}

/* What the group commit owes channels comes back up through these. */
static const struct commit_ops link_commit_ops = {
	.open_ack = link_commit_open_ack,
	.ack = link_commit_ack,
	.close = link_commit_close,
};

/**
 * link_init(m): set up the links of ${m}: the group commit under them
 * (commit_init) answers their channels.
 */
void
link_init(struct mgmt *m)
{
	TAILQ_INIT(&m->links.all);
	mbedtls_x509_crl_init(&m->links.agent_crl);
	commit_init(m, &link_commit_ops);
}

/** link_free(m): free what link_init set up (every link is closed). */
void
link_free(struct mgmt *m)
{
	mbedtls_x509_crl_free(&m->links.agent_crl);
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
	l->m->links.accepted++;
	l->scope = mgmt_config_scope(l->m->cfg, l->id.name);
	link_set_state(l, LINK_HELLO_WAIT);
	log_info("event=gateway_authenticated gateway=%s peer=%s fp=%s tls=%s "
	    "scope=%s", l->id.name, conn_peer(c), l->id.fp_hex,
	    conn_tls_info(c), l->scope != NULL ? "configured" :
	    l->m->cfg->nscopes > 0 ? "none" : "any");
	conn_timer(c, l->m->cfg->hello_timeout);
	return CONN_OK;
}

static int
link_hello(struct link *l, const struct gw_frame *f)
{
	struct gw_frame r = { .type = GW_T_HELLO_ACK };

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
	r.u.hello_ack.max_payload = l->m->cfg->max_payload;
	if (link_send(l, &r) != 0) {
		conn_close(l->c, GW_R_INTERNAL, "cannot queue HELLO_ACK");
		return CONN_CLOSED_RC;
	}
	conn_timer(l->c, 0);
	link_set_state(l, LINK_READY);
	log_info("event=gateway_ready gateway=%s peer=%s", l->id.name,
	    conn_peer(l->c));
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
	    st.st_mtim.tv_nsec != m->links.agent_crl_mtime) {
		mbedtls_x509_crl fresh;

		mbedtls_x509_crl_init(&fresh);
		if ((rc = mbedtls_x509_crl_parse_file(&fresh, path)) != 0) {
			log_warnx("event=agent_crl_unreadable file=%s "
			    "detail=\"%s\" (keeping the last one)", path,
			    tls_strerror(rc, why, sizeof(why)));
			mbedtls_x509_crl_free(&fresh);
		} else {
			mbedtls_x509_crl_free(&m->links.agent_crl);
			m->links.agent_crl = fresh;
			log_info("event=agent_crl_loaded file=%s", path);
		}
		m->links.agent_crl_mtime = (long long)st.st_mtime *
		    1000000000LL + st.st_mtim.tv_nsec;
	}
	return id_revoked(id, &m->links.agent_crl);
}

static const char *
link_chan_key(const void *v)
{
	const struct mchan *ch = v;

	if (ch == NULL || ch->magic != MCHAN_MAGIC)
		abort();
	return ch->key;
}

/*
 * One channel per agent: a new OPEN from another gateway (the agent came
 * back through it while its old channel lives on) closes the older
 * channel with CLOSE superseded, so two gateways never write one sequence
 * space at once.  Its rows already in the batch commit before the new
 * channel's OPEN_ACK (commit_open), so last_seq counts them.  Within one
 * gateway (the same certificate) the gateway itself keeps one channel per
 * agent, and an older channel of its own is a stale one, of a link it
 * lost: two connections keep no order, so that OPEN may even arrive after
 * the current one, and which is newer cannot be told here.  Neither is
 * closed for the other; the stale one ends with its link.  An agent is
 * its issuer and name together (ch->key), as in the store: the same name
 * under two agent CAs is two agents.  0, or -1 (out of memory).
 */
static int
link_claim(struct mgmt *m, struct mchan *ch)
{
	struct mchan *old;
	char text[128];

	if (m->links.agents != NULL &&
	    (old = namemap_get(m->links.agents, ch->key)) != NULL) {
		namemap_del(m->links.agents, old);
		snprintf(text, sizeof(text), "a newer channel of this agent "
		    "(gateway %.64s channel %u)", ch->link->id.name, ch->id);
		if (!link_chan_closing(old) &&
		    memcmp(old->link->id.fingerprint, ch->link->id.fingerprint,
		    sizeof(ch->link->id.fingerprint)) != 0)
			link_chan_close(old, GW_R_SUPERSEDED, text);
	}
	if (m->links.agents == NULL &&
	    (m->links.agents = namemap_new(link_chan_key)) == NULL)
		return -1;
	return namemap_put(m->links.agents, ch);
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
	const struct mgmt_scope *sc = l->scope;

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

static int
link_open(struct link *l, const struct gw_frame *f)
{
	struct id_info id;
	struct mchan *ch;
	char why[160];

	if (f->channel <= l->max_chan)
		return link_violation(l, GW_R_PROTOCOL, "channel id reused",
		    f);
	l->max_chan = f->channel;
	if ((ch = calloc(1, sizeof(*ch))) == NULL ||
	    chanmap_put(l->chans, f->channel, ch) != 0) {
		free(ch);
		conn_close(l->c, GW_R_INTERNAL, "out of memory");
		return CONN_CLOSED_RC;
	}
	ch->magic = MCHAN_MAGIC;
	ch->link = l;
	ch->id = f->channel;	/* calloc: MCHAN_OPENING */
	commit_chan_init(&ch->cc, ch->issuer, ch->agent, ch->fp_hex,
	    l->id.name);
	/* No issuer would be the legacy rows' ("" in the store). */
	if (id_from_view(&f->u.open, &id) != 0 || id.name[0] == '\0' ||
	    id.issuer[0] == '\0') {
		snprintf(ch->agent, sizeof(ch->agent), "?");
		link_chan_close(ch, GW_R_PROTOCOL, "bad identity in OPEN");
		return CONN_OK;
	}
	memcpy(ch->agent, id.name, sizeof(ch->agent));
	memcpy(ch->issuer, id.issuer, sizeof(ch->issuer));
	/* id_from_view let no control byte into either: \n separates. */
	snprintf(ch->key, sizeof(ch->key), "%s\n%s", id.issuer, id.name);
	memcpy(ch->fp_hex, id.fp_hex, sizeof(ch->fp_hex));
	/* Even if a gateway forwards it: a revoked agent stores nothing. */
	if (link_agent_revoked(l->m, &id)) {
		link_chan_close(ch, GW_R_REVOKED, "agent certificate revoked");
		return CONN_OK;
	}
	if (link_in_scope(l, &id, why, sizeof(why)) != 0) {
		link_chan_close(ch, GW_R_POLICY, why);	/* logs it, escaped */
		return CONN_OK;
	}
	if (link_claim(l->m, ch) != 0) {
		link_chan_close(ch, GW_R_INTERNAL, "out of memory");
		return CONN_OK;
	}
	commit_open(l->m, &ch->cc);
	return CONN_OK;
}

static int
link_data(struct link *l, struct mchan *ch, const struct gw_frame *f)
{
	char text[96];

	if (link_chan_closing(ch))
		return CONN_OK;		/* CLOSE owed: the gateway will see */
	if (ch->state != MCHAN_OPEN) {
		link_chan_close(ch, GW_R_UNEXPECTED, "DATA before OPEN_ACK");
		return CONN_OK;
	}
	if (f->u.data.seq <= ch->cc.last_seq) {
		snprintf(text, sizeof(text), "seq %llu after %llu",
		    (unsigned long long)f->u.data.seq,
		    (unsigned long long)ch->cc.last_seq);
		link_chan_close(ch, GW_R_SEQUENCE, text);
		return CONN_OK;
	}
	/* A gateway is checked too: such a row would fail the batch. */
	if (f->u.data.seq > GW_SEQ_MAX) {
		snprintf(text, sizeof(text), "seq %llu above 2^63-1",
		    (unsigned long long)f->u.data.seq);
		link_chan_close(ch, GW_R_SEQUENCE, text);
		return CONN_OK;
	}
	l->rows++;
	(void)commit_data(l->m, &ch->cc, f->u.data.seq, f->u.data.body.p,
	    f->u.data.body.len);	/* on failure ch is closed */
	return CONN_OK;
}

/* signer_reply_fn: ENROLL_RESULT goes back on the link ENROLL came on. */
static int
link_signer_reply(void *arg, const struct gw_frame *f)
{
	return link_send(link_check(arg), f);
}

static int
link_on_frame(struct conn *c, const struct gw_frame *f, void *arg)
{
	struct link *l = link_check(arg);
	struct mchan *ch;
	struct gw_frame r;
	char text[160];

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
	if (f->channel == 0) {
		switch (f->type) {
		case GW_T_PING:
			memset(&r, 0, sizeof(r));
			r.type = GW_T_PONG;
			r.u.ping.opaque = f->u.ping.opaque;
			(void)link_send(l, &r);
			return CONN_OK;
		case GW_T_PONG:
			return CONN_OK;
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
			    chanmap_count(l->chans));
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
	if (f->type == GW_T_OPEN)
		return link_open(l, f);
	if (f->type != GW_T_DATA && f->type != GW_T_CLOSE)
		return link_violation(l, GW_R_UNEXPECTED,
		    "frame not valid from a gateway", f);
	if ((ch = chanmap_get(l->chans, f->channel)) == NULL) {
		/* A channel we closed: late frames are ignored. */
		if (f->channel <= l->max_chan)
			return CONN_OK;
		return link_violation(l, GW_R_PROTOCOL, "channel not open", f);
	}
	if (f->type == GW_T_CLOSE) {
		log_debug("event=channel_closed_by_gateway gateway=%s "
		    "channel=%u agent=%s reason=%s", l->id.name, ch->id,
		    log_esc(text, sizeof(text), ch->agent, LOG_ESC_STR,
		    LOG_ESC_BARE), gw_reason_str(f->u.reason.code));
		link_chan_free(l, ch);
		return CONN_OK;
	}
	return link_data(l, ch, f);
}

static void
link_on_writable(struct conn *c, void *arg)
{
	struct link *l = link_check(arg);
	struct mchan *ch;

	while ((ch = TAILQ_FIRST(&l->owed)) != NULL)
		if (link_chan_flush(l, ch) != 0)
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
	struct mchan *ch;
	size_t it = 0, n;
	char eg[LOG_ESC_MAX], ed[LOG_ESC_MAX];	/* a CN, a gateway's text */
	void *v;

	link_set_state(l, LINK_CLOSED);
	signer_forget(l->m, l);
	n = chanmap_count(l->chans);
	while (chanmap_next(l->chans, &it, &v) != 0) {
		ch = v;
		link_unclaim(l->m, ch);
		commit_forget(l->m, &ch->cc);
	}
	it = 0;
	while (chanmap_next(l->chans, &it, &v) != 0) {
		ch = v;
		ch->magic = 0;
		free(ch);
	}
	chanmap_free(l->chans);
	l->chans = NULL;
	log_esc(eg, sizeof(eg), l->id.name, LOG_ESC_STR, LOG_ESC_BARE);
	log_esc(ed, sizeof(ed), detail, LOG_ESC_STR, 0);
	if (was == LINK_HANDSHAKE || reason == GW_R_POLICY) {
		l->m->links.refused++;
		log_warnx("event=gateway_refused peer=%s%s%s reason=%s "
		    "detail=\"%s\"", conn_peer(c), l->id.name[0] ?
		    " gateway=" : "", eg, gw_reason_str(reason), ed);
	} else
		log_info("event=gateway_closed gateway=%s peer=%s reason=%s "
		    "detail=\"%s\" state=%s channels=%zu frames=%llu "
		    "rows=%llu", eg, conn_peer(c),
		    gw_reason_str(reason), ed, link_state_str(was), n,
		    (unsigned long long)l->frames_in,
		    (unsigned long long)l->rows);
	TAILQ_REMOVE(&l->m->links.all, l, entry);
	l->m->links.n--;
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

/** link_accept(m, fd): start a gateway connection on socket ${fd}. */
void
link_accept(struct mgmt *m, int fd)
{
	struct conn_params p = {
		.in_cap = (size_t)m->cfg->max_payload + GW_HDR_LEN + 65536,
		.out_cap = LINK_OUT_CAP,
		.max_payload = m->cfg->max_payload,
	};
	struct link *l;

	if (m->links.n >= m->cfg->max_gateways) {
		log_warnx("event=gateway_refused reason=overload "
		    "detail=\"max_gateways (%u) reached\"",
		    m->cfg->max_gateways);
		close(fd);
		return;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->chans = chanmap_new()) == NULL) {
		log_warnx("event=gateway_refused reason=overload "
		    "detail=\"out of memory\"");
		free(l);
		close(fd);
		return;
	}
	l->magic = LINK_MAGIC;
	l->m = m;		/* calloc: LINK_HANDSHAKE */
	TAILQ_INIT(&l->owed);
	if ((l->c = conn_accept(m->loop, fd, m->tls, &p, &link_ops, l)) ==
	    NULL) {
		log_warnx("event=gateway_refused reason=overload "
		    "detail=\"cannot set up TLS\"");
		chanmap_free(l->chans);
		l->magic = 0;
		free(l);
		return;
	}
	TAILQ_INSERT_TAIL(&m->links.all, l, entry);
	m->links.n++;
	conn_timer(l->c, m->cfg->handshake_timeout);
}

/** link_stop_all(m, reason, detail): close every link with ${reason}. */
void
link_stop_all(struct mgmt *m, unsigned reason, const char *detail)
{
	struct link *l;

	while ((l = TAILQ_FIRST(&m->links.all)) != NULL)
		conn_close(l->c, reason, detail);
}
