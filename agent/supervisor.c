#include "supervisor.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "decide.h"
#include "emulate.h"
#include "encode.h"
#include "netrule.h"
#include "notify.h"
#include "path.h"
#include "procmem.h"
#include "resolve.h"
#include "syscalls.h"
#include "target.h"
#include "util.h"

#ifndef OPEN_HOW_SIZE_VER0
#define OPEN_HOW_SIZE_VER0 24   /* Linux 5.6 */
#endif

_Static_assert(SYSCALLS_FOLLOW == PATHRES_FOLLOW && SYSCALLS_CREATE == PATHRES_CREATE,
               "syscalls.h and resolve.h must agree on resolution flags");

/* What one held call touches, copied out of the target once. */
struct held {
        int notify_fd;
        uint64_t id;
        pid_t tid;
        struct syscalls_call call;
        char raw[2][PATH_MAX_BYTES + 1];        /* path operands as the target wrote them */
        char *path[2];                          /* resolved, container view (malloc) */
        const char *unnamed[2];                 /* why an operand has no usable name */
        bool lexical[2];                        /* named by its lexical path only (a
                                                   pipe behind /dev/stdout, ...) */
        bool slash[2];                          /* written with a trailing '/' that
                                                   was taken off (see below) */
        char text[PATH_MAX_BYTES + 1];          /* symlink content, link source */
        struct policy_endpoint ep;              /* connect */
        char *ep_path;                          /* owns ep.path for unix sockets */
        bool ep_unnamed;
        bool ep_exact;                          /* learn the unix path as it is (the send
                                                   gate matches it byte for byte) */
        char addr_text[160];                    /* connect target for events */
};

/* True if the held call went away (target killed, call interrupted): the
 * pid may since name another process, so nothing read is trusted. */
static bool held_gone(const struct held *h)
{
        return notify_id_valid(h->notify_fd, h->id) < 0;
}

static void held_release(struct held *h)
{
        free(h->path[0]);
        free(h->path[1]);
        free(h->ep_path);
}

/* The kernel's own answer for a path that cannot be reached: the call would
 * fail with it anyway, so answering it ourselves is exact and race-free. */
static bool supervisor_kernel_would_fail(int error)
{
        switch (error) {
        case ENOENT:
        case ENOTDIR:
        case ELOOP:
        case ENAMETOOLONG:
        case EBADF:
        case EFAULT:
                return true;
        default:
                return false;
        }
}

/* Copies the path operands. Returns 0, or a positive errno to answer the
 * call with (the kernel would fail it the same way), or -errno when the
 * target's memory cannot be read at all. */
static int supervisor_copy_paths(int memfd, struct held *h)
{
        for (unsigned i = 0; i < h->call.n_operands; i++) {
                int r = procmem_read_string(memfd, h->call.op[i].path_addr, h->raw[i],
                                            sizeof(h->raw[i]));

                if (r == -ENAMETOOLONG || r == -EFAULT)
                        return -r;
                if (r < 0)
                        return r;
                if (r == 0 && !h->call.op[i].empty_path)
                        return ENOENT;
        }
        return 0;
}

/* openat2 keeps its flags in memory: read struct open_how (at least the
 * version-0 size, as the kernel insists). */
static int supervisor_copy_open_how(int memfd, struct held *h)
{
        struct open_how how = { 0 };
        size_t size = h->call.how_size;
        int r;

        if (size < OPEN_HOW_SIZE_VER0)
                return EINVAL;
        r = procmem_read(memfd, h->call.how_addr, &how,
                         size < sizeof(how) ? size : sizeof(how));
        if (r == -EFAULT)
                return EFAULT;
        if (r < 0)
                return r;
        syscalls_set_open_flags(&h->call, how.flags);
        h->call.open_mode = how.mode;
        h->call.open_resolve = how.resolve;
        return 0;
}

static int supervisor_copy_sockaddr(int memfd, struct held *h, struct sockaddr_storage *ss)
{
        size_t len = h->call.sockaddr_len;
        int r;

        if (len > sizeof(*ss))
                return EINVAL;
        if (len < sizeof(sa_family_t))
                return EINVAL;
        memset(ss, 0, sizeof(*ss));
        r = procmem_read(memfd, h->call.sockaddr_addr, ss, len);
        if (r == -EFAULT)
                return EFAULT;
        return r;
}

/* Resolves operand i to the path the target reaches. A path that has no
 * name in the target's root (a pipe behind /dev/stdout, a deleted file) is
 * judged by its lexical path, except for exec: the program to run must be a
 * file the profile names. Returns 0, a positive errno to answer with, or
 * -ESRCH when the target is gone. */
static int supervisor_resolve(struct held *h, unsigned i)
{
        const struct syscalls_operand *op = &h->call.op[i];
        const char *raw = h->raw[i];
        int r;

        if (raw[0] == '\0' && op->empty_path) {
                /* AT_EMPTY_PATH: the operand is dirfd's file itself (or the
                 * cwd for AT_FDCWD). */
                if (op->dirfd == AT_FDCWD)
                        r = resolve_path(h->tid, AT_FDCWD, ".", op->resflags, &h->path[i]);
                else
                        r = resolve_fd(h->tid, op->dirfd, &h->path[i]);
        } else {
                r = resolve_path(h->tid, op->dirfd, raw, op->resflags, &h->path[i]);
        }
        if (r == 0)
                return 0;
        if (r == -ESRCH)
                return r;
        if (supervisor_kernel_would_fail(-r))
                return -r;
        if (op->cls != PROFILE_EXEC && raw[0] != '\0' &&
            resolve_lexical(h->tid, op->dirfd, raw, &h->path[i]) == 0) {
                h->lexical[i] = true;
                return 0;
        }
        h->unnamed[i] = op->cls == PROFILE_EXEC ? "program has no path in the target's root"
                                                : "path not resolvable in the target's root";
        return 0;
}

/* rename, unlink, mkdir, link, symlink, mknod: the write-class calls that
 * act on a name itself, not on what it leads to (chmod and truncate). */
static bool supervisor_acts_on_name(const struct held *h)
{
        return h->call.kind == SYSCALLS_PATH_WRITE && h->call.path_op != EMULATE_CHMOD &&
               h->call.path_op != EMULATE_TRUNCATE;
}

/* The calls that act on a name itself never follow a final symlink, even
 * one written "link/": the kernel applies the trailing '/' to the name it
 * finds. So the name is judged without it, and an emulated call passes it
 * on (h->slash). chmod and truncate follow through it and resolve with it. */
static void supervisor_strip_slash(struct held *h, unsigned i)
{
        char *raw = h->raw[i];
        size_t n = strlen(raw);

        if (!supervisor_acts_on_name(h))
                return;
        while (n > 1 && raw[n - 1] == '/') {
                raw[--n] = '\0';
                h->slash[i] = true;
        }
}

/* A call on a name whose last component is "." or ".." fails in the
 * kernel whatever the directory (it has no name in its parent to act
 * on); resolving would turn "dir/." into "dir". Returns that errno, or 0. */
static int supervisor_dot_name(const struct held *h, unsigned i)
{
        const char *raw = h->raw[i], *last = strrchr(raw, '/');

        last = last ? last + 1 : raw;
        if (!supervisor_acts_on_name(h) || (strcmp(last, ".") && strcmp(last, "..")))
                return 0;
        switch (h->call.path_op) {
        case EMULATE_UNLINK:
                if (!(h->call.path_arg & AT_REMOVEDIR))
                        return EISDIR;
                return last[1] ? ENOTEMPTY : EINVAL;
        case EMULATE_RENAME:
                return i == 1 && (h->call.path_arg & RENAME_NOREPLACE) ? EEXIST : EBUSY;
        default:
                return EEXIST;
        }
}

static void supervisor_map_v4(struct policy_endpoint *ep)
{
        if (ep->family == AF_INET6 && netrule_is_v4mapped(ep->addr)) {
                memmove(ep->addr, ep->addr + NETRULE_V4MAPPED_PREFIX, 4);
                memset(ep->addr + 4, 0, sizeof(ep->addr) - 4);
                ep->family = AF_INET;
        }
}

/* Reads one SOL_SOCKET option of the held call's socket (through a copy of
 * it). Returns 0, the errno to answer with (EBADF, ENOTSOCK, ...), or
 * -ESRCH when the target is gone. */
static int supervisor_socket_option(const struct held *h, int option, int *ret)
{
        cleanup_close int sock = target_getfd(h->tid, h->call.sockfd);
        socklen_t len = sizeof(*ret);

        if (sock == -ESRCH)
                return sock;
        if (sock < 0)
                return sock == -EBADF ? EBADF : -sock;
        if (getsockopt(sock, SOL_SOCKET, option, ret, &len) < 0)
                return ENOTSOCK;
        return 0;
}

/* Names the destination of a connect or sendto. Returns 0 with *decided
 * (ep filled or ep_unnamed set) or not (another address family, AF_UNSPEC:
 * nothing driftlock judges), a positive errno to answer with, or -ESRCH. */
static int supervisor_resolve_connect(struct held *h, const struct sockaddr_storage *ss,
                                      bool *decided)
{
        struct policy_endpoint *ep = &h->ep;
        size_t len = h->call.sockaddr_len;

        memset(ep, 0, sizeof(*ep));
        *decided = ss->ss_family == AF_INET || ss->ss_family == AF_INET6 ||
                   ss->ss_family == AF_UNIX;
        switch (ss->ss_family) {
        case AF_INET:
        case AF_INET6: {
                int proto = 0, r;

                if (ss->ss_family == AF_INET) {
                        const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

                        if (len < sizeof(*sin))
                                return EINVAL;
                        memcpy(ep->addr, &sin->sin_addr, 4);
                        ep->port = ntohs(sin->sin_port);
                } else {
                        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

                        if (len < sizeof(*sin6))
                                return EINVAL;
                        memcpy(ep->addr, &sin6->sin6_addr, 16);
                        ep->port = ntohs(sin6->sin6_port);
                }
                ep->family = ss->ss_family;
                supervisor_map_v4(ep);

                r = supervisor_socket_option(h, SO_PROTOCOL, &proto);
                if (r != 0)
                        return r;
                if (proto == IPPROTO_TCP)
                        ep->proto = NETRULE_TCP;
                else if (proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE)
                        ep->proto = NETRULE_UDP;
                else
                        h->ep_unnamed = true;
                return 0;
        }
        case AF_UNIX: {
                const struct sockaddr_un *sun = (const struct sockaddr_un *)ss;
                size_t n = len - offsetof(struct sockaddr_un, sun_path);
                char name[sizeof(sun->sun_path) + 1];
                int r;

                ep->proto = NETRULE_UNIX;
                if (len <= offsetof(struct sockaddr_un, sun_path))
                        return EINVAL;
                if (sun->sun_path[0] == '\0') {
                        char *copy = malloc(n);

                        if (!copy)
                                return ENOMEM;
                        memcpy(copy, sun->sun_path + 1, n - 1);
                        ep->path = h->ep_path = copy;
                        ep->path_len = n - 1;
                        ep->abstract = true;
                        return 0;
                }
                memcpy(name, sun->sun_path, n);
                name[n] = '\0';
                h->call.op[0] = (struct syscalls_operand){
                        .cls = PROFILE_WRITE, .dirfd = AT_FDCWD, .resflags = PATHRES_FOLLOW,
                };
                memcpy(h->raw[0], name, strlen(name) + 1);
                r = supervisor_resolve(h, 0);
                if (r != 0)
                        return r;
                if (h->unnamed[0] || !h->path[0]) {
                        h->ep_unnamed = true;
                        return 0;
                }
                ep->path = h->ep_path = TAKE_PTR(h->path[0]);
                ep->path_len = strlen(ep->path);
                return 0;
        }
        default:
                return 0;
        }
}

/* sendto on an AF_INET socket takes an AF_UNSPEC destination as AF_INET
 * (udp_sendmsg, for BSD's sake); judge it, and send it, as what it is. On
 * other sockets it means "no destination" or is refused by the kernel. */
static int supervisor_unspec_dest(struct held *h, struct sockaddr_storage *ss)
{
        int domain = AF_UNSPEC;
        int r = supervisor_socket_option(h, SO_DOMAIN, &domain);

        if (r != 0)
                return r;
        if (domain == AF_INET)
                ss->ss_family = AF_INET;
        return 0;
}

static void supervisor_format_addr(struct held *h)
{
        struct netrule rule = { 0 };
        struct strbuf sb = STRBUF_INIT;
        const struct policy_endpoint *ep = &h->ep;

        h->addr_text[0] = '\0';
        if (h->ep_unnamed) {
                snprintf(h->addr_text, sizeof(h->addr_text), "unsupported socket");
                return;
        }
        if (ep->proto == NETRULE_UNIX) {
                if (strbuf_puts(&sb, ep->abstract ? "unix @" : "unix ") == 0 &&
                    encode_append(&sb, ep->path, ep->path_len) == 0)
                        snprintf(h->addr_text, sizeof(h->addr_text), "%s", sb.data);
                strbuf_release(&sb);
                return;
        }
        rule.proto = ep->proto;
        rule.family = ep->family;
        memcpy(rule.addr, ep->addr, sizeof(rule.addr));
        rule.prefix = ep->family == AF_INET ? 32 : 128;
        rule.port = ep->port;
        if (netrule_format(&rule, &sb) == 0)
                snprintf(h->addr_text, sizeof(h->addr_text), "%s", sb.data);
        strbuf_release(&sb);
}

static void supervisor_emit(struct session *s, const struct held *h,
                            const struct decide_result *d, enum profile_class cls,
                            const char *path, const char *addr)
{
        struct target_info info;
        struct event ev = { 0 };

        clock_gettime(CLOCK_REALTIME, &ev.time);
        ev.class = profile_class_name(cls);
        ev.syscall = h->call.name;
        ev.verdict = d->verdict;
        ev.error = d->action == DECIDE_REFUSE ? d->error : 0;
        if (path) {
                ev.path = path;
                ev.path_len = strlen(path);
        }
        ev.addr = addr;
        ev.pid = h->tid;
        ev.uid = -1;
        if (target_info(h->tid, &info) == 0) {
                ev.pid = info.tgid > 0 ? info.tgid : h->tid;
                ev.uid = info.uid;
                ev.comm = info.comm[0] ? info.comm : NULL;
                if (info.exe[0]) {
                        ev.exe = info.exe;
                        ev.exe_len = strlen(info.exe);
                }
        }
        ev.reason = d->pv.reason;
        ev.rule = d->pv.rule;
        session_emit(s, &ev);
}

/* Learns and reports one decided operand. */
static void supervisor_account(struct session *s, const struct held *h,
                               struct decide_result *d, enum profile_class cls,
                               const char *path)
{
        int fresh = 0;

        if (d->record) {
                fresh = path         ? learn_observe_path(s->learn, cls, path)
                        : h->ep_exact ? learn_observe_exact_connect(s->learn, &h->ep)
                                      : learn_observe_connect(s->learn, &h->ep);
                /* Report a learned entry once, not on every repetition. */
                if (fresh <= 0)
                        d->verdict = NULL;
                if (fresh > 0 && d->verdict)
                        s->counts.learned++;
        }
        if (d->action == DECIDE_REFUSE)
                s->counts.denied++;
        else if (d->verdict && !strcmp(d->verdict, "alert"))
                s->counts.alerted++;
        else
                s->counts.allowed++;
        if (d->verdict)
                supervisor_emit(s, h, d, cls, path, path ? NULL : h->addr_text);
}

/* A call handed to an emulation worker. The worker answers it; if the
 * path changed between the check and the open (an argument-rewrite race,
 * or a symlink swapped in), the target gets EPERM and this reports it. The
 * report owns copies of everything: the session may be gone by then. */
struct supervisor_async {
        int events_fd;
        struct event ev;
        char *strings;          /* one allocation behind the event's strings */
};

static void supervisor_async_done(void *arg, const struct emulate_outcome *outcome)
{
        struct supervisor_async *a = arg;
        struct strbuf line = STRBUF_INIT;

        if (outcome->result == EMULATE_STALE && outcome->answer == 0) {
                clock_gettime(CLOCK_REALTIME, &a->ev.time);
                if (event_format(&a->ev, &line) == 0)
                        (void)!write(a->events_fd, line.data, line.len);
                strbuf_release(&line);
        }
        free(a->strings);
        free(a);
}

static char *supervisor_stash(char **cursor, const char *s)
{
        char *at = *cursor;

        if (!s)
                return NULL;
        strcpy(at, s);
        *cursor += strlen(s) + 1;
        return at;
}

static struct supervisor_async *supervisor_async_new(const struct session *s,
                                                     const struct held *h,
                                                     enum profile_class cls,
                                                     const char *path, const char *addr)
{
        const char *parts[] = { s->container, s->profile_name, s->image, path, addr };
        struct supervisor_async *a = calloc(1, sizeof(*a));
        size_t size = 0;
        char *cursor;

        if (!a)
                return NULL;
        for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
                size += parts[i] ? strlen(parts[i]) + 1 : 0;
        a->strings = cursor = malloc(size ? size : 1);
        if (!a->strings) {
                free(a);
                return NULL;
        }
        a->events_fd = s->events_fd;
        a->ev = (struct event){
                .container = supervisor_stash(&cursor, s->container),
                .profile = supervisor_stash(&cursor, s->profile_name),
                .image = supervisor_stash(&cursor, s->image),
                .mode = profile_mode_name(s->mode),
                .class = profile_class_name(cls),
                .syscall = h->call.name,
                .verdict = "deny",
                .error = EPERM,
                .path = supervisor_stash(&cursor, path),
                .addr = supervisor_stash(&cursor, addr),
                .pid = h->tid,
                .uid = -1,
                .reason = "the target changed between the check and the call (argument rewrite or symlink swap)",
        };
        a->ev.path_len = path ? strlen(path) : 0;
        return a;
}

/* Enforce mode: an allowed call on something the agent cannot pin down
 * (no object to open again, a name whose directory has no path) would
 * have to be CONTINUEd, and the kernel would read the path again. It is
 * refused and reported instead. */
static int supervisor_refuse_unpinned(struct session *s, struct held *h, const char *path)
{
        struct decide_result d;

        decide_unnamed(s->mode, "allowed, but not pinned down: the kernel would read the path again",
                       s->refuse_errno, &d);
        supervisor_account(s, h, &d, h->call.op[0].cls, path);
        return d.action == DECIDE_REFUSE ? d.error : 0;
}

/* After an emulation job was started (r == 0: it owns the answer) or was
 * not. Returns -EINPROGRESS or an errno to answer with. */
static int supervisor_started(struct session *s, struct supervisor_async *a, int r)
{
        if (r < 0) {
                supervisor_async_done(a, &(struct emulate_outcome){ .result = r });
                return r == -ENOENT ? -ESRCH : -r;
        }
        s->counts.emulated++;
        return -EINPROGRESS;
}

/* Enforce mode: the agent performs an allowed open itself, on the path it
 * checked, and installs the result in the target (DESIGN.md §4): what the
 * process gets is what was decided, whatever its memory says by now.
 * Returns -EINPROGRESS when a worker owns the answer, or an errno to answer
 * with. */
static int supervisor_emulate_open(struct session *s, struct held *h)
{
        const struct syscalls_operand *op = &h->call.op[0];
        struct supervisor_async *a;
        int objfd = -1;
        int r;

        if (h->call.kind == SYSCALLS_OPENAT2) {
                r = emulate_check_open_how(h->call.open_flags, h->call.open_mode,
                                           h->call.open_resolve);
                if (r < 0)
                        return -r;
        }
        /* Named by its lexical path only (a pipe behind /dev/stdout): the
         * object itself is opened again, as the kernel would. */
        if (h->lexical[0]) {
                r = resolve_unnamed(h->tid, op->dirfd, h->raw[0], op->resflags, &objfd);
                if (r == -ESRCH)
                        return r;
                if (r < 0 && supervisor_kernel_would_fail(-r))
                        return -r;
                if (r < 0)
                        return supervisor_refuse_unpinned(s, h, h->path[0]);
        }
        a = supervisor_async_new(s, h, op->cls, h->path[0], NULL);
        if (!a) {
                util_closep(&objfd);
                return ENOMEM;
        }
        if (objfd >= 0)
                r = emulate_reopen_start(h->notify_fd, h->id, h->tid, objfd, h->call.open_flags,
                                         h->call.open_mode, h->call.open_resolve,
                                         s->refuse_errno, supervisor_async_done, a);
        else
                r = emulate_open_start(h->notify_fd, h->id, h->tid, h->path[0],
                                       h->call.open_flags, h->call.open_mode,
                                       h->call.open_resolve, s->refuse_errno,
                                       supervisor_async_done, a);
        return supervisor_started(s, a, r);
}

static int supervisor_emulate_socket(struct session *s, struct held *h,
                                     const struct sockaddr_storage *ss, int memfd)
{
        const char *unix_path = ss->ss_family == AF_UNIX && !h->ep.abstract ? h->ep_path : NULL;
        const struct sockaddr *addr = (const struct sockaddr *)ss;
        socklen_t len = (socklen_t)h->call.sockaddr_len;
        cleanup_free void *data = NULL;
        size_t n = h->call.send_len < EMULATE_SEND_MAX ? h->call.send_len : EMULATE_SEND_MAX;
        struct supervisor_async *a;
        int r;

        if (h->call.kind == SYSCALLS_SENDTO) {
                /* Our copy of the data: any bytes are fine, only the
                 * destination is judged. */
                data = malloc(n ? n : 1);
                if (!data)
                        return ENOMEM;
                r = procmem_read(memfd, h->call.send_buf, data, n);
                if (r < 0)
                        return r == -EFAULT ? EFAULT : r;
        }
        a = supervisor_async_new(s, h, PROFILE_CONNECT, NULL, h->addr_text);
        if (!a)
                return ENOMEM;
        if (h->call.kind == SYSCALLS_SENDTO)
                r = emulate_sendto_start(h->notify_fd, h->id, h->tid, h->call.sockfd, data, n,
                                         h->call.send_len, (int)h->call.send_flags, addr, len,
                                         unix_path, s->refuse_errno, supervisor_async_done, a);
        else
                r = emulate_connect_start(h->notify_fd, h->id, h->tid, h->call.sockfd, addr, len,
                                          unix_path, s->refuse_errno, supervisor_async_done, a);
        return supervisor_started(s, a, r);
}

/* The file a link is made to. It is not judged (only the new name is), so
 * any answer the target's memory gives is one it could have asked for;
 * what matters is that the agent links a file the target may reach.
 * Fills c->source or c->fd; returns 0 or an errno to answer with. */
static int supervisor_link_source(struct held *h, int memfd, struct emulate_path_call *c,
                                  char **ret_source)
{
        const struct syscalls_operand *src = &h->call.source;
        unsigned fdnum;
        char tail;
        int r = procmem_read_string(memfd, src->path_addr, h->text, sizeof(h->text));

        if (r < 0)
                return r == -ENAMETOOLONG || r == -EFAULT ? -r : EFAULT;
        if (r == 0 && !src->empty_path)
                return ENOENT;
        if (r == 0) {
                /* linkat(fd, "", AT_EMPTY_PATH); the cwd is a directory,
                 * which the kernel never links */
                if (src->dirfd == AT_FDCWD)
                        return EPERM;
                c->fd = src->dirfd;
                return 0;
        }
        r = resolve_path(h->tid, src->dirfd, h->text, src->resflags, ret_source);
        if (r == 0) {
                c->source = *ret_source;
                return 0;
        }
        if (r == -ESRCH)
                return r;
        /* A file with no name, reached through its fd's magic link: the
         * way an O_TMPFILE is given a name without CAP_DAC_READ_SEARCH. */
        if (r == -EXDEV && (src->resflags & PATHRES_FOLLOW) &&
            (sscanf(h->text, "/proc/self/fd/%u%c", &fdnum, &tail) == 1 ||
             sscanf(h->text, "/proc/thread-self/fd/%u%c", &fdnum, &tail) == 1 ||
             sscanf(h->text, "/dev/fd/%u%c", &fdnum, &tail) == 1) &&
            fdnum <= INT_MAX) {
                c->fd = (int)fdnum;
                return 0;
        }
        return supervisor_kernel_would_fail(-r) ? -r : EPERM;
}

/* Enforce mode, the write-class calls on names: the agent makes the
 * change itself, on the names it checked (DESIGN.md §4). */
static int supervisor_emulate_path(struct session *s, struct held *h, int memfd)
{
        const struct syscalls_operand *op = &h->call.op[0];
        struct emulate_path_call c = {
                .op = h->call.path_op,
                .path = { h->path[0], h->path[1] },
                .slash = { h->slash[0], h->slash[1] },
                .follow = op->resflags & PATHRES_FOLLOW,
                .arg = h->call.path_arg,
                .dev = h->call.path_dev,
                .fd = -1,
        };
        cleanup_free char *source = NULL;
        struct supervisor_async *a;
        int r;

        if (op->empty_path && h->raw[0][0] == '\0' && op->dirfd != AT_FDCWD)
                c.fd = op->dirfd;       /* fchmodat2(fd, "", AT_EMPTY_PATH) */
        if (c.op == EMULATE_SYMLINK) {
                r = procmem_read_string(memfd, h->call.text_addr, h->text, sizeof(h->text));
                if (r < 0)
                        return r == -ENAMETOOLONG || r == -EFAULT ? -r : EFAULT;
                if (r == 0)
                        return ENOENT;
                c.text = h->text;
        } else if (c.op == EMULATE_LINK) {
                r = supervisor_link_source(h, memfd, &c, &source);
                if (r != 0)
                        return r;
        }
        a = supervisor_async_new(s, h, PROFILE_WRITE, h->path[0], NULL);
        if (!a)
                return ENOMEM;
        r = emulate_path_start(h->notify_fd, h->id, h->tid, &c, s->refuse_errno,
                               supervisor_async_done, a);
        return supervisor_started(s, a, r);
}

/* connect, and sendto with a destination. In enforce mode every one of
 * them is performed by the agent with its copy of the address, also those
 * of families it does not judge: the kernel would read the address again,
 * and a thread could turn a netlink address into an inet one meanwhile. */
static int supervisor_decide_socket(struct session *s, struct held *h, int memfd)
{
        struct sockaddr_storage ss;
        struct decide_result d;
        bool decided;
        int r;

        /* dest_addr with addrlen 0 is no destination (a register: final) */
        if (h->call.kind == SYSCALLS_SENDTO && h->call.sockaddr_len == 0)
                return 0;
        r = supervisor_copy_sockaddr(memfd, h, &ss);
        if (r != 0)
                return r;
        if (held_gone(h))
                return -ESRCH;
        if (h->call.kind == SYSCALLS_SENDTO && ss.ss_family == AF_UNSPEC &&
            (r = supervisor_unspec_dest(h, &ss)) != 0)
                return r;
        r = supervisor_resolve_connect(h, &ss, &decided);
        if (r != 0)
                return r;
        /* Outside enforce the send gate reports tcp/udp destinations from
         * the kernel's own copy; reporting them here too would say it
         * twice. (In enforce the agent's emulated call passes the gate as
         * allowed, silently.) */
        if (s->send_gate && s->mode != PROFILE_MODE_ENFORCE && !h->ep_unnamed &&
            (h->ep.proto == NETRULE_TCP || h->ep.proto == NETRULE_UDP))
                return 0;
        if (decided) {
                supervisor_format_addr(h);
                if (h->ep_unnamed)
                        decide_unnamed(s->mode, "protocol not expressible in a profile",
                                       s->refuse_errno, &d);
                else
                        decide_connect(s->mode, s->policy, &h->ep, s->refuse_errno, &d);
                supervisor_account(s, h, &d, PROFILE_CONNECT, NULL);
                if (d.action == DECIDE_REFUSE)
                        return d.error;
        }
        if (s->mode != PROFILE_MODE_ENFORCE || !s->emulate || h->ep_unnamed)
                return 0;
        return supervisor_emulate_socket(s, h, &ss, memfd);
}

/* Decides a call whose arguments were copied. Returns the errno to answer
 * with, 0 to let it continue, or -ESRCH when the target vanished. */
static int supervisor_decide(struct session *s, struct held *h, int memfd)
{
        struct decide_result total = { .action = DECIDE_CONTINUE };
        struct decide_result d;
        int r;

        if (h->call.kind == SYSCALLS_CONNECT || h->call.kind == SYSCALLS_SENDTO)
                return supervisor_decide_socket(s, h, memfd);

        if (h->call.kind == SYSCALLS_OPENAT2) {
                r = supervisor_copy_open_how(memfd, h);
                if (r != 0)
                        return r;
        }
        r = supervisor_copy_paths(memfd, h);
        if (r != 0)
                return r;
        if (held_gone(h))
                return -ESRCH;
        /* Reads are filtered in the kernel unless the session holds them;
         * a read-only open that reaches us anyway (openat2, whose flags BPF
         * cannot see) is let through when reads are unrestricted. */
        if (h->call.op[0].cls == PROFILE_READ && !s->notify_reads &&
            !policy_restricts_reads(s->policy)) {
                /* ... except in enforce mode: openat2's flags could turn
                 * into a write after we read them, so we open it ourselves
                 * with the flags we saw. */
                if (h->call.kind == SYSCALLS_OPENAT2 && s->mode == PROFILE_MODE_ENFORCE &&
                    s->emulate) {
                        r = supervisor_resolve(h, 0);
                        if (r != 0)
                                return r;
                        if (h->unnamed[0])
                                return supervisor_refuse_unpinned(s, h, h->raw[0]);
                        return supervisor_emulate_open(s, h);
                }
                return 0;
        }

        for (unsigned i = 0; i < h->call.n_operands; i++) {
                enum profile_class cls = h->call.op[i].cls;

                supervisor_strip_slash(h, i);
                r = supervisor_dot_name(h, i);
                if (r == 0)
                        r = supervisor_resolve(h, i);
                if (r != 0)
                        return r;
                if (h->unnamed[i])
                        decide_unnamed(s->mode, h->unnamed[i], s->refuse_errno, &d);
                else
                        decide_path(s->mode, s->policy, cls, h->path[i], s->refuse_errno, &d);
                supervisor_account(s, h, &d, cls, h->path[i] ? h->path[i] : h->raw[i]);
                decide_combine(&total, &d);
        }
        if (total.action == DECIDE_REFUSE)
                return total.error;
        /* Objects named only by their lexical path (pipes behind
         * /dev/stdout) have no path to open again: CONTINUE. */
        if (s->mode != PROFILE_MODE_ENFORCE || !s->emulate)
                return 0;
        if (h->call.kind == SYSCALLS_OPEN || h->call.kind == SYSCALLS_OPENAT2)
                return supervisor_emulate_open(s, h);
        if (h->call.kind != SYSCALLS_PATH_WRITE)
                return 0;
        for (unsigned i = 0; i < h->call.n_operands; i++)
                if (h->lexical[i])
                        return supervisor_refuse_unpinned(s, h, h->path[i]);
        return supervisor_emulate_path(s, h, memfd);
}

int supervisor_handle(struct session *s, struct supervisor_fd *sfd, struct seccomp_notif *req)
{
        int notify_fd = sfd->fd;
        cleanup_close int memfd = -1;
        struct held *h;
        int r;

        r = notify_recv(notify_fd, req);
        if (r == -ENOENT || r == -EINTR || r == -EAGAIN)
                return 0;
        if (r < 0)
                return r;
        s->counts.held++;

        /* About 8 KiB of path buffers: on the heap, the loop may run on a
         * small stack. */
        h = calloc(1, sizeof(*h));
        if (!h) {
                notify_respond_errno(notify_fd, req->id, ENOMEM);
                return 0;
        }
        h->notify_fd = notify_fd;
        h->id = req->id;
        h->tid = (pid_t)req->pid;

        if (syscalls_decode(&req->data, &h->call) < 0) {
                /* The filter holds only calls we decode; anything else is a
                 * filter/table mismatch and must not pass unexamined. */
                r = ENOSYS;
        } else if (!sfd->entrypoint_seen && h->call.kind != SYSCALLS_EXEC) {
                r = 0;
        } else {
                sfd->entrypoint_seen = true;
                memfd = procmem_open(h->tid);
                if (memfd < 0)
                        r = memfd;
                else if (held_gone(h))
                        r = -ESRCH;
                else
                        r = supervisor_decide(s, h, memfd);
        }

        /* Every call still held gets an answer, whatever went wrong: a
         * call left unanswered would hang its thread. An emulation worker
         * answers the calls it took (-EINPROGRESS). */
        if (r == -EINPROGRESS) {
                r = 0;
        } else if (r < 0 && held_gone(h)) {
                s->counts.gone++;
                r = 0;
        } else if (r < 0) {
                /* Our own failure (memory, /proc): refuse rather than guess. */
                r = notify_respond_errno(notify_fd, h->id, -r);
        } else if (r > 0) {
                r = notify_respond_errno(notify_fd, h->id, r);
        } else {
                r = notify_respond_continue(notify_fd, h->id);
        }
        held_release(h);
        free(h);
        return r == -ENOENT ? 0 : r < 0 ? r : 0;
}

/* True if a unix destination the send gate reports, as the process wrote
 * it, can be a rule: an abstract name, or an absolute normalised path (the
 * gate matches rules byte for byte). */
static bool supervisor_unix_as_written(const struct policy_endpoint *ep)
{
        cleanup_free char *copy = NULL;

        if (ep->abstract)
                return true;
        copy = strndup(ep->path, ep->path_len);
        return copy && path_is_normal(copy);
}

/* One destination the send gate found in no rule: the kernel has already
 * answered the call, so the report says what happened, in the same event
 * and learning as a held connect. */
static void supervisor_gate_report(void *ctx, const struct sendgate_report *r)
{
        struct session *s = ctx;
        struct held *h = calloc(1, sizeof(*h));
        struct decide_result d;
        enum profile_mode as;

        if (!h) {
                s->counts.events_lost++;
                return;
        }
        h->tid = r->pid;
        h->call.name = r->syscall;
        h->ep = r->ep;
        h->ep_unnamed = !r->expressible;
        h->ep_exact = true;
        supervisor_map_v4(&h->ep);
        supervisor_format_addr(h);
        /* the gate's verdict stands, whatever the mode is by now */
        as = r->refused ? PROFILE_MODE_ENFORCE
             : s->mode == PROFILE_MODE_LEARN ? PROFILE_MODE_LEARN : PROFILE_MODE_MONITOR;
        if (r->hook == SENDGATE_SOCKET)
                decide_unnamed(as, "raw and ICMP sockets reach addresses no rule can name", EPERM, &d);
        else if (r->expressible && r->ep.proto == NETRULE_UNIX && !supervisor_unix_as_written(&r->ep))
                decide_unnamed(as, "a unix path of sendmsg is judged as written: only an absolute, normalised path can match a rule",
                               EPERM, &d);
        else if (h->ep_unnamed)
                decide_unnamed(as, "protocol not expressible in a profile", EPERM, &d);
        else
                decide_connect(as, s->policy, &h->ep, EPERM, &d);
        supervisor_account(s, h, &d, PROFILE_CONNECT, NULL);
        held_release(h);
        free(h);
}

int supervisor_send_reports(struct session *s)
{
        int64_t lost;

        if (!s->send_gate)
                return 0;
        lost = sendgate_process(s->send_gate, supervisor_gate_report, s);
        if (lost < 0)
                return (int)lost;
        s->counts.events_lost += (uint64_t)lost;
        return 0;
}
