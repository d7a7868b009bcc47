/*
 * test_identity.c: OPEN's identity extension made from a certificate
 * (id_ext_from_crt, PROTOCOL.md section 6): notAfter in ms since the
 * epoch (UTC), every SAN in certificate order by its type (DNS, IPv4,
 * IPv6, URI, EMAIL), a value that is not plain printable text as OTHER and
 * its hex, the cut after the last whole entry within GW_SANS_MAX, none at
 * all; and the OPEN view with and without it (id_view_ext), through the
 * codec.  The via of a chain (GW_CAP_CHAIN): id_ext_via appends the
 * sender's name and refuses a loop, a full via or a bad name; the view
 * has it only on a link that agreed CHAIN and FLEET, cut to fit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <mbedtls/x509_crt.h>

#include "frame.h"
#include "identity.h"
#include "pkikey.h"

#define NSAN	300

static struct pki_rng rng;
static mbedtls_pk_context key;

/* A SAN of ${type} with the ${len} bytes at ${p}. */
static mbedtls_x509_san_list
san(int type, const void *p, size_t len)
{
	mbedtls_x509_san_list s;

	memset(&s, 0, sizeof(s));
	s.node.type = type;
	s.node.san.unstructured_name.p = (unsigned char *)(uintptr_t)p;
	s.node.san.unstructured_name.len = len;
	return s;
}

/*
 * The ${n} SANs ${v} chained so that the certificate has them in that
 * order (mbedTLS writes DER backwards: the list's last comes first).
 */
static const mbedtls_x509_san_list *
chain(mbedtls_x509_san_list *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		v[i].next = &v[i - 1];
	return n > 0 ? &v[n - 1] : NULL;
}

/*
 * A self-signed certificate CN=agent-1 valid until ${not_after}
 * ("YYYYMMDDhhmmss", UTC) with SANs ${sans}, parsed into ${crt}.
 */
static void
make_crt(mbedtls_x509_crt *crt, const char *not_after,
    const mbedtls_x509_san_list *sans)
{
	static unsigned char der[32768];
	mbedtls_x509write_cert w;
	int n;

	mbedtls_x509write_crt_init(&w);
	mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&w, &key);
	mbedtls_x509write_crt_set_issuer_key(&w, &key);
	assert_int_equal(mbedtls_x509write_crt_set_subject_name(&w,
	    "CN=agent-1"), 0);
	assert_int_equal(mbedtls_x509write_crt_set_issuer_name(&w, "CN=ca"),
	    0);
	assert_int_equal(mbedtls_x509write_crt_set_serial_raw(&w,
	    (unsigned char *)"\x01", 1), 0);
	assert_int_equal(mbedtls_x509write_crt_set_validity(&w,
	    "20260101000000", not_after), 0);
	if (sans != NULL)
		assert_int_equal(
		    mbedtls_x509write_crt_set_subject_alternative_name(&w,
		    sans), 0);
	n = mbedtls_x509write_crt_der(&w, der, sizeof(der),
	    mbedtls_ctr_drbg_random, &rng.drbg);
	assert_true(n > 0);
	mbedtls_x509_crt_init(crt);
	assert_int_equal(mbedtls_x509_crt_parse_der(crt, der + sizeof(der) -
	    n, (size_t)n), 0);
	mbedtls_x509write_crt_free(&w);
}

static void
assert_sans(const struct id_ext *x, const char *want)
{
	assert_int_equal(x->sans_len, strlen(want));
	assert_memory_equal(x->sans, want, x->sans_len);
}

/* Each type as PROTOCOL.md names it, in certificate order. */
static void
t_types(void **state)
{
	static const uint8_t v4[4] = { 10, 0, 0, 1 };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 1 };
	mbedtls_x509_san_list l[8];
	mbedtls_x509_crt crt;
	struct id_ext x;

	(void)state;
	l[0] = san(MBEDTLS_X509_SAN_DNS_NAME, "agent-1.example", 15);
	l[1] = san(MBEDTLS_X509_SAN_IP_ADDRESS, v4, 4);
	l[2] = san(MBEDTLS_X509_SAN_IP_ADDRESS, v6, 16);
	l[3] = san(MBEDTLS_X509_SAN_UNIFORM_RESOURCE_IDENTIFIER,
	    "spiffe://x/agent-1", 18);
	l[4] = san(MBEDTLS_X509_SAN_RFC822_NAME, "a@x.example", 11);
	/* Not plain text: a space (an entry of its own?), a quote, a NUL. */
	l[5] = san(MBEDTLS_X509_SAN_DNS_NAME, "a DNS:b", 7);
	l[6] = san(MBEDTLS_X509_SAN_UNIFORM_RESOURCE_IDENTIFIER, "\"\n", 2);
	l[7] = san(MBEDTLS_X509_SAN_RFC822_NAME, "a\0b", 3);
	make_crt(&crt, "20270101000000", chain(l, 8));
	memset(&x, 0xa5, sizeof(x));
	id_ext_from_crt(&crt, &x);
	assert_int_equal(x.not_after_ms, UINT64_C(1798761600000));
	assert_sans(&x, "DNS:agent-1.example IP:10.0.0.1 IP:2001:db8::1 "
	    "URI:spiffe://x/agent-1 EMAIL:a@x.example OTHER:6120444e533a62 "
	    "OTHER:220a OTHER:610062");
	mbedtls_x509_crt_free(&crt);

	/* No SAN at all; a notAfter of GeneralizedTime (2050 and on). */
	make_crt(&crt, "20991231235959", NULL);
	id_ext_from_crt(&crt, &x);
	assert_int_equal(x.not_after_ms, UINT64_C(4102444799000));
	assert_int_equal(x.sans_len, 0);
	mbedtls_x509_crt_free(&crt);
}

/*
 * More SANs than GW_SANS_MAX holds: the list ends after the last whole
 * entry that fits, in order, never within one.
 */
static void
t_cut(void **state)
{
	static mbedtls_x509_san_list l[NSAN];
	static char names[NSAN][32], want[2 * GW_SANS_MAX];
	mbedtls_x509_crt crt;
	struct id_ext x;
	size_t n = 0, k;

	(void)state;
	for (k = 0; k < NSAN; k++) {
		snprintf(names[k], sizeof(names[k]), "host-%03zu.example.org",
		    k);
		l[k] = san(MBEDTLS_X509_SAN_DNS_NAME, names[k],
		    strlen(names[k]));
	}
	make_crt(&crt, "20270101000000", chain(l, NSAN));
	id_ext_from_crt(&crt, &x);
	for (k = 0; k < NSAN; k++) {
		size_t e = (k > 0) + 4 + strlen(names[k]);

		if (n + e > GW_SANS_MAX)
			break;
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%sDNS:%s",
		    k > 0 ? " " : "", names[k]);
	}
	assert_true(k < NSAN);		/* some were left out */
	assert_true(x.sans_len <= GW_SANS_MAX);
	assert_true(x.sans_len > GW_SANS_MAX - 26);
	want[n] = '\0';
	assert_sans(&x, want);
	mbedtls_x509_crt_free(&crt);
}

/* Decoded OPEN ${d} has via ${via} and sans ${sans}. */
static void
assert_view_via(const struct gw_frame *d, const char *via, const char *sans)
{
	assert_int_equal(d->u.open.has_ext, 1);
	assert_int_equal(d->u.open.has_via, 1);
	assert_int_equal(d->u.open.via.len, strlen(via));
	assert_memory_equal(d->u.open.via.p, via, strlen(via));
	assert_int_equal(d->u.open.sans.len, strlen(sans));
	if (*sans != '\0')
		assert_memory_equal(d->u.open.sans.p, sans, strlen(sans));
}

/* The OPEN view: the extension only when given, and as the codec reads. */
static void
t_view(void **state)
{
	mbedtls_x509_san_list l[1];
	mbedtls_x509_crt crt;
	struct id_info id;
	struct id_ext x;
	struct gw_frame f = { .type = GW_T_OPEN, .channel = 1 }, d;
	uint8_t wire[1024];
	size_t used;
	int n;

	(void)state;
	l[0] = san(MBEDTLS_X509_SAN_DNS_NAME, "agent-1", 7);
	make_crt(&crt, "20270101000000", chain(l, 1));
	assert_int_equal(id_from_der_ext(crt.raw.p, crt.raw.len, "10.0.0.1:9",
	    &id, &x), 0);
	assert_string_equal(id.name, "agent-1");
	assert_sans(&x, "DNS:agent-1");
	id_view_ext(&id, &x, GW_CAP_FLEET, 0, &f.u.open);
	assert_true((n = gw_frame_encode(wire, sizeof(wire), &f)) > 0);
	assert_int_equal(gw_frame_decode(wire, (size_t)n, sizeof(wire), &d,
	    &used), GW_OK);
	assert_int_equal(d.u.open.has_ext, 1);
	assert_int_equal(d.u.open.not_after_ms, UINT64_C(1798761600000));
	assert_int_equal(d.u.open.sans.len, 11);
	assert_memory_equal(d.u.open.sans.p, "DNS:agent-1", 11);
	/* Without it: a legacy OPEN, 10 + 11 bytes shorter. */
	id_view(&id, &f.u.open);
	assert_int_equal(f.u.open.has_ext, 0);
	assert_int_equal(gw_frame_encode(wire, sizeof(wire), &f), n - 21);
	assert_int_equal(gw_frame_decode(wire, (size_t)n - 21, sizeof(wire),
	    &d, &used), GW_OK);
	assert_int_equal(d.u.open.has_ext, 0);
	mbedtls_x509_crt_free(&crt);
}

/* id_ext_via: the sender's name after the via it was given, or -1. */
static void
t_via(void **state)
{
	struct id_ext x, y;
	struct gw_str v;

	(void)state;
	assert_int_equal(id_ext_via(&x, NULL, "gw-a"), 0);
	assert_int_equal(x.via_len, 4);
	assert_memory_equal(x.via, "gw-a", 4);
	v = gw_str_text("");
	assert_int_equal(id_ext_via(&x, &v, "gw-a"), 0);
	assert_int_equal(x.via_len, 4);
	v = gw_str_text("gw-in gw-mid");
	assert_int_equal(id_ext_via(&x, &v, "gw-out"), 0);
	assert_int_equal(x.via_len, 19);
	assert_memory_equal(x.via, "gw-in gw-mid gw-out", 19);
	/* A loop: our name anywhere in it; never a part of a name. */
	assert_int_equal(id_ext_via(&x, &v, "gw-in"), -1);
	assert_int_equal(x.via_len, 0);
	assert_int_equal(id_ext_via(&x, &v, "gw-mid"), -1);
	assert_int_equal(id_ext_via(&x, &v, "gw-m"), 0);
	/* Seven names leave room for one; eight for none. */
	v = gw_str_text("a b c d e f g");
	assert_int_equal(id_ext_via(&x, &v, "h"), 0);
	assert_int_equal(x.via_len, 15);
	v = gw_str_text("a b c d e f g h");
	assert_int_equal(id_ext_via(&x, &v, "i"), -1);
	assert_int_equal(x.via_len, 0);
	/* Not a via name: empty, NULL, a space, '"', 65 bytes. */
	assert_int_equal(id_ext_via(&x, NULL, ""), -1);
	assert_int_equal(id_ext_via(&x, NULL, NULL), -1);
	assert_int_equal(id_ext_via(&x, NULL, "gw a"), -1);
	assert_int_equal(id_ext_via(&x, NULL, "gw\"a"), -1);
	assert_int_equal(id_ext_via(&x, NULL, "0123456789012345678901234567"
	    "890123456789012345678901234567890123456789"), -1);
	assert_int_equal(id_ext_via(&x, NULL, "012345678901234567890123456"
	    "7890123456789012345678901234567890123"), 0);
	assert_int_equal(x.via_len, GW_VIA_NAME_MAX);
	/* The longest via: eight names of 64 bytes. */
	memset(x.via, 'n', sizeof(x.via));
	for (int i = 1; i < GW_VIA_MAX; i++)
		x.via[i * (GW_VIA_NAME_MAX + 1) - 1] = ' ';
	v = gw_str_bytes(x.via, GW_VIA_LEN_MAX - GW_VIA_NAME_MAX - 1);
	assert_int_equal(id_ext_via(&y, &v, "01234567890123456789012345678901"
	    "23456789012345678901234567890123"), 0);
	assert_int_equal(y.via_len, GW_VIA_LEN_MAX);
	v = gw_str_bytes(y.via, y.via_len);
	assert_int_equal(gw_via_count(&v), GW_VIA_MAX);
}

/* The encoded then decoded OPEN of ${id}, ${x} with ${caps} and ${max}. */
static void
view_wire(const struct id_info *id, const struct id_ext *x, uint32_t caps,
    uint32_t max, uint8_t *wire, size_t cap, struct gw_frame *d)
{
	struct gw_frame f = { .type = GW_T_OPEN, .channel = 1 };
	size_t used;
	int n;

	id_view_ext(id, x, caps, max, &f.u.open);
	assert_true((n = gw_frame_encode(wire, cap, &f)) > 0);
	assert_true(max == 0 || (uint32_t)n - GW_HDR_LEN <= max);
	assert_int_equal(gw_frame_decode(wire, (size_t)n, cap, d, &used),
	    GW_OK);
}

/*
 * The view's via: only with FLEET and CHAIN and a via; kept over the
 * SANs when the OPEN must be cut to the peer's max_payload.
 */
static void
t_view_via(void **state)
{
	mbedtls_x509_san_list l[2];
	mbedtls_x509_crt crt;
	struct id_info id;
	struct id_ext x;
	struct gw_frame d;
	uint8_t wire[1024];
	uint32_t all, base;

	(void)state;
	l[0] = san(MBEDTLS_X509_SAN_DNS_NAME, "agent-1", 7);
	l[1] = san(MBEDTLS_X509_SAN_DNS_NAME, "bb", 2);
	make_crt(&crt, "20270101000000", chain(l, 2));
	assert_int_equal(id_from_der_ext(crt.raw.p, crt.raw.len, "10.0.0.1:9",
	    &id, &x), 0);
	assert_int_equal(x.via_len, 0);
	view_wire(&id, &x, GW_CAP_FLEET | GW_CAP_CHAIN, 0, wire,
	    sizeof(wire), &d);
	assert_int_equal(d.u.open.has_via, 0);	/* no via given */
	assert_int_equal(id_ext_via(&x, NULL, "gw-a"), 0);
	view_wire(&id, &x, GW_CAP_FLEET, 0, wire, sizeof(wire), &d);
	assert_int_equal(d.u.open.has_ext, 1);
	assert_int_equal(d.u.open.has_via, 0);
	view_wire(&id, &x, GW_CAP_CHAIN, 0, wire, sizeof(wire), &d);
	assert_int_equal(d.u.open.has_ext, 0);
	assert_int_equal(d.u.open.has_via, 0);
	view_wire(&id, &x, GW_CAPS_KNOWN, 0, wire, sizeof(wire), &d);
	assert_int_equal(d.u.open.has_via, 1);
	assert_view_via(&d, "gw-a", "DNS:agent-1 DNS:bb");
	all = d.len;
	base = all - 10 - 18 - 6;
	/* One byte less: the last SAN goes, the via stays. */
	view_wire(&id, &x, GW_CAPS_KNOWN, all - 1, wire, sizeof(wire), &d);
	assert_view_via(&d, "gw-a", "DNS:agent-1");
	view_wire(&id, &x, GW_CAPS_KNOWN, base + 10 + 6, wire, sizeof(wire),
	    &d);
	assert_view_via(&d, "gw-a", "");
	/* No room for the via even with no SANs: left out. */
	view_wire(&id, &x, GW_CAPS_KNOWN, base + 10 + 5, wire, sizeof(wire),
	    &d);
	assert_int_equal(d.u.open.has_ext, 1);
	assert_int_equal(d.u.open.has_via, 0);
	assert_int_equal(d.u.open.sans.len, 0);
	view_wire(&id, &x, GW_CAPS_KNOWN, base + 9, wire, sizeof(wire), &d);
	assert_int_equal(d.u.open.has_ext, 0);
	mbedtls_x509_crt_free(&crt);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_types),
		cmocka_unit_test(t_cut),
		cmocka_unit_test(t_view),
		cmocka_unit_test(t_via),
		cmocka_unit_test(t_view_via),
	};
	char err[256];

	mbedtls_pk_init(&key);
	if (pki_rng_init(&rng, err, sizeof(err)) != 0 ||
	    pki_genkey(&key, 0, &rng, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
