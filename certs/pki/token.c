/*
 * token.c: bootstrap tokens (token.h).
 */
#include <stdio.h>
#include <string.h>
#include <mbedtls/base64.h>
#include <mbedtls/constant_time.h>
#include <mbedtls/md.h>

#include "proto.h"
#include "token.h"

#define TOKEN_PREFIX	"gwt1."
#define TOKEN_FIXED	(TOKEN_ID_LEN + 8 + 2)
#define TOKEN_MAC_LEN	32

/* base64url without padding, from standard base64. */
static int
b64url_enc(const uint8_t *in, size_t n, char *out, size_t cap)
{
	size_t olen;

	if (mbedtls_base64_encode((unsigned char *)out, cap, &olen, in, n) != 0)
		return -1;
	while (olen > 0 && out[olen - 1] == '=')
		olen--;
	out[olen] = '\0';
	for (size_t i = 0; i < olen; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	return 0;
}

static int
b64url_dec(const char *in, size_t n, uint8_t *out, size_t cap, size_t *olen)
{
	char buf[TOKEN_STR_MAX + 4];
	size_t i;

	if (n > TOKEN_STR_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		char c = in[i];

		if (c == '+' || c == '/' || c == '=')
			return -1;
		buf[i] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	while (i % 4 != 0)
		buf[i++] = '=';
	return mbedtls_base64_decode(out, cap, olen, (unsigned char *)buf,
	    i) == 0 ? 0 : -1;
}

static int
token_mac(const uint8_t *key, const char *msg, size_t n,
    uint8_t mac[TOKEN_MAC_LEN])
{
	return mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
	    key, TOKEN_KEY_LEN, (const unsigned char *)msg, n, mac) == 0 ?
	    0 : -1;
}

/**
 * token_terms_init(t, id, expires, uses, names): ${t}, the terms of a new
 * token: id ${id} (TOKEN_ID_LEN random bytes), valid until ${expires}
 * (unix seconds) for ${uses} CSRs named as ${names} allows ("" any).  0,
 * or -1 if ${names} is TOKEN_NAMES_MAX bytes or longer.
 */
int
token_terms_init(struct token_terms *t, const uint8_t id[TOKEN_ID_LEN],
    uint64_t expires, uint16_t uses, const char *names)
{
	if (strlen(names) >= TOKEN_NAMES_MAX)
		return -1;
	memset(t, 0, sizeof(*t));
	memcpy(t->id, id, TOKEN_ID_LEN);
	t->expires = expires;
	t->uses = uses;
	memcpy(t->names, names, strlen(names) + 1);
	return 0;
}

/**
 * token_mint(key, t, out, outlen): the token for terms ${t} under ${key}
 * (TOKEN_KEY_LEN bytes) into ${out}.  0, or -1 if it does not fit.
 */
int
token_mint(const uint8_t *key, const struct token_terms *t, char *out,
    size_t outlen)
{
	uint8_t raw[TOKEN_FIXED + TOKEN_NAMES_MAX], mac[TOKEN_MAC_LEN];
	char b64[TOKEN_STR_MAX];
	size_t nl = strnlen(t->names, TOKEN_NAMES_MAX), off;

	if (nl == TOKEN_NAMES_MAX)
		return -1;
	memcpy(raw, t->id, TOKEN_ID_LEN);
	for (int i = 0; i < 8; i++)
		raw[TOKEN_ID_LEN + i] = (uint8_t)(t->expires >> (56 - 8 * i));
	raw[TOKEN_ID_LEN + 8] = (uint8_t)(t->uses >> 8);
	raw[TOKEN_ID_LEN + 9] = (uint8_t)t->uses;
	memcpy(raw + TOKEN_FIXED, t->names, nl);
	if (b64url_enc(raw, TOKEN_FIXED + nl, b64, sizeof(b64)) != 0 ||
	    (size_t)snprintf(out, outlen, TOKEN_PREFIX "%s", b64) >= outlen)
		return -1;
	off = strlen(out);
	if (token_mac(key, out, off, mac) != 0 || off + 1 >= outlen)
		return -1;
	out[off++] = '.';
	return b64url_enc(mac, sizeof(mac), out + off, outlen - off);
}

/**
 * token_verify(key, s, now, t): check token ${s}: its MAC under ${key}
 * (constant time) and its expiry against ${now}; fill ${t}.  Return 0,
 * GW_R_TOKEN_INVALID (malformed or forged) or GW_R_TOKEN_EXPIRED.
 */
int
token_verify(const uint8_t *key, const char *s, time_t now,
    struct token_terms *t)
{
	uint8_t raw[TOKEN_STR_MAX], mac[TOKEN_MAC_LEN], want[TOKEN_MAC_LEN];
	char canon[64];
	const char *dot;
	size_t n = strnlen(s, TOKEN_STR_MAX + 1), rawlen, maclen;

	memset(t, 0, sizeof(*t));
	if (n > TOKEN_STR_MAX || strncmp(s, TOKEN_PREFIX, 5) != 0 ||
	    (dot = strchr(s + 5, '.')) == NULL ||
	    b64url_dec(dot + 1, strlen(dot + 1), mac, sizeof(mac), &maclen) !=
	    0 || maclen != TOKEN_MAC_LEN ||
	    token_mac(key, s, (size_t)(dot - s), want) != 0 ||
	    mbedtls_ct_memcmp(mac, want, TOKEN_MAC_LEN) != 0)
		return GW_R_TOKEN_INVALID;
	/*
	 * One spelling per token: base64 leaves spare bits in the last
	 * character, and a MAC that decodes the same from another string
	 * would give one token several valid forms.
	 */
	if (b64url_enc(mac, sizeof(mac), canon, sizeof(canon)) != 0 ||
	    strcmp(canon, dot + 1) != 0)
		return GW_R_TOKEN_INVALID;
	/* Authentic from here on: the terms are ours. */
	if (b64url_dec(s + 5, (size_t)(dot - s - 5), raw, sizeof(raw),
	    &rawlen) != 0 || rawlen < TOKEN_FIXED ||
	    rawlen - TOKEN_FIXED >= TOKEN_NAMES_MAX)
		return GW_R_TOKEN_INVALID;
	memcpy(t->id, raw, TOKEN_ID_LEN);
	for (int i = 0; i < 8; i++)
		t->expires = (t->expires << 8) | raw[TOKEN_ID_LEN + i];
	t->uses = (uint16_t)((raw[TOKEN_ID_LEN + 8] << 8) |
	    raw[TOKEN_ID_LEN + 9]);
	memcpy(t->names, raw + TOKEN_FIXED, rawlen - TOKEN_FIXED);
	if (memchr(t->names, 0, rawlen - TOKEN_FIXED) != NULL)
		return GW_R_TOKEN_INVALID;
	if ((uint64_t)now >= t->expires)
		return GW_R_TOKEN_EXPIRED;
	return 0;
}

/** token_id_hex(id, out): the id as 16 hex digits. */
void
token_id_hex(const uint8_t id[TOKEN_ID_LEN], char out[2 * TOKEN_ID_LEN + 1])
{
	for (int i = 0; i < TOKEN_ID_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}
