/* The seccomp filter driftlock installs, generated from the mode and whether
 * the profile restricts reads (DESIGN.md §3, §5).
 *
 * Data first: filter_rules() yields the rule table; filter_build() turns it
 * into a BPF program with libseccomp (for `driftlock run` and the shim), and
 * the same table later produces the OCI seccomp JSON.
 *
 * What the table holds, in every mode:
 *   NOTIFY  execve, execveat; openat2, creat; open and openat with write or
 *           create intent only (flags & (O_WRONLY|O_RDWR|O_CREAT|O_TRUNC)),
 *           or always when notify_reads; connect; truncate; rename,
 *           renameat, renameat2; link, linkat; symlink, symlinkat; unlink,
 *           unlinkat, rmdir; mkdir, mkdirat; mknod, mknodat; chmod,
 *           fchmodat, fchmodat2; sendto with a destination address
 *           (dest_addr != NULL: a register, so the test cannot be raced).
 *           O_TMPFILE needs O_WRONLY or O_RDWR, so it is caught too.
 *   ERRNO(EPERM)  io_uring_setup, io_uring_enter, io_uring_register: an
 *           io_uring opens files and connects sockets without passing
 *           seccomp, so it is refused whatever the mode.
 * Everything else is allowed; NOTIFY is never the default action, and write,
 * read, sendmsg, fcntl, close (what a runtime needs before it hands the
 * listener over) are never notified.
 *
 * Architectures: only the native ABI (x86_64) is in the filter. i386 calls
 * (int 0x80, a different seccomp_data.arch) and x32 calls (x86_64 arch with
 * __X32_SYSCALL_BIT set in nr; libseccomp rejects nr >= 0x40000000 for a
 * filter without x32) both take the bad-arch action, ERRNO(EPERM), so
 * neither ABI can reach open or execve unseen. */
#pragma once

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum filter_mode {
        FILTER_LEARN,
        FILTER_MONITOR,
        FILTER_ENFORCE,
};

struct filter_spec {
        enum filter_mode mode;
        bool notify_reads;      /* the profile has a [read] section */
        bool self_installed;    /* installed by driftlock itself (driftlock run,
                                   the shim), not by a runtime from its seccomp
                                   JSON: also answers the shim's "already
                                   attached?" probe (include/shimproto.h) and
                                   refuses open_by_handle_at */
};

enum filter_action {
        FILTER_ACT_NOTIFY,
        FILTER_ACT_ERRNO,
};

/* One rule. Several rules for one syscall with the same action are OR'ed:
 * "open: notify if flags & O_WRONLY, or if flags & O_CREAT, ...". */
struct filter_rule {
        const char *syscall;            /* static string, never freed */
        enum filter_action action;
        int errno_value;                /* FILTER_ACT_ERRNO only, else 0 */
        int arg_index;                  /* -1: no condition */
        uint64_t mask;                  /* act when (arg & mask) == value */
        uint64_t value;
        bool negate;                    /* act when (arg & mask) != value; only
                                           with mask ~0 (seccomp's NE) */
};

/* The rule table for spec, as a malloc'ed array of *ret_n rules the caller
 * frees with free() (the syscall names are static). spec->mode does not
 * change the table today: every mode needs the same notifications, the mode
 * only changes verdicts. Returns 0, -EINVAL (NULL argument or unknown mode),
 * -ENOMEM. *ret and *ret_n are set only on success. */
int filter_rules(const struct filter_spec *spec, struct filter_rule **ret, size_t *ret_n);

/* Builds the BPF program for spec with libseccomp: default action ALLOW,
 * native architecture only, bad-arch action ERRNO(EPERM). The program is
 * exported with seccomp_export_bpf() through a memfd and read back.
 * Returns 0 and a program in *ret that the caller frees with
 * filter_prog_free() (one allocation: ret->filter points into it), or
 * -EINVAL, -ENOMEM, -E2BIG (more than BPF_MAXINSNS instructions), -errno of
 * libseccomp or memfd_create. */
int filter_build(const struct filter_spec *spec, struct sock_fprog **ret);

/* Frees a program from filter_build(); accepts NULL; returns NULL. */
struct sock_fprog *filter_prog_free(struct sock_fprog *prog);

/* Installs prog on the calling thread: prctl(PR_SET_NO_NEW_PRIVS, 1), then
 * seccomp(SECCOMP_SET_MODE_FILTER, NEW_LISTENER | WAIT_KILLABLE_RECV, prog);
 * without WAIT_KILLABLE_RECV (5.19) if the kernel says EINVAL. With it, a
 * target whose call the supervisor has received is no longer interrupted by
 * non-fatal signals (Go's SIGURG preemption would otherwise restart it).
 * Returns the listener fd (close-on-exec: the kernel creates it so; hand it
 * to the supervisor and close it before exec) or -errno: -EBUSY (a listener
 * already exists in this thread's filter chain), -EACCES, -EINVAL, -EFAULT.
 * Async-signal-safe, no allocation: meant for a forked child before exec.
 * no_new_privs stays set on failure. */
int filter_install(const struct sock_fprog *prog);
