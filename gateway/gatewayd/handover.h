/*
 * handover.h: a worker's side of agent ownership (W-OWN's module; this
 * header is the interface fixed in the brief, kept here so that main.c
 * builds before the merge: the lead keeps W-OWN's copy).
 */
#ifndef GW_HANDOVER_H
#define GW_HANDOVER_H

struct gw;

/** handover_start(gw, fd): ${fd}: the worker's end of its pipe; 0 or -1. */
int handover_start(struct gw *gw, int fd);

/** handover_stop(gw): NULL-safe on a gateway that never started it. */
void handover_stop(struct gw *gw);

#endif /* GW_HANDOVER_H */
