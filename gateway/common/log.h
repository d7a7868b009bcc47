/*
 * log.h: one line per event, key=value fields, to stderr or syslog.
 *   2026-11-25T10:00:00.123Z gatewayd[42] level=info event=agent_open agent=a1
 * Callers pass "event=... key=value ..." as the format; values that may
 * contain spaces are quoted by the caller with %s inside "...".  Every
 * value a peer supplied (texts of ERROR, CLOSE and GOAWAY, close details
 * that carry them, names from certificates and OPEN, enrollment fields)
 * goes through log_esc first.  Library-like modules (codec, config
 * validation) never log.
 */
#ifndef GW_LOG_H
#define GW_LOG_H

#include <stddef.h>

enum log_level { LOG_LVL_DEBUG, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERR };

/** log_init(prog, level): set the program name and minimum level. */
void log_init(const char *prog, enum log_level level);

/**
 * log_to_syslog(on): 1: every line goes to syslog(3) from now on
 * (facility daemon; the socket opens at once, before privileges are
 * dropped); 0: back to stderr.
 */
void log_to_syslog(int on);

/** log_level_parse(s, out): parse "debug|info|warn|error"; 0 or -1. */
int log_level_parse(const char *s, enum log_level *out);

#define LOG_ESC_MAX	256		/* a log_esc buffer: text of a line */
#define LOG_ESC_STR	((size_t)-1)	/* log_esc len: up to the NUL */
#define LOG_ESC_BARE	1		/* log_esc flags: outside quotes */

/**
 * log_esc(buf, cap, s, len, flags): the ${len} bytes at ${s} (up to its
 * NUL if ${len} is LOG_ESC_STR; NULL is "") made safe for a log line in
 * ${buf} (${cap} >= 8 bytes): '"' and '\' are escaped with '\'; control
 * bytes (CR, LF, ...), DEL and every byte above 0x7f (UTF-8 or not) are
 * written \xNN; with LOG_ESC_BARE, for a value outside quotes, ' ' and
 * '=' too.  What does not fit ends in "\..." (a '\' nothing else leaves
 * unescaped).  Return ${buf}, for a "%s".
 */
const char *log_esc(char *buf, size_t cap, const void *s, size_t len,
    int flags);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_warn: like log_warnx, appends err="strerror(errno)". */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* GW_LOG_H */
