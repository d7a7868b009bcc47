/*
 * csr.c: PKCS#10 checks (csr.h).  mbedTLS parses the request; the
 * self-signature is verified here over the CertificationRequestInfo, as a
 * certificate's would be.  What a request asks for that no certificate of
 * ours may have, or how it is signed, is read here from the DER first:
 * mbedTLS refuses some of those (MD5, a critical basicConstraints) without
 * saying which part, and takes others (SHA-1, a non-critical CA:TRUE).
 */
#include <stdio.h>
#include <string.h>
#include <mbedtls/asn1.h>
#include <mbedtls/ecp.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_csr.h>

#include "csr.h"
#include "proto.h"

/**
 * csr_key_fp(pk, out): hex SHA-256 of public key ${pk} (DER
 * SubjectPublicKeyInfo) into ${out}; 0 or -1.
 */
int
csr_key_fp(const void *pk, char out[65])
{
	unsigned char der[2048], h[32];
	int n;

	if ((n = mbedtls_pk_write_pubkey_der((mbedtls_pk_context *)pk, der,
	    sizeof(der))) <= 0 ||
	    mbedtls_sha256(der + sizeof(der) - n, (size_t)n, h, 0) != 0)
		return -1;
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
	return 0;
}

static int
csr_key_ok(const mbedtls_pk_context *pk, char *desc, size_t len, char *err,
    size_t errlen)
{
	size_t bits = mbedtls_pk_get_bitlen(pk);

	switch (mbedtls_pk_get_type(pk)) {
	case MBEDTLS_PK_RSA:
		snprintf(desc, len, "RSA %zu", bits);
		if (bits >= 2048 && bits <= 8192)
			return 0;
		snprintf(err, errlen, "RSA key of %zu bits: use 2048 to 8192",
		    bits);
		return -1;
	case MBEDTLS_PK_ECKEY:
	case MBEDTLS_PK_ECDSA:
		switch (mbedtls_ecp_keypair_get_group_id(mbedtls_pk_ec(*pk))) {
		case MBEDTLS_ECP_DP_SECP256R1:
			snprintf(desc, len, "EC P-256");
			return 0;
		case MBEDTLS_ECP_DP_SECP384R1:
			snprintf(desc, len, "EC P-384");
			return 0;
		default:
			break;
		}
		snprintf(err, errlen, "EC key on a curve other than P-256 or "
		    "P-384");
		return -1;
	default:
		snprintf(err, errlen, "key type %s: use ECDSA or RSA",
		    mbedtls_pk_get_name(pk));
		return -1;
	}
}

static int
csr_name(const mbedtls_x509_name *n, char *out, size_t len, char *err,
    size_t errlen)
{
	const mbedtls_x509_name *cn = NULL;

	for (; n != NULL; n = n->next)
		if (n->oid.p != NULL &&
		    MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0) {
			if (cn != NULL) {
				snprintf(err, errlen, "more than one CN");
				return -1;
			}
			cn = n;
		}
	if (cn == NULL || cn->val.len == 0) {
		snprintf(err, errlen, "no CN in the subject");
		return -1;
	}
	if (cn->val.len > 64 || cn->val.len >= len) {
		snprintf(err, errlen, "CN longer than 64 characters");
		return -1;
	}
	for (size_t i = 0; i < cn->val.len; i++) {
		unsigned char c = cn->val.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		    c == '_')) {
			snprintf(err, errlen, "CN has a character outside "
			    "[A-Za-z0-9._-]");
			return -1;
		}
	}
	memcpy(out, cn->val.p, cn->val.len);
	out[cn->val.len] = '\0';
	return 0;
}

/* OIDs (DER contents) a refusal names. */
#define OID_PKCS1(x)	MBEDTLS_OID_PKCS1 x
#define OID_CE(x)	MBEDTLS_OID_ID_CE x
#define OID_DSA(x)	"\x2a\x86\x48\xce\x38\x04" x	/* 1.2.840.10040.4 */

struct csr_oid {
	const char	*oid;
	size_t		 len;
	const char	*name;
};
#define O(s, n)	{ s, sizeof(s) - 1, n }

/* Signature algorithms refused as weak, with the hash they use. */
static const struct csr_oid csr_weak_sig[] = {
	O(OID_PKCS1("\x02"), "MD2"), O(OID_PKCS1("\x03"), "MD4"),
	O(MBEDTLS_OID_PKCS1_MD5, "MD5"), O(MBEDTLS_OID_PKCS1_SHA1, "SHA-1"),
	O(MBEDTLS_OID_ECDSA_SHA1, "SHA-1"), O(OID_DSA("\x03"), "SHA-1"),
	{ NULL, 0, NULL }
};

/* Names for keys, curves, signatures and extensions we do not take. */
static const struct csr_oid csr_names[] = {
	O(MBEDTLS_OID_ED25519, "Ed25519"), O(MBEDTLS_OID_ED448, "Ed448"),
	O(MBEDTLS_OID_X25519, "X25519"), O(MBEDTLS_OID_X448, "X448"),
	O(OID_DSA("\x01"), "DSA"), O(MBEDTLS_OID_RSASSA_PSS, "RSASSA-PSS"),
	O(MBEDTLS_OID_EC_GRP_SECP521R1, "P-521"),
	O(MBEDTLS_OID_EC_GRP_SECP224R1, "P-224"),
	O(MBEDTLS_OID_EC_GRP_SECP192R1, "P-192"),
	O(MBEDTLS_OID_EC_GRP_SECP256K1, "secp256k1"),
	O(MBEDTLS_OID_EXTENDED_KEY_USAGE, "extendedKeyUsage"),
	O(MBEDTLS_OID_NAME_CONSTRAINTS, "nameConstraints"),
	O(MBEDTLS_OID_POLICY_CONSTRAINTS, "policyConstraints"),
	O(OID_CE("\x36"), "inhibitAnyPolicy"),
	O(OID_CE("\x20"), "certificatePolicies"),
	O(OID_CE("\x21"), "policyMappings"),
	{ NULL, 0, NULL }
};

/* Extensions only a CA's certificate has: refused even if not critical. */
static const struct csr_oid csr_ca_ext[] = {
	O(MBEDTLS_OID_NAME_CONSTRAINTS, ""),
	O(MBEDTLS_OID_POLICY_CONSTRAINTS, ""),
	O(OID_CE("\x36"), ""), O(OID_CE("\x21"), ""),
	{ NULL, 0, NULL }
};

/* Critical extensions mbedTLS's CSR parser understands. */
static const struct csr_oid csr_crit_ok[] = {
	O(MBEDTLS_OID_KEY_USAGE, ""), O(MBEDTLS_OID_SUBJECT_ALT_NAME, ""),
	O(MBEDTLS_OID_NS_CERT_TYPE, ""),
	{ NULL, 0, NULL }
};
#undef O

static const struct csr_oid *
csr_oid_find(const struct csr_oid *t, const mbedtls_asn1_buf *oid)
{
	for (; t->oid != NULL; t++)
		if (t->len == oid->len && memcmp(t->oid, oid->p, t->len) == 0)
			return t;
	return NULL;
}

/* Name ${oid} in ${buf}: "P-521 (1.3.132.0.35)", or the dotted form. */
static const char *
csr_oid_str(const mbedtls_asn1_buf *oid, char *buf, size_t len)
{
	const struct csr_oid *n = csr_oid_find(csr_names, oid);
	char num[64];

	if (mbedtls_oid_get_numeric_string(num, sizeof(num), oid) < 0)
		snprintf(num, sizeof(num), "?");
	if (n != NULL)
		snprintf(buf, len, "%s (%s)", n->name, num);
	else
		snprintf(buf, len, "%s", num);
	return buf;
}

/* Whether the extension ${oid} = ${p}..${end} asks for a CA; -1 if so. */
static int
csr_ext(const mbedtls_asn1_buf *oid, int crit, unsigned char *p,
    const unsigned char *end, char *err, size_t errlen)
{
	mbedtls_asn1_bitstring bs;
	char name[96];
	size_t n;
	int ca = 0;

	if (MBEDTLS_OID_CMP(MBEDTLS_OID_BASIC_CONSTRAINTS, oid) == 0) {
		if (mbedtls_asn1_get_tag(&p, end, &n, MBEDTLS_ASN1_CONSTRUCTED |
		    MBEDTLS_ASN1_SEQUENCE) == 0 && n > 0 &&
		    mbedtls_asn1_get_bool(&p, p + n, &ca) == 0 && ca != 0) {
			snprintf(err, errlen, "CSR asks for CA:TRUE");
			return -1;
		}
		return 0;
	}
	if (MBEDTLS_OID_CMP(MBEDTLS_OID_KEY_USAGE, oid) == 0) {
		if (mbedtls_asn1_get_bitstring(&p, end, &bs) == 0 &&
		    bs.len > 0 && (bs.p[0] & (MBEDTLS_X509_KU_KEY_CERT_SIGN |
		    MBEDTLS_X509_KU_CRL_SIGN)) != 0) {
			snprintf(err, errlen, "CSR asks for key usage %s",
			    (bs.p[0] & MBEDTLS_X509_KU_KEY_CERT_SIGN) ?
			    "keyCertSign" : "cRLSign");
			return -1;
		}
		return 0;
	}
	if (csr_oid_find(csr_ca_ext, oid) != NULL) {
		snprintf(err, errlen, "CSR has forbidden extension %s "
		    "(for CAs only)", csr_oid_str(oid, name, sizeof(name)));
		return -1;
	}
	if (crit && csr_oid_find(csr_crit_ok, oid) == NULL) {
		snprintf(err, errlen, "CSR has forbidden extension %s "
		    "(critical, not supported)", csr_oid_str(oid, name,
		    sizeof(name)));
		return -1;
	}
	return 0;
}

/* The attributes ${p}..${end}: each requested extension to csr_ext. */
static int
csr_attrs(unsigned char *p, const unsigned char *end, char *err,
    size_t errlen)
{
	mbedtls_asn1_buf oid = { .tag = MBEDTLS_ASN1_OID };
	unsigned char *aend, *xend, *eend;
	size_t n;
	int crit, rc;

	for (; p < end; p = aend) {
		if (mbedtls_asn1_get_tag(&p, end, &n, MBEDTLS_ASN1_CONSTRUCTED |
		    MBEDTLS_ASN1_SEQUENCE) != 0)
			return 0;
		aend = p + n;
		if (mbedtls_asn1_get_tag(&p, aend, &oid.len,
		    MBEDTLS_ASN1_OID) != 0)
			return 0;
		oid.p = p;
		p += oid.len;
		if (MBEDTLS_OID_CMP(MBEDTLS_OID_PKCS9_CSR_EXT_REQ, &oid) != 0)
			continue;
		if (mbedtls_asn1_get_tag(&p, aend, &n,
		    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SET) != 0 ||
		    mbedtls_asn1_get_tag(&p, aend, &n,
		    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0)
			return 0;
		for (xend = p + n; p < xend; p = eend) {
			if (mbedtls_asn1_get_tag(&p, xend, &n,
			    MBEDTLS_ASN1_CONSTRUCTED |
			    MBEDTLS_ASN1_SEQUENCE) != 0)
				return 0;
			eend = p + n;
			crit = 0;
			if (mbedtls_asn1_get_tag(&p, eend, &oid.len,
			    MBEDTLS_ASN1_OID) != 0)
				return 0;
			oid.p = p;
			p += oid.len;
			/* critical BOOLEAN DEFAULT FALSE */
			if (((rc = mbedtls_asn1_get_bool(&p, eend, &crit)) !=
			    0 && rc != MBEDTLS_ERR_ASN1_UNEXPECTED_TAG) ||
			    mbedtls_asn1_get_tag(&p, eend, &n,
			    MBEDTLS_ASN1_OCTET_STRING) != 0)
				return 0;
			if (csr_ext(&oid, crit, p, p + n, err, errlen) != 0)
				return -1;
		}
	}
	return 0;
}

/* The key ${p}..${end} (SubjectPublicKeyInfo): a type or curve we refuse. */
static int
csr_spki(unsigned char *p, const unsigned char *end, char *err,
    size_t errlen)
{
	mbedtls_asn1_buf alg, params;
	char name[96];

	if (mbedtls_asn1_get_alg(&p, end, &alg, &params) != 0)
		return 0;
	if (MBEDTLS_OID_CMP(MBEDTLS_OID_PKCS1_RSA, &alg) == 0)
		return 0;
	if (MBEDTLS_OID_CMP(MBEDTLS_OID_EC_ALG_UNRESTRICTED, &alg) != 0) {
		snprintf(err, errlen, "key type %s: use ECDSA or RSA",
		    csr_oid_str(&alg, name, sizeof(name)));
		return -1;
	}
	if (params.tag != MBEDTLS_ASN1_OID ||
	    MBEDTLS_OID_CMP(MBEDTLS_OID_EC_GRP_SECP256R1, &params) == 0 ||
	    MBEDTLS_OID_CMP(MBEDTLS_OID_EC_GRP_SECP384R1, &params) == 0)
		return 0;
	snprintf(err, errlen, "EC key on curve %s: use P-256 or P-384",
	    csr_oid_str(&params, name, sizeof(name)));
	return -1;
}

/*
 * csr_policy(der, len, err, errlen): name what the CSR ${der} is signed
 * with or asks for that we refuse: a weak or unknown signature algorithm,
 * CA:TRUE, a CA's key usage or extension, a critical extension mbedTLS does
 * not parse, a key type or curve we do not take.  Return -1 with the reason
 * in ${err}, else 0 (also for DER it cannot walk: mbedTLS then says no).
 */
static int
csr_policy(const uint8_t *der, size_t len, char *err, size_t errlen)
{
	unsigned char *p = (unsigned char *)(uintptr_t)der, *end = p + len;
	unsigned char *cri, *cend;
	mbedtls_asn1_buf alg, params;
	const struct csr_oid *w;
	mbedtls_md_type_t md;
	mbedtls_pk_type_t pk;
	char name[96];
	size_t n;

	if (mbedtls_asn1_get_tag(&p, end, &n, MBEDTLS_ASN1_CONSTRUCTED |
	    MBEDTLS_ASN1_SEQUENCE) != 0)
		return 0;
	end = p + n;
	if (mbedtls_asn1_get_tag(&p, end, &n, MBEDTLS_ASN1_CONSTRUCTED |
	    MBEDTLS_ASN1_SEQUENCE) != 0)
		return 0;
	cri = p;
	cend = p + n;
	p = cend;
	/* The signature first: it vouches for everything else. */
	if (mbedtls_asn1_get_alg(&p, end, &alg, &params) == 0) {
		if ((w = csr_oid_find(csr_weak_sig, &alg)) != NULL) {
			snprintf(err, errlen, "CSR signed with %s: weak "
			    "signature", w->name);
			return -1;
		}
		if (mbedtls_oid_get_sig_alg(&alg, &md, &pk) != 0) {
			snprintf(err, errlen, "CSR signed with %s: "
			    "unsupported signature algorithm",
			    csr_oid_str(&alg, name, sizeof(name)));
			return -1;
		}
	}
	/* version, subject, subjectPKInfo, [0] attributes */
	p = cri;
	if (mbedtls_asn1_get_tag(&p, cend, &n, MBEDTLS_ASN1_INTEGER) != 0)
		return 0;
	p += n;
	if (mbedtls_asn1_get_tag(&p, cend, &n, MBEDTLS_ASN1_CONSTRUCTED |
	    MBEDTLS_ASN1_SEQUENCE) != 0)
		return 0;
	p += n;
	if (mbedtls_asn1_get_tag(&p, cend, &n, MBEDTLS_ASN1_CONSTRUCTED |
	    MBEDTLS_ASN1_SEQUENCE) != 0)
		return 0;
	if (csr_spki(p, p + n, err, errlen) != 0)
		return -1;
	p += n;
	if (mbedtls_asn1_get_tag(&p, cend, &n, MBEDTLS_ASN1_CONSTRUCTED |
	    MBEDTLS_ASN1_CONTEXT_SPECIFIC) != 0)
		return 0;
	return csr_attrs(p, p + n, err, errlen);
}

/**
 * csr_check(der, len, out, err, errlen): parse the CSR ${der}, verify its
 * self-signature, accept only ECDSA P-256/P-384 or RSA 2048..8192 keys and
 * a CN of 1..64 characters from [A-Za-z0-9._-]; refuse a signature with
 * MD5 or SHA-1, a request for CA:TRUE, keyCertSign or cRLSign, a CA's
 * extension, a critical extension other than keyUsage, subjectAltName and
 * nsCertType; fill ${out}.  Return 0, or GW_R_BAD_CSR with the reason,
 * which names the cause, in ${err}.
 */
int
csr_check(const uint8_t *der, size_t len, struct csr_info *out, char *err,
    size_t errlen)
{
	mbedtls_x509_csr csr;
	const mbedtls_md_info_t *md;
	unsigned char hash[MBEDTLS_MD_MAX_SIZE];
	int rc = GW_R_BAD_CSR;

	memset(out, 0, sizeof(*out));
	mbedtls_x509_csr_init(&csr);
	if (len == 0 || len > CSR_DER_MAX) {
		snprintf(err, errlen, "CSR of %zu bytes (1..%d)", len,
		    CSR_DER_MAX);
		goto out;
	}
	if (csr_policy(der, len, err, errlen) != 0)
		goto out;
	if (mbedtls_x509_csr_parse_der(&csr, der, len) != 0) {
		snprintf(err, errlen, "not a PKCS#10 request (DER)");
		goto out;
	}
	/* RSASSA-PSS names its hash in its parameters. */
	if (csr.MBEDTLS_PRIVATE(sig_md) == MBEDTLS_MD_SHA1) {
		snprintf(err, errlen, "CSR signed with SHA-1: weak signature");
		goto out;
	}
	if ((md = mbedtls_md_info_from_type(csr.MBEDTLS_PRIVATE(sig_md))) ==
	    NULL || mbedtls_md(md, csr.cri.p, csr.cri.len, hash) != 0 ||
	    mbedtls_pk_verify_ext(csr.MBEDTLS_PRIVATE(sig_pk),
	    csr.MBEDTLS_PRIVATE(sig_opts), &csr.pk, csr.MBEDTLS_PRIVATE(sig_md),
	    hash, mbedtls_md_get_size(md), csr.MBEDTLS_PRIVATE(sig).p,
	    csr.MBEDTLS_PRIVATE(sig).len) != 0) {
		snprintf(err, errlen, "signature does not verify");
		goto out;
	}
	if (csr_key_ok(&csr.pk, out->key_desc, sizeof(out->key_desc), err,
	    errlen) != 0 ||
	    csr_name(&csr.subject, out->name, sizeof(out->name), err,
	    errlen) != 0)
		goto out;
	if (csr_key_fp(&csr.pk, out->key_fp) != 0) {
		snprintf(err, errlen, "cannot encode the public key");
		goto out;
	}
	rc = 0;
out:
	mbedtls_x509_csr_free(&csr);
	return rc;
}
