/*
 * inputs.h: the input kinds gw-agent's service knows (input.h), in one
 * table: the sections of agent.ini other than [agent] go to them.
 */
#ifndef GW_INPUTS_H
#define GW_INPUTS_H

#include <stddef.h>

#include "input.h"

/* At most this many kinds (agent_config.h keeps one conf per kind). */
#define INPUT_KINDS_MAX	8

/* The kinds, in the order they start. */
extern const struct input_ops *const input_kinds[];
extern const size_t input_nkinds;

#endif /* GW_INPUTS_H */
