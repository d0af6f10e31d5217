#include "target.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL     /* Linux 6.9 */
#endif

static int target_read_file(const char *path, char *buf, size_t cap)
{
        cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = read(fd, buf, cap - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        return (int)n;
}

static long target_status_field(const char *status, const char *key, unsigned index)
{
        const char *p = strstr(status, key);
        char *end;
        long v = -1;

        if (!p)
                return -1;
        p += strlen(key);
        for (unsigned i = 0; i <= index; i++) {
                v = strtol(p, &end, 10);
                if (end == p)
                        return -1;
                p = end;
        }
        return v;
}

int target_info(pid_t tid, struct target_info *ret)
{
        char path[64], status[2048];
        ssize_t n;
        int r;

        memset(ret, 0, sizeof(*ret));
        ret->uid = -1;
        snprintf(path, sizeof(path), "/proc/%d/status", tid);
        r = target_read_file(path, status, sizeof(status));
        if (r < 0)
                return r;
        ret->tgid = (pid_t)target_status_field(status, "\nTgid:", 0);
        ret->uid = target_status_field(status, "\nUid:", 1);

        snprintf(path, sizeof(path), "/proc/%d/comm", tid);
        if (target_read_file(path, ret->comm, sizeof(ret->comm)) > 0)
                ret->comm[strcspn(ret->comm, "\n")] = '\0';

        snprintf(path, sizeof(path), "/proc/%d/exe", tid);
        n = readlink(path, ret->exe, sizeof(ret->exe) - 1);
        if (n > 0)
                ret->exe[n] = '\0';
        return 0;
}

static pid_t target_tgid(pid_t tid)
{
        struct target_info info;
        int r = target_info(tid, &info);

        return r < 0 ? r : info.tgid;
}

int target_pidfd(pid_t tid)
{
        int fd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
        pid_t tgid;

        if (fd >= 0)
                return fd;
        if (errno != EINVAL)
                return -errno;
        /* Before Linux 6.9 only thread group leaders have pidfds; the fd
         * table is shared by the group, so the leader's serves. */
        tgid = target_tgid(tid);
        if (tgid < 0)
                return tgid;
        fd = (int)syscall(SYS_pidfd_open, tgid, 0);
        return fd < 0 ? -errno : fd;
}

int target_getfd(pid_t tid, int fd)
{
        cleanup_close int pidfd = target_pidfd(tid);
        int copy;

        if (pidfd < 0)
                return pidfd;
        copy = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
        return copy < 0 ? -errno : copy;
}
