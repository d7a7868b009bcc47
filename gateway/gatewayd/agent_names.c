/*
 * agent_names.c: one session per agent (agent_names.h), indexed by a
 * namemap in gw->names: a pointer a session, made with the first claim
 * and freed with the last drop.  The key is the agent's issuer and name:
 * one allocation "IIIIIIIIIIIIIIII\nNAME" (16 hex digits of the SHA-256 of
 * the issuer DN), with a->name pointing at NAME.
 */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "agent_impl.h"
#include "agent_names.h"
#include "gw.h"
#include "namemap.h"

#define AGENT_KEY_PREFIX	17	/* 16 hex digits and a newline */

static const char *
agent_names_key(const void *v)
{
	return ((const struct agent *)v)->name - AGENT_KEY_PREFIX;
}

/**
 * agent_names_set(a, issuer, name): ${a} is agent ${name} of the CA whose
 * DN is ${issuer}: set a->name (and its key).  0, or -1 (out of memory).
 */
int
agent_names_set(struct agent *a, const char *issuer, const char *name)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t h[32];
	size_t n = strlen(name);
	char *k;

	if ((k = malloc(AGENT_KEY_PREFIX + n + 1)) == NULL)
		return -1;
	(void)mbedtls_sha256((const uint8_t *)issuer, strlen(issuer), h, 0);
	for (int i = 0; i < 8; i++) {
		k[2 * i] = hex[h[i] >> 4];
		k[2 * i + 1] = hex[h[i] & 15];
	}
	k[16] = '\n';
	memcpy(k + AGENT_KEY_PREFIX, name, n + 1);
	a->name = k + AGENT_KEY_PREFIX;
	return 0;
}

/** agent_names_free(a): free what agent_names_set made; NULL-safe. */
void
agent_names_free(struct agent *a)
{
	if (a->name != NULL)
		free(a->name - AGENT_KEY_PREFIX);
	a->name = NULL;
}

/**
 * agent_names_take(a): the older session that holds ${a}'s name, taken
 * out of the index (the caller closes it: superseded), or NULL.
 */
struct agent *
agent_names_take(struct agent *a)
{
	struct gw *gw = a->gw;
	struct agent *old;

	if (gw->names == NULL ||
	    (old = namemap_get(gw->names, agent_names_key(a))) == NULL ||
	    old == a)
		return NULL;
	namemap_del(gw->names, old);
	return old;
}

/**
 * agent_names_claim(a): make ${a} its name's session (agent_names_take
 * first).  0, or -1 (out of memory).
 */
int
agent_names_claim(struct agent *a)
{
	struct gw *gw = a->gw;

	if (gw->names == NULL &&
	    (gw->names = namemap_new(agent_names_key)) == NULL)
		return -1;
	if (namemap_get(gw->names, agent_names_key(a)) == a)
		return 0;
	return namemap_put(gw->names, a) != 0 ? -1 : 0;
}

/** agent_names_drop(a): ${a} is closing: give its name back if it has it. */
void
agent_names_drop(struct agent *a)
{
	struct gw *gw = a->gw;

	if (gw->names == NULL || a->name == NULL)
		return;
	namemap_del(gw->names, a);
	if (namemap_count(gw->names) == 0) {
		namemap_free(gw->names);
		gw->names = NULL;
	}
}
