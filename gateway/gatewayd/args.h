/*
 * args.h: gatewayd's command line (the daemon's; `gatewayd status` has
 * its own, status.h).
 */
#ifndef GW_ARGS_H
#define GW_ARGS_H

/* The command line. */
struct gw_args {
	const char	*file;		/* -c; NULL: the embedded default */
	const char	*level;		/* --log-level, or NULL */
	int		 check;		/* --check-config */
};

/**
 * gw_args_parse(argc, argv, a): the options into ${a}; print the usage and
 * exit 2 on a bad one.
 */
void gw_args_parse(int argc, char **argv, struct gw_args *a);

#endif /* GW_ARGS_H */
