/*
 * tailf.h: files followed like tail -F, the "file" input kind of gw-agent's
 * service ([file NAME] sections, tail_conf.h).  Each input is a path or a
 * glob(3) pattern; every matching file is read line by line, each line one
 * "log" event (PROTOCOL.md 12.2), across rotation by rename (the renamed
 * file is read to its end before the new one), by copy-truncate (the copy
 * is read from where reading stopped, then the truncated file from its
 * start), a file that disappears and returns, and restarts: each file's
 * device, inode, offset and fingerprint are recorded in the journal with
 * the lines read (journal.h), and checked against the file found on
 * start.  Polling (stat, fstat, pread) every `poll`: no inotify.
 */
#ifndef GW_TAILF_H
#define GW_TAILF_H

#include "input.h"

extern const struct input_ops tail_input_ops;

#endif /* GW_TAILF_H */
