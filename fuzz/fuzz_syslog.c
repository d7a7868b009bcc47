/*
 * fuzz_syslog.c: the syslog input's parsers (syslog_parse.h), as the
 * listener runs them on what a sender wrote.  Byte 0 picks the framer's
 * buffer (1 to 256 bytes: every bound is reached), byte 1 the size of
 * the reads (1 to 256 bytes); the rest is the TCP stream, and also one
 * datagram.  Invariants: a parsed message's views lie inside it, in
 * order, within RFC 5424's bounds; an unknown message is all of its
 * bytes; facility and severity are known exactly when PRI was; the
 * framer takes at most what it is given, always makes progress, never
 * gives a message over its buffer, and gives the same messages whatever
 * the reads are (here: the fuzzer's size and one byte at a time); each
 * message it gives parses too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "syslog_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ${v} is absent or lies in [p, p + len) after *${last}. */
static void
check_view(const struct syslog_view *v, const uint8_t *p, size_t len,
    size_t max, size_t *last)
{
	size_t off;

	if (v->p == NULL) {
		FUZZ_CHECK(v->len == 0);
		return;
	}
	FUZZ_CHECK(v->p >= p && v->p <= p + len);
	off = (size_t)(v->p - p);
	FUZZ_CHECK(v->len <= len - off && off >= *last);
	FUZZ_CHECK(v->len <= max);
	*last = off + v->len;
}

static void
check_parse(const uint8_t *p, size_t len)
{
	struct syslog_msg m;
	size_t last = 0;
	enum syslog_format f = syslog_parse(p, len, &m);

	FUZZ_CHECK(f == m.format);
	FUZZ_CHECK(syslog_format_str(f) != NULL);
	if (f == SYSLOG_UNKNOWN) {
		FUZZ_CHECK(m.facility == -1 && m.severity == -1);
		FUZZ_CHECK(m.msg.p == p && m.msg.len == len);
		FUZZ_CHECK(m.timestamp.p == NULL && m.hostname.p == NULL &&
		    m.app_name.p == NULL && m.sd.p == NULL);
		return;
	}
	FUZZ_CHECK(syslog_facility_str(m.facility) != NULL);
	FUZZ_CHECK(syslog_severity_str(m.severity) != NULL);
	FUZZ_CHECK(len >= 3 && p[0] == '<');
	check_view(&m.timestamp, p, len, 64, &last);
	check_view(&m.hostname, p, len, SYSLOG_HOSTNAME_MAX, &last);
	check_view(&m.app_name, p, len, SYSLOG_APPNAME_MAX, &last);
	check_view(&m.procid, p, len, SYSLOG_PROCID_MAX, &last);
	check_view(&m.msgid, p, len, SYSLOG_MSGID_MAX, &last);
	check_view(&m.sd, p, len, len, &last);
	FUZZ_CHECK(m.msg.p != NULL);
	check_view(&m.msg, p, len, len, &last);
	FUZZ_CHECK(m.msg.p + m.msg.len == p + len);
	if (f == SYSLOG_RFC3164)
		FUZZ_CHECK(m.msgid.p == NULL && m.sd.p == NULL);
	if (m.sd.p != NULL)
		FUZZ_CHECK(m.sd.len >= 3 && m.sd.p[0] == '[' &&
		    m.sd.p[m.sd.len - 1] == ']');
}

/*
 * Frame ${len} bytes read ${step} at a time into a ${cap}-byte buffer;
 * append every message (its length, cut flag and bytes) to ${log}.
 * Return the bytes logged, the stream's end (-1: broken) in *${broken}.
 */
static size_t
frame_all(const uint8_t *p, size_t len, size_t cap, size_t step,
    uint8_t *log, size_t loglen, int *broken)
{
	uint8_t buf[256];
	struct syslog_framer f;
	struct syslog_frame fr;
	size_t off = 0, n, used, out = 0;
	int rc, more;

	syslog_frame_init(&f, buf, cap);
	*broken = 0;
	while (off < len) {
		n = len - off < step ? len - off : step;
		rc = syslog_frame_feed(&f, p + off, n, &used, &fr);
		FUZZ_CHECK(used <= n);
		off += used;
		if (rc == SYSLOG_FRAME_ERR) {
			FUZZ_CHECK(f.err != SYSLOG_FERR_NONE);
			FUZZ_CHECK(syslog_frame_feed(&f, p, len, &used, &fr) ==
			    SYSLOG_FRAME_ERR && used == 0);
			*broken = 1;
			return out;
		}
		if (rc == SYSLOG_FRAME_NEED) {
			FUZZ_CHECK(used == n);
			continue;
		}
		FUZZ_CHECK(rc == SYSLOG_FRAME_MSG);
		FUZZ_CHECK(fr.p == buf && fr.len <= cap);
		FUZZ_CHECK(!fr.cut || fr.len == cap);
		check_parse(fr.p, syslog_trim(fr.p, fr.len));
		FUZZ_CHECK(out + fr.len + 2 <= loglen);
		log[out++] = (uint8_t)fr.len;
		log[out++] = (uint8_t)(fr.cut | fr.counted << 1);
		memcpy(log + out, fr.p, fr.len);
		out += fr.len;
	}
	more = syslog_frame_flush(&f, &fr);
	if (more) {
		FUZZ_CHECK(fr.len > 0 && fr.len <= cap && !fr.counted);
		FUZZ_CHECK(out + fr.len + 2 <= loglen);
		log[out++] = (uint8_t)fr.len;
		log[out++] = 4;
		memcpy(log + out, fr.p, fr.len);
		out += fr.len;
	}
	FUZZ_CHECK(syslog_frame_flush(&f, &fr) == 0);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t a[3 * 65536], b[3 * 65536];
	size_t cap, step, na, nb;
	int ba, bb;

	if (size < 2 || size > 65536)
		return 0;
	cap = (size_t)data[0] + 1;
	step = (size_t)data[1] + 1;
	data += 2;
	size -= 2;
	check_parse(data, size);
	na = frame_all(data, size, cap, step, a, sizeof(a), &ba);
	nb = frame_all(data, size, cap, 1, b, sizeof(b), &bb);
	FUZZ_CHECK(ba == bb && na == nb && memcmp(a, b, na) == 0);
	return 0;
}
