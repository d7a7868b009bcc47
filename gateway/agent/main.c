/*
 * main.c: gw-agent, the reference agent.  Delivers each line (or event)
 * exactly once to the management server through gatewayd (mutual TLS),
 * keeping every one until it is acknowledged.  Two modes:
 *
 *   gw-agent -c FILE              a service (service.h): the inputs and the
 *                                 keys of FILE (gw-agent.ini(5)), until
 *                                 SIGTERM; SIGHUP reloads FILE
 *   gw-agent --check-config FILE  check FILE: exit 0, or 2 with the errors
 *
 * and the command line (pipe_in.h), reading lines from a file or stdin:
 *
 *   gw-agent --gateway HOST:PORT[|HOST:PORT...][,...] --cert F --key F --ca F
 *            [--server-name NAME] [--file PATH] [--queue N]
 *            [--queue-bytes BYTES]
 *            [--heartbeat SECONDS] [--failback-hold SECONDS|off]
 *            [--connect-timeout SECONDS] [--state FILE]
 *            [--rate LINES_PER_S] [--timeout SECONDS]
 *            [--renew SHARE] [--log-level L]
 *            [--on-command PROGRAM [--command-timeout SECONDS]
 *             [--command-output BYTES]]
 *            [--enroll HOST:PORT --ca-fingerprint HEX --name NAME
 *             [--token T | --token-file F] [--wait SECONDS]
 *             [--rsa BITS | --ec p256|p384]]
 *   gw-agent enroll --enroll HOST:PORT --ca-fingerprint HEX --name NAME
 *            --key F --cert F --ca F [--token T | --token-file F]
 *            [--wait SECONDS] [--rsa BITS | --ec p256|p384]
 *
 * With --enroll, an agent without its certificate file enrolls first
 * (enroll_client.h; its key ECDSA P-256 unless --rsa or --ec says
 * otherwise) and then streams; "enroll" only enrolls.  --renew renews the
 * certificate over the live session when less than SHARE of its validity
 * is left (renew.h; default 0.33, 0: never), with a new key of the
 * current one's type and size.
 *
 * With --state, the unacknowledged lines (and, for --file, how far the
 * file was read) persist in FILE: a restarted agent resends them under the
 * same numbers and goes on reading where the last one stopped.
 *
 * Several gateways are tried in the order given (see client_session.h);
 * a group G1|G2 is ordered by a hash of our name (gwlist.h).
 *
 * COMMANDs from the management server are answered by cmdqueue.h (at most
 * once, across restarts with --state), running --on-command (command.h).
 *
 * Exit 0: input ended and every line acknowledged (enroll: certificate
 * written); 1: timeout or failure; 2: usage; 3: the gateway refused us (or
 * the enrollment), or we refused its certificate; 4 (enrollment): the
 * request is still pending.  Nothing is written to stdout.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ev.h>

#include "agent_opts.h"
#include "enroll_client.h"
#include "log.h"
#include "pipe_in.h"
#include "pkifile.h"
#include "renew.h"
#include "service.h"

/* Print ${why} (if any) and the usage; exit 2. */
static void
usage(const char *why)
{
	if (why != NULL && why[0] != '\0')
		fprintf(stderr, "gw-agent: %s\n", why);
	fprintf(stderr, "usage: gw-agent -c FILE | --check-config FILE\n"
	    "       gw-agent --gateway HOST:PORT[|HOST:PORT...][,...] "
	    "--cert FILE --key FILE --ca FILE\n"
	    "                [--server-name NAME] [--file PATH] [--queue N]\n"
	    "                [--queue-bytes BYTES]\n"
	    "                [--heartbeat SECONDS] [--failback-hold "
	    "SECONDS|off]\n"
	    "                [--connect-timeout SECONDS]\n"
	    "                [--state FILE] [--rate LINES_PER_SECOND]\n"
	    "                [--timeout SECONDS] [--renew SHARE] "
	    "[--log-level LEVEL]\n"
	    "                [--on-command PROGRAM [--command-timeout "
	    "SECONDS]\n"
	    "                 [--command-output BYTES]]\n"
	    "                [--enroll HOST:PORT --ca-fingerprint HEX --name "
	    "NAME\n"
	    "                 [--token TOKEN | --token-file FILE] [--wait "
	    "SECONDS]\n"
	    "                 [--rsa BITS | --ec p256|p384]]\n"
	    "       gw-agent enroll --enroll HOST:PORT --ca-fingerprint HEX "
	    "--name NAME\n"
	    "                --key FILE --cert FILE --ca FILE [--token TOKEN | "
	    "--token-file FILE]\n"
	    "                [--wait SECONDS] [--rsa BITS | --ec p256|p384]\n"
	    "                [--log-level LEVEL]\n");
	exit(2);
}

/* The first line of ${path}: a token kept out of the process list. */
static const char *
read_token(const char *path, char *buf, size_t len)
{
	size_t n;

	if (pki_read_file(path, buf, len, &n) != 0) {
		fprintf(stderr, "gw-agent: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf;
}

/*
 * Enroll first when there is no certificate yet (or only enroll): the
 * exit status, or -1 to go on and stream.
 */
static int
agent_enroll_first(const struct agent_opts *o, const char *token)
{
	struct enroll_params ep = {
		.addr = o->enroll, .pin = o->ca_fingerprint, .name = o->name,
		.token = token, .key = o->key, .cert = o->cert, .ca = o->ca,
		.wait = o->wait, .rsa_bits = (unsigned)o->rsa,
		.ec_bits = o->ec
	};
	int rc;

	if (!o->enroll_only && (o->enroll == NULL ||
	    access(o->cert, F_OK) == 0))
		return -1;
	rc = enroll_client_run(ev_default_loop(EVFLAG_AUTO), &ep);
	return o->enroll_only || rc != ENROLL_OK ? rc : -1;
}

int
main(int argc, char *argv[])
{
	struct agent_opts o;
	const char *token;
	char err[256], tokbuf[1024];
	int rc;

	if (agent_opts_parse(&o, argc, argv, err, sizeof(err)) != 0)
		usage(err);
	signal(SIGPIPE, SIG_IGN);
	if (o.check_config != NULL)
		return service_check(o.check_config);
	if (o.config != NULL)
		return service_main(o.config);
	token = o.token_file == NULL ? o.token :
	    read_token(o.token_file, tokbuf, sizeof(tokbuf));
	log_init("gw-agent", o.log_level);
	if ((rc = agent_enroll_first(&o, token)) >= 0)
		return rc;
	if (o.renew > 0)
		renew_recover(o.key, o.cert);
	return pipe_in_main(&o, usage);
}
