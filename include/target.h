/* Facts about the process behind a held call, read from /proc and pidfds:
 * its thread group, credentials and names for events, and copies of its
 * file descriptors. Kernel edge: every function may fail with -ESRCH or
 * -ENOENT when the process is gone. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

struct target_info {
        pid_t tgid;
        long uid;               /* effective uid, -1 if unknown */
        char comm[17];          /* may be empty */
        char exe[4096];         /* raw bytes, may be empty */
};

/* Reads tgid, effective uid, comm and exe of thread tid. Missing pieces are
 * left empty / -1. Returns 0 or -errno when the process is gone. */
int target_info(pid_t tid, struct target_info *ret);

/* A pidfd for thread tid (PIDFD_THREAD, Linux 6.9; before that the thread
 * group leader's pidfd, found through /proc/TID/status). Returns the fd
 * (O_CLOEXEC) or -errno. */
int target_pidfd(pid_t tid);

/* A copy of the target's file descriptor fd (pidfd_getfd, Linux 5.6),
 * O_CLOEXEC. Returns the fd or -errno (-EBADF: not open in the target). */
int target_getfd(pid_t tid, int fd);
