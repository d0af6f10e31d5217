/* The shim's side of include/shimproto.h: get the filter from the agent,
 * install it, hand the listener over. Shared by the preload library and
 * the exec wrapper. No libc (sys.h): errno is never touched, nothing is
 * allocated, and nothing is printed unless attaching fails. */
#include "shim.h"

#include "shimproto.h"

/* Bounds every send, receive and connect: a hung agent costs the
 * container at most a few of these, never a hang. */
#define SHIM_TIMEOUT_SEC 5

/* The program the agent sends: static, not on the stack (32 KiB would be a
 * lot for a constructor running on someone else's stack) and not heap. */
static struct sock_filter shim_insns[SHIMPROTO_MAX_INSNS];

bool shim_already_attached(void)
{
        /* Without a driftlock filter the kernel refuses the flags (EINVAL)
         * and closes nothing; first > last makes doubly sure. */
        return sys_close_range(~0u, 0, SHIMPROTO_PROBE_FLAGS) == -SHIMPROTO_PROBE_ERRNO;
}

/* --- bounded I/O on the agent socket -------------------------------------- */

/* Sends all of buf, with an optional fd as SCM_RIGHTS on the first byte.
 * MSG_NOSIGNAL: an agent that hung up must not kill us with SIGPIPE. */
static int send_all(int fd, const void *buf, size_t len, int pass_fd)
{
        union {
                struct shim_cmsghdr hdr;
                char space[sizeof(struct shim_cmsghdr) + 8];     /* CMSG_SPACE(sizeof(int)) */
        } control;
        const char *p = buf;

        while (len > 0) {
                struct shim_iovec iov = { (void *)(uintptr_t)p, len };
                struct shim_msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
                long n;

                if (pass_fd >= 0) {
                        memset(&control, 0, sizeof(control));
                        control.hdr.cmsg_len = sizeof(struct shim_cmsghdr) + sizeof(int);
                        control.hdr.cmsg_level = SHIM_SOL_SOCKET;
                        control.hdr.cmsg_type = SHIM_SCM_RIGHTS;
                        memcpy(control.space + sizeof(struct shim_cmsghdr), &pass_fd, sizeof(int));
                        msg.msg_control = &control;
                        msg.msg_controllen = sizeof(control);
                }
                n = sys_sendmsg(fd, &msg, SHIM_MSG_NOSIGNAL);
                if (n == -EINTR)
                        continue;
                if (n < 0)
                        return (int)n;
                if (n == 0)
                        return -EPIPE;
                pass_fd = -1;           /* the fd went with the first byte */
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

/* Receives exactly len bytes. An agent that closes early is -ECONNRESET; a
 * silent one is -EAGAIN after SHIM_TIMEOUT_SEC. */
static int recv_all(int fd, void *buf, size_t len)
{
        char *p = buf;

        while (len > 0) {
                long n = sys_recv(fd, p, len, SHIM_MSG_WAITALL);

                if (n == -EINTR)
                        continue;
                if (n < 0)
                        return (int)n;
                if (n == 0)
                        return -ECONNRESET;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

static int connect_agent(const char *path)
{
        const struct shim_timeval tv = { SHIM_TIMEOUT_SEC, 0 };
        struct shim_sockaddr_un addr;
        size_t len = shim_strlen(path);
        long fd, r;

        if (len >= sizeof(addr.sun_path))
                return -ENAMETOOLONG;
        memset(&addr, 0, sizeof(addr));
        addr.sun_family = SHIM_AF_UNIX;
        memcpy(addr.sun_path, path, len);
        fd = sys_socket(SHIM_AF_UNIX, SHIM_SOCK_STREAM | SHIM_SOCK_CLOEXEC, 0);
        if (fd < 0)
                return (int)fd;
        /* SO_SNDTIMEO also bounds connect() on a unix socket whose listener
         * has a full backlog. */
        r = sys_setsockopt((int)fd, SHIM_SOL_SOCKET, SHIM_SO_RCVTIMEO, &tv, sizeof(tv));
        if (r == 0)
                r = sys_setsockopt((int)fd, SHIM_SOL_SOCKET, SHIM_SO_SNDTIMEO, &tv, sizeof(tv));
        if (r == 0) {
                int alen = (int)(offsetof(struct shim_sockaddr_un, sun_path) + len + 1);

                do
                        r = sys_connect((int)fd, &addr, alen);
                while (r == -EINTR);
        }
        if (r < 0) {
                sys_close((int)fd);
                return (int)r;
        }
        return (int)fd;
}

/* --- installing the filter ---------------------------------------------- */

/* prctl(NO_NEW_PRIVS) lets an unprivileged process install a filter; then
 * the filter with a listener. TSYNC puts every thread of the process under
 * the filter (a constructor of another preloaded library may have started
 * one); TSYNC together with NEW_LISTENER needs TSYNC_ESRCH (5.7) so that
 * the return value is the listener and not a thread id. Older kernels say
 * EINVAL for flags they do not know: WAIT_KILLABLE_RECV is 5.19, TSYNC_ESRCH
 * 5.7; below 5.7 only the calling thread is filtered (the exec wrapper and
 * a constructor normally run single-threaded). Returns the listener fd
 * (close-on-exec, the kernel makes it so) or -errno. */
static int install_filter(uint32_t n_insns)
{
        static const unsigned long flag_sets[] = {
                SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC |
                        SECCOMP_FILTER_FLAG_TSYNC_ESRCH | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
                SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC |
                        SECCOMP_FILTER_FLAG_TSYNC_ESRCH,
                SECCOMP_FILTER_FLAG_NEW_LISTENER,
        };
        struct sock_fprog prog = { .len = (unsigned short)n_insns, .filter = shim_insns };
        long r;

        r = sys_prctl(PR_SET_NO_NEW_PRIVS, 1);
        if (r < 0)
                return (int)r;
        r = -EINVAL;
        for (size_t i = 0; i < sizeof(flag_sets) / sizeof(flag_sets[0]) && r == -EINVAL; i++)
                r = sys_seccomp(SECCOMP_SET_MODE_FILTER, flag_sets[i], &prog);
        return (int)r;
}

/* --- the conversation ------------------------------------------------------ */

static int converse(int fd, uint32_t kind, struct shim_failure *fail)
{
        const struct shimproto_hello hello = {
                .magic = SHIMPROTO_MAGIC,
                .version = SHIMPROTO_VERSION,
                .kind = kind,
        };
        const struct shimproto_attach attach = { .magic = SHIMPROTO_MAGIC };
        struct shimproto_filter hdr;
        struct shimproto_ack ack;
        int r, listener;

        fail->stage = "hello";
        r = send_all(fd, &hello, sizeof(hello), -1);
        if (r < 0)
                return r;

        fail->stage = "filter";
        r = recv_all(fd, &hdr, sizeof(hdr));
        if (r < 0)
                return r;
        if (hdr.magic != SHIMPROTO_MAGIC)
                return -EPROTO;
        if (hdr.status == SHIMPROTO_ALREADY_ATTACHED)
                return 1;
        if (hdr.status != SHIMPROTO_OK) {
                fail->status = hdr.status;
                return -ECONNREFUSED;
        }
        if (hdr.n_insns == 0 || hdr.n_insns > SHIMPROTO_MAX_INSNS)
                return -EPROTO;
        r = recv_all(fd, shim_insns, (size_t)hdr.n_insns * sizeof(shim_insns[0]));
        if (r < 0)
                return r;

        fail->stage = "install";
        listener = install_filter(hdr.n_insns);
        if (listener == -EBUSY)
                /* A listener is already in our filter chain (the kernel
                 * allows one) and nothing was installed: an attached parent's
                 * filter without the probe rule, or another supervisor's.
                 * Either way this process is supervised already or cannot
                 * be; the agent notices a container that never attached. */
                return 1;
        if (listener < 0)
                return listener;
        fail->installed = true;

        /* Our copy of the listener is closed as soon as it is sent, also
         * when sending failed: kept, it would let the workload answer its
         * own notifications, and would keep the filter's notifications
         * blocking (instead of failing with ENOSYS) after the agent died.
         * The copy in flight keeps the listener alive until the agent has
         * received it. */
        fail->stage = "hand-over";
        r = send_all(fd, &attach, sizeof(attach), listener);
        sys_close(listener);
        if (r < 0)
                return r;

        fail->stage = "ack";
        r = recv_all(fd, &ack, sizeof(ack));
        if (r < 0)
                return r;
        if (ack.magic != SHIMPROTO_MAGIC)
                return -EPROTO;
        if (ack.status != SHIMPROTO_OK) {
                fail->status = ack.status;
                return -ECONNREFUSED;
        }
        return 0;
}

int shim_attach(const char *sock_path, uint32_t kind, struct shim_failure *fail)
{
        int fd, r;

        fail->stage = "connect";
        fail->status = SHIMPROTO_OK;
        fail->installed = false;
        fd = connect_agent(sock_path);
        if (fd < 0)
                return fd;
        r = converse(fd, kind, fail);
        sys_close(fd);
        return r;
}

/* --- failure policy and the one line it prints ------------------------------ */

void shim_line_add(struct shim_line *line, const char *s)
{
        /* One byte stays free for the newline shim_line_write() adds. */
        while (*s && line->len + 1 < sizeof(line->buf))
                line->buf[line->len++] = *s++;
}

void shim_line_add_errno(struct shim_line *line, int err)
{
        static const struct {
                int err;
                const char *name;
        } names[] = {
                { EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" },
                { EINTR, "EINTR" }, { EIO, "EIO" }, { E2BIG, "E2BIG" },
                { ENOEXEC, "ENOEXEC" }, { EBADF, "EBADF" }, { EAGAIN, "EAGAIN" },
                { ENOMEM, "ENOMEM" }, { EACCES, "EACCES" }, { EFAULT, "EFAULT" },
                { EBUSY, "EBUSY" }, { ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" },
                { EINVAL, "EINVAL" }, { EMFILE, "EMFILE" }, { ENFILE, "ENFILE" },
                { ETXTBSY, "ETXTBSY" }, { EPIPE, "EPIPE" }, { ENAMETOOLONG, "ENAMETOOLONG" },
                { ENOSYS, "ENOSYS" }, { ELOOP, "ELOOP" }, { EPROTO, "EPROTO" },
                { ENOTSOCK, "ENOTSOCK" }, { EPROTOTYPE, "EPROTOTYPE" },
                { ECONNRESET, "ECONNRESET" }, { ECONNREFUSED, "ECONNREFUSED" },
                { ELIBBAD, "ELIBBAD" }, { EOPNOTSUPP, "EOPNOTSUPP" },
        };
        char num[16];
        size_t n = sizeof(num);
        unsigned v = (unsigned)(err < 0 ? -err : err);

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                if ((unsigned)names[i].err == v) {
                        shim_line_add(line, names[i].name);
                        return;
                }
        }
        num[--n] = '\0';
        do {
                num[--n] = (char)('0' + v % 10);
                v /= 10;
        } while (v && n > 0);
        shim_line_add(line, "errno ");
        shim_line_add(line, num + n);
}

void shim_line_write(struct shim_line *line)
{
        const char *p = line->buf;
        size_t len;
        long n;

        line->buf[line->len++] = '\n';
        len = line->len;
        while (len > 0) {
                n = sys_write(2, p, len);
                if (n == -EINTR)
                        continue;
                if (n <= 0)
                        return;
                p += n;
                len -= (size_t)n;
        }
}

static const char *status_text(uint32_t status)
{
        switch (status) {
        case SHIMPROTO_UNKNOWN_CONTAINER:
                return "unknown container";
        case SHIMPROTO_BAD_REQUEST:
                return "bad request";
        case SHIMPROTO_INTERNAL:
                return "internal error";
        default:
                return "unknown status";
        }
}

void shim_attach_or_exit(const struct shim_config *cfg, uint32_t kind, const char *prog)
{
        struct shim_failure fail = { .stage = "connect" };
        struct shim_line line = { .len = 0 };
        const char *path;
        bool fatal;
        int r;

        path = shim_config_socket(cfg);
        r = path ? shim_attach(path, kind, &fail) : cfg->socket_err;
        if (r >= 0)
                return;

        fatal = fail.installed || !cfg->fail_open;
        shim_line_add(&line, prog);
        shim_line_add(&line, fatal ? ": " : ": warning: ");
        if (fail.installed)
                shim_line_add(&line, "filter installed but not handed over to the agent at ");
        else if (r == -ECONNREFUSED && fail.status != SHIMPROTO_OK)
                shim_line_add(&line, "refused by the agent at ");
        else
                shim_line_add(&line, "cannot attach to the agent at ");
        shim_line_add(&line, path ? path : "DRIFTLOCK_SHIM_SOCKET");
        shim_line_add(&line, " (");
        if (path) {
                shim_line_add(&line, fail.stage);
                shim_line_add(&line, ": ");
        }
        if (r == -ECONNREFUSED && fail.status != SHIMPROTO_OK)
                shim_line_add(&line, status_text(fail.status));
        else
                shim_line_add_errno(&line, r);
        shim_line_add(&line, fatal ? "); refusing to start" :
                                     "); running unsupervised (DRIFTLOCK_SHIM_FAIL=open)");
        shim_line_write(&line);
        if (fatal)
                sys_exit_group(SHIM_EXIT_REFUSED);
}
