#include "unixsock.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

static int unixsock_addr(const char *path, struct sockaddr_un *sun)
{
        memset(sun, 0, sizeof(*sun));
        sun->sun_family = AF_UNIX;
        if (strlen(path) >= sizeof(sun->sun_path))
                return -ENAMETOOLONG;
        strcpy(sun->sun_path, path);
        return 0;
}

static int unixsock_mkdir_parent(const char *path)
{
        cleanup_free char *copy = strdup(path);
        char *dir;

        if (!copy)
                return -ENOMEM;
        dir = dirname(copy);
        if (mkdir(dir, 0755) == 0 || errno == EEXIST)
                return 0;
        if (errno != ENOENT)
                return -errno;
        /* One level at a time: /run/driftlock/shim needs /run/driftlock. */
        {
                int r = unixsock_mkdir_parent(dir);

                if (r < 0)
                        return r;
        }
        return mkdir(dir, 0755) == 0 || errno == EEXIST ? 0 : -errno;
}

int unixsock_connect(const char *path)
{
        struct sockaddr_un sun;
        int fd, r;

        r = unixsock_addr(path, &sun);
        if (r < 0)
                return r;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

/* A socket file nobody answers is a leftover of a crashed agent. Anything
 * else at the path (a live socket, a regular file) is not ours to remove. */
static int unixsock_remove_stale(const char *path)
{
        struct stat st;
        int fd;

        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISSOCK(st.st_mode))
                return -EEXIST;
        fd = unixsock_connect(path);
        if (fd >= 0) {
                close(fd);
                return -EADDRINUSE;
        }
        if (fd != -ECONNREFUSED)
                return fd;
        return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

int unixsock_listen(const char *path)
{
        struct sockaddr_un sun;
        mode_t old_umask;
        int fd, r;

        r = unixsock_addr(path, &sun);
        if (r < 0)
                return r;
        r = unixsock_mkdir_parent(path);
        if (r < 0)
                return r;
        r = unixsock_remove_stale(path);
        if (r < 0)
                return r;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* The socket file is born 0600: no window in which others connect. */
        old_umask = umask(0177);
        r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
        umask(old_umask);
        if (r < 0 || listen(fd, 128) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

int unixsock_peer_uid(int fd, uid_t *ret)
{
        struct ucred cred;
        socklen_t len = sizeof(cred);

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return -errno;
        *ret = cred.uid;
        return 0;
}

/* Room for one fd, aligned for a cmsghdr. */
union unixsock_fdbuf {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
};

int unixsock_send_fd(int sock, int fd)
{
        char byte = 'F';
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        union unixsock_fdbuf u;
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
        struct cmsghdr *cmsg;

        if (fd >= 0) {
                memset(&u, 0, sizeof(u));
                msg.msg_control = u.buf;
                msg.msg_controllen = sizeof(u.buf);
                cmsg = CMSG_FIRSTHDR(&msg);
                cmsg->cmsg_level = SOL_SOCKET;
                cmsg->cmsg_type = SCM_RIGHTS;
                cmsg->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
        }
        return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

int unixsock_recv_fd(int sock)
{
        /* One byte: on a stream socket what follows is not ours to
         * read; on a seqpacket one more data shows as MSG_TRUNC. */
        char byte;
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        union unixsock_fdbuf u;
        struct msghdr msg = {
                .msg_iov = &iov, .msg_iovlen = 1,
                .msg_control = u.buf, .msg_controllen = sizeof(u.buf),
        };
        struct cmsghdr *cmsg;
        ssize_t n;
        int fd;

        do
                n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        cmsg = CMSG_FIRSTHDR(&msg);
        if (n != 1 || (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)))
                return -EPROTO;
        if (!cmsg)
                return -ENODATA;
        if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS ||
            cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
                return -EPROTO;
        memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
        return fd;
}
