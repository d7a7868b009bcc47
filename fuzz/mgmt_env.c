/*
 * mgmt_env.c: fuzz_mgmt's world (see mgmt_env.h), its common part: the
 * step (who acts, mgmt_step), the agents' names, and every DATA the
 * gateways sent.  The gateways are in mgmt_link.c, the store's side in
 * mgmt_store.c, the authority in mgmt_auth.c (mgmt_env_impl.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "mgmt_env.h"
#include "mgmt_env_impl.h"

struct mg_world mg = { .actor = -1 };

uint32_t
mg_hash(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

int
mg_name(const char *name, int add)
{
	for (unsigned i = 0; i < mg.nnames; i++)
		if (strcmp(mg.names[i], name) == 0)
			return (int)i;
	if (!add || mg.nnames == MG_NAMES) {
		mg.names_full |= add;
		return -1;
	}
	snprintf(mg.names[mg.nnames], sizeof(mg.names[0]), "%s", name);
	return (int)mg.nnames++;
}

void
mgmt_env_init(const void *const crts[MGMT_CRTS])
{
	mg_link_crts(crts);
	mg_store_init();
}

void
mgmt_env_reset(void)
{
	mg_link_reset();
	mg_auth_reset();
	mg_store_reset();
	mg.actor = -1;
	mg.teardown = 0;
	mg.actor_chan = 0;
	mg.faults = mg.step_faults = 0;
	mg.nnames = mg.nsent = 0;
	mg.names_full = mg.sent_full = 0;
}

void
mgmt_env_done(void)
{
	mg_auth_done();
	mg_store_done();
}

void
mgmt_step(int who, uint32_t chan)
{
	mg.teardown = who == -2;
	mg.actor = who;
	mg.actor_chan = chan;
	mg.step_faults = mg.faults;
}
