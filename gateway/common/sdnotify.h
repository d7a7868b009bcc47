/*
 * sdnotify.h: tell systemd (Type=notify) how the service is doing: the
 * sd_notify(3) datagram protocol, without libsystemd.  Outside systemd
 * (no NOTIFY_SOCKET in the environment) every call does nothing.
 */
#ifndef GW_SDNOTIFY_H
#define GW_SDNOTIFY_H

/**
 * sd_notifyf(fmt, ...): send one state message, "READY=1",
 * "RELOADING=1", "STOPPING=1", "STATUS=text" (newline-separated to send
 * several at once).  Return 1 if sent, 0 if not under systemd, -1 on
 * error (errno set).  Never logs.
 */
int sd_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * sd_notify_reloading(): "RELOADING=1" with the time (MONOTONIC_USEC) that
 * systemd 253 and later want with it; send "READY=1" when done.
 */
int sd_notify_reloading(void);

#endif /* GW_SDNOTIFY_H */
