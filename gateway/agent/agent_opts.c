/*
 * agent_opts.c: gw-agent's command line (see agent_opts.h).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_config.h"
#include "agent_opts.h"
#include "log.h"
#include "pkikey.h"

enum agent_opt_kind {
	AO_STR,		/* const char * */
	AO_DBL,		/* double within [lo, hi] (open ends: AO_LO_OPEN...) */
	AO_ULONG,	/* unsigned long within [lo, hi] */
	AO_HOLD,	/* "off" (-1) or AO_DBL */
	AO_LEVEL,	/* enum log_level */
	AO_EC,		/* a curve: unsigned bits */
	AO_TOKEN,	/* --token: forgets --token-file */
	AO_TOKEN_FILE,	/* --token-file: forgets --token */
	AO_HELP
};

#define AO_LO_OPEN	1	/* the value must be above lo */
#define AO_HI_OPEN	2	/* ... below hi */

struct agent_opt {
	const char		*name;
	enum agent_opt_kind	 kind;
	size_t			 off;	/* in struct agent_opts */
	double			 lo, hi;
	int			 open;
};

#define AO(n, k, f, lo, hi, open) \
	{ n, k, offsetof(struct agent_opts, f), lo, hi, open }
#define AO_S(n, f)	AO(n, AO_STR, f, 0, 0, 0)

static const struct agent_opt agent_opt_table[] = {
	AO_S("gateway", gateway),
	AO_S("cert", cert),
	AO_S("key", key),
	AO_S("ca", ca),
	AO_S("server-name", server_name),
	AO_S("file", file),
	AO("queue", AO_ULONG, queue, 1, 100000000, 0),
	AO("queue-bytes", AO_ULONG, queue_bytes, 0, 1073741824, 0),
	AO("timeout", AO_DBL, timeout, 0, HUGE_VAL, 0),
	AO("heartbeat", AO_DBL, heartbeat, 0.05, HUGE_VAL, 0),
	AO("failback-hold", AO_HOLD, failback_hold, 0, HUGE_VAL, 0),
	AO("connect-timeout", AO_DBL, connect_timeout, 0.1, 3600, 0),
	AO("log-level", AO_LEVEL, log_level, 0, 0, 0),
	AO_S("state", state),
	AO("rate", AO_DBL, rate, 0, HUGE_VAL, AO_LO_OPEN),
	AO_S("enroll", enroll),
	AO_S("ca-fingerprint", ca_fingerprint),
	AO_S("name", name),
	AO("token", AO_TOKEN, token, 0, 0, 0),
	AO("token-file", AO_TOKEN_FILE, token_file, 0, 0, 0),
	AO("wait", AO_DBL, wait, 0, HUGE_VAL, 0),
	AO("rsa", AO_ULONG, rsa, 2048, 4096, 0),
	AO("ec", AO_EC, ec, 0, 0, 0),
	AO("renew", AO_DBL, renew, 0, 1, AO_HI_OPEN),
	AO_S("on-command", on_command),
	AO("command-output", AO_ULONG, command_output, 0,
	    AGENT_COMMAND_OUTPUT_MAX, 0),
	AO("command-timeout", AO_DBL, command_timeout, 0, 31536000,
	    AO_LO_OPEN),
	AO("help", AO_HELP, enroll_only, 0, 0, 0),
	AO_S("config", config),
	AO_S("check-config", check_config),
};

#define AO_N	(sizeof(agent_opt_table) / sizeof(agent_opt_table[0]))
#define AO_CONFIG	(AO_N - 2)	/* -c: the last two are the file's */

static const struct agent_opts agent_opts_default = {
	.queue = 10000,
	.heartbeat = 5.0,
	.failback_hold = 10.0,
	.renew = 0.33,
	.command_output = 4096,
	.command_timeout = 60,
	.log_level = LOG_LVL_INFO
};

/* ${v} within ${t}'s bounds. */
static int
agent_opt_in(const struct agent_opt *t, double v)
{
	if (!((t->open & AO_LO_OPEN) ? v > t->lo : v >= t->lo))
		return 0;
	return (t->open & AO_HI_OPEN) ? v < t->hi : v <= t->hi;
}

/* A number of kind ${t}->kind in ${s}, within bounds, into ${p}. */
static int
agent_opt_num(const struct agent_opt *t, const char *s, void *p)
{
	unsigned long u;
	double d;
	char *end;

	errno = 0;
	if (t->kind == AO_ULONG) {
		u = strtoul(s, &end, 10);
		if (errno != 0 || *end != '\0' || !agent_opt_in(t, (double)u))
			return -1;
		*(unsigned long *)p = u;
		return 0;
	}
	d = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !agent_opt_in(t, d))
		return -1;
	*(double *)p = d;
	return 0;
}

/* Option ${t} with the value ${s} into ${o}: 0, or -1 if it is bad. */
static int
agent_opt_set(struct agent_opts *o, const struct agent_opt *t, const char *s)
{
	void *p = (char *)o + t->off;

	switch (t->kind) {
	case AO_STR:
		*(const char **)p = s;
		return 0;
	case AO_TOKEN:
	case AO_TOKEN_FILE:
		/* The last of --token and --token-file counts. */
		o->token = o->token_file = NULL;
		*(const char **)p = s;
		return 0;
	case AO_HOLD:
		if (strcmp(s, "off") == 0) {
			*(double *)p = -1;
			return 0;
		}
		return agent_opt_num(t, s, p);
	case AO_DBL:
	case AO_ULONG:
		return agent_opt_num(t, s, p);
	case AO_LEVEL:
		return log_level_parse(s, p);
	case AO_EC:
		return pki_ec_parse(s, p);
	case AO_HELP:
		break;
	}
	return -1;
}

/* What the options say together; 0, or -1 with the reason in ${err}. */
static int
agent_opts_check(const struct agent_opts *o, char *err, size_t errlen)
{
	const char *why = NULL;

	if (o->config != NULL || o->check_config != NULL) {
		if (o->enroll_only)
			why = "enroll takes no -c or --check-config";
		else if (o->config != NULL && o->check_config != NULL)
			why = "-c and --check-config exclude each other";
		else if (o->others > 0)
			why = "-c and --check-config take no other option "
			    "(the file has them)";
		if (why == NULL)
			return 0;
	} else if (o->enroll_only && o->gateway != NULL)
		why = "enroll takes no --gateway";
	else if (!o->enroll_only && o->gateway == NULL)
		why = "--gateway is required";
	else if (o->cert == NULL || o->key == NULL || o->ca == NULL)
		why = "--cert, --key and --ca are required";
	else if ((o->enroll != NULL) != (o->ca_fingerprint != NULL) ||
	    (o->enroll != NULL) != (o->name != NULL))
		why = "--enroll, --ca-fingerprint and --name go together";
	else if (o->rsa != 0 && o->ec != 0)
		why = "--rsa and --ec exclude each other";
	else if (o->enroll_only && o->enroll == NULL)
		why = "enroll needs --enroll";
	else if (o->on_command != NULL && o->on_command[0] != '/')
		why = "--on-command needs an absolute path (no shell, "
		    "no PATH search)";
	if (why == NULL)
		return 0;
	snprintf(err, errlen, "%s", why);
	return -1;
}

/**
 * agent_opts_parse(o, argc, argv, err, errlen): parse gw-agent's command
 * line ${argv} (getopt_long: it permutes ${argv} and uses optind) into
 * ${o}, defaults first.  Return 0, or -1 with what is wrong in ${err}
 * (empty for --help).
 */
int
agent_opts_parse(struct agent_opts *o, int argc, char **argv, char *err,
    size_t errlen)
{
	struct option lo[AO_N + 1];
	const struct agent_opt *t;
	int ch;

	*o = agent_opts_default;
	err[0] = '\0';
	if (argc > 1 && strcmp(argv[1], "enroll") == 0) {
		o->enroll_only = 1;
		argc--;
		argv++;
	}
	memset(lo, 0, sizeof(lo));
	for (size_t i = 0; i < AO_N; i++)
		lo[i] = (struct option){ agent_opt_table[i].name,
		    agent_opt_table[i].kind == AO_HELP ? no_argument :
		    required_argument, NULL, 256 + (int)i };
	optind = 0;		/* glibc: start afresh (tests parse again) */
	while ((ch = getopt_long(argc, argv, "c:", lo, NULL)) != -1) {
		if (ch == 'c')
			ch = 256 + (int)AO_CONFIG;
		if (ch < 256 || ch >= 256 + (int)AO_N) {
			snprintf(err, errlen, "bad option %s",
			    argv[optind - 1]);
			return -1;
		}
		t = &agent_opt_table[ch - 256];
		if (t->kind == AO_HELP)
			return -1;
		if (ch - 256 < (int)AO_CONFIG)
			o->others++;
		if (agent_opt_set(o, t, optarg) != 0) {
			snprintf(err, errlen, "--%s: bad value \"%s\"",
			    t->name, optarg);
			return -1;
		}
	}
	if (optind != argc) {
		snprintf(err, errlen, "unexpected argument %s", argv[optind]);
		return -1;
	}
	return agent_opts_check(o, err, errlen);
}

_Static_assert(AGENT_CONFIG_OUTPUT_MAX == AGENT_COMMAND_OUTPUT_MAX,
    "agent_config.h and agent_opts.h bound command_output alike");

/**
 * agent_opts_config(o, c): the [agent] keys as the command line's options
 * (pointing into ${c}).
 */
void
agent_opts_config(struct agent_opts *o, const struct agent_config *c)
{
	memset(o, 0, sizeof(*o));
	o->gateway = c->gateway;
	o->cert = c->cert;
	o->key = c->key;
	o->ca = c->ca;
	o->server_name = c->server_name;
	o->state = c->state;
	o->queue = c->queue;
	o->queue_bytes = c->queue_bytes;
	o->heartbeat = c->heartbeat;
	o->failback_hold = c->failback_hold;
	o->connect_timeout = c->connect_timeout;
	o->renew = c->renew;
	o->on_command = c->on_command;
	o->command_output = c->command_output;
	o->command_timeout = c->command_timeout;
	o->log_level = c->log_level;
}
