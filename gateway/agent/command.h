/*
 * command.h: runs gw-agent's --on-command handler for one COMMAND
 * (PROTOCOL.md 9.7), or one run of a scheduled check (checks.h), inside
 * the libev loop, never blocking it.  The handler is a program started by
 * posix_spawn, no shell and no arguments, in a process group of its own,
 * with only GW_COMMAND_ID, GW_AGENT and PATH=/usr/bin:/bin in its
 * environment (a check: the arguments and environment it is given, and
 * nothing on its standard input).  The COMMAND's body goes to its
 * standard input through a pipe (written as the handler reads; one that
 * never reads it is not waited for), its standard output and error to one
 * pipe of which the first output_max bytes are kept (the rest is read and
 * dropped: GW_RESULT_TRUNCATED).  At the timeout its process group gets
 * SIGKILL (outcome timeout).  The process is reaped by an ev_child watcher,
 * so the loop must be libev's default loop, and the process must ignore
 * SIGPIPE (gw-agent does): a handler that exits before reading its input
 * breaks the pipe.
 */
#ifndef GW_COMMAND_H
#define GW_COMMAND_H

#include <stddef.h>
#include <stdint.h>
#include <ev.h>

struct command;

struct command_params {
	const char	*program;	/* the handler's path */
	const char	*agent;		/* GW_AGENT: the agent's name */
	size_t		 output_max;	/* output bytes kept */
	double		 timeout;	/* seconds before SIGKILL */
	char *const	*argv;		/* NULL: { program } */
	char *const	*envp;		/* NULL: the handler's (above) */
	int		 quiet;		/* 1: its start and end logged at
					   debug level (a check logs them) */
};

/* How one handler ended, for RESULT. */
struct command_result {
	uint64_t	 id;
	unsigned	 outcome;	/* enum gw_outcome */
	unsigned	 flags;		/* GW_RESULT_TRUNCATED */
	int32_t		 status;	/* exit status, signal, errno, or 0 */
	const uint8_t	*out;		/* the output kept */
	size_t		 len;
};

/* Called once when the handler ended; ${r} is valid during the call. */
typedef void command_done_fn(const struct command_result *r, void *arg);

/**
 * command_start(loop, p, id, body, len, done, arg): run the handler of
 * ${p} for command ${id} with the ${len} bytes of ${body} (copied) on its
 * standard input, on ${loop} (the default loop).  ${done} is called once,
 * from the loop, never from command_start() itself, also when the program
 * cannot be started (outcome spawn-failed); it may call command_free().
 * Return NULL on out of memory (errno set).
 */
struct command *command_start(struct ev_loop *loop,
    const struct command_params *p, uint64_t id, const uint8_t *body,
    size_t len, command_done_fn *done, void *arg);

/**
 * command_free(c): free ${c}; a handler still running is killed (its
 * process group) and reaped first, and done is not called.  NULL-safe.
 */
void command_free(struct command *c);

#endif /* GW_COMMAND_H */
