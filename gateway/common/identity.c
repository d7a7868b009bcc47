/*
 * identity.c: the identity a gateway attests for a peer, taken from its
 * verified certificate, and the name policy that admits it.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

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
 * id_via_name_file(path, name): the CN of the first certificate of the
 * file ${path} (PEM or DER) into ${name} if it is a valid via name (1 to
 * GW_VIA_NAME_MAX printable bytes but space, '"' and '\'): the name a
 * gateway gives itself in OPEN's via.  Return 0, or -1 (${name} empty) if
 * ${path} is NULL, does not parse, or its CN is not such a name.
 */
int
id_via_name_file(const char *path, char name[GW_VIA_NAME_MAX + 1])
{
	mbedtls_x509_crt crt;
	struct gw_str v;
	int rc = -1;

	name[0] = '\0';
	mbedtls_x509_crt_init(&crt);
	if (path != NULL && mbedtls_x509_crt_parse_file(&crt, path) >= 0 &&
	    crt.raw.p != NULL &&
	    id_cn(&crt.subject, name, GW_VIA_NAME_MAX + 1) == 0) {
		v = gw_str_text(name);
		if ((rc = gw_via_count(&v) == 1 ? 0 : -1) != 0)
			name[0] = '\0';
	}
	mbedtls_x509_crt_free(&crt);
	return rc;
}

/**
 * id_from_der(der, len, peer, out): id_from_crt for a certificate kept as
 * DER (conn_peer_der); -1 also if it does not parse or ${der} is NULL.
 */
int
id_from_der(const uint8_t *der, size_t len, const char *peer,
    struct id_info *out)
{
	return id_from_der_ext(der, len, peer, out, NULL);
}

/**
 * id_from_der_ext(der, len, peer, out, ext): id_from_der, and if ${ext} is
 * not NULL, id_ext_from_crt of the same certificate into ${ext}.
 */
int
id_from_der_ext(const uint8_t *der, size_t len, const char *peer,
    struct id_info *out, struct id_ext *ext)
{
	mbedtls_x509_crt crt;
	int rc = -1;

	mbedtls_x509_crt_init(&crt);
	if (der != NULL && mbedtls_x509_crt_parse_der_nocopy(&crt, der,
	    len) == 0)
		rc = id_from_crt(&crt, peer, out);
	if (rc == 0 && ext != NULL)
		id_ext_from_crt(&crt, ext);
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
	id_view_ext(in, NULL, 0, 0, out);
}

/*
 * The extension ${ext} that fits an OPEN of ${in} in ${max} payload bytes
 * (0: any), with a via of ${via_len} bytes (0: none): its sans' length in
 * ${sans_len}, and 0 in ${via_len} if the via does not fit with no SANs;
 * return 0 if the extension does not fit at all, else 1.  The SANs are cut
 * after a whole entry.
 */
static int
id_ext_fit(const struct id_info *in, const struct id_ext *ext, uint32_t max,
    uint16_t *sans_len, uint16_t *via_len)
{
	size_t len = GW_FINGERPRINT_LEN + 6 * 2 + strlen(in->name) +
	    strlen(in->subject) + strlen(in->san) + strlen(in->serial) +
	    strlen(in->issuer) + strlen(in->peer) + 10;
	uint16_t n;

	*sans_len = ext->sans_len;
	if (max == 0 || len + ext->sans_len +
	    (*via_len > 0 ? 2 + (size_t)*via_len : 0) <= max)
		return 1;
	if (*via_len > 0 && len + 2 + (size_t)*via_len > max)
		*via_len = 0;
	if (*via_len > 0)
		len += 2 + (size_t)*via_len;
	if (len > max)
		return 0;
	n = (uint16_t)(max - len);		/* < sans_len */
	while (n > 0 && ext->sans[n] != ' ')
		n--;
	*sans_len = n;
	return 1;
}

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
void
id_view_ext(const struct id_info *in, const struct id_ext *ext,
    uint32_t caps, uint32_t max, struct gw_identity *out)
{
	uint16_t sans_len = 0, via_len = 0;
	int has = 0;

	if (ext != NULL && (caps & GW_CAP_FLEET)) {
		via_len = caps & GW_CAP_CHAIN ? ext->via_len : 0;
		has = id_ext_fit(in, ext, max, &sans_len, &via_len);
	}
	/* A view is made whole, never edited: the codec fills decoded ones. */
	*out = (struct gw_identity){ .name = id_str(in->name),
	    .subject = id_str(in->subject), .san = id_str(in->san),
	    .serial = id_str(in->serial), .issuer = id_str(in->issuer),
	    .peer = id_str(in->peer), .has_ext = has,
	    .not_after_ms = has ? ext->not_after_ms : 0,
	    .sans = has ? gw_str_bytes(ext->sans, sans_len) :
	    gw_str_bytes(NULL, 0), .has_via = has && via_len > 0,
	    .via = has && via_len > 0 ? gw_str_bytes(ext->via, via_len) :
	    gw_str_bytes(NULL, 0) };
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

/* ${p}[0..${n}) is a value a SAN may show as it is: printable, no space. */
static int
id_san_plain(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f || p[i] == '"' ||
		    p[i] == '\\')
			return 0;
	return 1;
}

/*
 * Append "${type}:" and ${n} bytes at ${p} (as hex if ${hex}) to ${ext},
 * after a space unless first.  Return 0, or -1 (nothing appended) if the
 * entry does not fit.
 */
static int
id_san_put(struct id_ext *ext, const char *type, const unsigned char *p,
    size_t n, int hex)
{
	size_t tl = strlen(type), need, at = ext->sans_len;
	static const char digits[] = "0123456789abcdef";
	char *o;

	need = (at > 0) + tl + 1 + (hex ? 2 * n : n);
	if (need > sizeof(ext->sans) - at)
		return -1;
	o = ext->sans + at;
	if (at > 0)
		*o++ = ' ';
	memcpy(o, type, tl);
	o += tl;
	*o++ = ':';
	for (size_t i = 0; i < n; i++) {
		if (!hex) {
			*o++ = (char)p[i];
			continue;
		}
		*o++ = digits[p[i] >> 4];
		*o++ = digits[p[i] & 0xf];
	}
	ext->sans_len = (uint16_t)(at + need);
	return 0;
}

/* The entry of one SAN ${raw} (a GeneralName, as the certificate has it). */
static int
id_san_entry(struct id_ext *ext, const mbedtls_x509_buf *raw)
{
	mbedtls_x509_subject_alternative_name san;
	const mbedtls_x509_buf *v;
	char ip[INET6_ADDRSTRLEN];
	const char *type = NULL;
	int rc = -1;

	memset(&san, 0, sizeof(san));
	if (mbedtls_x509_parse_subject_alt_name(raw, &san) == 0) {
		v = &san.san.unstructured_name;
		switch (san.type) {
		case MBEDTLS_X509_SAN_DNS_NAME:
			type = "DNS";
			break;
		case MBEDTLS_X509_SAN_UNIFORM_RESOURCE_IDENTIFIER:
			type = "URI";
			break;
		case MBEDTLS_X509_SAN_RFC822_NAME:
			type = "EMAIL";
			break;
		case MBEDTLS_X509_SAN_IP_ADDRESS:
			if (inet_ntop(v->len == 4 ? AF_INET : AF_INET6, v->p,
			    ip, sizeof(ip)) != NULL)
				type = "IP";
			break;
		}
		if (type != NULL && san.type == MBEDTLS_X509_SAN_IP_ADDRESS)
			rc = id_san_put(ext, type, (const unsigned char *)ip,
			    strlen(ip), 0);
		else if (type != NULL && id_san_plain(v->p, v->len))
			rc = id_san_put(ext, type, v->p, v->len, 0);
		else
			type = NULL;
		mbedtls_x509_free_subject_alt_name(&san);
		if (type != NULL)
			return rc;
	}
	return id_san_put(ext, "OTHER", raw->p, raw->len, 1);
}

/**
 * id_ext_from_crt(crt, ext): the extension of ${crt} into ${ext}: its
 * notAfter, and its SANs in certificate order as DNS:, IP: (IPv4 dotted,
 * IPv6 by inet_ntop), URI:, EMAIL: (rfc822Name), or OTHER: and the hex of
 * the raw value for any other kind or a value not printable ASCII without
 * space, '"' or '\'; cut after the last whole entry that fits
 * GW_SANS_MAX bytes; no via.
 */
void
id_ext_from_crt(const mbedtls_x509_crt *crt, struct id_ext *ext)
{
	const mbedtls_x509_time *t = &crt->valid_to;
	const mbedtls_x509_sequence *s;
	struct tm tm = { .tm_year = t->year - 1900, .tm_mon = t->mon - 1,
	    .tm_mday = t->day, .tm_hour = t->hour, .tm_min = t->min,
	    .tm_sec = t->sec };
	time_t when = timegm(&tm);

	ext->not_after_ms = when > 0 ? (uint64_t)when * 1000 : 0;
	ext->sans_len = 0;
	ext->via_len = 0;
	for (s = &crt->subject_alt_names; s != NULL && s->buf.p != NULL;
	    s = s->next)
		if (id_san_entry(ext, &s->buf) != 0)
			break;		/* a whole entry, or none */
}

/**
 * id_ext_via(ext, via, self): set the via of ${ext} to the names of
 * ${via} (a valid via; none if NULL or empty) then ${self}, the sending
 * gateway's certificate CN.  Return 0, or -1 (no via set) if ${self} is
 * not a valid via name, is one of ${via}'s names already (a loop), or
 * ${via} holds GW_VIA_MAX names (no room).
 */
int
id_ext_via(struct id_ext *ext, const struct gw_str *via, const char *self)
{
	struct gw_str me = gw_str_text(self);
	size_t at = via != NULL ? via->len : 0;

	ext->via_len = 0;
	if (gw_via_count(&me) != 1)
		return -1;
	if (at > 0 && (gw_via_count(via) < 0 ||
	    gw_via_count(via) >= GW_VIA_MAX || gw_via_has(via, &me)))
		return -1;
	if (at + (at > 0) + me.len > sizeof(ext->via))
		return -1;
	if (at > 0) {
		memcpy(ext->via, via->p, at);
		ext->via[at++] = ' ';
	}
	memcpy(ext->via + at, me.p, me.len);
	ext->via_len = (uint16_t)(at + me.len);
	return 0;
}

/**
 * id_ext_from_view(v, ext): the identity extension of OPEN view ${v} into
 * ${ext}, as a relaying gateway sends it on (zeroed if ${v} has none).
 * Return 0, or -1 if its not_after is above 2^63-1 or its sans are not
 * printable ASCII (as gatewayd makes them) or too long.
 */
int
id_ext_from_view(const struct gw_identity *v, struct id_ext *ext)
{
	memset(ext, 0, sizeof(*ext));
	if (!v->has_ext)
		return 0;
	if (v->not_after_ms > (uint64_t)INT64_MAX ||
	    v->sans.len > sizeof(ext->sans))
		return -1;
	for (uint16_t i = 0; i < v->sans.len; i++)
		if (v->sans.p[i] < 0x20 || v->sans.p[i] > 0x7e)
			return -1;
	ext->not_after_ms = v->not_after_ms;
	ext->sans_len = v->sans.len;
	if (v->sans.len > 0)
		memcpy(ext->sans, v->sans.p, v->sans.len);
	return 0;
}
