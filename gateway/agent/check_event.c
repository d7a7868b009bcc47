/*
 * check_event.c: one run of a scheduled check as an event (PROTOCOL.md
 * 12.4), from its result and its output read by plugin_out.h.  Pure.
 */
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "event.h"
#include "plugin_out.h"

static const char *const check_states[] = {
	"OK", "WARNING", "CRITICAL", "UNKNOWN"
};

/* A threshold: its text, or null when there is none. */
static void
range_member(struct event *e, const char *key, const char *s)
{
	if (s[0] == '\0')
		event_null(e, key);
	else
		event_str(e, key, s);
}

static void
perf_members(struct event *e, const struct plugin_out *po)
{
	const struct plugin_perf *pf;
	size_t i;

	event_open(e, "perfdata", 1);
	for (i = 0; i < po->nperf; i++) {
		pf = &po->perf[i];
		event_open(e, NULL, 0);
		event_bytes(e, "label", pf->label, pf->label_len);
		event_num(e, "value", pf->value);	/* NAN (U): null */
		event_str(e, "uom", pf->uom);
		range_member(e, "warn", pf->warn);
		range_member(e, "crit", pf->crit);
		event_num(e, "min", pf->min);
		event_num(e, "max", pf->max);
		event_close(e);
	}
	event_close(e);
}

/*
 * "output": the first line; when the state has a reason (a timeout, a
 * signal...), the reason, then ": " and the first line if there is one.
 */
static void
output_member(struct event *e, const struct check_result *r,
    const struct plugin_out *po)
{
	size_t rl, len;
	char *b;

	if (r->reason == NULL) {
		event_bytes(e, "output", po->text, po->text_len);
		return;
	}
	rl = strlen(r->reason);
	if (po->text_len == 0 || (b = malloc(rl + 2 + po->text_len)) == NULL) {
		event_str(e, "output", r->reason);
		return;
	}
	memcpy(b, r->reason, rl);
	memcpy(b + rl, ": ", 2);
	memcpy(b + rl + 2, po->text, po->text_len);
	len = rl + 2 + po->text_len;
	event_bytes(e, "output", b, len);
	free(b);
}

/**
 * check_event(e, name, r, po, ts): the event of check ${name}'s run ${r}
 * with output ${po} (plugin_out_parse) at ${ts}, into ${e}.  Its length.
 */
size_t
check_event(struct event *e, const char *name, const struct check_result *r,
    const struct plugin_out *po, double ts)
{
	event_begin(e, "check", name, ts);
	event_open(e, "check", 0);
	event_str(e, "state", check_states[r->state & 3]);
	if (r->exited)
		event_int(e, "status", r->status);
	else
		event_null(e, "status");
	event_str(e, "reason", r->reason);
	event_bool(e, "timed_out", r->timed_out);
	event_int(e, "duration_ms", (int64_t)(r->duration * 1000 + 0.5));
	event_bool(e, "output_truncated", r->truncated);
	event_int(e, "perfdata_skipped", (int64_t)po->perf_bad +
	    po->perf_over);
	output_member(e, r, po);
	perf_members(e, po);
	event_bytes(e, "long_output", po->long_text, po->long_len);
	event_close(e);
	return event_end(e);
}
