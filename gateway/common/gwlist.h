/*
 * gwlist.h: an agent's list of gateways (--gateway), pure: no I/O, no
 * allocation.  The list is in priority order, separated by commas; a group
 * of gateways of the same priority is written with '|' between them:
 *   G1|G2|G3,G4   the group G1, G2, G3 first, then G4.
 * A group is turned into a plain priority order of its own for each agent:
 * a stable hash of the agent's name (FNV-1a, 32 bits, of its CN) modulo the
 * group's size picks its first gateway; the others follow by rendezvous
 * hashing (each gateway weighed by a hash of the agent's name and the
 * gateway's address, heaviest first).  Agents of one fleet thus spread
 * evenly over a group, each always prefers the same one, the agents of a
 * gateway that fails spread evenly over the rest of its group, and
 * fail-back (failover.c) brings each back to its own when it returns.  A list without '|'
 * is the same order as written.
 */
#ifndef GW_GWLIST_H
#define GW_GWLIST_H

#include <stddef.h>
#include <stdint.h>

/** gwlist_hash(name): the 32-bit FNV-1a hash of the string ${name}. */
uint32_t gwlist_hash(const char *name);

/**
 * gwlist_parse(spec, name, out, max, err, errlen): split ${spec} (written
 * in place: its separators become NULs) into at most ${max} addresses in
 * ${out}, in the priority order of the agent called ${name} (see the top).
 * Spaces around separators are allowed.  Return the number of addresses,
 * or -1 with a message in ${err} (no address, an empty one in a group,
 * more than ${max}).
 */
int gwlist_parse(char *spec, const char *name, const char **out, size_t max,
    char *err, size_t errlen);

#endif /* GW_GWLIST_H */
