/*
 * gw_signer.c: gw-signer, the signing authority (authority.h) in a
 * process of its own: the signer's side of signer_client.h.  gatewayd
 * (mode = local) and gw-mgmt ([enroll] ca_dir) start it, and only they:
 * it takes its orders on descriptor SIGNER_FD.  It alone links
 * the code that signs and reads the CA key.
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
#include <sys/socket.h>
#include <unistd.h>

#include "authority.h"
#include "signer_client.h"
#include "log.h"

#define APS_MAGIC	0x41707352u	/* "ApsR" */
#define APS_IO_MAGIC	0x4170734fu	/* "ApsO" */

/* A request the authority has not answered yet (a hook runs). */
struct aps_req {
	uint32_t	 magic;		/* APS_MAGIC */
	uint32_t	 ref;
};

/* The parent's socket, watched, and the authority its orders go to. */
struct aps_io {
	uint32_t	 magic;		/* APS_IO_MAGIC */
	struct authority *a;
	ev_io		 io;
};

static int aps_fd = SIGNER_FD;

/* Send ${res} for ${ref} to the parent (blocking: the parent reads). */
static void
aps_answer(uint32_t ref, const struct authority_result *res)
{
	static uint8_t buf[SIGNER_MSG_MAX];
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

	if (r == NULL || r->magic != APS_MAGIC)
		abort();
	aps_answer(r->ref, res);
	r->magic = 0;
	free(r);
}

/* One message from the parent: ENROLL, then the via name. */
static void
aps_request(struct authority *a, const uint8_t *buf, size_t n)
{
	struct authority_result no;
	struct gw_frame f;
	struct gw_enroll *e = &f.u.enroll;
	struct gw_str vs;
	struct authority_req_buf rb;
	struct authority_req ar;
	struct aps_req *r;
	char via[SIGNER_VIA_MAX + 1];
	size_t used;

	if (gw_frame_decode(buf, n, SIGNER_MSG_MAX, &f, &used) != GW_OK ||
	    f.type != GW_T_ENROLL) {
		log_errx("event=signer_bad_message detail=\"not an ENROLL\"");
		return;
	}
	vs = (struct gw_str){ .p = buf + used, .len = (uint16_t)(n - used) };
	if (n - used > SIGNER_VIA_MAX ||
	    gw_str_cstr(&vs, via, sizeof(via)) != 0 ||
	    authority_req_from_enroll(e, via, &rb, &ar) != 0) {
		authority_result_make(&no, GW_ENROLL_REFUSED, GW_R_PROTOCOL, 0,
		    NULL, NULL, "malformed request");
		aps_answer(e->ref, &no);
		return;
	}
	if ((r = malloc(sizeof(*r))) == NULL) {
		authority_result_make(&no, GW_ENROLL_REFUSED, GW_R_OVERLOAD, 0,
		    NULL, NULL, "out of memory");
		aps_answer(e->ref, &no);
		return;
	}
	r->magic = APS_MAGIC;
	r->ref = e->ref;
	authority_submit(a, &ar, aps_done, r);
}

static void
aps_on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	static uint8_t buf[SIGNER_MSG_MAX];
	struct aps_io *s = w->data;
	ssize_t n;

	(void)revents;
	if (s == NULL || s->magic != APS_IO_MAGIC)
		abort();
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
	aps_request(s->a, buf, (size_t)n);
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

/*
 * The signer process (signer_client.h has its arguments); its exit code.
 */
int
main(int argc, char **argv)
{
	struct authority_params p;
	struct authority *a;
	struct ev_loop *loop;
	struct aps_io s = { .magic = APS_IO_MAGIC };
	char err[512];

	if (argc != SIGNER_NARGS ||
	    strcmp(argv[1], SIGNER_ARG) != 0) {
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
	s.a = a;
	ev_io_init(&s.io, aps_on_read, aps_fd, EV_READ);
	s.io.data = &s;
	ev_io_start(loop, &s.io);
	ev_run(loop, 0);
	authority_close(a);
	return 0;
}
