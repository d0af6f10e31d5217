/* Thin wrappers over the seccomp user-notification ioctls (seccomp_unotify(2)).
 *
 * They call the ioctls directly: libseccomp's seccomp_notify_receive() maps
 * every error to -ECANCELED (libseccomp#302), and 2.5.4 has no ADDFD helper.
 * Every function returns >= 0 on success or -errno; none allocates except
 * notify_alloc_req(), none logs.
 *
 * -ENOENT from notify_recv() and from every respond/addfd function means the
 * notification went away: the target was killed, or its system call was
 * interrupted by a signal (the kernel restarts it and sends a new
 * notification). Callers just continue; it is not an error. */
#pragma once

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

/* Constants newer than the installed kernel headers (Debian 12 ships 6.1). */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
/* Linux 6.6. The flags travel in the ioctl argument itself, not behind a
 * pointer, despite the _IOW encoding. */
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
/* Linux 6.6. */
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
/* Linux 5.19. */
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_ADDFD_FLAG_SEND
/* Linux 5.14. */
#define SECCOMP_ADDFD_FLAG_SEND (1UL << 1)
#endif

/* Buffer sizes to use, in bytes: max(sizeof the struct we were compiled with,
 * the size the running kernel reports). A newer kernel may use larger
 * structures and copies its full size in and out. */
struct notify_sizes {
        size_t notif;   /* struct seccomp_notif */
        size_t resp;    /* struct seccomp_notif_resp */
};

/* Asks the kernel once (seccomp(SECCOMP_GET_NOTIF_SIZES)) and caches the
 * answer; later calls do no system call. Safe to call from several threads.
 * Returns 0 and fills *ret; -errno from seccomp(2) (-ENOSYS/-EINVAL: no
 * seccomp notify support, Linux < 5.0). */
int notify_get_sizes(struct notify_sizes *ret);

/* A zeroed request buffer of notify_get_sizes().notif bytes, to pass to
 * notify_recv(). The caller owns it and frees it with free(). NULL with errno
 * set (ENOMEM, or the error of notify_get_sizes()). This is the only supported
 * way to get a buffer for notify_recv(): a plain struct seccomp_notif on the
 * stack may be too small for the running kernel. */
struct seccomp_notif *notify_alloc_req(void);

/* SECCOMP_IOCTL_NOTIF_RECV. req must come from notify_alloc_req(); it is
 * zeroed (kernel size) first, since the kernel refuses non-zero buffers with
 * EINVAL (5.5+). Returns 0 with *req filled, or:
 *   -ENOENT  the target died or was interrupted between wake-up and copy, or
 *            (6.6+) every task using the filter is gone: just continue (poll
 *            for POLLHUP to notice the latter);
 *   -EINTR   a signal interrupted the wait (the supervisor's own signal);
 *   other -errno (-EBADF, -EINVAL, -EFAULT, -ENOTTY for a non-listener fd).
 * RECV ignores O_NONBLOCK (checked on 6.18: it waits like a blocking fd; the
 * kernel never returns EAGAIN here). Call it only after poll/epoll reported
 * the fd readable (POLLIN); a competing reader may still take the request,
 * in which case this call blocks until the next one arrives. */
int notify_recv(int fd, struct seccomp_notif *req);

/* SECCOMP_IOCTL_NOTIF_ID_VALID: is notification id still pending (target
 * alive and still in the notified system call)? Use it after opening
 * /proc/TID/mem and after every read of target memory. Returns 0 if valid,
 * -ENOENT if gone, other -errno. */
int notify_id_valid(int fd, uint64_t id);

/* SECCOMP_IOCTL_NOTIF_SEND with SECCOMP_USER_NOTIF_FLAG_CONTINUE (5.5): the
 * kernel runs the system call as the target asked. Racy for decisions on
 * memory arguments (DESIGN.md §4). Returns 0, -ENOENT (gone: not an error),
 * -EINPROGRESS (already answered), other -errno. */
int notify_respond_continue(int fd, uint64_t id);

/* Answers the system call with failure: the target sees -1 and errno =
 * error. error must be in 1..4095, otherwise -EINVAL and nothing is sent.
 * Returns 0, -ENOENT (gone), -EINPROGRESS, other -errno. */
int notify_respond_errno(int fd, uint64_t id, int error);

/* Answers the system call as successful with return value val (the agent
 * emulated it). Returns 0, -ENOENT (gone), -EINPROGRESS, other -errno. */
int notify_respond_value(int fd, uint64_t id, int64_t val);

/* SECCOMP_IOCTL_NOTIF_ADDFD (5.9): installs a duplicate of the agent's srcfd
 * in the target at the lowest free number. newfd_flags is 0 or O_CLOEXEC
 * (the only flag the kernel accepts). With send, SECCOMP_ADDFD_FLAG_SEND
 * (5.14) also answers the notification with the new fd number, atomically, so
 * no fd leaks into a target whose syscall was interrupted; without it the
 * caller must still respond. srcfd stays owned by the caller.
 * Returns the fd number in the target, or -ENOENT (gone), -EBUSY (send while
 * other ADDFDs are pending), -EMFILE/-EBADF (target's fd limit),
 * -EINPROGRESS, -EINVAL, other -errno. */
int notify_addfd(int fd, uint64_t id, int srcfd, int newfd_flags, bool send);

/* SECCOMP_IOCTL_NOTIF_SET_FLAGS with SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
 * (6.6): the kernel wakes supervisor and target on each other's CPU. Only
 * worth it where a thread waits directly in RECV. Returns 0, or -EINVAL /
 * -ENOTTY on kernels before 6.6 (callers fall back to the normal mode), other
 * -errno. */
int notify_set_sync_wakeup(int fd);

/* True if fd is a seccomp listener ("anon_inode:seccomp notify"): fds that
 * runtimes and shims send are checked before they are supervised. */
bool notify_is_listener(int fd);
