#include "shimsock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "target.h"
#include "notify.h"
#include "util.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77         /* Linux 6.5 */
#endif

struct shimsock_conn {
        int fd;
        enum { WANT_HELLO, WANT_ATTACH, DONE } phase;
        unsigned char buf[sizeof(struct shimproto_hello)];
        size_t len;
        struct shimsock_peer peer;
};

struct shimsock_conn *shimsock_conn_new(int fd)
{
        struct shimsock_conn *c = calloc(1, sizeof(*c));

        if (!c) {
                close(fd);
                return NULL;
        }
        c->fd = fd;
        c->peer.pidfd = -1;
        return c;
}

int shimsock_conn_fd(const struct shimsock_conn *c)
{
        return c->fd;
}

const struct shimsock_peer *shimsock_conn_peer(const struct shimsock_conn *c)
{
        return &c->peer;
}

struct shimsock_conn *shimsock_conn_free(struct shimsock_conn *c)
{
        if (!c)
                return NULL;
        if (c->peer.pidfd >= 0)
                close(c->peer.pidfd);
        close(c->fd);
        free(c);
        return NULL;
}

/* The peer as the kernel knows it. Facts from /proc/PID count only if the
 * pidfd still shows the process alive afterwards: then the pid was not
 * reused in between. */
static int shimsock_identify(struct shimsock_conn *c, const char **ret_error)
{
        struct shimsock_peer *p = &c->peer;
        socklen_t len = sizeof(p->pidfd);
        int r;

        if (getsockopt(c->fd, SOL_SOCKET, SO_PEERPIDFD, &p->pidfd, &len) < 0) {
                *ret_error = "no pidfd for the peer (SO_PEERPIDFD needs Linux 6.5)";
                return -errno;
        }
        p->pid = target_pidfd_pid(p->pidfd);
        if (p->pid < 0) {
                *ret_error = "the peer is gone";
                return p->pid;
        }
        r = target_namespace(p->pid, "pid", &p->pidns);
        if (r >= 0)
                r = target_cgroup(p->pid, p->cgroup, sizeof(p->cgroup));
        if (r < 0 || !target_pidfd_alive(p->pidfd)) {
                *ret_error = "the peer is gone";
                return r < 0 ? r : -ESRCH;
        }
        return 0;
}

/* Receives the attach message and its fd. Every fd that arrives is either
 * handed out or closed. */
static enum shimsock_state shimsock_read_attach(struct shimsock_conn *c, int *ret_fd,
                                                const char **ret_error)
{
        struct shimproto_attach msg;
        struct iovec iov = { .iov_base = &msg, .iov_len = sizeof(msg) };
        union {
                char buf[CMSG_SPACE(4 * sizeof(int))];
                struct cmsghdr align;
        } u;
        struct msghdr mh = {
                .msg_iov = &iov, .msg_iovlen = 1,
                .msg_control = u.buf, .msg_controllen = sizeof(u.buf),
        };
        int fds[4], n_fds = 0, fd = -1;
        ssize_t n;

        n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return SHIMSOCK_NEED_MORE;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); n >= 0 && cm; cm = CMSG_NXTHDR(&mh, cm)) {
                if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
                        continue;
                for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int) && n_fds < 4; i++)
                        memcpy(&fds[n_fds++], CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
        }
        if (n_fds == 1 && n == (ssize_t)sizeof(msg) && msg.magic == SHIMPROTO_MAGIC &&
            !(mh.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) && notify_is_listener(fds[0]))
                fd = fds[0];
        for (int i = 0; i < n_fds; i++)
                if (fds[i] != fd)
                        close(fds[i]);
        if (fd < 0) {
                /* The attach must come whole, in one message, with exactly
                 * one seccomp listener: anything else is not a shim. */
                *ret_error = n == 0 ? "closed before attaching"
                                    : "malformed attach (expected one seccomp listener fd)";
                return SHIMSOCK_FAILED;
        }
        c->phase = DONE;
        *ret_fd = fd;
        return SHIMSOCK_ATTACH;
}

enum shimsock_state shimsock_conn_read(struct shimsock_conn *c, int *ret_fd,
                                       const char **ret_error)
{
        const struct shimproto_hello *hello = (const void *)c->buf;
        ssize_t n;

        switch (c->phase) {
        case WANT_HELLO:
                n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return SHIMSOCK_NEED_MORE;
                if (n <= 0) {
                        *ret_error = "closed before its hello";
                        return SHIMSOCK_FAILED;
                }
                c->len += (size_t)n;
                if (c->len < sizeof(c->buf))
                        return SHIMSOCK_NEED_MORE;
                if (hello->magic != SHIMPROTO_MAGIC || hello->version != SHIMPROTO_VERSION) {
                        *ret_error = "not a driftlock shim (bad magic or version)";
                        return SHIMSOCK_FAILED;
                }
                if (shimsock_identify(c, ret_error) < 0)
                        return SHIMSOCK_FAILED;
                c->phase = WANT_ATTACH;
                return SHIMSOCK_HELLO;
        case WANT_ATTACH:
                return shimsock_read_attach(c, ret_fd, ret_error);
        case DONE:
                break;
        }
        *ret_error = "data after the attach";
        return SHIMSOCK_FAILED;
}

static int shimsock_send_all(int fd, const void *buf, size_t len)
{
        /* Replies are small (at most 32 KiB of program) and a fresh socket
         * buffer holds them; a peer that does not read gets cut off. */
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n < 0)
                return -errno;
        return (size_t)n == len ? 0 : -EMSGSIZE;
}

int shimsock_send_filter(struct shimsock_conn *c, enum shimproto_status status,
                         const struct sock_fprog *prog)
{
        struct shimproto_filter hdr = { .magic = SHIMPROTO_MAGIC, .status = status };
        cleanup_free unsigned char *msg = NULL;
        size_t size;

        if (status == SHIMPROTO_OK) {
                if (!prog || prog->len == 0 || prog->len > SHIMPROTO_MAX_INSNS)
                        return -EINVAL;
                hdr.n_insns = prog->len;
        }
        size = sizeof(hdr) + (size_t)hdr.n_insns * sizeof(struct sock_filter);
        msg = malloc(size);
        if (!msg)
                return -ENOMEM;
        memcpy(msg, &hdr, sizeof(hdr));
        if (hdr.n_insns)
                memcpy(msg + sizeof(hdr), prog->filter, size - sizeof(hdr));
        if (status != SHIMPROTO_OK)
                c->phase = DONE;
        return shimsock_send_all(c->fd, msg, size);
}

int shimsock_send_ack(struct shimsock_conn *c, enum shimproto_status status)
{
        struct shimproto_ack ack = { .magic = SHIMPROTO_MAGIC, .status = status };

        return shimsock_send_all(c->fd, &ack, sizeof(ack));
}
