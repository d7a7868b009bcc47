/*
 * policy.c: the agent admission policy (policy.h): configuration values
 * compiled into lists of globs, address ranges and fingerprints, checked
 * against a verified certificate.  Deny rules first, then every allow key
 * that is set.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/sha256.h>
#include <mbedtls/x509.h>

#include "conf_util.h"
#include "identity.h"
#include "policy.h"

#define POLICY_ITEMS_MAX	256	/* items in one key */
#define POLICY_ITEM_LEN		255	/* bytes in one item */
#define FP_LEN			32	/* SHA-256 */

enum pkey {
	PK_NAMES, PK_ISSUERS, PK_SAN_DNS, PK_SAN_IP, PK_SAN_URI,
	PK_DENY_NAMES, PK_DENY_FP, PK_N
};

static const char *const pkey_name[PK_N] = {
	"agent_names", "agent_issuers", "agent_san_dns", "agent_san_ip",
	"agent_san_uri", "deny_names", "deny_fingerprints"
};

/* One item of a key: a glob, an address range, or a fingerprint. */
struct pitem {
	char		*glob;		/* NULL unless a glob */
	int		 is_fp;		/* fp holds a SHA-256 */
	uint8_t		 fp[FP_LEN];
	uint8_t		 net[16];	/* address, host bits cleared */
	unsigned	 netlen;	/* 4 or 16; 0 unless a range */
	unsigned	 bits;		/* prefix length */
	mbedtls_x509_crt *ca;		/* agent_issuers fingerprint: its CA */
	int		 ambiguous;	/* another CA of agent_ca has its DN */
};

struct policy {
	char		*value[PK_N];	/* as written; NULL: key not set */
	struct pitem	*item[PK_N];
	size_t		 nitem[PK_N];
};

static void
pkey_clear(struct policy *p, enum pkey k)
{
	for (size_t i = 0; i < p->nitem[k]; i++) {
		free(p->item[k][i].glob);
		if (p->item[k][i].ca != NULL) {
			mbedtls_x509_crt_free(p->item[k][i].ca);
			free(p->item[k][i].ca);
		}
	}
	free(p->item[k]);
	free(p->value[k]);
	p->item[k] = NULL;
	p->nitem[k] = 0;
	p->value[k] = NULL;
}

/** policy_new(): an empty policy (admits every certificate), or NULL. */
struct policy *
policy_new(void)
{
	return calloc(1, sizeof(struct policy));
}

/** policy_free(p): free ${p}; NULL-safe. */
void
policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	for (int k = 0; k < PK_N; k++)
		pkey_clear(p, (enum pkey)k);
	free(p);
}

/* "sha256:AB:CD..." or 64 hex digits into ${fp}; 0 or -1. */
static int
parse_fp(const char *s, uint8_t fp[FP_LEN])
{
	if (strncasecmp(s, "sha256:", 7) == 0)
		s += 7;
	return conf_hex(s, fp, FP_LEN) == FP_LEN ? 0 : -1;
}

/* "192.0.2.7", "10.0.0.0/8", "2001:db8::/32" into ${it}; 0 or -1. */
static int
parse_net(char *s, struct pitem *it)
{
	char *slash = strchr(s, '/');
	unsigned long bits;
	char *end;

	if (slash != NULL)
		*slash = '\0';
	if (inet_pton(AF_INET, s, it->net) == 1)
		it->netlen = 4;
	else if (inet_pton(AF_INET6, s, it->net) == 1)
		it->netlen = 16;
	else
		return -1;
	it->bits = it->netlen * 8;
	if (slash != NULL) {
		if (!isdigit((unsigned char)slash[1]))
			return -1;
		bits = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || bits > it->bits)
			return -1;
		it->bits = (unsigned)bits;
	}
	for (unsigned i = it->bits; i < it->netlen * 8; i++)
		it->net[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	return 0;
}

/* Compile one trimmed item ${s} of key ${k} into ${it}. */
static int
parse_item(enum pkey k, const char *s, struct pitem *it, char *why,
    size_t whylen)
{
	switch (k) {
	case PK_SAN_IP: {
		char net[POLICY_ITEM_LEN + 1];

		snprintf(net, sizeof(net), "%s", s);
		if (parse_net(net, it) != 0)
			goto bad;
		return 0;
	}
	case PK_DENY_FP:
		if (parse_fp(s, it->fp) != 0)
			goto bad;
		it->is_fp = 1;
		return 0;
	case PK_ISSUERS:
		if (strncasecmp(s, "sha256:", 7) == 0) {
			if (parse_fp(s, it->fp) != 0)
				goto bad;
			it->is_fp = 1;
			return 0;
		}
		break;
	default:
		break;
	}
	if ((it->glob = strdup(s)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
bad:
	snprintf(why, whylen, "\"%s\": not %s", s, k == PK_SAN_IP ?
	    "an IP address or CIDR range" : "a SHA-256 fingerprint "
	    "(64 hex digits, colons allowed, \"sha256:\" prefix)");
	return -1;
}

/**
 * policy_set(p, key, value, why, whylen): compile ${value} of the policy
 * key ${key} into ${p} (replacing what that key held).  Return 0; -1 if
 * ${value} is malformed, the reason in ${why}, and the key left unset (the
 * caller discards ${p}); -2 if ${key} is no policy key.
 */
int
policy_set(struct policy *p, const char *key, const char *value,
    char *why, size_t whylen)
{
	char item[POLICY_ITEM_LEN + 1];
	const char *s, *end;
	enum pkey k;
	char sep;
	size_t len;
	int ki;

	for (ki = 0; ki < PK_N && strcmp(key, pkey_name[ki]) != 0; ki++)
		;
	if (ki == PK_N)
		return -2;
	k = (enum pkey)ki;
	pkey_clear(p, k);
	if ((p->value[k] = strdup(value)) == NULL ||
	    (p->item[k] = calloc(POLICY_ITEMS_MAX, sizeof(struct pitem))) ==
	    NULL)
		goto nomem;
	/* A DN has commas: issuers are separated by '|'. */
	sep = k == PK_ISSUERS ? '|' : ',';
	for (s = value; *s != '\0'; s = *end ? end + 1 : end) {
		if ((end = strchr(s, sep)) == NULL)
			end = s + strlen(s);
		while (s < end && isspace((unsigned char)*s))
			s++;
		len = (size_t)(end - s);
		while (len > 0 && isspace((unsigned char)s[len - 1]))
			len--;
		if (len == 0)
			continue;	/* "a, b," */
		if (len > POLICY_ITEM_LEN) {
			snprintf(why, whylen, "an item is longer than %d "
			    "bytes", POLICY_ITEM_LEN);
			goto fail;
		}
		if (p->nitem[k] == POLICY_ITEMS_MAX) {
			snprintf(why, whylen, "more than %d items",
			    POLICY_ITEMS_MAX);
			goto fail;
		}
		memcpy(item, s, len);
		item[len] = '\0';
		if (parse_item(k, item, &p->item[k][p->nitem[k]], why,
		    whylen) != 0)
			goto fail;
		p->nitem[k]++;
	}
	if (p->nitem[k] == 0 && k != PK_NAMES) {
		snprintf(why, whylen, "no item");
		goto fail;
	}
	return 0;
nomem:
	snprintf(why, whylen, "out of memory");
fail:
	pkey_clear(p, k);
	return -1;
}

/** policy_has_fingerprints(p): 1 if agent_issuers names a fingerprint. */
int
policy_has_fingerprints(const struct policy *p)
{
	for (size_t i = 0; i < p->nitem[PK_ISSUERS]; i++)
		if (p->item[PK_ISSUERS][i].is_fp)
			return 1;
	return 0;
}

static int
same_raw(const mbedtls_x509_buf *a, const mbedtls_x509_buf *b)
{
	return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

/* Keep in ${it} a copy of the certificate of ${bundle} with its fp. */
static int
policy_ca_find(struct pitem *it, const mbedtls_x509_crt *bundle)
{
	const mbedtls_x509_crt *c, *hit = NULL;
	uint8_t fp[FP_LEN];

	for (c = bundle; c != NULL && c->raw.len > 0; c = c->next)
		if (mbedtls_sha256(c->raw.p, c->raw.len, fp, 0) == 0 &&
		    memcmp(fp, it->fp, FP_LEN) == 0)
			hit = c;
	if (hit == NULL)
		return -1;
	for (c = bundle; c != NULL && c->raw.len > 0; c = c->next)
		if (c != hit && same_raw(&c->subject_raw, &hit->subject_raw))
			it->ambiguous = 1;
	if ((it->ca = malloc(sizeof(*it->ca))) == NULL)
		return -1;
	mbedtls_x509_crt_init(it->ca);
	return mbedtls_x509_crt_parse_der(it->ca, hit->raw.p, hit->raw.len) ==
	    0 ? 0 : -1;
}

/**
 * policy_cas(p, path, why, whylen): find each agent_issuers fingerprint of
 * ${p} among the certificates of the PEM bundle ${path} (agent_ca) and
 * keep that CA.  Read nothing if ${p} has no fingerprint.  Return 0, or -1
 * (the file does not load, or a fingerprint is none of its certificates)
 * with the reason in ${why}.
 */
int
policy_cas(struct policy *p, const char *path, char *why, size_t whylen)
{
	mbedtls_x509_crt bundle;
	char hex[2 * FP_LEN + 1];
	int rc = 0;

	if (!policy_has_fingerprints(p))
		return 0;
	mbedtls_x509_crt_init(&bundle);
	if (mbedtls_x509_crt_parse_file(&bundle, path) != 0) {
		snprintf(why, whylen, "%s: cannot load the agent CAs", path);
		rc = -1;
	}
	for (size_t i = 0; rc == 0 && i < p->nitem[PK_ISSUERS]; i++) {
		struct pitem *it = &p->item[PK_ISSUERS][i];

		if (!it->is_fp || it->ca != NULL)
			continue;
		if (policy_ca_find(it, &bundle) != 0) {
			id_fp_hex(it->fp, hex);
			snprintf(why, whylen, "sha256:%s: no certificate of "
			    "agent_ca (%s) has this fingerprint", hex, path);
			rc = -1;
		}
	}
	mbedtls_x509_crt_free(&bundle);
	return rc;
}

/* Printable ASCII without space, quote or backslash: 0 or -1. */
static int
san_copy(const mbedtls_x509_buf *b, char *dst, size_t cap)
{
	if (b->len == 0 || b->len >= cap)
		return -1;
	for (size_t i = 0; i < b->len; i++)
		if (b->p[i] <= 0x20 || b->p[i] >= 0x7f || b->p[i] == '"' ||
		    b->p[i] == '\\')
			return -1;
	memcpy(dst, b->p, b->len);
	dst[b->len] = '\0';
	return 0;
}

static int
glob_any(const struct policy *p, enum pkey k, const char *s, int flags)
{
	for (size_t i = 0; i < p->nitem[k]; i++)
		if (p->item[k][i].glob != NULL &&
		    fnmatch(p->item[k][i].glob, s, flags) == 0)
			return 1;
	return 0;
}

static int
net_any(const struct policy *p, const uint8_t *a, size_t len)
{
	for (size_t i = 0; i < p->nitem[PK_SAN_IP]; i++) {
		const struct pitem *it = &p->item[PK_SAN_IP][i];
		unsigned b;

		if (it->netlen != len)
			continue;
		for (b = 0; b < it->bits; b++)
			if (((a[b / 8] ^ it->net[b / 8]) << (b % 8)) & 0x80)
				break;
		if (b == it->bits)
			return 1;
	}
	return 0;
}

/*
 * Does one SAN of ${crt} with context tag ${tag} match key ${k}?  DNS
 * names compare without case (and deny_names' CN too: a deny errs wide).
 */
static int
san_any(const struct policy *p, const mbedtls_x509_crt *crt, int tag,
    enum pkey k)
{
	const mbedtls_x509_sequence *s;
	char v[POLICY_ITEM_LEN + 1];

	for (s = &crt->subject_alt_names; s != NULL && s->buf.p != NULL;
	    s = s->next) {
		if (s->buf.tag != (MBEDTLS_ASN1_CONTEXT_SPECIFIC | tag))
			continue;
		if (tag == MBEDTLS_X509_SAN_IP_ADDRESS) {
			if (net_any(p, s->buf.p, s->buf.len))
				return 1;
		} else if (san_copy(&s->buf, v, sizeof(v)) == 0 &&
		    glob_any(p, k, v, tag == MBEDTLS_X509_SAN_DNS_NAME ?
		    FNM_CASEFOLD : 0))
			return 1;
	}
	return 0;
}

/*
 * Whether a CA's key signed a certificate depends on the two certificates
 * only, so the answer is kept, by their fingerprints (the first 128 and 56
 * bits: certificates come from trusted CAs), two slots per hash: a reload
 * re-checks every live session, and an ECDSA verification costs about
 * 2 ms where a lookup costs nothing.  3 MB, allocated on first use (two
 * CAs of agent_ca with one DN and agent_issuers naming one of them).
 */
#define SIG_MEMO_SLOTS	(1u << 17)
struct sig_memo {
	uint8_t	leaf[16], ca[7];
	uint8_t	state;			/* 0 empty, 1 not signed, 2 signed */
};
static struct sig_memo *sig_memo;

static int
signed_by(mbedtls_x509_crt *ca, const uint8_t ca_fp[FP_LEN],
    const mbedtls_x509_crt *crt, const uint8_t fp[FP_LEN])
{
	struct sig_memo *m = NULL;
	mbedtls_x509_crt leaf;
	uint32_t flags = 0;
	int ok;

	if (sig_memo == NULL)
		sig_memo = calloc(SIG_MEMO_SLOTS, sizeof(*sig_memo));
	if (sig_memo != NULL) {
		/* Two slots per hash: a newcomer takes an empty one first. */
		m = &sig_memo[((uint32_t)(fp[0] ^ ca_fp[0]) << 16 |
		    (uint32_t)fp[1] << 8 | fp[2]) % SIG_MEMO_SLOTS & ~1u];
		for (int w = 0; w < 2; w++)
			if (m[w].state != 0 && memcmp(m[w].leaf, fp,
			    sizeof(m->leaf)) == 0 && memcmp(m[w].ca, ca_fp,
			    sizeof(m->ca)) == 0)
				return m[w].state == 2;
		if (m[0].state != 0)
			m += m[1].state == 0 ? 1 : fp[3] & 1;
	}
	mbedtls_x509_crt_init(&leaf);
	ok = mbedtls_x509_crt_parse_der_nocopy(&leaf, crt->raw.p,
	    crt->raw.len) == 0;
	if (ok)
		(void)mbedtls_x509_crt_verify(&leaf, ca, NULL, NULL, &flags,
		    NULL, NULL);
	mbedtls_x509_crt_free(&leaf);
	ok = ok && !(flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED);
	if (m != NULL) {
		memcpy(m->leaf, fp, sizeof(m->leaf));
		memcpy(m->ca, ca_fp, sizeof(m->ca));
		m->state = ok ? 2 : 1;
	}
	return ok;
}

/*
 * Did ${it}'s CA sign ${crt} (fingerprint ${fp})?  Its DN is the issuer's;
 * if another CA of agent_ca has that DN too, the signature decides.
 */
static int
issued_by(const struct pitem *it, const mbedtls_x509_crt *crt,
    const uint8_t fp[FP_LEN])
{
	if (it->ca == NULL || !same_raw(&it->ca->subject_raw,
	    &crt->issuer_raw))
		return 0;
	if (!it->ambiguous)
		return 1;	/* the handshake verified the chain to it */
	return signed_by(it->ca, it->fp, crt, fp);
}

static int
issuer_any(const struct policy *p, const mbedtls_x509_crt *crt,
    const struct id_info *id)
{
	for (size_t i = 0; i < p->nitem[PK_ISSUERS]; i++) {
		const struct pitem *it = &p->item[PK_ISSUERS][i];

		if (it->is_fp ? issued_by(it, crt, id->fingerprint) :
		    fnmatch(it->glob, id->issuer, 0) == 0)
			return 1;
	}
	return 0;
}

static int
refuse(char *why, size_t whylen, const char *what, enum pkey k)
{
	snprintf(why, whylen, "%s by %s", what, pkey_name[k]);
	return -1;
}

/**
 * policy_check(p, crt, why, whylen): 0 if ${p} admits the verified leaf
 * certificate ${crt}; else -1 with the rule that refused it in ${why}
 * ("fingerprint denied by deny_fingerprints", "issuer not allowed by
 * agent_issuers", ...).
 */
int
policy_check(const struct policy *p, const mbedtls_x509_crt *crt,
    char *why, size_t whylen)
{
	struct id_info id;

	if (p == NULL) {		/* fail closed */
		snprintf(why, whylen, "no admission policy");
		return -1;
	}
	if (id_from_crt(crt, NULL, &id) != 0) {
		snprintf(why, whylen, "certificate has no usable name");
		return -1;
	}
	for (size_t i = 0; i < p->nitem[PK_DENY_FP]; i++)
		if (memcmp(p->item[PK_DENY_FP][i].fp, id.fingerprint,
		    FP_LEN) == 0)
			return refuse(why, whylen, "fingerprint denied",
			    PK_DENY_FP);
	if (p->nitem[PK_DENY_NAMES] > 0 &&
	    (glob_any(p, PK_DENY_NAMES, id.name, FNM_CASEFOLD) ||
	    san_any(p, crt, MBEDTLS_X509_SAN_DNS_NAME, PK_DENY_NAMES)))
		return refuse(why, whylen, "name denied", PK_DENY_NAMES);
	if (p->value[PK_NAMES] != NULL &&
	    !id_policy_match(p->value[PK_NAMES], id.name))
		return refuse(why, whylen, "name not allowed", PK_NAMES);
	if (p->value[PK_ISSUERS] != NULL && !issuer_any(p, crt, &id))
		return refuse(why, whylen, "issuer not allowed", PK_ISSUERS);
	if (p->value[PK_SAN_DNS] != NULL &&
	    !san_any(p, crt, MBEDTLS_X509_SAN_DNS_NAME, PK_SAN_DNS))
		return refuse(why, whylen, "no DNS SAN allowed", PK_SAN_DNS);
	if (p->value[PK_SAN_IP] != NULL &&
	    !san_any(p, crt, MBEDTLS_X509_SAN_IP_ADDRESS, PK_SAN_IP))
		return refuse(why, whylen, "no IP SAN allowed", PK_SAN_IP);
	if (p->value[PK_SAN_URI] != NULL && !san_any(p, crt,
	    MBEDTLS_X509_SAN_UNIFORM_RESOURCE_IDENTIFIER, PK_SAN_URI))
		return refuse(why, whylen, "no URI SAN allowed", PK_SAN_URI);
	return 0;
}

/* Does deny_names match a "DNS:" name of the list ${sans} (${n} bytes)? */
static int
sans_denied(const struct policy *p, const char *sans, size_t n)
{
	char v[POLICY_ITEM_LEN + 1];
	size_t i = 0, j;

	while (i < n) {
		for (j = i; j < n && sans[j] != ' '; j++)
			;
		if (j - i > 4 && j - i - 4 < sizeof(v) &&
		    memcmp(sans + i, "DNS:", 4) == 0) {
			memcpy(v, sans + i + 4, j - i - 4);
			v[j - i - 4] = '\0';
			if (glob_any(p, PK_DENY_NAMES, v, FNM_CASEFOLD))
				return 1;
		}
		i = j + 1;
	}
	return 0;
}

/**
 * policy_deny(p, name, fp, sans, n, why, whylen): the deny keys of ${p} for
 * an agent known by strings (a relayed OPEN): -1 with the rule in ${why} if
 * deny_fingerprints holds ${fp} or deny_names matches the CN ${name} or a
 * "DNS:" name of the subjectAltName list ${sans} (${n} bytes, "TYPE:value"
 * separated by one space; n 0: none); else 0.
 */
int
policy_deny(const struct policy *p, const char *name,
    const uint8_t fp[32], const char *sans, size_t n, char *why,
    size_t whylen)
{
	if (p == NULL) {		/* fail closed */
		snprintf(why, whylen, "no admission policy");
		return -1;
	}
	for (size_t i = 0; i < p->nitem[PK_DENY_FP]; i++)
		if (memcmp(p->item[PK_DENY_FP][i].fp, fp, FP_LEN) == 0)
			return refuse(why, whylen, "fingerprint denied",
			    PK_DENY_FP);
	if (p->nitem[PK_DENY_NAMES] > 0 &&
	    (glob_any(p, PK_DENY_NAMES, name, FNM_CASEFOLD) ||
	    sans_denied(p, sans, n)))
		return refuse(why, whylen, "name denied", PK_DENY_NAMES);
	return 0;
}

/**
 * policy_check_der(p, der, len, why, whylen): policy_check for a
 * certificate kept as DER; one that does not parse is refused.
 */
int
policy_check_der(const struct policy *p, const uint8_t *der, size_t len,
    char *why, size_t whylen)
{
	mbedtls_x509_crt crt;
	int rc = -1;

	snprintf(why, whylen, "certificate does not parse");
	mbedtls_x509_crt_init(&crt);
	if (der != NULL && mbedtls_x509_crt_parse_der_nocopy(&crt, der,
	    len) == 0)
		rc = policy_check(p, &crt, why, whylen);
	mbedtls_x509_crt_free(&crt);
	return rc;
}
