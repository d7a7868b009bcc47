/*
 * log.c: one line per event on stderr (journald adds its own metadata):
 *   2026-11-25T10:00:00.123Z gatewayd[42] level=info event=... key=value
 * or to syslog(3), facility daemon, with the level as its priority too:
 *   level=info event=... key=value
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *log_prog = "gw";
static enum log_level log_min = LOG_LVL_INFO;

static int log_syslog;		/* log_to_syslog(1) */

static const char *const log_names[] = { "debug", "info", "warn", "error" };
static const int log_prios[] = { LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR };

/** log_init(prog, level): set the program name and minimum level. */
void
log_init(const char *prog, enum log_level level)
{
	log_prog = prog;
	log_min = level;
}

/** log_to_syslog(on): see log.h. */
void
log_to_syslog(int on)
{
	if (on && !log_syslog)
		openlog(log_prog, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!on && log_syslog)
		closelog();
	log_syslog = on;
}

/** log_level_parse(s, out): parse "debug|info|warn|error"; 0 or -1. */
int
log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++)
		if (strcmp(s, log_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	if (strcmp(s, "warning") == 0) {
		*out = LOG_LVL_WARN;
		return 0;
	}
	return -1;
}

/* The escape of byte ${c} into ${e}; its length. */
static size_t
log_esc1(unsigned char c, int flags, char e[4])
{
	static const char hex[] = "0123456789abcdef";

	if (c < 0x20 || c >= 0x7f || ((flags & LOG_ESC_BARE) &&
	    (c == ' ' || c == '='))) {
		e[0] = '\\';
		e[1] = 'x';
		e[2] = hex[c >> 4];
		e[3] = hex[c & 0xf];
		return 4;
	}
	if (c == '"' || c == '\\') {
		e[0] = '\\';
		e[1] = (char)c;
		return 2;
	}
	e[0] = (char)c;
	return 1;
}

/**
 * log_esc(buf, cap, s, len, flags): the ${len} bytes at ${s} (up to its
 * NUL if ${len} is LOG_ESC_STR; NULL is "") made safe for a log line in
 * ${buf} (${cap} >= 8 bytes): '"' and '\' are escaped with '\'; control
 * bytes (CR, LF, ...), DEL and every byte above 0x7f (UTF-8 or not) are
 * written \xNN; with LOG_ESC_BARE, for a value outside quotes, ' ' and
 * '=' too.  What does not fit ends in "\..." (a '\' nothing else leaves
 * unescaped).  Return ${buf}, for a "%s".
 */
const char *
log_esc(char *buf, size_t cap, const void *s, size_t len, int flags)
{
	const unsigned char *p = s;
	size_t o = 0, w, room = cap - 1, need = 0;
	char e[4];

	if (p == NULL)
		len = 0;
	else if (len == LOG_ESC_STR)
		len = strlen(s);
	for (size_t i = 0; i < len && need <= room; i++)
		need += log_esc1(p[i], flags, e);
	if (need > room)
		room -= 4;		/* for the cut mark */
	for (size_t i = 0; i < len; i++) {
		if (o + (w = log_esc1(p[i], flags, e)) > room) {
			memcpy(buf + o, "\\...", 4);
			o += 4;
			break;
		}
		memcpy(buf + o, e, w);
		o += w;
	}
	buf[o] = '\0';
	return buf;
}

static void
log_emit(enum log_level lvl, const char *errstr, const char *fmt, va_list ap)
{
	char line[2048], ts[32];
	struct timeval tv;
	struct tm tm;
	size_t n, start;
	int r;

	if (lvl < log_min)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(line, sizeof(line), "%s.%03ldZ %s[%ld] level=%s ", ts,
	    (long)(tv.tv_usec / 1000), log_prog, (long)getpid(),
	    log_names[lvl]);
	n = r < 0 ? 0 : (size_t)r;
	start = n - strlen("level= ") - strlen(log_names[lvl]);
	if (n < sizeof(line)) {
		r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		n += r < 0 ? 0 : (size_t)r;
	}
	if (errstr != NULL && n < sizeof(line)) {
		r = snprintf(line + n, sizeof(line) - n, " err=\"%s\"", errstr);
		n += r < 0 ? 0 : (size_t)r;
	}
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	/*
	 * Values from peers are escaped by their callers (log_esc); should
	 * one be missed, it still cannot start a line of its own.
	 */
	for (size_t i = start; i < n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	if (log_syslog) {
		line[n] = '\0';	/* syslog adds the time, name and pid */
		syslog(log_prios[lvl], "%s", line + start);
		return;
	}
	line[n++] = '\n';
	/* One write per line, so concurrent writers do not interleave. */
	(void)!write(STDERR_FILENO, line, n);
}

#define LOG_FN(fname, lvl)						\
void									\
fname(const char *fmt, ...)						\
{									\
	va_list ap;							\
	va_start(ap, fmt);						\
	log_emit(lvl, NULL, fmt, ap);					\
	va_end(ap);							\
}
LOG_FN(log_debug, LOG_LVL_DEBUG)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_warnx, LOG_LVL_WARN)
LOG_FN(log_errx, LOG_LVL_ERR)

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LVL_WARN, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}
