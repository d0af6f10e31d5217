#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel copies its own sizeof(struct seccomp_notif_resp) from the
 * pointer we pass to SEND; a stack buffer this large, zeroed, covers any
 * growth the kernel may make without an allocation per answer. */
#define NOTIFY_RESP_BUF 256

/* The sizes never change while the system runs, so a racy first fill is
 * harmless: every thread computes the same values. `ready` is published
 * last with release order so a reader that sees it also sees the sizes. */
static size_t cached_notif, cached_resp;
static int cached_ready;

int notify_get_sizes(struct notify_sizes *ret)
{
        struct seccomp_notif_sizes sizes = { 0 };

        if (!__atomic_load_n(&cached_ready, __ATOMIC_ACQUIRE)) {
                if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
                        return -errno;
                __atomic_store_n(&cached_notif,
                                 sizes.seccomp_notif > sizeof(struct seccomp_notif)
                                 ? (size_t)sizes.seccomp_notif : sizeof(struct seccomp_notif),
                                 __ATOMIC_RELAXED);
                __atomic_store_n(&cached_resp,
                                 sizes.seccomp_notif_resp > sizeof(struct seccomp_notif_resp)
                                 ? (size_t)sizes.seccomp_notif_resp
                                 : sizeof(struct seccomp_notif_resp),
                                 __ATOMIC_RELAXED);
                __atomic_store_n(&cached_ready, 1, __ATOMIC_RELEASE);
        }
        ret->notif = __atomic_load_n(&cached_notif, __ATOMIC_RELAXED);
        ret->resp = __atomic_load_n(&cached_resp, __ATOMIC_RELAXED);
        return 0;
}

struct seccomp_notif *notify_alloc_req(void)
{
        struct notify_sizes sizes;
        int r = notify_get_sizes(&sizes);

        if (r < 0) {
                errno = -r;
                return NULL;
        }
        return calloc(1, sizes.notif);
}

int notify_recv(int fd, struct seccomp_notif *req)
{
        struct notify_sizes sizes;
        int r = notify_get_sizes(&sizes);

        if (r < 0)
                return r;
        if (!req)
                return -EINVAL;
        memset(req, 0, sizes.notif);
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
                return -errno;
        return 0;
}

int notify_id_valid(int fd, uint64_t id)
{
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0)
                return -errno;
        return 0;
}

/* One answer of any kind; the response buffer covers the kernel's size. */
static int notify_send(int fd, uint64_t id, int64_t val, int32_t error, uint32_t flags)
{
        union {
                struct seccomp_notif_resp resp;
                unsigned char bytes[NOTIFY_RESP_BUF];
        } buf;
        struct notify_sizes sizes;
        int r = notify_get_sizes(&sizes);

        if (r < 0)
                return r;
        if (sizes.resp > sizeof(buf))
                return -EOVERFLOW;
        memset(&buf, 0, sizeof(buf));
        buf.resp.id = id;
        buf.resp.val = val;
        buf.resp.error = error;
        buf.resp.flags = flags;
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &buf.resp) < 0)
                return -errno;
        return 0;
}

int notify_respond_continue(int fd, uint64_t id)
{
        /* The kernel requires error and val to be 0 with CONTINUE. */
        return notify_send(fd, id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
}

int notify_respond_errno(int fd, uint64_t id, int error)
{
        /* error 0 would read as success with val 0; above 4095 the target's
         * libc would take the return value for a valid result. */
        if (error <= 0 || error > 4095)
                return -EINVAL;
        return notify_send(fd, id, 0, -error, 0);
}

int notify_respond_value(int fd, uint64_t id, int64_t val)
{
        return notify_send(fd, id, val, 0, 0);
}

int notify_addfd(int fd, uint64_t id, int srcfd, int newfd_flags, bool send)
{
        struct seccomp_notif_addfd addfd = {
                .id = id,
                .flags = send ? SECCOMP_ADDFD_FLAG_SEND : 0,
                .srcfd = (uint32_t)srcfd,
                .newfd = 0,
                .newfd_flags = (uint32_t)newfd_flags,
        };
        int r;

        if (srcfd < 0 || (newfd_flags & ~O_CLOEXEC))
                return -EINVAL;
        r = ioctl(fd, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
        if (r < 0)
                return -errno;
        return r;
}

int notify_set_sync_wakeup(int fd)
{
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
                  (unsigned long)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) < 0)
                return -errno;
        return 0;
}

bool notify_is_listener(int fd)
{
        char link[64], target[64];
        ssize_t n;

        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        n = readlink(link, target, sizeof(target) - 1);
        if (n < 0)
                return false;
        target[n] = '\0';
        return strcmp(target, "anon_inode:seccomp notify") == 0;
}
