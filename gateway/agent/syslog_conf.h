/*
 * syslog_conf.h: the [syslog] section of gw-agent's configuration (the
 * listening addresses, the allow list of senders, the bounds), and the
 * allow list's test of a sender's address.  Pure: no I/O, never logs.
 */
#ifndef GW_SYSLOG_CONF_H
#define GW_SYSLOG_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf_report.h"

#define SYSLOG_ALLOW_MAX	32		/* allow list entries */
#define SYSLOG_MSG_MIN		480		/* RFC 3164's smallest */
#define SYSLOG_MSG_MAX		32768		/* its base64 fits an event */
#define SYSLOG_MSG_DEF		"8k"
#define SYSLOG_CONNS_MAX	4096
#define SYSLOG_CONNS_DEF	64
#define SYSLOG_IDLE_MAX		(7 * 86400.)
#define SYSLOG_IDLE_DEF		300.		/* s without a message */
#define SYSLOG_UDPBUF_MIN	4096
#define SYSLOG_UDPBUF_MAX	(256 * 1024 * 1024)

/* An address block: ${bits} first bits of ${addr} (IPv4: v4-mapped). */
struct syslog_net {
	uint8_t		addr[16];
	unsigned	bits;		/* of the 128 (IPv4 /n: 96 + n) */
};

struct syslog_conf {
	char			*udp;		/* "ADDR:PORT", or NULL */
	char			*tcp;
	struct syslog_net	 allow[SYSLOG_ALLOW_MAX];
	size_t			 nallow;
	size_t			 max_message;
	unsigned		 max_connections;
	double			 idle_timeout;	/* 0: none */
	size_t			 udp_buffer;	/* SO_RCVBUF; 0: the system's */
	int			 any;		/* a key was set */
};

/**
 * syslog_conf_init(c): the defaults: no listener, loopback only
 * (127.0.0.0/8 and ::1), max_message 8k, 64 connections, an idle
 * timeout of 5 minutes.
 */
void syslog_conf_init(struct syslog_conf *c);

/**
 * syslog_conf_set(c, key, value, why, whylen): one key of [syslog]:
 * CONF_SET_OK, CONF_SET_BAD (${why} says why) or CONF_SET_UNKNOWN.
 */
int syslog_conf_set(struct syslog_conf *c, const char *key,
    const char *value, char *why, size_t whylen);

/**
 * syslog_conf_check(c, rep): what no key shows (keys set, but neither udp
 * nor tcp): the number of errors, each reported to ${rep}.  No [syslog]
 * key at all is no error: the input is then not started.
 */
int syslog_conf_check(const struct syslog_conf *c,
    const struct conf_report *rep);

/** syslog_conf_copy(dst, src): ${src} into ${dst} (fresh); 0 or -1. */
int syslog_conf_copy(struct syslog_conf *dst, const struct syslog_conf *src);

/** syslog_conf_clear(c): free what ${c} holds (not ${c}). */
void syslog_conf_clear(struct syslog_conf *c);

/**
 * syslog_allow_parse(value, nets, max, n, why, whylen): a comma-separated
 * list of addresses and CIDR blocks ("127.0.0.1", "10.0.0.0/8", "::1",
 * "fd00::/8") into ${nets} (at most ${max}), their number in *${n}.
 * 0, or -1 with ${why}.
 */
int syslog_allow_parse(const char *value, struct syslog_net *nets,
    size_t max, size_t *n, char *why, size_t whylen);

/**
 * syslog_allowed(nets, n, sa): 1 if address ${sa} (IPv4, IPv6 or
 * v4-mapped IPv6) lies in one of the ${n} ${nets}, else 0.
 */
int syslog_allowed(const struct syslog_net *nets, size_t n,
    const struct sockaddr *sa);

#endif /* GW_SYSLOG_CONF_H */
