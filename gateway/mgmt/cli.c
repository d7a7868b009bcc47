/*
 * cli.c: gw-mgmt command send|list|show and gw-mgmt agents (see cli.h),
 * on the store of a configuration (-c) or a SQLite file (--db), through
 * store_cmd.h and store_agents.h.  JSON Lines (--json) escape every
 * string (export.h); the tables show text from the store with every byte
 * outside printable ASCII as \xNN, so that no agent's output can drive a
 * terminal.
 */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "conf_util.h"
#include "export.h"
#include "mgmt_config.h"
#include "proto.h"
#include "store.h"
#include "store_agents.h"
#include "store_cmd.h"

#define CLI_MAGIC	0x436c6921u	/* "Cli!" */
#define CLI_TTL_DEFAULT	3600.		/* seconds: --ttl's default */
#define CLI_TTL_MAX	(366. * 86400)	/* seconds: --ttl's bound */

/* The command line of one subcommand. */
struct cli_opts {
	const char	*file;		/* -c */
	const char	*db;		/* --db */
	const char	*agent;		/* --agent */
	const char	*match;		/* --match */
	const char	*ttl;		/* --ttl */
	const char	*body;		/* --body */
	const char	*body_file;	/* --file */
	const char	*state;		/* --state */
	int		 json;		/* --json */
	int		 nargs;		/* operands left */
	char		**args;
};

/* What the callbacks print: how, and which. */
struct cli_out {
	uint32_t	 magic;		/* CLI_MAGIC */
	int		 json;
	int		 state;		/* --state: a state, or -1 */
	const char	*match;		/* agents --match: a glob, or NULL */
	long		 n;		/* lines printed */
	int		 failed;	/* a line could not be written whole */
};

static struct cli_out *
cli_out_check(void *arg)
{
	struct cli_out *o = arg;

	if (o == NULL || o->magic != CLI_MAGIC)
		abort();
	return o;
}

static int
cli_usage(void)
{
	fprintf(stderr,
	    "usage: gw-mgmt command send (-c FILE | --db PATH) "
	    "(--agent NAME | --match GLOB)\n"
	    "           [--ttl DURATION] (--body TEXT | --file F)\n"
	    "       gw-mgmt command list (-c FILE | --db PATH) [--state S] "
	    "[--json]\n"
	    "       gw-mgmt command show (-c FILE | --db PATH) ID [--json]\n"
	    "       gw-mgmt agents (-c FILE | --db PATH) "
	    "[--state online|offline|stale]\n"
	    "           [--match GLOB] [--json]\n");
	return 2;
}

/*
 * Parse ${argv} into ${o}, allowing the options whose letters are in
 * ${allowed}.  0, or -1 on a usage error.
 */
static int
cli_parse(int argc, char **argv, const char *allowed, struct cli_opts *o)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "agent", required_argument, NULL, 'a' },
		{ "match", required_argument, NULL, 'm' },
		{ "ttl", required_argument, NULL, 't' },
		{ "body", required_argument, NULL, 'b' },
		{ "file", required_argument, NULL, 'f' },
		{ "state", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const char **slot[] = { ['c'] = &o->file, ['d'] = &o->db,
	    ['a'] = &o->agent, ['m'] = &o->match, ['t'] = &o->ttl,
	    ['b'] = &o->body, ['f'] = &o->body_file, ['s'] = &o->state };
	int ch;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		if (ch == '?' || ch == ':' || strchr(allowed, ch) == NULL)
			return -1;
		if (ch == 'j')
			o->json = 1;
		else if (*slot[ch] != NULL)
			return -1;	/* given twice */
		else
			*slot[ch] = optarg;
	}
	o->nargs = argc - optind;
	o->args = argv + optind;
	return (o->file == NULL) == (o->db == NULL) ? -1 : 0;
}

/* The store of -c FILE or --db PATH; NULL (said).  ${cfg} to free. */
static struct store *
cli_open(const struct cli_opts *o, int readonly, struct mgmt_config *cfg)
{
	struct store_conf sc = { .type = STORE_SQLITE, .path = o->db };
	char err[8192] = "";
	struct store *s;
	int n;

	if (o->file != NULL) {
		if ((n = mgmt_config_load(o->file, cfg, err,
		    sizeof(err))) != 0) {
			fputs(err, stderr);
			fprintf(stderr, "%s: %d error%s\n", o->file, n,
			    n == 1 ? "" : "s");
			return NULL;
		}
		sc = (struct store_conf){ .type = cfg->store_type,
		    .path = cfg->database, .conninfo = cfg->conninfo };
	}
	/* Neither a reader nor a sender makes a store that is not there. */
	if (sc.type == STORE_SQLITE && access(sc.path, F_OK) != 0) {
		fprintf(stderr, "gw-mgmt: %s: %s\n", sc.path, strerror(errno));
		return NULL;
	}
	if ((s = store_open(&sc, readonly, err, sizeof(err))) == NULL)
		fprintf(stderr, "gw-mgmt: %s\n", err);
	return s;
}

static int64_t
cli_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Unix time ${ms} as 2026-12-07T12:00:00Z into ${buf}. */
static const char *
cli_time(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* ${len} bytes for a terminal: printable ASCII, the rest as \xNN. */
static void
cli_text(const void *p, size_t len, int newlines)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < len; i++)
		if ((c[i] >= 0x20 && c[i] < 0x7f && c[i] != '\\') ||
		    (newlines && c[i] == '\n'))
			putchar(c[i]);
		else
			printf("\\x%02x", c[i]);
}

static void
cli_json_str(const char *key, const char *s, int comma)
{
	printf("%s\"%s\":", comma ? "," : "", key);
	export_json_str(stdout, (const unsigned char *)s, strlen(s));
}

/* Flush standard output: 0, or 1 (said). */
static int
cli_flush(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "gw-mgmt: stdout: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

/* The body of send: --body's text or --file's bytes, into ${buf}. */
static int
cli_body(const struct cli_opts *o, char **buf, size_t *len)
{
	FILE *f;

	if (o->body != NULL) {
		*len = strlen(o->body);
		return (*buf = strdup(o->body)) != NULL ? 0 : -1;
	}
	if ((*buf = malloc(STORE_CMD_BODY_MAX + 1)) == NULL)
		return -1;
	if ((f = fopen(o->body_file, "rb")) == NULL) {
		fprintf(stderr, "gw-mgmt: %s: %s\n", o->body_file,
		    strerror(errno));
		return -1;
	}
	*len = fread(*buf, 1, STORE_CMD_BODY_MAX + 1, f);
	if (ferror(f)) {
		fprintf(stderr, "gw-mgmt: %s: read error\n", o->body_file);
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

/* gw-mgmt command send: make the command, print its id. */
static int
cli_send(int argc, char **argv)
{
	struct mgmt_config cfg = { 0 };
	struct cli_opts o;
	struct store_cmd c = { 0 };
	struct store *s = NULL;
	double ttl = CLI_TTL_DEFAULT;
	char why[256], *body = NULL;
	long n = 0;
	int rc = 1;

	if (cli_parse(argc, argv, "cdamtbf", &o) != 0 || o.nargs != 0 ||
	    (o.agent == NULL) == (o.match == NULL) ||
	    (o.body == NULL) == (o.body_file == NULL))
		return cli_usage();
	if (o.ttl != NULL && conf_duration(o.ttl, 1., CLI_TTL_MAX, &ttl, why,
	    sizeof(why)) != 0) {
		fprintf(stderr, "gw-mgmt: --ttl %s: %s\n", o.ttl, why);
		return 2;
	}
	if (cli_body(&o, &body, &c.len) != 0)
		goto out;
	c.target = o.agent != NULL ? o.agent : o.match;
	c.body = body;
	c.created_ms = cli_now_ms();
	c.expires_ms = c.created_ms + (int64_t)(ttl * 1000.);
	if ((s = cli_open(&o, 0, &cfg)) == NULL)
		goto out;
	if (store_cmd_create(s, &c, o.agent != NULL ? STORE_MATCH_NAME :
	    STORE_MATCH_GLOB, c.target, &n) != 0) {
		fprintf(stderr, "gw-mgmt: %s\n", store_errmsg(s));
		goto out;
	}
	printf("%lld\n", (long long)c.id);
	rc = cli_flush();
out:
	free(body);
	store_close(s);
	mgmt_config_free(&cfg);
	return rc;
}

/* One command of list, unless --state says otherwise. */
static int
cli_list_one(const struct store_cmd *c, void *arg)
{
	struct cli_out *o = cli_out_check(arg);
	char t1[32], t2[32];

	if (o->state >= 0 && c->count[o->state] == 0)
		return 0;
	if (o->json) {
		printf("{\"id\":%lld", (long long)c->id);
		cli_json_str("target", c->target, 1);
		printf(",\"created_ms\":%lld,\"expires_ms\":%lld",
		    (long long)c->created_ms, (long long)c->expires_ms);
		for (unsigned i = 0; i < STORE_CMD_NSTATES; i++)
			printf(",\"%s\":%llu", store_cmd_state_str(i),
			    (unsigned long long)c->count[i]);
		printf("}\n");
	} else {
		if (o->n == 0)
			printf("%-6s %-20s %-20s %7s %9s %7s %7s %7s  %s\n",
			    "ID", "CREATED", "EXPIRES", "QUEUED", "DELIVERED",
			    "DONE", "FAILED", "EXPIRED", "TARGET");
		printf("%-6lld %-20s %-20s %7llu %9llu %7llu %7llu %7llu  ",
		    (long long)c->id, cli_time(c->created_ms, t1, sizeof(t1)),
		    cli_time(c->expires_ms, t2, sizeof(t2)),
		    (unsigned long long)c->count[0],
		    (unsigned long long)c->count[1],
		    (unsigned long long)c->count[2],
		    (unsigned long long)c->count[3],
		    (unsigned long long)c->count[4]);
		cli_text(c->target, strlen(c->target), 0);
		putchar('\n');
	}
	o->n++;
	return ferror(stdout) ? 1 : 0;
}

/* gw-mgmt command list: every command, its targets counted by state. */
static int
cli_list(int argc, char **argv)
{
	struct mgmt_config cfg = { 0 };
	struct cli_opts o;
	struct cli_out out = { .magic = CLI_MAGIC, .state = -1 };
	enum store_cmd_state st;
	struct store *s;
	int rc = 1;

	if (cli_parse(argc, argv, "cdsj", &o) != 0 || o.nargs != 0)
		return cli_usage();
	if (o.state != NULL) {
		if (store_cmd_state_parse(o.state, &st) != 0) {
			fprintf(stderr, "gw-mgmt: --state %s: not queued, "
			    "delivered, done, failed or expired\n", o.state);
			return 2;
		}
		out.state = (int)st;
	}
	out.json = o.json;
	if ((s = cli_open(&o, 1, &cfg)) != NULL) {
		if (store_cmd_list(s, 0, cli_now_ms(), cli_list_one,
		    &out) < 0)
			fprintf(stderr, "gw-mgmt: %s\n", store_errmsg(s));
		else
			rc = cli_flush();
	}
	store_close(s);
	mgmt_config_free(&cfg);
	return rc;
}

/*
 * One target of show, as JSON.  Return 0, or -1 if its output could not be
 * written (out of memory for its base64): the line is still valid JSON,
 * with "output":null.
 */
static int
cli_show_json(const struct store_target *t)
{
	int rc = 0;

	printf("{\"command\":%lld", (long long)t->command);
	cli_json_str("agent", t->agent, 1);
	cli_json_str("issuer", t->issuer, 1);
	cli_json_str("state", store_cmd_state_str(t->state), 1);
	if (t->answered)
		printf(",\"outcome\":\"%s\",\"status\":%d",
		    gw_outcome_str(t->outcome), (int)t->status);
	else
		printf(",\"outcome\":null,\"status\":null");
	printf(",\"truncated\":%s,", t->truncated ? "true" : "false");
	if (export_json_bytes(stdout, "output", t->output, t->len) != 0) {
		printf("\"output\":null");
		rc = -1;
	}
	printf(",\"updated_ms\":%lld}\n", (long long)t->updated_ms);
	return rc;
}

/* One target of show. */
static int
cli_show_one(const struct store_target *t, void *arg)
{
	struct cli_out *o = cli_out_check(arg);
	char when[32];

	if (o->json) {
		if (cli_show_json(t) != 0)
			o->failed = 1;
	} else {
		if (o->n == 0)
			printf("%-24s %-9s %-12s %6s %-20s  %s\n", "AGENT",
			    "STATE", "OUTCOME", "STATUS", "UPDATED",
			    "ISSUER");
		cli_text(t->agent, strlen(t->agent), 0);
		printf("%*s %-9s %-12s ", (int)(strlen(t->agent) < 24 ?
		    24 - strlen(t->agent) : 0), "",
		    store_cmd_state_str(t->state), t->answered ?
		    gw_outcome_str(t->outcome) : "-");
		if (t->answered)
			printf("%6d ", (int)t->status);
		else
			printf("%6s ", "-");
		printf("%-20s  ", cli_time(t->updated_ms, when, sizeof(when)));
		cli_text(t->issuer, strlen(t->issuer), 0);
		printf("\n");
		if (t->len > 0) {
			printf("    ");
			cli_text(t->output, t->len, 0);
			printf("%s\n", t->truncated ? " [truncated]" : "");
		}
	}
	o->n++;
	return ferror(stdout) ? 1 : 0;
}

/* gw-mgmt command show ID: each target of the command. */
static int
cli_show(int argc, char **argv)
{
	struct mgmt_config cfg = { 0 };
	struct cli_opts o;
	struct cli_out out = { .magic = CLI_MAGIC, .state = -1 };
	struct store *s;
	long long id;
	char *end;
	long n;
	int rc = 1;

	if (cli_parse(argc, argv, "cdj", &o) != 0 || o.nargs != 1)
		return cli_usage();
	errno = 0;
	id = strtoll(o.args[0], &end, 10);
	if (errno != 0 || end == o.args[0] || *end != '\0' || id < 1) {
		fprintf(stderr, "gw-mgmt: %s: not a command id\n", o.args[0]);
		return 2;
	}
	out.json = o.json;
	if ((s = cli_open(&o, 1, &cfg)) != NULL) {
		n = store_cmd_targets(s, id, cli_now_ms(), cli_show_one, &out);
		if (n < 0)
			fprintf(stderr, "gw-mgmt: %s\n", store_errmsg(s));
		else if (n == 0)
			fprintf(stderr, "gw-mgmt: no command %lld\n", id);
		else if (out.failed)
			fprintf(stderr, "gw-mgmt: command %lld: an output could "
			    "not be written: %s\n", id, strerror(errno));
		else
			rc = cli_flush();
	}
	store_close(s);
	mgmt_config_free(&cfg);
	return rc;
}

/**
 * cli_command(argc, argv): gw-mgmt command ${argv}[1] (send, list, show)
 * with the rest of ${argv} ([0] is "command").  Return the exit status.
 */
int
cli_command(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage();
	if (strcmp(argv[1], "send") == 0)
		return cli_send(argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return cli_list(argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return cli_show(argc - 1, argv + 1);
	return cli_usage();
}

/*
 * A list of items separated by spaces (the SANs of OPEN's extension,
 * "TYPE:value ...", or its via) as the JSON array ${key}.
 */
static void
cli_json_list(const char *key, const char *list)
{
	const char *p = list, *sp;
	int first = 1;

	printf(",\"%s\":[", key);
	while (*p != '\0') {
		if ((sp = strchr(p, ' ')) == NULL)
			sp = p + strlen(p);
		if (sp > p) {
			if (!first)
				putchar(',');
			export_json_str(stdout, (const unsigned char *)p,
			    (size_t)(sp - p));
			first = 0;
		}
		p = *sp == ' ' ? sp + 1 : sp;
	}
	putchar(']');
}

/* One agent, as JSON: every identity field its last OPEN carried. */
static void
cli_agent_json(const struct store_agent *a)
{
	cli_json_str("name", a->name, 0);
	cli_json_str("issuer", a->issuer, 1);
	cli_json_str("subject", a->subject, 1);
	cli_json_str("san", a->san, 1);
	cli_json_list("sans", a->sans);
	cli_json_str("serial", a->serial, 1);
	cli_json_str("fingerprint", a->fingerprint, 1);
	if (a->not_after_ms != 0)
		printf(",\"not_after_ms\":%lld", (long long)a->not_after_ms);
	else
		printf(",\"not_after_ms\":null");
	cli_json_str("gateway", a->gateway, 1);
	cli_json_list("via", a->via);
	cli_json_str("peer", a->peer, 1);
	printf(",\"first_seen_ms\":%lld,\"connected_ms\":%lld,"
	    "\"seen_ms\":%lld,\"last_seq\":%llu,\"state\":\"%s\"}\n",
	    (long long)a->first_seen_ms, (long long)a->connected_ms,
	    (long long)a->seen_ms, (unsigned long long)a->last_seq,
	    store_agent_state_str(a->state));
}

/* One agent as a line of the table. */
static void
cli_agent_line(const struct store_agent *a, long n)
{
	const char *via = a->via[0] != '\0' ? a->via : "-";
	char when[32];

	if (n == 0)
		printf("%-24s %-7s %-20s %-16s %-21s  %-16s  %s\n", "NAME",
		    "STATE", "SEEN", "GATEWAY", "PEER", "VIA", "ISSUER");
	cli_text(a->name, strlen(a->name), 0);
	printf("%*s %-7s %-20s ", (int)(strlen(a->name) < 24 ?
	    24 - strlen(a->name) : 0), "", store_agent_state_str(a->state),
	    cli_time(a->seen_ms, when, sizeof(when)));
	cli_text(a->gateway, strlen(a->gateway), 0);
	printf("%*s ", (int)(strlen(a->gateway) < 16 ?
	    16 - strlen(a->gateway) : 0), "");
	cli_text(a->peer, strlen(a->peer), 0);
	printf("%*s  ", (int)(strlen(a->peer) < 21 ?
	    21 - strlen(a->peer) : 0), "");
	cli_text(via, strlen(via), 0);
	printf("%*s  ", (int)(strlen(via) < 16 ? 16 - strlen(via) : 0), "");
	cli_text(a->issuer, strlen(a->issuer), 0);
	putchar('\n');
}

/* One agent of gw-mgmt agents, if --state and --match take it. */
static int
cli_agent_one(const struct store_agent *a, void *arg)
{
	struct cli_out *o = cli_out_check(arg);

	if ((o->state >= 0 && (int)a->state != o->state) ||
	    (o->match != NULL && fnmatch(o->match, a->name, 0) != 0))
		return 0;
	if (o->json) {
		putchar('{');
		cli_agent_json(a);
	} else
		cli_agent_line(a, o->n);
	o->n++;
	return ferror(stdout) ? 1 : 0;
}

/**
 * cli_agents(argc, argv): gw-mgmt agents with the options in ${argv} ([0]
 * is "agents").  Return the exit status.
 */
int
cli_agents(int argc, char **argv)
{
	struct mgmt_config cfg = { 0 };
	struct cli_opts o;
	struct cli_out out = { .magic = CLI_MAGIC, .state = -1 };
	enum store_agent_state st;
	struct store *s;
	int rc = 1;

	if (cli_parse(argc, argv, "cdjsm", &o) != 0 || o.nargs != 0)
		return cli_usage();
	if (o.state != NULL && store_agent_state_parse(o.state, &st) != 0) {
		fprintf(stderr, "gw-mgmt: --state: online, offline or stale\n");
		return 2;
	}
	out.state = o.state != NULL ? (int)st : -1;
	out.match = o.match;
	out.json = o.json;
	if ((s = cli_open(&o, 1, &cfg)) != NULL) {
		if (store_agents(s, cli_agent_one, &out) < 0)
			fprintf(stderr, "gw-mgmt: %s\n", store_errmsg(s));
		else
			rc = cli_flush();
	}
	store_close(s);
	mgmt_config_free(&cfg);
	return rc;
}
