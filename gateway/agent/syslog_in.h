/*
 * syslog_in.h: gw-agent's local syslog input, [syslog]: RFC 5424 and RFC
 * 3164 messages over UDP and TCP (RFC 6587 framing) from the senders the
 * allow list names, each one event of kind "syslog" (PROTOCOL.md 12.3)
 * pushed to the sink.  A TCP sender is back-pressured when the sink is
 * full; a datagram that finds no room is dropped and counted.
 */
#ifndef GW_SYSLOG_IN_H
#define GW_SYSLOG_IN_H

#include <stdint.h>

#include "input.h"

extern const struct input_ops syslog_input_ops;

/* What the input counts (logged with each warning and at the stop). */
struct syslog_stats {
	uint64_t	received;	/* messages pushed */
	uint64_t	cut;		/* ... cut to max_message */
	uint64_t	dropped;	/* datagrams that found no room */
	uint64_t	refused;	/* datagrams, connections not allowed */
	uint64_t	conns_refused;	/* connections over the max */
	uint64_t	frame_errors;	/* connections closed: bad framing */
	uint64_t	incomplete;	/* counted messages cut by an EOF */
	uint64_t	conns_accepted;	/* connections taken */
	uint64_t	conns_evicted;	/* ... closed for a newcomer */
	uint64_t	conns_timed_out; /* ... closed: no message in time */
	uint64_t	conns_reload;	/* ... closed: a reload's allow/bind */
	uint64_t	accept_errors;	/* accept() failed (EMFILE...) */
	uint64_t	read_errors;	/* reads failed (resets too) */
	uint64_t	discarded;	/* messages closed connections held */
	uint64_t	discarded_bytes; /* ... bytes held or unread */
};

/** syslog_in_stats(in, st): the counters of input ${in} (from start). */
void syslog_in_stats(const void *in, struct syslog_stats *st);

#endif /* GW_SYSLOG_IN_H */
