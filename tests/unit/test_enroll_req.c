/*
 * test_enroll_req.c: an enrollment request's life in enroll.c (its state:
 * new, signing, forwarded, done), without a socket or a signer: the local
 * authority and the upstream links are stand-ins defined here, which the
 * linker takes in place of signer_client.c and upstream.c.  Each request
 * gets exactly one answer unless its requester cancels it first; a request
 * with the local signer is cancelled there (and only such a request); an
 * answer is matched to its link and ref, once; the signer's callback with
 * anything but a live request stops the process rather than use it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <ev.h>

#include "authority.h"
#include "signer_client.h"
#include "enroll.h"
#include "gw.h"

/* The stand-in signer: holds one request, or answers at once. */
static struct {
	int		 at_once;	/* answer inside submit */
	authority_cb	 cb;
	void		*arg;		/* held: enroll.c's request */
	unsigned	 submitted, cancelled;
} signer;

/* The stand-in links: two, each can refuse to send. */
static struct upstream_stub {
	int		 full;		/* upstream_send fails */
	unsigned	 sent;
	uint32_t	 ref;		/* of the last ENROLL sent */
} links[2];
static struct upstream_stub *picked;	/* pick_link's answer */

/* The requester: what came back. */
static struct {
	unsigned	 answers;
	unsigned	 status, reason;
} me;

struct signer_client *
signer_client_open(const struct authority_params *p, const char *user,
    char *err, size_t errlen)
{
	(void)p;
	(void)user;
	(void)err;
	(void)errlen;
	return (struct signer_client *)&signer;
}

void
signer_client_close(struct signer_client *ap)
{
	(void)ap;
}

/* The signer answers ${status}. */
static void
signer_answer(authority_cb cb, void *arg, enum gw_enroll_status status)
{
	struct authority_result res;

	memset(&res, 0, sizeof(res));
	res.status = status;
	cb(&res, arg);
}

void
signer_client_submit(struct signer_client *ap,
    const struct authority_req *req, authority_cb cb, void *arg)
{
	(void)ap;
	(void)req;
	signer.submitted++;
	if (signer.at_once) {
		signer_answer(cb, arg, GW_ENROLL_PENDING);
		return;
	}
	assert_null(signer.arg);
	signer.cb = cb;
	signer.arg = arg;
}

void
signer_client_cancel(struct signer_client *ap, void *arg)
{
	(void)ap;
	/* enroll.c cancels only what the signer holds. */
	assert_non_null(signer.arg);
	assert_ptr_equal(arg, signer.arg);
	signer.arg = NULL;
	signer.cancelled++;
}

/* gw->pick_link (servers_pick in gatewayd). */
static struct upstream *
pick_link(struct gw *gw)
{
	(void)gw;
	return (struct upstream *)picked;
}

int
upstream_send(struct upstream *u, const struct gw_frame *f)
{
	struct upstream_stub *s = (struct upstream_stub *)u;

	assert_int_equal(f->type, GW_T_ENROLL);
	if (s->full)
		return -1;
	s->sent++;
	s->ref = f->u.enroll.ref;
	return 0;
}

static void
answered(const struct gw_enroll_result *res, void *arg)
{
	assert_ptr_equal(arg, &me);
	me.answers++;
	me.status = res->status;
	me.reason = res->reason;
}

static struct gw_config cfg;
static struct gw gw;

/* A gateway in ${local} mode (the signer) or forwarding (the links). */
static int
setup(int local)
{
	char err[256];

	memset(&signer, 0, sizeof(signer));
	memset(links, 0, sizeof(links));
	memset(&me, 0, sizeof(me));
	memset(&cfg, 0, sizeof(cfg));
	memset(&gw, 0, sizeof(gw));
	picked = &links[0];
	cfg.enroll_local = local;
	cfg.enroll_timeout = 30;
	gw.cfg = &cfg;
	gw.pick_link = pick_link;
	if ((gw.loop = ev_loop_new(EVFLAG_AUTO)) == NULL ||
	    (gw.enroll = enroll_new(&gw, err, sizeof(err))) == NULL)
		return -1;
	return 0;
}

static int
setup_local(void **state)
{
	(void)state;
	return setup(1);
}

static int
setup_forward(void **state)
{
	(void)state;
	return setup(0);
}

static int
teardown(void **state)
{
	(void)state;
	enroll_free(gw.enroll);
	gw.enroll = NULL;
	ev_loop_destroy(gw.loop);
	return 0;
}

/* A poll: no CSR, so no check of one. */
static void
submit(void)
{
	struct gw_enroll req;

	memset(&req, 0, sizeof(req));
	req.ref = 7;
	enroll_submit(&gw, &req, NULL, answered, &me);
}

/* ENROLL_RESULT on link ${l} with ${ref}. */
static void
result(struct upstream_stub *l, uint32_t ref)
{
	struct gw_frame f = { .type = GW_T_ENROLL_RESULT };

	f.u.enroll_result.ref = ref;
	f.u.enroll_result.status = GW_ENROLL_ISSUED;
	enroll_result(&gw, (struct upstream *)l, &f);
}

static void
test_signing_cancelled(void **state)
{
	(void)state;
	submit();
	assert_int_equal(signer.submitted, 1);
	assert_non_null(signer.arg);
	enroll_cancel(&gw, &me);
	assert_int_equal(signer.cancelled, 1);
	enroll_cancel(&gw, &me);		/* gone: nothing more */
	assert_int_equal(signer.cancelled, 1);
	assert_int_equal(me.answers, 0);
}

static void
test_signing_answered(void **state)
{
	(void)state;
	submit();
	signer_answer(signer.cb, signer.arg, GW_ENROLL_ISSUED);
	signer.arg = NULL;
	assert_int_equal(me.answers, 1);
	assert_int_equal(me.status, GW_ENROLL_ISSUED);
	enroll_cancel(&gw, &me);		/* done: not the signer's */
	assert_int_equal(signer.cancelled, 0);
}

static void
test_signed_at_once(void **state)
{
	(void)state;
	signer.at_once = 1;
	submit();
	assert_int_equal(me.answers, 1);
	assert_int_equal(me.status, GW_ENROLL_PENDING);
	enroll_cancel(&gw, &me);
	enroll_link_down(&gw, NULL);
	assert_int_equal(signer.cancelled, 0);
	assert_int_equal(me.answers, 1);
}

static void
test_signing_at_free(void **state)
{
	(void)state;
	submit();
	enroll_free(gw.enroll);			/* cancels, answers nothing */
	gw.enroll = NULL;
	assert_int_equal(signer.cancelled, 1);
	assert_int_equal(me.answers, 0);
}

static void
test_forwarded_answered_once(void **state)
{
	(void)state;
	submit();
	assert_int_equal(links[0].sent, 1);
	assert_int_not_equal(links[0].ref, 0);
	result(&links[1], links[0].ref);	/* another link's: not ours */
	result(&links[0], links[0].ref + 1);	/* another ref */
	assert_int_equal(me.answers, 0);
	result(&links[0], links[0].ref);
	assert_int_equal(me.answers, 1);
	assert_int_equal(me.status, GW_ENROLL_ISSUED);
	result(&links[0], links[0].ref);	/* again: already answered */
	enroll_link_down(&gw, (struct upstream *)&links[0]);
	assert_int_equal(me.answers, 1);
	assert_int_equal(signer.cancelled, 0);
}

static void
test_forwarded_link_down(void **state)
{
	(void)state;
	submit();
	enroll_link_down(&gw, (struct upstream *)&links[1]);
	assert_int_equal(me.answers, 0);
	enroll_link_down(&gw, (struct upstream *)&links[0]);
	assert_int_equal(me.answers, 1);
	assert_int_equal(me.status, GW_ENROLL_REFUSED);
	assert_int_equal(me.reason, GW_R_UPSTREAM_LOST);
	result(&links[0], links[0].ref);	/* too late */
	assert_int_equal(me.answers, 1);
}

static void
test_forwarded_cancelled(void **state)
{
	(void)state;
	submit();
	enroll_cancel(&gw, &me);
	assert_int_equal(signer.cancelled, 0);	/* not the signer's */
	result(&links[0], links[0].ref);
	enroll_link_down(&gw, (struct upstream *)&links[0]);
	assert_int_equal(me.answers, 0);
}

static void
test_not_forwarded(void **state)
{
	(void)state;
	links[0].full = 1;
	submit();
	assert_int_equal(me.answers, 1);
	assert_int_equal(me.reason, GW_R_OVERLOAD);
	picked = NULL;
	submit();
	assert_int_equal(me.answers, 2);
	assert_int_equal(me.reason, GW_R_UPSTREAM_LOST);
	enroll_link_down(&gw, (struct upstream *)&links[0]);
	assert_int_equal(me.answers, 2);
}

/* The signer's callback for ${arg}: did it abort (in a child)? */
static int
aborts(authority_cb cb, void *arg)
{
	struct authority_result res;
	pid_t pid;
	int st;

	memset(&res, 0, sizeof(res));
	if ((pid = fork()) == 0) {
		cb(&res, arg);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}

static void
test_callback_checks_magic(void **state)
{
	static uint64_t bogus[32];	/* not a request: no magic */

	(void)state;
	submit();
	assert_true(aborts(signer.cb, bogus));
	assert_int_equal(me.answers, 0);
	signer_answer(signer.cb, signer.arg, GW_ENROLL_ISSUED);
	signer.arg = NULL;
	assert_int_equal(me.answers, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_signing_cancelled,
		    setup_local, teardown),
		cmocka_unit_test_setup_teardown(test_signing_answered,
		    setup_local, teardown),
		cmocka_unit_test_setup_teardown(test_signed_at_once,
		    setup_local, teardown),
		cmocka_unit_test_setup_teardown(test_signing_at_free,
		    setup_local, teardown),
		cmocka_unit_test_setup_teardown(test_callback_checks_magic,
		    setup_local, teardown),
		cmocka_unit_test_setup_teardown(test_forwarded_answered_once,
		    setup_forward, teardown),
		cmocka_unit_test_setup_teardown(test_forwarded_link_down,
		    setup_forward, teardown),
		cmocka_unit_test_setup_teardown(test_forwarded_cancelled,
		    setup_forward, teardown),
		cmocka_unit_test_setup_teardown(test_not_forwarded,
		    setup_forward, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
