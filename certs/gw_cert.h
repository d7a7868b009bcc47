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

/** cmd_token(argc, argv): gw-cert token create|list|revoke. */
int cmd_token(int argc, char **argv);

/** cmd_pending(argc, argv): gw-cert pending list. */
int cmd_pending(int argc, char **argv);

/** cmd_decide(argc, argv, approve): gw-cert approve | deny. */
int cmd_decide(int argc, char **argv, int approve);

#endif /* GW_GW_CERT_H */
