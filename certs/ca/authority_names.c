/*
 * authority_names.c: is a name taken?  A name is taken while the CA
 * directory's issued.txt holds a certificate of that name that has not
 * expired and is not in revoked.txt (what gw-cert list shows as valid).
 * The authority signs a new certificate (not a renewal) for a taken name
 * only when the operator says so: a token made for that one name, or
 * gw-cert approve --replace.  Otherwise a token holder, or an approved
 * request, could take over a live agent's name and its sequence space.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authority_names.h"

/* A live certificate of the name, until its serial turns up revoked. */
struct auth_cand {
	char	serial[80];	/* normalised: lower case, no ':' or 0s */
	char	not_after[16];
	int	revoked;
};

/*
 * ${in} as a comparable serial: hex digits in lower case, without ':' and
 * leading zeros (issued.txt writes "00ab...", an operator may revoke
 * "AB:..").  0, or -1 if it is not hex or too long.
 */
static int
auth_serial_norm(const char *in, char *out, size_t cap)
{
	size_t n = 0;

	for (; *in == '0' || *in == ':'; in++)
		;
	for (; *in != '\0'; in++) {
		if (*in == ':')
			continue;
		if (!isxdigit((unsigned char)*in) || n + 1 >= cap)
			return -1;
		out[n++] = (char)tolower((unsigned char)*in);
	}
	out[n] = '\0';
	return 0;
}

/* Mark the candidates that DIR/revoked.txt lists.  0 or -1. */
static int
auth_mark_revoked(const char *dir, struct auth_cand *c, size_t n, char *err,
    size_t errlen)
{
	char path[4096], line[256], ser[128], norm[80];
	FILE *f;

	snprintf(path, sizeof(path), "%s/revoked.txt", dir);
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%127s", ser) == 1 &&
		    auth_serial_norm(ser, norm, sizeof(norm)) == 0)
			for (size_t i = 0; i < n; i++)
				if (strcmp(c[i].serial, norm) == 0)
					c[i].revoked = 1;
	fclose(f);
	return 0;
}

/**
 * auth_name_live(dir, name, serial, until, err, errlen): 1 if CA
 * directory ${dir} has issued a certificate named ${name} that is neither
 * expired nor revoked (its serial into ${serial}, 80 bytes, its expiry
 * YYYYMMDDhhmmss UTC into ${until}, 16 bytes); 0 if not; -1 if issued.txt
 * or revoked.txt cannot be read (${err}).
 */
int
auth_name_live(const char *dir, const char *name, char *serial, char *until,
    char *err, size_t errlen)
{
	struct auth_cand *c = NULL, *grown;
	char path[4096], line[512], ser[80], nm[256], role[16], na[16];
	char now[16];
	size_t n = 0, cap = 0;
	time_t t = time(NULL);
	struct tm tm;
	int rc = 0;
	FILE *f;

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y%m%d%H%M%S", &tm);
	snprintf(path, sizeof(path), "%s/issued.txt", dir);
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;	/* nothing issued yet */
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%79s %255s %15s %15s", ser, nm, role, na) !=
		    4 || strcmp(nm, name) != 0 || strlen(na) != 14 ||
		    strcmp(na, now) <= 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 4;
			if ((grown = realloc(c, cap * sizeof(*c))) == NULL) {
				snprintf(err, errlen, "out of memory");
				rc = -1;
				goto out;
			}
			c = grown;
		}
		if (auth_serial_norm(ser, c[n].serial, sizeof(c[n].serial)) !=
		    0)
			continue;
		memcpy(c[n].not_after, na, sizeof(c[n].not_after));
		c[n++].revoked = 0;
	}
	if (n > 0 && auth_mark_revoked(dir, c, n, err, errlen) != 0) {
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (!c[i].revoked) {
			snprintf(serial, 80, "%s", c[i].serial);
			snprintf(until, 16, "%s", c[i].not_after);
			rc = 1;
			break;
		}
out:
	fclose(f);
	free(c);
	return rc;
}

/**
 * auth_name_taken(dir, name, why, len): 1 if ${name} is taken in CA
 * directory ${dir} (auth_name_live), with what to do in ${why}; -1 if
 * that cannot be told (fail closed, ${why}); else 0.
 */
int
auth_name_taken(const char *dir, const char *name, char *why, size_t len)
{
	char serial[80], until[16], err[256];
	int rc;

	if ((rc = auth_name_live(dir, name, serial, until, err,
	    sizeof(err))) < 0) {
		snprintf(why, len, "cannot tell whether '%s' is taken: %s",
		    name, err);
		return -1;
	}
	if (rc == 1)
		snprintf(why, len, "the name '%s' has a valid certificate "
		    "(serial %s, until %.8s): a token for this one name, or "
		    "gw-cert approve --replace, issues another", name, serial,
		    until);
	return rc;
}
