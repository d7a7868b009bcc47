/*
 * test_conn.c: conn.c itself, with real mbedTLS and real sockets: a client
 * conn (conn_connect) and a server conn (conn_accept) on 127.0.0.1, both on
 * one libev loop, with a CA and certificates made in a temporary directory
 * by the PKI library.  The handshake, a frame each way, the peer's view of
 * conn_close_error (ERROR, then the close; no ERROR before the handshake is
 * over, for GW_R_NORMAL or for a local reason; the text cut to
 * CONN_ERROR_TEXT_MAX; a frame over max_payload answered so), and a close
 * in every state (connecting, handshake, inside on_open, open, closed
 * again, by the timer): each close calls on_close once, in state closed,
 * and on_free once, from the loop.  A name dialed ("localhost", from
 * /etc/hosts): resolved on the loop, then the handshake as with an
 * address; a conn closed while its name resolves gets no callback after
 * its on_close (the resolver is cancelled).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "authority_fixture.h"
#include "conn.h"
#include "frame.h"
#include "proto.h"
#include "tls_conf.h"
#include "tls_rng.h"

#define GW_NAME		"gw.conn.test"
#define GIVE_UP		60	/* seconds before a test stops waiting */

static char cdir[64];
static struct tls_conf *srv, *cli;
static struct ev_loop *loop;
static int lfd = -1;
static char laddr[64];

/* One end: what its callbacks saw. */
struct end {
	struct conn	*c;		/* NULL once freed */
	int		 opens, closes, frees, frames;
	int		 frames_at_close;
	enum conn_state	 st_open, st_close;
	unsigned	 reason;
	char		 detail[300];
	uint8_t		 type;		/* the last frame's */
	uint16_t	 code;
	char		 text[300];
	size_t		 text_len;
	uint64_t	 opaque;
	unsigned	 refuse;	/* on_open: conn_close_error(refuse) */
	unsigned	 open_iter;	/* ev_iteration at on_open */
};

static int
on_open(struct conn *c, void *arg)
{
	struct end *e = arg;

	e->opens++;
	e->open_iter = ev_iteration(loop);
	e->st_open = conn_state(c);
	if (e->refuse != 0) {
		conn_close_error(c, e->refuse, "refused by %s", "test");
		return CONN_CLOSED_RC;
	}
	return 0;
}

static int
on_frame(struct conn *c, const struct gw_frame *f, void *arg)
{
	struct end *e = arg;

	(void)c;
	e->frames++;
	e->type = f->type;
	if (f->type == GW_T_ERROR) {
		e->code = f->u.reason.code;
		e->text_len = f->u.reason.text.len;
		snprintf(e->text, sizeof(e->text), "%.*s",
		    (int)f->u.reason.text.len,
		    (const char *)f->u.reason.text.p);
	} else if (f->type == GW_T_PING || f->type == GW_T_PONG)
		e->opaque = f->u.ping.opaque;
	return CONN_OK;
}

static void
on_close(struct conn *c, unsigned reason, const char *detail, void *arg)
{
	struct end *e = arg;

	e->closes++;
	e->frames_at_close = e->frames;
	e->st_close = conn_state(c);
	e->reason = reason;
	snprintf(e->detail, sizeof(e->detail), "%s", detail);
}

static void
on_free(void *arg)
{
	struct end *e = arg;

	e->frees++;
	e->c = NULL;
}

static const struct conn_ops ops = {
	.on_open = on_open,
	.on_frame = on_frame,
	.on_close = on_close,
	.on_free = on_free,
};

static const struct conn_params params = {
	.in_cap = 4096,
	.out_cap = 4096,
	.max_payload = 1024,
	.server_name = GW_NAME,
};

/*
 * Turn the loop until ${done}(a, b), or GIVE_UP seconds (a bound for a
 * test that would hang, not a speed: a loaded machine takes its time).
 */
static int
spin(int (*done)(const struct end *, const struct end *), const struct end *a,
    const struct end *b)
{
	time_t end = time(NULL) + GIVE_UP;

	while (!done(a, b) && time(NULL) < end) {
		ev_run(loop, EVRUN_NOWAIT);
		if (!done(a, b))
			usleep(1000);
	}
	return done(a, b);
}

static int
both_open(const struct end *a, const struct end *b)
{
	return a->opens == 1 && b->opens == 1;
}

static int
both_freed(const struct end *a, const struct end *b)
{
	return a->frees == 1 && b->frees == 1;
}

static int
a_frame(const struct end *a, const struct end *b)
{
	(void)b;
	return a->frames > 0;
}

static int
a_closed(const struct end *a, const struct end *b)
{
	(void)b;
	return a->closes > 0;
}

/*
 * A client conn to the listener, and the server conn of its socket, the
 * server's made with ${sp}.
 */
static void
dial_with(struct end *ce, struct end *se, const struct conn_params *sp)
{
	int fd;

	assert_non_null(ce->c = conn_connect(loop, laddr, cli, &params, &ops,
	    ce));
	assert_int_equal(conn_state(ce->c), CONN_CONNECTING);
	assert_true((fd = accept(lfd, NULL, NULL)) >= 0);
	assert_non_null(se->c = conn_accept(loop, fd, srv, sp, &ops, se));
	assert_int_equal(conn_state(se->c), CONN_HANDSHAKE);
}

/* A client conn to the listener, and the server conn of its socket. */
static void
dial(struct end *ce, struct end *se)
{
	dial_with(ce, se, &params);
}

/* Both ends open. */
static void
dial_open(struct end *ce, struct end *se)
{
	dial(ce, se);
	assert_true(spin(both_open, ce, se));
	assert_int_equal(ce->st_open, CONN_OPEN);
	assert_int_equal(se->st_open, CONN_OPEN);
	assert_int_equal(conn_state(ce->c), CONN_OPEN);
	assert_int_equal(conn_state(se->c), CONN_OPEN);
}

/* Each end closed once, in state closed, and freed once by the loop. */
static void
finish(struct end *ce, struct end *se)
{
	assert_true(spin(both_freed, ce, se));
	assert_int_equal(ce->closes, 1);
	assert_int_equal(se->closes, 1);
	assert_int_equal(ce->st_close, CONN_CLOSED);
	assert_int_equal(se->st_close, CONN_CLOSED);
	assert_null(ce->c);
	assert_null(se->c);
}

static void
send_ping(struct conn *c, uint8_t type, uint64_t opaque)
{
	struct gw_frame f = { .type = type };

	f.u.ping.opaque = opaque;
	assert_int_equal(conn_send(c, &f), 0);
}

/* The handshake, a frame each way, an orderly close, a second close. */
static void
test_frames_each_way(void **state)
{
	struct end ce = { 0 }, se = { 0 };
	const uint8_t *der;
	size_t len;

	(void)state;
	dial_open(&ce, &se);
	assert_string_equal(conn_state_str(CONN_OPEN), "open");
	assert_int_equal(conn_resumed(se.c), 0);
	assert_non_null(der = conn_peer_der(se.c, &len));
	assert_true(len > 0);
	assert_non_null(conn_peer_der(ce.c, &len));
	assert_null(conn_peer_crt(se.c));	/* only in on_open */
	assert_true(strncmp(conn_tls_info(se.c), "TLSv1.3/", 8) == 0);
	assert_true(strncmp(conn_peer(se.c), "127.0.0.1:", 10) == 0);

	send_ping(ce.c, GW_T_PING, 42);
	assert_true(spin(a_frame, &se, NULL));
	assert_int_equal(se.type, GW_T_PING);
	assert_int_equal(se.opaque, 42);
	send_ping(se.c, GW_T_PONG, 43);
	assert_true(spin(a_frame, &ce, NULL));
	assert_int_equal(ce.type, GW_T_PONG);
	assert_int_equal(ce.opaque, 43);

	conn_close(ce.c, GW_R_NORMAL, "bye");
	assert_int_equal(ce.closes, 1);
	assert_int_equal(ce.reason, GW_R_NORMAL);
	assert_string_equal(ce.detail, "bye");
	assert_int_equal(conn_state(ce.c), CONN_CLOSED);
	conn_close(ce.c, GW_R_PROTOCOL, "again");	/* a no-op */
	assert_int_equal(ce.closes, 1);
	assert_int_equal(conn_send(ce.c, &(struct gw_frame){ .type =
	    GW_T_PING }), GW_ENOSPACE);
	assert_true(spin(a_closed, &se, NULL));
	assert_int_equal(se.reason, GW_R_PEER_CLOSED);
	assert_int_equal(se.frames, 1);
	finish(&ce, &se);
}

/* ERROR(code, text) reaches the peer before the close does. */
static void
test_close_error_open(void **state)
{
	struct end ce = { 0 }, se = { 0 };

	(void)state;
	dial_open(&ce, &se);
	conn_close_error(se.c, GW_R_POLICY, "name %s refused", "agent-x");
	assert_int_equal(se.closes, 1);
	assert_int_equal(se.reason, GW_R_POLICY);
	assert_string_equal(se.detail, "name agent-x refused");
	assert_true(spin(a_closed, &ce, NULL));
	assert_int_equal(ce.frames_at_close, 1);
	assert_int_equal(ce.type, GW_T_ERROR);
	assert_int_equal(ce.code, GW_R_POLICY);
	assert_string_equal(ce.text, "name agent-x refused");
	assert_int_equal(ce.reason, GW_R_PEER_CLOSED);
	finish(&ce, &se);
}

/* The ERROR's text is cut to CONN_ERROR_TEXT_MAX; the detail is not. */
static void
test_close_error_long_text(void **state)
{
	struct end ce = { 0 }, se = { 0 };
	char text[300];

	(void)state;
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	dial_open(&ce, &se);
	conn_close_error(ce.c, GW_R_PROTOCOL, "%s", text);
	assert_int_equal(strlen(ce.detail), 255);
	assert_true(spin(a_closed, &se, NULL));
	assert_int_equal(se.frames_at_close, 1);
	assert_int_equal(se.code, GW_R_PROTOCOL);
	assert_int_equal(se.text_len, CONN_ERROR_TEXT_MAX);
	finish(&ce, &se);
}

/* A frame over max_payload: ERROR too-big, "bad frame: ...", and close. */
static void
test_bad_frame(void **state)
{
	static uint8_t body[2000];
	struct gw_frame f = { .type = GW_T_EXT_FIRST, .len = sizeof(body),
	    .payload = body };
	struct end ce = { 0 }, se = { 0 };

	(void)state;
	dial_open(&ce, &se);
	assert_int_equal(conn_send(ce.c, &f), 0);
	assert_true(spin(a_closed, &ce, NULL));
	assert_int_equal(se.frames, 0);
	assert_int_equal(se.reason, GW_R_TOO_BIG);
	assert_true(strncmp(se.detail, "bad frame: ", 11) == 0);
	assert_int_equal(ce.frames_at_close, 1);
	assert_int_equal(ce.code, GW_R_TOO_BIG);
	assert_string_equal(ce.text, se.detail);
	finish(&ce, &se);
}

/* No ERROR for an orderly end, nor for a reason that is not the wire's. */
static void
test_close_error_not_sent(void **state)
{
	static const unsigned codes[] = { GW_R_NORMAL, GW_R_IO_ERROR };

	(void)state;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		struct end ce = { 0 }, se = { 0 };

		dial_open(&ce, &se);
		conn_close_error(se.c, codes[i], "done");
		assert_int_equal(se.reason, codes[i]);
		assert_string_equal(se.detail, "done");
		assert_true(spin(a_closed, &ce, NULL));
		assert_int_equal(ce.frames, 0);
		assert_int_equal(ce.reason, GW_R_PEER_CLOSED);
		finish(&ce, &se);
	}
}

/* A client closed while it connects; its server sees the socket end. */
static void
test_close_connecting(void **state)
{
	struct end ce = { 0 }, se = { 0 };

	(void)state;
	dial(&ce, &se);
	conn_close(ce.c, GW_R_SHUTDOWN, "stop");
	assert_int_equal(ce.closes, 1);
	assert_int_equal(ce.st_close, CONN_CLOSED);
	assert_true(spin(a_closed, &se, NULL));
	assert_int_equal(se.opens, 0);
	assert_int_equal(se.reason, GW_R_PEER_CLOSED);
	assert_non_null(strstr(se.detail, "handshake"));
	finish(&ce, &se);
	assert_int_equal(ce.opens, 0);
}

/* A server closed in its handshake sends no ERROR: no TLS to carry it. */
static void
test_close_handshake(void **state)
{
	struct end ce = { 0 }, se = { 0 };

	(void)state;
	dial(&ce, &se);
	conn_close_error(se.c, GW_R_OVERLOAD, "full");
	assert_int_equal(se.reason, GW_R_OVERLOAD);
	assert_true(spin(a_closed, &ce, NULL));
	assert_int_equal(ce.opens, 0);
	assert_int_equal(ce.frames, 0);
	finish(&ce, &se);
}

/* A server that refuses its peer in on_open: the peer reads why. */
static void
test_close_in_on_open(void **state)
{
	struct end ce = { 0 }, se = { .refuse = GW_R_POLICY };

	(void)state;
	dial(&ce, &se);
	assert_true(spin(a_closed, &ce, NULL));
	assert_int_equal(se.opens, 1);
	assert_int_equal(se.reason, GW_R_POLICY);
	assert_string_equal(se.detail, "refused by test");
	assert_int_equal(ce.frames_at_close, 1);
	assert_int_equal(ce.code, GW_R_POLICY);
	assert_string_equal(ce.text, "refused by test");
	finish(&ce, &se);
}

/* The timer with no on_timeout closes with GW_R_TIMEOUT; 0 stops it. */
static void
test_close_by_timer(void **state)
{
	struct end ce = { 0 }, se = { 0 };

	(void)state;
	dial_open(&ce, &se);
	conn_timer(ce.c, 0.05);
	conn_timer(ce.c, 0);
	conn_timer(se.c, 0.05);
	assert_true(spin(a_closed, &se, NULL));
	assert_int_equal(se.reason, GW_R_TIMEOUT);
	assert_true(spin(a_closed, &ce, NULL));
	assert_int_equal(ce.reason, GW_R_PEER_CLOSED);
	finish(&ce, &se);
}

#define HS_N	4

static int
hs_all_open(const struct end *a, const struct end *b)
{
	(void)b;
	for (int i = 0; i < HS_N; i++)
		if (a[i].opens != 1 && a[i].closes == 0)
			return 0;
	return 1;
}

static int
hs_one_queued(const struct end *a, const struct end *b)
{
	(void)b;
	for (int i = 0; i < HS_N; i++)
		if (a[i].c != NULL && conn_hs_waiting(a[i].c))
			return 1;
	return 0;
}

/*
 * A handshake budget (conn_params.hs_budget) spent by any one step: each
 * loop iteration runs one server handshake step at most, the others wait
 * for later iterations and are not lost (all open, each in an iteration of
 * its own; without the budget the loop may finish several at once); one
 * closed while it waits leaves the FIFO (ASan: no use after its free).
 */
static void
test_hs_budget(void **state)
{
	struct conn_params sp = params;
	struct end ce[HS_N], se[HS_N];
	int victim = -1;

	(void)state;
	memset(ce, 0, sizeof(ce));
	memset(se, 0, sizeof(se));
	sp.hs_budget = 1e-9;
	for (int i = 0; i < HS_N; i++)
		dial_with(&ce[i], &se[i], &sp);
	assert_true(spin(hs_one_queued, se, NULL));
	for (int i = 0; i < HS_N && victim < 0; i++)
		if (conn_hs_waiting(se[i].c))
			victim = i;
	conn_close(se[victim].c, GW_R_OVERLOAD, "closed while waiting");
	assert_int_equal(conn_hs_waiting(se[victim].c), 0);
	assert_true(spin(hs_all_open, se, NULL));
	for (int i = 0; i < HS_N; i++) {
		if (i == victim)
			continue;
		assert_int_equal(se[i].opens, 1);
		for (int j = i + 1; j < HS_N; j++)
			if (j != victim)
				assert_int_not_equal(se[i].open_iter,
				    se[j].open_iter);
	}
	for (int i = 0; i < HS_N; i++) {
		if (i != victim)
			conn_close(se[i].c, GW_R_NORMAL, "done");
		finish(&ce[i], &se[i]);
	}
	assert_int_equal(se[victim].opens, 0);
}

/* "localhost:PORT" of the listener: a name, resolved from /etc/hosts. */
static void
name_addr(char *buf, size_t len)
{
	snprintf(buf, len, "localhost:%s", strrchr(laddr, ':') + 1);
}

/* A name dialed: resolved on the loop, then a handshake as usual. */
static void
test_dial_name(void **state)
{
	struct end ce = { 0 }, se = { 0 };
	char addr[64];
	time_t end = time(NULL) + GIVE_UP;
	int fd = -1;

	(void)state;
	name_addr(addr, sizeof(addr));
	assert_non_null(ce.c = conn_connect(loop, addr, cli, &params, &ops,
	    &ce));
	assert_int_equal(conn_state(ce.c), CONN_CONNECTING);
	while (fd < 0 && time(NULL) < end) {	/* the connect comes later */
		struct pollfd pfd = { .fd = lfd, .events = POLLIN };

		ev_run(loop, EVRUN_NOWAIT);	/* maybe [::1] first: refused */
		if (poll(&pfd, 1, 1) != 1 ||
		    (fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) < 0)
			usleep(1000);
	}
	assert_true(fd >= 0);
	assert_non_null(se.c = conn_accept(loop, fd, srv, &params, &ops, &se));
	assert_true(spin(both_open, &ce, &se));
	conn_close(ce.c, GW_R_NORMAL, "done");
	finish(&ce, &se);
}

/* Closed while its name resolves: on_close once, then nothing but on_free. */
static void
test_close_resolving(void **state)
{
	struct end ce = { 0 };
	char addr[64];

	(void)state;
	name_addr(addr, sizeof(addr));
	assert_non_null(ce.c = conn_connect(loop, addr, cli, &params, &ops,
	    &ce));
	conn_close(ce.c, GW_R_SHUTDOWN, "stop");
	assert_int_equal(ce.closes, 1);
	for (int i = 0; i < 50; i++) {	/* an answer would come by now */
		ev_run(loop, EVRUN_NOWAIT);
		usleep(1000);
	}
	assert_int_equal(ce.closes, 1);
	assert_int_equal(ce.opens, 0);
	assert_int_equal(ce.frees, 1);
	assert_int_equal(ce.reason, GW_R_SHUTDOWN);
}

/* ${cdir}/${file}.crt and .key: ${role} ${name}, issued by ${ca}. */
static void
issue(const char *ca, const char *file, enum pki_role role, const char *name)
{
	static unsigned char crt[8192], key[8192];
	struct pki_req req = { .role = role, .name = name };
	struct pki_ca pca;
	char p[256], err[256];

	pki_validity(&req, 30);
	assert_int_equal(pki_ca_load(&pca, ca, &rng, err, sizeof(err)), 0);
	if (pki_make(&req, &pca, &rng, crt, sizeof(crt), key, sizeof(key), err,
	    sizeof(err)) != 0)
		fail_msg("%s: %s", name, err);
	pki_ca_free(&pca);
	snprintf(p, sizeof(p), "%s/%s.crt", cdir, file);
	assert_int_equal(pki_write_file(p, crt, strlen((char *)crt), 0644, err,
	    sizeof(err)), 0);
	snprintf(p, sizeof(p), "%s/%s.key", cdir, file);
	assert_int_equal(pki_write_file(p, key, strlen((char *)key), 0600, err,
	    sizeof(err)), 0);
}

static struct tls_conf *
conf(int server, const char *file)
{
	char crt[128], key[128], ca[128], err[512];
	struct tls_conf_params p = { .server = server, .tls12 = 1,
	    .cert = crt, .key = key, .ca = ca };
	struct tls_conf *tc;

	snprintf(crt, sizeof(crt), "%s/%s.crt", cdir, file);
	snprintf(key, sizeof(key), "%s/%s.key", cdir, file);
	snprintf(ca, sizeof(ca), "%s/ca/ca.crt", cdir);
	if ((tc = tls_conf_new(&p, err, sizeof(err))) == NULL)
		fail_msg("tls_conf_new %s: %s", file, err);
	return tc;
}

static int
setup(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	char err[256], p[128];

	(void)state;
	snprintf(cdir, sizeof(cdir), "/tmp/test_conn.XXXXXX");
	assert_non_null(mkdtemp(cdir));
	assert_int_equal(pki_rng_init(&rng, err, sizeof(err)), 0);
	assert_int_equal(tls_rng_setup(err, sizeof(err)), 0);
	snprintf(p, sizeof(p), "%s/ca", cdir);
	make_ca(p, "conn test CA");
	issue(p, "gw", PKI_ROLE_GATEWAY, GW_NAME);
	issue(p, "agent", PKI_ROLE_AGENT, "agent-conn");
	srv = conf(1, "gw");
	cli = conf(0, "agent");
	loop = ev_default_loop(0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((lfd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 16), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &sl), 0);
	snprintf(laddr, sizeof(laddr), "127.0.0.1:%u", ntohs(sin.sin_port));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	conn_reap();
	close(lfd);
	tls_conf_free(srv);
	tls_conf_free(cli);
	pki_rng_free(&rng);
	nftw(cdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames_each_way),
		cmocka_unit_test(test_close_error_open),
		cmocka_unit_test(test_close_error_long_text),
		cmocka_unit_test(test_close_error_not_sent),
		cmocka_unit_test(test_bad_frame),
		cmocka_unit_test(test_close_connecting),
		cmocka_unit_test(test_close_handshake),
		cmocka_unit_test(test_close_in_on_open),
		cmocka_unit_test(test_close_by_timer),
		cmocka_unit_test(test_hs_budget),
		cmocka_unit_test(test_dial_name),
		cmocka_unit_test(test_close_resolving),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
