/*
 * gw-cert: the project's PKI tool.  Keys are generated where it runs and
 * written with mode 0600; certificates are written by mbedTLS's X.509
 * writer (no openssl CLI).
 *
 *   gw-cert ca --out DIR --name CN [--ca PARENT] [--days N]
 *           [--rsa BITS | --ec CURVE] [--force]
 *   gw-cert issue --ca DIR --role gateway|mgmt|agent --name NAME
 *           --out PREFIX [--dns NAME]... [--ip ADDR]... [--days N]
 *           [--not-before YYYYMMDDhhmmss --not-after YYYYMMDDhhmmss]
 *           [--rsa BITS | --ec CURVE]
 *   gw-cert issue-many --ca DIR --role ROLE --prefix PFX --count N
 *           --out-dir DIR [--days N]
 *   gw-cert show FILE
 *   gw-cert fingerprint FILE
 *   gw-cert revoke --ca DIR (--serial HEX | --cert FILE | --name NAME)
 *           [--crl-days N]
 *   gw-cert crl --ca DIR [--crl-days N]
 *   gw-cert list --ca DIR
 *   gw-cert token create|list|revoke, pending list, approve, deny: the
 *           enrollment commands (gw_cert_enroll.c)
 *
 * ca with --ca PARENT makes an intermediate CA.  revoke adds the
 * certificate (--name: every certificate issued to NAME) to
 * DIR/revoked.txt and rewrites DIR/ca.crl; crl rewrites DIR/ca.crl (before
 * its next update).
 *
 * Exit 0 on success, 1 on failure (one line on stderr), 2 on usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "crl.h"
#include "cli.h"
#include "gw_cert_enroll.h"
#include "gw_cert_revoke.h"
#include "identity.h"
#include "pkifile.h"
#include "tls_conf.h"
#include "x509_issue.h"

#define PEM_MAX		16384

static int
parse_time(const char *s, char out[16])
{
	if (strlen(s) != 14 || strspn(s, "0123456789") != 14)
		return -1;
	memcpy(out, s, 15);
	return 0;
}

static int
parse_role(const char *s, enum pki_role *out)
{
	if (strcmp(s, "gateway") == 0)
		*out = PKI_ROLE_GATEWAY;
	else if (strcmp(s, "mgmt") == 0)
		*out = PKI_ROLE_MGMT;
	else if (strcmp(s, "agent") == 0)
		*out = PKI_ROLE_AGENT;
	else
		return -1;
	return 0;
}

static const char *
role_str(enum pki_role r)
{
	static const char *const names[] = { "ca", "gateway", "mgmt", "agent" };

	return names[r];
}

/* Options shared by every command that makes certificates. */
struct opts {
	struct pki_req	 req;
	const char	*out, *ca, *prefix, *out_dir;
	unsigned long	 days, count;
	int		 force, have_days, have_role;
	char		 nb[16], na[16];
};

/* --ip ${arg}: one more IP SAN (exit 2 if it is not an address). */
static void
opt_ip(struct opts *o, const char *arg)
{
	size_t i = o->req.nip;

	if (i == PKI_MAX_SAN)
		usage();
	if (inet_pton(AF_INET, arg, o->req.ip[i]) == 1)
		o->req.iplen[i] = 4;
	else if (inet_pton(AF_INET6, arg, o->req.ip[i]) == 1)
		o->req.iplen[i] = 16;
	else {
		fprintf(stderr, "gw-cert: --ip %s: not an IP address\n", arg);
		exit(2);
	}
	o->req.nip++;
}

/* Option ${ch} (parse_opts' table) with ${arg} into ${o}; usage() if bad. */
static void
opt_one(struct opts *o, int ch, char *arg)
{
	unsigned long v;

	switch (ch) {
	case 'o': o->out = arg; break;
	case 'n': o->req.name = arg; break;
	case 'a': o->ca = arg; break;
	case 'p': o->prefix = arg; break;
	case 'O': o->out_dir = arg; break;
	case 'f': o->force = 1; break;
	case 'I': opt_ip(o, arg); break;
	case 'r':
		if (parse_role(arg, &o->req.role) != 0)
			usage();
		o->have_role = 1;
		break;
	case 'D':
		if (o->req.ndns == PKI_MAX_SAN)
			usage();
		o->req.dns[o->req.ndns++] = arg;
		break;
	case 'd':
		if (parse_uint(arg, 1, 36500, &o->days) != 0)
			usage();
		o->have_days = 1;
		break;
	case 'b':
	case 'e':
		if (parse_time(arg, ch == 'b' ? o->nb : o->na) != 0)
			usage();
		break;
	case 'R':
		if (parse_uint(arg, 2048, 4096, &v) != 0)
			usage();
		o->req.rsa_bits = (unsigned)v;
		break;
	case 'E':
		if (pki_ec_parse(arg, &o->req.ec_bits) != 0)
			usage();
		break;
	case 'c':
		if (parse_uint(arg, 1, 1000000, &o->count) != 0)
			usage();
		break;
	default:
		usage();
	}
}

/* The options of a command that makes certificates into ${o}. */
static void
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "name", required_argument, NULL, 'n' },
		{ "ca", required_argument, NULL, 'a' },
		{ "role", required_argument, NULL, 'r' },
		{ "dns", required_argument, NULL, 'D' },
		{ "ip", required_argument, NULL, 'I' },
		{ "days", required_argument, NULL, 'd' },
		{ "not-before", required_argument, NULL, 'b' },
		{ "not-after", required_argument, NULL, 'e' },
		{ "rsa", required_argument, NULL, 'R' },
		{ "ec", required_argument, NULL, 'E' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'c' },
		{ "out-dir", required_argument, NULL, 'O' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", lopts, NULL)) != -1)
		opt_one(o, ch, optarg);
	if (optind != argc || (o->nb[0] != '\0') != (o->na[0] != '\0') ||
	    (o->req.rsa_bits != 0 && o->req.ec_bits != 0) ||
	    (o->nb[0] != '\0' && o->have_days))
		usage();
}

static void
set_validity(struct opts *o, unsigned long def_days)
{
	if (o->nb[0] != '\0') {
		memcpy(o->req.not_before, o->nb, 16);
		memcpy(o->req.not_after, o->na, 16);
	} else
		pki_validity(&o->req, (unsigned)(o->have_days ? o->days :
		    def_days));
}

/*
 * gw-cert ca: a root CA, or with --ca PARENT an intermediate signed by
 * PARENT (DIR/ca.crt then holds the intermediate followed by PARENT's
 * chain).
 */
static int
cmd_ca(int argc, char **argv)
{
	struct opts o = { .req.role = PKI_ROLE_CA };
	static unsigned char crt[PEM_MAX], key[PEM_MAX];
	struct pki_ca parent;
	struct pki_rng rng;
	char err[512], crt_path[4096], key_path[4096], day[11], *chain = NULL;
	size_t len;
	int rc = 1;

	memset(&parent, 0, sizeof(parent));
	parse_opts(argc, argv, &o);
	if (o.out == NULL || o.req.name == NULL || o.have_role ||
	    o.req.ndns || o.req.nip || o.prefix || o.out_dir)
		usage();
	o.req.role = PKI_ROLE_CA;
	set_validity(&o, o.ca ? 1825 : 3650);
	snprintf(crt_path, sizeof(crt_path), "%s/ca.crt", o.out);
	snprintf(key_path, sizeof(key_path), "%s/ca.key", o.out);
	if (mkdir(o.out, 0700) != 0 && errno != EEXIST)
		return die(o.out, strerror(errno));
	if (!o.force && access(key_path, F_OK) == 0)
		return die(key_path, "exists; a new CA would orphan every "
		    "certificate it signed (--force replaces it)");
	if (pki_rng_init(&rng, err, sizeof(err)) != 0) {
		die("gw-cert", err);
		goto out;
	}
	if (o.ca != NULL && pki_ca_load(&parent, o.ca, &rng, err,
	    sizeof(err)) != 0) {
		die("parent CA", err);
		goto out;
	}
	if (pki_make(&o.req, o.ca ? &parent : NULL, &rng, crt, sizeof(crt),
	    key, sizeof(key), err, sizeof(err)) != 0) {
		die(o.req.name, err);
		goto out;
	}
	len = strlen((char *)crt);
	if ((chain = malloc(len + (o.ca ? strlen(parent.crt_pem) : 0) + 1)) ==
	    NULL) {
		die("gw-cert", strerror(errno));
		goto out;
	}
	memcpy(chain, crt, len);
	strcpy(chain + len, o.ca ? parent.crt_pem : "");
	if (write_file(key_path, key, strlen((char *)key), 0600) != 0 ||
	    write_file(crt_path, chain, strlen(chain), 0644) != 0)
		goto out;
	if (o.ca != NULL && pki_record_issued(o.ca, crt, len, "ca", err,
	    sizeof(err)) != 0) {
		die(o.ca, err);
		goto out;
	}
	printf("wrote %s %s (%s CN=%s, expires %s)\n", crt_path, key_path,
	    o.ca ? "intermediate CA" : "CA", o.req.name,
	    day_str(o.req.not_after, day));
	rc = 0;
out:
	mbedtls_platform_zeroize(key, sizeof(key));
	free(chain);
	pki_ca_free(&parent);
	pki_rng_free(&rng);
	return rc;
}

/* Append "SERIAL NAME ROLE NOT_AFTER" to CA_DIR/issued.txt (gw-cert list). */
static int
record_issued(const struct opts *o, const unsigned char *pem, size_t len)
{
	char err[512];

	if (pki_record_issued(o->ca, pem, len, role_str(o->req.role), err,
	    sizeof(err)) != 0)
		return die(o->req.name, err);
	return 0;
}

/* Issue one certificate to PREFIX.crt (leaf + CA) and PREFIX.key. */
static int
issue_one(struct opts *o, struct pki_ca *ca, struct pki_rng *rng,
    const char *prefix, int quiet)
{
	static unsigned char crt[PEM_MAX], key[PEM_MAX];
	char err[512], path[4096], kpath[4096], day[11];
	size_t len, calen = strlen(ca->crt_pem);
	unsigned char *chain;
	int rc = 1;

	if (pki_make(&o->req, ca, rng, crt, sizeof(crt), key, sizeof(key),
	    err, sizeof(err)) != 0)
		return die(o->req.name, err);
	len = strlen((char *)crt);
	if ((chain = malloc(len + calen)) == NULL)
		return die(prefix, strerror(errno));
	memcpy(chain, crt, len);
	memcpy(chain + len, ca->crt_pem, calen);
	snprintf(kpath, sizeof(kpath), "%s.key", prefix);
	snprintf(path, sizeof(path), "%s.crt", prefix);
	if (write_file(kpath, key, strlen((char *)key), 0600) == 0 &&
	    write_file(path, chain, len + calen, 0644) == 0 &&
	    record_issued(o, crt, len) == 0) {
		if (!quiet)
			printf("wrote %s %s (CN=%s, role %s, expires %s)\n",
			    path, kpath, o->req.name, role_str(o->req.role),
			    day_str(o->req.not_after, day));
		rc = 0;
	}
	mbedtls_platform_zeroize(key, sizeof(key));
	free(chain);
	return rc;
}

static int
cmd_issue(int argc, char **argv, int many)
{
	struct opts o = { 0 };
	struct pki_ca ca;
	struct pki_rng rng;
	char err[512], name[256], prefix[4096];
	int rc = 1, width;

	parse_opts(argc, argv, &o);
	if (o.ca == NULL || !o.have_role || o.force)
		usage();
	if (!many && (o.out == NULL || o.req.name == NULL || o.prefix ||
	    o.out_dir || o.count))
		usage();
	if (many && (o.prefix == NULL || o.out_dir == NULL || o.count == 0 ||
	    o.out || o.req.name || o.req.ndns || o.req.nip))
		usage();
	set_validity(&o, 825);
	if (pki_rng_init(&rng, err, sizeof(err)) != 0) {
		pki_rng_free(&rng);
		return die("gw-cert", err);
	}
	if (pki_ca_load(&ca, o.ca, &rng, err, sizeof(err)) != 0) {
		die("CA", err);
		goto out;
	}
	if (!many) {
		rc = issue_one(&o, &ca, &rng, o.out, 0);
		goto out;
	}
	if (mkdir(o.out_dir, 0700) != 0 && errno != EEXIST) {
		die(o.out_dir, strerror(errno));
		goto out;
	}
	width = o.count > 9999 ? snprintf(NULL, 0, "%lu", o.count) : 4;
	for (unsigned long i = 1; i <= o.count; i++) {
		snprintf(name, sizeof(name), "%s%0*lu", o.prefix, width, i);
		snprintf(prefix, sizeof(prefix), "%s/%s", o.out_dir, name);
		o.req.name = name;
		if (issue_one(&o, &ca, &rng, prefix, 1) != 0)
			goto out;
	}
	printf("wrote %lu %s certificates %s%0*lu..%s%0*lu in %s\n", o.count,
	    role_str(o.req.role), o.prefix, width, 1ul, o.prefix, width,
	    o.count, o.out_dir);
	rc = 0;
out:
	pki_ca_free(&ca);
	pki_rng_free(&rng);
	return rc;
}

static void
print_time(const char *label, const mbedtls_x509_time *t)
{
	printf("%s: %04d-%02d-%02dT%02d:%02d:%02dZ\n", label, t->year, t->mon,
	    t->day, t->hour, t->min, t->sec);
}

static void
print_sans(const mbedtls_x509_crt *crt)
{
	const mbedtls_x509_sequence *s;
	mbedtls_x509_subject_alternative_name san;
	char ip[INET6_ADDRSTRLEN];
	const char *sep = "";

	printf("san: ");
	for (s = &crt->subject_alt_names; s != NULL && s->buf.p != NULL;
	    s = s->next) {
		if (mbedtls_x509_parse_subject_alt_name(&s->buf, &san) != 0)
			continue;
		if (san.type == MBEDTLS_X509_SAN_DNS_NAME)
			printf("%sDNS:%.*s", sep,
			    (int)san.san.unstructured_name.len,
			    (const char *)san.san.unstructured_name.p);
		else if (san.type == MBEDTLS_X509_SAN_IP_ADDRESS &&
		    inet_ntop(san.san.unstructured_name.len == 4 ? AF_INET :
		    AF_INET6, san.san.unstructured_name.p, ip,
		    sizeof(ip)) != NULL)
			printf("%sIP:%s", sep, ip);
		else
			continue;
		mbedtls_x509_free_subject_alt_name(&san);
		sep = ",";
	}
	printf("\n");
}

static int
cmd_show(int argc, char **argv, int fp_only)
{
	mbedtls_x509_crt crt;
	struct id_info id;
	mbedtls_pk_type_t type;

	if (argc != 2)
		usage();
	if (load_crt(argv[1], &crt) != 0)
		return 1;
	if (id_from_crt(&crt, "", &id) != 0) {
		mbedtls_x509_crt_free(&crt);
		return die(argv[1], "certificate has no usable name");
	}
	if (fp_only) {
		printf("%s\n", id.fp_hex);
		mbedtls_x509_crt_free(&crt);
		return 0;
	}
	type = mbedtls_pk_get_type(&crt.pk);
	printf("name: %s\nsubject: %s\nissuer: %s\nserial: %s\n", id.name,
	    id.subject, id.issuer, id.serial);
	print_time("not_before", &crt.valid_from);
	print_time("not_after", &crt.valid_to);
	print_sans(&crt);
	if (type == MBEDTLS_PK_RSA)
		printf("key: RSA %zu\n", mbedtls_pk_get_bitlen(&crt.pk));
	else
		printf("key: ECDSA P-%zu\n", mbedtls_pk_get_bitlen(&crt.pk));
	printf("ca: %s\nsha256: %s\n", crt.MBEDTLS_PRIVATE(ca_istrue) ? "yes" :
	    "no",
	    id.fp_hex);
	mbedtls_x509_crt_free(&crt);
	return 0;
}

/*
 * Root in a CA directory that a service owns (gw-mgmt's [enroll] ca_dir):
 * work as that owner.  What gw-cert writes is then the service's (it must
 * read its tokens and write its requests), and a link the service planted
 * there cannot make root write through it.  The directory is --ca's, or
 * for "ca" without it, --out's (or its parent, not made yet).
 */
static int
become_dir_owner(int argc, char **argv)
{
	const char *dir = NULL, *out = NULL;
	char copy[4096];
	struct passwd *pw;
	struct stat st;

	if (geteuid() != 0)
		return 0;
	for (int i = 2; i < argc; i++) {
		if (strncmp(argv[i], "--ca=", 5) == 0)
			dir = argv[i] + 5;
		else if (strcmp(argv[i], "--ca") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strncmp(argv[i], "--out=", 6) == 0)
			out = argv[i] + 6;
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out = argv[++i];
	}
	if (dir == NULL && strcmp(argv[1], "ca") == 0 && out != NULL) {
		snprintf(copy, sizeof(copy), "%s", out);
		dir = stat(copy, &st) == 0 ? copy : dirname(copy);
	}
	if (dir == NULL || stat(dir, &st) != 0 || st.st_uid == 0)
		return 0;
	if (setgroups(0, NULL) != 0 || setresgid(st.st_gid, st.st_gid,
	    st.st_gid) != 0 || setresuid(st.st_uid, st.st_uid,
	    st.st_uid) != 0) {
		fprintf(stderr, "gw-cert: %s belongs to uid %u: cannot work as "
		    "it: %s\n", dir, (unsigned)st.st_uid, strerror(errno));
		return -1;
	}
	pw = getpwuid(st.st_uid);
	fprintf(stderr, "gw-cert: working as %s, the owner of %s\n",
	    pw != NULL ? pw->pw_name : "its owner", dir);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2)
		usage();
	cmd = argv[1];
	if (become_dir_owner(argc, argv) != 0)
		return 1;
	if (strcmp(cmd, "ca") == 0)
		return cmd_ca(argc - 1, argv + 1);
	if (strcmp(cmd, "issue") == 0)
		return cmd_issue(argc - 1, argv + 1, 0);
	if (strcmp(cmd, "issue-many") == 0)
		return cmd_issue(argc - 1, argv + 1, 1);
	if (strcmp(cmd, "show") == 0)
		return cmd_show(argc - 1, argv + 1, 0);
	if (strcmp(cmd, "fingerprint") == 0)
		return cmd_show(argc - 1, argv + 1, 1);
	if (strcmp(cmd, "revoke") == 0)
		return cmd_crl(argc - 1, argv + 1, 1);
	if (strcmp(cmd, "crl") == 0)
		return cmd_crl(argc - 1, argv + 1, 0);
	if (strcmp(cmd, "list") == 0)
		return cmd_list(argc - 1, argv + 1);
	if (strcmp(cmd, "token") == 0)
		return cmd_token(argc - 1, argv + 1);
	if (strcmp(cmd, "pending") == 0)
		return cmd_pending(argc - 1, argv + 1);
	if (strcmp(cmd, "approve") == 0 || strcmp(cmd, "deny") == 0)
		return cmd_decide(argc - 1, argv + 1, cmd[0] == 'a');
	usage();
}
