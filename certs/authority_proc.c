/*
 * authority_proc.c: the signing authority in a process of its own (see
 * authority_proc.h): the parent's side (open, submit, cancel, close) and
 * the signer's (authority_proc_main).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "authority_proc.h"
#include "log.h"

#define AP_MAX_INFLIGHT	1024
#define AP_MSG_MAX	(128 * 1024)	/* one message, either way */
#define AP_VIA_MAX	255
#define AP_FD		3		/* the signer's end, in the signer */
#define AP_NARGS	16

/* A request sent to the signer; cb NULL once cancelled. */
struct ap_req {
	uint32_t		 ref;
	authority_cb		 cb;
	void			*arg;
	TAILQ_ENTRY(ap_req)	 q;
};

struct authority_proc {
	struct ev_loop		*loop;
	int			 fd;		/* -1: the signer is gone */
	pid_t			 pid;
	ev_io			 io;
	ev_child		 child;
	TAILQ_HEAD(, ap_req)	 reqs;
	unsigned		 n;
	uint32_t		 next_ref;
	uint8_t			*buf;		/* AP_MSG_MAX */
};

/* Call ${cb} with a refusal made here. */
static void
ap_refuse(authority_cb cb, void *arg, unsigned reason, const char *msg)
{
	struct authority_result r = { .status = GW_ENROLL_REFUSED };

	r.reason = reason;
	snprintf(r.message, sizeof(r.message), "%s", msg);
	cb(&r, arg);
}

static void
ap_req_free(struct authority_proc *ap, struct ap_req *r)
{
	TAILQ_REMOVE(&ap->reqs, r, q);
	ap->n--;
	free(r);
}

/*
 * The signer is gone (or misbehaved): close its socket and refuse every
 * request in flight.  A callback may submit or cancel: take one at a time.
 */
static void
ap_lost(struct authority_proc *ap, const char *why)
{
	struct ap_req *r;

	if (ap->fd >= 0) {
		log_errx("event=signer_lost pid=%d detail=\"%s; local "
		    "enrollment is refused until a restart\"", (int)ap->pid,
		    why);
		ev_io_stop(ap->loop, &ap->io);
		close(ap->fd);
		ap->fd = -1;
	}
	while ((r = TAILQ_FIRST(&ap->reqs)) != NULL) {
		authority_cb cb = r->cb;
		void *arg = r->arg;

		ap_req_free(ap, r);
		if (cb != NULL)
			ap_refuse(cb, arg, GW_R_INTERNAL,
			    "the signing process is gone, retry later");
	}
}

/* One ENROLL_RESULT from the signer, ${n} bytes of ap->buf. */
static void
ap_result(struct authority_proc *ap, size_t n)
{
	struct authority_result res;
	struct gw_frame f;
	struct ap_req *r;
	size_t used;
	char *chain = NULL;

	if (gw_frame_decode(ap->buf, n, AP_MSG_MAX, &f, &used) != GW_OK ||
	    used != n || f.type != GW_T_ENROLL_RESULT) {
		ap_lost(ap, "the signer sent a malformed message");
		if (ap->pid > 0)
			kill(ap->pid, SIGKILL);
		return;
	}
	TAILQ_FOREACH(r, &ap->reqs, q)
		if (r->ref == f.u.enroll_result.ref)
			break;
	if (r == NULL) {
		log_warnx("event=signer_result_unknown ref=%u",
		    f.u.enroll_result.ref);
		return;
	}
	authority_cb cb = r->cb;
	void *arg = r->arg;

	ap_req_free(ap, r);
	if (cb == NULL)
		return;		/* cancelled */
	memset(&res, 0, sizeof(res));
	res.status = f.u.enroll_result.status;
	res.reason = f.u.enroll_result.reason;
	res.retry_after = f.u.enroll_result.retry_after;
	if (gw_str_cstr(&f.u.enroll_result.request_id, res.request_id,
	    sizeof(res.request_id)) != 0)
		res.request_id[0] = '\0';
	snprintf(res.message, sizeof(res.message), "%.*s",
	    (int)f.u.enroll_result.message.len,
	    (const char *)f.u.enroll_result.message.p);
	if (f.u.enroll_result.chain.len > 0) {
		if ((chain = malloc(f.u.enroll_result.chain.len + 1)) == NULL) {
			ap_refuse(cb, arg, GW_R_INTERNAL, "out of memory");
			return;
		}
		memcpy(chain, f.u.enroll_result.chain.p,
		    f.u.enroll_result.chain.len);
		chain[f.u.enroll_result.chain.len] = '\0';
		res.chain = chain;
	}
	cb(&res, arg);
	free(chain);
}

static void
ap_on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct authority_proc *ap = w->data;
	ssize_t n;

	(void)loop;
	(void)revents;
	/* A few messages a wakeup: the signer cannot starve the loop. */
	for (int i = 0; i < 16 && ap->fd >= 0; i++) {
		n = recv(ap->fd, ap->buf, AP_MSG_MAX, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			ap_lost(ap, n == 0 ? "the signer closed its socket" :
			    strerror(errno));
			return;
		}
		ap_result(ap, (size_t)n);
	}
}

static void
ap_on_exit(struct ev_loop *loop, ev_child *w, int revents)
{
	struct authority_proc *ap = w->data;

	(void)revents;
	ev_child_stop(loop, w);
	if (WIFSIGNALED(w->rstatus))
		log_errx("event=signer_exited pid=%d signal=%d", w->rpid,
		    WTERMSIG(w->rstatus));
	else
		log_errx("event=signer_exited pid=%d status=%d", w->rpid,
		    WEXITSTATUS(w->rstatus));
	ap->pid = -1;
	ap_lost(ap, "the signer exited");
}

/** authority_proc_submit(ap, req, cb, arg): see authority_proc.h. */
void
authority_proc_submit(struct authority_proc *ap,
    const struct authority_req *req, authority_cb cb, void *arg)
{
	struct gw_frame f = { .type = GW_T_ENROLL };
	struct gw_enroll *e = &f.u.enroll;
	struct ap_req *r;
	size_t vialen = req->via != NULL ? strlen(req->via) : 0;
	int len;

	if (ap->fd < 0) {
		ap_refuse(cb, arg, GW_R_INTERNAL, "local signing is off: its "
		    "process died (see the log); restart the program");
		return;
	}
	if (ap->n >= AP_MAX_INFLIGHT) {
		ap_refuse(cb, arg, GW_R_OVERLOAD,
		    "too many signing requests in progress, retry later");
		return;
	}
	if (++ap->next_ref == 0)
		ap->next_ref = 1;
	e->ref = ap->next_ref;
#define AP_STR(s, ptr, n) ((s).p = (const uint8_t *)(ptr), (s).len = \
	    (uint16_t)(n))
	AP_STR(e->csr, req->csr, req->csr != NULL ? req->csr_len : 0);
	AP_STR(e->token, req->token, strlen(req->token));
	AP_STR(e->request_id, req->request_id, strlen(req->request_id));
	AP_STR(e->source, req->source, strlen(req->source));
	AP_STR(e->client_cert, req->client_cert,
	    req->client_cert != NULL ? req->client_cert_len : 0);
#undef AP_STR
	if ((req->csr != NULL && req->csr_len > 65535) ||
	    (req->client_cert != NULL && req->client_cert_len > 65535) ||
	    vialen > AP_VIA_MAX ||
	    (len = gw_frame_encode(ap->buf, AP_MSG_MAX - AP_VIA_MAX, &f)) < 0) {
		ap_refuse(cb, arg, GW_R_PROTOCOL, "malformed request");
		return;
	}
	memcpy(ap->buf + len, req->via, vialen);
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		ap_refuse(cb, arg, GW_R_OVERLOAD, "out of memory");
		return;
	}
	if (send(ap->fd, ap->buf, (size_t)len + vialen,
	    MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		free(r);
		ap_refuse(cb, arg, errno == EAGAIN ? GW_R_OVERLOAD :
		    GW_R_INTERNAL, "the signing process is busy, retry later");
		return;
	}
	r->ref = e->ref;
	r->cb = cb;
	r->arg = arg;
	TAILQ_INSERT_TAIL(&ap->reqs, r, q);
	ap->n++;
}

/** authority_proc_cancel(ap, arg): the requester ${arg} is gone. */
void
authority_proc_cancel(struct authority_proc *ap, void *arg)
{
	struct ap_req *r;

	/* Kept until its answer comes: it still counts as in flight. */
	TAILQ_FOREACH(r, &ap->reqs, q)
		if (r->arg == arg && r->cb != NULL)
			r->cb = NULL;
}

/* The signer's side of fork: its socket as AP_FD, no other descriptor. */
static void
ap_child_exec(int fd, char **argv)
{
	sigset_t none;
	long max;

	/* exec keeps the mask; the parent's loop may have blocked some. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (fd != AP_FD && dup2(fd, AP_FD) < 0)
		_exit(127);
	if (fcntl(AP_FD, F_SETFD, 0) != 0)
		_exit(127);
#ifdef SYS_close_range
	if (syscall(SYS_close_range, AP_FD + 1, ~0U, 0) != 0)
#endif
	{
		max = sysconf(_SC_OPEN_MAX);
		for (long i = AP_FD + 1; i < (max > 0 && max < 65536 ?
		    max : 65536); i++)
			close((int)i);
	}
	execv("/proc/self/exe", argv);
	_exit(127);
}

/**
 * authority_proc_open(p, user, err, errlen): start the signer with the
 * authority of ${p} (its loop is the caller's, for the signer's socket)
 * as ${user} (NULL: the caller's user) and wait until it has opened the
 * authority.  NULL on error, with "what: why" in ${err}.
 */
struct authority_proc *
authority_proc_open(const struct authority_params *p, const char *user,
    char *err, size_t errlen)
{
	struct authority_proc *ap;
	/* The numbers of ${p}, in the order authority_proc_main reads them. */
	const unsigned num[] = {
		p->cert_days, p->pending_ttl, p->max_pending, p->retry_after,
		p->hook_timeout, p->max_pending_per_source, p->new_per_source,
		p->renew_after, p->hook_max, p->hook_queue
	};
	char name[64], nums[sizeof(num) / sizeof(num[0])][16];
	char msg[512];
	char *argv[AP_NARGS + 1];
	int sv[2];
	ssize_t n;

	if ((ap = calloc(1, sizeof(*ap))) == NULL ||
	    (ap->buf = malloc(AP_MSG_MAX)) == NULL) {
		free(ap);
		snprintf(err, errlen, "signer: out of memory");
		return NULL;
	}
	ap->loop = p->loop;
	ap->fd = -1;
	TAILQ_INIT(&ap->reqs);
	snprintf(name, sizeof(name), "%s-signer",
	    program_invocation_short_name);
	argv[0] = name;
	argv[1] = (char *)AUTHORITY_PROC_ARG;
	argv[2] = (char *)(user != NULL ? user : "");
	argv[3] = (char *)p->dir;
	argv[4] = (char *)(p->names != NULL ? p->names : "");
	argv[5] = (char *)(p->hook != NULL ? p->hook : "");
	for (size_t i = 0; i < sizeof(num) / sizeof(num[0]); i++) {
		snprintf(nums[i], sizeof(nums[i]), "%u", num[i]);
		argv[6 + i] = nums[i];
	}
	argv[AP_NARGS] = NULL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		snprintf(err, errlen, "signer: socketpair: %s",
		    strerror(errno));
		goto fail;
	}
	if ((ap->pid = fork()) < 0) {
		snprintf(err, errlen, "signer: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		goto fail;
	}
	if (ap->pid == 0) {
		close(sv[0]);
		ap_child_exec(sv[1], argv);
	}
	close(sv[1]);
	ap->fd = sv[0];
	/* At start-up, before the loop runs: wait for "ok" or the error. */
	do
		n = recv(ap->fd, msg, sizeof(msg) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0 || (size_t)n != strlen("ok") || memcmp(msg, "ok", 2) != 0) {
		if (n > 0) {
			msg[n] = '\0';
			for (ssize_t i = 0; i < n; i++)
				if (msg[i] < 0x20 || msg[i] == 0x7f)
					msg[i] = '?';
		}
		snprintf(err, errlen, "%s", n > 0 ? msg :
		    "signer: the signing process did not start");
		close(ap->fd);
		while (waitpid(ap->pid, NULL, 0) < 0 && errno == EINTR)
			;
		goto fail;
	}
	if (fcntl(ap->fd, F_SETFL, O_NONBLOCK) != 0) {
		snprintf(err, errlen, "signer: fcntl: %s", strerror(errno));
		close(ap->fd);
		kill(ap->pid, SIGKILL);
		while (waitpid(ap->pid, NULL, 0) < 0 && errno == EINTR)
			;
		goto fail;
	}
	ev_io_init(&ap->io, ap_on_read, ap->fd, EV_READ);
	ap->io.data = ap;
	ev_io_start(ap->loop, &ap->io);
	ev_child_init(&ap->child, ap_on_exit, ap->pid, 0);
	ap->child.data = ap;
	ev_child_start(ap->loop, &ap->child);
	log_info("event=signer_started pid=%d user=%s", (int)ap->pid,
	    user != NULL ? user : "-");
	return ap;
fail:
	free(ap->buf);
	free(ap);
	return NULL;
}

/**
 * authority_proc_close(ap): stop the signer (it kills its running hooks)
 * and wait for it; answer nothing more; free ${ap}.  NULL is a no-op.
 */
void
authority_proc_close(struct authority_proc *ap)
{
	struct ap_req *r;

	if (ap == NULL)
		return;
	while ((r = TAILQ_FIRST(&ap->reqs)) != NULL)
		ap_req_free(ap, r);
	if (ap->fd >= 0) {
		ev_io_stop(ap->loop, &ap->io);
		close(ap->fd);	/* the signer sees EOF and exits */
	}
	ev_child_stop(ap->loop, &ap->child);
	/* It exits on EOF; one that does not within 2 s is killed. */
	for (int i = 0; ap->pid > 0; i++) {
		pid_t w = waitpid(ap->pid, NULL, i < 200 ? WNOHANG : 0);

		if (w == ap->pid || (w < 0 && errno != EINTR))
			break;
		if (i == 200 - 1)
			kill(ap->pid, SIGKILL);
		if (w == 0)
			usleep(10000);
	}
	free(ap->buf);
	free(ap);
}

/* The signer's side. */

struct aps_req {
	uint32_t	 ref;
};

static int aps_fd = AP_FD;

/* Send ${res} for ${ref} to the parent (blocking: the parent reads). */
static void
aps_answer(uint32_t ref, const struct authority_result *res)
{
	static uint8_t buf[AP_MSG_MAX];
	struct gw_frame f = { .type = GW_T_ENROLL_RESULT };
	int len;

	authority_result_view(res, ref, &f.u.enroll_result);
	if ((len = gw_frame_encode(buf, sizeof(buf), &f)) < 0) {
		log_errx("event=signer_encode_failed ref=%u detail=\"%s\"",
		    ref, gw_perr_str(len));
		return;
	}
	while (send(aps_fd, buf, (size_t)len, MSG_NOSIGNAL) < 0)
		if (errno != EINTR) {
			log_errx("event=signer_send_failed detail=\"%s\"",
			    strerror(errno));
			exit(1);
		}
}

static void
aps_done(const struct authority_result *res, void *arg)
{
	struct aps_req *r = arg;

	aps_answer(r->ref, res);
	free(r);
}

/* One message from the parent: ENROLL, then the via name. */
static void
aps_request(struct authority *a, const uint8_t *buf, size_t n)
{
	struct authority_result no = { .status = GW_ENROLL_REFUSED,
	    .reason = GW_R_PROTOCOL };
	struct gw_frame f;
	struct gw_enroll *e = &f.u.enroll;
	struct gw_str vs;
	struct aps_req *r;
	char token[1024], rid[128], source[128], via[AP_VIA_MAX + 1];
	size_t used;

	if (gw_frame_decode(buf, n, AP_MSG_MAX, &f, &used) != GW_OK ||
	    f.type != GW_T_ENROLL) {
		log_errx("event=signer_bad_message detail=\"not an ENROLL\"");
		return;
	}
	vs.p = buf + used;
	vs.len = (uint16_t)(n - used);
	snprintf(no.message, sizeof(no.message), "malformed request");
	if (n - used > AP_VIA_MAX ||
	    gw_str_cstr(&vs, via, sizeof(via)) != 0 ||
	    gw_str_cstr(&e->token, token, sizeof(token)) != 0 ||
	    gw_str_cstr(&e->request_id, rid, sizeof(rid)) != 0 ||
	    gw_str_cstr(&e->source, source, sizeof(source)) != 0) {
		aps_answer(e->ref, &no);
		return;
	}
	struct authority_req ar = {
		.csr = e->csr.len ? e->csr.p : NULL,
		.csr_len = e->csr.len,
		.token = token, .request_id = rid, .source = source,
		.via = via,
		.client_cert = e->client_cert.len ? e->client_cert.p : NULL,
		.client_cert_len = e->client_cert.len,
	};
	if ((r = malloc(sizeof(*r))) == NULL) {
		no.reason = GW_R_OVERLOAD;
		snprintf(no.message, sizeof(no.message), "out of memory");
		aps_answer(e->ref, &no);
		return;
	}
	r->ref = e->ref;
	authority_submit(a, &ar, aps_done, r);
}

static void
aps_on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	static uint8_t buf[AP_MSG_MAX];
	ssize_t n;

	(void)revents;
	if ((n = recv(aps_fd, buf, sizeof(buf), MSG_DONTWAIT)) < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		log_errx("event=signer_recv_failed detail=\"%s\"",
		    strerror(errno));
	}
	if (n <= 0) {
		ev_break(loop, EVBREAK_ALL);	/* the parent is gone */
		return;
	}
	aps_request(w->data, buf, (size_t)n);
}

/* Become ${user}: its groups, its uid, and no way back. */
static int
aps_become(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;

	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "[enroll] signer_user: no user '%s'",
		    user);
		return -1;
	}
	if (getuid() == pw->pw_uid && geteuid() == pw->pw_uid)
		return 0;
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		snprintf(err, errlen, "[enroll] signer_user: cannot become "
		    "'%s': %s", user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		snprintf(err, errlen, "[enroll] signer_user: could get root "
		    "back");
		return -1;
	}
	return 0;
}

/* Tell the parent "ok" or ${msg} (one message). */
static void
aps_status(const char *msg)
{
	while (send(aps_fd, msg, strlen(msg), MSG_NOSIGNAL) < 0 &&
	    errno == EINTR)
		;
}

/**
 * authority_proc_main(argc, argv): the signer process (argv[1] is
 * AUTHORITY_PROC_ARG).  Returns the exit code.
 */
int
authority_proc_main(int argc, char **argv)
{
	struct authority_params p;
	struct authority *a;
	struct ev_loop *loop;
	ev_io io;
	char err[512];

	if (argc != AP_NARGS) {
		fprintf(stderr, "%s: for internal use only\n", argv[0]);
		return 2;
	}
	log_init(argv[0], LOG_LVL_INFO);
	/* The hooks it runs get no way to answer in its name. */
	(void)fcntl(aps_fd, F_SETFD, FD_CLOEXEC);
	(void)prctl(PR_SET_NAME, argv[0]);	/* ps -C NAME finds it */
	/* The parent's signals are not ours: EOF on the socket stops us. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	loop = EV_DEFAULT;
	p = (struct authority_params){
		.loop = loop, .dir = argv[3],
		.names = argv[4][0] != '\0' ? argv[4] : NULL,
		.hook = argv[5][0] != '\0' ? argv[5] : NULL,
		.cert_days = (unsigned)strtoul(argv[6], NULL, 10),
		.pending_ttl = (unsigned)strtoul(argv[7], NULL, 10),
		.max_pending = (unsigned)strtoul(argv[8], NULL, 10),
		.retry_after = (unsigned)strtoul(argv[9], NULL, 10),
		.hook_timeout = (unsigned)strtoul(argv[10], NULL, 10),
		.max_pending_per_source = (unsigned)strtoul(argv[11], NULL, 10),
		.new_per_source = (unsigned)strtoul(argv[12], NULL, 10),
		.renew_after = (unsigned)strtoul(argv[13], NULL, 10),
		.hook_max = (unsigned)strtoul(argv[14], NULL, 10),
		.hook_queue = (unsigned)strtoul(argv[15], NULL, 10),
	};
	if ((argv[2][0] != '\0' && aps_become(argv[2], err,
	    sizeof(err)) != 0) ||
	    (a = authority_open(&p, err, sizeof(err))) == NULL) {
		aps_status(err);
		return 1;
	}
	aps_status("ok");
	log_info("event=signer_ready ca_dir=%s uid=%u", p.dir,
	    (unsigned)getuid());
	ev_io_init(&io, aps_on_read, aps_fd, EV_READ);
	io.data = a;
	ev_io_start(loop, &io);
	ev_run(loop, 0);
	authority_close(a);
	return 0;
}
