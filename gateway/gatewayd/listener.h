/*
 * listener.h: the agents' TCP listener: accept, enforce max_agents, hand
 * each socket to a new agent session.
 */
#ifndef GW_LISTENER_H
#define GW_LISTENER_H

#include "gw.h"

/**
 * listener_new(gw, err, errlen): bind and listen on ${gw}->cfg->listen;
 * return NULL with the reason in ${err} on failure.
 */
struct listener *listener_new(struct gw *gw, char *err, size_t errlen);

/** listener_start(l) / listener_stop(l): accept or stop accepting. */
void listener_start(struct listener *l);
void listener_stop(struct listener *l);

/** listener_free(l): close ${l}; listener_free(NULL) is a no-op. */
void listener_free(struct listener *l);

#endif /* GW_LISTENER_H */
