/*
 * handover.h: a worker's side of agent ownership in workers mode
 * (owners.h is the parent's; docs/PROTOCOL.md 9.14).  A session that
 * read its agent's HELLO (direct, agent.c) or an inner gateway's OPEN
 * (relayed, relay.c) takes the agent's name in the worker's index as
 * always (agent_names.h), then asks the parent
 * (CLAIM) and opens no channel upstream before GRANT; DENY, or no answer
 * within hello_timeout, closes it with a reason the agent retries.  A
 * RELEASE from the parent closes the session holding the agent here as a
 * superseded one (its closer); RELEASED goes once no OPEN of the agent
 * this worker sent is unanswered (OPEN_ACK or CLOSE read for it, or its
 * link gone: chan.c counts them, handover_open_pending), so gw-mgmt has
 * read the old OPEN before the new worker's.  DROP tells the parent the
 * worker let the agent go on its own (its session ended, nothing
 * unanswered).
 *
 * gw->handover is NULL in a single process (workers = 1): every hook here
 * is then a no-op and a session goes on as it always did.
 */
#ifndef GW_HANDOVER_H
#define GW_HANDOVER_H

struct gw;
struct handover;
struct handover_key;

/*
 * What the parent says to session ${sess} (its argument to handover_claim):
 * HANDOVER_GRANT (go on: open the channel), HANDOVER_DENY (close with a
 * reason the agent retries: HANDOVER_RETRY_TEXT), HANDOVER_RELEASE (it
 * holds the agent, another worker claims it: close as superseded).
 */
enum { HANDOVER_DENY, HANDOVER_GRANT, HANDOVER_RELEASE };
typedef void handover_answer_fn(void *sess, int what);

/* The text a session refused or timed out in CLAIMING closes with. */
#define HANDOVER_RETRY_TEXT	"agent being handed over between workers, " \
				"retry"

/**
 * handover_new(gw, fd): the worker side for ${gw} (a worker), on ${fd},
 * its end of its owner pipe (closed by handover_free); the caller keeps
 * it as gw->handover (handover_start).  NULL (logged) on ENOMEM.
 */
struct handover *handover_new(struct gw *gw, int fd);

/** handover_free(h): forget every agent, close the pipe; NULL-safe. */
void handover_free(struct handover *h);

/**
 * handover_start(gw, fd): ${gw} is a worker; ${fd} its end of its owner
 * pipe (closed by handover_stop).  0, or -1 (logged).  A macro: gw.h
 * wants struct gw written by its caller (main.c) alone.
 */
#define handover_start(gw, fd)						\
	(((gw)->handover = handover_new((gw), (fd))) != NULL ? 0 : -1)

/**
 * handover_stop(gw): forget every agent, close the pipe; gw->handover is
 * NULL again.  NULL-safe.  A macro, as handover_start.
 */
#define handover_stop(gw)						\
	do {								\
		handover_free((gw)->handover);				\
		(gw)->handover = NULL;					\
	} while (0)

/**
 * handover_claim(gw, name, sess, fn, hkp): session ${sess} of agent
 * ${name} (the tail of its agent_names key) took the name here and would
 * open a channel.  0: go on now (no hand-over: a single process); 1: wait,
 * CLAIM sent: ${fn}(${sess}, granted) answers (not from inside this call);
 * -1: out of memory (logged): close retryably.  ${fn} is also how a
 * RELEASE reaches ${sess}, once granted.  With 0 or 1, ${hkp} (the
 * session's channel's key, chan.h) is set to what handover_open_pending
 * takes.
 */
int handover_claim(struct gw *gw, const char *name, void *sess,
    handover_answer_fn *fn, struct handover_key **hkp);

/**
 * handover_end(gw, name, sess): session ${sess} of agent ${name} ends
 * (its channel already closed); NULL ${name}: a session that never had
 * one.  What is owed to the parent goes once nothing is unanswered.
 */
void handover_end(struct gw *gw, const char *name, void *sess);

/**
 * handover_open_pending(gw, hk): a channel of ${hk}'s agent closed with
 * its OPEN unanswered (chan.c); handover_open_answered when it is.
 */
void handover_open_pending(struct gw *gw, struct handover_key *hk);

/**
 * handover_open_answered(gw, hk): an OPEN handover_open_pending counted is
 * answered (OPEN_ACK or CLOSE read, or its link gone).
 */
void handover_open_answered(struct gw *gw, struct handover_key *hk);

#endif /* GW_HANDOVER_H */
