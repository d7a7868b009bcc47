/*
 * conn_bio.c: the socket under a connection's TLS context.  mbedTLS asks
 * for a record's header and then its body; reading ahead into a buffer
 * that exists only while it holds bytes makes that one recv(2) per
 * wake-up instead of two per record.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>

#include "conn_impl.h"

/** conn_bio_send(ctx, p, n): write to the socket; never blocks. */
int
conn_bio_send(void *ctx, const unsigned char *p, size_t n)
{
	struct conn *c = ctx;
	ssize_t r;

	CONN_CHECK(c);
	r = send(c->fd, p, n, MSG_NOSIGNAL);
	if (r >= 0)
		return (int)r;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	if (errno == EPIPE || errno == ECONNRESET)
		return MBEDTLS_ERR_NET_CONN_RESET;
	return MBEDTLS_ERR_NET_SEND_FAILED;
}

/**
 * conn_bio_recv(ctx, p, n): read for mbedTLS from the read-ahead buffer,
 * filling it with one recv(2) when empty.
 */
int
conn_bio_recv(void *ctx, unsigned char *p, size_t n)
{
	struct conn *c = ctx;
	ssize_t r;

	CONN_CHECK(c);
	if (c->rx_len == 0) {
		/*
		 * A short read emptied the socket: say so without another
		 * recv(2) that would only fail with EAGAIN.  The watcher is
		 * level-triggered, so bytes that came since wake us at once.
		 */
		if (c->rx_drained)
			return MBEDTLS_ERR_SSL_WANT_READ;
		if (c->rx == NULL && (c->rx = malloc(CONN_RX_CAP)) == NULL)
			r = recv(c->fd, p, n, 0);	/* no read-ahead */
		else if ((r = recv(c->fd, c->rx, CONN_RX_CAP, 0)) > 0) {
			c->rx_off = 0;
			c->rx_len = (size_t)r;
			c->rx_drained = (size_t)r < CONN_RX_CAP;
		}
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return MBEDTLS_ERR_SSL_WANT_READ;
			if (errno == ECONNRESET)
				return MBEDTLS_ERR_NET_CONN_RESET;
			return MBEDTLS_ERR_NET_RECV_FAILED;
		}
		if (r == 0 || c->rx == NULL)
			return (int)r;
	}
	if (n > c->rx_len)
		n = c->rx_len;
	memcpy(p, c->rx + c->rx_off, n);
	c->rx_off += n;
	c->rx_len -= n;
	return (int)n;
}
