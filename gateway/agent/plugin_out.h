/*
 * plugin_out.h: the monitoring plugins' interface, as Nagios, Icinga and
 * the monitoring-plugins package define it (the Nagios plugin API, the
 * monitoring-plugins development guidelines), without any I/O:
 *  - a check's command line split into words (no shell: quotes only);
 *  - a plugin's output read into its parts.  The first line is
 *    "TEXT | PERFDATA"; the lines after it are long text, up to the first
 *    "|" on one of them, after which everything is performance data too:
 *      DISK OK - free space: / 3326 MiB|/=2643MB;5948;5958;0;5968
 *      / 15272 MiB (77%);
 *      /boot 68 MiB (69%); | /boot=68MB;88;93;0;98
 *      /home=69357MB;253404;253409;0;253414
 *  - performance data items, space-separated:
 *      'label'=value[UOM];[warn];[crit];[min];[max]
 *    a label quoted when it holds spaces ('' is a quote inside), a value
 *    a number or U (none), a unit of letters or %, the thresholds ranges
 *    ("10", "10:", "~:5", "10:20", "@10:20": kept as written), min and max
 *    numbers; trailing fields may be left out.  An item that breaks these
 *    rules is skipped and counted, never fatal.
 * Everything is bounded: at most PLUGIN_PERF_MAX items are kept (the rest
 * counted), each field at most its size below.
 */
#ifndef GW_PLUGIN_OUT_H
#define GW_PLUGIN_OUT_H

#include <stddef.h>

#define PLUGIN_PERF_MAX		128	/* items kept of one output */
#define PLUGIN_LABEL_MAX	128	/* a label's bytes (unquoted) */
#define PLUGIN_UOM_MAX		15	/* a unit's bytes */
#define PLUGIN_RANGE_MAX	63	/* a threshold's bytes */
#define PLUGIN_NUM_MAX		63	/* a number's bytes */
#define PLUGIN_ARGV_MAX		128	/* words of a command line */

/* One performance data item. */
struct plugin_perf {
	char		 label[PLUGIN_LABEL_MAX + 1];
	size_t		 label_len;
	double		 value;		/* NAN: "U" (no value) */
	char		 uom[PLUGIN_UOM_MAX + 1];	/* "" none */
	char		 warn[PLUGIN_RANGE_MAX + 1];	/* "" none */
	char		 crit[PLUGIN_RANGE_MAX + 1];	/* "" none */
	double		 min, max;	/* NAN: none */
};

/* A plugin's output in parts; text and long_text point into the input. */
struct plugin_out {
	const char	*text;		/* the first line, before any "|" */
	size_t		 text_len;
	const char	*long_text;	/* the next lines, up to a "|" */
	size_t		 long_len;
	struct plugin_perf perf[PLUGIN_PERF_MAX];
	size_t		 nperf;
	unsigned	 perf_bad;	/* items skipped: malformed */
	unsigned	 perf_over;	/* items skipped: past PLUGIN_PERF_MAX */
};

/**
 * plugin_out_parse(o, p, len): read the ${len} bytes of a plugin's output
 * ${p} (any bytes: NUL, no newline, CR LF) into ${o}.  ${o}->text and
 * long_text point into ${p}, without the whitespace that ends them.
 */
void plugin_out_parse(struct plugin_out *o, const void *p, size_t len);

/**
 * plugin_perf_parse(o, p, len): add the performance data items of the
 * ${len} bytes of ${p} (items separated by spaces, tabs or newlines) to
 * ${o}, counting those skipped.
 */
void plugin_perf_parse(struct plugin_out *o, const char *p, size_t len);

/**
 * plugin_range_ok(s, len): 1 if the ${len} bytes of ${s} are a threshold
 * range of the guidelines ([@][start:][end], start a number or ~), or
 * empty.
 */
int plugin_range_ok(const char *s, size_t len);

/**
 * plugin_argv(s, why, whylen): the words of command line ${s}: split on
 * spaces and tabs; '...' keeps its text as it is, "..." too except that
 * \" and \\ are a quote and a backslash; outside quotes a backslash keeps
 * the next character; quoted and unquoted parts of one word join ('' is
 * an empty word).  No variable, glob or other expansion.  A NULL-ended
 * array in one allocation (free() it), or NULL with the reason in ${why}
 * (no word, an unclosed quote, a trailing backslash, over
 * PLUGIN_ARGV_MAX words; errno ENOMEM: no memory, else EINVAL).
 */
char **plugin_argv(const char *s, char *why, size_t whylen);

#endif /* GW_PLUGIN_OUT_H */
