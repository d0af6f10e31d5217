#include "target.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

int target_namespace(pid_t pid, const char *kind, uint64_t *ret)
{
        char path[64];
        struct stat st;

        snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, kind);
        if (stat(path, &st) < 0)
                return -errno;
        *ret = st.st_ino;
        return 0;
}

int target_cgroup(pid_t pid, char *buf, size_t cap)
{
        char path[64], content[4096];
        const char *start = content;
        size_t len;
        int r;

        snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
        r = target_read_file(path, content, sizeof(content));
        if (r < 0)
                return r;
        len = (size_t)r;
        while (len && content[len - 1] == '\n')
                len--;
        /* A pure v2 host has the one line "0::PATH"; a hybrid one several,
         * which together still identify the process's cgroups. */
        if (!memchr(content, '\n', len) && !strncmp(content, "0::", 3)) {
                start += 3;
                len -= 3;
        }
        if (len + 1 > cap)
                return -ENAMETOOLONG;
        memcpy(buf, start, len);
        buf[len] = '\0';
        return (int)len;
}

pid_t target_pidfd_pid(int pidfd)
{
        char path[64], fdinfo[1024];
        long pid;
        int r;

        snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
        r = target_read_file(path, fdinfo, sizeof(fdinfo));
        if (r < 0)
                return r;
        pid = target_status_field(fdinfo, "\nPid:", 0);
        if (pid == 0 || pid < -1)
                return -EINVAL;
        return pid == -1 ? -ESRCH : (pid_t)pid;
}

bool target_pidfd_alive(int pidfd)
{
        return syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0;
}
