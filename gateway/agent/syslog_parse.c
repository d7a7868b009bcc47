/*
 * syslog_parse.c: syslog messages (RFC 5424, RFC 3164) and RFC 6587's
 * TCP framing, without I/O (syslog_parse.h).
 */
#include <stddef.h>
#include <string.h>

#include "syslog_parse.h"

#define PRIVAL_MAX	191
#define LEN_DIGITS_MAX	10

/* A cursor over the message. */
struct cur {
	const uint8_t	*p;
	size_t		 len, off;
};

static int
at(const struct cur *c, size_t k)
{
	return c->off + k < c->len ? c->p[c->off + k] : -1;
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* PRINTUSASCII (RFC 5424): %d33-126. */
static int
is_print(int c)
{
	return c >= 33 && c <= 126;
}

/* ${n} digits at k: their value, or -1. */
static int
digits(const struct cur *c, size_t k, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!is_digit(at(c, k + i)))
			return -1;
		v = v * 10 + (at(c, k + i) - '0');
	}
	return v;
}

/* "<PRI>": 1 and the facility and severity, cursor past it; else 0. */
static int
parse_pri(struct cur *c, struct syslog_msg *m)
{
	int v = 0, n = 0;

	if (at(c, 0) != '<')
		return 0;
	while (n < 3 && is_digit(at(c, 1 + n))) {
		v = v * 10 + (at(c, 1 + n) - '0');
		n++;
	}
	if (n == 0 || at(c, 1 + n) != '>' || v > PRIVAL_MAX)
		return 0;
	m->facility = v / 8;
	m->severity = v % 8;
	c->off += 2 + n;
	return 1;
}

/* The length of an RFC 3339 timestamp (RFC 5424 6.2.3) at k, or 0. */
static size_t
ts3339_len(const struct cur *c, size_t k)
{
	size_t n = 19;
	int f = 0;

	if (digits(c, k, 4) < 0 || at(c, k + 4) != '-' ||
	    digits(c, k + 5, 2) < 1 || digits(c, k + 5, 2) > 12 ||
	    at(c, k + 7) != '-' || digits(c, k + 8, 2) < 1 ||
	    digits(c, k + 8, 2) > 31 || at(c, k + 10) != 'T' ||
	    digits(c, k + 11, 2) < 0 || digits(c, k + 11, 2) > 23 ||
	    at(c, k + 13) != ':' || digits(c, k + 14, 2) < 0 ||
	    digits(c, k + 14, 2) > 59 || at(c, k + 16) != ':' ||
	    digits(c, k + 17, 2) < 0 || digits(c, k + 17, 2) > 60)
		return 0;
	if (at(c, k + n) == '.') {
		while (f < 6 && is_digit(at(c, k + n + 1 + f)))
			f++;
		if (f == 0)
			return 0;
		n += 1 + f;
	}
	if (at(c, k + n) == 'Z')
		return n + 1;
	if ((at(c, k + n) != '+' && at(c, k + n) != '-') ||
	    digits(c, k + n + 1, 2) < 0 || digits(c, k + n + 1, 2) > 23 ||
	    at(c, k + n + 3) != ':' || digits(c, k + n + 4, 2) < 0 ||
	    digits(c, k + n + 4, 2) > 59)
		return 0;
	return n + 6;
}

/* RFC 3164's "Mmm dd hh:mm:ss" at k (day space-padded): 15, or 0. */
static size_t
ts3164_len(const struct cur *c, size_t k)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int i, d;

	if (c->len - c->off < k + 15)
		return 0;
	for (i = 0; i < 12; i++)
		if (memcmp(c->p + c->off + k, months + 3 * i, 3) == 0)
			break;
	if (i == 12 || at(c, k + 3) != ' ')
		return 0;
	d = at(c, k + 4) == ' ' ? digits(c, k + 5, 1) : digits(c, k + 4, 2);
	if (d < 1 || d > 31 || at(c, k + 6) != ' ' ||
	    digits(c, k + 7, 2) < 0 || digits(c, k + 7, 2) > 23 ||
	    at(c, k + 9) != ':' || digits(c, k + 10, 2) < 0 ||
	    digits(c, k + 10, 2) > 59 || at(c, k + 12) != ':' ||
	    digits(c, k + 13, 2) < 0 || digits(c, k + 13, 2) > 60)
		return 0;
	return 15;
}

/*
 * An RFC 5424 header field of 1..${max} PRINTUSASCII then SP into ${v}
 * ("-" is absent): 0 with the cursor past the SP, else -1.
 */
static int
field(struct cur *c, size_t max, struct syslog_view *v)
{
	size_t n = 0;

	while (is_print(at(c, n)))
		n++;
	if (n == 0 || n > max || at(c, n) != ' ')
		return -1;
	v->p = NULL;
	v->len = 0;
	if (n != 1 || at(c, 0) != '-') {
		v->p = c->p + c->off;
		v->len = n;
	}
	c->off += n + 1;
	return 0;
}

/* SD-NAME (RFC 5424 6.3.2): PRINTUSASCII but '=', SP, ']', '"'. */
static size_t
sd_name(const struct cur *c, size_t k)
{
	size_t n = 0;
	int b;

	while (n <= SYSLOG_SDNAME_MAX) {
		b = at(c, k + n);
		if (!is_print(b) || b == '=' || b == ']' || b == '"')
			break;
		n++;
	}
	return n >= 1 && n <= SYSLOG_SDNAME_MAX ? n : 0;
}

/*
 * One SD-ELEMENT at the cursor: its length, or 0.  In a PARAM-VALUE a
 * '\' escapes '"', '\' and ']'; an unescaped ']' is taken as text
 * (senders differ) but an unescaped '"' ends the value.
 */
static size_t
sd_element(const struct cur *c)
{
	size_t k = 1, n;

	if (at(c, 0) != '[' || (n = sd_name(c, k)) == 0)
		return 0;
	for (k += n; at(c, k) == ' '; ) {
		k++;
		if ((n = sd_name(c, k)) == 0)
			return 0;
		k += n;
		if (at(c, k) != '=' || at(c, k + 1) != '"')
			return 0;
		for (k += 2; at(c, k) != '"'; k++) {
			if (at(c, k) < 0)
				return 0;
			if (at(c, k) == '\\' && (at(c, k + 1) == '"' ||
			    at(c, k + 1) == '\\' || at(c, k + 1) == ']'))
				k++;
		}
		k++;
	}
	return at(c, k) == ']' ? k + 1 : 0;
}

/* The rest of an RFC 5424 message after VERSION SP: 0, or -1. */
static int
parse_5424_rest(struct cur *c, struct syslog_msg *m)
{
	size_t n, sd;

	if (at(c, 0) == '-' && at(c, 1) == ' ') {
		c->off += 2;
	} else if ((n = ts3339_len(c, 0)) > 0 && at(c, n) == ' ') {
		m->timestamp.p = c->p + c->off;
		m->timestamp.len = n;
		c->off += n + 1;
	} else
		return -1;
	if (field(c, SYSLOG_HOSTNAME_MAX, &m->hostname) < 0 ||
	    field(c, SYSLOG_APPNAME_MAX, &m->app_name) < 0 ||
	    field(c, SYSLOG_PROCID_MAX, &m->procid) < 0 ||
	    field(c, SYSLOG_MSGID_MAX, &m->msgid) < 0)
		return -1;
	if (at(c, 0) == '-') {
		c->off++;
	} else {
		sd = c->off;
		while (at(c, 0) == '[') {
			if ((n = sd_element(c)) == 0)
				return -1;
			c->off += n;
		}
		if (c->off == sd)
			return -1;
		m->sd.p = c->p + sd;
		m->sd.len = c->off - sd;
	}
	if (at(c, 0) >= 0 && at(c, 0) != ' ')
		return -1;
	if (at(c, 0) == ' ')
		c->off++;
	if (at(c, 0) == 0xEF && at(c, 1) == 0xBB && at(c, 2) == 0xBF)
		c->off += 3;
	return 0;
}

/*
 * RFC 3164's "TAG[pid]: " at the cursor (TAG: 1..48 printable bytes but
 * '[' and ':'; the pid 1..128 printable bytes but ']'): 1 with the
 * cursor past it, else 0 and nothing taken.
 */
static int
parse_tag(struct cur *c, struct syslog_msg *m)
{
	size_t n = 0, k;
	int b;

	while ((b = at(c, n)) > 0 && is_print(b) && b != '[' && b != ':')
		n++;
	if (n == 0 || n > SYSLOG_APPNAME_MAX)
		return 0;
	k = n;
	if (at(c, k) == '[') {
		while (is_print(b = at(c, k + 1)) && b != ']')
			k++;
		if (k == n || k - n > SYSLOG_PROCID_MAX || at(c, k + 1) != ']')
			return 0;
		m->procid.p = c->p + c->off + n + 1;
		m->procid.len = k - n;
		k += 2;
	}
	if (at(c, k) != ':') {
		m->procid.p = NULL;
		m->procid.len = 0;
		return 0;
	}
	m->app_name.p = c->p + c->off;
	m->app_name.len = n;
	c->off += k + 1;
	if (at(c, 0) == ' ')
		c->off++;
	return 1;
}

/* RFC 3164 after PRI: what it has of TIMESTAMP, HOSTNAME and TAG. */
static void
parse_3164_rest(struct cur *c, struct syslog_msg *m)
{
	size_t n, h = 0;
	struct cur t;

	if (((n = ts3164_len(c, 0)) > 0 || (n = ts3339_len(c, 0)) > 0) &&
	    at(c, n) == ' ') {
		m->timestamp.p = c->p + c->off;
		m->timestamp.len = n;
		c->off += n + 1;
		while (is_print(at(c, h)))
			h++;
		/* A word that is a TAG is no hostname (a local sender's). */
		t = *c;
		if (h > 0 && h <= SYSLOG_HOSTNAME_MAX &&
		    (at(c, h) == ' ' || at(c, h) < 0) && !parse_tag(&t, m)) {
			m->hostname.p = c->p + c->off;
			m->hostname.len = h;
			c->off += h + (at(c, h) == ' ');
		}
	}
	(void)parse_tag(c, m);
}

/**
 * syslog_trim(p, len): ${len} less the newlines, CRs and NULs that end
 * the ${len} bytes of ${p} (a sender's terminator, not the message's).
 */
size_t
syslog_trim(const uint8_t *p, size_t len)
{
	while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r' ||
	    p[len - 1] == '\0'))
		len--;
	return len;
}

/**
 * syslog_parse(p, len, m): the message of ${len} bytes at ${p} into
 * ${m}, whose views point into ${p}.  RFC 5424 if it is one (every
 * header field within its syntax and bounds, structured data
 * well-formed; a UTF-8 BOM starting MSG is left out), else RFC 3164
 * ("<PRI>", then, if present, "Mmm dd hh:mm:ss " or an RFC 3339
 * timestamp, a hostname and a "TAG[pid]: "), else unknown (${m}->msg is
 * all of ${p}).  Return ${m}->format.
 */
enum syslog_format
syslog_parse(const uint8_t *p, size_t len, struct syslog_msg *m)
{
	struct cur c = { p, len, 0 };
	size_t pri;

	memset(m, 0, sizeof(*m));
	m->facility = m->severity = -1;
	m->format = SYSLOG_UNKNOWN;
	m->msg.p = p;
	m->msg.len = len;
	if (!parse_pri(&c, m)) {
		m->facility = m->severity = -1;
		return m->format;
	}
	pri = c.off;
	if (at(&c, 0) == '1' && at(&c, 1) == ' ') {
		c.off += 2;
		if (parse_5424_rest(&c, m) == 0) {
			m->format = SYSLOG_RFC5424;
			goto done;
		}
		c.off = pri;
		memset(&m->timestamp, 0, sizeof(*m) -
		    offsetof(struct syslog_msg, timestamp));
	}
	parse_3164_rest(&c, m);
	m->format = SYSLOG_RFC3164;
done:
	m->msg.p = p + c.off;
	m->msg.len = len - c.off;
	return m->format;
}

/** syslog_format_str(f): "rfc5424", "rfc3164" or "unknown". */
const char *
syslog_format_str(enum syslog_format f)
{
	switch (f) {
	case SYSLOG_RFC5424: return "rfc5424";
	case SYSLOG_RFC3164: return "rfc3164";
	default: return "unknown";
	}
}

/** syslog_facility_str(n): "kern".."local7" for 0..23, else NULL. */
const char *
syslog_facility_str(int n)
{
	static const char *const names[] = {
		"kern", "user", "mail", "daemon", "auth", "syslog", "lpr",
		"news", "uucp", "cron", "authpriv", "ftp", "ntp", "audit",
		"alert", "clock", "local0", "local1", "local2", "local3",
		"local4", "local5", "local6", "local7"
	};

	return n >= 0 && n < 24 ? names[n] : NULL;
}

/** syslog_severity_str(n): "emerg".."debug" for 0..7, else NULL. */
const char *
syslog_severity_str(int n)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "err", "warning", "notice", "info",
		"debug"
	};

	return n >= 0 && n < 8 ? names[n] : NULL;
}

/* The only writer of f->state. */
static void
frame_set_state(struct syslog_framer *f, enum syslog_frame_state st)
{
	f->state = st;
}

/**
 * syslog_frame_init(f, buf, cap): a framer gathering messages of at most
 * ${cap} bytes (at least 1) into ${buf}.
 */
void
syslog_frame_init(struct syslog_framer *f, uint8_t *buf, size_t cap)
{
	memset(f, 0, sizeof(*f));
	frame_set_state(f, SYSLOG_FS_START);
	f->buf = buf;
	f->cap = cap;
}

/* The message gathered, into ${out}; the framer starts the next. */
static int
frame_out(struct syslog_framer *f, struct syslog_frame *out,
    enum syslog_frame_state next)
{
	out->p = f->buf;
	out->len = f->len;
	out->cut = f->cut;
	out->counted = f->counted;
	f->len = 0;
	f->cut = 0;
	frame_set_state(f, next);
	return SYSLOG_FRAME_MSG;
}

static int
frame_fail(struct syslog_framer *f, enum syslog_frame_err e)
{
	frame_set_state(f, SYSLOG_FS_BROKEN);
	f->err = e;
	return SYSLOG_FRAME_ERR;
}

/* MSG-LEN's next byte ${b}. */
static int
frame_len(struct syslog_framer *f, uint8_t b)
{
	if (b == ' ') {
		frame_set_state(f, SYSLOG_FS_COUNTED);
		return SYSLOG_FRAME_NEED;
	}
	if (!is_digit(b) || ++f->ndigits > LEN_DIGITS_MAX)
		return frame_fail(f, SYSLOG_FERR_LEN_SYNTAX);
	f->need = f->need * 10 + (size_t)(b - '0');
	if (f->need > f->cap)
		return frame_fail(f, SYSLOG_FERR_LEN_BIG);
	return SYSLOG_FRAME_NEED;
}

/**
 * syslog_frame_feed(f, p, len, used, out): take bytes of ${p} (${len})
 * until a message is whole.  *${used} says how many were taken.
 * SYSLOG_FRAME_MSG: the message is in ${out} (call again with the rest);
 * SYSLOG_FRAME_NEED: all were taken; SYSLOG_FRAME_ERR: an octet count
 * that is not a number or is over the buffer (f->err says which): the
 * stream cannot be resynchronised, and the framer stays broken.  A LF
 * message longer than the buffer comes cut to it (out->cut) as soon as it
 * overflows, and the rest of it, up to its LF, is skipped; an empty LF
 * message (a blank line) is skipped.
 */
int
syslog_frame_feed(struct syslog_framer *f, const uint8_t *p, size_t len,
    size_t *used, struct syslog_frame *out)
{
	size_t i = 0, n;
	uint8_t b;

	*used = 0;
	if (f->state == SYSLOG_FS_BROKEN)
		return SYSLOG_FRAME_ERR;
	while (i < len) {
		b = p[i];
		switch (f->state) {
		case SYSLOG_FS_START:
			f->counted = b >= '1' && b <= '9';
			f->need = 0;
			f->ndigits = 0;
			if (b == '\n') {
				i++;
				break;
			}
			frame_set_state(f, f->counted ? SYSLOG_FS_LEN :
			    SYSLOG_FS_LINE);
			break;
		case SYSLOG_FS_LEN:
			i++;
			if (frame_len(f, b) == SYSLOG_FRAME_ERR) {
				*used = i;
				return SYSLOG_FRAME_ERR;
			}
			if (f->state == SYSLOG_FS_COUNTED && f->need == 0) {
				*used = i;
				return frame_out(f, out, SYSLOG_FS_START);
			}
			break;
		case SYSLOG_FS_COUNTED:
			n = len - i < f->need ? len - i : f->need;
			memcpy(f->buf + f->len, p + i, n);
			f->len += n;
			f->need -= n;
			i += n;
			if (f->need == 0) {
				*used = i;
				return frame_out(f, out, SYSLOG_FS_START);
			}
			break;
		case SYSLOG_FS_LINE:
			i++;
			if (b == '\n') {
				*used = i;
				return frame_out(f, out, SYSLOG_FS_START);
			}
			if (f->len == f->cap) {
				f->cut = 1;
				*used = i;
				return frame_out(f, out, SYSLOG_FS_SKIP);
			}
			f->buf[f->len++] = b;
			break;
		case SYSLOG_FS_SKIP:
			i++;
			if (b == '\n')
				frame_set_state(f, SYSLOG_FS_START);
			break;
		case SYSLOG_FS_BROKEN:
			return SYSLOG_FRAME_ERR;
		}
	}
	*used = i;
	return SYSLOG_FRAME_NEED;
}

/**
 * syslog_frame_flush(f, out): at the end of the stream, a LF message
 * still without its LF, if any: 1 and ${out}, else 0.
 */
int
syslog_frame_flush(struct syslog_framer *f, struct syslog_frame *out)
{
	if (f->state != SYSLOG_FS_LINE || f->len == 0)
		return 0;
	(void)frame_out(f, out, SYSLOG_FS_START);
	return 1;
}

/** syslog_frame_err_str(e): "len-syntax", "len-too-big" or "none". */
const char *
syslog_frame_err_str(enum syslog_frame_err e)
{
	switch (e) {
	case SYSLOG_FERR_LEN_SYNTAX: return "len-syntax";
	case SYSLOG_FERR_LEN_BIG: return "len-too-big";
	default: return "none";
	}
}
