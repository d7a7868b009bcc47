/*
 * args.c: gatewayd's command line (args.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: gatewayd [-c FILE] [--log-level LEVEL]\n"
	    "       gatewayd --check-config FILE\n"
	    "       gatewayd status [-c FILE] [--metrics ADDR]\n"
	    "Without -c, gatewayd runs on its embedded default configuration\n"
	    "(conf/gateway.ini) with paths relative to the working directory.\n");
	exit(2);
}

/**
 * gw_args_parse(argc, argv, a): the options into ${a}; print the usage and
 * exit 2 on a bad one.
 */
void
gw_args_parse(int argc, char **argv, struct gw_args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", required_argument, NULL, 'C' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(a, 0, sizeof(*a));
	while ((ch = getopt_long(argc, argv, "c:l:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			a->file = optarg;
			break;
		case 'C':
			a->file = optarg;
			a->check = 1;
			break;
		case 'l':
			a->level = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
}
