/*
 * agent_names.h: one session per agent name.  A session that says HELLO
 * takes its name from any older session of that name, which is closed
 * with ERROR superseded: two sessions never write one sequence space at
 * once.  The older one's unacknowledged DATA is its agent's to resend; the
 * newer one's OPEN learns last_seq from the management server.
 *
 * Same agent = same issuer DN and same CN, as gw-mgmt keys agents: two CAs
 * of agent_ca may each have an agent-1, and neither supersedes the other.
 * Probes (a TLS handshake and no HELLO) take nothing.
 *
 * The index knows no session: it maps a name (made by agent_names_set) to
 * the opaque owner given with it; the caller keeps the index (a namemap,
 * NULL while empty) and the name.
 */
#ifndef GW_AGENT_NAMES_H
#define GW_AGENT_NAMES_H

struct namemap;

/**
 * agent_names_set(namep, owner, issuer, name): set ${namep} to agent
 * ${name} of the CA whose DN is ${issuer}, owned by ${owner}.  0, or -1
 * (out of memory).
 */
int agent_names_set(char **namep, void *owner, const char *issuer,
    const char *name);

/** agent_names_free(namep): free what agent_names_set made; NULL-safe. */
void agent_names_free(char **namep);

/**
 * agent_names_take(idx, name): the owner of the older session that holds
 * ${name} in index ${idx}, taken out of it (the caller closes it:
 * superseded), or NULL.
 */
void *agent_names_take(struct namemap **idx, const char *name);

/**
 * agent_names_claim(idx, name): make ${name}'s owner its name's session
 * in ${idx} (agent_names_take first).  0, or -1 (out of memory).
 */
int agent_names_claim(struct namemap **idx, const char *name);

/**
 * agent_names_drop(idx, name): ${name}'s session is closing: give the name
 * back if it has it (${name} may be NULL).
 */
void agent_names_drop(struct namemap **idx, const char *name);

#endif /* GW_AGENT_NAMES_H */
