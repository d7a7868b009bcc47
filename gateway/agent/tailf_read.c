/*
 * tailf_read.c: a followed file's lines read and pushed to the sink as
 * "log" events (PROTOCOL.md 12.2), its position recorded with them
 * (tailf_impl.h).  A line is consumed (its position moves past it) only
 * once pushed: what the sink has no room for stays in the file's buffer
 * and nothing more is read.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"
#include "tailf_impl.h"

/** tail_consume(f, n): the first ${n} bytes of f->buf are read. */
void
tail_consume(struct tail_file *f, size_t n)
{
	struct file_pos *p = &f->pos;
	size_t keep;

	if (n >= POS_FP_MAX) {
		memcpy(p->fp, f->buf + n - POS_FP_MAX, POS_FP_MAX);
		p->fplen = POS_FP_MAX;
	} else {
		keep = p->fplen;
		if (keep > POS_FP_MAX - n)
			keep = POS_FP_MAX - n;
		memmove(p->fp, p->fp + p->fplen - keep, keep);
		memcpy(p->fp + keep, f->buf, n);
		p->fplen = (uint8_t)(keep + n);
	}
	memmove(f->buf, f->buf + n, f->len - n);
	f->len -= n;
	p->off += n;
	f->dirty = 1;
	f->partial_since = 0;
}

/*
 * The event of the first bytes of f->buf, at most ${len} of them (with
 * "partial":true if ${partial}, or if they are cut): as many as fit
 * whole, escaped, in one event.  How many (${len} unless cut).
 */
static size_t
tail_event(struct tail *t, struct tail_file *f, size_t len, int partial,
    double ts)
{
	size_t n = len, got;

	for (;;) {
		event_begin(&t->ev, "log", f->path, ts);
		event_int(&t->ev, "offset", (int64_t)f->pos.off);
		if (partial)
			event_bool(&t->ev, "partial", 1);
		got = event_bytes(&t->ev, "line", f->buf, n);
		if (got == n || got == 0)	/* 0: no room (cannot be) */
			return n;
		n = got;			/* again, "partial" in */
		partial = 1;
	}
}

/*
 * Push the ${len} bytes at f->buf as one line (${partial}: without its
 * newline), in pieces if its escaped form does not fit in one event (each
 * but the last with "partial":true), each consumed once pushed:
 * TAIL_DONE, TAIL_BLOCKED or TAIL_ERR.
 */
static int
tail_push(struct tail *t, struct tail_file *f, size_t len, int partial)
{
	double ts = ev_time();
	size_t n;
	int rc;

	do {
		n = tail_event(t, f, len, partial, ts);
		rc = sink_push(t->sink, t->ev.buf, event_end(&t->ev));
		if (rc == SINK_FULL) {
			t->blocked = 1;
			return TAIL_BLOCKED;
		}
		if (rc != SINK_OK) {
			t->stopped = 1;
			return TAIL_ERR;
		}
		t->pending = 1;
		if (n < len && !f->splitting)
			f->in->split++;
		if (n < len)
			f->splitting = 1;
		tail_consume(f, n);
		len -= n;
	} while (len > 0);
	return TAIL_DONE;
}

/* Where to cut a long line of f->buf: max_line, or before a UTF-8
 * character that starts up to 3 bytes earlier. */
static size_t
tail_cut(const struct tail_file *f, size_t max)
{
	const unsigned char *b = (const unsigned char *)f->buf;

	for (size_t cut = max; cut > 0 && cut + 4 > max; cut--)
		if ((b[cut] & 0xC0) != 0x80)
			return cut;
	return max;
}

/* A line longer than max_line at the start of f->buf: split or drop. */
static int
tail_long(struct tail *t, struct tail_file *f)
{
	struct tail_in *in = f->in;
	size_t cut;

	if (in->c->long_lines == TAIL_LONG_DROP) {
		in->dropped++;
		f->skipping = 1;
		tail_consume(f, f->len);
		return TAIL_DONE;
	}
	cut = tail_cut(f, in->c->max_line);
	if (!f->splitting)
		in->split++;
	f->splitting = 1;
	return tail_push(t, f, cut, 1);
}

/* Push the whole lines of f->buf: TAIL_DONE, TAIL_BLOCKED or TAIL_ERR. */
static int
tail_lines(struct tail *t, struct tail_file *f)
{
	size_t max = f->in->c->max_line;
	char *nl;
	int rc;

	while (f->len > 0 && !t->blocked) {
		nl = memchr(f->buf, '\n', f->len < max + 1 ? f->len : max + 1);
		if (f->skipping) {
			tail_consume(f, nl != NULL ?
			    (size_t)(nl - f->buf) + 1 : f->len);
			f->skipping = nl == NULL;
			continue;
		}
		if (nl == NULL) {
			if (f->len <= max)
				break;		/* its newline is to come */
			if ((rc = tail_long(t, f)) != TAIL_DONE)
				return rc;
			continue;
		}
		if ((rc = tail_push(t, f, (size_t)(nl - f->buf), 0)) !=
		    TAIL_DONE)
			return rc;
		f->splitting = 0;
		tail_consume(f, 1);		/* the newline */
	}
	return t->blocked ? TAIL_BLOCKED : TAIL_DONE;
}

/* At the end of f: a last line without newline waits partial_wait. */
static int
tail_partial(struct tail *t, struct tail_file *f)
{
	double now = ev_now(t->loop);

	if (f->len == 0 || f->skipping)
		return TAIL_DONE;
	if (f->partial_since == 0) {
		f->partial_since = now;
		return TAIL_DONE;
	}
	if (now - f->partial_since < f->in->c->partial_wait)
		return TAIL_DONE;
	return tail_push(t, f, f->len, 1);
}

/**
 * tail_pump(t, f): read ${f} from its position and push its lines, up to
 * its end or TAIL_PASS bytes: TAIL_DONE, TAIL_MORE, TAIL_BLOCKED or
 * TAIL_ERR.
 */
int
tail_pump(struct tail *t, struct tail_file *f)
{
	char esc[LOG_ESC_MAX];
	size_t budget = TAIL_PASS;
	ssize_t n;
	int rc;

	if (f->fd < 0)
		return TAIL_DONE;
	for (;;) {
		if ((rc = tail_lines(t, f)) != TAIL_DONE)
			return rc;
		if (budget == 0)
			return TAIL_MORE;
		n = pread(f->fd, f->buf + f->len, f->cap - f->len,
		    (off_t)(f->pos.off + f->len));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warn("event=file_read_error input=%s path=\"%s\"",
			    f->in->c->name, log_esc(esc, sizeof(esc),
			    f->path, LOG_ESC_STR, 0));
			return TAIL_ERR;
		}
		if (n == 0)
			break;
		f->len += (size_t)n;
		budget -= (size_t)n < budget ? (size_t)n : budget;
	}
	return tail_partial(t, f);
}

/*
 * The position of ${f} cannot be recorded: it is not read any more (the
 * others go on), loudly.  Its lines pushed are committed (a restart reads
 * them again from the position recorded before).
 */
static void
tail_failed(struct tail *t, struct tail_file *f)
{
	char esc[LOG_ESC_MAX], esc2[LOG_ESC_MAX];

	log_errx("event=file_position_error input=%s path=\"%s\" err=\"%s\" "
	    "action=file_stopped", f->in->c->name, log_esc(esc, sizeof(esc),
	    f->path, LOG_ESC_STR, 0), log_esc(esc2, sizeof(esc2),
	    journal_error(t->j), LOG_ESC_STR, 0));
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	f->len = 0;
	f->failed = 1;
	f->dirty = 0;
}

/**
 * tail_commit(t, in): record the positions of ${in}'s files that moved
 * and commit what was pushed (sink_commit).  0 or -1 (logged).
 */
int
tail_commit(struct tail *t, struct tail_in *in)
{
	struct tail_file *f;

	for (size_t i = 0; i < in->nfiles; i++) {
		f = in->files[i];
		if (!f->dirty)
			continue;
		if (t->j != NULL && journal_pos_set(t->j, f->path,
		    &f->pos) != 0) {
			tail_failed(t, f);
			continue;
		}
		f->dirty = 0;
		t->pending = 1;
	}
	if (!t->pending)
		return 0;
	t->pending = 0;
	if (sink_commit(t->sink) != 0) {
		t->stopped = 1;
		return -1;
	}
	return 0;
}
