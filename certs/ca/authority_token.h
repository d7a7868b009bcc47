/*
 * authority_token.h: a bootstrap token admits a request, or gives its use
 * back (authority_token.c).
 */
#ifndef GW_AUTHORITY_TOKEN_H
#define GW_AUTHORITY_TOKEN_H

#include <stddef.h>
#include <stdint.h>

/**
 * auth_token_admit(dir, token, name, id, replace, why, len): check ${token}
 * for a request named ${name} (decision 5) to CA directory ${dir} and
 * count one use; its id (hex) into ${id}.  A name that is taken
 * (auth_name_taken) is refused unless the token was made for exactly that
 * name, which sets ${replace}.  0, or the refusal (enum gw_reason) with
 * ${why}.
 */
unsigned auth_token_admit(const char *dir, const char *token,
    const char *name, char id[17], int *replace, char *why, size_t len);

/**
 * auth_token_refund(dir, id): give back one use of token ${id} of CA
 * directory ${dir} (its request failed before an answer).
 */
void auth_token_refund(const char *dir, const char *id);

#endif /* GW_AUTHORITY_TOKEN_H */
