/*
 * agent_names.c: one session per agent name (agent_names.h), indexed by a
 * namemap in gw->names: a pointer a session, made with the first claim
 * and freed with the last drop.
 */
#include <stdio.h>

#include "agent_impl.h"
#include "agent_names.h"
#include "conn.h"
#include "gw.h"
#include "log.h"
#include "namemap.h"

static const char *
agent_names_key(const void *v)
{
	return ((const struct agent *)v)->name;
}

/**
 * agent_names_claim(a): make ${a} its name's session, closing the older
 * one (superseded).  0, or -1 with ${a} closed (out of memory).
 */
int
agent_names_claim(struct agent *a)
{
	struct gw *gw = a->gw;
	struct agent *old;
	char detail[128];

	if (gw->names != NULL && (old = namemap_get(gw->names, a->name)) !=
	    NULL && old != a) {
		namemap_del(gw->names, old);
		log_info("event=agent_superseded agent=%s peer=%s by=%s",
		    a->name, conn_peer(old->c), conn_peer(a->c));
		snprintf(detail, sizeof(detail), "a newer session of this "
		    "agent from %s", conn_peer(a->c));
		agent_close(old, GW_R_SUPERSEDED, detail);	/* frees it */
	}
	if (gw->names == NULL &&
	    (gw->names = namemap_new(agent_names_key)) == NULL)
		goto nomem;
	if (namemap_get(gw->names, a->name) == a)
		return 0;
	if (namemap_put(gw->names, a) != 0)
		goto nomem;
	return 0;
nomem:
	agent_close(a, GW_R_OVERLOAD, "out of memory");
	return -1;
}

/** agent_names_drop(a): ${a} is closing: give its name back if it has it. */
void
agent_names_drop(struct agent *a)
{
	struct gw *gw = a->gw;

	if (gw->names == NULL || a->name == NULL)
		return;
	namemap_del(gw->names, a);
	if (namemap_count(gw->names) == 0) {
		namemap_free(gw->names);
		gw->names = NULL;
	}
}
