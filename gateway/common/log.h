/*
 * log.h: one line per event, key=value fields, to stderr or syslog.
 *   2026-11-25T10:00:00.123Z gatewayd[42] level=info event=agent_open agent=a1
 * Callers pass "event=... key=value ..." as the format; values that may
 * contain spaces are quoted by the caller with %s inside "...".
 * Library-like modules (codec, config validation) never log.
 */
#ifndef GW_LOG_H
#define GW_LOG_H

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

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_warn: like log_warnx, appends err="strerror(errno)". */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* GW_LOG_H */
