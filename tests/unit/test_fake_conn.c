/*
 * test_fake_conn.c: the socket-free conn of tests/support/ keeps conn.c's
 * contract where owners rely on it: conn_close_error (ERROR best effort
 * if open and the code is a wire reason other than normal, its text cut
 * to CONN_ERROR_TEXT_MAX, then one close with the whole text), as
 * test_conn.c checks it of the real conn.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fake_conn.h"
#include "proto.h"

/* What the owner sent and how its conn closed. */
static struct {
	unsigned	nerror;
	unsigned	code;
	size_t		text_len;
	char		text[CONN_ERROR_TEXT_MAX + 1];
	unsigned	ncloses;
	unsigned	reason;
	char		detail[300];
} w;

static void
on_sent(struct conn *c, const struct gw_frame *f, int fits)
{
	(void)c;
	assert_true(fits);
	assert_int_equal(f->type, GW_T_ERROR);
	w.nerror++;
	w.code = f->u.reason.code;
	w.text_len = f->u.reason.text.len;
	assert_true(w.text_len <= CONN_ERROR_TEXT_MAX);
	memcpy(w.text, f->u.reason.text.p, w.text_len);
	w.text[w.text_len] = '\0';
}

static int
on_open(struct conn *c, void *arg)
{
	(void)c;
	(void)arg;
	return 0;
}

static int
on_frame(struct conn *c, const struct gw_frame *f, void *arg)
{
	(void)c;
	(void)f;
	(void)arg;
	return CONN_OK;
}

static void
on_close(struct conn *c, unsigned reason, const char *detail, void *arg)
{
	(void)c;
	(void)arg;
	w.ncloses++;
	w.reason = reason;
	snprintf(w.detail, sizeof(w.detail), "%s", detail);
}

static const struct conn_ops ops = {
	.on_open = on_open, .on_frame = on_frame, .on_close = on_close
};

static const struct fake_conn_env env = { .accepts = 1, .sent = on_sent };

/* A conn accepted; open after its handshake if ${open}. */
static struct conn *
accepted(int open)
{
	static const struct conn_params p = { .in_cap = 70000,
	    .out_cap = 70000, .max_payload = 65536 };
	struct conn *c;

	memset(&w, 0, sizeof(w));
	fake_conn_reset(&env);
	assert_non_null(c = conn_accept(NULL, -1, NULL, &p, &ops, NULL));
	if (open)
		fake_conn_open(c, NULL);
	return c;
}

/* Closed, and freed by the loop's reap. */
static void
closed_once(struct conn *c, unsigned reason, const char *detail)
{
	assert_int_equal(conn_state(c), CONN_CLOSED);
	conn_close_error(c, GW_R_PROTOCOL, "again");	/* a no-op now */
	assert_int_equal(w.ncloses, 1);
	assert_int_equal(w.reason, reason);
	assert_string_equal(w.detail, detail);
	conn_reap();
	assert_int_equal(fake_conn_live(), 0);
}

/* Open: ERROR(code, text), then the close with that reason. */
static void
t_error_then_close(void **state)
{
	struct conn *c = accepted(1);

	(void)state;
	conn_close_error(c, GW_R_POLICY, "name %s refused", "agent-x");
	assert_int_equal(w.nerror, 1);
	assert_int_equal(w.code, GW_R_POLICY);
	assert_string_equal(w.text, "name agent-x refused");
	closed_once(c, GW_R_POLICY, "name agent-x refused");
}

/* The ERROR's text is cut to CONN_ERROR_TEXT_MAX; the close's is not. */
static void
t_text_cut(void **state)
{
	char text[251];
	struct conn *c = accepted(1);

	(void)state;
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	conn_close_error(c, GW_R_PROTOCOL, "%s", text);
	assert_int_equal(w.nerror, 1);
	assert_int_equal(w.text_len, CONN_ERROR_TEXT_MAX);
	closed_once(c, GW_R_PROTOCOL, text);
}

/* No ERROR before the handshake, for GW_R_NORMAL or a local reason. */
static void
t_no_error(void **state)
{
	struct conn *c;

	(void)state;
	c = accepted(0);
	conn_close_error(c, GW_R_POLICY, "too early");
	assert_int_equal(w.nerror, 0);
	closed_once(c, GW_R_POLICY, "too early");
	c = accepted(1);
	conn_close_error(c, GW_R_NORMAL, "bye");
	assert_int_equal(w.nerror, 0);
	closed_once(c, GW_R_NORMAL, "bye");
	c = accepted(1);
	conn_close_error(c, GW_R_PEER_CLOSED, "local");
	assert_int_equal(w.nerror, 0);
	closed_once(c, GW_R_PEER_CLOSED, "local");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_error_then_close),
		cmocka_unit_test(t_text_cut),
		cmocka_unit_test(t_no_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
