/*
 * authority_renew.c: renewals (authority.h, decision 4): the certificate
 * an agent authenticated with at its gateway vouches for its new CSR.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <mbedtls/oid.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>

#include "authority_renew.h"
#include "identity.h"
#include "proto.h"

#define AUTH_CRL_NONE	0	/* no DIR/ca.crl */
#define AUTH_CRL_OK	1
#define AUTH_CRL_BAD	2	/* there but unreadable: renewals fail */

/* The authority's part for renewals (authority.c holds a pointer). */
struct auth_renew {
	const char		*dir;		/* the authority's */
	unsigned		 renew_after;
	mbedtls_x509_crt	 issuer;	/* ca.crt's first */
	mbedtls_x509_crl	 crl;		/* DIR/ca.crl, as read */
	int			 crl_state;	/* AUTH_CRL_* */
	long long		 crl_id[4];	/* inode, size, mtime */
};

/*
 * DIR/ca.crl, re-read whenever the file changed (gw-cert writes a new
 * file: a new inode).  NULL if there is none; -1 if it is there but
 * unreadable, which fails renewals closed.
 */
static int
auth_crl(struct auth_renew *r, mbedtls_x509_crl **crl)
{
	char path[4096];
	struct stat st;
	long long id[4];

	*crl = NULL;
	snprintf(path, sizeof(path), "%s/ca.crl", r->dir);
	if (stat(path, &st) != 0) {
		r->crl_state = AUTH_CRL_NONE;
		memset(r->crl_id, 0, sizeof(r->crl_id));
		return errno == ENOENT ? 0 : -1;
	}
	id[0] = (long long)st.st_ino;
	id[1] = (long long)st.st_size;
	id[2] = (long long)st.st_mtim.tv_sec;
	id[3] = (long long)st.st_mtim.tv_nsec;
	if (r->crl_state == AUTH_CRL_NONE ||
	    memcmp(id, r->crl_id, sizeof(id)) != 0) {
		mbedtls_x509_crl_free(&r->crl);
		mbedtls_x509_crl_init(&r->crl);
		r->crl_state = mbedtls_x509_crl_parse_file(&r->crl, path) == 0 ?
		    AUTH_CRL_OK : AUTH_CRL_BAD;
		memcpy(r->crl_id, id, sizeof(id));
	}
	if (r->crl_state != AUTH_CRL_OK)
		return -1;
	*crl = &r->crl;
	return 0;
}

/* Why mbedtls_x509_crt_verify() said no, for the agent. */
static const char *
auth_verify_why(uint32_t flags)
{
	if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
		return "not issued by this CA";
	if (flags & MBEDTLS_X509_BADCERT_EXPIRED)
		return "expired";
	if (flags & MBEDTLS_X509_BADCERT_FUTURE)
		return "not valid yet";
	if (flags & (MBEDTLS_X509_BADCRL_EXPIRED | MBEDTLS_X509_BADCRL_FUTURE))
		return "the CA's CRL is out of date (gw-cert crl)";
	if (flags & MBEDTLS_X509_BADCRL_NOT_TRUSTED)
		return "the CA's CRL is not signed by the CA";
	return "does not verify";
}

/* ${t} as seconds since the epoch (UTC). */
static long long
auth_time(const mbedtls_x509_time *t)
{
	struct tm tm = { .tm_year = t->year - 1900, .tm_mon = t->mon - 1,
	    .tm_mday = t->day, .tm_hour = t->hour, .tm_min = t->min,
	    .tm_sec = t->sec };

	return (long long)timegm(&tm);
}

/*
 * 1 if ${crt} has lived renew_after percent of its validity: a renewal
 * before that would only multiply certificates (the agent renews when a
 * third is left, gw-agent --renew); else 0, when it may in ${when}.
 */
static int
auth_renew_due(const struct auth_renew *r, const mbedtls_x509_crt *crt,
    char *when, size_t len)
{
	long long from = auth_time(&crt->valid_from);
	long long to = auth_time(&crt->valid_to);
	long long due = from + (to - from) / 100 * r->renew_after +
	    (to - from) % 100 * r->renew_after / 100;
	time_t t = (time_t)due;
	struct tm tm;

	if ((long long)time(NULL) >= due)
		return 1;
	gmtime_r(&t, &tm);
	strftime(when, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return 0;
}

/**
 * auth_renew_ok(r, der, derlen, name, reason, why, len): 1 if certificate
 * ${der} (attested by the gateway) may renew as ${name}: this CA signed it
 * (ca.crt's first certificate, not its parents), it is valid now, not on
 * DIR/ca.crl, a client certificate, named ${name}, and renew_after
 * percent of its validity is over.  Else 0, the refusal in ${reason}
 * (GW_R_POLICY, GW_R_REVOKED, GW_R_INTERNAL, GW_R_OVERLOAD: too early)
 * and ${why}.
 */
int
auth_renew_ok(struct auth_renew *r, const uint8_t *der, size_t derlen,
    const char *name, unsigned *reason, char *why, size_t len)
{
	mbedtls_x509_crt crt;
	mbedtls_x509_crl *crl;
	struct id_info id;
	char when[32];
	uint32_t flags = 0;
	int ok = 0;

	mbedtls_x509_crt_init(&crt);
	*reason = GW_R_POLICY;
	if (mbedtls_x509_crt_parse_der(&crt, der, derlen) != 0 ||
	    id_from_crt(&crt, "", &id) != 0)
		snprintf(why, len, "renewal: unreadable certificate");
	else if (auth_crl(r, &crl) != 0) {
		*reason = GW_R_INTERNAL;
		snprintf(why, len, "renewal: %s/ca.crl is unreadable",
		    r->dir);
	} else if (mbedtls_x509_crt_verify(&crt, &r->issuer, crl, NULL,
	    &flags, NULL, NULL) != 0) {
		if (flags & MBEDTLS_X509_BADCERT_REVOKED) {
			*reason = GW_R_REVOKED;
			snprintf(why, len, "renewal: certificate %s is revoked",
			    id.serial);
		} else
			snprintf(why, len, "renewal: certificate %s %s",
			    id.serial, auth_verify_why(flags));
	} else if (mbedtls_x509_crt_check_extended_key_usage(&crt,
	    MBEDTLS_OID_CLIENT_AUTH,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)) != 0)
		snprintf(why, len, "renewal: certificate %s is not a client "
		    "certificate", id.serial);
	else if (strcmp(id.name, name) != 0)
		snprintf(why, len, "renewal: the CSR asks for '%.64s', the "
		    "certificate is '%.64s'", name, id.name);
	else if (!auth_renew_due(r, &crt, when, sizeof(when))) {
		*reason = GW_R_OVERLOAD;
		snprintf(why, len, "renewal: certificate %s is too young: "
		    "it renews from %s on (renew_after %u%%)", id.serial,
		    when, r->renew_after);
	} else
		ok = 1;
	mbedtls_x509_crt_free(&crt);
	return ok;
}

/**
 * auth_renew_new(dir, ca, renew_after, err, errlen): renewals to CA
 * directory ${dir} (valid until auth_renew_free), which chain to ${ca}
 * (ca.crt's first certificate: a copy is kept) and renew once
 * ${renew_after} percent of their validity is over.  NULL on error, with
 * ${err}.
 */
struct auth_renew *
auth_renew_new(const char *dir, const mbedtls_x509_crt *ca,
    unsigned renew_after, char *err, size_t errlen)
{
	struct auth_renew *r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->dir = dir;
	r->renew_after = renew_after;
	mbedtls_x509_crt_init(&r->issuer);
	mbedtls_x509_crl_init(&r->crl);
	/* Renewals chain to the CA that signs, not to its parents. */
	if (mbedtls_x509_crt_parse_der(&r->issuer, ca->raw.p,
	    ca->raw.len) != 0) {
		snprintf(err, errlen, "%s/ca.crt: cannot copy", dir);
		auth_renew_free(r);
		return NULL;
	}
	return r;
}

/** auth_renew_free(r): free ${r}; NULL is a no-op. */
void
auth_renew_free(struct auth_renew *r)
{
	if (r == NULL)
		return;
	mbedtls_x509_crt_free(&r->issuer);
	mbedtls_x509_crl_free(&r->crl);
	free(r);
}
