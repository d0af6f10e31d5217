/* The cgroup v2 hierarchy, as far as the send gate needs it: which cgroup a
 * process is in, and a cgroup of its own for a `driftlock run` tree.
 *
 * The hierarchy is looked for where systemd and runc mount it: at
 * /sys/fs/cgroup (unified mode) or /sys/fs/cgroup/unified (hybrid mode,
 * cgroup v1 controllers with a v2 hierarchy beside them). A v2 hierarchy
 * without controllers still groups processes, which is all BPF needs.
 * Paths are as /proc/PID/cgroup writes them ("/" is the root), seen from
 * the caller's cgroup namespace. No logging. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The cgroup v2 path of pid ("0::PATH" of /proc/PID/cgroup) into *ret
 * (malloc). Returns 0, -ESRCH, -ENOENT (no v2 hierarchy line), -ENOMEM. */
int cgroup2_path_of(pid_t pid, char **ret);

/* True if the cgroup path inner is outer or below it (outer is a prefix
 * ending at a '/' of inner; "/" holds every cgroup). Pure. */
bool cgroup2_within(const char *inner, const char *outer);

/* Opens the directory of cgroup path (O_DIRECTORY | O_CLOEXEC) into *ret_fd.
 * Returns 0, -ENOENT (no v2 hierarchy mounted, or no such cgroup), or
 * another -errno of open(2). */
int cgroup2_open(const char *path, int *ret_fd);

/* Makes the cgroup PARENT/name (mode 0755; an existing one is an error) and
 * opens it into *ret_fd. Returns 0 or -errno (-EEXIST, -EINVAL for a name
 * with a '/', errors of cgroup2_open). */
int cgroup2_make(const char *parent, const char *name, int *ret_fd);

/* Moves process pid (0: the caller) into the cgroup dirfd names. Returns 0
 * or -errno of the write to cgroup.procs. */
int cgroup2_move(int dirfd, pid_t pid);

/* The id the kernel gives the cgroup dirfd names (what BPF's
 * bpf_get_current_ancestor_cgroup_id() returns: its inode number) and its
 * level (0: the root of the hierarchy), found by walking up to the root.
 * Returns 0 or -errno (-EINVAL: not a cgroup v2 directory). */
int cgroup2_identify(int dirfd, uint64_t *ret_id, int *ret_level);

/* Removes the (empty) cgroup PARENT/name. Returns 0 or -errno (-EBUSY: it
 * still has processes). */
int cgroup2_remove(const char *parent, const char *name);
