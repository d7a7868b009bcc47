/*
 * inputs.c: the table of gw-agent's input kinds (see inputs.h).
 */
#include "inputs.h"
#include "syslog_in.h"

/*
 * One line per kind, before the NULL, each exported by its own module:
 * [file NAME] (&tail_input_ops), [syslog] (&syslog_input_ops), [check
 * NAME] (&check_input_ops).
 */
const struct input_ops *const input_kinds[] = {
	&syslog_input_ops,
	NULL
};

const size_t input_nkinds =
    sizeof(input_kinds) / sizeof(input_kinds[0]) - 1;
