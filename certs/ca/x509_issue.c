/*
 * x509_issue.c: certificates with mbedTLS's X.509 writer (see
 * x509_issue.h).  Profile: X.509 v3, SHA-256 signatures, random 128-bit
 * serials, subject and authority key identifiers; a CA has
 * basicConstraints CA:true (path length 0) and keyCertSign|cRLSign; a leaf
 * has CA:false, digitalSignature (and keyEncipherment for RSA), the
 * extended key usage of its role and the SANs DNS:<name>, --dns, --ip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/rsa.h>
#include <psa/crypto.h>

#include "keyfile.h"
#include "pkikey.h"
#include "x509_issue.h"

#define PKI_DN_MAX	512


static void
pki_time(char out[16], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 16, "%Y%m%d%H%M%S", &tm);
}

/**
 * pki_validity(req, days): not_before one hour ago (clock skew), not_after
 * ${days} days from now.
 */
void
pki_validity(struct pki_req *req, unsigned days)
{
	time_t now = time(NULL);

	pki_time(req->not_before, now - 3600);
	pki_time(req->not_after, now + (time_t)days * 86400);
}

/**
 * pki_ca_load(ca, dir, rng, err, errlen): load ${dir}/ca.crt and
 * ${dir}/ca.key into ${ca}.  0 or -1; pki_ca_free() in both cases.
 */
int
pki_ca_load(struct pki_ca *ca, const char *dir, struct pki_rng *rng,
    char *err, size_t errlen)
{
	char path[4096];
	size_t len;
	FILE *f;
	int rc;

	mbedtls_x509_crt_init(&ca->crt);
	mbedtls_pk_init(&ca->key);
	ca->crt_pem = NULL;
	snprintf(path, sizeof(path), "%s/ca.crt", dir);
	if ((rc = mbedtls_x509_crt_parse_file(&ca->crt, path)) != 0)
		return pki_mberr(err, errlen, path, rc);
	/* No accessor in mbedTLS 3.6 for basicConstraints CA. */
	if (!ca->crt.MBEDTLS_PRIVATE(ca_istrue)) {
		snprintf(err, errlen, "%s: not a CA certificate", path);
		return -1;
	}
	if ((f = fopen(path, "r")) == NULL ||
	    (ca->crt_pem = calloc(1, 65536)) == NULL) {
		snprintf(err, errlen, "%s: cannot read", path);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	len = fread(ca->crt_pem, 1, 65535, f);
	fclose(f);
	ca->crt_pem[len] = '\0';
	snprintf(path, sizeof(path), "%s/ca.key", dir);
	/* Owner only (keyfile.c): SECURITY.md's promise for every key. */
	if (keyfile_pk(&ca->key, path, mbedtls_ctr_drbg_random, &rng->drbg,
	    err, errlen) != 0)
		return -1;
	if ((rc = mbedtls_pk_check_pair(&ca->crt.pk, &ca->key,
	    mbedtls_ctr_drbg_random, &rng->drbg)) != 0) {
		snprintf(err, errlen, "%s does not belong to %s/ca.crt", path,
		    dir);
		return -1;
	}
	return 0;
}

/** pki_ca_free(ca): free ${ca}. */
void
pki_ca_free(struct pki_ca *ca)
{
	mbedtls_x509_crt_free(&ca->crt);
	mbedtls_pk_free(&ca->key);
	free(ca->crt_pem);
	ca->crt_pem = NULL;
}

/*
 * The issuer name exactly as the CA's subject is encoded: each attribute
 * as "OID=#<DER hex>", so string types and case survive unchanged.
 */
static int
pki_issuer_string(const mbedtls_x509_name *n, char *out, size_t outlen)
{
	size_t off = 0;
	char oid[64];

	out[0] = '\0';
	for (; n != NULL; n = n->next) {
		if (n->oid.p == NULL)
			continue;
		if (mbedtls_oid_get_numeric_string(oid, sizeof(oid),
		    &n->oid) < 0 || n->val.len > 127)
			return -1;
		off += (size_t)snprintf(out + off, outlen - off, "%s%s=#%02x%02x",
		    off ? "," : "", oid, (unsigned)n->val.tag,
		    (unsigned)n->val.len);
		for (size_t i = 0; i < n->val.len && off < outlen; i++)
			off += (size_t)snprintf(out + off, outlen - off, "%02x",
			    n->val.p[i]);
		if (off >= outlen)
			return -1;
	}
	return 0;
}

/* The hash a signature by ${signer} takes: SHA-384 for P-384, else SHA-256. */
static mbedtls_md_type_t
pki_md_for(mbedtls_pk_context *signer)
{
	if (mbedtls_pk_get_type(signer) == MBEDTLS_PK_ECKEY &&
	    mbedtls_pk_get_bitlen(signer) == 384)
		return MBEDTLS_MD_SHA384;
	return MBEDTLS_MD_SHA256;
}

/*
 * A leaf's extensions: the extended key usage of its role (a server,
 * a client or both) and its SANs (DNS:<name>, --dns, --ip).  The writer
 * copies them.  0 or -1.
 */
static int
pki_leaf_ext(mbedtls_x509write_cert *w, const struct pki_req *req,
    char *err, size_t errlen)
{
	mbedtls_asn1_sequence eku[2];
	mbedtls_x509_san_list san[1 + 2 * PKI_MAX_SAN];
	size_t n = 0, nsan = 0, i;
	int rc;

	memset(eku, 0, sizeof(eku));
	memset(san, 0, sizeof(san));
	if (req->role != PKI_ROLE_AGENT) {	/* a TLS server */
		eku[n].buf.tag = MBEDTLS_ASN1_OID;
		eku[n].buf.p = (unsigned char *)MBEDTLS_OID_SERVER_AUTH;
		eku[n].buf.len = MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH);
		n++;
	}
	if (req->role != PKI_ROLE_MGMT) {	/* a TLS client */
		eku[n].buf.tag = MBEDTLS_ASN1_OID;
		eku[n].buf.p = (unsigned char *)MBEDTLS_OID_CLIENT_AUTH;
		eku[n].buf.len = MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH);
		n++;
	}
	if (n == 2)
		eku[0].next = &eku[1];
	san[nsan].node.type = MBEDTLS_X509_SAN_DNS_NAME;
	san[nsan].node.san.unstructured_name.p = (unsigned char *)req->name;
	san[nsan].node.san.unstructured_name.len = strlen(req->name);
	nsan++;
	for (i = 0; i < req->ndns; i++, nsan++) {
		san[nsan].node.type = MBEDTLS_X509_SAN_DNS_NAME;
		san[nsan].node.san.unstructured_name.p =
		    (unsigned char *)req->dns[i];
		san[nsan].node.san.unstructured_name.len = strlen(req->dns[i]);
	}
	for (i = 0; i < req->nip; i++, nsan++) {
		san[nsan].node.type = MBEDTLS_X509_SAN_IP_ADDRESS;
		san[nsan].node.san.unstructured_name.p =
		    (unsigned char *)req->ip[i];
		san[nsan].node.san.unstructured_name.len = req->iplen[i];
	}
	for (i = 0; i + 1 < nsan; i++)
		san[i].next = &san[i + 1];
	if ((rc = mbedtls_x509write_crt_set_ext_key_usage(w, eku)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_subject_alternative_name(w,
	    san)) != 0)
		return pki_mberr(err, errlen, "certificate extensions", rc);
	return 0;
}

/*
 * What every certificate has: version 3, a random positive 16-byte
 * serial, validity, subject and issuer (${ca}'s subject, or ${subject}
 * when self-signed), basic constraints (a root may sign one intermediate
 * level; an intermediate none), key identifiers, key usage.  0 or -1.
 */
static int
pki_base(mbedtls_x509write_cert *w, const struct pki_req *req,
    mbedtls_pk_context *key, struct pki_ca *ca, struct pki_rng *rng,
    const char *subject, char *err, size_t errlen)
{
	unsigned char serial[16];
	char issuer[PKI_DN_MAX];
	unsigned usage;
	int rc, is_ca = req->role == PKI_ROLE_CA;

	if ((rc = mbedtls_ctr_drbg_random(&rng->drbg, serial,
	    sizeof(serial))) != 0)
		return pki_mberr(err, errlen, "serial", rc);
	serial[0] &= 0x7f;	/* positive */
	serial[0] |= 0x01;	/* and 16 bytes long */
	if (ca != NULL && pki_issuer_string(&ca->crt.subject, issuer,
	    sizeof(issuer)) != 0) {
		snprintf(err, errlen, "CA subject too long");
		return -1;
	}
	mbedtls_x509write_crt_set_version(w, MBEDTLS_X509_CRT_VERSION_3);
	/* A P-384 signer signs with SHA-384 (the strength of its curve). */
	mbedtls_x509write_crt_set_md_alg(w, pki_md_for(ca ? &ca->key : key));
	mbedtls_x509write_crt_set_subject_key(w, key);
	mbedtls_x509write_crt_set_issuer_key(w, ca ? &ca->key : key);
	usage = is_ca ? MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN :
	    MBEDTLS_X509_KU_DIGITAL_SIGNATURE |
	    (mbedtls_pk_get_type(key) == MBEDTLS_PK_RSA ?
	    MBEDTLS_X509_KU_KEY_ENCIPHERMENT : 0);
	if ((rc = mbedtls_x509write_crt_set_serial_raw(w, serial,
	    sizeof(serial))) != 0 ||
	    (rc = mbedtls_x509write_crt_set_validity(w, req->not_before,
	    req->not_after)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_subject_name(w, subject)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_issuer_name(w, ca ? issuer :
	    subject)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_basic_constraints(w, is_ca,
	    is_ca ? (ca == NULL ? 1 : 0) : -1)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_subject_key_identifier(w)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_authority_key_identifier(w)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_key_usage(w, usage)) != 0)
		return pki_mberr(err, errlen, "certificate", rc);
	return 0;
}

/**
 * pki_sign(req, key, ca, rng, crt_pem, crtlen, err, errlen): a certificate
 * for ${req} and the public key of ${key}, signed by ${ca} (or by ${key}
 * itself when ${ca} is NULL: a root CA), as PEM into ${crt_pem}.  0 or -1.
 */
int
pki_sign(const struct pki_req *req, mbedtls_pk_context *key,
    struct pki_ca *ca, struct pki_rng *rng, unsigned char *crt_pem,
    size_t crtlen, char *err, size_t errlen)
{
	mbedtls_x509write_cert w;
	char subject[PKI_DN_MAX];
	int rc, ret = -1;

	mbedtls_x509write_crt_init(&w);
	if (strpbrk(req->name, ",=+\\\"<>;#") != NULL) {
		snprintf(err, errlen, "name '%s': use letters, digits, spaces, "
		    "'.', '-', '_'", req->name);
		goto out;
	}
	snprintf(subject, sizeof(subject), "CN=%s,O=gatewayd", req->name);
	if (pki_base(&w, req, key, ca, rng, subject, err, errlen) != 0 ||
	    (req->role != PKI_ROLE_CA &&
	    pki_leaf_ext(&w, req, err, errlen) != 0))
		goto out;
	if ((rc = mbedtls_x509write_crt_pem(&w, crt_pem, crtlen,
	    mbedtls_ctr_drbg_random, &rng->drbg)) != 0) {
		pki_mberr(err, errlen, "signing", rc);
		goto out;
	}
	ret = 0;
out:
	mbedtls_x509write_crt_free(&w);
	return ret;
}

/**
 * pki_make(req, ca, rng, crt_pem, crtlen, key_pem, keylen, err, errlen):
 * generate a key and a certificate for ${req}, signed by ${ca} (or
 * self-signed when ${ca} is NULL, which makes a CA), as PEM into
 * ${crt_pem} and ${key_pem}.  0 or -1.
 */
int
pki_make(const struct pki_req *req, struct pki_ca *ca, struct pki_rng *rng,
    unsigned char *crt_pem, size_t crtlen, unsigned char *key_pem,
    size_t keylen, char *err, size_t errlen)
{
	mbedtls_pk_context key;
	int rc, ret = -1;

	mbedtls_pk_init(&key);
	rc = req->rsa_bits != 0 ?
	    pki_genkey(&key, req->rsa_bits, rng, err, errlen) :
	    pki_genkey_ec(&key, req->ec_bits, rng, err, errlen);
	if (rc != 0 ||
	    pki_sign(req, &key, ca, rng, crt_pem, crtlen, err, errlen) != 0)
		goto out;
	if ((rc = mbedtls_pk_write_key_pem(&key, key_pem, keylen)) != 0) {
		pki_mberr(err, errlen, "key", rc);
		goto out;
	}
	ret = 0;
out:
	mbedtls_pk_free(&key);
	return ret;
}
