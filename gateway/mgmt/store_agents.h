/*
 * store_agents.h: the agents in gw-mgmt's store (PROTOCOL.md 9.7, 9.9),
 * next to its messages (store.h) and its commands (store_cmd.h), on both
 * backends.
 *
 * Table agents (schema 2, STORE_SCHEMA; a store of schema 0 or 1 gets it
 * when opened for writing): one row per agent (issuer DN, name) with
 * every identity field of its last OPEN, the gateway and peer address of
 * it, first_seen_ms (its first OPEN, kept), connected_ms (its last OPEN),
 * seen_ms (its last OPEN or close) and online (1 from its OPEN to its
 * close).
 *
 * Transactions: as store_cmd.h's: each call is its own (BEGIN .. COMMIT
 * for store_agents_mark), never inside the group commit's (-1 at once),
 * durable when it returns 0.  Each call that writes is one sync (SQLite:
 * synchronous=FULL): gw-mgmt groups its inventory writes, those of a loop
 * pass in one store_agents_mark (mcmd.h).
 *
 * Text (issuer, names, fingerprint, gateway, peer) must be UTF-8 (-1
 * otherwise, like store_check).  Strings a callback gets are valid during
 * the call only, and a callback must not call into the store (see
 * store_cmd.h).  Like store.h this module never logs: failures come back
 * as -1 with store_errmsg().
 */
#ifndef GW_STORE_AGENTS_H
#define GW_STORE_AGENTS_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* An agent, as its last OPEN said (store_agent_up) and the store knows. */
struct store_agent {
	const char	*issuer;	/* issuer DN: with name, the key */
	const char	*name;		/* certificate CN */
	const char	*subject;	/* subject DN */
	const char	*san;		/* first DNS SAN, or "" */
	const char	*serial;	/* hex bytes separated by colons */
	const char	*fingerprint;	/* SHA-256 of the certificate, hex */
	const char	*gateway;	/* CN of the gateway of the OPEN */
	const char	*peer;		/* the agent's ip:port */
	/* Set by the store (read by store_agents): */
	int64_t		 first_seen_ms;	/* its first OPEN */
	int64_t		 connected_ms;	/* its last OPEN */
	int64_t		 seen_ms;	/* its last OPEN or close */
	int		 online;	/* 1: open, 0: closed since */
};

/*
 * What one channel of an agent did since the last store_agents_mark: its
 * OPEN (up), its close (closed_ms), or both, in that order.
 */
struct store_agent_ev {
	struct store_agent agent;	/* issuer, name; identity if up */
	int		 up;		/* 1: it opened at opened_ms */
	int64_t		 opened_ms;	/* its OPEN's time (store_agent_up's) */
	int64_t		 closed_ms;	/* 0: still open; else its close */
};

/**
 * store_agent_up(s, a, now_ms): the agent ${a} (its issuer, name and
 * identity fields; the times are ignored) opened a channel at ${now_ms}:
 * insert it, or update its identity, gateway and peer to ${a}'s; set it
 * online with connected_ms = seen_ms = ${now_ms}, keeping first_seen_ms.
 * Return 0 or -1.
 */
int store_agent_up(struct store *s, const struct store_agent *a,
    int64_t now_ms);

/**
 * store_agent_down(s, issuer, name, opened_ms, now_ms): the channel that
 * agent (${issuer}, ${name}) opened at ${opened_ms} (the now_ms of its
 * store_agent_up) closed at ${now_ms}: set it offline, seen_ms =
 * ${now_ms}, unless a later OPEN (connected_ms > ${opened_ms}: another
 * channel, another gateway, another server of the group) made it online
 * since.  Return 0 (also when nothing changed) or -1.
 */
int store_agent_down(struct store *s, const char *issuer, const char *name,
    int64_t opened_ms, int64_t now_ms);

/**
 * store_agents_mark(s, ev, n): write the ${n} channel events ${ev}, in
 * their order, in one transaction (one sync): for each, store_agent_up
 * of ev->agent at ev->opened_ms if ev->up, then store_agent_down of it
 * (opened_ms, closed_ms) if ev->closed_ms is not 0.  Return 0, or -1
 * (nothing written: an identity not UTF-8, or the store failed).
 */
int store_agents_mark(struct store *s, const struct store_agent_ev *ev,
    size_t n);

/**
 * store_agents(s, fn, arg): call ${fn} on every known agent, by name then
 * issuer, until it returns non-zero.  Return the number visited, or -1.
 * A store without the agents table (schema 0 or 1, opened read-only) has
 * none.
 */
long store_agents(struct store *s,
    int (*fn)(const struct store_agent *a, void *arg), void *arg);

#endif /* GW_STORE_AGENTS_H */
