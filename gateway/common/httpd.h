/*
 * httpd.h: the small HTTP/1.0 server of the metrics listeners (gatewayd's
 * metrics.c, gw-mgmt's mmetrics.c).  GET and HEAD only; one request per
 * connection, answered from memory and closed.  A request of more than
 * HTTPD_REQ_MAX bytes, or slower than HTTPD_TIMEOUT, is dropped; the whole
 * exchange is bounded by HTTPD_TIMEOUT.  The program says what a path
 * answers (httpd_answer_fn); this module knows no path.  No TLS and no
 * authentication: such a listener belongs on loopback or a management
 * interface (SECURITY.md).
 */
#ifndef GW_HTTPD_H
#define GW_HTTPD_H

#include <stddef.h>

#include <ev.h>

#define HTTPD_REQ_MAX	2048
#define HTTPD_TIMEOUT	5.0
#define HTTPD_CLIENTS	16

struct httpd;

/*
 * An answer: ${status} (200, 404, 503, ...), ${type} (a static string;
 * NULL: text/plain) and a body: ${body}, ${len} bytes, which httpd.c frees
 * (malloc'd), or ${text} (static, NUL-terminated) if body is NULL.  Set
 * only through httpd_text and httpd_body.
 */
struct httpd_answer {
	int		 status;
	const char	*type;
	char		*body;
	size_t		 len;
	const char	*text;
};

/*
 * The answer to GET ${path} (HEAD sends its head only) into ${a}; ${arg}
 * is httpd_new()'s and must be checked.  Return 0, or -1 to close the
 * connection unanswered (out of memory).
 */
typedef int httpd_answer_fn(void *arg, const char *path,
    struct httpd_answer *a);

/**
 * httpd_text(a, status, text): answer ${status} with the static ${text}
 * (text/plain).
 */
void httpd_text(struct httpd_answer *a, int status, const char *text);

/**
 * httpd_body(a, status, type, body, len): answer ${status} with the
 * ${len} bytes of the malloc'd ${body} (freed by httpd.c) of the static
 * content type ${type} (NULL: text/plain).
 */
void httpd_body(struct httpd_answer *a, int status, const char *type,
    char *body, size_t len);

/**
 * httpd_new(loop, fn, arg): a server on ${loop} whose answers come from
 * ${fn}(${arg}); it has no socket yet (httpd_listen, httpd_accept).
 * NULL if out of memory.
 */
struct httpd *httpd_new(struct ev_loop *loop, httpd_answer_fn *fn,
    void *arg);

/**
 * httpd_listen(h, addr, err, errlen): accept on ${addr} ("ip:port",
 * numeric) itself, at most HTTPD_CLIENTS connections at once (the next
 * ones are closed at once).  Return 0, or -1 with "listen ADDR: why" in
 * ${err}.
 */
int httpd_listen(struct httpd *h, const char *addr, char *err,
    size_t errlen);

/**
 * httpd_accept(h, fd): serve the accepted, non-blocking socket ${fd}
 * (a listener of the caller's took it); ${h} owns and closes it.
 */
void httpd_accept(struct httpd *h, int fd);

/**
 * httpd_clients(h): the count of ${h}'s connections, for a listener of
 * the caller's to bound them.
 */
const unsigned *httpd_clients(const struct httpd *h);

/**
 * httpd_free(h): close ${h}'s listener (if any) and connections; NULL-safe.
 */
void httpd_free(struct httpd *h);

#endif /* GW_HTTPD_H */
