/* A stand-in for driftlockd's shim socket, for tests/integration/shim_fake.sh:
 * speaks the agent side of include/shimproto.h, sends the real filter
 * (filter_build) with the shim probe rule in front of it, supervises every
 * listener it receives and logs what it saw, one line per event, to stdout.
 *
 *   shim_fake_agent SOCKET [OPTION...]
 *     --no-probe           send a small filter (execve, openat) without the
 *                          probe rule
 *     --already            answer SHIMPROTO_ALREADY_ATTACHED to every hello
 *                          after the first attach
 *     --refuse             answer every hello with SHIMPROTO_UNKNOWN_CONTAINER
 *     --bad-magic          answer every hello with a header of wrong magic
 *     --hang               read hellos, never answer (connections kept open)
 *     --drop-after-filter  send the filter, then close without reading the attach
 *     --nack               receive the attach, then answer SHIMPROTO_INTERNAL
 *
 * Lines: "ready", "hello pid=P kind=K", "attach pid=P", "refused pid=P",
 * "already pid=P", "no listener from pid=P",
 * "notify pid=P syscall=NAME path=PATH verdict=continue|EPERM" ("path="
 * empty when there is none), "detach" when a listener's last
 * target is gone. Paths containing "deny-me" are refused with EPERM, all
 * else continues. Runs until killed. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/audit.h>

#include "filter.h"
#include "notify.h"
#include "procmem.h"
#include "shimproto.h"
#include "syscalls.h"
#include "util.h"

#define MAX_LISTENERS 32
#define MAX_HELD 64

static struct {
        bool no_probe, already, refuse, bad_magic, hang, drop_after_filter, nack;
} opt;

static struct sock_fprog *prog;
static int listeners[MAX_LISTENERS];
static size_t n_listeners;
static int held[MAX_HELD];
static size_t n_held;
static unsigned n_attached;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        fflush(stdout);
}

/* Does filter_build() already answer the probe (once agent/filter.c has
 * the rule of shimproto.h)? Then nothing is put in front. */
static bool base_has_probe(void)
{
        cleanup_free struct filter_rule *rules = NULL;
        size_t n;

        if (filter_rules(&(struct filter_spec){ .mode = FILTER_ENFORCE }, &rules, &n) < 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (strcmp(rules[i].syscall, SHIMPROTO_PROBE_SYSCALL) == 0 &&
                    rules[i].action == FILTER_ACT_ERRNO &&
                    rules[i].errno_value == SHIMPROTO_PROBE_ERRNO)
                        return true;
        return false;
}

static struct sock_fprog *prog_new(const struct sock_filter *a, size_t na,
                                   const struct sock_filter *b, size_t nb)
{
        struct sock_fprog *p = calloc(1, sizeof(*p) + (na + nb) * sizeof(struct sock_filter));

        if (!p)
                return NULL;
        p->filter = (struct sock_filter *)(p + 1);
        p->len = (unsigned short)(na + nb);
        if (na)
                memcpy(p->filter, a, na * sizeof(struct sock_filter));
        if (nb)
                memcpy(p->filter + na, b, nb * sizeof(struct sock_filter));
        return p;
}

/* Default: the real filter with the probe rule of shimproto.h in raw BPF
 * in front of it (libseccomp's jumps are relative, so it runs unchanged).
 * --no-probe: a small filter without the probe that holds execve and
 * openat, enough to attach and to see a second listener refused. */
static int build_filter(void)
{
        const struct sock_filter probe[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 5),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_close_range, 0, 3),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                         offsetof(struct seccomp_data, args) + SHIMPROTO_PROBE_ARG * 8),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SHIMPROTO_PROBE_FLAGS, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | SHIMPROTO_PROBE_ERRNO),
        };
        const struct sock_filter small[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execve, 2, 0),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 1, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        };
        struct sock_fprog *base = NULL;
        size_t n_probe = base_has_probe() ? 0 : ARRAY_SIZE(probe);
        int r;

        if (opt.no_probe) {
                prog = prog_new(small, ARRAY_SIZE(small), NULL, 0);
                return prog ? 0 : -ENOMEM;
        }
        r = filter_build(&(struct filter_spec){ .mode = FILTER_ENFORCE }, &base);
        if (r < 0)
                return r;
        prog = prog_new(probe, n_probe, base->filter, base->len);
        filter_prog_free(base);
        return prog ? 0 : -ENOMEM;
}

static int send_all(int fd, const void *buf, size_t len)
{
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

        return n == (ssize_t)len ? 0 : -1;
}

static int send_filter(int fd, uint32_t magic, uint32_t status)
{
        struct shimproto_filter hdr = { .magic = magic, .status = status };

        if (status != SHIMPROTO_OK)
                return send_all(fd, &hdr, sizeof(hdr));
        hdr.n_insns = prog->len;
        if (send_all(fd, &hdr, sizeof(hdr)) < 0)
                return -1;
        return send_all(fd, prog->filter, prog->len * sizeof(struct sock_filter));
}

/* The attach message and its one fd, or -1. */
static int recv_attach(int fd)
{
        struct shimproto_attach msg = { 0 };
        struct iovec iov = { .iov_base = &msg, .iov_len = sizeof(msg) };
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct msghdr mh = {
                .msg_iov = &iov, .msg_iovlen = 1,
                .msg_control = u.buf, .msg_controllen = sizeof(u.buf),
        };
        struct cmsghdr *cm;
        int lfd = -1;
        ssize_t n = recvmsg(fd, &mh, MSG_WAITALL | MSG_CMSG_CLOEXEC);

        cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
        if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
                memcpy(&lfd, CMSG_DATA(cm), sizeof(int));
        if (lfd >= 0 && (n != (ssize_t)sizeof(msg) || msg.magic != SHIMPROTO_MAGIC ||
                         !notify_is_listener(lfd))) {
                close(lfd);
                lfd = -1;
        }
        return lfd;
}

/* One shim, start to end: the shim does nothing between our messages that
 * the filter holds, so serving it synchronously cannot deadlock. */
static void serve(int fd)
{
        const struct timeval tv = { 10, 0 };
        struct shimproto_hello hello;
        struct shimproto_ack ack = { .magic = SHIMPROTO_MAGIC, .status = SHIMPROTO_OK };
        struct ucred cred = { 0 };
        socklen_t len = sizeof(cred);
        int lfd;

        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
        if (recv(fd, &hello, sizeof(hello), MSG_WAITALL) != (ssize_t)sizeof(hello) ||
            hello.magic != SHIMPROTO_MAGIC || hello.version != SHIMPROTO_VERSION) {
                say("bad-hello pid=%d", cred.pid);
                close(fd);
                return;
        }
        say("hello pid=%d kind=%u", cred.pid, hello.kind);
        if (opt.hang && n_held < MAX_HELD) {
                held[n_held++] = fd;
                return;
        }
        if (opt.refuse) {
                send_filter(fd, SHIMPROTO_MAGIC, SHIMPROTO_UNKNOWN_CONTAINER);
                say("refused pid=%d", cred.pid);
        } else if (opt.bad_magic) {
                send_filter(fd, 0x12345678, SHIMPROTO_OK);
        } else if (opt.already && n_attached > 0) {
                send_filter(fd, SHIMPROTO_MAGIC, SHIMPROTO_ALREADY_ATTACHED);
                say("already pid=%d", cred.pid);
        } else if (send_filter(fd, SHIMPROTO_MAGIC, SHIMPROTO_OK) == 0 && !opt.drop_after_filter) {
                lfd = recv_attach(fd);
                if (lfd < 0) {
                        say("no listener from pid=%d", cred.pid);
                } else if (n_listeners == MAX_LISTENERS) {
                        close(lfd);
                } else {
                        listeners[n_listeners++] = lfd;
                        n_attached++;
                        say("attach pid=%d", cred.pid);
                        if (opt.nack)
                                ack.status = SHIMPROTO_INTERNAL;
                        send_all(fd, &ack, sizeof(ack));
                }
        }
        close(fd);
}

/* Reads the first path operand of a held call, copy checked by ID_VALID. */
static void read_path(int lfd, const struct seccomp_notif *req, const struct syscalls_call *call,
                      char *buf, size_t cap)
{
        cleanup_close int mem = -1;

        buf[0] = '\0';
        if (call->n_operands == 0)
                return;
        mem = procmem_open((pid_t)req->pid);
        if (mem < 0 || notify_id_valid(lfd, req->id) < 0)
                return;
        if (procmem_read_string(mem, call->op[0].path_addr, buf, cap) < 0 ||
            notify_id_valid(lfd, req->id) < 0)
                buf[0] = '\0';
}

static void handle_notification(int lfd, struct seccomp_notif *req)
{
        struct syscalls_call call;
        char path[4096];
        bool deny;

        if (notify_recv(lfd, req) < 0)
                return;
        if (syscalls_decode(&req->data, &call) < 0) {
                notify_respond_continue(lfd, req->id);
                return;
        }
        read_path(lfd, req, &call, path, sizeof(path));
        deny = strstr(path, "deny-me") != NULL;
        say("notify pid=%u syscall=%s path=%s verdict=%s", req->pid, call.name, path,
            deny ? "EPERM" : "continue");
        if (deny)
                notify_respond_errno(lfd, req->id, EPERM);
        else
                notify_respond_continue(lfd, req->id);
}

int main(int argc, char **argv)
{
        cleanup_free struct seccomp_notif *req = NULL;
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        int sfd;

        if (argc < 2 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
                fprintf(stderr, "usage: shim_fake_agent SOCKET [OPTION...]\n");
                return 2;
        }
        for (int i = 2; i < argc; i++) {
                if (strcmp(argv[i], "--no-probe") == 0) opt.no_probe = true;
                else if (strcmp(argv[i], "--already") == 0) opt.already = true;
                else if (strcmp(argv[i], "--refuse") == 0) opt.refuse = true;
                else if (strcmp(argv[i], "--bad-magic") == 0) opt.bad_magic = true;
                else if (strcmp(argv[i], "--hang") == 0) opt.hang = true;
                else if (strcmp(argv[i], "--drop-after-filter") == 0) opt.drop_after_filter = true;
                else if (strcmp(argv[i], "--nack") == 0) opt.nack = true;
                else {
                        fprintf(stderr, "shim_fake_agent: unknown option %s\n", argv[i]);
                        return 2;
                }
        }
        if (build_filter() < 0 || !(req = notify_alloc_req())) {
                fprintf(stderr, "shim_fake_agent: cannot build the filter\n");
                return 1;
        }
        strcpy(addr.sun_path, argv[1]);
        unlink(argv[1]);
        sfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (sfd < 0 || bind(sfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
            chmod(argv[1], 0666) < 0 || listen(sfd, 64) < 0) {
                perror("shim_fake_agent: listen");
                return 1;
        }
        say("ready");
        for (;;) {
                struct pollfd pfd[1 + MAX_LISTENERS];
                size_t n = 0;

                pfd[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
                for (size_t i = 0; i < n_listeners; i++)
                        pfd[n++] = (struct pollfd){ .fd = listeners[i], .events = POLLIN };
                if (poll(pfd, n, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        perror("shim_fake_agent: poll");
                        return 1;
                }
                for (size_t i = n_listeners; i-- > 0;) {
                        short ev = pfd[1 + i].revents;

                        if (ev & POLLIN)
                                handle_notification(listeners[i], req);
                        else if (ev & (POLLHUP | POLLERR)) {
                                close(listeners[i]);
                                listeners[i] = listeners[--n_listeners];
                                say("detach");
                        }
                }
                if (pfd[0].revents & POLLIN) {
                        int cfd = accept4(sfd, NULL, NULL, SOCK_CLOEXEC);

                        if (cfd >= 0)
                                serve(cfd);
                }
        }
}
