/*
 * identity.c: the identity a gateway attests for a peer, taken from its
 * verified certificate, and the name policy that admits it.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/oid.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509.h>

#include "identity.h"

static int
id_copy(char *dst, size_t cap, const unsigned char *p, size_t len)
{
	if (len >= cap)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] == 0x7f || p[i] == '"' ||
		    p[i] == '\\')
			return -1;	/* never log or store control chars */
	memcpy(dst, p, len);
	dst[len] = '\0';
	return 0;
}

static int
id_cn(const mbedtls_x509_name *n, char *dst, size_t cap)
{
	const mbedtls_x509_name *cn = NULL;

	/* The last CN wins, as most stacks do; a certificate has one. */
	for (; n != NULL; n = n->next)
		if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0)
			cn = n;
	if (cn == NULL || cn->val.len == 0)
		return -1;
	return id_copy(dst, cap, cn->val.p, cn->val.len);
}

static void
id_first_dns_san(const mbedtls_x509_crt *crt, char *dst, size_t cap)
{
	const mbedtls_x509_sequence *s;

	dst[0] = '\0';
	for (s = &crt->subject_alt_names; s != NULL && s->buf.p != NULL;
	    s = s->next) {
		if (s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC |
		    MBEDTLS_X509_SAN_DNS_NAME)) {
			if (id_copy(dst, cap, s->buf.p, s->buf.len) != 0)
				dst[0] = '\0';
			return;
		}
	}
}

/**
 * id_from_crt(crt, peer, out): fill ${out} from certificate ${crt} and the
 * source address ${peer}.  Return 0, or -1 if the certificate has no CN
 * (or a field does not fit).
 */
int
id_from_crt(const mbedtls_x509_crt *crt, const char *peer,
    struct id_info *out)
{
	memset(out, 0, sizeof(*out));
	if (id_cn(&crt->subject, out->name, sizeof(out->name)) != 0)
		return -1;
	if (mbedtls_x509_dn_gets(out->subject, sizeof(out->subject),
	    &crt->subject) < 0 ||
	    mbedtls_x509_dn_gets(out->issuer, sizeof(out->issuer),
	    &crt->issuer) < 0 ||
	    mbedtls_x509_serial_gets(out->serial, sizeof(out->serial),
	    &crt->serial) < 0)
		return -1;
	id_first_dns_san(crt, out->san, sizeof(out->san));
	snprintf(out->peer, sizeof(out->peer), "%s", peer ? peer : "");
	if (mbedtls_sha256(crt->raw.p, crt->raw.len, out->fingerprint, 0) != 0)
		return -1;
	id_fp_hex(out->fingerprint, out->fp_hex);
	return 0;
}

/**
 * id_from_der(der, len, peer, out): id_from_crt for a certificate kept as
 * DER (conn_peer_der); -1 also if it does not parse or ${der} is NULL.
 */
int
id_from_der(const uint8_t *der, size_t len, const char *peer,
    struct id_info *out)
{
	mbedtls_x509_crt crt;
	int rc = -1;

	mbedtls_x509_crt_init(&crt);
	if (der != NULL && mbedtls_x509_crt_parse_der_nocopy(&crt, der,
	    len) == 0)
		rc = id_from_crt(&crt, peer, out);
	mbedtls_x509_crt_free(&crt);
	return rc;
}

/** id_fp_hex(fp, hex): the fingerprint ${fp} as 64 hex digits in ${hex}. */
void
id_fp_hex(const uint8_t fp[GW_FINGERPRINT_LEN],
    char hex[2 * GW_FINGERPRINT_LEN + 1])
{
	for (size_t i = 0; i < GW_FINGERPRINT_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", fp[i]);
}

static struct gw_str
id_str(const char *s)
{
	struct gw_str v = { (const uint8_t *)s, (uint16_t)strlen(s) };

	return v;
}

/** id_view(in, out): a struct gw_identity view of ${in} for OPEN. */
void
id_view(const struct id_info *in, struct gw_identity *out)
{
	/* A view is made whole, never edited: the codec fills decoded ones. */
	*out = (struct gw_identity){ .name = id_str(in->name),
	    .subject = id_str(in->subject), .san = id_str(in->san),
	    .serial = id_str(in->serial), .issuer = id_str(in->issuer),
	    .peer = id_str(in->peer) };
	memcpy(out->fingerprint, in->fingerprint, GW_FINGERPRINT_LEN);
}

/**
 * id_from_view(v, out): copy OPEN's identity view ${v} into ${out}; return
 * 0, or -1 if a field is too long or not printable text.
 */
int
id_from_view(const struct gw_identity *v, struct id_info *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->fingerprint, v->fingerprint, GW_FINGERPRINT_LEN);
	id_fp_hex(out->fingerprint, out->fp_hex);
	if (v->name.len == 0 ||
	    id_copy(out->name, sizeof(out->name), v->name.p, v->name.len) ||
	    id_copy(out->subject, sizeof(out->subject), v->subject.p,
	    v->subject.len) ||
	    id_copy(out->san, sizeof(out->san), v->san.p, v->san.len) ||
	    id_copy(out->serial, sizeof(out->serial), v->serial.p,
	    v->serial.len) ||
	    id_copy(out->issuer, sizeof(out->issuer), v->issuer.p,
	    v->issuer.len) ||
	    id_copy(out->peer, sizeof(out->peer), v->peer.p, v->peer.len))
		return -1;
	return 0;
}

static int
id_name_ok(const char *name)
{
	if (*name == '\0')
		return 0;
	for (; *name != '\0'; name++)
		if (!isalnum((unsigned char)*name) && *name != '.' &&
		    *name != '_' && *name != '-')
			return 0;
	return 1;
}

/**
 * id_policy_match(patterns, name): 1 if ${name} matches one of the
 * comma-separated shell glob ${patterns} ("agent-*,dmz-*"), else 0.
 * A name with characters outside [A-Za-z0-9._-] never matches.
 */
int
id_policy_match(const char *patterns, const char *name)
{
	char pat[256];
	const char *p, *end;
	size_t len;

	if (!id_name_ok(name))
		return 0;
	for (p = patterns; *p != '\0'; p = *end ? end + 1 : end) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		while (p < end && isspace((unsigned char)*p))
			p++;
		len = (size_t)(end - p);
		while (len > 0 && isspace((unsigned char)p[len - 1]))
			len--;
		if (len == 0 || len >= sizeof(pat))
			continue;
		memcpy(pat, p, len);
		pat[len] = '\0';
		if (fnmatch(pat, name, 0) == 0)
			return 1;
	}
	return 0;
}

/**
 * id_revoked(id, crl): 1 if the certificate that ${id} describes (by
 * issuer and serial) is on one of the CRLs of the chain ${crl}, else 0.
 */
int
id_revoked(const struct id_info *id, const mbedtls_x509_crl *crl)
{
	char issuer[ID_DN_MAX], serial[ID_NAME_MAX];

	for (; crl != NULL && crl->version != 0; crl = crl->next) {
		const mbedtls_x509_crl_entry *e;

		if (mbedtls_x509_dn_gets(issuer, sizeof(issuer),
		    &crl->issuer) < 0 || strcmp(issuer, id->issuer) != 0)
			continue;
		for (e = &crl->entry; e != NULL && e->serial.len > 0;
		    e = e->next)
			if (mbedtls_x509_serial_gets(serial, sizeof(serial),
			    &e->serial) >= 0 && strcmp(serial, id->serial) == 0)
				return 1;
	}
	return 0;
}
