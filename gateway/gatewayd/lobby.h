/*
 * lobby.h: where a listener's accepted sockets wait for their first bytes.
 *
 * A socket that has not spoken costs a small record here (its descriptor,
 * an ev_io and list links: no TLS context, no session) and takes no
 * handshake slot.  Once bytes arrive it goes on to the listener's handler;
 * if the handler has no room yet (admission control), it waits here, ready,
 * in arrival order, until lobby_admit().  A peer that closed is dropped.
 *
 * Silent sockets are closed after a timeout; at most per_source of them
 * wait per source (keyed as the rate limit keys it: rl_source_key) and at
 * most max in all, the ready ones included.  Over either cap the oldest
 * silent socket (of that source, or of all) is closed to make room (one
 * whose bytes came meanwhile goes on instead): a new connection always
 * gets its chance to speak, so a flood from one address cannot keep a good
 * agent behind the same address out, and memory is bounded under any
 * input.
 */
#ifndef GW_LOBBY_H
#define GW_LOBBY_H

#include <stdint.h>
#include <sys/socket.h>
#include <ev.h>

#include "limit.h"

struct lobby;

struct lobby_limits {
	double		 timeout;	/* silent this long: closed */
	unsigned	 max;		/* sockets waiting, at most */
	unsigned	 per_source;	/* ... silent, from one source; 0: any */
};

/* Counted since lobby_new(). */
struct lobby_stats {
	uint64_t	 timed_out;	/* silent for timeout */
	uint64_t	 evicted_source; /* oldest of a source over per_source */
	uint64_t	 evicted_full;	/* oldest of all over max */
	uint64_t	 refused_full;	/* max reached, all of them ready */
	uint64_t	 gave_up;	/* the peer closed before its turn */
};

/* What lobby_add() did to make room (or-ed). */
#define LOBBY_EVICTED_SOURCE	0x1
#define LOBBY_EVICTED_FULL	0x2

/*
 * The socket ${fd} spoke (or it is its turn, ready): take it and return 0,
 * or return -1 without touching it if there is no room yet.
 */
typedef int lobby_enter_fn(void *arg, int fd);

/**
 * lobby_new(loop, lim, v6_prefix, hits, enter, arg): an empty lobby on
 * ${loop} under the limits ${lim} (copied); sources are keyed with IPv6
 * prefixes of ${v6_prefix} bits; timeouts are counted in ${hits}
 * (first_byte_timeout); sockets that speak go to ${enter}(${arg}, fd).
 * Return NULL on allocation failure.
 */
struct lobby *lobby_new(struct ev_loop *loop, const struct lobby_limits *lim,
    unsigned v6_prefix, struct limits *hits, lobby_enter_fn *enter,
    void *arg);

/**
 * lobby_add(lb, fd, sa, spoke): keep accepted socket ${fd} from address
 * ${sa} (NULL: unknown, no per-source cap) until it speaks, after closing
 * the oldest silent sockets the caps call for; if it ${spoke} already, it
 * goes to the enter function at once if none is waiting before it, else
 * it waits, ready.  Return the LOBBY_EVICTED_* flags of what was closed
 * (0: nothing), or -1 if ${fd} itself was closed (every waiting socket is
 * ready, or out of memory).
 */
int lobby_add(struct lobby *lb, int fd, const struct sockaddr *sa,
    int spoke);

/**
 * lobby_admit(lb): there may be room again: hand the ready sockets to the
 * enter function, oldest first, until it has no room; drop those whose
 * peer closed meanwhile.
 */
void lobby_admit(struct lobby *lb);

/**
 * lobby_set_limits(lb, lim): a reload: ${lim} (copied) from now on, the
 * timeout counted from each socket's accept; sockets over a lowered cap
 * stay until the next lobby_add() makes room.
 */
void lobby_set_limits(struct lobby *lb, const struct lobby_limits *lim);

/**
 * lobby_peek(fd): -1 if the peer of socket ${fd} closed or reset it, 1 if
 * bytes wait to be read, 0 if neither yet.
 */
int lobby_peek(int fd);

/** lobby_silent(lb): sockets waiting for their first bytes (NULL: 0). */
unsigned lobby_silent(const struct lobby *lb);

/** lobby_ready(lb): sockets that spoke, waiting for room (NULL: 0). */
unsigned lobby_ready(const struct lobby *lb);

/** lobby_stats(lb): the counters of ${lb}. */
const struct lobby_stats *lobby_stats(const struct lobby *lb);

/** lobby_clear(lb): close every socket waiting in ${lb}. */
void lobby_clear(struct lobby *lb);

/** lobby_free(lb): close every socket and free ${lb}; NULL is a no-op. */
void lobby_free(struct lobby *lb);

#endif /* GW_LOBBY_H */
