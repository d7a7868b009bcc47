/*
 * syslog_conf.c: the [syslog] section and its allow list (syslog_conf.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_util.h"
#include "syslog_conf.h"

static const uint8_t v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/**
 * syslog_conf_init(c): the defaults: no listener, loopback only
 * (127.0.0.0/8 and ::1), max_message 8k, 64 connections, an idle
 * timeout of 5 minutes.
 */
void
syslog_conf_init(struct syslog_conf *c)
{
	char why[8];

	memset(c, 0, sizeof(*c));
	(void)syslog_allow_parse("127.0.0.0/8, ::1", c->allow,
	    SYSLOG_ALLOW_MAX, &c->nallow, why, sizeof(why));
	c->max_message = 8192;
	c->max_connections = SYSLOG_CONNS_DEF;
	c->idle_timeout = SYSLOG_IDLE_DEF;
}

/* One "ADDR[/BITS]" of ${len} bytes at ${s} into ${net}: 0 or -1. */
static int
allow_one(const char *s, size_t len, struct syslog_net *net)
{
	char buf[64], *slash;
	uint64_t bits;
	char why[8];
	int v6;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	memset(net, 0, sizeof(*net));
	v6 = strchr(buf, ':') != NULL;
	if (v6 ? inet_pton(AF_INET6, buf, net->addr) != 1 :
	    inet_pton(AF_INET, buf, net->addr + 12) != 1)
		return -1;
	if (!v6)
		memcpy(net->addr, v4mapped, sizeof(v4mapped));
	net->bits = 128;
	if (slash != NULL) {
		if (conf_uint(slash, 0, v6 ? 128 : 32, &bits, why,
		    sizeof(why)) != 0)
			return -1;
		net->bits = (unsigned)bits + (v6 ? 0 : 96);
	}
	return 0;
}

/**
 * syslog_allow_parse(value, nets, max, n, why, whylen): a comma-separated
 * list of addresses and CIDR blocks ("127.0.0.1", "10.0.0.0/8", "::1",
 * "fd00::/8") into ${nets} (at most ${max}), their number in *${n}.
 * 0, or -1 with ${why}.
 */
int
syslog_allow_parse(const char *value, struct syslog_net *nets, size_t max,
    size_t *n, char *why, size_t whylen)
{
	const char *s = value, *e;
	size_t k = 0, len;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strcspn(s, ",");
		len = (size_t)(e - s);
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (k == max) {
			snprintf(why, whylen, "more than %zu entries", max);
			return -1;
		}
		if (allow_one(s, len, &nets[k]) != 0) {
			snprintf(why, whylen, "'%.*s' is not an address or "
			    "ADDRESS/BITS (e.g. 127.0.0.1, 10.0.0.0/8, ::1)",
			    (int)(len > 64 ? 64 : len), s);
			return -1;
		}
		k++;
		if (*e == '\0')
			break;
		s = e + 1;
	}
	*n = k;
	return 0;
}

/* The first ${bits} bits of ${a} and ${b} are equal. */
static int
prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	uint8_t mask;

	if (memcmp(a, b, whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

/**
 * syslog_allowed(nets, n, sa): 1 if address ${sa} (IPv4, IPv6 or
 * v4-mapped IPv6) lies in one of the ${n} ${nets}, else 0.
 */
int
syslog_allowed(const struct syslog_net *nets, size_t n,
    const struct sockaddr *sa)
{
	uint8_t a[16];
	size_t i;

	if (sa->sa_family == AF_INET) {
		memcpy(a, v4mapped, sizeof(v4mapped));
		memcpy(a + 12,
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		    4);
	} else if (sa->sa_family == AF_INET6) {
		memcpy(a,
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		    16);
	} else
		return 0;
	for (i = 0; i < n; i++)
		if (prefix_eq(a, nets[i].addr, nets[i].bits))
			return 1;
	return 0;
}

/* A new copy of ${value} in *${slot}: CONF_SET_OK, or CONF_SET_BAD. */
static int
set_str(char **slot, const char *value, char *why, size_t whylen)
{
	char *s;

	if ((s = strdup(value)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return CONF_SET_BAD;
	}
	free(*slot);
	*slot = s;
	return CONF_SET_OK;
}

/* syslog_conf_set() but for noting that a key was set. */
static int
conf_set_key(struct syslog_conf *c, const char *key, const char *value,
    char *why, size_t whylen)
{
	uint64_t v;
	double d;

	if (strcmp(key, "udp") == 0 || strcmp(key, "tcp") == 0) {
		if (conf_addr(value, why, whylen) != 0)
			return CONF_SET_BAD;
		return set_str(key[0] == 'u' ? &c->udp : &c->tcp, value, why,
		    whylen);
	}
	if (strcmp(key, "allow") == 0)
		return syslog_allow_parse(value, c->allow, SYSLOG_ALLOW_MAX,
		    &c->nallow, why, whylen) == 0 ? CONF_SET_OK : CONF_SET_BAD;
	if (strcmp(key, "max_message") == 0) {
		if (conf_size(value, SYSLOG_MSG_MIN, SYSLOG_MSG_MAX, &v, why,
		    whylen) != 0)
			return CONF_SET_BAD;
		c->max_message = (size_t)v;
		return CONF_SET_OK;
	}
	if (strcmp(key, "max_connections") == 0) {
		if (conf_uint(value, 1, SYSLOG_CONNS_MAX, &v, why, whylen) != 0)
			return CONF_SET_BAD;
		c->max_connections = (unsigned)v;
		return CONF_SET_OK;
	}
	if (strcmp(key, "udp_buffer") == 0) {
		if (conf_size(value, SYSLOG_UDPBUF_MIN, SYSLOG_UDPBUF_MAX, &v,
		    why, whylen) != 0)
			return CONF_SET_BAD;
		c->udp_buffer = (size_t)v;
		return CONF_SET_OK;
	}
	if (strcmp(key, "idle_timeout") == 0) {
		if (conf_duration(value, 0, SYSLOG_IDLE_MAX, &d, why,
		    whylen) != 0)
			return CONF_SET_BAD;
		c->idle_timeout = d;
		return CONF_SET_OK;
	}
	return CONF_SET_UNKNOWN;
}

/**
 * syslog_conf_set(c, key, value, why, whylen): one key of [syslog]:
 * CONF_SET_OK, CONF_SET_BAD (${why} says why) or CONF_SET_UNKNOWN.
 */
int
syslog_conf_set(struct syslog_conf *c, const char *key, const char *value,
    char *why, size_t whylen)
{
	c->any = 1;
	return conf_set_key(c, key, value, why, whylen);
}

/**
 * syslog_conf_check(c, rep): what no key shows (keys set, but neither udp
 * nor tcp): the number of errors, each reported to ${rep}.  No [syslog]
 * key at all is no error: the input is then not started.
 */
int
syslog_conf_check(const struct syslog_conf *c, const struct conf_report *rep)
{
	if (c->any && c->udp == NULL && c->tcp == NULL)
		return conf_reportf(rep, "syslog", NULL, "udp, tcp", "at least "
		    "one of them is required");
	return 0;
}

/** syslog_conf_copy(dst, src): ${src} into ${dst} (fresh); 0 or -1. */
int
syslog_conf_copy(struct syslog_conf *dst, const struct syslog_conf *src)
{
	*dst = *src;
	dst->udp = dst->tcp = NULL;
	if ((src->udp != NULL && (dst->udp = strdup(src->udp)) == NULL) ||
	    (src->tcp != NULL && (dst->tcp = strdup(src->tcp)) == NULL)) {
		syslog_conf_clear(dst);
		return -1;
	}
	return 0;
}

/** syslog_conf_clear(c): free what ${c} holds (not ${c}). */
void
syslog_conf_clear(struct syslog_conf *c)
{
	free(c->udp);
	free(c->tcp);
	c->udp = c->tcp = NULL;
}
