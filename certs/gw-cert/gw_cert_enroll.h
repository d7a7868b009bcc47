/*
 * gw_cert_enroll.h: gw-cert's enrollment commands (gw_cert_enroll.c).
 */
#ifndef GW_GW_CERT_ENROLL_H
#define GW_GW_CERT_ENROLL_H

/** cmd_token(argc, argv): gw-cert token create|list|revoke. */
int cmd_token(int argc, char **argv);

/** cmd_pending(argc, argv): gw-cert pending list. */
int cmd_pending(int argc, char **argv);

/** cmd_decide(argc, argv, approve): gw-cert approve | deny. */
int cmd_decide(int argc, char **argv, int approve);

#endif /* GW_GW_CERT_ENROLL_H */
