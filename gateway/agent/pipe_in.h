/*
 * pipe_in.h: gw-agent's command-line mode: the lines of one file (--file)
 * or of stdin, each sent raw, exactly once, at --rate; the agent ends once
 * the input ended and every line is acknowledged (or at --timeout).
 */
#ifndef GW_PIPE_IN_H
#define GW_PIPE_IN_H

#include "agent_opts.h"

/**
 * pipe_in_main(o): run the command-line mode with ${o}: gw-agent's exit
 * status (0 done, 1 failure or timeout, 2 usage, 3 refused).  A usage
 * error calls ${usage}(why), which does not return.
 */
int pipe_in_main(const struct agent_opts *o, void (*usage)(const char *why));

#endif /* GW_PIPE_IN_H */
