/*
 * inputs.c: the table of gw-agent's input kinds (see inputs.h).
 */
#include "checks.h"
#include "inputs.h"
#include "syslog_in.h"
#include "tailf.h"

/* One line per kind, before the NULL, each exported by its own module. */
const struct input_ops *const input_kinds[] = {
	&tail_input_ops,	/* [file NAME] */
	&syslog_input_ops,	/* [syslog] */
	&check_input_ops,	/* [check NAME] */
	NULL
};

const size_t input_nkinds =
    sizeof(input_kinds) / sizeof(input_kinds[0]) - 1;
