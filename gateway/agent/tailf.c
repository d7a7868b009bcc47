/*
 * tailf.c: files followed like tail -F (tailf.h): the input's life, each
 * input's pass every `poll` (the glob rescanned, each file checked for a
 * rotation, read, and its position committed with its lines), and the
 * switch from a rotated file read to its end to the new one.
 */
#include <errno.h>
#include <glob.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"
#include "tailf.h"
#include "tailf_impl.h"

#define TAIL_LONG_LOG	10.0	/* seconds between long-line logs */

/* The input behind a callback's ${arg}; anything else aborts. */
static struct tail_in *
tail_in_arg(void *arg)
{
	struct tail_in *in = arg;

	if (in == NULL || in->magic != TAIL_IN_MAGIC)
		abort();
	return in;
}

static struct tail *
tail_arg(void *arg)
{
	struct tail *t = arg;

	if (t == NULL || t->magic != TAIL_MAGIC)
		abort();
	return t;
}

static void
tail_file_free(struct tail_file *f)
{
	if (f == NULL)
		return;
	if (f->fd >= 0)
		close(f->fd);
	free(f->buf);
	free(f->path);
	free(f);
}

/*
 * Follow ${path} in ${in}: 0, or -1 if it cannot be read (or no memory),
 * or its position cannot be recorded (refused: logged).
 */
static int
tail_add(struct tail_in *in, const char *path)
{
	struct tail_file *f, **files;
	char esc[LOG_ESC_MAX];

	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->path = strdup(path)) == NULL ||
	    (f->buf = malloc(in->c->max_line + 1)) == NULL ||
	    (files = reallocarray(in->files, in->nfiles + 1,
	    sizeof(*files))) == NULL)
		goto fail;
	in->files = files;
	f->in = in;
	f->fd = -1;
	f->cap = in->c->max_line + 1;
	if (tail_resume(in->t, f) != 0)
		goto fail;
	if (tail_pos_new(in->t, f) != 0) {
		tail_refuse(in, path, "positions");
		goto fail;
	}
	in->files[in->nfiles++] = f;
	log_info("event=file_follow input=%s path=\"%s\" offset=%llu%s",
	    in->c->name, log_esc(esc, sizeof(esc), path, LOG_ESC_STR, 0),
	    (unsigned long long)f->pos.off, f->draining ? " rotated=1" : "");
	return 0;
fail:
	tail_file_free(f);
	return -1;
}

/*
 * Stop following the ${i}th file of ${in}: ${why} "gone" (its position is
 * forgotten) or "idle" (ignore_older: its position is kept, for when it
 * is written again).
 */
static void
tail_remove(struct tail_in *in, size_t i, const char *why)
{
	struct tail *t = in->t;
	struct tail_file *f = in->files[i];
	char esc[LOG_ESC_MAX];

	log_info("event=file_%s input=%s path=\"%s\"", why, in->c->name,
	    log_esc(esc, sizeof(esc), f->path, LOG_ESC_STR, 0));
	if (strcmp(why, "idle") == 0) {
		if (f->dirty && t->j != NULL &&
		    journal_pos_set(t->j, f->path, &f->pos) != 0)
			log_warnx("event=file_position_error input=%s "
			    "err=\"%s\"", in->c->name, log_esc(esc,
			    sizeof(esc), journal_error(t->j), LOG_ESC_STR, 0));
	} else if (t->j != NULL && journal_pos_forget(t->j, f->path) != 0)
		log_warnx("event=file_position_error input=%s err=\"%s\"",
		    in->c->name, log_esc(esc, sizeof(esc), journal_error(t->j),
		    LOG_ESC_STR, 0));
	t->pending = 1;
	t->evict_again = 1;
	tail_file_free(f);
	in->files[i] = in->files[--in->nfiles];
}

/* 1 if ${path} was not written for ignore_older (if set). */
static int
tail_old(const struct tail_in *in, const char *path)
{
	struct stat st;

	return in->c->ignore_older > 0 && stat(path, &st) == 0 &&
	    ev_time() - (double)st.st_mtime > in->c->ignore_older;
}

/*
 * Follow what ${in}'s pattern matches and is not followed yet: not a file
 * read under another name already (a pattern that matches the rotated
 * names too), nor a symlink unless follow_symlinks.
 */
static void
tail_scan(struct tail_in *in)
{
	struct stat st;
	glob_t g;

	if (glob(in->c->path, GLOB_NOSORT, NULL, &g) != 0)
		return;			/* no match, or an error: later */
	for (size_t k = 0; k < g.gl_pathc; k++) {
		const char *p = g.gl_pathv[k];

		if (tail_conf_excluded(in->c, p) || tail_followed(in->t, p) ||
		    tail_old(in, p) || tail_stat(in->c, p, &st) != 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			tail_refuse(in, p, "symlink");
			continue;
		}
		if (tail_followed_ino(in->t, (uint64_t)st.st_dev,
		    (uint64_t)st.st_ino))
			continue;
		if (in->nfiles >= in->c->max_files) {
			if (!in->full_logged)
				log_warnx("event=file_max_files input=%s "
				    "max_files=%u", in->c->name,
				    in->c->max_files);
			in->full_logged = 1;
			break;
		}
		(void)tail_add(in, p);
	}
	globfree(&g);
}

/*
 * The ${i}th file of ${in} was read to its end and did not grow for two
 * passes: go on with its path's file from its start (or from where it
 * was drained under another name).  1 if it was removed instead (its
 * path is gone, or its file is read by another entry).
 */
static int
tail_switch(struct tail_in *in, size_t i)
{
	struct tail_file *f = in->files[i];
	struct file_pos now = { 0 };
	char esc[LOG_ESC_MAX];
	uint64_t size;
	int fd;

	if ((fd = tail_open(f->path, in->c->follow_symlinks, &now,
	    &size)) < 0) {
		tail_pos_drained(in->t, f->fd, &f->pos);
		tail_remove(in, i, "gone");
		return 1;
	}
	if (now.dev == f->pos.dev && now.ino == f->pos.ino) {
		close(fd);		/* renamed back: it goes on as it was */
		f->draining = 0;
		f->idle = 0;
		return 0;
	}
	tail_pos_drained(in->t, f->fd, &f->pos);
	if (tail_followed_ino(in->t, now.dev, now.ino)) {
		close(fd);	/* another entry reads it: it goes on there */
		tail_remove(in, i, "gone");
		return 1;
	}
	close(f->fd);
	f->fd = fd;
	f->pos = now;		/* from its start, or where it was drained
				   under another name (app.log.1 after
				   app.log.1 was deleted) */
	if (!tail_pos_ino(in->t, fd, &f->pos)) {
		f->pos.off = 0;
		f->pos.fplen = 0;
	}
	f->len = 0;
	f->skipping = f->splitting = 0;
	f->partial_since = 0;
	f->draining = 0;
	f->idle = 0;
	f->last_size = size;
	f->dirty = 1;
	log_info("event=file_switch input=%s path=\"%s\"", in->c->name,
	    log_esc(esc, sizeof(esc), f->path, LOG_ESC_STR, 0));
	return 0;
}

/* 1 if ${f}, being drained, is read to its end and stays so. */
static int
tail_drained(struct tail_file *f)
{
	struct stat st;

	if (fstat(f->fd, &st) != 0)
		return 1;
	if ((uint64_t)st.st_size != f->last_size) {
		f->last_size = (uint64_t)st.st_size;
		f->idle = 0;
		return 0;
	}
	return ++f->idle >= 2 && f->len == 0;
}

/* The long lines split and dropped, logged at most every TAIL_LONG_LOG. */
static void
tail_log_long(struct tail_in *in)
{
	double now = ev_now(in->t->loop);

	if ((in->split == in->split_logged &&
	    in->dropped == in->dropped_logged) ||
	    now - in->long_logged < TAIL_LONG_LOG)
		return;
	log_warnx("event=file_long_lines input=%s max_line=%u split=%llu "
	    "dropped=%llu", in->c->name, in->c->max_line,
	    (unsigned long long)in->split, (unsigned long long)in->dropped);
	in->split_logged = in->split;
	in->dropped_logged = in->dropped;
	in->long_logged = now;
}

/* Another pass of ${in} at once (more to read, or room came back). */
static void
tail_soon(struct tail_in *in)
{
	ev_timer_stop(in->t->loop, &in->timer);
	ev_timer_set(&in->timer, 0., in->c->poll);
	ev_timer_start(in->t->loop, &in->timer);
}

/* One pass of ${in}: rescan, check and read each file, commit. */
static void
tail_pass(struct tail_in *in)
{
	struct tail *t = in->t;
	struct tail_file *f;
	double now = ev_now(t->loop);
	int more = 0, rc;

	if (t->blocked || t->stopped)
		return;
	if (now - in->last_scan >= in->c->poll * 0.9) {
		in->last_scan = now;
		tail_scan(in);
	}
	for (size_t i = 0; i < in->nfiles && !t->blocked && !t->stopped;
	    i++) {
		f = in->files[i];
		if (f->failed) {	/* its position: not recorded */
			if (access(f->path, F_OK) != 0)
				tail_remove(in, i--, "gone");
			else if (tail_old(in, f->path))
				tail_remove(in, i--, "idle");
			continue;
		}
		tail_check(t, f);
		if ((rc = tail_pump(t, f)) == TAIL_MORE)
			more = 1;
		else if (rc == TAIL_DONE && f->draining && tail_drained(f) &&
		    tail_switch(in, i))
			i--;
		else if (rc == TAIL_DONE && !f->draining && f->len == 0 &&
		    t->j != NULL && tail_old(in, f->path))
			tail_remove(in, i--, "idle");
	}
	(void)tail_commit(t, in);
	if (t->blocked && !t->stopped)
		sink_wait(t->sink, &t->w);
	else if (more)
		tail_soon(in);
	tail_log_long(in);
}

static void
tail_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	tail_pass(tail_in_arg(w->data));
}

/* Room came back in the sink: every input goes on at once. */
static void
tail_room_cb(struct sink_waiter *w)
{
	struct tail *t = tail_arg((char *)w - offsetof(struct tail, w));

	t->blocked = 0;
	for (size_t i = 0; i < t->nin && !t->stopped; i++)
		tail_soon(&t->in[i]);
}

/*
 * On start, the positions of files not followed after the first scans:
 * one whose path is gone may have been rotated away while the agent was
 * down (its rest is read); the others are forgotten, unless their file is
 * there (over max_files) and may be followed later, and was written
 * within ignore_older (if set).
 */
static void
tail_stale(struct tail *t)
{
	char esc[LOG_ESC_MAX];
	struct file_pos p;
	struct tail_in *in;
	struct stat st;
	const char *key;
	size_t n = 0;
	int there;

	while (journal_pos_at(t->j, n, &p) != NULL)
		n++;
	while (n-- > 0) {
		if ((key = journal_pos_at(t->j, n, &p)) == NULL ||
		    tail_followed(t, key))
			continue;
		in = tail_owner(t, key);
		there = stat(key, &st) == 0;
		if (in != NULL && there && !tail_old(in, key))
			continue;
		if (in != NULL && !there && in->nfiles < in->c->max_files &&
		    tail_add(in, key) == 0)
			continue;
		if (in != NULL && !there)
			log_warnx("event=file_lost_data input=%s path=\"%s\" "
			    "reason=gone offset=%llu lost=unknown",
			    in->c->name, log_esc(esc, sizeof(esc), key,
			    LOG_ESC_STR, 0), (unsigned long long)p.off);
		(void)journal_pos_forget(t->j, key);
		t->pending = 1;
	}
}

/* Input ${in} of ${t} with ${c}: no file followed yet, its timer set. */
static void
tail_in_init(struct tail *t, struct tail_in *in, const struct tail_in_conf *c)
{
	in->magic = TAIL_IN_MAGIC;
	in->t = t;
	in->c = c;
	ev_timer_init(&in->timer, tail_timer_cb, 0., c->poll);
	in->timer.data = in;
	in->last_scan = ev_now(t->loop);
}

/* Close the files of ${in} (their positions stay) and stop its timer. */
static void
tail_in_drop(struct tail *t, struct tail_in *in)
{
	ev_timer_stop(t->loop, &in->timer);
	for (size_t k = 0; k < in->nfiles; k++)
		tail_file_free(in->files[k]);
	free(in->files);
	in->files = NULL;
	in->nfiles = 0;
	in->magic = 0;
}

static void
tail_free(void *arg)
{
	struct tail *t;

	if (arg == NULL)
		return;
	t = tail_arg(arg);
	sink_unwait(t->sink, &t->w);
	for (size_t i = 0; i < t->nin; i++)
		tail_in_drop(t, &t->in[i]);
	free(t->in);
	t->magic = 0;
	free(t);
}

/*
 * Start following the files of ${conf}: the first scans (read_from
 * applies to them), the positions of files rotated away while the agent
 * was down, then a pass of each input at once.
 */
static void *
tail_start(struct ev_loop *loop, struct sink *sink, const void *conf,
    char *err, size_t errlen)
{
	const struct tail_conf *c = conf;
	struct tail *t;

	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->in = calloc(c->n, sizeof(*t->in))) == NULL) {
		free(t);
		snprintf(err, errlen, "[file]: out of memory");
		return NULL;
	}
	*t = (struct tail){ .magic = TAIL_MAGIC, .loop = loop, .sink = sink,
	    .j = sink_journal(sink), .conf = c, .in = t->in, .nin = c->n,
	    .starting = 1 };
	sink_waiter_init(&t->w, tail_room_cb);
	for (size_t i = 0; i < t->nin; i++)
		tail_in_init(t, &t->in[i], &c->in[i]);
	if (t->j != NULL)
		tail_carry(t);
	for (size_t i = 0; i < t->nin; i++)
		tail_scan(&t->in[i]);
	if (t->j != NULL)
		tail_stale(t);
	t->starting = 0;
	for (size_t i = 0; i < t->nin; i++) {
		(void)tail_commit(t, &t->in[i]);
		ev_timer_start(loop, &t->in[i].timer);
	}
	return t;
}

/* 1 if the files of input ${a} can go on under ${b} as they are. */
static int
tail_in_same(const struct tail_in_conf *a, const struct tail_in_conf *b)
{
	return strcmp(a->name, b->name) == 0 &&
	    strcmp(a->path, b->path) == 0 && a->max_line == b->max_line &&
	    (a->exclude == NULL ? b->exclude == NULL : b->exclude != NULL &&
	    strcmp(a->exclude, b->exclude) == 0);
}

/*
 * SIGHUP: the inputs of ${conf}.  One whose name, path, exclude and
 * max_line did not change keeps its files where they are (its other keys
 * apply from now on); the files of the others are closed, their positions
 * kept; a new or changed input starts as on the agent's start (read_from
 * applies to what it finds without a position).
 */
static int
tail_reload(void *arg, const void *conf, char *err, size_t errlen)
{
	struct tail *t = tail_arg(arg);
	const struct tail_conf *c = conf;
	struct tail_in *in, *old;
	int *fresh;

	if ((in = calloc(c->n, sizeof(*in))) == NULL ||
	    (fresh = calloc(c->n + 1, sizeof(*fresh))) == NULL) {
		free(in);
		snprintf(err, errlen, "[file]: out of memory");
		return -1;
	}
	for (size_t i = 0; i < t->nin; i++)
		(void)tail_commit(t, &t->in[i]);
	for (size_t i = 0; i < c->n; i++) {
		tail_in_init(t, &in[i], &c->in[i]);
		fresh[i] = 1;
		for (size_t k = 0; k < t->nin && fresh[i]; k++) {
			old = &t->in[k];
			if (!tail_in_same(old->c, &c->in[i]))
				continue;
			in[i].files = old->files;
			in[i].nfiles = old->nfiles;
			old->files = NULL;
			old->nfiles = 0;
			for (size_t f = 0; f < in[i].nfiles; f++)
				in[i].files[f]->in = &in[i];
			fresh[i] = 0;
		}
	}
	for (size_t i = 0; i < t->nin; i++)
		tail_in_drop(t, &t->in[i]);
	free(t->in);
	t->in = in;
	t->nin = c->n;
	t->conf = c;
	for (size_t i = 0; i < t->nin; i++) {
		t->starting = fresh[i];
		tail_scan(&t->in[i]);
		t->starting = 0;
		if (!t->stopped)
			ev_timer_start(t->loop, &t->in[i].timer);
	}
	free(fresh);
	return 0;
}

/* SIGTERM: read no more (what was pushed is committed already). */
static void
tail_stop(void *arg)
{
	struct tail *t = tail_arg(arg);

	t->stopped = 1;
	sink_unwait(t->sink, &t->w);
	for (size_t i = 0; i < t->nin; i++)
		ev_timer_stop(t->loop, &t->in[i].timer);
}

const struct input_ops tail_input_ops = {
	.section = "file",
	.named = 1,
	.conf_new = tail_conf_new,
	.conf_set = tail_conf_set,
	.conf_check = tail_conf_check,
	.conf_free = tail_conf_free,
	.conf_any = tail_conf_any,
	.start = tail_start,
	.reload = tail_reload,
	.stop = tail_stop,
	.free = tail_free,
};
