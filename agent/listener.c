#include "listener.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "notify.h"
#include "util.h"

/* Runtimes send one fd today; room for a few more, all closed but the
 * seccompFd, keeps a runtime that sends extras from being cut off with
 * MSG_CTRUNC. */
#define LISTENER_MAX_FDS 8

struct listener_conn {
        int fd;
        bool first_done;        /* the first message (the one with fds) was read */
        int fds[LISTENER_MAX_FDS];
        size_t n_fds;
        char *buf;
        size_t len, cap;
};

struct listener_conn *listener_conn_new(int fd)
{
        struct listener_conn *c = calloc(1, sizeof(*c));

        if (!c) {
                close(fd);
                return NULL;
        }
        c->fd = fd;
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        return c;
}

int listener_conn_fd(const struct listener_conn *c)
{
        return c->fd;
}

static void listener_close_fds(struct listener_conn *c)
{
        for (size_t i = 0; i < c->n_fds; i++)
                if (c->fds[i] >= 0)
                        close(c->fds[i]);
        c->n_fds = 0;
}

struct listener_conn *listener_conn_free(struct listener_conn *c)
{
        if (!c)
                return NULL;
        listener_close_fds(c);
        if (c->fd >= 0)
                close(c->fd);
        free(c->buf);
        free(c);
        return NULL;
}

/* Takes the fds of one message. Any fds after the first message break the
 * protocol; they are closed like everything else on error. */
static int listener_take_fds(struct listener_conn *c, struct msghdr *msg, const char **ret_error)
{
        int r = 0;

        for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
                size_t n;

                if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
                        continue;
                n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < n; i++) {
                        int fd;

                        memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
                        if (c->first_done || c->n_fds >= LISTENER_MAX_FDS) {
                                close(fd);
                                *ret_error = "file descriptors outside the first message";
                                r = -EPROTO;
                                continue;
                        }
                        c->fds[c->n_fds++] = fd;
                }
        }
        return r;
}

/* The state is complete: pick the fd its "fds" names, close the rest. */
static int listener_finish(struct listener_conn *c, struct oci_state *state,
                           int *ret_seccomp_fd, const char **ret_error)
{
        int index = state->seccomp_fd_index;
        int fd;

        if (index < 0 || (size_t)index >= c->n_fds) {
                *ret_error = c->n_fds ? "the state names no seccompFd among the fds sent"
                                      : "no file descriptor in the first message";
                return -EPROTO;
        }
        fd = c->fds[index];
        if (!notify_is_listener(fd)) {
                *ret_error = "the file descriptor sent is not a seccomp listener";
                return -EPROTO;
        }
        c->fds[index] = -1;
        listener_close_fds(c);
        *ret_seccomp_fd = fd;
        return 0;
}

int listener_conn_read(struct listener_conn *c, struct oci_state **ret_state,
                       int *ret_seccomp_fd, const char **ret_error)
{
        for (;;) {
                union {
                        char buf[CMSG_SPACE(LISTENER_MAX_FDS * sizeof(int))];
                        struct cmsghdr align;
                } u;
                struct iovec iov;
                struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
                struct oci_state *state = NULL;
                size_t consumed;
                ssize_t n;
                int r;

                if (c->cap - c->len < 4096) {
                        size_t cap = c->cap ? c->cap * 2 : 8192;
                        char *buf;

                        if (cap > OCI_STATE_MAX_BYTES + 4096)
                                cap = OCI_STATE_MAX_BYTES + 4096;
                        if (cap <= c->len) {
                                *ret_error = "container state too large";
                                return -EMSGSIZE;
                        }
                        buf = realloc(c->buf, cap);
                        if (!buf) {
                                *ret_error = "out of memory";
                                return -ENOMEM;
                        }
                        c->buf = buf;
                        c->cap = cap;
                }
                iov.iov_base = c->buf + c->len;
                iov.iov_len = c->cap - c->len;
                msg.msg_control = u.buf;
                msg.msg_controllen = sizeof(u.buf);
                n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return 0;
                        *ret_error = "receive failed";
                        return -errno;
                }
                r = listener_take_fds(c, &msg, ret_error);
                if (msg.msg_flags & MSG_CTRUNC) {
                        *ret_error = "file descriptors truncated (MSG_CTRUNC)";
                        return -EPROTO;
                }
                if (r < 0)
                        return r;
                if (n == 0) {
                        *ret_error = "connection closed before a complete state";
                        return -ECONNRESET;
                }
                c->first_done = true;
                c->len += (size_t)n;
                /* A JSON object can only end with '}': parsing again for
                 * other bytes would make a peer that sends one byte at a
                 * time cost quadratic time. */
                if (!memchr(c->buf + c->len - n, '}', (size_t)n) && c->len <= OCI_STATE_MAX_BYTES)
                        continue;

                r = oci_state_parse(c->buf, c->len, &state, &consumed, ret_error);
                if (r == -EAGAIN)
                        continue;
                if (r < 0)
                        return r;
                r = listener_finish(c, state, ret_seccomp_fd, ret_error);
                if (r < 0) {
                        oci_state_free(state);
                        return r;
                }
                *ret_state = state;
                return 1;
        }
}
