/* Verdict events (DESIGN.md §7): one JSON object per line, the interface to
 * SIEMs. Pure: this module formats; the caller writes the line.
 *
 * Fields, always in this order, each omitted when the struct says so:
 *
 *   time       RFC 3339 UTC with milliseconds, "2026-11-22T18:20:01.123Z"
 *   container  profile  image  mode  class  syscall  verdict
 *   errno      the errno returned to the process (number; omitted when 0)
 *   path       addr  pid  exe  comm
 *   uid        (number; omitted when negative)
 *   reason     rule
 *
 * path, exe and comm are raw bytes from the target. They are written in the
 * profile encoding (encode.h): '%', '*', '?', ';', '#', space, control
 * characters and bytes that are not well-formed UTF-8 become "%XX". So the
 * JSON is always valid UTF-8, no two paths give the same text, and the path
 * of an event can be pasted into a profile as a literal entry ("allow = "
 * followed by the path field) to allow exactly that path.
 *
 * The other strings are the agent's own text (names, modes, rules). They are
 * written as they are when they are valid UTF-8 (JSON escapes quotes and
 * control characters); a string that is not valid UTF-8 (e.g. a container
 * name from a foreign runtime) is written in the profile encoding instead. */
#pragma once

#include <stddef.h>
#include <time.h>

#include "strbuf.h"

struct event {
        struct timespec time;           /* CLOCK_REALTIME */
        const char *container;          /* NULL for `driftlock run` (field omitted) */
        const char *profile;            /* profile name or file, NULL: omitted */
        const char *image;              /* NULL: omitted */
        const char *mode;               /* "learn" | "monitor" | "enforce" */
        const char *class;              /* "exec" | "write" | "read" | "connect" */
        const char *syscall;            /* "openat", ... */
        const char *verdict;            /* "allow" | "deny" | "alert" | "learn" | "kill" */
        int error;                      /* errno returned to the process, 0: omitted */
        const char *path;               /* raw bytes (any but NUL), NULL: omitted */
        size_t path_len;
        const char *addr;               /* formatted connect target ("tcp 127.0.0.1 8080",
                                           "unix /run/x"), NULL: omitted */
        int pid;                        /* thread group id as seen by driftlock;
                                           0: omitted (container lifecycle events) */
        const char *exe;                /* raw bytes, NULL: omitted */
        size_t exe_len;
        const char *comm;               /* raw bytes, at most 16, NUL-terminated if
                                           shorter; NULL: omitted */
        long uid;                       /* -1: omitted */
        const char *reason;             /* "no matching rule", "rule", ... */
        const char *rule;               /* matching rule text, NULL: omitted */
};

/* Longest comm read from struct event (TASK_COMM_LEN). */
#define EVENT_COMM_MAX 16

/* Appends one event as a single line of compact JSON ending in "\n". Every
 * string field that is NULL is omitted (mode, class, syscall, verdict and
 * reason are expected to be set). On failure out is left as it was.
 * Returns 0; -ENOMEM; -EINVAL if the time is not representable in RFC 3339
 * (a year outside 0-9999) or a raw length exceeds PATH_MAX_BYTES. */
int event_format(const struct event *ev, struct strbuf *out);
