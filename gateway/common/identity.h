/*
 * identity.h: a peer certificate turned into the identity we attest
 * (name, subject, SAN, serial, issuer, SHA-256 fingerprint) and the name
 * policy that decides whether that identity may connect.
 */
#ifndef GW_IDENTITY_H
#define GW_IDENTITY_H

#include <stddef.h>
#include <stdint.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>

#include "frame.h"

#define ID_NAME_MAX	128
#define ID_DN_MAX	256

/* An owned copy of an identity (struct gw_identity is a view). */
struct id_info {
	uint8_t	fingerprint[GW_FINGERPRINT_LEN];
	char	name[ID_NAME_MAX];	/* CN */
	char	subject[ID_DN_MAX];
	char	san[ID_NAME_MAX];	/* first DNS SAN or "" */
	char	serial[ID_NAME_MAX];	/* hex with colons */
	char	issuer[ID_DN_MAX];
	char	peer[64];		/* "ip:port" */
	char	fp_hex[2 * GW_FINGERPRINT_LEN + 1];
};

/*
 * OPEN's identity extension (GW_CAP_FLEET) of a certificate: its notAfter
 * and every subjectAltName, "TYPE:value" separated by one space (not
 * NUL-terminated: sans_len bytes); and the via of a chain (GW_CAP_CHAIN:
 * gateway names separated by one space, via_len bytes, 0: none).  Made
 * when an OPEN needs it, on the stack: no session keeps one.
 */
struct id_ext {
	uint64_t	not_after_ms;	/* ms since the epoch, UTC (0: before) */
	uint16_t	sans_len;
	char		sans[GW_SANS_MAX];
	uint16_t	via_len;	/* id_ext_via */
	char		via[GW_VIA_MAX * (GW_VIA_NAME_MAX + 1)];
};

/**
 * id_from_crt(crt, peer, out): fill ${out} from certificate ${crt} and the
 * source address ${peer}.  Return 0, or -1 if the certificate has no CN
 * (or a field does not fit).
 */
int id_from_crt(const mbedtls_x509_crt *crt, const char *peer,
    struct id_info *out);

/**
 * id_from_der(der, len, peer, out): id_from_crt for a certificate kept as
 * DER (conn_peer_der); -1 also if it does not parse or ${der} is NULL.
 */
int id_from_der(const uint8_t *der, size_t len, const char *peer,
    struct id_info *out);

/**
 * id_from_der_ext(der, len, peer, out, ext): id_from_der, and if ${ext} is
 * not NULL, id_ext_from_crt of the same certificate into ${ext}.
 */
int id_from_der_ext(const uint8_t *der, size_t len, const char *peer,
    struct id_info *out, struct id_ext *ext);

/**
 * id_ext_from_crt(crt, ext): the extension of ${crt} into ${ext}: its
 * notAfter, and its SANs in certificate order as DNS:, IP: (IPv4 dotted,
 * IPv6 by inet_ntop), URI:, EMAIL: (rfc822Name), or OTHER: and the hex of
 * the raw value for any other kind or a value not printable ASCII without
 * space, '"' or '\'; cut after the last whole entry that fits
 * GW_SANS_MAX bytes; no via.
 */
void id_ext_from_crt(const mbedtls_x509_crt *crt, struct id_ext *ext);

/**
 * id_ext_via(ext, via, self): set the via of ${ext} to the names of
 * ${via} (a valid via; none if NULL or empty) then ${self}, the sending
 * gateway's certificate CN.  Return 0, or -1 (no via set) if ${self} is
 * not a valid via name, is one of ${via}'s names already (a loop), or
 * ${via} holds GW_VIA_MAX names (no room).
 */
int id_ext_via(struct id_ext *ext, const struct gw_str *via,
    const char *self);

/**
 * id_via_name_file(path, name): the CN of the first certificate of the
 * file ${path} (PEM or DER) into ${name} if it is a valid via name (1 to
 * GW_VIA_NAME_MAX printable bytes but space, '"' and '\'): the name a
 * gateway gives itself in OPEN's via.  Return 0, or -1 (${name} empty) if
 * ${path} is NULL, does not parse, or its CN is not such a name.
 */
int id_via_name_file(const char *path, char name[GW_VIA_NAME_MAX + 1]);

/** id_fp_hex(fp, hex): the fingerprint ${fp} as 64 hex digits in ${hex}. */
void id_fp_hex(const uint8_t fp[GW_FINGERPRINT_LEN],
    char hex[2 * GW_FINGERPRINT_LEN + 1]);

/** id_view(in, out): a struct gw_identity view of ${in} for OPEN. */
void id_view(const struct id_info *in, struct gw_identity *out);

/**
 * id_view_ext(in, ext, caps, max, out): id_view, with the identity
 * extension ${ext} if ${caps} (a link's agreed caps) has GW_CAP_FLEET and
 * ${ext} is not NULL, and its via if ${caps} has GW_CAP_CHAIN too and the
 * via is not empty; made to fit an OPEN of at most ${max} payload bytes
 * (0: no bound): its SANs cut after the last whole entry that fits, the
 * via left out if it does not fit with no SANs, the extension if not even
 * its fixed part does (without it an OPEN is at most 998 bytes).  ${ext}
 * must outlive the view.
 */
void id_view_ext(const struct id_info *in, const struct id_ext *ext,
    uint32_t caps, uint32_t max, struct gw_identity *out);

/**
 * id_from_view(v, out): copy OPEN's identity view ${v} into ${out}; return
 * 0, or -1 if a field is too long or not printable text.
 */
int id_from_view(const struct gw_identity *v, struct id_info *out);

/**
 * id_revoked(id, crl): 1 if the certificate that ${id} describes (by
 * issuer and serial) is on one of the CRLs of the chain ${crl}, else 0.
 */
int id_revoked(const struct id_info *id, const mbedtls_x509_crl *crl);

/**
 * id_policy_match(patterns, name): 1 if ${name} matches one of the
 * comma-separated shell glob ${patterns} ("agent-*,dmz-*"), else 0.
 * A name with characters outside [A-Za-z0-9._-] never matches.
 */
int id_policy_match(const char *patterns, const char *name);

/**
 * id_ext_from_view(v, ext): the identity extension of OPEN view ${v} into
 * ${ext}, as a relaying gateway sends it on (zeroed if ${v} has none).
 * Return 0, or -1 if its not_after is above 2^63-1 or its sans are not
 * printable ASCII (as gatewayd makes them) or too long.
 */
int id_ext_from_view(const struct gw_identity *v, struct id_ext *ext);

#endif /* GW_IDENTITY_H */
