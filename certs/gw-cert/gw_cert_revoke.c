/*
 * gw_cert_revoke.c: gw-cert's revocation and listing commands:
 *
 *   gw-cert revoke --ca DIR (--serial HEX | --cert FILE | --name NAME)
 *           [--crl-days N]
 *   gw-cert crl --ca DIR [--crl-days N]
 *   gw-cert list --ca DIR
 *
 * DIR/revoked.txt holds "SERIAL YYYYMMDDhhmmss" lines; DIR/ca.crl is
 * rewritten from it, signed by the CA.  DIR/issued.txt (every certificate
 * the CA signed) is what list and revoke --name read.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf_util.h"
#include "crl.h"
#include "cli.h"
#include "gw_cert_revoke.h"
#include "x509_issue.h"

#define REVOKED_MAX	100000

/* A serial as hex ("0F:65:BF..." or "0f65bf..."), positive. */
static int
parse_serial(const char *s, struct pki_revoked *r)
{
	unsigned char b[20];
	int n = conf_hex(s, b, sizeof(b));

	if (n <= 0)
		return -1;
	r->len = 0;
	if (b[0] & 0x80)		/* keep the INTEGER positive */
		r->serial[r->len++] = 0;
	memcpy(r->serial + r->len, b, (size_t)n);
	r->len += (size_t)n;
	return 0;
}

/* Read DIR/revoked.txt: "SERIAL YYYYMMDDhhmmss" lines. */
static int
read_revoked(const char *path, struct pki_revoked *v, size_t *n)
{
	char line[256], serial[128], when[32];
	FILE *f;

	*n = 0;
	if ((f = fopen(path, "r")) == NULL)
		return errno == ENOENT ? 0 : die(path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%127s %31s", serial, when) != 2 ||
		    strlen(when) != 14 || parse_serial(serial, &v[*n]) != 0) {
			fclose(f);
			return die(path, "bad line");
		}
		memcpy(v[*n].when, when, 15);
		if (++*n == REVOKED_MAX) {
			fclose(f);
			return die(path, "too many revoked certificates");
		}
	}
	fclose(f);
	return 0;
}

/*
 * Add ${serial} to DIR/revoked.txt and to ${v}; -1 if it is not a serial
 * or is already there (quietly with ${quiet}).
 */
static int
revoke_one(const char *dir, const char *serial, struct pki_revoked *v,
    size_t *n, int quiet)
{
	struct pki_revoked r;
	char path[4096], when[16];
	time_t t = time(NULL);
	struct tm tm;
	FILE *f;

	if (parse_serial(serial, &r) != 0)
		return quiet ? -1 : die(serial, "not a serial number (hex)");
	for (size_t i = 0; i < *n; i++)
		if (v[i].len == r.len && memcmp(v[i].serial, r.serial,
		    r.len) == 0)
			return quiet ? -1 : die(serial, "already revoked");
	if (*n == REVOKED_MAX)
		return die(serial, "too many revoked certificates");
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y%m%d%H%M%S", &tm);
	snprintf(path, sizeof(path), "%s/revoked.txt", dir);
	if ((f = fopen(path, "a")) == NULL ||
	    fprintf(f, "%s %s\n", serial, when) < 0 || fclose(f) != 0)
		return die(path, strerror(errno));
	memcpy(r.when, when, sizeof(r.when));
	v[(*n)++] = r;
	return 0;
}

/* The serial of the certificate in ${cert} as hex into ${hex}; 0 or 1. */
static int
cert_serial(const char *cert, char *hex, size_t len)
{
	mbedtls_x509_crt crt;
	size_t o = 0;

	if (load_crt(cert, &crt) != 0)
		return 1;
	hex[0] = '\0';
	for (size_t i = 0; i < crt.serial.len && o + 3 < len; i++)
		o += (size_t)snprintf(hex + o, len - o, "%02x",
		    crt.serial.p[i]);
	mbedtls_x509_crt_free(&crt);
	return 0;
}

/*
 * Revoke every certificate issued to ${name} (DIR/issued.txt) that is not
 * revoked yet; their serials into ${list}.  0, or 1 if none.
 */
static int
revoke_name(const char *dir, const char *name, struct pki_revoked *v,
    size_t *n, char *list, size_t len)
{
	char path[4096], line[512], ser[80], nm[256];
	size_t nnew = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/issued.txt", dir);
	if ((f = fopen(path, "r")) == NULL)
		return die(path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%79s %255s", ser, nm) == 2 &&
		    strcmp(nm, name) == 0 &&
		    revoke_one(dir, ser, v, n, 1) == 0 &&
		    strlen(list) + strlen(ser) + 2 < len) {
			snprintf(list + strlen(list), len - strlen(list),
			    " %s", ser);
			nnew++;
		}
	fclose(f);
	if (nnew == 0)
		return die(name, "no valid certificate of this name in "
		    "issued.txt");
	return 0;
}

/*
 * Write DIR/ca.crl of the ${n} revoked ${v}, next update in ${days} days,
 * and say so (${list}: the serials revoked now, if ${revoke}); 0 or 1.
 */
static int
crl_sign(const char *dir, const struct pki_revoked *v, size_t n,
    unsigned long days, int revoke, const char *list)
{
	static unsigned char pem[1024 * 1024];
	char path[4096], err[512];
	struct pki_ca ca;
	struct pki_rng rng;
	int rc = 1;

	if (pki_rng_init(&rng, err, sizeof(err)) != 0) {
		pki_rng_free(&rng);
		return die("gw-cert", err);
	}
	if (pki_ca_load(&ca, dir, &rng, err, sizeof(err)) != 0) {
		die("CA", err);
		goto out;
	}
	if (pki_crl_write(&ca, &rng, v, n, (unsigned)days, pem, sizeof(pem),
	    err, sizeof(err)) != 0) {
		die("CRL", err);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/ca.crl", dir);
	if (write_file(path, pem, strlen((char *)pem), 0644) != 0)
		goto out;
	printf("wrote %s (%zu revoked, next update in %lu days)%s%s\n", path,
	    n, days, revoke ? "; revoked serial" : "", list);
	rc = 0;
out:
	pki_ca_free(&ca);
	pki_rng_free(&rng);
	return rc;
}

/** cmd_crl(argc, argv, revoke): gw-cert revoke | crl. */
int
cmd_crl(int argc, char **argv, int revoke)
{
	static const struct option lopts[] = {
		{ "ca", required_argument, NULL, 'a' },
		{ "serial", required_argument, NULL, 's' },
		{ "cert", required_argument, NULL, 'c' },
		{ "name", required_argument, NULL, 'n' },
		{ "crl-days", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	static struct pki_revoked v[REVOKED_MAX];
	const char *dir = NULL, *serial = NULL, *cert = NULL, *name = NULL;
	char path[4096], hex[128], list[2048] = "";
	unsigned long days = 7;
	size_t n;
	int ch;

	while ((ch = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (ch) {
		case 'a': dir = optarg; break;
		case 's': serial = optarg; break;
		case 'c': cert = optarg; break;
		case 'n': name = optarg; break;
		case 'd':
			if (parse_uint(optarg, 1, 3650, &days) != 0)
				usage();
			break;
		default: usage();
		}
	}
	if (optind != argc || dir == NULL ||
	    (revoke && (serial != NULL) + (cert != NULL) + (name != NULL) !=
	    1) || (!revoke && (serial || cert || name)))
		usage();
	if (cert != NULL) {
		if (cert_serial(cert, hex, sizeof(hex)) != 0)
			return 1;
		serial = hex;
	}
	snprintf(path, sizeof(path), "%s/revoked.txt", dir);
	if (read_revoked(path, v, &n) != 0)
		return 1;
	if (name != NULL) {
		if (revoke_name(dir, name, v, &n, list, sizeof(list)) != 0)
			return 1;
	} else if (revoke) {
		if (revoke_one(dir, serial, v, &n, 0) != 0)
			return 1;
		snprintf(list, sizeof(list), " %s", serial);
	}
	return crl_sign(dir, v, n, days, revoke, list);
}

/** cmd_list(argc, argv): gw-cert list. */
int
cmd_list(int argc, char **argv)
{
	static struct pki_revoked v[REVOKED_MAX];
	char path[4096], line[512], serial[80], name[256], role[16], na[16];
	char now[16], day[11];
	struct pki_revoked r;
	time_t t = time(NULL);
	struct tm tm;
	size_t n;
	FILE *f;

	if (argc != 3 || strcmp(argv[1], "--ca") != 0)
		usage();
	snprintf(path, sizeof(path), "%s/revoked.txt", argv[2]);
	if (read_revoked(path, v, &n) != 0)
		return 1;
	snprintf(path, sizeof(path), "%s/issued.txt", argv[2]);
	if ((f = fopen(path, "r")) == NULL) {
		if (errno != ENOENT)
			return die(path, strerror(errno));
		return 0;	/* nothing issued yet */
	}
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y%m%d%H%M%S", &tm);
	printf("%-34s %-24s %-8s %-10s %s\n", "SERIAL", "NAME", "ROLE",
	    "EXPIRES", "STATUS");
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *status = "valid";

		if (sscanf(line, "%79s %255s %15s %15s", serial, name, role,
		    na) != 4)
			continue;
		if (parse_serial(serial, &r) == 0)
			for (size_t i = 0; i < n; i++)
				if (v[i].len == r.len && memcmp(v[i].serial,
				    r.serial, r.len) == 0)
					status = "revoked";
		if (strcmp(status, "valid") == 0 && strcmp(na, now) < 0)
			status = "expired";
		printf("%-34s %-24s %-8s %-10s %s\n", serial, name, role,
		    day_str(na, day), status);
	}
	fclose(f);
	return 0;
}
