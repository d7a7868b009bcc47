/*
 * csr.c: PKCS#10 checks (csr.h).  mbedTLS parses the request; the
 * self-signature is verified here over the CertificationRequestInfo, as a
 * certificate's would be.
 */
#include <stdio.h>
#include <string.h>
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

/**
 * csr_check(der, len, out, err, errlen): parse the CSR ${der}, verify its
 * self-signature, accept only ECDSA P-256/P-384 or RSA 2048..8192 keys and
 * a CN of 1..64 characters from [A-Za-z0-9._-]; fill ${out}.  Return 0, or
 * GW_R_BAD_CSR with the reason in ${err}.
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
	if (mbedtls_x509_csr_parse_der(&csr, der, len) != 0) {
		snprintf(err, errlen, "not a PKCS#10 request (DER)");
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
