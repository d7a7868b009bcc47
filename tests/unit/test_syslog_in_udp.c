/*
 * test_syslog_in_udp.c: the syslog input (syslog_in.h) over UDP on
 * 127.0.0.1, feeding the real sink (syslog_world.h, sink_fixture.h): a
 * datagram becomes one event, in order, with its fields (RFC 5424, RFC
 * 3164, neither: kept whole, base64 when not UTF-8); one over max_message
 * is cut and said so; senders off the allow list (loopback by default)
 * are refused and counted; a full sink drops datagrams (counted, the input
 * never waiting) and takes them again once room comes back; a listener
 * that cannot be bound fails the start.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <ev.h>

#include "conf_util.h"
#include "input.h"
#include "log.h"
#include "sink.h"
#include "sink_fixture.h"
#include "syslog_in.h"
#include "syslog_world.h"

/* A UDP socket bound to ${from} sending ${msg} to 127.0.0.1:${port}. */
static void
udp_send(const char *from, int port, const void *msg, size_t len)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct sockaddr_in dst = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	inet_pton(AF_INET, from, &src.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
	dst.sin_port = htons(port);
	assert_int_equal(bind(fd, (struct sockaddr *)&src, sizeof(src)), 0);
	assert_int_equal(sendto(fd, msg, len, 0, (struct sockaddr *)&dst,
	    sizeof(dst)), (ssize_t)len);
	close(fd);
}

static void
udp_str(const char *from, int port, const char *s)
{
	udp_send(from, port, s, strlen(s));
}

static void
test_udp(void **state)
{
	char a[64], big[1000];
	int port = free_port();
	void *in;

	(void)state;
	reset(100, NULL);
	snprintf(a, sizeof(a), "udp=127.0.0.1:%d", port);
	in = start(a, NULL);
	udp_str("127.0.0.1", port, "<34>1 2003-10-11T22:14:15.003Z "
	    "mymachine.example.com su - ID47 - 'su root' failed\n");
	udp_str("127.0.0.1", port, "<13>Dec  7 20:41:22 host app[7]: two");
	udp_str("127.0.0.1", port, "plain \xff bytes");
	spin_until(3, 2);
	assert_int_equal(F.n, 3);
	assert_true(F.commits >= 1);
	assert_non_null(strstr(F.ev[0], "{\"v\":1,\"kind\":\"syslog\","
	    "\"source\":\"syslog\",\"ts\":\""));
	assert_non_null(strstr(F.ev[0], "\"format\":\"rfc5424\","
	    "\"transport\":\"udp\",\"peer\":\"127.0.0.1:"));
	assert_non_null(strstr(F.ev[0], "\"facility\":4,\"facility_name\":"
	    "\"auth\",\"severity\":2,\"severity_name\":\"crit\","
	    "\"timestamp\":\"2003-10-11T22:14:15.003Z\",\"hostname\":"
	    "\"mymachine.example.com\",\"app_name\":\"su\",\"msgid\":\"ID47\","
	    "\"msg\":\"'su root' failed\"}"));
	assert_non_null(strstr(F.ev[1], "\"format\":\"rfc3164\""));
	assert_non_null(strstr(F.ev[1], "\"timestamp\":\"Dec  7 20:41:22\","
	    "\"hostname\":\"host\",\"app_name\":\"app\",\"procid\":\"7\","
	    "\"msg\":\"two\"}"));
	/* Neither format: kept whole, as base64 when not UTF-8. */
	assert_non_null(strstr(F.ev[2], "\"format\":\"unknown\""));
	assert_null(strstr(F.ev[2], "facility"));
	assert_non_null(strstr(F.ev[2],
	    "\"msg_b64\":\"cGxhaW4g/yBieXRlcw==\"}"));
	assert_int_equal(stats(in).received, 3);
	finish(in);
	/* A datagram over max_message: its first 480 bytes, said cut. */
	memset(big, 'x', sizeof(big));
	memcpy(big, "<13>", 4);
	reset(100, NULL);
	in = start(a, "max_message=480", "udp_buffer=1M", NULL);
	udp_send("127.0.0.1", port, big, sizeof(big));
	spin_until(1, 2);
	assert_int_equal(F.n, 1);
	assert_non_null(strstr(F.ev[0], "\"cut\":true"));
	assert_int_equal(strlen(strstr(F.ev[0], "\"msg\":\"")),
	    strlen("\"msg\":\"") + 476 + 2);
	assert_int_equal(stats(in).cut, 1);
	finish(in);
}

static void
test_udp_refused_and_full(void **state)
{
	char a[64];
	int port = free_port(), i;
	void *in;

	(void)state;
	reset(100, NULL);
	snprintf(a, sizeof(a), "udp=127.0.0.1:%d", port);
	in = start(a, "allow=127.0.0.1/32", NULL);
	udp_send("127.0.0.2", port, "<13>refused", 11);
	udp_send("127.0.0.1", port, "<13>taken", 9);
	spin_until(1, 2);
	spin_until(2, 0.2);
	assert_int_equal(F.n, 1);
	assert_non_null(strstr(F.ev[0], "\"msg\":\"taken\""));
	assert_int_equal(stats(in).refused, 1);
	finish(in);
	/* The default: loopback only. */
	reset(100, NULL);
	in = start(a, "allow=127.0.0.2", NULL);
	udp_send("127.0.0.1", port, "<13>refused", 11);
	udp_send("127.0.0.2", port, "<13>taken", 9);
	spin_until(1, 2);
	assert_int_equal(F.n, 1);
	assert_int_equal(stats(in).refused, 1);
	finish(in);
	/* No room: dropped, counted; room again: taken again. */
	reset(2, NULL);
	in = start(a, NULL);
	for (i = 0; i < 5; i++)
		udp_send("127.0.0.1", port, "<13>m", 5);
	spin_until(3, 0.5);
	assert_int_equal(F.n, 2);
	assert_int_equal(stats(in).dropped, 3);
	assert_false(sink_fix_waiting(&F));	/* UDP never waits */
	sink_fix_room(&F, 1);
	udp_send("127.0.0.1", port, "<13>after", 9);
	spin_until(3, 2);
	assert_int_equal(F.n, 3);
	assert_non_null(strstr(F.ev[2], "after"));
	finish(in);
}

static void
test_start_fails(void **state)
{
	char err[256] = "", why[256];
	void *conf;

	(void)state;
	conf = syslog_input_ops.conf_new("/");
	assert_false(syslog_input_ops.conf_any(conf));
	assert_int_equal(syslog_input_ops.conf_check(conf,
	    CONF_REPORT_TEXT(err, sizeof(err))),
	    0);
	assert_int_equal(syslog_input_ops.conf_set(conf, NULL, "udp",
	    "192.0.2.1:5514", why, sizeof(why)), CONF_SET_OK);
	assert_null(syslog_input_ops.start(loop, F.s, conf, err,
	    sizeof(err)));
	assert_non_null(strstr(err, "bind udp 192.0.2.1:5514"));
	syslog_input_ops.conf_free(conf);
	assert_string_equal(syslog_input_ops.section, "syslog");
	assert_int_equal(syslog_input_ops.named, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_udp_refused_and_full),
		cmocka_unit_test(test_start_fails),
	};

	syslog_world_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
