/* Whole inputs read into memory, bounded: profiles, the agent's
 * configuration, the kernel's BTF, a seccomp base profile, an OCI state on
 * stdin, /proc/PID/status. Every such reader goes through here, so an
 * input that is too large, endless, or not a file at all is refused the
 * same way everywhere. */
#pragma once

#include <stddef.h>

/* The largest max_bytes these functions accept. */
#define READALL_MAX ((size_t)1 << 30)

/* Reads fd to its end, at most max_bytes (at most READALL_MAX), into *ret
 * (malloc'd and NUL-terminated; the input may contain NUL bytes, *ret_len
 * is its length). Returns 0; -EFBIG when there is more; -EINVAL for
 * max_bytes above READALL_MAX; -ENOMEM; or the -errno of read. *ret and
 * *ret_len are set only on success. */
int readall_fd(int fd, size_t max_bytes, char **ret, size_t *ret_len);

/* Reads the regular file at path (relative to dirfd, or AT_FDCWD) as
 * readall_fd does. It is opened O_NONBLOCK, so a FIFO does not hang before
 * it is refused. Returns what readall_fd returns; also -EISDIR for a
 * directory, -EINVAL for anything else that is not a regular file, and the
 * -errno of open. A file larger than its size said when opened (procfs
 * says 0), or growing while read, is read to its end all the same. */
int readall_at(int dirfd, const char *path, size_t max_bytes, char **ret, size_t *ret_len);
