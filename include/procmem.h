/* Reading a notified target's memory through /proc/TID/mem.
 *
 * The safe order (kernel samples/seccomp/user-trap.c, seccomp_unotify(2)):
 *   1. fd = procmem_open(req->pid)
 *   2. notify_id_valid(listener, req->id)   -- the TID still is our target
 *   3. procmem_read*()                      -- copy the arguments once
 *   4. notify_id_valid(listener, req->id)   -- the copy is not stale stack
 *   5. decide on the copy, respond.
 * This module provides steps 1 and 3; the caller does 2 and 4. None of it
 * stops a sibling thread from rewriting the memory after step 3, which is why
 * enforce mode does not answer CONTINUE on memory arguments (DESIGN.md §4).
 *
 * Reading needs PTRACE_MODE_ATTACH over the target (same uid and no Yama
 * restriction, or CAP_SYS_PTRACE); otherwise procmem_open() fails -EACCES. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* open("/proc/TID/mem", O_RDONLY|O_CLOEXEC). Returns the fd (caller closes
 * it) or -errno: -ENOENT when the task is gone (reaped), -EACCES/-EPERM
 * without ptrace access, -EINVAL if tid <= 0. */
int procmem_open(pid_t tid);

/* Reads exactly len bytes at the target's address addr into buf (pread loop,
 * retried on EINTR). Returns 0, or:
 *   -EFAULT  some byte in [addr, addr+len) is unmapped (the kernel says
 *            EIO), or the range wraps past the top of the address space.
 *            PROT_NONE pages do read: /proc/PID/mem uses FOLL_FORCE unless
 *            the kernel runs with proc_mem.force_override=never;
 *   -ESRCH   the target's address space is gone (it exited; a zombie's mem
 *            file reads as empty);
 *   other -errno.
 * On error buf holds an unspecified prefix. len 0 returns 0. */
int procmem_read(int memfd, uint64_t addr, void *buf, size_t len);

/* Reads the NUL-terminated string at addr into buf (cap bytes, cap >= 1).
 * A string fits if its length is at most cap - 1, i.e. its NUL lies within
 * the first cap bytes at addr. Reads in chunks that never cross a page
 * boundary, so a string that ends just before an unmapped page is read, and
 * no page after the one holding the NUL is touched.
 * Returns the string's length (buf is NUL-terminated), or:
 *   -ENAMETOOLONG  no NUL within the first cap bytes (all readable);
 *   -EFAULT        a page was unmapped before a NUL was found and before
 *                  cap bytes were read;
 *   -ESRCH         the target's address space is gone;
 *   -EINVAL        cap is 0;
 *   other -errno.
 * On error buf is the empty string (if cap >= 1). */
int procmem_read_string(int memfd, uint64_t addr, char *buf, size_t cap);
