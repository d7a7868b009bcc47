/*
 * test_syslog_parse.c: syslog messages and framing (syslog_parse.h) and
 * the [syslog] configuration (syslog_conf.h): the examples of RFC 5424
 * (6.5) and RFC 3164 (5.4) with the fields each must give, messages
 * missing fields or just outside the syntax, every message read at the
 * end of a guard page, RFC 6587 streams split at every byte, the bounds
 * of the framer, and the allow list.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "conf_util.h"
#include "syslog_conf.h"
#include "syslog_parse.h"

/* A view as a C string ("(absent)" for none). */
static const char *
vs(const struct syslog_view *v)
{
	static char buf[8][512];
	static int k;
	char *b = buf[k++ % 8];

	if (v->p == NULL)
		return "(absent)";
	assert_true(v->len < 512);
	memcpy(b, v->p, v->len);
	b[v->len] = '\0';
	return b;
}

/* Parse ${s} placed at the very end of a page whose next is unmapped. */
static enum syslog_format
parse_guarded(const char *s, struct syslog_msg *m)
{
	static uint8_t *pages;
	static long psz;
	size_t len = strlen(s);
	uint8_t *p;

	if (pages == NULL) {
		psz = sysconf(_SC_PAGESIZE);
		pages = mmap(NULL, 3 * psz, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(pages != MAP_FAILED);
		assert_int_equal(mprotect(pages + 2 * psz, psz, PROT_NONE), 0);
	}
	assert_true(len <= (size_t)(2 * psz));
	p = pages + 2 * psz - len;
	memcpy(p, s, len);
	return syslog_parse(p, len, m);
}

/* The fields of ${s}, all compared ("(absent)" where there is none). */
static void
expect(const char *s, enum syslog_format f, int fac, int sev,
    const char *ts, const char *host, const char *app, const char *pid,
    const char *msgid, const char *sd, const char *msg)
{
	struct syslog_msg m;

	assert_int_equal(parse_guarded(s, &m), f);
	assert_int_equal(m.format, f);
	assert_int_equal(m.facility, fac);
	assert_int_equal(m.severity, sev);
	assert_string_equal(vs(&m.timestamp), ts);
	assert_string_equal(vs(&m.hostname), host);
	assert_string_equal(vs(&m.app_name), app);
	assert_string_equal(vs(&m.procid), pid);
	assert_string_equal(vs(&m.msgid), msgid);
	assert_string_equal(vs(&m.sd), sd);
	assert_string_equal(vs(&m.msg), msg);
}

#define NO	"(absent)"
#define BOM	"\xef\xbb\xbf"
#define SD1	"[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" " \
		"eventID=\"1011\"]"

static void
test_rfc5424_examples(void **state)
{
	(void)state;
	/* RFC 5424 6.5, examples 1 to 4. */
	expect("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - "
	    "ID47 - " BOM "'su root' failed for lonvick on /dev/pts/8",
	    SYSLOG_RFC5424, 4, 2, "2003-10-11T22:14:15.003Z",
	    "mymachine.example.com", "su", NO, "ID47", NO,
	    "'su root' failed for lonvick on /dev/pts/8");
	expect("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc "
	    "8710 - - %% It's time to make the do-nuts.", SYSLOG_RFC5424,
	    20, 5, "2003-08-24T05:14:15.000003-07:00", "192.0.2.1",
	    "myproc", "8710", NO, NO, "%% It's time to make the do-nuts.");
	expect("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com "
	    "evntslog - ID47 " SD1 " " BOM "An application event log entry...",
	    SYSLOG_RFC5424, 20, 5, "2003-10-11T22:14:15.003Z",
	    "mymachine.example.com", "evntslog", NO, "ID47", SD1,
	    "An application event log entry...");
	expect("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com "
	    "evntslog - ID47 " SD1 "[examplePriority@32473 class=\"high\"]",
	    SYSLOG_RFC5424, 20, 5, "2003-10-11T22:14:15.003Z",
	    "mymachine.example.com", "evntslog", NO, "ID47",
	    SD1 "[examplePriority@32473 class=\"high\"]", "");
}

static void
test_rfc5424_edges(void **state)
{
	(void)state;
	/* All NILVALUE, empty MSG after its SP, and without it. */
	expect("<0>1 - - - - - - ", SYSLOG_RFC5424, 0, 0, NO, NO, NO, NO, NO,
	    NO, "");
	expect("<191>1 - - - - - -", SYSLOG_RFC5424, 23, 7, NO, NO, NO, NO,
	    NO, NO, "");
	/* Escapes in a PARAM-VALUE: \" \\ \] and a lone ']' taken. */
	expect("<13>1 - h a p m [id a=\"x\\\"]y\\\\\" b=\"]\"] m",
	    SYSLOG_RFC5424, 1, 5, NO, "h", "a", "p", "m",
	    "[id a=\"x\\\"]y\\\\\" b=\"]\"]", "m");
	/* What rsyslog's RSYSLOG_SyslogProtocol23Format sends. */
	expect("<14>1 2026-12-07T20:41:22.123456+00:00 host logger 42 - "
	    "[timeQuality tzKnown=\"1\"] msg 7", SYSLOG_RFC5424, 1, 6,
	    "2026-12-07T20:41:22.123456+00:00", "host", "logger", "42", NO,
	    "[timeQuality tzKnown=\"1\"]", "msg 7");
	/* Just outside RFC 5424: taken as RFC 3164 from after PRI. */
	expect("<13>1 2003-13-11T22:14:15Z h a p m - x", SYSLOG_RFC3164, 1,
	    5, NO, NO, NO, NO, NO, NO, "1 2003-13-11T22:14:15Z h a p m - x");
	expect("<13>1 - h aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
	    "p m - x", SYSLOG_RFC3164, 1, 5, NO, NO, NO, NO, NO, NO,
	    "1 - h aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa p m - x");
	expect("<13>1 - h a p m [id a=\"x] m", SYSLOG_RFC3164, 1, 5, NO, NO,
	    NO, NO, NO, NO, "1 - h a p m [id a=\"x] m");
	expect("<13>1 - h a p m [] m", SYSLOG_RFC3164, 1, 5, NO, NO, NO, NO,
	    NO, NO, "1 - h a p m [] m");
	expect("<13>1 - h a p m -x", SYSLOG_RFC3164, 1, 5, NO, NO, NO, NO,
	    NO, NO, "1 - h a p m -x");
	expect("<13>1 - h a p", SYSLOG_RFC3164, 1, 5, NO, NO, NO, NO, NO, NO,
	    "1 - h a p");
	expect("<13>2 - - - - - - x", SYSLOG_RFC3164, 1, 5, NO, NO, NO, NO,
	    NO, NO, "2 - - - - - - x");
}

static void
test_rfc3164_examples(void **state)
{
	(void)state;
	/* RFC 3164 5.4. */
	expect("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for "
	    "lonvick on /dev/pts/8", SYSLOG_RFC3164, 4, 2, "Oct 11 22:14:15",
	    "mymachine", "su", NO, NO, NO,
	    "'su root' failed for lonvick on /dev/pts/8");
	expect("Use the BFG!", SYSLOG_UNKNOWN, -1, -1, NO, NO, NO, NO, NO, NO,
	    "Use the BFG!");
	expect("<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!", SYSLOG_RFC3164,
	    1, 5, "Feb  5 17:32:18", "10.0.0.99", NO, NO, NO, NO,
	    "Use the BFG!");
	expect("<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's "
	    "time", SYSLOG_RFC3164, 20, 5, "Aug 24 05:34:00", "CST", NO, NO,
	    NO, NO, "1987 mymachine myproc[10]: %% It's time");
	expect("<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org "
	    "10.1.2.3 sched[0]: That's too early for breakfast.",
	    SYSLOG_RFC3164, 0, 0, NO, NO, NO, NO, NO, NO,
	    "1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 "
	    "sched[0]: That's too early for breakfast.");
	expect("<0>Oct 22 10:52:12 scapegoat 1990 Oct 22 10:52:01 TZ-6 x",
	    SYSLOG_RFC3164, 0, 0, "Oct 22 10:52:12", "scapegoat", NO, NO, NO,
	    NO, "1990 Oct 22 10:52:01 TZ-6 x");
}

static void
test_rfc3164_missing(void **state)
{
	(void)state;
	/* rsyslog's traditional forwarding format. */
	expect("<13>Dec  7 20:41:22 host logger[42]: message 7",
	    SYSLOG_RFC3164, 1, 5, "Dec  7 20:41:22", "host", "logger", "42",
	    NO, NO, "message 7");
	/* A local sender's: no hostname. */
	expect("<13>Dec  7 20:41:22 su[99]: x", SYSLOG_RFC3164, 1, 5,
	    "Dec  7 20:41:22", NO, "su", "99", NO, NO, "x");
	expect("<13>Dec  7 20:41:22 cron: x", SYSLOG_RFC3164, 1, 5,
	    "Dec  7 20:41:22", NO, "cron", NO, NO, NO, "x");
	/* Nothing but PRI and text; a tag without a timestamp. */
	expect("<13>hello", SYSLOG_RFC3164, 1, 5, NO, NO, NO, NO, NO, NO,
	    "hello");
	expect("<13>", SYSLOG_RFC3164, 1, 5, NO, NO, NO, NO, NO, NO, "");
	expect("<13>app[1]:x", SYSLOG_RFC3164, 1, 5, NO, NO, "app", "1", NO,
	    NO, "x");
	/* A timestamp and a hostname, nothing more. */
	expect("<13>Feb  5 17:32:18 myhost", SYSLOG_RFC3164, 1, 5,
	    "Feb  5 17:32:18", "myhost", NO, NO, NO, NO, "");
	/* RSYSLOG_ForwardFormat: an RFC 3339 timestamp. */
	expect("<30>2026-12-07T20:41:22.5+01:00 h d[1]: m", SYSLOG_RFC3164,
	    3, 6, "2026-12-07T20:41:22.5+01:00", "h", "d", "1", NO, NO, "m");
	/* Not a timestamp: Feb 30 is taken, 25:00 and "Foo" are not. */
	expect("<13>Feb 30 17:32:18 h x", SYSLOG_RFC3164, 1, 5,
	    "Feb 30 17:32:18", "h", NO, NO, NO, NO, "x");
	expect("<13>Feb  5 25:32:18 h x", SYSLOG_RFC3164, 1, 5, NO, NO, NO,
	    NO, NO, NO, "Feb  5 25:32:18 h x");
	expect("<13>Foo  5 17:32:18 h x", SYSLOG_RFC3164, 1, 5, NO, NO, NO,
	    NO, NO, NO, "Foo  5 17:32:18 h x");
	/* A pid that does not close, an empty pid: no tag. */
	expect("<13>a[1 x", SYSLOG_RFC3164, 1, 5, NO, NO, NO, NO, NO, NO,
	    "a[1 x");
	expect("<13>a[]: x", SYSLOG_RFC3164, 1, 5, NO, NO, NO, NO, NO, NO,
	    "a[]: x");
}

static void
test_unknown(void **state)
{
	(void)state;
	expect("<192>Oct 11 22:14:15 h x", SYSLOG_UNKNOWN, -1, -1, NO, NO,
	    NO, NO, NO, NO, "<192>Oct 11 22:14:15 h x");
	expect("<>x", SYSLOG_UNKNOWN, -1, -1, NO, NO, NO, NO, NO, NO, "<>x");
	expect("<1234>x", SYSLOG_UNKNOWN, -1, -1, NO, NO, NO, NO, NO, NO,
	    "<1234>x");
	expect("<12", SYSLOG_UNKNOWN, -1, -1, NO, NO, NO, NO, NO, NO, "<12");
	expect("", SYSLOG_UNKNOWN, -1, -1, NO, NO, NO, NO, NO, NO, "");
	assert_string_equal(syslog_format_str(SYSLOG_UNKNOWN), "unknown");
	assert_string_equal(syslog_facility_str(23), "local7");
	assert_string_equal(syslog_severity_str(4), "warning");
	assert_null(syslog_facility_str(24));
	assert_null(syslog_severity_str(-1));
}

static void
test_trim(void **state)
{
	(void)state;
	assert_int_equal(syslog_trim((const uint8_t *)"ab\r\n\0\n", 6), 2);
	assert_int_equal(syslog_trim((const uint8_t *)"\n\n", 2), 0);
	assert_int_equal(syslog_trim((const uint8_t *)"a\nb", 3), 3);
}

/* Feed ${len} bytes in pieces of ${step} (0: one split at ${split}),
 * appending each message as "[text]" (cut: "[text]~") to ${out}. */
static int
run_stream(const char *s, size_t len, size_t cap, size_t split, size_t step,
    char *out, size_t outlen)
{
	uint8_t buf[256];
	struct syslog_framer f;
	struct syslog_frame fr;
	size_t off = 0, end, used;
	int rc = 0;

	assert_true(cap <= sizeof(buf));
	syslog_frame_init(&f, buf, cap);
	out[0] = '\0';
	while (off < len) {
		end = step ? (off + step < len ? off + step : len) :
		    (off < split ? split : len);
		while (off < end) {
			rc = syslog_frame_feed(&f, (const uint8_t *)s + off,
			    end - off, &used, &fr);
			assert_true(used <= end - off);
			off += used;
			if (rc == SYSLOG_FRAME_ERR)
				return rc;
			if (rc == SYSLOG_FRAME_MSG)
				snprintf(out + strlen(out), outlen -
				    strlen(out), "[%.*s]%s%s", (int)fr.len,
				    fr.p, fr.cut ? "~" : "",
				    fr.counted ? "#" : "");
			else
				assert_int_equal(off, end);
		}
	}
	if (syslog_frame_flush(&f, &fr))
		snprintf(out + strlen(out), outlen - strlen(out), "[%.*s]!",
		    (int)fr.len, fr.p);
	return rc;
}

static void
test_frame_every_split(void **state)
{
	/* Octet counted, LF, a blank line, CRLF, counted with a LF inside,
	 * an over-long LF message (cap 16), one at the cap, no final LF. */
	static const char s[] = "9 <13>hello10 <13>a\nb\nc\n"
	    "<14>line one\n\n<14>crlf\r\n"
	    "<13>0123456789abcdefXYZ\n0123456789abcdef\nlast";
	static const char want[] = "[<13>hello]#[<13>a\nb\nc\n]#"
	    "[<14>line one][<14>crlf\r][<13>0123456789ab]~"
	    "[0123456789abcdef][last]!";
	char out[512];
	size_t i;

	(void)state;
	for (i = 0; i <= sizeof(s) - 1; i++) {
		assert_int_not_equal(run_stream(s, sizeof(s) - 1, 16, i, 0,
		    out, sizeof(out)), SYSLOG_FRAME_ERR);
		assert_string_equal(out, want);
	}
	for (i = 1; i <= 7; i++) {
		run_stream(s, sizeof(s) - 1, 16, 0, i, out, sizeof(out));
		assert_string_equal(out, want);
	}
}

static void
test_frame_bounds(void **state)
{
	uint8_t buf[16];
	struct syslog_framer f;
	struct syslog_frame fr;
	char out[256];
	size_t used;

	(void)state;
	/* A count at the cap is taken; one over breaks the stream at the
	 * digit that passes it, wherever the stream was split. */
	assert_int_not_equal(run_stream("16 0123456789abcdef", 19, 16, 1, 0,
	    out, sizeof(out)), SYSLOG_FRAME_ERR);
	assert_string_equal(out, "[0123456789abcdef]#");
	syslog_frame_init(&f, buf, 16);
	assert_int_equal(syslog_frame_feed(&f, (const uint8_t *)"17 x", 4,
	    &used, &fr), SYSLOG_FRAME_ERR);
	assert_int_equal(used, 2);
	assert_int_equal(f.err, SYSLOG_FERR_LEN_BIG);
	assert_string_equal(syslog_frame_err_str(f.err), "len-too-big");
	/* Broken stays broken. */
	assert_int_equal(syslog_frame_feed(&f, (const uint8_t *)"<1>x\n", 5,
	    &used, &fr), SYSLOG_FRAME_ERR);
	assert_int_equal(used, 0);
	/* A length that is not digits then SP; far too many digits. */
	syslog_frame_init(&f, buf, 16);
	assert_int_equal(syslog_frame_feed(&f, (const uint8_t *)"1a <", 4,
	    &used, &fr), SYSLOG_FRAME_ERR);
	assert_int_equal(f.err, SYSLOG_FERR_LEN_SYNTAX);
	syslog_frame_init(&f, buf, 16);
	assert_int_equal(syslog_frame_feed(&f, (const uint8_t *)"1\n", 2,
	    &used, &fr), SYSLOG_FRAME_ERR);
	/* A stream that ends inside a counted message gives nothing. */
	syslog_frame_init(&f, buf, 16);
	assert_int_equal(syslog_frame_feed(&f, (const uint8_t *)"5 ab", 4,
	    &used, &fr), SYSLOG_FRAME_NEED);
	assert_int_equal(syslog_frame_flush(&f, &fr), 0);
	/* A LF message that overflows comes out at once, cut; its rest is
	 * skipped, never taken for the next message. */
	syslog_frame_init(&f, buf, 4);
	assert_int_equal(syslog_frame_feed(&f, (const uint8_t *)"abcdefgh", 8,
	    &used, &fr), SYSLOG_FRAME_MSG);
	assert_int_equal(used, 5);
	assert_int_equal(fr.len, 4);
	assert_true(fr.cut);
	assert_int_equal(syslog_frame_feed(&f, (const uint8_t *)"fgh\nxy\n",
	    7, &used, &fr), SYSLOG_FRAME_MSG);
	assert_int_equal(used, 7);
	assert_int_equal(fr.len, 2);
	assert_false(fr.cut);
	assert_memory_equal(fr.p, "xy", 2);
	/* A message starting with '0' is a LF one (MSG-LEN has no 0). */
	run_stream("0 x\n", 4, 16, 0, 1, out, sizeof(out));
	assert_string_equal(out, "[0 x]");
}

static void
test_allow(void **state)
{
	struct syslog_net nets[4];
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	char why[256];
	size_t n;

	(void)state;
	assert_int_equal(syslog_allow_parse("127.0.0.1/32, 10.1.0.0/16,"
	    "fd00::/8", nets, 4, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 3);
	inet_pton(AF_INET, "127.0.0.1", &s4.sin_addr);
	assert_true(syslog_allowed(nets, n, (struct sockaddr *)&s4));
	inet_pton(AF_INET, "127.0.0.2", &s4.sin_addr);
	assert_false(syslog_allowed(nets, n, (struct sockaddr *)&s4));
	inet_pton(AF_INET, "10.1.255.3", &s4.sin_addr);
	assert_true(syslog_allowed(nets, n, (struct sockaddr *)&s4));
	inet_pton(AF_INET, "10.2.0.3", &s4.sin_addr);
	assert_false(syslog_allowed(nets, n, (struct sockaddr *)&s4));
	inet_pton(AF_INET6, "fd12::1", &s6.sin6_addr);
	assert_true(syslog_allowed(nets, n, (struct sockaddr *)&s6));
	inet_pton(AF_INET6, "fe80::1", &s6.sin6_addr);
	assert_false(syslog_allowed(nets, n, (struct sockaddr *)&s6));
	/* An IPv4 sender on a dual-stack socket: v4-mapped. */
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &s6.sin6_addr);
	assert_true(syslog_allowed(nets, n, (struct sockaddr *)&s6));
	inet_pton(AF_INET6, "::ffff:127.0.0.2", &s6.sin6_addr);
	assert_false(syslog_allowed(nets, n, (struct sockaddr *)&s6));
	/* 0.0.0.0/0 is every IPv4 sender, and no IPv6 one. */
	assert_int_equal(syslog_allow_parse("0.0.0.0/0", nets, 4, &n, why,
	    sizeof(why)), 0);
	inet_pton(AF_INET, "192.0.2.1", &s4.sin_addr);
	assert_true(syslog_allowed(nets, n, (struct sockaddr *)&s4));
	inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
	assert_false(syslog_allowed(nets, n, (struct sockaddr *)&s6));
	/* Refused: names, bad prefixes, empty entries, too many. */
	assert_int_equal(syslog_allow_parse("localhost", nets, 4, &n, why,
	    sizeof(why)), -1);
	assert_non_null(strstr(why, "'localhost' is not an address"));
	assert_int_equal(syslog_allow_parse("10.0.0.0/33", nets, 4, &n, why,
	    sizeof(why)), -1);
	assert_int_equal(syslog_allow_parse("::/129", nets, 4, &n, why,
	    sizeof(why)), -1);
	assert_int_equal(syslog_allow_parse("1.2.3.4,", nets, 4, &n, why,
	    sizeof(why)), -1);
	assert_int_equal(syslog_allow_parse("1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4,"
	    "5.5.5.5", nets, 4, &n, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "more than 4"));
}

static void
test_conf(void **state)
{
	struct syslog_conf c;
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	char why[256], err[512] = "";

	(void)state;
	syslog_conf_init(&c);
	/* The default allow list: loopback only. */
	inet_pton(AF_INET6, "::1", &s6.sin6_addr);
	assert_true(syslog_allowed(c.allow, c.nallow, (struct sockaddr *)&s6));
	assert_int_equal(c.max_message, 8192);
	/* No key: no error (not started); a key but no listener: one. */
	assert_int_equal(syslog_conf_check(&c,
	    CONF_REPORT_TEXT(err, sizeof(err))), 0);
	assert_int_equal(syslog_conf_set(&c, "max_connections", "8", why,
	    sizeof(why)), CONF_SET_OK);
	assert_int_equal(syslog_conf_check(&c,
	    CONF_REPORT_TEXT(err, sizeof(err))), 1);
	assert_non_null(strstr(err, "[syslog] udp, tcp"));
	assert_int_equal(syslog_conf_set(&c, "udp", "127.0.0.1:5514", why,
	    sizeof(why)), CONF_SET_OK);
	assert_int_equal(syslog_conf_set(&c, "tcp", "localhost:5514", why,
	    sizeof(why)), CONF_SET_BAD);
	assert_int_equal(syslog_conf_set(&c, "max_message", "100", why,
	    sizeof(why)), CONF_SET_BAD);
	assert_int_equal(syslog_conf_set(&c, "max_message", "64k", why,
	    sizeof(why)), CONF_SET_BAD);
	assert_int_equal(syslog_conf_set(&c, "max_message", "16k", why,
	    sizeof(why)), CONF_SET_OK);
	assert_int_equal(c.max_message, 16384);
	assert_int_equal(syslog_conf_set(&c, "max_connections", "0", why,
	    sizeof(why)), CONF_SET_BAD);
	assert_int_equal(syslog_conf_set(&c, "idle_timeout", "5m", why,
	    sizeof(why)), CONF_SET_OK);
	assert_true(c.idle_timeout == 300.);
	assert_int_equal(syslog_conf_set(&c, "udp_buffer", "1k", why,
	    sizeof(why)), CONF_SET_BAD);
	assert_int_equal(syslog_conf_set(&c, "udp_buffer", "4M", why,
	    sizeof(why)), CONF_SET_OK);
	assert_int_equal(c.udp_buffer, 4 << 20);
	assert_int_equal(syslog_conf_set(&c, "port", "514", why,
	    sizeof(why)), CONF_SET_UNKNOWN);
	err[0] = '\0';
	assert_int_equal(syslog_conf_check(&c,
	    CONF_REPORT_TEXT(err, sizeof(err))), 0);
	syslog_conf_clear(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc5424_examples),
		cmocka_unit_test(test_rfc5424_edges),
		cmocka_unit_test(test_rfc3164_examples),
		cmocka_unit_test(test_rfc3164_missing),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_frame_every_split),
		cmocka_unit_test(test_frame_bounds),
		cmocka_unit_test(test_allow),
		cmocka_unit_test(test_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
