/*
 * agent_names.c: one session per agent (agent_names.h), indexed by a
 * namemap the caller keeps (gw->agents->names, direct and relayed sessions
 * alike): made with the first claim and freed with the last drop.  Each
 * name is one allocation: its owner and the owner's closer, then
 * the key "IIIIIIIIIIIIIIII\nNAME" (16 hex digits of the SHA-256 of the
 * issuer DN); the caller's name points at NAME.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "agent_names.h"
#include "namemap.h"

#define AGENT_KEY_PREFIX	17	/* 16 hex digits and a newline */

/* One name: what the index holds. */
struct agent_name {
	void			*owner;
	agent_names_closer	*closer;	/* closes owner */
	char			 key[];		/* AGENT_KEY_PREFIX, NAME,
						   NUL */
};

/* The entry whose NAME is ${name}. */
static struct agent_name *
agent_names_entry(const char *name)
{
	return (struct agent_name *)(uintptr_t)(name - AGENT_KEY_PREFIX -
	    offsetof(struct agent_name, key));
}

static const char *
agent_names_key(const void *v)
{
	return ((const struct agent_name *)v)->key;
}

/**
 * agent_names_set(namep, owner, closer, issuer, name): set ${namep} to
 * agent ${name} of the CA whose DN is ${issuer}, owned by ${owner}, which
 * ${closer} closes.  0, or -1 (out of memory).
 */
int
agent_names_set(char **namep, void *owner, agent_names_closer *closer,
    const char *issuer, const char *name)
{
	static const char hex[] = "0123456789abcdef";
	struct agent_name *e;
	uint8_t h[32];
	size_t n = strlen(name);

	if ((e = malloc(sizeof(*e) + AGENT_KEY_PREFIX + n + 1)) == NULL)
		return -1;
	e->owner = owner;
	e->closer = closer;
	(void)mbedtls_sha256((const uint8_t *)issuer, strlen(issuer), h, 0);
	for (int i = 0; i < 8; i++) {
		e->key[2 * i] = hex[h[i] >> 4];
		e->key[2 * i + 1] = hex[h[i] & 15];
	}
	e->key[16] = '\n';
	memcpy(e->key + AGENT_KEY_PREFIX, name, n + 1);
	*namep = e->key + AGENT_KEY_PREFIX;
	return 0;
}

/** agent_names_free(namep): free what agent_names_set made; NULL-safe. */
void
agent_names_free(char **namep)
{
	if (*namep != NULL)
		free(agent_names_entry(*namep));
	*namep = NULL;
}

/**
 * agent_names_claim(idx, name, detail): make ${name}'s owner its name's
 * session in ${idx}; the older session that held it, direct or relayed,
 * is closed by its closer with ${detail} (superseded).  0, or -1 (out of
 * memory: ${name} has no session in the index).
 */
int
agent_names_claim(struct namemap **idx, const char *name,
    const char *detail)
{
	struct agent_name *e = agent_names_entry(name), *old;

	if (*idx != NULL && (old = namemap_get(*idx, e->key)) != NULL &&
	    old != e) {
		namemap_del(*idx, old);
		old->closer(old->owner, detail);	/* may drop names */
	}
	if (*idx == NULL &&
	    (*idx = namemap_new(agent_names_key)) == NULL)
		return -1;
	if (namemap_get(*idx, e->key) == e)
		return 0;
	return namemap_put(*idx, e) != 0 ? -1 : 0;
}

/**
 * agent_names_drop(idx, name): ${name}'s session is closing: give the name
 * back if it has it (${name} may be NULL).
 */
void
agent_names_drop(struct namemap **idx, const char *name)
{
	if (*idx == NULL || name == NULL)
		return;
	namemap_del(*idx, agent_names_entry(name));
	if (namemap_count(*idx) == 0) {
		namemap_free(*idx);
		*idx = NULL;
	}
}

/**
 * agent_names_keyof(name): the key of ${name} (made by agent_names_set):
 * "IIIIIIIIIIIIIIII\nNAME", 16 hex digits of the SHA-256 of its issuer DN.
 */
const char *
agent_names_keyof(const char *name)
{
	return agent_names_entry(name)->key;
}
