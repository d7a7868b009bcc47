/*
 * gw_cert_enroll.c: gw-cert's enrollment commands, on the CA directory the
 * signing authority uses (certs/ca/authority.h):
 *
 *   gw-cert token create --ca DIR --names PATTERNS [--ttl DURATION]
 *           [--uses N] [--comment TEXT]
 *   gw-cert token list --ca DIR
 *   gw-cert token revoke --ca DIR ID
 *   gw-cert pending list --ca DIR
 *   gw-cert approve --ca DIR RID [--days N] [--replace]
 *   gw-cert deny --ca DIR RID [--reason TEXT]
 *
 * A token names what it is for (--names; "*" for any name on purpose):
 * no default that lets a token holder pick any name.  Either way a token
 * gets no certificate for a name that has a valid one, unless it was made
 * for that one name (--names NAME); approve needs --replace for it.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authority.h"
#include "enroll_dir.h"
#include "cli.h"
#include "gw_cert_enroll.h"
#include "pkifile.h"
#include "token.h"
#include "x509_issue.h"

struct eopts {
	const char	*ca, *names, *comment, *reason;
	unsigned long	 ttl, uses, days;
	int		 replace;
};

/* "90s", "30m", "24h", "7d" (or plain seconds) into ${out}. */
static int
parse_ttl(const char *s, unsigned long *out)
{
	char *end;
	unsigned long v, mul = 1;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s)
		return -1;
	if (*end == 'm')
		mul = 60;
	else if (*end == 'h')
		mul = 3600;
	else if (*end == 'd')
		mul = 86400;
	else if (*end != 's' && *end != '\0')
		return -1;
	if (*end != '\0' && end[1] != '\0')
		return -1;
	*out = v * mul;
	return v == 0 || v > 3650UL * 86400 / mul ? -1 : 0;
}

/* Options after the command words; positional arguments stay in argv. */
static int
parse_eopts(int argc, char **argv, struct eopts *o)
{
	static const struct option lopts[] = {
		{ "ca", required_argument, NULL, 'a' },
		{ "ttl", required_argument, NULL, 't' },
		{ "uses", required_argument, NULL, 'u' },
		{ "names", required_argument, NULL, 'n' },
		{ "comment", required_argument, NULL, 'c' },
		{ "days", required_argument, NULL, 'd' },
		{ "reason", required_argument, NULL, 'r' },
		{ "replace", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int ch;

	o->ttl = 86400;
	o->uses = 1;
	o->days = 365;
	while ((ch = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (ch) {
		case 'a': o->ca = optarg; break;
		case 'n': o->names = optarg; break;
		case 'c': o->comment = optarg; break;
		case 'r': o->reason = optarg; break;
		case 'R': o->replace = 1; break;
		case 't':
			if (parse_ttl(optarg, &o->ttl) != 0)
				usage();
			break;
		case 'u':
			o->uses = strtoul(optarg, &end, 10);
			if (*end != '\0' || o->uses < 1 || o->uses > 65535)
				usage();
			break;
		case 'd':
			o->days = strtoul(optarg, &end, 10);
			if (*end != '\0' || o->days < 1 || o->days > 36500)
				usage();
			break;
		default:
			usage();
		}
	}
	if (o->ca == NULL)
		usage();
	return optind;
}

static const char *
utc(long long t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

/* Text fit for one field of a key=value record: no newline. */
static int
plain(const char *s)
{
	return s == NULL || strpbrk(s, "\n\r") == NULL;
}

static int
token_create(const struct eopts *o)
{
	struct token_terms t;
	struct pki_rng rng;
	uint8_t key[32], tid[TOKEN_ID_LEN];
	char tok[TOKEN_STR_MAX], id[17], rec[512], err[512];
	long long now = time(NULL);

	if (o->names == NULL || o->names[0] == '\0')
		return die("--names", "required: the names the token may "
		    "enroll (agent-web1, 'agent-*'; '*' for any new name)");
	if (strlen(o->names) >= TOKEN_NAMES_MAX || !plain(o->names))
		return die("--names", "too long");
	if (!plain(o->comment) || (o->comment && strlen(o->comment) > 200))
		return die("--comment", "one line of at most 200 characters");
	if (ed_init(o->ca, err, sizeof(err)) != 0 ||
	    ed_token_key(o->ca, key, 1, err, sizeof(err)) != 0)
		return die("token", err);
	if (pki_rng_init(&rng, err, sizeof(err)) != 0 ||
	    mbedtls_ctr_drbg_random(&rng.drbg, tid, sizeof(tid)) != 0) {
		pki_rng_free(&rng);
		return die("token", "no randomness");
	}
	pki_rng_free(&rng);
	if (token_terms_init(&t, tid, (uint64_t)(now + (long long)o->ttl),
	    (uint16_t)o->uses, o->names) != 0 ||
	    token_mint(key, &t, tok, sizeof(tok)) != 0) {
		mbedtls_platform_zeroize(key, sizeof(key));
		return die("token", "cannot mint");
	}
	mbedtls_platform_zeroize(key, sizeof(key));
	token_id_hex(t.id, id);
	snprintf(rec, sizeof(rec), "id=%s\ncreated=%lld\nexpires=%llu\n"
	    "uses=%u\nnames=%s\ncomment=%s\n", id, now,
	    (unsigned long long)t.expires, (unsigned)t.uses, t.names,
	    o->comment ? o->comment : "");
	if (ed_token_file(o->ca, id, "", rec, err, sizeof(err)) != 0)
		return die("token", err);
	printf("%s\n", tok);
	fprintf(stderr, "gw-cert: token %s: %u use(s), expires %s UTC%s%s\n",
	    id, (unsigned)t.uses, utc((long long)t.expires, err, sizeof(err)),
	    t.names[0] ? ", names " : "", t.names);
	return 0;
}

/* Read the record DIR/enroll/tokens/ID into its fields. */
static int
token_record(const char *dir, const char *id, long long *expires,
    unsigned *uses, char *names, char *comment, size_t len)
{
	char path[4096], text[1024], *line, *save = NULL;
	size_t n;

	snprintf(path, sizeof(path), "%s/enroll/tokens/%s", dir, id);
	if (pki_read_file(path, text, sizeof(text), &n) != 0)
		return -1;
	*names = *comment = '\0';
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "expires=", 8) == 0)
			*expires = strtoll(line + 8, NULL, 10);
		else if (strncmp(line, "uses=", 5) == 0)
			*uses = (unsigned)strtoul(line + 5, NULL, 10);
		else if (strncmp(line, "names=", 6) == 0)
			snprintf(names, len, "%s", line + 6);
		else if (strncmp(line, "comment=", 8) == 0)
			snprintf(comment, len, "%s", line + 8);
	}
	return 0;
}

static int
token_list(const struct eopts *o)
{
	char path[4096], names[256], comment[256], when[32], used[32];
	long long expires = 0, now = time(NULL);
	unsigned uses = 0, n;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/enroll/tokens", o->ca);
	if ((d = opendir(path)) == NULL)
		return errno == ENOENT ? 0 : die(path, strerror(errno));
	printf("%-16s  %-19s  %-9s  %-16s  %-8s  %s\n", "ID", "EXPIRES (UTC)",
	    "USED", "NAMES", "STATUS", "COMMENT");
	while ((de = readdir(d)) != NULL) {
		const char *status;

		if (strlen(de->d_name) != 16 ||
		    strspn(de->d_name, "0123456789abcdef") != 16 ||
		    token_record(o->ca, de->d_name, &expires, &uses, names,
		    comment, sizeof(names)) != 0)
			continue;
		if (ed_token_used(o->ca, de->d_name, &n) != 0)
			snprintf(used, sizeof(used), "?/%u", uses);
		else
			snprintf(used, sizeof(used), "%u/%u", n, uses);
		status = ed_token_revoked(o->ca, de->d_name) ? "revoked" :
		    expires <= now ? "expired" : n >= uses ? "used-up" :
		    "valid";
		printf("%-16s  %-19s  %-9s  %-16s  %-8s  %s\n", de->d_name,
		    utc(expires, when, sizeof(when)), used,
		    names[0] ? names : "*", status, comment);
	}
	closedir(d);
	return 0;
}

/** cmd_token(argc, argv): gw-cert token create|list|revoke. */
int
cmd_token(int argc, char **argv)
{
	struct eopts o = { 0 };
	char err[512], names[256], comment[256];
	long long expires;
	unsigned uses;
	int i;

	if (argc < 2)
		usage();
	i = parse_eopts(argc - 1, argv + 1, &o) + 1;
	if (strcmp(argv[1], "create") == 0 && i == argc)
		return token_create(&o);
	if (strcmp(argv[1], "list") == 0 && i == argc)
		return token_list(&o);
	if (strcmp(argv[1], "revoke") != 0 || i + 1 != argc)
		usage();
	if (strlen(argv[i]) != 16 ||
	    strspn(argv[i], "0123456789abcdef") != 16 ||
	    token_record(o.ca, argv[i], &expires, &uses, names, comment,
	    sizeof(names)) != 0)
		return die(argv[i], "no such token (see gw-cert token list)");
	if (ed_token_file(o.ca, argv[i], ".revoked", "revoked\n", err,
	    sizeof(err)) != 0)
		return die(argv[i], err);
	printf("revoked token %s\n", argv[i]);
	return 0;
}

/** cmd_pending(argc, argv): gw-cert pending list. */
int
cmd_pending(int argc, char **argv)
{
	struct eopts o = { 0 };
	char rid[ED_RID_LEN + 1], r[32], e[32];
	struct ed_info info;
	long long now = time(NULL);
	void *cur = NULL;

	if (argc < 2 || strcmp(argv[1], "list") != 0)
		usage();
	if (parse_eopts(argc - 1, argv + 1, &o) + 1 != argc)
		usage();
	printf("%-32s  %-20s  %-64s  %-21s  %-12s  %-19s  %s\n", "REQUEST",
	    "NAME", "KEY SHA-256", "SOURCE", "VIA", "RECEIVED (UTC)",
	    "EXPIRES (UTC)");
	while (ed_next(o.ca, &cur, rid))
		if (ed_state(o.ca, rid, &info, NULL) == ED_PENDING &&
		    info.expires > now)
			printf("%-32s  %-20s  %-64s  %-21s  %-12s  %-19s  %s\n",
			    rid, info.name, info.key_fp, info.source,
			    info.via[0] ? info.via : "-",
			    utc(info.received, r, sizeof(r)),
			    utc(info.expires, e, sizeof(e)));
	return 0;
}

/** cmd_decide(argc, argv, approve): gw-cert approve | deny. */
int
cmd_decide(int argc, char **argv, int approve)
{
	struct eopts o = { 0 };
	struct ed_info info;
	char err[512], name[ID_NAME_MAX];
	const char *rid;
	int i;

	i = parse_eopts(argc, argv, &o);
	if (i + 1 != argc || (approve && o.reason != NULL) ||
	    (!approve && o.replace))
		usage();
	rid = argv[i];
	if (!ed_rid_valid(rid) || ed_state(o.ca, rid, &info, NULL) !=
	    ED_PENDING || info.expires <= time(NULL))
		return die(rid, "no pending request with this id (gw-cert "
		    "pending list)");
	if (approve) {
		if (authority_approve(o.ca, rid, (unsigned)o.days, o.replace,
		    name, err, sizeof(err)) != 0)
			return die(rid, err);
		printf("approved %s: certificate for %s (key %s %s), valid "
		    "%lu days; the agent gets it at its next poll\n", rid,
		    name, info.key_desc, info.key_fp, o.days);
		return 0;
	}
	if (authority_deny(o.ca, rid, o.reason, name, err, sizeof(err)) != 0)
		return die(rid, err);
	printf("denied %s (%s)\n", rid, name);
	return 0;
}
