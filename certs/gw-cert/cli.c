/*
 * cli.c: what gw-cert's command files share (cli.h): the synopsis, one
 * error line, numbers from the command line, whole files, dates,
 * certificates from a file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "pkifile.h"
#include "tls_conf.h"

/** usage(): print the synopsis and exit 2. */
void
usage(void)
{
	fprintf(stderr,
	    "usage: gw-cert ca --out DIR --name CN [--ca PARENT] [--days N]\n"
	    "               [--rsa BITS | --ec p256|p384] [--force]\n"
	    "       gw-cert issue --ca DIR --role gateway|mgmt|agent --name NAME "
	    "--out PREFIX\n"
	    "               [--dns NAME]... [--ip ADDR]... [--days N]\n"
	    "               [--rsa BITS | --ec p256|p384]\n"
	    "               [--not-before YYYYMMDDhhmmss --not-after "
	    "YYYYMMDDhhmmss]\n"
	    "       gw-cert issue-many --ca DIR --role ROLE --prefix PFX "
	    "--count N --out-dir DIR\n"
	    "               [--days N]\n"
	    "       gw-cert show FILE\n"
	    "       gw-cert fingerprint FILE\n"
	    "       gw-cert revoke --ca DIR (--serial HEX | --cert FILE | "
	    "--name NAME)\n"
	    "               [--crl-days N]\n"
	    "       gw-cert crl --ca DIR [--crl-days N]\n"
	    "       gw-cert list --ca DIR\n"
	    "       gw-cert token create --ca DIR --names PATTERNS [--ttl 24h] "
	    "[--uses N]\n"
	    "               [--comment TEXT]\n"
	    "       gw-cert token list --ca DIR\n"
	    "       gw-cert token revoke --ca DIR ID\n"
	    "       gw-cert pending list --ca DIR\n"
	    "       gw-cert approve --ca DIR REQUEST [--days N] [--replace]\n"
	    "       gw-cert deny --ca DIR REQUEST [--reason TEXT]\n");
	exit(2);
}

/** die(what, why): print "gw-cert: what: why"; return 1. */
int
die(const char *what, const char *why)
{
	fprintf(stderr, "gw-cert: %s: %s\n", what, why);
	return 1;
}

/**
 * write_file(path, buf, len, mode): write ${path} whole (pki_write_file),
 * mode ${mode}; 0, or 1 with the error printed.
 */
int
write_file(const char *path, const void *buf, size_t len, mode_t mode)
{
	char err[512];

	if (pki_write_file(path, buf, len, mode, err, sizeof(err)) != 0) {
		fprintf(stderr, "gw-cert: %s\n", err);
		return 1;
	}
	return 0;
}

/**
 * parse_uint(s, min, max, out): ${s} as a decimal in [${min}, ${max}]
 * into ${out}; 0 or -1.
 */
int
parse_uint(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno != 0 || *end != '\0' || *s == '\0' || *out < min ||
	    *out > max ? -1 : 0;
}

/** day_str(t, out): "YYYYMMDDhhmmss" ${t} as "YYYY-MM-DD" in ${out}. */
const char *
day_str(const char *t, char out[11])
{
	snprintf(out, 11, "%.4s-%.2s-%.2s", t, t + 4, t + 6);
	return out;
}

/**
 * load_crt(path, crt): parse the certificates of ${path} into ${crt}; 0,
 * or -1 with the error printed.
 */
int
load_crt(const char *path, mbedtls_x509_crt *crt)
{
	char why[160];
	int rc;

	mbedtls_x509_crt_init(crt);
	if ((rc = mbedtls_x509_crt_parse_file(crt, path)) != 0) {
		die(path, tls_strerror(rc, why, sizeof(why)));
		mbedtls_x509_crt_free(crt);
		return -1;
	}
	return 0;
}
