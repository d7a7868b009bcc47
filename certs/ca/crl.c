/*
 * crl.c: the CRL writer (see crl.h).  RFC 5280 5.1: CertificateList ::=
 * SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue }.  The
 * ASN.1 writer works backwards from the end of the buffer.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/error.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>

#include "crl.h"

#define CRL_MAX		(256 * 1024)

#define W(expr) do {							\
	int rc_ = (expr);						\
	if (rc_ < 0)							\
		goto asn1;						\
	len += (size_t)rc_;						\
} while (0)

/* UTCTime "YYMMDDhhmmssZ" from "YYYYMMDDhhmmss" (years 1950-2049). */
static int
crl_time(unsigned char **p, unsigned char *start, const char *t)
{
	char s[14];

	memcpy(s, t + 2, 12);
	s[12] = 'Z';
	return mbedtls_asn1_write_tagged_string(p, start,
	    MBEDTLS_ASN1_UTC_TIME, s, 13);
}

/* The AlgorithmIdentifier of the CA key with SHA-256. */
static int
crl_sig_alg(unsigned char **p, unsigned char *start, mbedtls_pk_type_t type)
{
	const char *oid;
	size_t oid_len;
	int rc, par = 0;

	if (mbedtls_oid_get_oid_by_sig_alg(type, MBEDTLS_MD_SHA256, &oid,
	    &oid_len) != 0)
		return MBEDTLS_ERR_ASN1_INVALID_DATA;
	if (type == MBEDTLS_PK_RSA) {	/* RSA: explicit NULL parameters */
		if ((rc = mbedtls_asn1_write_null(p, start)) < 0)
			return rc;
		par = rc;
	}
	rc = mbedtls_asn1_write_algorithm_identifier_ext(p, start, oid, oid_len,
	    (size_t)par, type == MBEDTLS_PK_RSA);
	return rc < 0 ? rc : rc + par;
}

/*
 * One entry of revokedCertificates, SEQUENCE { serial, revocationDate },
 * written backwards before ${*p} (not before ${start}): its length, or -1.
 */
static int
crl_entry(unsigned char **p, unsigned char *start,
    const struct pki_revoked *r)
{
	size_t len = 0;

	W(crl_time(p, start, r->when));
	W(mbedtls_asn1_write_raw_buffer(p, start, r->serial, r->len));
	W(mbedtls_asn1_write_len(p, start, r->len));
	W(mbedtls_asn1_write_tag(p, start, MBEDTLS_ASN1_INTEGER));
	W(mbedtls_asn1_write_len(p, start, len));
	W(mbedtls_asn1_write_tag(p, start,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	return (int)len;
asn1:
	return -1;
}

/*
 * The TBSCertList of ${ca} (key ${type}) for the ${n} revoked ${v}, this
 * update ${now}, next update ${next}, written backwards before ${*p} (not
 * before ${start}): its length, or -1.
 */
static int
crl_tbs(unsigned char **p, unsigned char *start, const struct pki_ca *ca,
    mbedtls_pk_type_t type, const struct pki_revoked *v, size_t n,
    const char *now, const char *next)
{
	size_t len = 0;

	/* revokedCertificates, the newest last (written first) */
	for (size_t i = n; i-- > 0;)
		W(crl_entry(p, start, &v[i]));
	if (n > 0) {
		W(mbedtls_asn1_write_len(p, start, len));
		W(mbedtls_asn1_write_tag(p, start,
		    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	}
	W(crl_time(p, start, next));
	W(crl_time(p, start, now));
	W(mbedtls_asn1_write_raw_buffer(p, start, ca->crt.subject_raw.p,
	    ca->crt.subject_raw.len));
	W(crl_sig_alg(p, start, type));
	W(mbedtls_asn1_write_int(p, start, 1));		/* v2 */
	W(mbedtls_asn1_write_len(p, start, len));
	W(mbedtls_asn1_write_tag(p, start,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	return (int)len;
asn1:
	return -1;
}

/**
 * pki_crl_write(ca, rng, v, n, days, pem, pemlen, err, errlen): a v2 CRL
 * of the ${n} revoked certificates ${v}, this update now, next update in
 * ${days} days, signed with SHA-256 by ${ca}, as PEM into ${pem}.  0 or -1.
 */
int
pki_crl_write(struct pki_ca *ca, struct pki_rng *rng,
    const struct pki_revoked *v, size_t n, unsigned days, unsigned char *pem,
    size_t pemlen, char *err, size_t errlen)
{
	static unsigned char buf[CRL_MAX], tbs_copy[CRL_MAX];
	unsigned char *end = buf + sizeof(buf), *p = end;
	unsigned char hash[32], sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	mbedtls_pk_type_t type = mbedtls_pk_get_type(&ca->key) == MBEDTLS_PK_RSA ?
	    MBEDTLS_PK_RSA : MBEDTLS_PK_ECDSA;	/* an EC key signs ECDSA */
	size_t len = 0, tbs_len, sig_len, olen;
	char now[16], next[16];
	time_t t = time(NULL);
	struct tm tm;
	int rc;

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y%m%d%H%M%S", &tm);
	t += (time_t)days * 86400;
	gmtime_r(&t, &tm);
	strftime(next, sizeof(next), "%Y%m%d%H%M%S", &tm);
	if ((rc = crl_tbs(&p, buf, ca, type, v, n, now, next)) < 0)
		goto asn1;
	tbs_len = (size_t)rc;

	/* Sign the TBSCertList, then wrap it. */
	if ((rc = mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), p,
	    tbs_len, hash)) != 0 ||
	    (rc = mbedtls_pk_sign(&ca->key, MBEDTLS_MD_SHA256, hash,
	    sizeof(hash), sig, sizeof(sig), &sig_len, mbedtls_ctr_drbg_random,
	    &rng->drbg)) != 0) {
		char why[128];

		mbedtls_strerror(rc, why, sizeof(why));
		snprintf(err, errlen, "signing the CRL: %s", why);
		return -1;
	}
	/* Backwards: signature, its algorithm, then the TBS before them. */
	memcpy(tbs_copy, p, tbs_len);
	p = end;
	W(mbedtls_asn1_write_bitstring(&p, buf, sig, sig_len * 8));
	W(crl_sig_alg(&p, buf, type));
	W(mbedtls_asn1_write_raw_buffer(&p, buf, tbs_copy, tbs_len));
	W(mbedtls_asn1_write_len(&p, buf, len));
	W(mbedtls_asn1_write_tag(&p, buf,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	if ((rc = mbedtls_pem_write_buffer("-----BEGIN X509 CRL-----\n",
	    "-----END X509 CRL-----\n", p, (size_t)(end - p), pem, pemlen,
	    &olen)) != 0) {
		snprintf(err, errlen, "CRL too large for its buffer");
		return -1;
	}
	return 0;
asn1:
	snprintf(err, errlen, "CRL too large (%zu certificates)", n);
	return -1;
}
