/*
 * agent_names.h: one session per agent name.  A session that says HELLO
 * takes its name from any older session of that name, which is closed
 * with ERROR superseded: two sessions never write one sequence space at
 * once.  The older one's unacknowledged DATA is its agent's to resend; the
 * newer one's OPEN learns last_seq from the management server.
 *
 * Same agent = same issuer DN and same CN, as gw-mgmt keys agents: two CAs
 * of agent_ca may each have an agent-1, and neither supersedes the other.
 * Probes (a TLS handshake and no HELLO) take nothing.  Direct sessions
 * (agent.c) and relayed ones (relay.c: an inner gateway's OPEN) share the
 * one index, each name tagged with its kind: the newer supersedes the
 * older whatever the path of either, so gw-mgmt sees one channel per
 * agent from this gateway.
 *
 * The index knows no session: it maps a name (made by agent_names_set) to
 * the opaque owner given with it; the caller keeps the index (a namemap,
 * NULL while empty) and the name.
 */
#ifndef GW_AGENT_NAMES_H
#define GW_AGENT_NAMES_H

struct namemap;

/*
 * How the owner of a name is closed when a newer session of its agent
 * supersedes it: its module's closer (agent.c: ERROR superseded; relay.c:
 * CLOSE superseded down and up), given the owner and the reason's detail.
 * It checks its object's magic.  The tag of each name in the index.
 */
typedef void agent_names_closer(void *owner, const char *detail);

/**
 * agent_names_set(namep, owner, closer, issuer, name): set ${namep} to
 * agent ${name} of the CA whose DN is ${issuer}, owned by ${owner}, which
 * ${closer} closes.  0, or -1 (out of memory).
 */
int agent_names_set(char **namep, void *owner, agent_names_closer *closer,
    const char *issuer, const char *name);

/** agent_names_free(namep): free what agent_names_set made; NULL-safe. */
void agent_names_free(char **namep);

/**
 * agent_names_claim(idx, name, detail): make ${name}'s owner its name's
 * session in ${idx}; the older session that held it, direct or relayed,
 * is closed by its closer with ${detail} (superseded).  0, or -1 (out of
 * memory: ${name} has no session in the index).
 */
int agent_names_claim(struct namemap **idx, const char *name,
    const char *detail);

/**
 * agent_names_drop(idx, name): ${name}'s session is closing: give the name
 * back if it has it (${name} may be NULL).
 */
void agent_names_drop(struct namemap **idx, const char *name);

/**
 * agent_names_keyof(name): the key of ${name} (made by agent_names_set):
 * "IIIIIIIIIIIIIIII\nNAME", 16 hex digits of the SHA-256 of its issuer DN.
 */
const char *agent_names_keyof(const char *name);

#endif /* GW_AGENT_NAMES_H */
