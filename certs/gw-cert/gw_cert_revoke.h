/*
 * gw_cert_revoke.h: gw-cert's revocation commands (gw_cert_revoke.c).
 */
#ifndef GW_GW_CERT_REVOKE_H
#define GW_GW_CERT_REVOKE_H

/** cmd_crl(argc, argv, revoke): gw-cert revoke | crl. */
int cmd_crl(int argc, char **argv, int revoke);

/** cmd_list(argc, argv): gw-cert list. */
int cmd_list(int argc, char **argv);

#endif /* GW_GW_CERT_REVOKE_H */
