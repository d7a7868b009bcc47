/*
 * agent_config.h: gw-agent's configuration file (gw-agent.ini(5)) for the
 * service mode: the [agent] section, from a table of keys (conf_util.h),
 * and every other section handed to its input kind (input.h) by the first
 * word of its name: [file web] to the kind "file" with NAME "web".  Errors
 * are "file:line: [section] key: why" lines.  No I/O but reading the file.
 */
#ifndef GW_AGENT_CONFIG_H
#define GW_AGENT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "input.h"
#include "inputs.h"
#include "log.h"

#define AGENT_STATE_DEFAULT	"/var/lib/gw-agent/state"
/* command_output's bound: agent_opts.h's AGENT_COMMAND_OUTPUT_MAX. */
#define AGENT_CONFIG_OUTPUT_MAX	65522

struct agent_config {
	/* [agent] */
	char			*gateway;	/* gwlist.h syntax */
	char			*cert, *key, *ca, *server_name;
	char			*state;
	char			*on_command;
	uint32_t		 queue;		/* lines */
	uint32_t		 queue_bytes;
	uint32_t		 command_output;
	double			 heartbeat;
	double			 failback_hold;	/* -1: off */
	double			 connect_timeout;
	double			 renew;
	double			 command_timeout;
	double			 drain_timeout;
	enum log_level		 log_level;
	int			 log_syslog;	/* log = syslog */
	/* The other sections: one conf per kind. */
	const struct input_ops	*const *kinds;
	size_t			 nkinds;
	void			*kconf[INPUT_KINDS_MAX];
	char			*file;		/* as given */
	char			*dir;		/* its directory, absolute */
	int			 gateway_given;	/* a bad one is not missing */
	/* While loading: the line of each key read (agent_config.c). */
	struct agent_line	*lines;
	size_t			 nlines;
};

/**
 * agent_config_load(c, path, text, kinds, nkinds, err, errlen): read the
 * file ${path} (or ${text} if not NULL, ${path} then naming it) into
 * ${c}, the sections other than [agent] to the ${nkinds} ${kinds}, each
 * kind's conf_check run at the end.  Relative paths are relative to the
 * file's directory.  Return the number of errors, each a line of ${err};
 * free ${c} with agent_config_free() either way.
 */
int agent_config_load(struct agent_config *c, const char *path,
    const char *text, const struct input_ops *const *kinds, size_t nkinds,
    char *err, size_t errlen);

/**
 * agent_config_swap_kind(a, b, i): swap kind ${i}'s configurations of ${a}
 * and ${b} (a reload: the running input keeps its own).
 */
void agent_config_swap_kind(struct agent_config *a, struct agent_config *b,
    size_t i);

/**
 * agent_config_keep(old, nc, changed, len): a reload keeps the [agent]
 * keys that need a restart: each that differs gets its ${old} value back
 * in ${nc} (strings swapped: ${old} owns the new text) and is named in
 * ${changed} (", "-separated).  Return how many differed.
 */
unsigned agent_config_keep(struct agent_config *old, struct agent_config *nc,
    char *changed, size_t len);

/** agent_config_free(c): free what ${c} holds (not ${c}). */
void agent_config_free(struct agent_config *c);

#endif /* GW_AGENT_CONFIG_H */
