/*
 * tls_ticket.h: TLS 1.3 session tickets for the gateway's agent listener.
 *
 * The keys: mbedTLS's ticket module (AES-256-GCM, two keys: the active one
 * and the one before) fed from a key file the gateway keeps, so tickets
 * issued before a restart still resume after it.  A key is used for
 * `lifetime` seconds, then a new one is made and written; the previous one
 * is kept one more period, so no ticket dies before its lifetime.
 *
 * What a ticket carries besides mbedTLS's session: a resumed TLS 1.3
 * handshake sends no certificate, so the agent's certificate (DER) and the
 * time of the full handshake that verified it travel inside the ticket,
 * sealed with a key derived from the ticket key (HKDF) and bound to
 * mbedTLS's part.  The ticket on the wire:
 *
 *   u16 n | mbedTLS ticket (n bytes) | nonce (12) | sealed | tag (16)
 *   sealed = u64 auth_time | u16 cert_len | cert DER
 *
 * The key file (secret: mode 0600, refused if others may read it), newest
 * key first, at most two:
 *
 *   # comment
 *   CREATED_EPOCH NAME_8HEX KEY_64HEX
 */
#ifndef GW_TLS_TICKET_H
#define GW_TLS_TICKET_H

#include <stddef.h>
#include <stdint.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

struct tls_ticket;

/* The peer a ticket vouches for. */
struct tls_resumed {
	mbedtls_x509_crt	*crt;		/* heap; NULL: none */
	int64_t			 auth_time;	/* epoch s of the full handshake */
};

#define TLS_TICKET_MAX_LIFETIME	604800u	/* RFC 8446: 7 days at most */

/**
 * tls_ticket_new(path, lifetime, err, errlen): ticket keys for tickets
 * valid ${lifetime} seconds, kept in ${path} (created if missing, rotated
 * if its newest key is older than ${lifetime}); ${path} NULL: in memory
 * only (tickets do not survive a restart).  Needs tls_rng_setup().  On
 * error return NULL with "path:line: why" in ${err}.
 */
struct tls_ticket *tls_ticket_new(const char *path, uint32_t lifetime,
    char *err, size_t errlen);

/*
 * Keys shared by processes (gatewayd's workers): one leader (the parent)
 * rotates them and writes the file; followers (the workers) never make a
 * key: each reads the file again (at most once a second) when its newest
 * key is due, or when a ticket names a key it does not hold.  Shared keys
 * are due lifetime/8 (at most 60 s) early, so that followers find the next
 * one in the file before their own is due.  A follower that finds no
 * newer key by the time its newest one is a second short of the lifetime
 * (the leader could not write the file, or there is none) makes a key of
 * its own, which no other process holds: its tickets resume only on it,
 * and it says so; without that, mbedTLS would rotate on its own to a key
 * tls_ticket_write cannot name, and every handshake would fail.
 */
#define TLS_TICKET_ALONE	0	/* one process: as tls_ticket_new */
#define TLS_TICKET_LEAD		1
#define TLS_TICKET_FOLLOW	2

/** tls_ticket_share(t, mode): ${t} is from now on in ${mode} (above). */
void tls_ticket_share(struct tls_ticket *t, int mode);

/**
 * tls_ticket_tick(t): the leader's timer: rotate now if the newest key is
 * due, and write the file (a failure to write is logged); a follower
 * re-reads it if due.  Return 0, or -1 if no key could be made.
 */
int tls_ticket_tick(struct tls_ticket *t);

/**
 * tls_ticket_save(t, err, errlen): write ${t}'s keys to its file now (a
 * new file renamed over the old), as rotation does: the leader checks at
 * its start that it can.  0 (also without a file), or -1 with the reason
 * in ${err}.
 */
int tls_ticket_save(struct tls_ticket *t, char *err, size_t errlen);

/**
 * tls_ticket_lifetime(t): the lifetime of ${t}'s tickets (seconds).
 */
uint32_t tls_ticket_lifetime(const struct tls_ticket *t);

/**
 * tls_ticket_write(t, s, peer, start, end, tlen, lifetime): mbedTLS's
 * f_ticket_write with the peer ${peer} sealed in (rotating the key first
 * if it is due).  Return 0 or an mbedTLS error.
 */
int tls_ticket_write(struct tls_ticket *t, const mbedtls_ssl_session *s,
    const struct tls_resumed *peer, unsigned char *start,
    const unsigned char *end, size_t *tlen, uint32_t *lifetime);

/**
 * tls_ticket_parse(t, s, buf, len, peer): mbedTLS's f_ticket_parse; on
 * success also fill ${peer} (the caller frees peer->crt).  A ticket whose
 * full handshake is older than the lifetime is expired.  Return 0,
 * MBEDTLS_ERR_SSL_INVALID_MAC (not ours, or altered),
 * MBEDTLS_ERR_SSL_SESSION_TICKET_EXPIRED, or another mbedTLS error.
 */
int tls_ticket_parse(struct tls_ticket *t, mbedtls_ssl_session *s,
    unsigned char *buf, size_t len, struct tls_resumed *peer);

/** tls_resumed_clear(r): free ${r}'s certificate and zero ${r}. */
void tls_resumed_clear(struct tls_resumed *r);

/** tls_ticket_free(t): NULL-safe; the keys are zeroised. */
void tls_ticket_free(struct tls_ticket *t);

#endif /* GW_TLS_TICKET_H */
