/*
 * workers_stub.c: placeholder: replaced by W-OWN's module at merge (owners.c,
 * handover.c); the lead deletes this file.  No-ops with the brief's
 * interface: no agent hand-over between workers until then.
 */
#include <stdlib.h>
#include <unistd.h>

#include "gw.h"
#include "handover.h"
#include "owners.h"

struct owners {
	int	 fd[GW_MAX_WORKERS];
};

struct owners *
owners_new(struct ev_loop *loop, unsigned nworkers, unsigned max_agents)
{
	struct owners *o;

	(void)loop;
	(void)nworkers;
	(void)max_agents;
	if ((o = malloc(sizeof(*o))) == NULL)
		return NULL;
	for (unsigned i = 0; i < GW_MAX_WORKERS; i++)
		o->fd[i] = -1;
	return o;
}

void
owners_worker_up(struct owners *o, unsigned worker, int fd)
{
	o->fd[worker] = fd;
}

void
owners_worker_gone(struct owners *o, unsigned worker)
{
	if (o->fd[worker] >= 0)
		close(o->fd[worker]);
	o->fd[worker] = -1;
}

void
owners_free(struct owners *o)
{
	if (o == NULL)
		return;
	for (unsigned i = 0; i < GW_MAX_WORKERS; i++)
		if (o->fd[i] >= 0)
			close(o->fd[i]);
	free(o);
}

int
handover_start(struct gw *gw, int fd)
{
	(void)gw;
	close(fd);
	return 0;
}

void
handover_stop(struct gw *gw)
{
	(void)gw;
}
