/*
 * sink_ctl.h: the service's side of the sink (sink.h): making one over
 * the send queue and the journal, telling it of acknowledgements.  Inputs
 * include sink.h only.
 */
#ifndef GW_SINK_CTL_H
#define GW_SINK_CTL_H

#include <stddef.h>

struct sink;
struct journal;

struct sendq;

struct sink_params {
	struct sendq	*q;		/* its line cap and byte cap */
	struct journal	*journal;	/* NULL: no state kept */
	/* After a commit: send what credit allows (client_session_kick). */
	void		(*kick)(void *arg);
	/* The sink failed (the journal): stop the agent with ${msg}. */
	void		(*fail)(const char *msg, void *arg);
	void		*arg;
};

/** sink_new(p): a sink over ${p} (copied), or NULL (errno). */
struct sink *sink_new(const struct sink_params *p);

/**
 * sink_acked(s): acknowledgements made room: call the waiters, oldest
 * first, each once, while there is room.
 */
void sink_acked(struct sink *s);

/** sink_pushed(s): events pushed since the start. */
unsigned long long sink_pushed(const struct sink *s);

/** sink_waiting(s): the number of inputs waiting for room. */
size_t sink_waiting(const struct sink *s);

/** sink_free(s): free ${s} (its waiters are forgotten); NULL-safe. */
void sink_free(struct sink *s);

#endif /* GW_SINK_CTL_H */
