/*
 * syslog_parse.h: syslog messages and their TCP framing, without I/O.
 *   - syslog_parse(): one message (RFC 5424, else RFC 3164, else
 *     "unknown") into (pointer, length) views of the caller's bytes;
 *   - the framer: RFC 6587's two TCP framings, octet counting
 *     ("MSG-LEN SP MSG") and non-transparent framing (a message ends at
 *     LF), chosen per message by its first byte as rsyslog does, fed any
 *     number of bytes at a time into a buffer of a fixed size.
 * Pure: no allocation, no globals; the tests and the fuzzer call exactly
 * what the listener calls (syslog_in.c).
 */
#ifndef GW_SYSLOG_PARSE_H
#define GW_SYSLOG_PARSE_H

#include <stddef.h>
#include <stdint.h>

enum syslog_format {
	SYSLOG_UNKNOWN,		/* neither: the bytes are the message */
	SYSLOG_RFC5424,
	SYSLOG_RFC3164
};

/* Bytes of a message: p == NULL when absent (or RFC 5424's "-"). */
struct syslog_view {
	const uint8_t	*p;
	size_t		 len;
};

struct syslog_msg {
	enum syslog_format	 format;
	int			 facility;	/* 0..23, or -1 (unknown) */
	int			 severity;	/* 0..7, or -1 */
	struct syslog_view	 timestamp;	/* as sent */
	struct syslog_view	 hostname;
	struct syslog_view	 app_name;	/* RFC 3164: the TAG */
	struct syslog_view	 procid;	/* RFC 3164: TAG[pid] */
	struct syslog_view	 msgid;		/* RFC 5424 only */
	struct syslog_view	 sd;		/* RFC 5424 SD, as sent */
	struct syslog_view	 msg;		/* never NULL (may be empty) */
};

/* RFC 5424's bounds on its header fields (section 6). */
#define SYSLOG_HOSTNAME_MAX	255
#define SYSLOG_APPNAME_MAX	48
#define SYSLOG_PROCID_MAX	128
#define SYSLOG_MSGID_MAX	32
#define SYSLOG_SDNAME_MAX	32

/**
 * syslog_trim(p, len): ${len} less the newlines, CRs and NULs that end
 * the ${len} bytes of ${p} (a sender's terminator, not the message's).
 */
size_t syslog_trim(const uint8_t *p, size_t len);

/**
 * syslog_parse(p, len, m): the message of ${len} bytes at ${p} into
 * ${m}, whose views point into ${p}.  RFC 5424 if it is one (every
 * header field within its syntax and bounds, structured data
 * well-formed; a UTF-8 BOM starting MSG is left out), else RFC 3164
 * ("<PRI>", then, if present, "Mmm dd hh:mm:ss " or an RFC 3339
 * timestamp, a hostname and a "TAG[pid]: "), else unknown (${m}->msg is
 * all of ${p}).  Return ${m}->format.
 */
enum syslog_format syslog_parse(const uint8_t *p, size_t len,
    struct syslog_msg *m);

/** syslog_format_str(f): "rfc5424", "rfc3164" or "unknown". */
const char *syslog_format_str(enum syslog_format f);

/** syslog_facility_str(n): "kern".."local7" for 0..23, else NULL. */
const char *syslog_facility_str(int n);

/** syslog_severity_str(n): "emerg".."debug" for 0..7, else NULL. */
const char *syslog_severity_str(int n);

/* What syslog_frame_feed() says. */
#define SYSLOG_FRAME_NEED	0	/* all bytes taken; no message yet */
#define SYSLOG_FRAME_MSG	1	/* a message is in the frame */
#define SYSLOG_FRAME_ERR	(-1)	/* the stream is broken: close it */

enum syslog_frame_err {
	SYSLOG_FERR_NONE,
	SYSLOG_FERR_LEN_SYNTAX,	/* MSG-LEN not digits then SP */
	SYSLOG_FERR_LEN_BIG	/* MSG-LEN over the bound */
};

enum syslog_frame_state {
	SYSLOG_FS_START,	/* before a message's first byte */
	SYSLOG_FS_LEN,		/* in MSG-LEN */
	SYSLOG_FS_COUNTED,	/* in an octet-counted message */
	SYSLOG_FS_LINE,		/* in a LF-terminated message */
	SYSLOG_FS_SKIP,		/* past the bound of a LF message */
	SYSLOG_FS_BROKEN	/* an error was returned */
};

/*
 * A framer: its state and the message being gathered, in a buffer of
 * ${cap} bytes that the caller owns (max_message).
 */
struct syslog_framer {
	enum syslog_frame_state	 state;
	enum syslog_frame_err	 err;
	uint8_t			*buf;
	size_t			 cap;
	size_t			 len;		/* bytes of the message */
	size_t			 need;		/* LEN: MSG-LEN; COUNTED: left */
	int			 ndigits;
	int			 cut;		/* the message lost its end */
	int			 counted;	/* octet counting */
};

/* A message out of the framer: valid until the next feed. */
struct syslog_frame {
	const uint8_t	*p;
	size_t		 len;
	int		 cut;		/* longer than the buffer: its start */
	int		 counted;	/* came octet-counted */
};

/**
 * syslog_frame_init(f, buf, cap): a framer gathering messages of at most
 * ${cap} bytes (at least 1) into ${buf}.
 */
void syslog_frame_init(struct syslog_framer *f, uint8_t *buf, size_t cap);

/**
 * syslog_frame_feed(f, p, len, used, out): take bytes of ${p} (${len})
 * until a message is whole.  *${used} says how many were taken.
 * SYSLOG_FRAME_MSG: the message is in ${out} (call again with the rest);
 * SYSLOG_FRAME_NEED: all were taken; SYSLOG_FRAME_ERR: an octet count
 * that is not a number or is over the buffer (f->err says which): the
 * stream cannot be resynchronised, and the framer stays broken.  A LF
 * message longer than the buffer comes cut to it (out->cut) as soon as it
 * overflows, and the rest of it, up to its LF, is skipped; an empty LF
 * message (a blank line) is skipped.
 */
int syslog_frame_feed(struct syslog_framer *f, const uint8_t *p, size_t len,
    size_t *used, struct syslog_frame *out);

/**
 * syslog_frame_flush(f, out): at the end of the stream, a LF message
 * still without its LF, if any: 1 and ${out}, else 0.
 */
int syslog_frame_flush(struct syslog_framer *f, struct syslog_frame *out);

/** syslog_frame_err_str(e): "len-syntax", "len-too-big" or "none". */
const char *syslog_frame_err_str(enum syslog_frame_err e);

#endif /* GW_SYSLOG_PARSE_H */
