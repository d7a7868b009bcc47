/*
 * authority_msg.h: what a signing authority (authority.h) and the
 * programs that ask it exchange: its parameters, one request, one result,
 * and the result as the ENROLL_RESULT a gateway or an agent is sent.  The
 * daemons see the authority only through these (and signer_client.h):
 * the signing code itself is not linked into them.
 */
#ifndef GW_AUTHORITY_MSG_H
#define GW_AUTHORITY_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <ev.h>

#include "frame.h"
#include "proto.h"

#define AUTH_RID_LEN	32	/* hex digits of a request id */

struct authority_params {
	struct ev_loop	*loop;		/* runs the policy hook */
	const char	*dir;		/* the CA directory */
	const char	*names;		/* id_policy_match patterns; NULL: any */
	unsigned	 cert_days;	/* validity of what it signs (365) */
	unsigned	 pending_ttl;	/* seconds a request lives (7 days) */
	unsigned	 max_pending;	/* pending requests at most (10000) */
	unsigned	 max_pending_per_source;	/* of one source (16) */
	unsigned	 new_per_source;	/* new pending or renewal
					   requests a source may make an
					   hour (60) */
	unsigned	 renew_after;	/* % of a certificate's validity
					   that must be over before it
					   renews (33) */
	unsigned	 retry_after;	/* seconds a poller waits (30) */
	const char	*hook;		/* policy hook executable, or NULL */
	unsigned	 hook_timeout;	/* seconds (10) */
	unsigned	 hook_max;	/* hooks running at once (4) */
	unsigned	 hook_queue;	/* requests waiting for one (64) */
};

/* One request: views, valid during authority_submit only. */
struct authority_req {
	const uint8_t	*csr;		/* PKCS#10 DER, or NULL (a poll) */
	size_t		 csr_len;
	const char	*token;		/* bootstrap token, or "" */
	const char	*request_id;	/* poll: the id, or "" */
	const char	*source;	/* agent address as the gateway saw it */
	const char	*via;		/* the gateway's name ("" if local) */
	const uint8_t	*client_cert;	/* renewal: verified DER, or NULL */
	size_t		 client_cert_len;
};

/* The strings of a request made from an ENROLL frame, NUL-terminated. */
struct authority_req_buf {
	char		 token[1024];
	char		 request_id[128];
	char		 source[128];
};

struct authority_result {
	enum gw_enroll_status status;
	unsigned	 reason;	/* enum gw_reason when refused */
	unsigned	 retry_after;	/* pending: seconds */
	char		 request_id[AUTH_RID_LEN + 1];	/* "" if none */
	char		 message[256];	/* why, for the agent and the log */
	const char	*chain;		/* issued: PEM leaf + CA chain */
};

/**
 * authority_req_from_enroll(e, via, buf, req): ${req}, the request of
 * ENROLL ${e} that gateway ${via} ("" if local) forwards: its CSR and
 * certificate are views of ${e}'s bytes (NULL when empty: a poll, not a
 * renewal), its token, request id and source copies in ${buf}; ${req} is
 * valid while ${e}'s bytes, ${via} and ${buf} are.  0, or -1 if one of
 * those strings does not fit ${buf} or holds a NUL byte (a malformed
 * request: ${req} is then untouched).
 */
int authority_req_from_enroll(const struct gw_enroll *e, const char *via,
    struct authority_req_buf *buf, struct authority_req *req);

/**
 * authority_result_make(res, status, reason, retry_after, rid, chain, fmt,
 * ...): ${res}: ${status}, the refusal ${reason} (enum gw_reason; 0 unless
 * refused), ${retry_after} (pending), of request ${rid} (NULL: none), with
 * ${chain} (issued; NULL) and the message ${fmt} formatted (cut to fit).
 */
void authority_result_make(struct authority_result *res,
    enum gw_enroll_status status, unsigned reason, unsigned retry_after,
    const char *rid, const char *chain, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/**
 * authority_result_from_view(res, v, chain): ${res} from ENROLL_RESULT
 * ${v}, as untrusted bytes: a request id that is not a C string becomes
 * "", a message is cut at a NUL or to fit; its chain (NUL-terminated) is
 * ${chain}, which the caller made from ${v}'s (NULL if none).
 */
void authority_result_from_view(struct authority_result *res,
    const struct gw_enroll_result *v, const char *chain);

/**
 * authority_result_view(res, ref, out): ${res} as the ENROLL_RESULT
 * ${out} with ${ref}; its strings point into ${res}.
 */
void authority_result_view(const struct authority_result *res,
    uint32_t ref, struct gw_enroll_result *out);

/* The answer; ${res} is valid during the call only. */
typedef void (*authority_cb)(const struct authority_result *res, void *arg);

#endif /* GW_AUTHORITY_MSG_H */
