/* Resolving a path argument of a held system call to the object the target
 * would reach, named as the container sees it (DESIGN.md §3): relative to
 * the target's cwd or dirfd, inside its root (/proc/TID/root), with "..",
 * "//", symlinks and magic links (/proc/self, /dev/fd/N, /dev/stdout, ...)
 * resolved the way the kernel resolves them for the target. So /bin/../tmp/x
 * and a symlink into /tmp are both judged as /tmp/x.
 *
 * Kernel edge: reads /proc/TID/{root,cwd,fd/N,status,ns/pid} and walks the
 * target's root with openat2(RESOLVE_IN_ROOT) (Linux 5.6). Needs ptrace
 * read access over the target (CAP_SYS_PTRACE or same uid); no logging.
 *
 * The answer describes the file system at the moment of the call; a target
 * that changes it concurrently can make the answer stale (DESIGN.md §4 says
 * how enforce mode deals with that). Permission checks the kernel would make
 * for the target (search permission, fs.protected_symlinks, ptrace access
 * to another process's /proc entries) are not made: the result names the
 * object, not whether the target may use it. */
#pragma once

#include <sys/types.h>

/* Follow a symlink in the final component: open without O_NOFOLLOW, execve,
 * connect, truncate, chmod. Without it a final symlink is the answer itself.
 * A final component written with a trailing '/' is always followed. */
#define PATHRES_FOLLOW  1u
/* The final component may not exist: O_CREAT, mkdir, the targets of rename,
 * link and symlink, creat. Combined with PATHRES_FOLLOW a dangling final
 * symlink names its target, as for open(O_CREAT) which creates the target
 * (open with O_CREAT|O_EXCL does not follow: pass PATHRES_CREATE alone). */
#define PATHRES_CREATE  2u

/* Resolves path as thread tid would for a call relative to dirfd (AT_FDCWD
 * or a file descriptor number in the target; ignored for absolute paths).
 *
 * Returns 0 and, in *ret, a malloc'ed absolute normalised path as seen in
 * the target's root ("/" for the root itself; no "." or ".." components, no
 * "//", no trailing '/'). With PATHRES_CREATE and a missing final component
 * the result is the resolved parent joined with the final name.
 * Errors (*ret untouched):
 *   -ENOENT        a component (other than an allowed-missing final one) does
 *                  not exist, path is "", or a symlink is empty; the caller
 *                  may decide on resolve_lexical() instead
 *   -ENOTDIR       a non-final component, or a final one written with a
 *                  trailing '/', is not a directory; or dirfd is not one
 *   -ELOOP         more than 40 symlinks (magic links and /proc/self count)
 *   -ENAMETOOLONG  path, or the result, is longer than PATH_MAX_BYTES, or a
 *                  component longer than NAME_MAX
 *   -ESRCH         the thread is gone (reaped or a zombie)
 *   -EBADF         dirfd is needed and is not open in the target
 *   -EACCES        the supervisor may not look at the target
 *   -EXDEV         the object (or the cwd/dirfd a relative path starts from)
 *                  has no name inside the target's root: a pipe, socket,
 *                  anon_inode, memfd or deleted file reached through a magic
 *                  link, a file outside the root, or a cwd outside a chroot.
 *                  The caller decides; driftlock's supervisor treats it as
 *                  "not in the allowlist"
 *   -EINVAL        bad arguments (tid <= 0, NULL, unknown flags)
 *   -ENOMEM, -ENOSYS (no openat2) or another -errno from the kernel. */
int resolve_path(pid_t tid, int dirfd, const char *path, unsigned flags, char **ret);

/* The fallback when resolve_path() fails with -ENOENT: the directory the
 * path starts from (the root for an absolute path, else the target's cwd or
 * dirfd, container view) joined with path and normalised lexically, without
 * looking at the path's components (path_join_normalize()).
 * Returns 0 and a malloc'ed path in *ret, or -ENOENT (path is ""), -ESRCH,
 * -EBADF, -ENOTDIR, -EXDEV (the cwd/dirfd has no name in the root),
 * -ENAMETOOLONG, -EINVAL, -ENOMEM. An absolute path needs no system call. */
int resolve_lexical(pid_t tid, int dirfd, const char *path, char **ret);

/* The container-view path of the object the target's file descriptor fd
 * names: for calls with AT_EMPTY_PATH (execveat, fchmodat, linkat) and for
 * reporting. Returns 0 and a malloc'ed path in *ret, or -EBADF, -ESRCH,
 * -EXDEV (no name in the root: pipe, socket, deleted file, ...), -EACCES,
 * -ENAMETOOLONG, -EINVAL, -ENOMEM. */
int resolve_fd(pid_t tid, int fd, char **ret);

/* For a path that resolve_path() answers with -EXDEV because its final
 * object, reached through a magic link, has no name inside the target's
 * root (a pipe behind /dev/stdout, a socket, a memfd, a deleted file, a
 * file outside the root): an O_PATH | O_CLOEXEC fd in *ret_fd to that very
 * object, the one the kernel reaches for the target, so that it can be
 * opened again through /proc/self/fd as the kernel does. Same arguments
 * as resolve_path(). Returns 0, or -EXDEV when there is no such object (a
 * directory on the way has no name, the path never jumps), or another
 * error of resolve_path(). */
int resolve_unnamed(pid_t tid, int dirfd, const char *path, unsigned flags, int *ret_fd);
