/*
 * agent_core.h: what both of gw-agent's modes run on: the TLS
 * configuration, the send queue, the journal (--state), the session on the
 * gateway list, the COMMAND queue and the certificate renewal, built from
 * one struct agent_opts.  The mode (pipe_in.h: the command line; service.h:
 * -c FILE) feeds the queue and is told of acknowledgements.
 */
#ifndef GW_AGENT_CORE_H
#define GW_AGENT_CORE_H

#include <stdint.h>
#include <ev.h>

#include "agent_opts.h"
#include "identity.h"

#define AGENT_CORE_MAGIC	0x41674372u	/* "AgCr" */

struct agent_core {
	unsigned		 magic;		/* AGENT_CORE_MAGIC */
	struct ev_loop		*loop;
	struct client_session	*sess;
	struct sendq		*q;
	struct journal		*journal;	/* --state, or NULL */
	uint64_t		 offset;	/* the journal's input offset */
	int			 seq_lost;	/* a number was not journaled */
	struct renew		*renew;		/* --renew, or NULL */
	struct cmdtab		*cmdtab;	/* the COMMAND ids known */
	struct cmdqueue		*cmdq;		/* answers COMMANDs */
	struct tls_conf		*tls;		/* renewal replaces it */
	char			*gwlist;	/* --gateway, split */
	char			 name[ID_NAME_MAX];	/* our CN */
	/* The mode's: acknowledgements up to ${seq} freed room. */
	void			(*on_acked)(uint64_t seq, void *arg);
	/* The mode's: the agent is failing, take no more input. */
	void			(*on_fatal)(void *arg);
	void			*arg;
};

/* agent_core_build()'s results besides 0. */
#define AGENT_CORE_ERR		(-1)	/* printed on stderr */
#define AGENT_CORE_USAGE	(-2)	/* a bad option: ${err} says which */

/**
 * agent_core_init(a, on_acked, on_fatal, arg): an empty core (nothing to
 * free yet) calling the mode back with ${arg}.
 */
void agent_core_init(struct agent_core *a,
    void (*on_acked)(uint64_t seq, void *arg), void (*on_fatal)(void *arg),
    void *arg);

/**
 * agent_core_build(a, o, err, errlen): build ${a} (agent_core_init'ed)
 * from ${o}: TLS, queue, journal, loop, commands, session.
 * 0, AGENT_CORE_ERR (printed) or AGENT_CORE_USAGE (${err}).  The strings
 * of ${o} must outlive ${a}.
 */
int agent_core_build(struct agent_core *a, const struct agent_opts *o,
    char *err, size_t errlen);

/**
 * agent_core_exit_status(a): how the session ended, as gw-agent's exit
 * status (0 done, 1 failed, 3 refused), its message printed.
 */
int agent_core_exit_status(const struct agent_core *a);

/** agent_core_free(a): free what agent_core_build() made (any part). */
void agent_core_free(struct agent_core *a);

#endif /* GW_AGENT_CORE_H */
