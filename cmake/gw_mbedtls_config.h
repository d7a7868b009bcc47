/*
 * gw_mbedtls_config.h: the mbedTLS 3.6 features gatewayd uses, and no more.
 *
 * Used when mbedTLS is built from source by cmake/mbedtls.sh (Debian 12 has
 * no mbedTLS 3.6 package).  Every line answers "who needs this":
 *   TLS 1.3 + 1.2 with AEAD suites only (AES-GCM, ChaCha20-Poly1305),
 *   ECDHE key exchange (X25519, P-256, P-384), ECDSA or RSA certificates,
 *   X.509 parsing, CRLs and CSRs (gatewayd, enrollment), X.509 writing
 *   (certificate tool), TLS 1.3 session tickets (resumption).
 * Not here: renegotiation, CBC suites, DTLS, static RSA key exchange, PSK-only
 * suites, SHA-1 signatures in TLS, compression (gone from 3.x), debug output.
 */
#ifndef GW_MBEDTLS_CONFIG_H
#define GW_MBEDTLS_CONFIG_H

/* Platform */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE
#define MBEDTLS_FS_IO
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_TIME_ALT    /* mbedtls_time is a pointer to time();
					fuzz_tls fixes the clock with
					mbedtls_platform_set_time, no
					program does */
#define MBEDTLS_ERROR_C
#define MBEDTLS_VERSION_C

/* Randomness */
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_CTR_DRBG_C
#define MBEDTLS_HMAC_DRBG_C          /* deterministic ECDSA (RFC 6979) */
#define MBEDTLS_PSA_CRYPTO_C         /* TLS 1.3 runs on PSA */
#define MBEDTLS_PSA_KEY_STORE_DYNAMIC /* a TLS 1.3 client holds a PSA key
					from ClientHello to ServerHello:
					the fixed store (32 slots) failed
					gw-loadgen's concurrent handshakes
					with "Memory allocation failed" */

/* Symmetric: AEAD record protection */
#define MBEDTLS_AES_C
#define MBEDTLS_AESNI_C
#define MBEDTLS_GCM_C
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_CIPHER_MODE_CTR      /* CTR_DRBG */

/* Hashes and MACs */
#define MBEDTLS_MD_C
#define MBEDTLS_SHA1_C               /* X.509 key identifiers only */
#define MBEDTLS_SHA224_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA384_C
#define MBEDTLS_SHA512_C
#define MBEDTLS_HKDF_C               /* TLS 1.3 key schedule */

/* Public key */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_DP_CURVE25519_ENABLED
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDSA_DETERMINISTIC
#define MBEDTLS_RSA_C                /* operators' existing RSA PKIs */
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21            /* RSA-PSS, required by TLS 1.3 */
#define MBEDTLS_X509_RSASSA_PSS_SUPPORT /* TLS 1.3 offers rsa_pss_rsae_*
					   only with it (without, an RSA key
					   failed every 1.3 handshake), and
					   certificates signed with RSA-PSS
					   parse */
#define MBEDTLS_GENPRIME             /* certificate tool: RSA keys on request */
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C

/* Encodings */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_PEM_WRITE_C

/* X.509 */
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_CRL_PARSE_C
#define MBEDTLS_X509_CSR_PARSE_C
#define MBEDTLS_X509_CREATE_C
#define MBEDTLS_X509_CRT_WRITE_C
#define MBEDTLS_X509_CSR_WRITE_C

/* TLS */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_SRV_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_TLS1_3
#define MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE
#define MBEDTLS_SSL_SESSION_TICKETS
#define MBEDTLS_SSL_TICKET_C
/*
 * A ticket is refused when the client's idea of its age and the server's
 * differ by more than this (ms).  The check guards 0-RTT data against
 * replay, which we do not enable; the default 6 s refused tickets that a
 * busy client (gw-loadgen holding thousands of agents) had taken seconds
 * after they were sent.
 */
#define MBEDTLS_SSL_TLS1_3_TICKET_AGE_TOLERANCE 60000
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH /* a TLS 1.2 client may ask us for
					   smaller records */
#define MBEDTLS_SSL_RECORD_SIZE_LIMIT   /* TLS 1.3: each side announces the
					   records it takes (RFC 8449) */
/*
 * Records of 16 KiB (the default IN/OUT_CONTENT_LEN) while a handshake runs
 * and for every peer that does not announce a record size limit (OpenSSL,
 * Go: an enterprise chain, 16 KiB records), and buffers that shrink after
 * a TLS 1.3 handshake to the limits both sides announced: gatewayd and
 * gw-agent announce 2 KiB (tls_conf.c, TLS_RECORD_LIMIT), so an idle agent
 * of ours costs gatewayd 2 x 2 KiB of buffers, not 2 x 16 KiB (44.6 KiB an
 * idle agent cost with 16 KiB buffers).  mbedTLS 3.6 shrinks buffers only
 * after a TLS 1.2 handshake and only for max_fragment_length: cmake/
 * mbedtls-patches/0001 makes it follow record_size_limit after a TLS 1.3
 * one (Mbed-TLS/mbedtls#7012).  Our clients ask no max_fragment_length: a
 * TLS 1.3 mbedTLS client fails when a server (OpenSSL) echoes it.
 * docs/PROTOCOL.md section 2, docs/PERFORMANCE.md.
 */
#define MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH

#endif /* GW_MBEDTLS_CONFIG_H */
