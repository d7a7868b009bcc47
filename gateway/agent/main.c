/*
 * main.c: gw-agent, the reference agent.  Reads lines from a file or stdin
 * and delivers each one exactly once to the management server through
 * gatewayd (mutual TLS), keeping every line until it is acknowledged.
 *
 *   gw-agent --gateway HOST:PORT[|HOST:PORT...][,...] --cert F --key F --ca F
 *            [--server-name NAME] [--file PATH] [--queue N]
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
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ev.h>
#include <mbedtls/x509_crt.h>

#include "agent_opts.h"
#include "client_session.h"
#include "cmdqueue.h"
#include "cmdtab.h"
#include "conn.h"
#include "enroll_client.h"
#include "gwlist.h"
#include "net.h"
#include "identity.h"
#include "journal.h"
#include "log.h"
#include "pkifile.h"
#include "pkikey.h"
#include "renew.h"
#include "sendq.h"
#include "tls_conf.h"

#define AGENT_MAX_LINE		(65536 - 8)	/* DATA body limit */
#define AGENT_INBUF		(2 * 65536)
#define AGENT_INPUT_MAGIC	0x41674970u	/* "AgIp" */

/* The input side: lines from the file into the queue, at --rate. */
struct agent_input {
	unsigned		 magic;		/* AGENT_INPUT_MAGIC */
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
	int			 seq_lost;	/* a number was not journaled */
	struct renew		*renew;		/* --renew, or NULL */
	struct cmdtab		*cmdtab;	/* the COMMAND ids known */
	struct cmdqueue		*cmdq;		/* answers COMMANDs */
	double			 rate;		/* --rate lines/s, 0: no limit */
	double			 allowance;	/* lines that may be read now */
	ev_timer		 rate_timer;
	ev_timer		 timeout;	/* --timeout */
	char			 err[300];
};

/* The input behind a callback's ${arg}; anything else aborts. */
static struct agent_input *
agent_input_arg(void *arg)
{
	struct agent_input *in = arg;

	if (in == NULL || in->magic != AGENT_INPUT_MAGIC)
		abort();
	return in;
}

/* Print ${why} (if any) and the usage; exit 2. */
static void
usage(const char *why)
{
	if (why != NULL && why[0] != '\0')
		fprintf(stderr, "gw-agent: %s\n", why);
	fprintf(stderr, "usage: gw-agent --gateway HOST:PORT[|HOST:PORT...][,...] "
	    "--cert FILE --key FILE --ca FILE\n"
	    "                [--server-name NAME] [--file PATH] [--queue N]\n"
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
	agent_input_read(agent_input_arg(w->data));
}

static void
agent_input_idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)loop;
	(void)revents;
	agent_input_read(agent_input_arg(w->data));
}

#define RATE_TICK	0.05	/* seconds */

/* --rate: a token bucket refilled every tick, a burst of two ticks. */
static void
agent_input_rate_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct agent_input *in = agent_input_arg(w->data);
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
	struct agent_input *in = agent_input_arg(arg);

	/* Not recorded: the lines are resent, the store deduplicates. */
	if (in->journal != NULL && journal_ack(in->journal, in->q, seq,
	    in->offset) != 0)
		log_warnx("event=state_write_failed detail=\"%s\"",
		    journal_error(in->journal));
	if (!in->eof && !sendq_full(in->q))
		agent_input_pump(in);
}

/*
 * Lines were numbered: make the numbers durable before sending.  A number
 * not journaled stops the agent: sent, it could be reused after a restart.
 */
static int
agent_input_before_send(void *arg)
{
	struct agent_input *in = agent_input_arg(arg);

	if (in->seq_lost)
		return -1;		/* logged by agent_input_on_number */
	if (in->journal == NULL || journal_sync(in->journal) == 0)
		return 0;
	log_errx("event=state_write_failed detail=\"%s\"",
	    journal_error(in->journal));
	return -1;
}

static void
agent_input_on_number(uint64_t seq, void *arg)
{
	struct agent_input *in = agent_input_arg(arg);

	if (in->seq_lost || journal_seq(in->journal, seq) == 0)
		return;
	in->seq_lost = 1;
	log_errx("event=state_write_failed detail=\"%s\"",
	    journal_error(in->journal));
}

static void
agent_input_on_open(void *arg)
{
	struct agent_input *in = agent_input_arg(arg);

	if (in->renew != NULL)
		renew_open(in->renew);
	cmdqueue_session(in->cmdq);
}

/* The session's COMMANDs to the queue, its answers back to the session. */
static void
agent_on_command(uint64_t id, const uint8_t *body, size_t len, void *arg)
{
	cmdqueue_command(agent_input_arg(arg)->cmdq, id, body, len);
}

static int
agent_send_ack(uint64_t id, void *arg)
{
	return client_session_command_ack(agent_input_arg(arg)->sess, id);
}

static int
agent_send_result(const struct cmdtab_result *r, void *arg)
{
	return client_session_result(agent_input_arg(arg)->sess, r->id,
	    r->outcome, r->flags, r->status, r->out, r->len);
}

static void
agent_cmd_fatal(const char *msg, void *arg)
{
	struct agent_input *in = agent_input_arg(arg);

	agent_input_stop(in);
	client_session_fail(in->sess, CLIENT_ST_FAIL, msg);
}

static void
agent_input_on_enroll(const struct gw_enroll_result *r, void *arg)
{
	struct agent_input *in = agent_input_arg(arg);

	if (in->renew != NULL)
		renew_result(in->renew, r);
}


/* --timeout: stop, with how many lines are not acknowledged. */
static void
agent_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct agent_input *in = agent_input_arg(w->data);
	uint64_t acked = client_session_acked(in->sess);
	char msg[128];

	(void)loop;
	(void)revents;
	snprintf(msg, sizeof(msg), "gw-agent: %llu of %llu lines not "
	    "acknowledged", (unsigned long long)(in->lines - acked),
	    (unsigned long long)in->lines);
	agent_input_stop(in);
	client_session_fail(in->sess, CLIENT_ST_FAIL, msg);
}

/* What main() builds, runs and frees. */
struct agent {
	struct agent_input	 in;	/* with the queue and the session */
	struct tls_conf		*tls;	/* renewal replaces it */
	char			*gwlist;	/* --gateway, split */
	char			 name[ID_NAME_MAX];	/* our CN */
};

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

/* Open the input (${file}, or stdin), non-blocking unless a regular file. */
static int
agent_open_input(struct agent_input *in, const char *file)
{
	struct stat st;

	if (file != NULL && (in->fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "gw-agent: %s: %s\n", file, strerror(errno));
		return -1;
	}
	if (fstat(in->fd, &st) != 0) {
		fprintf(stderr, "gw-agent: fstat: %s\n", strerror(errno));
		return -1;
	}
	in->regular = S_ISREG(st.st_mode);
	if (!in->regular && fcntl(in->fd, F_SETFL,
	    fcntl(in->fd, F_GETFL) | O_NONBLOCK) != 0) {
		fprintf(stderr, "gw-agent: fcntl: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* --state: replay the journal into the queue; the file resumes after it. */
static int
agent_journal(struct agent_input *in, const struct agent_opts *o)
{
	char err[256];

	in->journal = journal_open(o->state, in->q, in->cmdtab, &in->offset,
	    err, sizeof(err));
	if (in->journal == NULL) {
		fprintf(stderr, "gw-agent: %s\n", err);
		return -1;
	}
	sendq_on_number(in->q, agent_input_on_number, in);
	if (in->regular && lseek(in->fd, (off_t)in->offset, SEEK_SET) < 0) {
		fprintf(stderr, "gw-agent: %s: %s\n", o->file, strerror(errno));
		return -1;
	}
	log_info("event=state_loaded file=%s queued=%zu offset=%llu",
	    o->state, sendq_len(in->q), (unsigned long long)in->offset);
	return 0;
}

/* The session on --gateway's list, and --renew's renewal. */
static int
agent_session(struct agent *a, const struct agent_opts *o)
{
	struct agent_input *in = &a->in;
	struct client_session_params sp = {
		.heartbeat = o->heartbeat, .failback_hold = o->failback_hold,
		.connect_timeout = o->connect_timeout,
		.server_name = o->server_name, .tls = a->tls, .queue = in->q,
		.on_acked = agent_input_on_acked,
		.before_send = agent_input_before_send,
		.on_open = agent_input_on_open,
		.on_enroll = agent_input_on_enroll,
		.on_command = agent_on_command, .arg = in
	};
	char err[128], why[160];
	int n;

	if ((a->gwlist = strdup(o->gateway)) == NULL)
		goto nomem;
	/* Groups (G1|G2) in this agent's own order: its name's hash. */
	if ((n = gwlist_parse(a->gwlist, a->name, sp.gateways,
	    CLIENT_MAX_GATEWAYS, err, sizeof(err))) < 0) {
		snprintf(why, sizeof(why), "--gateway: %s", err);
		usage(why);
	}
	/* Every one now: a typo must not wait for the failover to it. */
	for (int i = 0; i < n; i++)
		if (net_dial_addr_ok(sp.gateways[i], err, sizeof(err)) != 0) {
			snprintf(why, sizeof(why), "--gateway: %s", err);
			usage(why);
		}
	sp.ngateways = (size_t)n;
	if ((in->sess = client_session_new(in->loop, &sp)) == NULL)
		goto nomem;
	if (o->renew > 0 && (in->renew = renew_new(&(struct renew_params){
	    .loop = in->loop, .sess = in->sess, .key = o->key,
	    .cert = o->cert, .ca = o->ca, .share = o->renew,
	    .tls = &a->tls })) == NULL)
		goto nomem;
	return 0;
nomem:
	fprintf(stderr, "gw-agent: %s\n", strerror(errno));
	return -1;
}

/* The queue of COMMANDs; GW_AGENT is the CN of our certificate. */
static int
agent_commands(struct agent *a, const struct agent_opts *o)
{
	struct cmdqueue_params cp = { .loop = a->in.loop,
	    .program = o->on_command, .agent = a->name,
	    .output_max = o->command_output, .timeout = o->command_timeout,
	    .tab = a->in.cmdtab, .journal = a->in.journal,
	    .send_ack = agent_send_ack, .send_result = agent_send_result,
	    .on_fatal = agent_cmd_fatal, .arg = &a->in };
	mbedtls_x509_crt crt;
	struct id_info id;

	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse_file(&crt, o->cert) == 0 &&
	    id_from_crt(&crt, "", &id) == 0)
		snprintf(a->name, sizeof(a->name), "%s", id.name);
	mbedtls_x509_crt_free(&crt);
	if ((a->in.cmdq = cmdqueue_new(&cp)) == NULL) {
		fprintf(stderr, "gw-agent: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* TLS, the queue, the journal, the loop and the session: 0 or -1. */
static int
agent_build(struct agent *a, const struct agent_opts *o)
{
	struct agent_input *in = &a->in;
	char err[256];

	a->tls = tls_conf_new(&(struct tls_conf_params){ .cert = o->cert,
	    .key = o->key, .ca = o->ca, .tls12 = 1 }, err, sizeof(err));
	if (a->tls == NULL) {
		fprintf(stderr, "gw-agent: %s\n", err);
		return -1;
	}
	if ((in->q = sendq_new(o->queue)) == NULL ||
	    (in->cmdtab = cmdtab_new()) == NULL ||
	    (in->buf = malloc(AGENT_INBUF)) == NULL) {
		fprintf(stderr, "gw-agent: %s\n", strerror(errno));
		return -1;
	}
	if (o->state != NULL && agent_journal(in, o) != 0)
		return -1;
	if ((in->loop = ev_default_loop(EVFLAG_AUTO)) == NULL) {
		fprintf(stderr, "gw-agent: cannot start the event loop\n");
		return -1;
	}
	if (agent_commands(a, o) != 0)
		return -1;
	return agent_session(a, o);
}

/* The session's end as gw-agent's exit status, its message printed. */
static int
agent_exit_status(const struct client_session *sess)
{
	const char *msg = client_session_msg(sess);

	switch (client_session_status(sess)) {
	case CLIENT_ST_DONE:
		return 0;
	case CLIENT_ST_REFUSED:
		fprintf(stderr, "%s\n", msg);
		return 3;
	default:
		fprintf(stderr, "%s\n", msg[0] != '\0' ? msg :
		    "gw-agent: stopped");
		return 1;
	}
}

/* Read, send and wait until the session finishes: the exit status. */
static int
agent_run(struct agent *a, const struct agent_opts *o)
{
	struct agent_input *in = &a->in;
	struct ev_loop *loop = in->loop;

	ev_io_init(&in->io, agent_input_io_cb, in->fd, EV_READ);
	in->io.data = in;
	ev_idle_init(&in->idle, agent_input_idle_cb);
	in->idle.data = in;
	ev_timer_init(&in->timeout, agent_timeout_cb, o->timeout, 0.);
	in->timeout.data = in;
	if (o->timeout > 0)
		ev_timer_start(loop, &in->timeout);
	ev_timer_init(&in->rate_timer, agent_input_rate_cb, RATE_TICK,
	    RATE_TICK);
	in->rate_timer.data = in;
	if (in->rate > 0)
		ev_timer_start(loop, &in->rate_timer);
	agent_input_start(in);
	client_session_start(in->sess);
	ev_run(loop, 0);
	ev_timer_stop(loop, &in->timeout);
	ev_timer_stop(loop, &in->rate_timer);
	agent_input_stop(in);
	return agent_exit_status(in->sess);
}

/* Free what agent_build() made (any part of it). */
static void
agent_free(struct agent *a)
{
	struct agent_input *in = &a->in;

	renew_free(in->renew);
	cmdqueue_free(in->cmdq);
	client_session_free(in->sess);
	conn_reap();
	journal_close(in->journal);
	cmdtab_free(in->cmdtab);
	free(a->gwlist);
	free(in->buf);
	sendq_free(in->q);
	tls_conf_free(a->tls);
	if (in->fd >= 0 && in->fd != STDIN_FILENO)
		close(in->fd);
}

int
main(int argc, char *argv[])
{
	struct agent_opts o;
	struct agent a;
	const char *token;
	char err[256], tokbuf[1024];
	int rc;

	if (agent_opts_parse(&o, argc, argv, err, sizeof(err)) != 0)
		usage(err);
	token = o.token_file == NULL ? o.token :
	    read_token(o.token_file, tokbuf, sizeof(tokbuf));
	log_init("gw-agent", o.log_level);
	signal(SIGPIPE, SIG_IGN);
	if ((rc = agent_enroll_first(&o, token)) >= 0)
		return rc;
	if (o.renew > 0)
		renew_recover(o.key, o.cert);
	memset(&a, 0, sizeof(a));
	a.in.magic = AGENT_INPUT_MAGIC;
	a.in.fd = STDIN_FILENO;
	a.in.rate = o.rate;
	rc = 1;
	if (agent_open_input(&a.in, o.file) == 0 && agent_build(&a, &o) == 0)
		rc = agent_run(&a, &o);
	agent_free(&a);
	return rc;
}
