/*
 * authority_msg.c: a signing authority's request from an ENROLL, its
 * result as an ENROLL_RESULT (authority_msg.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "authority_msg.h"

/**
 * authority_req_from_enroll(e, via, buf, req): ${req}, the request of
 * ENROLL ${e} that gateway ${via} ("" if local) forwards: its CSR and
 * certificate are views of ${e}'s bytes (NULL when empty: a poll, not a
 * renewal), its token, request id and source copies in ${buf}; ${req} is
 * valid while ${e}'s bytes, ${via} and ${buf} are.  0, or -1 if one of
 * those strings does not fit ${buf} or holds a NUL byte (a malformed
 * request: ${req} is then untouched).
 */
int
authority_req_from_enroll(const struct gw_enroll *e, const char *via,
    struct authority_req_buf *buf, struct authority_req *req)
{
	if (gw_str_cstr(&e->token, buf->token, sizeof(buf->token)) != 0 ||
	    gw_str_cstr(&e->request_id, buf->request_id,
	    sizeof(buf->request_id)) != 0 ||
	    gw_str_cstr(&e->source, buf->source, sizeof(buf->source)) != 0)
		return -1;
	*req = (struct authority_req){
		.csr = e->csr.len ? e->csr.p : NULL,
		.csr_len = e->csr.len,
		.token = buf->token,
		.request_id = buf->request_id,
		.source = buf->source,
		.via = via,
		.client_cert = e->client_cert.len ? e->client_cert.p : NULL,
		.client_cert_len = e->client_cert.len,
	};
	return 0;
}

/**
 * authority_result_make(res, status, reason, retry_after, rid, chain, fmt,
 * ...): ${res}: ${status}, the refusal ${reason} (enum gw_reason; 0 unless
 * refused), ${retry_after} (pending), of request ${rid} (NULL: none), with
 * ${chain} (issued; NULL) and the message ${fmt} formatted (cut to fit).
 */
void
authority_result_make(struct authority_result *res,
    enum gw_enroll_status status, unsigned reason, unsigned retry_after,
    const char *rid, const char *chain, const char *fmt, ...)
{
	va_list ap;

	memset(res, 0, sizeof(*res));
	res->status = status;
	res->reason = reason;
	res->retry_after = retry_after;
	snprintf(res->request_id, sizeof(res->request_id), "%s",
	    rid != NULL ? rid : "");
	res->chain = chain;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
}

/**
 * authority_result_from_view(res, v, chain): ${res} from ENROLL_RESULT
 * ${v}, as untrusted bytes: a request id that is not a C string becomes
 * "", a message is cut at a NUL or to fit; its chain (NUL-terminated) is
 * ${chain}, which the caller made from ${v}'s (NULL if none).
 */
void
authority_result_from_view(struct authority_result *res,
    const struct gw_enroll_result *v, const char *chain)
{
	memset(res, 0, sizeof(*res));
	res->status = v->status;
	res->reason = v->reason;
	res->retry_after = v->retry_after;
	if (gw_str_cstr(&v->request_id, res->request_id,
	    sizeof(res->request_id)) != 0)
		res->request_id[0] = '\0';
	snprintf(res->message, sizeof(res->message), "%.*s",
	    (int)v->message.len, (const char *)v->message.p);
	res->chain = chain;
}

/**
 * authority_result_view(res, ref, out): ${res} as the ENROLL_RESULT
 * ${out} with ${ref}; its strings point into ${res}.
 */
void
authority_result_view(const struct authority_result *res, uint32_t ref,
    struct gw_enroll_result *out)
{
	*out = (struct gw_enroll_result){
		.ref = ref,
		.status = (uint16_t)res->status,
		.reason = (uint16_t)res->reason,
		.retry_after = res->retry_after,
		.request_id = gw_str_text(res->request_id),
		.message = gw_str_text(res->message),
		.chain = gw_str_text(res->chain),	/* NULL: empty */
	};
}
