/*
 * input.h: one kind of gw-agent input (followed files, the syslog
 * listener, scheduled checks) as the service sees it: its configuration
 * sections, and its life (start, reload, stop taking input, free).  The
 * service (main.c, agent_config.c) knows inputs only through this table;
 * each kind knows only the sink (sink.h).
 *
 * A kind's configuration is one object for all its sections: [file web]
 * and [file auth] both go to the "file" kind's conf with their NAME.
 */
#ifndef GW_INPUT_H
#define GW_INPUT_H

#include <stddef.h>
#include <ev.h>

#include "conf_report.h"

struct sink;

struct input_ops {
	const char	*section;	/* "file": [file NAME] */
	int		 named;		/* 1: [section NAME]; 0: [section] */
	/*
	 * An empty configuration (defaults), or NULL (errno).  Relative
	 * paths in it are relative to ${dir}, the configuration file's
	 * directory (the kind resolves them).
	 */
	void		*(*conf_new)(const char *dir);
	/*
	 * One key of section [section ${name}] (${name} NULL when not
	 * named): CONF_SET_OK, CONF_SET_BAD (${why} says why) or
	 * CONF_SET_UNKNOWN (conf_util.h).
	 */
	int		 (*conf_set)(void *conf, const char *name,
			    const char *key, const char *value, char *why,
			    size_t whylen);
	/*
	 * After the whole file: what no single key shows (a required key
	 * missing, two sections in conflict): the number of errors, each
	 * reported through ${rep} with conf_reportf() by its section, NAME
	 * and key (conf_report.h).  The loader writes it as "file:LINE:
	 * [section NAME] key: why", LINE that key's or else the section's
	 * first key's, and drops it if that key's value was already
	 * reported bad.
	 */
	int		 (*conf_check)(void *conf,
			    const struct conf_report *rep);
	void		 (*conf_free)(void *conf);
	/* 1 if ${conf} has anything to run (an empty kind is not started). */
	int		 (*conf_any)(const void *conf);
	/*
	 * Start on ${loop} (libev's default loop) feeding ${sink}, with
	 * ${conf} (the input may keep it until reload or free).  NULL with
	 * the reason in ${err} (a port taken, a file unreadable...).
	 */
	void		*(*start)(struct ev_loop *loop, struct sink *sink,
			    const void *conf, char *err, size_t errlen);
	/*
	 * SIGHUP with a new configuration that passed conf_check: apply it
	 * (what did not change keeps running: a followed file keeps its
	 * position, a listener its socket).  0, or -1 with ${err}: the
	 * input then runs on as before.  Optional (NULL: restart needed).
	 */
	int		 (*reload)(void *in, const void *conf, char *err,
			    size_t errlen);
	/* SIGTERM: take no more input (what was pushed is delivered). */
	void		 (*stop)(void *in);
	void		 (*free)(void *in);
};

#endif /* GW_INPUT_H */
