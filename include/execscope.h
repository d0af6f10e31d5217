/* A session under the exec gate (execgate.h): its profile's programs are
 * allowlisted by identity, and every exec the gate holds for the session
 * is judged with its policy. This is the kernel-side half of exec
 * enforcement (DESIGN.md §4): seccomp checks the path a process names, the
 * gate the file the kernel really opened. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "execgate.h"
#include "session.h"

/* Adds a scope for session s (kind and pid as execgate_add_scope) and
 * allowlists every literal [exec] entry of its profile, with its chain of
 * interpreters, opened inside root (a directory fd on the scope's root, or
 * AT_FDCWD for the caller's own). Entries that do not exist are skipped.
 * Returns 0 and the scope in *ret, or -errno. */
int execscope_add(struct execgate *g, struct session *s, enum execgate_scope_kind kind,
                  pid_t pid, int rootfd, struct execgate_scope **ret);

/* The gate's judge for sessions (ctx unused; the scope's cookie is the
 * session): an allowlisted unchanged file runs; an unchanged file that a
 * pattern (not a literal entry) of the profile allows by path runs;
 * anything else, and every file changed since supervision started, is
 * refused with a deny event. Sessions not in enforce mode are not refused. */
bool execscope_judge(void *ctx, const struct execgate_exec *ex);
