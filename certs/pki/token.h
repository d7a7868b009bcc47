/*
 * token.h: bootstrap tokens.  A token carries its own terms and an
 * HMAC-SHA256 over them with the CA directory's token key, so the
 * authority needs no table to check one (it keeps only use counts and
 * revocations):
 *
 *   gwt1.<base64url(id[8] | expires u64 | uses u16 | names)>.<base64url(mac)>
 *
 * Pure: no I/O, no clock (the caller passes "now").
 */
#ifndef GW_TOKEN_H
#define GW_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TOKEN_KEY_LEN	32
#define TOKEN_ID_LEN	8
#define TOKEN_NAMES_MAX	128
#define TOKEN_STR_MAX	512

struct token_terms {
	uint8_t		id[TOKEN_ID_LEN];
	uint64_t	expires;		/* unix seconds */
	uint16_t	uses;			/* CSRs it may admit */
	char		names[TOKEN_NAMES_MAX];	/* patterns, "" = any */
};

/**
 * token_terms_init(t, id, expires, uses, names): ${t}, the terms of a new
 * token: id ${id} (TOKEN_ID_LEN random bytes), valid until ${expires}
 * (unix seconds) for ${uses} CSRs named as ${names} allows ("" any).  0,
 * or -1 if ${names} is TOKEN_NAMES_MAX bytes or longer.
 */
int token_terms_init(struct token_terms *t, const uint8_t id[TOKEN_ID_LEN],
    uint64_t expires, uint16_t uses, const char *names);

/**
 * token_mint(key, t, out, outlen): the token for terms ${t} under ${key}
 * (TOKEN_KEY_LEN bytes) into ${out}.  0, or -1 if it does not fit.
 */
int token_mint(const uint8_t *key, const struct token_terms *t, char *out,
    size_t outlen);

/**
 * token_verify(key, s, now, t): check token ${s}: its MAC under ${key}
 * (constant time) and its expiry against ${now}; fill ${t}.  Return 0,
 * GW_R_TOKEN_INVALID (malformed or forged) or GW_R_TOKEN_EXPIRED.
 */
int token_verify(const uint8_t *key, const char *s, time_t now,
    struct token_terms *t);

/** token_id_hex(id, out): the id as 16 hex digits. */
void token_id_hex(const uint8_t id[TOKEN_ID_LEN], char out[2 * TOKEN_ID_LEN + 1]);

#endif /* GW_TOKEN_H */
