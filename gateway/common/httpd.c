/*
 * httpd.c: the metrics listeners' HTTP/1.0 server (httpd.h).  Each
 * connection is one small state machine: READ (the request, bounded) ->
 * WRITE (the whole answer, built at once) -> closed; a timer bounds both.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "httpd.h"
#include "log.h"
#include "net.h"

#define HTTPD_ACCEPT_BATCH	16

enum hc_state { HC_READ, HC_WRITE };

/* A client is born HC_READ: its memory is zeroed. */
_Static_assert(HC_READ == 0, "HC_READ starts zeroed");

struct hclient {
	unsigned		 magic;		/* HCLIENT_MAGIC */
	struct httpd		*h;
	struct hclient		*next, **prevp;
	enum hc_state		 state;
	int			 fd;
	ev_io			 io;
	ev_timer		 tmr;
	char			 req[HTTPD_REQ_MAX];
	size_t			 rlen;
	char			*out;
	size_t			 olen, ooff;
};

#define HTTPD_MAGIC	0x48747064u	/* "Htpd" */
#define HCLIENT_MAGIC	0x48636c74u	/* "Hclt" */

struct httpd {
	unsigned		 magic;		/* HTTPD_MAGIC */
	struct ev_loop		*loop;
	httpd_answer_fn		*fn;
	void			*arg;		/* ${fn}'s */
	int			 lfd;		/* httpd_listen's, or -1 */
	ev_io			 accept_io;
	struct hclient		*clients;
	unsigned		 nclients;
};

/* ${arg} of a callback: a live client, or abort (a bug). */
static struct hclient *
hc_of(void *arg)
{
	struct hclient *c = arg;

	if (c == NULL || c->magic != HCLIENT_MAGIC) {
		log_errx("event=bug detail=\"http client: bad object\"");
		abort();
	}
	return c;
}

static void
hc_close(struct hclient *c)
{
	struct ev_loop *loop = c->h->loop;

	ev_io_stop(loop, &c->io);
	ev_timer_stop(loop, &c->tmr);
	close(c->fd);
	if ((*c->prevp = c->next) != NULL)
		c->next->prevp = c->prevp;
	c->h->nclients--;
	free(c->out);
	c->magic = 0;
	free(c);
}

static const char *
hc_status_str(int status)
{
	switch (status) {
	case 200: return "200 OK";
	case 400: return "400 Bad Request";
	case 404: return "404 Not Found";
	case 405: return "405 Method Not Allowed";
	case 503: return "503 Service Unavailable";
	default: return "500 Internal Server Error";
	}
}

/**
 * httpd_text(a, status, text): answer ${status} with the static ${text}
 * (text/plain).
 */
void
httpd_text(struct httpd_answer *a, int status, const char *text)
{
	free(a->body);
	*a = (struct httpd_answer){ status, NULL, NULL, strlen(text), text };
}

/**
 * httpd_body(a, status, type, body, len): answer ${status} with the
 * ${len} bytes of the malloc'd ${body} (freed by httpd.c) of the static
 * content type ${type} (NULL: text/plain).
 */
void
httpd_body(struct httpd_answer *a, int status, const char *type,
    char *body, size_t len)
{
	free(a->body);
	*a = (struct httpd_answer){ status, type, body, len, NULL };
}

/* The answer to c->req: status line, headers, body; one buffer. */
static int
hc_answer(struct hclient *c)
{
	struct httpd_answer a = { .status = 200 };
	char method[8] = "", path[64], head[256];
	int hlen, head_only = 0;

	c->req[c->rlen < sizeof(c->req) ? c->rlen : sizeof(c->req) - 1] = '\0';
	if (sscanf(c->req, "%7s %63s", method, path) != 2)
		httpd_text(&a, 400, "bad request\n");
	else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		httpd_text(&a, 405, "GET or HEAD only\n");
	else if (c->h->fn(c->h->arg, path, &a) != 0) {
		free(a.body);
		return -1;
	} else
		head_only = strcmp(method, "HEAD") == 0;
	hlen = snprintf(head, sizeof(head), "HTTP/1.0 %s\r\nContent-Type: %s"
	    "\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
	    hc_status_str(a.status), a.type != NULL ? a.type :
	    "text/plain; charset=utf-8", a.len);
	c->olen = (size_t)hlen + (head_only ? 0 : a.len);
	if ((c->out = malloc(c->olen)) == NULL) {
		free(a.body);
		return -1;
	}
	memcpy(c->out, head, (size_t)hlen);
	if (!head_only && a.len > 0)
		memcpy(c->out + hlen, a.body != NULL ? a.body : a.text, a.len);
	free(a.body);
	return 0;
}

/* The one transition: ${c}'s request is read; its answer is written. */
static void
hc_set_writing(struct hclient *c)
{
	struct ev_loop *loop = c->h->loop;

	assert(c->state == HC_READ);
	c->state = HC_WRITE;
	ev_io_stop(loop, &c->io);
	ev_io_set(&c->io, c->fd, EV_WRITE);
	ev_io_start(loop, &c->io);
}

/* Read the request; once whole, answer it.  0, or -1: closed. */
static int
hc_read(struct hclient *c)
{
	ssize_t n;

	n = read(c->fd, c->req + c->rlen, sizeof(c->req) - c->rlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		goto drop;
	c->rlen += (size_t)n;
	if (memmem(c->req, c->rlen, "\r\n\r\n", 4) == NULL &&
	    memmem(c->req, c->rlen, "\n\n", 2) == NULL) {
		if (c->rlen == sizeof(c->req))
			goto drop;	/* too long to be ours */
		return 0;
	}
	if (hc_answer(c) != 0)
		goto drop;
	hc_set_writing(c);
	return 0;
drop:
	hc_close(c);
	return -1;
}

static void
hc_on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct hclient *c = hc_of(w->data);
	ssize_t n;

	(void)loop;
	(void)revents;
	if (c->state == HC_READ) {
		hc_read(c);
		return;
	}
	n = write(c->fd, c->out + c->ooff, c->olen - c->ooff);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0 || (c->ooff += (size_t)n) == c->olen)
		hc_close(c);
}

static void
hc_on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	hc_close(hc_of(w->data));
}

/* ${arg} of a callback: a live server, or abort (a bug). */
static struct httpd *
httpd_of(void *arg)
{
	struct httpd *h = arg;

	if (h == NULL || h->magic != HTTPD_MAGIC) {
		log_errx("event=bug detail=\"http server: bad object\"");
		abort();
	}
	return h;
}

/**
 * httpd_accept(h, fd): serve the accepted, non-blocking socket ${fd}
 * (a listener of the caller's took it); ${h} owns and closes it.
 */
void
httpd_accept(struct httpd *h, int fd)
{
	struct hclient *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);	/* a scraper retries */
		return;
	}
	c->magic = HCLIENT_MAGIC;
	c->h = h;
	c->fd = fd;
	if ((c->next = h->clients) != NULL)
		c->next->prevp = &c->next;
	h->clients = c;
	c->prevp = &h->clients;
	h->nclients++;
	ev_io_init(&c->io, hc_on_io, fd, EV_READ);
	c->io.data = c;
	ev_io_start(h->loop, &c->io);
	ev_timer_init(&c->tmr, hc_on_timeout, HTTPD_TIMEOUT, 0.);
	c->tmr.data = c;
	ev_timer_start(h->loop, &c->tmr);
}

/* httpd_listen's socket is readable: take what waits, within the cap. */
static void
httpd_on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct httpd *h = httpd_of(w->data);
	int fd;

	(void)loop;
	(void)revents;
	for (int i = 0; i < HTTPD_ACCEPT_BATCH; i++) {
		if ((fd = net_accept(h->lfd)) < 0) {
			if (errno != EAGAIN)
				log_warn("event=accept_failed listener=metrics");
			return;
		}
		if (h->nclients >= HTTPD_CLIENTS) {
			log_debug("event=metrics_refused clients=%u",
			    h->nclients);
			close(fd);
			continue;
		}
		httpd_accept(h, fd);
	}
}

/**
 * httpd_new(loop, fn, arg): a server on ${loop} whose answers come from
 * ${fn}(${arg}); it has no socket yet (httpd_listen, httpd_accept).
 * NULL if out of memory.
 */
struct httpd *
httpd_new(struct ev_loop *loop, httpd_answer_fn *fn, void *arg)
{
	struct httpd *h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->magic = HTTPD_MAGIC;
	h->loop = loop;
	h->fn = fn;
	h->arg = arg;
	h->lfd = -1;
	return h;
}

/**
 * httpd_listen(h, addr, err, errlen): accept on ${addr} ("ip:port",
 * numeric) itself, at most HTTPD_CLIENTS connections at once (the next
 * ones are closed at once).  Return 0, or -1 with "listen ADDR: why" in
 * ${err}.
 */
int
httpd_listen(struct httpd *h, const char *addr, char *err, size_t errlen)
{
	if ((h->lfd = net_listen(addr, err, errlen)) < 0)
		return -1;
	ev_io_init(&h->accept_io, httpd_on_accept, h->lfd, EV_READ);
	h->accept_io.data = h;
	ev_io_start(h->loop, &h->accept_io);
	return 0;
}

/**
 * httpd_clients(h): the count of ${h}'s connections, for a listener of
 * the caller's to bound them.
 */
const unsigned *
httpd_clients(const struct httpd *h)
{
	return &h->nclients;
}

/**
 * httpd_free(h): close ${h}'s listener (if any) and connections; NULL-safe.
 */
void
httpd_free(struct httpd *h)
{
	if (h == NULL)
		return;
	while (h->clients != NULL)
		hc_close(h->clients);
	if (h->lfd >= 0) {
		ev_io_stop(h->loop, &h->accept_io);
		close(h->lfd);
	}
	h->magic = 0;
	free(h);
}
