/* Shared by test_emulate.c and test_emulate_path.c (include after
 * cmocka.h): target processes with chosen credentials that perform calls
 * themselves, so that what the kernel answers a target can be compared
 * with what emulation gives it; and a temporary container root (tree,
 * rootdir) for them, made by group_setup and removed by group_teardown. */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emulate.h"
#include "filter.h"
#include "notify.h"
#include "unixsock.h"
#include "util.h"

/* Only reached when a test fails; no assertion depends on timing. */
#define TIMEOUT_MS 10000
#define CAP_BIT(c) (1ull << (c))

/* Targets are real processes: a child takes on chosen credentials (and a
 * chroot, and a seccomp filter for the end-to-end tests), then performs
 * the commands the test sends it, so that what the kernel answers the
 * target itself can be compared with what emulation gives. */
enum cmd_op { CMD_OPEN, CMD_OPEN_KEEP, CMD_SOCKET, CMD_CONNECT, CMD_PEER, CMD_SYSCALL };

/* CMD_SYSCALL: what args[i] stands for. A string argument is the address,
 * in the child, of that buffer of its copy of the command. */
enum cmd_arg { ARG_NUM, ARG_PATH, ARG_PATH2, ARG_TEXT, ARG_EMPTY };

struct cmd {
        int op;
        int flags, mode;        /* open; socket: domain, type */
        int fd;
        socklen_t len;
        struct sockaddr_storage addr;
        char path[640];
        /* CMD_SYSCALL: syscall(nr, args...) as the target's own call; an fd
         * it returns stays open in the target. */
        long nr;
        long args[6];
        unsigned char kind[6];  /* enum cmd_arg */
        char path2[640];
        char text[256];
};

struct reply {
        long ret;
        int err;
        struct stat st;         /* of the opened fd */
        int fd_flags, fl_flags;
        char content[16];       /* CMD_OPEN_KEEP: the file read back */
        int so_error;
        struct sockaddr_storage peer;
        socklen_t peerlen;
};

struct spec {
        bool chroot, filter;
        bool userns;            /* own user namespace: ids 0 are our 1000 */
        uid_t uid;
        gid_t gid, group;       /* group: one supplementary group */
        mode_t umask;
        uint64_t caps;          /* effective and permitted */
};

struct target {
        pid_t pid;
        int sock, listener;
        bool chroot, userns;
};

static const struct spec user1000 = { .uid = 1000, .gid = 1000, .group = 2000, .umask = 027 };

static char tree[64], rootdir[96];
static struct target targets[2] = { { -1, -1, -1, false, false }, { -1, -1, -1, false, false } };

static inline bool is_root(void)
{
        if (geteuid() == 0)
                return true;
        print_message("needs root: credential switches (CI runs it as root)\n");
        return false;
}

/* prefix + p in one of a few rotating buffers: rename(host_path(a),
 * host_path(b)) needs two at once. */
static inline const char *joined(const char *prefix, const char *p)
{
        static char bufs[4][600];
        static unsigned next;
        char *buf = bufs[next++ % ARRAY_SIZE(bufs)];

        snprintf(buf, sizeof(bufs[0]), "%s%s", prefix, p);
        return buf;
}

/* A path under the test's container root, as we see it. */
static inline const char *host_path(const char *p)
{
        return joined(rootdir, p);
}

/* p as target t names it (and as emulation gets it: resolved in t's root). */
static inline const char *tpath(const struct target *t, const char *p)
{
        return joined(t->chroot ? "" : rootdir, p);
}

static inline void write_file(const char *p, const char *text, mode_t mode, uid_t uid, gid_t gid)
{
        int fd = open(host_path(p), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        assert_int_equal(fchown(fd, uid, gid), 0);
        assert_int_equal(fchmod(fd, mode), 0);
        close(fd);
}

static inline void tree_reset(void)
{
        char cmd[256];

        snprintf(cmd, sizeof(cmd), "rm -rf %s/dir && mkdir -m 0777 %s/dir", rootdir, rootdir);
        assert_int_equal(system(cmd), 0);
        write_file("/w", "content", 0666, 0, 0);
}

static inline int group_setup(void **state)
{
        (void)state;
        if (geteuid() != 0)
                return 0;
        snprintf(tree, sizeof(tree), "/tmp/driftlock-emulate-XXXXXX");
        if (!mkdtemp(tree))
                return -1;
        snprintf(rootdir, sizeof(rootdir), "%s/root", tree);
        if (chmod(tree, 0755) < 0 || mkdir(rootdir, 0755) < 0 ||
            mkdir(host_path("/sub"), 0755) < 0 || mkdir(host_path("/noexec"), 0700) < 0 ||
            symlink("pub", host_path("/link")) < 0 || mkfifo(host_path("/fifo"), 0666) < 0 ||
            chmod(host_path("/fifo"), 0666) < 0)
                return -1;
        write_file("/secret", "secret", 0600, 0, 0);
        write_file("/grp", "grp", 0640, 0, 2000);
        write_file("/pub", "pub", 0644, 0, 0);
        write_file("/other", "other", 0600, 3000, 3000);
        write_file("/sub/f", "sub", 0644, 0, 0);
        write_file("/noexec/f", "hidden", 0644, 0, 0);
        tree_reset();
        return 0;
}

static inline int group_teardown(void **state)
{
        char cmd[128];

        (void)state;
        if (tree[0]) {
                snprintf(cmd, sizeof(cmd), "rm -rf %s", tree);
                if (system(cmd) != 0)
                        return -1;
        }
        return 0;
}

/* ---- what the tree looks like: to compare the effects of two runs ------ */

#define SNAP_MAX 128

struct entry {
        char name[96];          /* under tree */
        mode_t mode;
        uid_t uid;
        gid_t gid;
        nlink_t nlink;
        off_t size;             /* not of directories: the file system's business */
        char link[128];
};

struct snapshot {
        size_t n;
        struct entry e[SNAP_MAX];
};

static inline void snap_add(struct snapshot *s, const char *name, const char *host)
{
        struct entry *e;
        struct stat st;
        DIR *d;
        struct dirent *de;

        assert_true(s->n < SNAP_MAX);
        e = &s->e[s->n++];
        assert_true(snprintf(e->name, sizeof(e->name), "%s", name) < (int)sizeof(e->name));
        assert_int_equal(lstat(host, &st), 0);
        e->mode = st.st_mode;
        e->uid = st.st_uid;
        e->gid = st.st_gid;
        e->nlink = st.st_nlink;
        e->size = S_ISDIR(st.st_mode) ? 0 : st.st_size;
        if (S_ISLNK(st.st_mode))
                assert_true(readlink(host, e->link, sizeof(e->link) - 1) >= 0);
        if (!S_ISDIR(st.st_mode))
                return;
        d = opendir(host);
        assert_non_null(d);
        while ((de = readdir(d))) {
                char cname[sizeof(e->name)], chost[600];

                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                assert_true(snprintf(cname, sizeof(cname), "%s/%s", name, de->d_name) <
                            (int)sizeof(cname));
                assert_true(snprintf(chost, sizeof(chost), "%s/%s", host, de->d_name) <
                            (int)sizeof(chost));
                snap_add(s, cname, chost);
        }
        closedir(d);
}

static inline int entry_cmp(const void *a, const void *b)
{
        return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* The whole temporary tree: the container root and what lies outside it. */
static inline void snap_take(struct snapshot *s)
{
        memset(s, 0, sizeof(*s));
        snap_add(s, "", tree);
        qsort(s->e, s->n, sizeof(s->e[0]), entry_cmp);
}

static inline void entry_print(const char *who, const struct entry *e)
{
        if (!e) {
                print_message("    %-5s (none)\n", who);
                return;
        }
        print_message("    %-5s %s mode %06o uid %u gid %u nlink %lu size %ld%s%s\n", who,
                      e->name, (unsigned)e->mode, (unsigned)e->uid, (unsigned)e->gid,
                      (unsigned long)e->nlink, (long)e->size, e->link[0] ? " -> " : "", e->link);
}

/* Prints every entry that differs; true if none does. */
static inline bool snap_same(const struct snapshot *a, const char *aname, const struct snapshot *b,
                      const char *bname)
{
        size_t i = 0, j = 0;
        bool same = true;

        while (i < a->n || j < b->n) {
                const struct entry *x = i < a->n ? &a->e[i] : NULL;
                const struct entry *y = j < b->n ? &b->e[j] : NULL;
                int c = !x ? 1 : !y ? -1 : strcmp(x->name, y->name);

                if (c == 0 && x->mode == y->mode && x->uid == y->uid && x->gid == y->gid &&
                    x->nlink == y->nlink && x->size == y->size && !strcmp(x->link, y->link)) {
                        i++, j++;
                        continue;
                }
                same = false;
                entry_print(aname, c <= 0 ? x : NULL);
                entry_print(bname, c >= 0 ? y : NULL);
                i += c <= 0;
                j += c >= 0;
        }
        return same;
}

/* A result for messages: "0", "-ENOENT", "EMULATE_STALE". */
static inline const char *err_name(int r)
{
        static char buf[4][32];
        static unsigned next;
        char *b = buf[next++ % ARRAY_SIZE(buf)];

        if (r == EMULATE_STALE)
                return "EMULATE_STALE";
        if (r >= 0)
                snprintf(b, sizeof(buf[0]), "%d", r);
        else
                snprintf(b, sizeof(buf[0]), "-%s", strerrorname_np(-r) ?: "?");
        return b;
}

/* Nothing here waits on a clock; the watchdog only ends a run that hangs
 * (an emulated call blocking forever), the targets killed and the tree
 * removed. */
static inline void watchdog_fire(int sig)
{
        static const char msg[] = "emulate test: hung, giving up\n";
        static char rm[] = "/bin/rm", rf[] = "-rf";
        char *argv[] = { rm, rf, tree, NULL };
        pid_t pid;

        (void)sig;
        if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
                _exit(2);
        for (size_t i = 0; i < ARRAY_SIZE(targets); i++)
                if (targets[i].pid > 0)
                        kill(targets[i].pid, SIGKILL);
        pid = tree[0] ? fork() : -1;
        if (pid == 0) {
                execve(argv[0], argv, (char *[]){ NULL });
                _exit(127);
        }
        if (pid > 0)
                waitpid(pid, NULL, 0);
        _exit(1);
}


static inline void watchdog_arm(unsigned seconds)
{
        signal(SIGALRM, watchdog_fire);
        alarm(seconds);
}

/* ---- the target process ------------------------------------------------- */

static inline void wait_readable(int fd)
{
        struct pollfd p = { .fd = fd, .events = POLLIN };

        assert_int_equal(poll(&p, 1, TIMEOUT_MS), 1);
}

static inline void child_loop(int sock)
{
        struct cmd c;
        struct reply r;

        while (recv(sock, &c, sizeof(c), 0) == (ssize_t)sizeof(c)) {
                memset(&r, 0, sizeof(r));
                switch (c.op) {
                case CMD_OPEN:
                case CMD_OPEN_KEEP:
                        r.ret = open(c.path, c.flags, c.mode);
                        r.err = r.ret < 0 ? errno : 0;
                        if (r.ret < 0)
                                break;
                        fstat((int)r.ret, &r.st);
                        r.fd_flags = fcntl((int)r.ret, F_GETFD);
                        r.fl_flags = fcntl((int)r.ret, F_GETFL);
                        /* Use the fd: write, and read back where it can. */
                        if (c.op == CMD_OPEN_KEEP && write((int)r.ret, "hello", 5) != 5)
                                r.err = errno;
                        if (c.op == CMD_OPEN_KEEP &&
                            pread((int)r.ret, r.content, sizeof(r.content) - 1, 0) < 0)
                                r.content[0] = '\0';
                        close((int)r.ret);
                        break;
                case CMD_SOCKET:
                        r.ret = socket(c.flags, c.mode | SOCK_CLOEXEC, 0);
                        r.err = r.ret < 0 ? errno : 0;
                        break;
                case CMD_CONNECT:
                        r.ret = connect(c.fd, (struct sockaddr *)&c.addr, c.len);
                        r.err = r.ret < 0 ? errno : 0;
                        break;
                case CMD_SYSCALL: {
                        long a[6];

                        for (size_t i = 0; i < ARRAY_SIZE(a); i++)
                                a[i] = c.kind[i] == ARG_PATH    ? (long)c.path
                                       : c.kind[i] == ARG_PATH2 ? (long)c.path2
                                       : c.kind[i] == ARG_TEXT  ? (long)c.text
                                       : c.kind[i] == ARG_EMPTY ? (long)""
                                                                : c.args[i];
                        r.ret = syscall(c.nr, a[0], a[1], a[2], a[3], a[4], a[5]);
                        r.err = r.ret < 0 ? errno : 0;
                        break;
                }
                case CMD_PEER: {
                        struct pollfd p = { .fd = c.fd, .events = POLLOUT };
                        socklen_t l = sizeof(r.so_error);

                        poll(&p, 1, TIMEOUT_MS);
                        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &r.so_error, &l);
                        r.peerlen = sizeof(r.peer);
                        r.ret = getpeername(c.fd, (struct sockaddr *)&r.peer, &r.peerlen);
                        r.err = r.ret < 0 ? errno : 0;
                        break;
                }
                default:
                        _exit(6);
                }
                if (send(sock, &r, sizeof(r), 0) != (ssize_t)sizeof(r))
                        _exit(4);
        }
        _exit(0);
}

static inline int child_become(const struct spec *s)
{
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = {
                { (uint32_t)s->caps, (uint32_t)s->caps, 0 },
                { (uint32_t)(s->caps >> 32), (uint32_t)(s->caps >> 32), 0 },
        };

        if (s->chroot && (chroot(rootdir) < 0 || chdir("/") < 0))
                return -1;
        if (setgroups(1, &s->group) < 0 || setresgid(s->gid, s->gid, s->gid) < 0 ||
            prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) < 0 ||
            setresuid(s->uid, s->uid, s->uid) < 0 || syscall(SYS_capset, &h, d) < 0)
                return -1;
        umask(s->umask);
        return 0;
}

/* Starts target i; with spec->filter it sends its seccomp listener. */
static inline struct target *target_start(int i, const struct spec *s)
{
        struct target *t = &targets[i];
        struct sock_fprog *prog = NULL;
        struct filter_spec fspec = { .mode = FILTER_ENFORCE, .notify_reads = false };
        struct pollfd p;
        char c = 0;
        int sv[2], fd = -1;

        if (s->filter)
                assert_int_equal(filter_build(&fspec, &prog), 0);
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        t->chroot = s->chroot;
        t->userns = s->userns;
        t->pid = fork();
        assert_true(t->pid >= 0);
        if (t->pid == 0) {
                close(sv[0]);
                /* The parent writes the id maps in between. */
                if (s->userns && (unshare(CLONE_NEWUSER) < 0 || send(sv[1], "u", 1, 0) != 1 ||
                                  recv(sv[1], &c, 1, 0) != 1))
                        _exit(3);
                if (child_become(s) < 0)
                        _exit(3);
                if (s->filter && (fd = filter_install(prog)) < 0)
                        _exit(3);
                if (unixsock_send_fd(sv[1], fd) < 0)
                        _exit(3);
                if (fd >= 0)
                        close(fd);
                child_loop(sv[1]);
        }
        filter_prog_free(prog);
        close(sv[1]);
        t->sock = sv[0];
        if (s->userns) {
                static const char *const maps[] = { "uid_map", "gid_map" };

                wait_readable(sv[0]);
                assert_int_equal(recv(sv[0], &c, 1, 0), 1);
                for (size_t m = 0; m < ARRAY_SIZE(maps); m++) {
                        char path[64];
                        int mapfd;

                        snprintf(path, sizeof(path), "/proc/%d/%s", (int)t->pid, maps[m]);
                        mapfd = open(path, O_WRONLY | O_CLOEXEC);
                        assert_true(mapfd >= 0);
                        assert_int_equal(write(mapfd, "0 1000 1\n", 9), 9);
                        close(mapfd);
                }
                assert_int_equal(send(sv[0], "g", 1, 0), 1);
        }
        p = (struct pollfd){ .fd = sv[0], .events = POLLIN };
        assert_int_equal(poll(&p, 1, TIMEOUT_MS), 1);
        fd = unixsock_recv_fd(sv[0]);
        if (s->filter) {
                assert_true(fd >= 0);
                t->listener = fd;
        } else {
                assert_int_equal(fd, -ENODATA);
        }
        return t;
}

static inline int targets_teardown(void **state)
{
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(targets); i++) {
                struct target *t = &targets[i];

                if (t->pid > 0) {
                        kill(t->pid, SIGKILL);
                        waitpid(t->pid, NULL, 0);
                }
                util_closep(&t->sock);
                util_closep(&t->listener);
                *t = (struct target){ -1, -1, -1, false, false };
        }
        return 0;
}

static inline void target_send(struct target *t, const struct cmd *c)
{
        assert_int_equal(send(t->sock, c, sizeof(*c), 0), sizeof(*c));
}

static inline void target_reply(struct target *t, struct reply *r)
{
        wait_readable(t->sock);
        assert_int_equal(recv(t->sock, r, sizeof(*r), 0), sizeof(*r));
}

static inline void target_do(struct target *t, const struct cmd *c, struct reply *r)
{
        target_send(t, c);
        target_reply(t, r);
}

static inline void target_open(struct target *t, const char *path, int flags, int mode,
                        struct reply *r)
{
        struct cmd c = { .op = CMD_OPEN, .flags = flags, .mode = mode };

        snprintf(c.path, sizeof(c.path), "%s", path);
        target_do(t, &c, r);
}

/* The target makes system call c (CMD_SYSCALL) itself: its result, or
 * -errno. */
static inline long target_syscall(struct target *t, const struct cmd *c)
{
        struct reply r;

        target_do(t, c, &r);
        return r.ret < 0 ? -r.err : r.ret;
}

static inline int target_socket(struct target *t, int domain, int type)
{
        struct cmd c = { .op = CMD_SOCKET, .flags = domain, .mode = type };
        struct reply r;

        target_do(t, &c, &r);
        assert_true(r.ret >= 0);
        return (int)r.ret;
}

static inline void target_peer(struct target *t, int fd, struct reply *r)
{
        struct cmd c = { .op = CMD_PEER, .fd = fd };

        target_do(t, &c, r);
}


/* ---- asynchronous jobs: done callbacks through a pipe ------------------- */

static int done_pipe[2] = { -1, -1 };

static inline void on_done(void *arg, const struct emulate_outcome *o)
{
        int fd = *(int *)arg;

        if (write(fd, o, sizeof(*o)) != (ssize_t)sizeof(*o))
                abort();
}

static inline struct emulate_outcome wait_done(void)
{
        struct emulate_outcome o;

        wait_readable(done_pipe[0]);
        assert_int_equal(read(done_pipe[0], &o, sizeof(o)), sizeof(o));
        return o;
}

static inline int pipe_setup(void **state)
{
        (void)state;
        return pipe2(done_pipe, O_CLOEXEC);
}

static inline int pipe_teardown(void **state)
{
        targets_teardown(state);
        util_closep(&done_pipe[0]);
        util_closep(&done_pipe[1]);
        return 0;
}

static inline void recv_held(struct target *t, struct seccomp_notif *req, int nr)
{
        wait_readable(t->listener);
        assert_int_equal(notify_recv(t->listener, req), 0);
        assert_int_equal(req->data.nr, nr);
}
