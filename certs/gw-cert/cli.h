/*
 * cli.h: what gw-cert's command files (gw_cert.c, gw_cert_enroll.c,
 * gw_cert_revoke.c) share: the synopsis, one error line, numbers from the
 * command line, whole files, dates, certificates from a file.  gw-cert
 * only: nothing else links it.
 */
#ifndef GW_CLI_H
#define GW_CLI_H

#include <stddef.h>
#include <sys/types.h>
#include <mbedtls/x509_crt.h>

/** usage(): print the synopsis and exit 2. */
void usage(void) __attribute__((noreturn));

/** die(what, why): print "gw-cert: what: why"; return 1. */
int die(const char *what, const char *why);

/**
 * write_file(path, buf, len, mode): write ${path} whole (pki_write_file),
 * mode ${mode}; 0, or 1 with the error printed.
 */
int write_file(const char *path, const void *buf, size_t len, mode_t mode);

/**
 * parse_uint(s, min, max, out): ${s} as a decimal in [${min}, ${max}]
 * into ${out}; 0 or -1.
 */
int parse_uint(const char *s, unsigned long min, unsigned long max,
    unsigned long *out);

/** day_str(t, out): "YYYYMMDDhhmmss" ${t} as "YYYY-MM-DD" in ${out}. */
const char *day_str(const char *t, char out[11]);

/**
 * load_crt(path, crt): parse the certificates of ${path} into ${crt}; 0,
 * or -1 with the error printed.
 */
int load_crt(const char *path, mbedtls_x509_crt *crt);

#endif /* GW_CLI_H */
