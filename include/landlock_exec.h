/* A second kernel gate for processes driftlock starts itself (`driftlock
 * run`, the exec wrapper, the preload library): a Landlock ruleset that
 * handles LANDLOCK_ACCESS_FS_EXECUTE and grants it on the profile's exec
 * files. Everything else (reads, writes) stays unrestricted; REFER is
 * granted on "/" so that renames and links into other directories work
 * (Landlock refuses them otherwise), except a move that would give a file
 * EXECUTE (into a directory an exec pattern allows): EXDEV. Needs Landlock
 * ABI 2 (Linux 5.19); older kernels get no Landlock gate.
 *
 * What EXECUTE covers (checked on 6.18, Landlock ABI 7): every open for
 * exec, i.e. execve/execveat of the file and of the interpreter the kernel
 * opens for it: a dynamic binary needs its ld-linux allowed and a script
 * its "#!" interpreter (execinterp_open() finds them). Shared libraries
 * are mmap'ed and need nothing. A rule is tied to an inode: a file renamed
 * or hard linked over an allowed path is a different inode and refused; a
 * hard link of an allowed file elsewhere is the same inode and allowed; an
 * allowed file rewritten in place stays allowed (the fanotify gate,
 * execgate.h, refuses that). A rule on a directory grants EXECUTE on
 * everything beneath it. memfd files are not governed (a memfd holding a
 * static binary execs). A Landlock-restricted process can no longer mount
 * or unmount anything (the kernel refuses), which closes the fanotify
 * gate's gap for filesystems mounted later.
 *
 * The restriction is inherited by every descendant and cannot be lifted.
 * landlock_restrict_self() needs PR_SET_NO_NEW_PRIVS (the seccomp filter's
 * install sets it) or CAP_SYS_ADMIN in the caller's user namespace. It
 * restricts the calling thread only: call it in the single-threaded child
 * between fork and exec. */
#pragma once

#include <stddef.h>

/* The highest Landlock ABI the kernel supports (>= 1; the gate needs 2), or -EOPNOTSUPP
 * (Linux < 5.13, or Landlock not enabled at boot). */
int landlock_exec_abi(void);

/* Restricts exec of the calling thread (and its future children) to the
 * files (or directory trees) the n descriptors refer to (O_PATH is
 * enough). Async-signal-safe: raw system calls only, no allocation, errno
 * preserved; meant for the forked child before exec. n == 0 refuses every
 * exec. The descriptors stay open (the caller closes them, or they are
 * O_CLOEXEC).
 * Returns 0, or -EOPNOTSUPP (no Landlock, or ABI 1: the caller continues
 * without this gate), -EINVAL (fds NULL with n > 0), -EBADF (a descriptor is not open),
 * -EPERM (no PR_SET_NO_NEW_PRIVS and no CAP_SYS_ADMIN), -E2BIG (the domain
 * stack is full: 16 layers), -ENOMEM. On error nothing is restricted. */
int landlock_exec_restrict_fds(const int *fds, size_t n);

/* The same for paths, opened O_PATH | O_CLOEXEC in the caller's view
 * (symlinks followed, as exec follows them). A path that does not exist is
 * skipped: its file cannot be executed now, and one created later is drift
 * anyway. Not async-signal-safe (opens in a loop; call it in the child
 * before other threads exist, or open the fds in the parent).
 * Returns 0 or -errno as landlock_exec_restrict_fds(), -EINVAL (paths NULL
 * with n > 0, or a NULL entry) or the error of an open other than
 * -ENOENT/-ENOTDIR. */
int landlock_exec_restrict(const char *const *paths, size_t n);
