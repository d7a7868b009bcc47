/*
 * mgmt_env_impl.h: what the parts of fuzz_mgmt's world share (mgmt_env.h
 * is the harness's view of it):
 *  - mgmt_env.c: the step (who acts), the agents' names, and every DATA
 *    the gateways sent;
 *  - mgmt_link.c: the gateways, on fake conns (fake_conn.c): what each
 *    channel sent, and the checks of what gw-mgmt sends them;
 *  - mgmt_store.c: the store's fault hooks, and its committed view;
 *  - mgmt_auth.c: the signing authority, which answers when told.
 */
#ifndef GW_FUZZ_MGMT_ENV_IMPL_H
#define GW_FUZZ_MGMT_ENV_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "identity.h"

#define MG_NAMES	16	/* agent names */
#define MG_SENT		4096	/* DATA remembered in all */

/* A row as the checks keep it. */
struct mg_row {
	int64_t		 id;
	int		 name;		/* index in mg.names; -1: unknown */
	uint64_t	 seq;
	uint32_t	 hash;		/* of the payload */
};

/* The world's state but the conns', the store's and the authority's. */
struct mg_world {
	/* The step (mgmt_step): who acts, and whether the store failed. */
	int		 actor;		/* link slot; -1: none */
	int		 teardown;	/* anything may close */
	uint32_t	 actor_chan;	/* its channel; 0: the link */
	unsigned	 faults;	/* the store failed on purpose */
	unsigned	 step_faults;	/* faults when the step began */
	/* Agent names, and every DATA the gateways sent. */
	char		 names[MG_NAMES][ID_NAME_MAX];
	unsigned	 nnames;
	int		 names_full;
	struct mg_row	 sent[MG_SENT];
	unsigned	 nsent;
	int		 sent_full;
};

extern struct mg_world mg;

/** mg_hash(p, n): a hash of the ${n} bytes at ${p} (FNV-1a). */
uint32_t mg_hash(const void *p, size_t n);

/**
 * mg_name(name, add): the index of agent ${name}, added if ${add}; -1 if
 * it is not known (or there is no room: then mg.names_full).
 */
int mg_name(const char *name, int add);

/** mg_link_reset(): the gateways' side, before an input (mgmt_link.c). */
void mg_link_reset(void);

/** mg_link_crts(crts): the certificates gateways show (mgmt_link.c). */
void mg_link_crts(const void *const crts[]);

/**
 * mg_actor_sent(name, seq): did the actor of this step send DATA
 * (${name}, ${seq}) on its channel (1 also when it cannot be told)?
 */
int mg_actor_sent(int name, uint64_t seq);

/**
 * mg_actor_name(): the agent (index in mg.names) of the actor's channel;
 * -1 if none, -2 if it cannot be told.
 */
int mg_actor_name(void);

/**
 * mg_cmd_sent(name, id): a COMMAND(${id}) goes on an open channel of
 * agent ${name}: check the command targets it and has not expired, and
 * remember it went (mgmt_store.c).
 */
void mg_cmd_sent(int name, uint64_t id);

/** mg_store_reset(), mg_store_done(): see mgmt_env_reset, _done. */
void mg_store_reset(void);
void mg_store_done(void);

/** mg_store_init(): find the store's connection when it opens. */
void mg_store_init(void);

/**
 * mg_durable_has(name, seq), mg_durable_max(name): whether a committed
 * row holds (${name}, ${seq}); the highest committed seq of ${name}.
 */
int mg_durable_has(int name, uint64_t seq);
uint64_t mg_durable_max(int name);

/** mg_auth_reset(), mg_auth_done(): see mgmt_env_reset, _done. */
void mg_auth_reset(void);
void mg_auth_done(void);

#endif /* GW_FUZZ_MGMT_ENV_IMPL_H */
