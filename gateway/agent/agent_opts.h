/*
 * agent_opts.h: gw-agent's command line (docs/man/gw-agent.8) into a
 * struct of options, from one table of options: each with its kind and
 * its bounds.  No I/O: a bad command line comes back as a message that
 * names the option and its value, and main() prints it with the usage.
 */
#ifndef GW_AGENT_OPTS_H
#define GW_AGENT_OPTS_H

#include <stddef.h>

#include "log.h"

/* --command-output's bound: the largest RESULT output (65536 - 14). */
#define AGENT_COMMAND_OUTPUT_MAX	65522

struct agent_opts {
	int		 enroll_only;	/* "gw-agent enroll ..." */
	const char	*gateway;	/* IP:PORT[,IP:PORT...] */
	const char	*cert, *key, *ca;
	const char	*server_name;
	const char	*file;		/* NULL: stdin */
	const char	*state;		/* --state FILE, or NULL */
	unsigned long	 queue;		/* lines held unacknowledged */
	unsigned long	 queue_bytes;	/* their bytes; 0: no cap */
	double		 timeout;	/* 0: none */
	double		 heartbeat;
	double		 failback_hold;	/* -1: off */
	double		 connect_timeout; /* 0: the session's default */
	double		 rate;		/* lines per second; 0: no limit */
	double		 renew;		/* share of validity left; 0: never */
	/* Commands (command.h, cmdqueue.h). */
	const char	*on_command;	/* the handler, or NULL */
	unsigned long	 command_output; /* output bytes kept */
	double		 command_timeout; /* seconds before SIGKILL */
	enum log_level	 log_level;
	/* Enrollment (enroll_client.h). */
	const char	*enroll;	/* the enrollment listener */
	const char	*ca_fingerprint;
	const char	*name;
	const char	*token;		/* --token, or NULL */
	const char	*token_file;	/* --token-file: read by main() */
	double		 wait;
	unsigned long	 rsa;		/* 0: EC */
	unsigned	 ec;		/* 0: P-256 */
	/* Service mode (service.h): everything else is in the file. */
	const char	*config;	/* -c FILE, or NULL */
	const char	*check_config;	/* --check-config FILE, or NULL */
	int		 others;	/* options given besides those */
};

/**
 * agent_opts_parse(o, argc, argv, err, errlen): parse gw-agent's command
 * line ${argv} (getopt_long: it permutes ${argv} and uses optind) into
 * ${o}, defaults first.  Return 0, or -1 with what is wrong in ${err}
 * (empty for --help).
 */
int agent_opts_parse(struct agent_opts *o, int argc, char **argv, char *err,
    size_t errlen);

struct agent_config;

/**
 * agent_opts_config(o, c): the [agent] keys of ${c} (agent_config.h) as
 * the command line's options (pointing into ${c}).
 */
void agent_opts_config(struct agent_opts *o, const struct agent_config *c);

#endif /* GW_AGENT_OPTS_H */
