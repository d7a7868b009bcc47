/*
 * store_agents.h: the agents in gw-mgmt's store (PROTOCOL.md 9.7, 9.9),
 * next to its messages (store.h) and its commands (store_cmd.h), on both
 * backends.
 *
 * Table agents (schema 2, its columns of schema 4, STORE_SCHEMA; an older
 * store gets them when opened for writing): one row per agent (issuer DN,
 * name) with every identity field of its last OPEN (sans and not_after_ms
 * from OPEN's identity extension: '' and NULL without it), the gateway
 * and peer address of it, first_seen_ms (its first OPEN, kept),
 * connected_ms (its last OPEN), seen_ms (the last time it was heard of:
 * OPEN, DATA, SEEN, close; it only grows while it is open), last_seq (the
 * highest seq stored of it, as its channels' marks said) and state
 * (enum store_agent_state: online from its OPEN to its close, stale while
 * open but silent, offline), and via (schema 5: the gateways it came by,
 * OPEN's via as received, '' if its last OPEN had none).  A reader of a
 * store of schema 2 or 3 sees sans "", not_after_ms 0 and last_seq 0, of
 * schema 2 to 4 via "".
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

/* An agent's state, as stored (its number) and shown (its name). */
enum store_agent_state {
	STORE_AGENT_OFFLINE	= 0,	/* closed (or never marked) */
	STORE_AGENT_ONLINE	= 1,	/* open, heard of lately */
	STORE_AGENT_STALE	= 2,	/* open, silent for stale_after */
	STORE_AGENT_NSTATES	= 3
};

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
	const char	*sans;		/* "TYPE:value ...", or "" */
	const char	*via;		/* "gw-inner gw-outer", or "" (up:
					   NULL is "") */
	int64_t		 not_after_ms;	/* its notAfter; 0: not known */
	/* Set by the store (read by store_agents): */
	int64_t		 first_seen_ms;	/* its first OPEN */
	int64_t		 connected_ms;	/* its last OPEN */
	int64_t		 seen_ms;	/* the last time it was heard of */
	uint64_t	 last_seq;	/* the highest seq stored of it */
	enum store_agent_state state;
	int		 online;	/* 1: open (online or stale) */
};

/*
 * What one channel of an agent did since the last store_agents_mark: its
 * OPEN (up), news of it (live: heard at seen_ms, rows stored up to
 * last_seq, now in state live), its close (closed_ms), any of them, in
 * that order.
 */
struct store_agent_ev {
	struct store_agent agent;	/* issuer, name; identity if up */
	int		 up;		/* 1: it opened at opened_ms */
	int64_t		 opened_ms;	/* its OPEN's time (store_agent_up's) */
	enum store_agent_state live;	/* online, stale; offline: no news */
	int64_t		 seen_ms;	/* live: heard at (0: not heard) */
	uint64_t	 last_seq;	/* live: stored up to (0: none) */
	int64_t		 closed_ms;	/* 0: still open; else its close */
};

/**
 * store_agent_state_str(st): "offline", "online", "stale", or "?" for
 * another value.
 */
const char *store_agent_state_str(enum store_agent_state st);

/**
 * store_agent_state_parse(name, out): the state named ${name} into
 * ${out}.  Return 0, or -1 if it names none.
 */
int store_agent_state_parse(const char *name, enum store_agent_state *out);

/**
 * store_agent_up(s, a, now_ms): the agent ${a} (its issuer, name and
 * identity fields; the times are ignored) opened a channel at ${now_ms}:
 * insert it, or update its identity, gateway and peer to ${a}'s; set it
 * online with connected_ms = seen_ms = ${now_ms}, keeping first_seen_ms
 * and last_seq.  Return 0 or -1.
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
 * store_agents_mark(s, ev, n): write the ${n} channel events ${ev} in one
 * transaction (one sync), by agent (issuer, name), each agent's in their
 * order: for each, store_agent_up of ev->agent at ev->opened_ms if
 * ev->up; then if ev->live is not offline, unless a later OPEN made the
 * agent's row another channel's (connected_ms > opened_ms) or it is
 * offline, seen_ms and last_seq raised to ev's (never lowered) and state
 * set to ev->live; then store_agent_down of it (opened_ms, closed_ms) if
 * ev->closed_ms is not 0.  Every server locks the rows in that one order:
 * two servers of one PostgreSQL store marking the same agents at once
 * never deadlock.  Return 0, or -1 (nothing written: an identity not
 * UTF-8, a state unknown, a seq above GW_SEQ_MAX, memory short, or the
 * store failed).
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
