/*
 * authority_msg.c: a signing authority's result as an ENROLL_RESULT
 * (authority_msg.h).
 */
#include <string.h>

#include "authority_msg.h"

/**
 * authority_result_view(res, ref, out): ${res} as the ENROLL_RESULT
 * ${out} with ${ref}; its strings point into ${res}.
 */
void
authority_result_view(const struct authority_result *res, uint32_t ref,
    struct gw_enroll_result *out)
{
	memset(out, 0, sizeof(*out));
	out->ref = ref;
	out->status = (uint16_t)res->status;
	out->reason = (uint16_t)res->reason;
	out->retry_after = res->retry_after;
	out->request_id.p = (const uint8_t *)res->request_id;
	out->request_id.len = (uint16_t)strlen(res->request_id);
	out->message.p = (const uint8_t *)res->message;
	out->message.len = (uint16_t)strlen(res->message);
	if (res->chain != NULL) {
		out->chain.p = (const uint8_t *)res->chain;
		out->chain.len = (uint16_t)strnlen(res->chain, 65535);
	}
}
