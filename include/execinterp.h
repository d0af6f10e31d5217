/* Which interpreter the kernel opens to exec a file: PT_INTERP of an ELF
 * file (the dynamic loader) or the "#!" line of a script. Both exec gates
 * need it: for fanotify and for Landlock the interpreter's open is an exec
 * of its own (checked on 6.18: a dynamic binary whose ld-linux is not
 * allowed fails with EPERM/EACCES), while shared libraries are mmap'ed and
 * never checked.
 *
 * execinterp_name() is pure (it reads through a callback); execinterp_open()
 * is the kernel edge. File contents are untrusted (image files): every
 * offset and length is bounded the way the kernel bounds it. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Reads up to len bytes at offset off into buf. Returns the number of
 * bytes read (0 at end of file) or -errno. */
typedef int (*execinterp_read_fn)(void *ctx, void *buf, size_t len, uint64_t off);

/* The interpreter name, as the kernel finds it:
 *  - "#!": fs/binfmt_script.c rules on the first 256 bytes (the name ends
 *    at a blank, a NUL or the newline; a name running to byte 256 without
 *    a terminator is truncated and refused);
 *  - ELF of this machine's byte order, 32 or 64 bit: the first PT_INTERP
 *    (2..PATH_MAX bytes, NUL-terminated, the name up to the first NUL,
 *    not empty; program headers <= 64 KiB).
 * Returns 0 and the NUL-terminated name in out, or -ENOENT (no interpreter:
 * static ELF, foreign byte order, a format the kernel hands to
 * binfmt_misc or refuses), -ENOEXEC (malformed: "#!" without a name,
 * truncated headers, PT_INTERP out of bounds or not NUL-terminated),
 * -ENAMETOOLONG (does not fit in outlen), -EINVAL, or rd's -errno. */
int execinterp_name(execinterp_read_fn rd, void *ctx, char *out, size_t outlen);

/* Opens (O_PATH | O_CLOEXEC) the interpreter of the file fd, resolved in
 * rootfd (openat2 RESOLVE_IN_ROOT, symlinks followed as the kernel follows
 * them; a relative name, which the kernel takes relative to the exec'ing
 * process's cwd, is taken relative to the root) or, with rootfd ==
 * AT_FDCWD, in the caller's own view. fd may be O_PATH: it is reopened
 * read-only through /proc/self/fd, never opened if it is not a regular
 * file (a FIFO would block).
 * Returns 0 and the fd in *ret_fd, or -ENOENT (no interpreter, or it does
 * not exist), -ENOEXEC, -EACCES (fd or the interpreter is not a regular
 * file), -EBADF, -EINVAL, -ENAMETOOLONG, other -errno. */
int execinterp_open(int rootfd, int fd, int *ret_fd);
