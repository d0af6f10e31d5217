/* Facts about the process behind a held call, read from /proc and pidfds:
 * its thread group, credentials and names for events, and copies of its
 * file descriptors. Kernel edge: every function may fail with -ESRCH or
 * -ENOENT when the process is gone. */
#pragma once

#include <stdbool.h>
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

/* The inode number of the process's namespace of the given kind ("pid",
 * "mnt", ...): two processes share the namespace iff the numbers are equal
 * (namespaces live on one nsfs). Returns 0 or -errno. */
int target_namespace(pid_t pid, const char *kind, uint64_t *ret);

/* The process's cgroup v2 path (the "0::" line of /proc/PID/cgroup; on a
 * hybrid hierarchy the whole file, which still identifies the cgroups).
 * Returns its length or -errno (-ENAMETOOLONG if it does not fit in cap). */
int target_cgroup(pid_t pid, char *buf, size_t cap);

/* The pid a pidfd refers to (from /proc/self/fdinfo), or -errno (-ESRCH
 * once the process has been reaped). */
pid_t target_pidfd_pid(int pidfd);

/* True if the process behind pidfd has not exited: facts read from
 * /proc/PID before this returned true belong to it, not to a later process
 * that reused the pid. */
bool target_pidfd_alive(int pidfd);
