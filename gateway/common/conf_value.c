/*
 * conf_value.c: the typed value parsers of the configuration loaders (an
 * integer, a size, a duration, hex bytes, a boolean, an address, a path, a
 * list of addresses), each checking its range and saying why it refuses.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "conf_util.h"
#include "net.h"

/** conf_uint(s, min, max, out, why, whylen): decimal integer in range. */
int
conf_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out,
    char *why, size_t whylen)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*s < '0' || *s > '9' || (v = strtoull(s, &end, 10), errno) ||
	    *end != '\0') {
		snprintf(why, whylen, "'%s' is not a whole number", s);
		return -1;
	}
	if (v < min || v > max) {
		snprintf(why, whylen, "%llu is out of range %llu..%llu", v,
		    (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

/** conf_size(s, min, max, out, why, whylen): bytes, "64k"/"16M" suffixes. */
int
conf_size(const char *s, uint64_t min, uint64_t max, uint64_t *out,
    char *why, size_t whylen)
{
	char num[32];
	size_t n = strlen(s);
	uint64_t mul = 1, v;

	if (n > 0 && n < sizeof(num)) {
		switch (s[n - 1]) {
		case 'k': case 'K': mul = 1024; n--; break;
		case 'm': case 'M': mul = 1024 * 1024; n--; break;
		case 'g': case 'G': mul = 1024 * 1024 * 1024; n--; break;
		}
	}
	if (n == 0 || n >= sizeof(num)) {
		snprintf(why, whylen, "'%s' is not a size (e.g. 16384, 64k, 1M)", s);
		return -1;
	}
	memcpy(num, s, n);
	num[n] = '\0';
	if (conf_uint(num, 0, UINT64_MAX / mul, &v, why, whylen) != 0) {
		snprintf(why, whylen, "'%s' is not a size (e.g. 16384, 64k, 1M)", s);
		return -1;
	}
	v *= mul;
	if (v < min || v > max) {
		snprintf(why, whylen, "%s is out of range %llu..%llu bytes", s,
		    (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

/**
 * conf_duration(s, min, max, out, why, whylen): seconds as a double from
 * "250ms", "10s", "5m", "1h" or a bare number of seconds.
 */
int
conf_duration(const char *s, double min, double max, double *out,
    char *why, size_t whylen)
{
	char *end;
	double v, mul = 1;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || !isfinite(v) || v < 0 || *s == '-' ||
	    *s == '+' || *s == ' ')
		goto bad;
	if (strcmp(end, "ms") == 0)
		mul = 0.001;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		mul = 1;
	else if (strcmp(end, "m") == 0)
		mul = 60;
	else if (strcmp(end, "h") == 0)
		mul = 3600;
	else if (strcmp(end, "d") == 0)
		mul = 86400;
	else
		goto bad;
	v *= mul;
	if (v < min || v > max) {
		snprintf(why, whylen, "%s is out of range %gs..%gs", s, min, max);
		return -1;
	}
	*out = v;
	return 0;
bad:
	snprintf(why, whylen, "'%s' is not a duration (e.g. 250ms, 10s, 5m, 7d)", s);
	return -1;
}

/** conf_hex(s, out, cap): hex bytes of ${s}, colons ignored; or -1. */
int
conf_hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s != '\0'; s++) {
		int v;

		if (*s == ':')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			v = (*s | 0x20) - 'a' + 10;
		else
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? (int)n : -1;
}

/** conf_bool(s, out, why, whylen): yes/no, true/false, on/off, 1/0. */
int
conf_bool(const char *s, int *out, char *why, size_t whylen)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	snprintf(why, whylen, "'%s' is not yes or no", s);
	return -1;
}

/**
 * conf_addr(s, why, whylen): check that ${s} is "IPv4:port" or
 * "[IPv6]:port" with a numeric address and a port in 1..65535.
 */
int
conf_addr(const char *s, char *why, size_t whylen)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	unsigned char buf[16];
	uint64_t port;
	size_t hl;
	int ok;

	if (colon == NULL || (hl = (size_t)(colon - s)) == 0 ||
	    hl >= sizeof(host))
		goto bad;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (host[0] == '[') {
		if (hl < 3 || host[hl - 1] != ']')
			goto bad;
		host[hl - 1] = '\0';
		ok = inet_pton(AF_INET6, host + 1, buf) == 1;
	} else
		ok = inet_pton(AF_INET, host, buf) == 1;
	if (!ok || conf_uint(colon + 1, 1, 65535, &port, why, whylen) != 0)
		goto bad;
	return 0;
bad:
	snprintf(why, whylen, "'%s' is not ADDRESS:PORT (e.g. 127.0.0.1:7443, "
	    "[::1]:7443)", s);
	return -1;
}

/**
 * conf_path(dir, value): ${value} if absolute, else "${dir}/${value}";
 * a new string (free it), or NULL on allocation failure.
 */
char *
conf_path(const char *dir, const char *value)
{
	char *p;

	if (value[0] == '/' || dir == NULL || dir[0] == '\0' ||
	    strcmp(dir, ".") == 0)
		return strdup(value);
	if (asprintf(&p, "%s/%s", dir, value) < 0)
		return NULL;
	return p;
}

#define CONF_LIST_MAX	16

/**
 * conf_addr_list(value, why, whylen): check that every comma-separated
 * entry of ${value} is an address to dial (numeric or a DNS name:
 * net_dial_addr_ok), no two alike, at most 16 (CONF_ADDR_LIST).
 */
int
conf_addr_list(const char *value, char *why, size_t whylen)
{
	char copy[1024], *tok, *save = NULL, *seen[CONF_LIST_MAX];
	size_t n = 0;

	if (strlen(value) >= sizeof(copy)) {
		snprintf(why, whylen, "list too long");
		return -1;
	}
	strcpy(copy, value);
	for (tok = strtok_r(copy, ", \t", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t", &save)) {
		if (net_dial_addr_ok(tok, why, whylen) != 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			if (strcmp(seen[i], tok) == 0) {
				snprintf(why, whylen, "%s listed twice", tok);
				return -1;
			}
		if (n == CONF_LIST_MAX) {
			snprintf(why, whylen, "more than %d addresses",
			    CONF_LIST_MAX);
			return -1;
		}
		seen[n++] = tok;
	}
	if (n == 0) {
		snprintf(why, whylen, "no address");
		return -1;
	}
	return 0;
}
