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
 */
#ifndef GW_AGENT_NAMES_H
#define GW_AGENT_NAMES_H

struct agent;

/**
 * agent_names_set(a, issuer, name): ${a} is agent ${name} of the CA whose
 * DN is ${issuer}: set a->name (and its key).  0, or -1 (out of memory).
 */
int agent_names_set(struct agent *a, const char *issuer, const char *name);

/** agent_names_free(a): free what agent_names_set made; NULL-safe. */
void agent_names_free(struct agent *a);

/**
 * agent_names_take(a): the older session that holds ${a}'s name, taken
 * out of the index (the caller closes it: superseded), or NULL.
 */
struct agent *agent_names_take(struct agent *a);

/**
 * agent_names_claim(a): make ${a} its name's session (agent_names_take
 * first).  0, or -1 (out of memory).
 */
int agent_names_claim(struct agent *a);

/** agent_names_drop(a): ${a} is closing: give its name back if it has it. */
void agent_names_drop(struct agent *a);

#endif /* GW_AGENT_NAMES_H */
