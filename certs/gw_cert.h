/*
 * gw_cert.h: what the files of the gw-cert program share (gw_cert.c, the
 * PKI commands; gw_cert_enroll.c, the enrollment commands).
 */
#ifndef GW_GW_CERT_H
#define GW_GW_CERT_H

/** usage(): print the synopsis and exit 2. */
void usage(void) __attribute__((noreturn));

/** die(what, why): print "gw-cert: what: why"; return 1. */
int die(const char *what, const char *why);

#include <stddef.h>
#include <sys/types.h>
#include <mbedtls/x509_crt.h>

/* Helpers of gw_cert.c the other command files use. */
int write_file(const char *path, const void *buf, size_t len, mode_t mode);
int parse_uint(const char *s, unsigned long min, unsigned long max,
    unsigned long *out);
const char *day_str(const char *t, char out[11]);
int load_crt(const char *path, mbedtls_x509_crt *crt);

/** cmd_crl(argc, argv, revoke): gw-cert revoke | crl (gw_cert_revoke.c). */
int cmd_crl(int argc, char **argv, int revoke);

/** cmd_list(argc, argv): gw-cert list (gw_cert_revoke.c). */
int cmd_list(int argc, char **argv);

/** cmd_token(argc, argv): gw-cert token create|list|revoke. */
int cmd_token(int argc, char **argv);

/** cmd_pending(argc, argv): gw-cert pending list. */
int cmd_pending(int argc, char **argv);

/** cmd_decide(argc, argv, approve): gw-cert approve | deny. */
int cmd_decide(int argc, char **argv, int approve);

#endif /* GW_GW_CERT_H */
