/*
 * authority_renew.c: renewals (authority.h, decision 4): the certificate
 * an agent authenticated with at its gateway vouches for its new CSR.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <mbedtls/oid.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>

#include "authority_renew.h"
#include "identity.h"
#include "proto.h"

/*
 * DIR/ca.crl, re-read whenever the file changed (gw-cert writes a new
 * file: a new inode).  NULL if there is none; -1 if it is there but
 * unreadable, which fails renewals closed.
 */
static int
auth_crl(struct authority *a, mbedtls_x509_crl **crl)
{
	char path[4096];
	struct stat st;
	long long id[4];

	*crl = NULL;
	snprintf(path, sizeof(path), "%s/ca.crl", a->p.dir);
	if (stat(path, &st) != 0) {
		a->crl_state = AUTH_CRL_NONE;
		memset(a->crl_id, 0, sizeof(a->crl_id));
		return errno == ENOENT ? 0 : -1;
	}
	id[0] = (long long)st.st_ino;
	id[1] = (long long)st.st_size;
	id[2] = (long long)st.st_mtim.tv_sec;
	id[3] = (long long)st.st_mtim.tv_nsec;
	if (a->crl_state == AUTH_CRL_NONE ||
	    memcmp(id, a->crl_id, sizeof(id)) != 0) {
		mbedtls_x509_crl_free(&a->crl);
		mbedtls_x509_crl_init(&a->crl);
		a->crl_state = mbedtls_x509_crl_parse_file(&a->crl, path) == 0 ?
		    AUTH_CRL_OK : AUTH_CRL_BAD;
		memcpy(a->crl_id, id, sizeof(id));
	}
	if (a->crl_state != AUTH_CRL_OK)
		return -1;
	*crl = &a->crl;
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
auth_renew_due(const struct authority *a, const mbedtls_x509_crt *crt,
    char *when, size_t len)
{
	long long from = auth_time(&crt->valid_from);
	long long to = auth_time(&crt->valid_to);
	long long due = from + (to - from) / 100 * a->p.renew_after +
	    (to - from) % 100 * a->p.renew_after / 100;
	time_t t = (time_t)due;
	struct tm tm;

	if ((long long)time(NULL) >= due)
		return 1;
	gmtime_r(&t, &tm);
	strftime(when, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return 0;
}

/**
 * auth_renew_ok(a, der, derlen, name, reason, why, len): 1 if certificate
 * ${der} (attested by the gateway) may renew as ${name}: this CA signed it
 * (ca.crt's first certificate, not its parents), it is valid now, not on
 * DIR/ca.crl, a client certificate, named ${name}, and renew_after
 * percent of its validity is over.  Else 0, the refusal in ${reason}
 * (GW_R_POLICY, GW_R_REVOKED, GW_R_INTERNAL, GW_R_OVERLOAD: too early)
 * and ${why}.
 */
int
auth_renew_ok(struct authority *a, const uint8_t *der, size_t derlen,
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
	else if (auth_crl(a, &crl) != 0) {
		*reason = GW_R_INTERNAL;
		snprintf(why, len, "renewal: %s/ca.crl is unreadable",
		    a->p.dir);
	} else if (mbedtls_x509_crt_verify(&crt, &a->issuer, crl, NULL,
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
	else if (!auth_renew_due(a, &crt, when, sizeof(when))) {
		*reason = GW_R_OVERLOAD;
		snprintf(why, len, "renewal: certificate %s is too young: "
		    "it renews from %s on (renew_after %u%%)", id.serial,
		    when, a->p.renew_after);
	} else
		ok = 1;
	mbedtls_x509_crt_free(&crt);
	return ok;
}
