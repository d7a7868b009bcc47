/*
 * mgmt.h: gw-mgmt's process-wide context.  One libev loop; each gateway
 * connection is a link (link.c) carrying channels, one per agent session;
 * the group commit (commit.c) turns DATA into durable rows and only then
 * into ACKs.
 */
#ifndef GW_MGMT_H
#define GW_MGMT_H

#include <stdint.h>
#include <sys/queue.h>
#include <ev.h>

#include <mbedtls/x509_crl.h>

#include "identity.h"
#include "mgmt_config.h"
#include "store.h"
#include "tls_conf.h"

struct link;
struct authority;
struct commit_row;
struct signer_req;
struct namemap;

enum mchan_state {
	MCHAN_OPENING,	/* OPEN received; OPEN_ACK waits for the commit */
	MCHAN_OPEN,	/* OPEN_ACK given: DATA flows */
	MCHAN_CLOSING	/* CLOSE owed to the gateway; DATA is ignored */
};

/* One agent session on a link. */
struct mchan {
	struct link		*link;
	uint32_t		 id;
	enum mchan_state	 state;
	char			 agent[ID_NAME_MAX];	/* identity name */
	char			 issuer[ID_DN_MAX];	/* its issuer's DN */
	/* The agent: "issuer\nname" (link_claim's key; no DN has \n). */
	char			 key[ID_DN_MAX + ID_NAME_MAX];
	char			 fp_hex[2 * GW_FINGERPRINT_LEN + 1];
	uint64_t		 last_seq;	/* highest DATA seq seen */
	uint64_t		 durable;	/* highest seq committed */
	uint64_t		 acked;		/* highest seq ACKed (sent) */
	int			 open_ack_owed;	/* OPEN_ACK(acked) not sent */
	uint16_t		 close_code;	/* CLOSING: the CLOSE owed */
	char			 close_text[128];
	int			 dirty;		/* on mgmt.dirty */
	int			 owed;		/* on link's owed list */
	TAILQ_ENTRY(mchan)	 dirty_entry;
	TAILQ_ENTRY(mchan)	 owed_entry;
};

TAILQ_HEAD(mchan_q, mchan);
TAILQ_HEAD(link_q, link);

struct mgmt {
	struct ev_loop			*loop;
	const struct mgmt_config	*cfg;
	struct tls_conf			*tls;
	struct store			*store;
	int				 lfd;
	ev_io				 accept_io;
	struct link_q			 links;
	unsigned			 nlinks;
	/* Open channels by agent (issuer and name): one at a time. */
	struct namemap			*agents;
	/* Group commit: channels owed an OPEN_ACK or ACK after it. */
	struct mchan_q			 dirty;
	uint32_t			 batch_items;	/* rows + OPENs */
	ev_timer			 batch_timer;
	struct commit_row		**rows;		/* the batch's DATA */
	uint32_t			 nrows;
	size_t				 batch_bytes;	/* their payloads */
	uint64_t			 gone_mark;	/* of gone channels */
	/* agent_crl, re-read when the file changes (link.c). */
	mbedtls_x509_crl		 agent_crl;
	long long			 agent_crl_mtime;
	/* Enrollment ([enroll]): the signing authority, or NULL. */
	struct authority_proc		*auth;	/* the signer */
	TAILQ_HEAD(, signer_req)	 signing;	/* waiting for it */
	/* Counters, logged at exit. */
	uint64_t			 stored, duplicates, commits;
	uint64_t			 links_accepted, links_refused;
};

/* link.c */

/** link_accept(m, fd): start a gateway connection on socket ${fd}. */
void link_accept(struct mgmt *m, int fd);

/** link_stop_all(m, reason, detail): close every link with ${reason}. */
void link_stop_all(struct mgmt *m, unsigned reason, const char *detail);

/*
 * What the commit owes a channel.  None of these closes the link or frees
 * anything but ${ch}: a frame that finds no room in the link's output is
 * owed and sent when room comes (reading pauses long before that).
 *
 * link_open_ack(ch, last_seq): OPEN_ACK(last_seq); DATA may flow.
 * link_ack(ch): ACK(durable) if durable > acked.
 * link_chan_close(ch, code, text): CLOSE(code, text); ${ch} is freed
 * (at once, or once the CLOSE is sent).
 */
void link_open_ack(struct mchan *ch, uint64_t last_seq);
void link_ack(struct mchan *ch);
void link_chan_close(struct mchan *ch, unsigned code, const char *text);

/** link_gateway_name(l): the CN of the gateway on link ${l}. */
const char *link_gateway_name(const struct link *l);

/**
 * link_send(l, f): queue connection-level frame ${f} on ${l}; 0, or a
 * negative code if it does not fit (the caller decides what that means).
 */
int link_send(struct link *l, const struct gw_frame *f);

/* signer.c: enrollment requests that gateways forward. */

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

/* commit.c */

/** commit_init(m): set up the batch timer. */
void commit_init(struct mgmt *m);

/**
 * commit_open(m, ch): ${ch} was opened: answer OPEN_ACK now, or after the
 * open transaction commits (its last_seq must count only durable rows).
 */
void commit_open(struct mgmt *m, struct mchan *ch);

/**
 * commit_data(m, ch, seq, body, len): add one DATA of ${ch} to the open
 * batch; its ACK follows the commit.  Return 0, or -1 if the row cannot
 * join it (${ch} was closed).
 */
int commit_data(struct mgmt *m, struct mchan *ch, uint64_t seq,
    const uint8_t *body, uint32_t len);

/** commit_now(m): commit the open batch and send what it owes. */
void commit_now(struct mgmt *m);

/** commit_forget(m, ch): ${ch} is going away: owe it nothing. */
void commit_forget(struct mgmt *m, struct mchan *ch);

#endif /* GW_MGMT_H */
