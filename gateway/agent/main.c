/*
 * main.c: gw-agent, the reference agent.  Reads lines from a file or stdin
 * and delivers each one exactly once to the management server through
 * gatewayd (mutual TLS), keeping every line until it is acknowledged.
 *
 *   gw-agent --gateway IP:PORT[,IP:PORT...] --cert F --key F --ca F
 *            [--server-name NAME] [--file PATH] [--queue N]
 *            [--heartbeat SECONDS] [--failback-hold SECONDS|off]
 *            [--connect-timeout SECONDS] [--state FILE]
 *            [--rate LINES_PER_S] [--timeout SECONDS]
 *            [--renew SHARE] [--log-level L]
 *            [--enroll IP:PORT --ca-fingerprint HEX --name NAME
 *             [--token T | --token-file F] [--wait SECONDS]
 *             [--rsa BITS | --ec p256|p384]]
 *   gw-agent enroll --enroll IP:PORT --ca-fingerprint HEX --name NAME
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
 * Several gateways are tried in the order given (see client_session.h).
 *
 * Exit 0: input ended and every line acknowledged (enroll: certificate
 * written); 1: timeout or failure; 2: usage; 3: the gateway refused us (or
 * the enrollment), or we refused its certificate; 4 (enrollment): the
 * request is still pending.  Nothing is written to stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ev.h>

#include "client_session.h"
#include "conn.h"
#include "enroll_client.h"
#include "journal.h"
#include "log.h"
#include "pkifile.h"
#include "renew.h"
#include "sendq.h"
#include "tls_conf.h"
#include "x509_issue.h"

#define AGENT_MAX_LINE		(65536 - 8)	/* DATA body limit */
#define AGENT_INBUF		(2 * 65536)

struct agent_input {
	struct ev_loop		*loop;
	struct client_session	*sess;
	struct sendq		*q;
	int			 fd;
	int			 regular;	/* regular file: ev_idle */
	int			 rd_eof;	/* read() returned 0 */
	int			 eof;		/* every line is queued */
	ev_io			 io;
	ev_idle			 idle;
	char			*buf;
	size_t			 used;
	uint64_t		 lines;		/* lines read */
	uint64_t		 offset;	/* input bytes queued as lines */
	struct journal		*journal;	/* --state, or NULL */
	struct renew		*renew;		/* --renew, or NULL */
	double			 rate;		/* --rate lines/s, 0: no limit */
	double			 allowance;	/* lines that may be read now */
	ev_timer		 rate_timer;
	char			 err[300];
};

static void
usage(void)
{
	fprintf(stderr, "usage: gw-agent --gateway IP:PORT[,IP:PORT...] "
	    "--cert FILE --key FILE --ca FILE\n"
	    "                [--server-name NAME] [--file PATH] [--queue N]\n"
	    "                [--heartbeat SECONDS] [--failback-hold "
	    "SECONDS|off]\n"
	    "                [--connect-timeout SECONDS]\n"
	    "                [--state FILE] [--rate LINES_PER_SECOND]\n"
	    "                [--timeout SECONDS] [--renew SHARE] "
	    "[--log-level LEVEL]\n"
	    "                [--enroll IP:PORT --ca-fingerprint HEX --name "
	    "NAME\n"
	    "                 [--token TOKEN | --token-file FILE] [--wait "
	    "SECONDS]\n"
	    "                 [--rsa BITS | --ec p256|p384]]\n"
	    "       gw-agent enroll --enroll IP:PORT --ca-fingerprint HEX "
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

static void
agent_input_start(struct agent_input *in)
{
	if (in->eof)
		return;
	if (in->regular)
		ev_idle_start(in->loop, &in->idle);
	else
		ev_io_start(in->loop, &in->io);
}

static void
agent_input_stop(struct agent_input *in)
{
	ev_idle_stop(in->loop, &in->idle);
	ev_io_stop(in->loop, &in->io);
}

/* Push one line (without its end of line). 0, 1 queue full, -1 error. */
static int
agent_input_line(struct agent_input *in, const char *p, size_t len)
{
	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (len > AGENT_MAX_LINE) {
		snprintf(in->err, sizeof(in->err),
		    "gw-agent: line %llu too long", (unsigned long long)
		    in->lines + 1);
		return -1;
	}
	if (sendq_full(in->q) || (in->rate > 0 && in->allowance < 1))
		return 1;
	if (sendq_push(in->q, p, len) != 0) {
		snprintf(in->err, sizeof(in->err), "gw-agent: %s",
		    strerror(errno));
		return -1;
	}
	if (in->journal != NULL && journal_line(in->journal, p, len) != 0) {
		snprintf(in->err, sizeof(in->err), "gw-agent: %s",
		    journal_error(in->journal));
		return -1;
	}
	in->lines++;
	in->allowance--;
	return 0;
}

/*
 * Queue the complete lines of the buffer (and the last partial one at
 * EOF).  Return 0 if all went, 1 if the queue is full, -1 on error.
 */
static int
agent_input_drain(struct agent_input *in, int at_eof)
{
	size_t off = 0, len;
	char *nl;
	int rc = 0;

	while (off < in->used) {
		nl = memchr(in->buf + off, '\n', in->used - off);
		if (nl == NULL) {
			len = in->used - off;
			if (len > AGENT_MAX_LINE + 1) {
				snprintf(in->err, sizeof(in->err),
				    "gw-agent: line %llu too long",
				    (unsigned long long)in->lines + 1);
				return -1;
			}
			if (!at_eof)
				break;
			if ((rc = agent_input_line(in, in->buf + off, len))
			    != 0)
				break;
			off = in->used;
			break;
		}
		len = (size_t)(nl - (in->buf + off));
		if ((rc = agent_input_line(in, in->buf + off, len)) != 0)
			break;
		off += len + 1;
	}
	in->offset += off;
	memmove(in->buf, in->buf + off, in->used - off);
	in->used -= off;
	/* The lines and where the input stands, durable before we go on. */
	if (rc >= 0 && off > 0 && in->journal != NULL &&
	    (journal_offset(in->journal, in->offset) != 0 ||
	    journal_sync(in->journal) != 0)) {
		snprintf(in->err, sizeof(in->err), "gw-agent: %s",
		    journal_error(in->journal));
		return -1;
	}
	return rc;
}

static void
agent_input_fail(struct agent_input *in)
{
	agent_input_stop(in);
	client_session_fail(in->sess, CLIENT_ST_FAIL, in->err);
}

/*
 * Queue the buffered lines and send what credit allows; then read more,
 * stop on a full queue (backpressure), or finish the input at EOF.
 */
static void
agent_input_pump(struct agent_input *in)
{
	int rc;

	rc = agent_input_drain(in, in->rd_eof);
	client_session_kick(in->sess);
	if (rc < 0) {
		agent_input_fail(in);
	} else if (rc > 0) {
		agent_input_stop(in);
	} else if (in->rd_eof) {
		in->eof = 1;
		agent_input_stop(in);
		log_info("event=input_eof lines=%llu",
		    (unsigned long long)in->lines);
		client_session_eof(in->sess);
	} else
		agent_input_start(in);
}

/* Read once, then pump. */
static void
agent_input_read(struct agent_input *in)
{
	ssize_t n;

	n = read(in->fd, in->buf + in->used, AGENT_INBUF - in->used);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		snprintf(in->err, sizeof(in->err), "gw-agent: read: %s",
		    strerror(errno));
		agent_input_fail(in);
		return;
	}
	if (n == 0)
		in->rd_eof = 1;
	in->used += (size_t)n;
	agent_input_pump(in);
}

static void
agent_input_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	agent_input_read(w->data);
}

static void
agent_input_idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)loop;
	(void)revents;
	agent_input_read(w->data);
}

#define RATE_TICK	0.05	/* seconds */

/* --rate: a token bucket refilled every tick, a burst of two ticks. */
static void
agent_input_rate_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct agent_input *in = w->data;
	double burst = in->rate * RATE_TICK * 2;

	(void)loop;
	(void)revents;
	in->allowance += in->rate * RATE_TICK;
	if (in->allowance > (burst > 1 ? burst : 1))
		in->allowance = burst > 1 ? burst : 1;
	if (!in->eof && in->allowance >= 1 && !sendq_full(in->q))
		agent_input_pump(in);
}

/* Acknowledgements up to ${seq} freed queue space: record, read again. */
static void
agent_input_on_acked(uint64_t seq, void *arg)
{
	struct agent_input *in = arg;

	if (in->journal != NULL && journal_ack(in->journal, in->q, seq,
	    in->offset) != 0)
		log_warnx("event=state_write_failed detail=\"%s\"",
		    journal_error(in->journal));	/* resent, deduplicated */
	if (!in->eof && !sendq_full(in->q))
		agent_input_pump(in);
}

/* Lines were numbered: make the numbers durable before sending. */
static int
agent_input_before_send(void *arg)
{
	struct agent_input *in = arg;

	if (in->journal == NULL || journal_sync(in->journal) == 0)
		return 0;
	log_errx("event=state_write_failed detail=\"%s\"",
	    journal_error(in->journal));
	return -1;
}

static void
agent_input_on_number(uint64_t seq, void *arg)
{
	struct agent_input *in = arg;

	if (journal_seq(in->journal, seq) != 0)
		log_errx("event=state_write_failed detail=\"%s\"",
		    journal_error(in->journal));
}

static void
agent_input_on_open(void *arg)
{
	struct agent_input *in = arg;

	if (in->renew != NULL)
		renew_open(in->renew);
}

static void
agent_input_on_enroll(const struct gw_enroll_result *r, void *arg)
{
	struct agent_input *in = arg;

	if (in->renew != NULL)
		renew_result(in->renew, r);
}

struct agent_timeout {
	struct client_session	*sess;
	struct agent_input	*in;
};

static void
agent_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct agent_timeout *t = w->data;
	char msg[128];
	uint64_t acked = client_session_acked(t->sess);

	(void)loop;
	(void)revents;
	snprintf(msg, sizeof(msg), "gw-agent: %llu of %llu lines not "
	    "acknowledged", (unsigned long long)(t->in->lines - acked),
	    (unsigned long long)t->in->lines);
	agent_input_stop(t->in);
	client_session_fail(t->sess, CLIENT_ST_FAIL, msg);
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "gateway", required_argument, NULL, 'g' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "ca", required_argument, NULL, 'a' },
		{ "server-name", required_argument, NULL, 's' },
		{ "file", required_argument, NULL, 'f' },
		{ "queue", required_argument, NULL, 'q' },
		{ "timeout", required_argument, NULL, 't' },
		{ "heartbeat", required_argument, NULL, 'H' },
		{ "failback-hold", required_argument, NULL, 'F' },
		{ "connect-timeout", required_argument, NULL, 'C' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "state", required_argument, NULL, 'S' },
		{ "rate", required_argument, NULL, 'r' },
		{ "enroll", required_argument, NULL, 'E' },
		{ "ca-fingerprint", required_argument, NULL, 'P' },
		{ "name", required_argument, NULL, 'N' },
		{ "token", required_argument, NULL, 'T' },
		{ "token-file", required_argument, NULL, 'K' },
		{ "wait", required_argument, NULL, 'W' },
		{ "rsa", required_argument, NULL, 'B' },
		{ "ec", required_argument, NULL, 'e' },
		{ "renew", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *gateway = NULL, *cert = NULL, *key = NULL, *ca = NULL;
	const char *server_name = NULL, *file = NULL, *state = NULL;
	enum log_level level = LOG_LVL_INFO;
	unsigned long qcap = 10000;
	double timeout = 0, heartbeat = 5.0, failback_hold = 10.0, rate = 0;
	double renew_share = 0.33, connect_timeout = 0;
	struct enroll_params ep = { .wait = 0 };
	int enroll_only = 0;
	char tokbuf[1024];
	char *gwlist = NULL, *tok, *save = NULL;
	struct agent_input in;
	struct agent_timeout to;
	struct client_session_params sp;
	struct client_session *sess = NULL;
	struct tls_conf *tls = NULL;
	struct sendq *q = NULL;
	struct ev_loop *loop;
	struct stat st;
	ev_timer tmr;
	char err[256], *end;
	int ch, rc = 1;

	if (argc > 1 && strcmp(argv[1], "enroll") == 0) {
		enroll_only = 1;
		argc--;
		argv++;
	}
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'E': ep.addr = optarg; break;
		case 'P': ep.pin = optarg; break;
		case 'N': ep.name = optarg; break;
		case 'T': ep.token = optarg; break;
		case 'K':
			ep.token = read_token(optarg, tokbuf, sizeof(tokbuf));
			break;
		case 'W':
			errno = 0;
			ep.wait = strtod(optarg, &end);
			if (errno != 0 || *end != '\0' || !(ep.wait >= 0))
				usage();
			break;
		case 'B':
			errno = 0;
			ep.rsa_bits = (unsigned)strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || ep.rsa_bits < 2048 ||
			    ep.rsa_bits > 4096)
				usage();
			break;
		case 'e':
			if (pki_ec_parse(optarg, &ep.ec_bits) != 0)
				usage();
			break;
		case 'R':
			errno = 0;
			renew_share = strtod(optarg, &end);
			if (errno != 0 || *end != '\0' || !(renew_share >= 0) ||
			    renew_share >= 1)
				usage();
			break;
		case 'g': gateway = optarg; break;
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 'a': ca = optarg; break;
		case 's': server_name = optarg; break;
		case 'f': file = optarg; break;
		case 'S': state = optarg; break;
		case 'r':
			errno = 0;
			rate = strtod(optarg, &end);
			if (errno != 0 || *end != '\0' || !(rate > 0))
				usage();
			break;
		case 'q':
			errno = 0;
			qcap = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || qcap == 0 ||
			    qcap > 100000000)
				usage();
			break;
		case 't':
			errno = 0;
			timeout = strtod(optarg, &end);
			if (errno != 0 || *end != '\0' || !(timeout >= 0))
				usage();
			break;
		case 'C':
			errno = 0;
			connect_timeout = strtod(optarg, &end);
			if (errno != 0 || *end != '\0' ||
			    !(connect_timeout >= 0.1 && connect_timeout <= 3600))
				usage();
			break;
		case 'H':
			errno = 0;
			heartbeat = strtod(optarg, &end);
			if (errno != 0 || *end != '\0' || !(heartbeat >= 0.05))
				usage();
			break;
		case 'F':
			if (strcmp(optarg, "off") == 0) {
				failback_hold = -1;
				break;
			}
			errno = 0;
			failback_hold = strtod(optarg, &end);
			if (errno != 0 || *end != '\0' || !(failback_hold >= 0))
				usage();
			break;
		case 'l':
			if (log_level_parse(optarg, &level) != 0)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc || (gateway == NULL) != enroll_only ||
	    cert == NULL || key == NULL || ca == NULL ||
	    (ep.addr != NULL) != (ep.pin != NULL) ||
	    (ep.addr != NULL) != (ep.name != NULL) ||
	    (ep.rsa_bits != 0 && ep.ec_bits != 0) ||
	    (enroll_only && ep.addr == NULL))
		usage();
	log_init("gw-agent", level);
	signal(SIGPIPE, SIG_IGN);
	ep.key = key;
	ep.cert = cert;
	ep.ca = ca;
	/* Enroll first when there is no certificate yet (or only that). */
	if (enroll_only || (ep.addr != NULL && access(cert, F_OK) != 0)) {
		rc = enroll_client_run(ev_default_loop(EVFLAG_AUTO), &ep);
		if (enroll_only || rc != ENROLL_OK)
			return rc;
	}
	if (renew_share > 0)
		renew_recover(key, cert);

	memset(&in, 0, sizeof(in));
	in.rate = rate;
	in.fd = STDIN_FILENO;
	if (file != NULL && (in.fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "gw-agent: %s: %s\n", file, strerror(errno));
		return 1;
	}
	if (fstat(in.fd, &st) != 0) {
		fprintf(stderr, "gw-agent: fstat: %s\n", strerror(errno));
		goto err0;
	}
	in.regular = S_ISREG(st.st_mode);
	if (!in.regular && fcntl(in.fd, F_SETFL,
	    fcntl(in.fd, F_GETFL) | O_NONBLOCK) != 0) {
		fprintf(stderr, "gw-agent: fcntl: %s\n", strerror(errno));
		goto err0;
	}
	tls = tls_conf_new(&(struct tls_conf_params){ .cert = cert,
	    .key = key, .ca = ca, .tls12 = 1 }, err, sizeof(err));
	if (tls == NULL) {
		fprintf(stderr, "gw-agent: %s\n", err);
		goto err0;
	}
	if ((q = sendq_new(qcap)) == NULL ||
	    (in.buf = malloc(AGENT_INBUF)) == NULL) {
		fprintf(stderr, "gw-agent: %s\n", strerror(errno));
		goto err1;
	}
	if (state != NULL) {
		in.journal = journal_open(state, q, &in.offset, err,
		    sizeof(err));
		if (in.journal == NULL) {
			fprintf(stderr, "gw-agent: %s\n", err);
			goto err1;
		}
		sendq_on_number(q, agent_input_on_number, &in);
		/* A file resumes where the queued lines end. */
		if (in.regular && lseek(in.fd, (off_t)in.offset, SEEK_SET) < 0) {
			fprintf(stderr, "gw-agent: %s: %s\n", file,
			    strerror(errno));
			goto err1;
		}
		log_info("event=state_loaded file=%s queued=%zu offset=%llu",
		    state, sendq_len(q), (unsigned long long)in.offset);
	}
	if ((loop = ev_default_loop(EVFLAG_AUTO)) == NULL) {
		fprintf(stderr, "gw-agent: cannot start the event loop\n");
		goto err1;
	}
	memset(&sp, 0, sizeof(sp));
	if ((gwlist = strdup(gateway)) == NULL) {
		fprintf(stderr, "gw-agent: %s\n", strerror(errno));
		goto err1;
	}
	for (tok = strtok_r(gwlist, ", ", &save); tok != NULL;
	    tok = strtok_r(NULL, ", ", &save)) {
		if (sp.ngateways == CLIENT_MAX_GATEWAYS) {
			fprintf(stderr, "gw-agent: at most %d gateways\n",
			    CLIENT_MAX_GATEWAYS);
			goto err1;
		}
		sp.gateways[sp.ngateways++] = tok;
	}
	if (sp.ngateways == 0)
		usage();
	sp.heartbeat = heartbeat;
	sp.connect_timeout = connect_timeout;
	sp.failback_hold = failback_hold;
	sp.server_name = server_name;
	sp.tls = tls;
	sp.queue = q;
	sp.on_acked = agent_input_on_acked;
	sp.before_send = agent_input_before_send;
	sp.on_open = agent_input_on_open;
	sp.on_enroll = agent_input_on_enroll;
	sp.arg = &in;
	if ((sess = client_session_new(loop, &sp)) == NULL) {
		fprintf(stderr, "gw-agent: %s\n", strerror(errno));
		goto err1;
	}
	if (renew_share > 0 && (in.renew = renew_new(&(struct renew_params){
	    .loop = loop, .sess = sess, .key = key, .cert = cert, .ca = ca,
	    .share = renew_share, .tls = &tls })) == NULL) {
		fprintf(stderr, "gw-agent: %s\n", strerror(errno));
		goto err1;
	}
	in.loop = loop;
	in.sess = sess;
	in.q = q;
	ev_io_init(&in.io, agent_input_io_cb, in.fd, EV_READ);
	in.io.data = &in;
	ev_idle_init(&in.idle, agent_input_idle_cb);
	in.idle.data = &in;
	to.sess = sess;
	to.in = &in;
	ev_timer_init(&tmr, agent_timeout_cb, timeout, 0.);
	tmr.data = &to;
	if (timeout > 0)
		ev_timer_start(loop, &tmr);

	ev_timer_init(&in.rate_timer, agent_input_rate_cb, RATE_TICK, RATE_TICK);
	in.rate_timer.data = &in;
	if (in.rate > 0)
		ev_timer_start(loop, &in.rate_timer);
	agent_input_start(&in);
	client_session_start(sess);
	ev_run(loop, 0);

	ev_timer_stop(loop, &tmr);
	ev_timer_stop(loop, &in.rate_timer);
	agent_input_stop(&in);
	switch (client_session_status(sess)) {
	case CLIENT_ST_DONE:
		rc = 0;
		break;
	case CLIENT_ST_REFUSED:
		rc = 3;
		fprintf(stderr, "%s\n", client_session_msg(sess));
		break;
	default:
		rc = 1;
		fprintf(stderr, "%s\n", client_session_msg(sess)[0] != '\0' ?
		    client_session_msg(sess) : "gw-agent: stopped");
		break;
	}
	renew_free(in.renew);
	client_session_free(sess);
	conn_reap();
err1:
	journal_close(in.journal);
	free(gwlist);
	free(in.buf);
	sendq_free(q);
	tls_conf_free(tls);
err0:
	if (in.fd != STDIN_FILENO)
		close(in.fd);
	return rc;
}
