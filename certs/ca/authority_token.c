/*
 * authority_token.c: bootstrap tokens at the signing authority (authority.h,
 * decision 5): token.c checks a token's MAC and expiry; here the CA
 * directory's part, the key, revocations and use counts (enroll_dir.c).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <mbedtls/platform_util.h>

#include "authority_names.h"
#include "authority_token.h"
#include "enroll_dir.h"
#include "identity.h"
#include "log.h"
#include "proto.h"
#include "token.h"

/**
 * auth_token_admit(dir, token, name, id, replace, why, len): check ${token}
 * for a request named ${name} (decision 5) to CA directory ${dir} and
 * count one use; its id (hex) into ${id}.  A name that is taken
 * (auth_name_taken) is refused unless the token was made for exactly that
 * name, which sets ${replace}.  0, or the refusal (enum gw_reason) with
 * ${why}.
 */
unsigned
auth_token_admit(const char *dir, const char *token,
    const char *name, char id[17], int *replace, char *why, size_t len)
{
	struct token_terms t;
	uint8_t key[32];
	char err[256];
	unsigned used, rc;

	if (ed_token_key(dir, key, 0, err, sizeof(err)) != 0) {
		/* The agent learns only that; the operator, why. */
		log_warnx("event=enroll_token_key_unusable detail=\"%s\"", err);
		snprintf(why, len, "token not valid here");
		return GW_R_TOKEN_INVALID;
	}
	rc = (unsigned)token_verify(key, token, time(NULL), &t);
	mbedtls_platform_zeroize(key, sizeof(key));
	token_id_hex(t.id, id);
	if (rc == GW_R_TOKEN_INVALID) {
		id[0] = '\0';
		snprintf(why, len, "token not valid (malformed or forged)");
		return rc;
	}
	if (rc == GW_R_TOKEN_EXPIRED) {
		snprintf(why, len, "token %s expired", id);
		return rc;
	}
	if (ed_token_revoked(dir, id)) {
		snprintf(why, len, "token %s was revoked", id);
		return GW_R_TOKEN_INVALID;
	}
	if (t.names[0] != '\0' && !id_policy_match(t.names, name)) {
		snprintf(why, len, "token %s does not allow the name '%s'", id,
		    name);
		return GW_R_POLICY;
	}
	/*
	 * A live name is the operator's to give again: a token made for
	 * that one name ("--names NAME", no pattern) says so; any other
	 * token is for new names.  Checked before the use is counted.
	 */
	*replace = strcmp(t.names, name) == 0;
	if (!*replace) {
		switch (auth_name_taken(dir, name, why, len)) {
		case 0:
			break;
		case 1:
			return GW_R_NAME_TAKEN;
		default:
			return GW_R_INTERNAL;
		}
	}
	if (ed_token_used(dir, id, &used) != 0) {
		snprintf(why, len, "token %s: unreadable use count", id);
		return GW_R_INTERNAL;
	}
	if (used >= t.uses) {
		snprintf(why, len, "token %s is used up (%u of %u)", id, used,
		    (unsigned)t.uses);
		return GW_R_TOKEN_USED;
	}
	if (ed_token_set_used(dir, id, used + 1, err, sizeof(err)) != 0) {
		snprintf(why, len, "%s", err);
		return GW_R_INTERNAL;
	}
	return 0;
}

/**
 * auth_token_refund(dir, id): give back one use of token ${id} of CA
 * directory ${dir} (its request failed before an answer).
 */
void
auth_token_refund(const char *dir, const char *id)
{
	char err[256], eid[LOG_ESC_MAX];
	unsigned n;

	if (ed_token_used(dir, id, &n) == 0 && n > 0 &&
	    ed_token_set_used(dir, id, n - 1, err, sizeof(err)) != 0)
		log_warnx("event=enroll_token_refund token=%s detail=\"%s\"",
		    log_esc(eid, sizeof(eid), id, LOG_ESC_STR, LOG_ESC_BARE),
		    err);
}
