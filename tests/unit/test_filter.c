#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <asm/unistd.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "filter.h"
#include "notify.h"
#include "procmem.h"
#include "unixsock.h"
#include "util.h"

/* Generous: only reached when a test fails (a call that should have been
 * notified was not, or the reverse); no assertion depends on timing. */
#define TIMEOUT_MS 10000

/* ---- a filtered child and its supervisor (this process) ---------------- */

/* What the child reports after each step, over a SOCK_SEQPACKET pair. */
struct result {
        long ret;
        int err;
        uint64_t dev, ino;      /* of the fd returned, if asked */
};

struct child {
        pid_t pid;
        int sock;
        int listener;
};

static struct child g_child = { -1, -1, -1 };
static char g_dir[64];          /* per-run temporary directory */

static void child_report(int sock, long ret, bool is_fd)
{
        struct result res = { .ret = ret, .err = ret < 0 ? errno : 0 };
        struct stat st;

        if (is_fd && ret >= 0) {
                if (fstat((int)ret, &st) == 0) {
                        res.dev = st.st_dev;
                        res.ino = st.st_ino;
                }
                close((int)ret);
        }
        if (write(sock, &res, sizeof(res)) != (ssize_t)sizeof(res))
                _exit(4);
}

/* Sends the result of filter_install(): the number, then the listener
 * (if any). */
static int send_listener(int sock, int fd)
{
        if (write(sock, &fd, sizeof(fd)) != (ssize_t)sizeof(fd))
                return -1;
        return fd < 0 ? 0 : unixsock_send_fd(sock, fd);
}

static int recv_listener(int sock)
{
        struct pollfd p = { .fd = sock, .events = POLLIN };
        int installed = -1, fd;

        assert_int_equal(poll(&p, 1, TIMEOUT_MS), 1);
        assert_int_equal(read(sock, &installed, sizeof(installed)), sizeof(installed));
        if (installed < 0)
                fail_msg("filter_install in the child: %s", strerror(-installed));
        fd = unixsock_recv_fd(sock);
        assert_true(fd >= 0);
        return fd;
}

/* Forks a child that installs the filter for spec, hands the listener over,
 * closes its own copy (a target must never hold its listener) and runs
 * body. */
static void child_start(const struct filter_spec *spec, void (*body)(int sock))
{
        struct sock_fprog *prog = NULL;
        int sv[2];
        pid_t pid;

        assert_int_equal(filter_build(spec, &prog), 0);
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int fd;

                close(sv[0]);
                fd = filter_install(prog);
                if (send_listener(sv[1], fd) < 0 || fd < 0)
                        _exit(3);
                close(fd);
                body(sv[1]);
                _exit(0);
        }
        filter_prog_free(prog);
        close(sv[1]);
        g_child.pid = pid;
        g_child.sock = sv[0];
        g_child.listener = recv_listener(sv[0]);
}

/* The child's current step must end in a notification, not in a result. */
static void expect_notification(struct seccomp_notif *req)
{
        struct pollfd p[2] = {
                { .fd = g_child.listener, .events = POLLIN },
                { .fd = g_child.sock, .events = POLLIN },
        };

        assert_true(poll(p, 2, TIMEOUT_MS) > 0);
        if (p[1].revents & POLLIN)
                fail_msg("the child finished a step that should have been notified");
        assert_true(p[0].revents & POLLIN);
        assert_int_equal(notify_recv(g_child.listener, req), 0);
        assert_int_equal(req->pid, g_child.pid);
        assert_int_equal(req->data.arch, AUDIT_ARCH_X86_64);
}

/* The child's current step must end in a result, not in a notification. */
static void expect_result(struct result *res)
{
        struct pollfd p[2] = {
                { .fd = g_child.listener, .events = POLLIN },
                { .fd = g_child.sock, .events = POLLIN },
        };

        assert_true(poll(p, 2, TIMEOUT_MS) > 0);
        /* The child writes a step's result before it starts the next step:
         * a readable listener is a failure only while no result is there. */
        if ((p[0].revents & POLLIN) && !(p[1].revents & POLLIN)) {
                cleanup_free struct seccomp_notif *req = notify_alloc_req();

                if (req && notify_recv(g_child.listener, req) == 0)
                        fail_msg("a step that must not be notified was: syscall %d, "
                                 "args %#llx %#llx %#llx", req->data.nr,
                                 (unsigned long long)req->data.args[0],
                                 (unsigned long long)req->data.args[1],
                                 (unsigned long long)req->data.args[2]);
                fail_msg("a step that must not be notified was notified");
        }
        assert_true(p[1].revents & POLLIN);
        assert_int_equal(recv(g_child.sock, res, sizeof(*res), 0), sizeof(*res));
}

static void child_finish(void)
{
        int status;

        assert_int_equal(waitpid(g_child.pid, &status, 0), g_child.pid);
        g_child.pid = -1;
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

/* Runs after every round-trip test, also after a failed assertion left a
 * child blocked in a notified call. */
static int child_teardown(void **state)
{
        (void)state;
        if (g_child.pid > 0) {
                kill(g_child.pid, SIGKILL);
                waitpid(g_child.pid, NULL, 0);
        }
        if (g_child.sock >= 0)
                close(g_child.sock);
        if (g_child.listener >= 0)
                close(g_child.listener);
        g_child = (struct child) { -1, -1, -1 };
        return 0;
}

static char *dir_path(const char *name)
{
        static char path[4][128];
        static unsigned next;
        char *p = path[next++ % ARRAY_SIZE(path)];

        snprintf(p, sizeof(path[0]), "%s/%s", g_dir, name);
        return p;
}

static int group_setup(void **state)
{
        (void)state;
        snprintf(g_dir, sizeof(g_dir), "/tmp/driftlock-test-filter.XXXXXX");
        return mkdtemp(g_dir) ? 0 : -1;
}

static int group_teardown(void **state)
{
        DIR *d = opendir(g_dir);
        struct dirent *e;

        (void)state;
        if (!d)
                return -1;
        while ((e = readdir(d)))
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
                        if (unlinkat(dirfd(d), e->d_name, 0) < 0)
                                unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
        closedir(d);
        return rmdir(g_dir);
}

/* ---- the rule table ------------------------------------------------------ */

static const char *const notified_always[] = {
        "execve", "execveat", "openat2", "creat", "connect", "truncate",
        "rename", "renameat", "renameat2", "link", "linkat", "symlink",
        "symlinkat", "unlink", "unlinkat", "rmdir", "mkdir", "mkdirat", "mknod",
        "mknodat", "chmod", "fchmodat", "fchmodat2",
};

/* What a runtime needs before it hands the listener over, and hot paths. */
static const char *const never_notified[] = {
        "write", "read", "sendmsg", "sendmmsg", "fcntl", "close", "writev",
        "recvmsg", "exit", "exit_group", "mmap", "futex", "dup", "dup2", "dup3",
        "pwrite64", "ioctl", "seccomp", "prctl",
};

static const struct filter_spec specs[] = {
        { .mode = FILTER_LEARN, .notify_reads = false }, { .mode = FILTER_LEARN, .notify_reads = true },
        { .mode = FILTER_MONITOR, .notify_reads = false }, { .mode = FILTER_MONITOR, .notify_reads = true },
        { .mode = FILTER_ENFORCE, .notify_reads = false }, { .mode = FILTER_ENFORCE, .notify_reads = true },
};

static size_t count_rules(const struct filter_rule *rules, size_t n, const char *name)
{
        size_t c = 0;

        for (size_t i = 0; i < n; i++)
                if (strcmp(rules[i].syscall, name) == 0)
                        c++;
        return c;
}

static void check_open_rules(const struct filter_rule *rules, size_t n, const char *name,
                             int flags_arg, bool notify_reads)
{
        uint64_t bits = 0;
        size_t c = 0;

        for (size_t i = 0; i < n; i++) {
                if (strcmp(rules[i].syscall, name) != 0)
                        continue;
                c++;
                assert_int_equal(rules[i].action, FILTER_ACT_NOTIFY);
                if (notify_reads) {
                        assert_int_equal(rules[i].arg_index, -1);
                        continue;
                }
                assert_int_equal(rules[i].arg_index, flags_arg);
                assert_true(rules[i].mask == rules[i].value);
                assert_int_equal(__builtin_popcountll(rules[i].mask), 1);
                bits |= rules[i].mask;
        }
        assert_int_equal(c, notify_reads ? 1 : 4);
        if (!notify_reads)
                assert_int_equal(bits, O_WRONLY | O_RDWR | O_CREAT | O_TRUNC);
}

static void test_filter_rules_table(void **state)
{
        (void)state;
        for (size_t s = 0; s < ARRAY_SIZE(specs); s++) {
                struct filter_rule *rules = NULL;
                size_t n = 0;

                assert_int_equal(filter_rules(&specs[s], &rules, &n), 0);
                assert_non_null(rules);
                for (size_t i = 0; i < ARRAY_SIZE(notified_always); i++) {
                        assert_int_equal(count_rules(rules, n, notified_always[i]), 1);
                        for (size_t j = 0; j < n; j++)
                                if (strcmp(rules[j].syscall, notified_always[i]) == 0) {
                                        assert_int_equal(rules[j].action, FILTER_ACT_NOTIFY);
                                        assert_int_equal(rules[j].arg_index, -1);
                                }
                }
                for (size_t i = 0; i < ARRAY_SIZE(never_notified); i++)
                        assert_int_equal(count_rules(rules, n, never_notified[i]), 0);
                check_open_rules(rules, n, "open", 1, specs[s].notify_reads);
                check_open_rules(rules, n, "openat", 2, specs[s].notify_reads);
                /* sendto only with a destination: dest_addr (arg 4) != 0 */
                assert_int_equal(count_rules(rules, n, "sendto"), 1);
                for (size_t j = 0; j < n; j++)
                        if (strcmp(rules[j].syscall, "sendto") == 0) {
                                assert_int_equal(rules[j].action, FILTER_ACT_NOTIFY);
                                assert_int_equal(rules[j].arg_index, 4);
                                assert_true(rules[j].negate);
                                assert_true(rules[j].mask == ~(uint64_t)0);
                                assert_true(rules[j].value == 0);
                        }
                for (size_t j = 0; j < n; j++) {
                        bool io_uring = strncmp(rules[j].syscall, "io_uring_", 9) == 0;

                        assert_int_equal(rules[j].action,
                                         io_uring ? FILTER_ACT_ERRNO : FILTER_ACT_NOTIFY);
                        assert_int_equal(rules[j].errno_value, io_uring ? EPERM : 0);
                }
                assert_int_equal(count_rules(rules, n, "io_uring_setup"), 1);
                assert_int_equal(count_rules(rules, n, "io_uring_enter"), 1);
                assert_int_equal(count_rules(rules, n, "io_uring_register"), 1);
                /* + io_uring (3) + sendto (1) + open and openat */
                assert_int_equal(n, ARRAY_SIZE(notified_always) + 3 + 1 +
                                 (specs[s].notify_reads ? 2 : 8));
                free(rules);
        }
}

static void test_filter_rules_bad_input(void **state)
{
        struct filter_spec bad = { .mode = (enum filter_mode)42, .notify_reads = false };
        struct filter_rule *rules = (struct filter_rule *)1;
        size_t n = 7;

        (void)state;
        assert_int_equal(filter_rules(NULL, &rules, &n), -EINVAL);
        assert_int_equal(filter_rules(&bad, &rules, &n), -EINVAL);
        assert_int_equal(filter_rules(&specs[0], NULL, &n), -EINVAL);
        assert_int_equal(filter_rules(&specs[0], &rules, NULL), -EINVAL);
        assert_ptr_equal(rules, (struct filter_rule *)1);       /* untouched */
        assert_int_equal(n, 7);
        assert_int_equal(filter_build(&bad, (struct sock_fprog **)&rules), -EINVAL);
        assert_int_equal(filter_build(&specs[0], NULL), -EINVAL);
        assert_int_equal(filter_install(NULL), -EINVAL);
}

static void test_filter_build_program(void **state)
{
        (void)state;
        for (size_t s = 0; s < ARRAY_SIZE(specs); s++) {
                struct sock_fprog *prog = NULL;

                assert_int_equal(filter_build(&specs[s], &prog), 0);
                assert_non_null(prog);
                assert_true(prog->len > 0 && prog->len <= BPF_MAXINSNS);
                /* libseccomp checks the architecture first... */
                assert_int_equal(prog->filter[0].code, BPF_LD | BPF_W | BPF_ABS);
                assert_int_equal(prog->filter[0].k, offsetof(struct seccomp_data, arch));
                /* ...and every path ends in a return. */
                assert_int_equal(BPF_CLASS(prog->filter[prog->len - 1].code), BPF_RET);
                assert_null(filter_prog_free(prog));
        }
        assert_null(filter_prog_free(NULL));
}

/* ---- real round trips ---------------------------------------------------- */

static void body_write_open(int sock)
{
        child_report(sock, open("/dev/null", O_RDONLY | O_CLOEXEC), true);
        child_report(sock, openat(AT_FDCWD, dir_path("created"), O_WRONLY | O_CREAT | O_CLOEXEC,
                                  0600), true);
        child_report(sock, openat(AT_FDCWD, dir_path("created"), O_WRONLY | O_CREAT | O_CLOEXEC,
                                  0600), true);
}

/* The sequence of user-trap.c: receive, open mem, check id, read, check
 * id, answer. A refused open leaves no file; a continued one does. */
static void test_filter_roundtrip_write_open(void **state)
{
        struct filter_spec spec = { .mode = FILTER_ENFORCE, .notify_reads = false };
        cleanup_free struct seccomp_notif *req = notify_alloc_req();
        char path[4096];
        struct result res;
        struct stat st;

        (void)state;
        assert_non_null(req);
        child_start(&spec, body_write_open);

        /* A read-only open never leaves the kernel. */
        expect_result(&res);
        assert_true(res.ret >= 0);

        expect_notification(req);
        assert_int_equal(req->data.nr, __NR_openat);
        assert_int_equal(req->data.args[2] & (O_WRONLY | O_CREAT), O_WRONLY | O_CREAT);
        {
                cleanup_close int mem = procmem_open((pid_t)req->pid);

                assert_true(mem >= 0);
                assert_int_equal(notify_id_valid(g_child.listener, req->id), 0);
                assert_int_equal(procmem_read_string(mem, req->data.args[1], path, sizeof(path)),
                                 (int)strlen(dir_path("created")));
                assert_int_equal(notify_id_valid(g_child.listener, req->id), 0);
        }
        assert_string_equal(path, dir_path("created"));
        assert_int_equal(notify_respond_errno(g_child.listener, req->id, EPERM), 0);
        /* Answered: the id is no longer valid at once. */
        assert_int_equal(notify_id_valid(g_child.listener, req->id), -ENOENT);
        expect_result(&res);
        assert_int_equal(res.ret, -1);
        assert_int_equal(res.err, EPERM);
        /* A second answer (-EINPROGRESS until the target woke up; it has, it
         * reported) finds nothing. */
        assert_int_equal(notify_respond_continue(g_child.listener, req->id), -ENOENT);
        assert_int_equal(notify_respond_errno(g_child.listener, req->id, EPERM), -ENOENT);
        assert_int_equal(stat(dir_path("created"), &st), -1);
        assert_int_equal(errno, ENOENT);

        expect_notification(req);
        assert_int_equal(req->data.nr, __NR_openat);
        assert_int_equal(notify_respond_continue(g_child.listener, req->id), 0);
        expect_result(&res);
        assert_true(res.ret >= 0);
        assert_int_equal(stat(dir_path("created"), &st), 0);
        assert_int_equal(res.ino, st.st_ino);
        child_finish();
        unlink(dir_path("created"));
}

static const struct {
        int flags;
        bool dir;               /* open the directory rather than the file */
        bool notify;            /* without notify_reads; with it, always */
} open_flags_table[] = {
        { O_RDONLY, false, false },
        { O_RDONLY | O_CLOEXEC | O_NOFOLLOW, false, false },
        { O_RDONLY | O_APPEND, false, false },          /* append without write */
        { O_RDONLY | O_DIRECTORY | O_NONBLOCK, true, false },
        { O_PATH, false, false },
        { O_WRONLY, false, true },
        { O_RDWR, false, true },
        { O_RDONLY | O_CREAT, false, true },
        { O_RDONLY | O_TRUNC, false, true },
        { O_WRONLY | O_APPEND, false, true },
        { O_TMPFILE | O_RDWR, true, true },             /* O_TMPFILE needs write access */
        { O_WRONLY | O_CREAT | O_EXCL, false, true },
};

/* Each table entry twice: openat (flags in args[2]), then open (args[1]). */
static void body_open_flags(int sock)
{
        for (size_t i = 0; i < ARRAY_SIZE(open_flags_table); i++) {
                const char *p = open_flags_table[i].dir ? g_dir : dir_path("existing");

                child_report(sock, openat(AT_FDCWD, p, open_flags_table[i].flags, 0600), true);
                child_report(sock, syscall(SYS_open, p, open_flags_table[i].flags, 0600), true);
        }
}

static void run_open_flags(bool notify_reads)
{
        struct filter_spec spec = { .mode = FILTER_MONITOR, .notify_reads = notify_reads };
        cleanup_free struct seccomp_notif *req = notify_alloc_req();
        cleanup_close int fd = open(dir_path("existing"), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

        assert_non_null(req);
        assert_true(fd >= 0);
        child_start(&spec, body_open_flags);
        for (size_t i = 0; i < ARRAY_SIZE(open_flags_table); i++) {
                for (int sys_open = 0; sys_open <= 1; sys_open++) {
                        struct result res;

                        if (notify_reads || open_flags_table[i].notify) {
                                int nr = sys_open ? __NR_open : __NR_openat;

                                expect_notification(req);
                                assert_int_equal(req->data.nr, nr);
                                assert_int_equal((int)req->data.args[sys_open ? 1 : 2],
                                                 open_flags_table[i].flags);
                                /* An errno no real open here would give. */
                                assert_int_equal(notify_respond_errno(g_child.listener,
                                                                      req->id, ENOTNAM), 0);
                                expect_result(&res);
                                assert_int_equal(res.err, ENOTNAM);
                        } else {
                                expect_result(&res);
                                assert_true(res.ret >= 0);
                        }
                }
        }
        child_finish();
}

static void test_filter_open_flags_writes_only(void **state)
{
        (void)state;
        run_open_flags(false);
}

static void test_filter_open_flags_notify_reads(void **state)
{
        (void)state;
        run_open_flags(true);
}

/* Called with garbage arguments that make them harmless if they did run:
 * every pointer is a path in the test directory. */
static const struct {
        const char *name;
        long nr;
} notified_table[] = {
        { "execve", __NR_execve },
        { "execveat", __NR_execveat },
        { "openat2", __NR_openat2 },
        { "creat", __NR_creat },
        { "connect", __NR_connect },
        { "truncate", __NR_truncate },
        { "rename", __NR_rename },
        { "renameat", __NR_renameat },
        { "renameat2", __NR_renameat2 },
        { "link", __NR_link },
        { "linkat", __NR_linkat },
        { "symlink", __NR_symlink },
        { "symlinkat", __NR_symlinkat },
        { "unlink", __NR_unlink },
        { "unlinkat", __NR_unlinkat },
        { "rmdir", __NR_rmdir },
        { "mkdir", __NR_mkdir },
        { "mkdirat", __NR_mkdirat },
        { "mknod", __NR_mknod },
        { "mknodat", __NR_mknodat },
        { "sendto", __NR_sendto },      /* dest_addr is the non-NULL path pointer */
        { "chmod", __NR_chmod },
        { "fchmodat", __NR_fchmodat },
        { "fchmodat2", 452 },   /* Linux 6.6; the installed headers are 6.1 */
};

static void body_notified(int sock)
{
        long a = (long)dir_path("nothing");

        for (size_t i = 0; i < ARRAY_SIZE(notified_table); i++)
                child_report(sock, syscall(notified_table[i].nr, a, a, a, a, a, a), false);
}

static void test_filter_notified_syscalls(void **state)
{
        struct filter_spec spec = { .mode = FILTER_LEARN, .notify_reads = false };
        cleanup_free struct seccomp_notif *req = notify_alloc_req();

        (void)state;
        assert_non_null(req);
        child_start(&spec, body_notified);
        for (size_t i = 0; i < ARRAY_SIZE(notified_table); i++) {
                struct result res;

                expect_notification(req);
                if (req->data.nr != notified_table[i].nr)
                        fail_msg("%s: got syscall %d", notified_table[i].name, req->data.nr);
                assert_int_equal(notify_respond_errno(g_child.listener, req->id, EPERM), 0);
                expect_result(&res);
                assert_int_equal(res.ret, -1);
                assert_int_equal(res.err, EPERM);
        }
        child_finish();
}

static void body_never_notified(int sock)
{
        char c = 0;
        struct iovec iov = { .iov_base = &c, .iov_len = 1 };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

        child_report(sock, write(-1, &c, 1), false);
        child_report(sock, read(-1, &c, 1), false);
        child_report(sock, sendmsg(-1, &msg, 0), false);
        child_report(sock, sendto(-1, &c, 1, 0, NULL, 0), false);
        child_report(sock, fcntl(sock, F_GETFD), false);
        child_report(sock, close(-1), false);
        child_report(sock, getpid(), false);
        child_report(sock, syscall(SYS_open, "/dev/null", O_RDONLY | O_CLOEXEC), true);
}

static void test_filter_never_notified(void **state)
{
        struct filter_spec spec = { .mode = FILTER_ENFORCE, .notify_reads = false };
        struct result res;

        (void)state;
        child_start(&spec, body_never_notified);
        for (int i = 0; i < 8; i++)
                expect_result(&res);
        assert_int_equal(res.ret >= 0, 1);      /* the read-only open worked */
        child_finish();
}

static void body_addfd(int sock)
{
        /* Does not exist: only an injected fd can make this succeed. */
        child_report(sock, openat(AT_FDCWD, "/nonexistent/driftlock", O_RDWR | O_CLOEXEC), true);
        child_report(sock, openat(AT_FDCWD, "/nonexistent/driftlock", O_RDWR | O_CLOEXEC), true);
}

/* The emulated open: the supervisor opens the file and injects it. */
static void test_filter_addfd(void **state)
{
        struct filter_spec spec = { .mode = FILTER_ENFORCE, .notify_reads = false };
        cleanup_free struct seccomp_notif *req = notify_alloc_req();
        cleanup_close int fd = open(dir_path("injected"), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        struct result res;
        struct stat st;
        int newfd;

        (void)state;
        assert_non_null(req);
        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &st), 0);
        child_start(&spec, body_addfd);

        /* Atomic inject-and-answer. */
        expect_notification(req);
        assert_int_equal(notify_addfd(g_child.listener, req->id, fd, O_NONBLOCK, true), -EINVAL);
        newfd = notify_addfd(g_child.listener, req->id, fd, O_CLOEXEC, true);
        assert_true(newfd >= 0);
        expect_result(&res);
        assert_int_equal(res.ret, newfd);
        assert_int_equal(res.dev, st.st_dev);
        assert_int_equal(res.ino, st.st_ino);
        /* Answered, and the child has run on: the id is gone. */
        assert_int_equal(notify_addfd(g_child.listener, req->id, fd, 0, true), -ENOENT);

        /* Inject, then answer separately with the number. */
        expect_notification(req);
        newfd = notify_addfd(g_child.listener, req->id, fd, O_CLOEXEC, false);
        assert_true(newfd >= 0);
        assert_int_equal(notify_respond_value(g_child.listener, req->id, newfd), 0);
        expect_result(&res);
        assert_int_equal(res.ret, newfd);
        assert_int_equal(res.ino, st.st_ino);
        child_finish();
        unlink(dir_path("injected"));
}

/* x32 numbers share the x86_64 arch value and differ only by a bit in nr. */
static const long refused_table[] = {
        __NR_io_uring_setup,
        __NR_io_uring_enter,
        __NR_io_uring_register,
        __X32_SYSCALL_BIT | __NR_getpid,
        __X32_SYSCALL_BIT | __NR_openat,
        __X32_SYSCALL_BIT | 520,        /* x32 execve */
};

static void body_refused(int sock)
{
        long a = (long)dir_path("x32-created");

        for (size_t i = 0; i < ARRAY_SIZE(refused_table); i++)
                child_report(sock, syscall(refused_table[i], AT_FDCWD, a,
                                           O_WRONLY | O_CREAT, 0600, 0, 0), false);
}

/* Refused in BPF, whatever the mode, without a notification. */
static void test_filter_refused_in_bpf(void **state)
{
        struct result res;

        (void)state;
        /* Without the filter this kernel has no x32 ABI (ENOSYS) or runs the
         * call: EPERM below comes from the filter. */
        errno = 0;
        assert_false(syscall(__X32_SYSCALL_BIT | __NR_getpid) == -1 && errno == EPERM);
        for (size_t s = 0; s < ARRAY_SIZE(specs); s++) {
                child_start(&specs[s], body_refused);
                for (size_t i = 0; i < ARRAY_SIZE(refused_table); i++) {
                        expect_result(&res);
                        assert_int_equal(res.ret, -1);
                        assert_int_equal(res.err, EPERM);
                }
                child_finish();
                child_teardown(NULL);
        }
        assert_int_equal(access(dir_path("x32-created"), F_OK), -1);
}

/* int 0x80 from a 64-bit process: the i386 ABI, a foreign arch value. */
static long i386_getpid(void)
{
        long ret;

        __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) /* i386 getpid */
                         : "memory", "r8", "r9", "r10", "r11");
        return ret;
}

static void body_i386(int sock)
{
        long r = i386_getpid();

        errno = r < 0 ? (int)-r : 0;
        child_report(sock, r < 0 ? -1 : r, false);
}

static void test_filter_i386_refused(void **state)
{
        struct filter_spec spec = { .mode = FILTER_ENFORCE, .notify_reads = false };
        struct result res;
        int status;
        pid_t pid;

        (void)state;
        /* Kernels without IA32 emulation (or booted ia32_emulation=false)
         * raise SIGSEGV on int 0x80 before seccomp sees anything. */
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                signal(SIGSEGV, SIG_DFL);       /* not cmocka's handler */
                _exit(i386_getpid() == getpid() ? 0 : 1);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                print_message("no i386 syscalls on this kernel: nothing to refuse\n");
                skip();
        }
        child_start(&spec, body_i386);
        expect_result(&res);
        assert_int_equal(res.ret, -1);
        assert_int_equal(res.err, EPERM);
        child_finish();
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_filter_rules_table),
                cmocka_unit_test(test_filter_rules_bad_input),
                cmocka_unit_test(test_filter_build_program),
                cmocka_unit_test_teardown(test_filter_roundtrip_write_open, child_teardown),
                cmocka_unit_test_teardown(test_filter_open_flags_writes_only, child_teardown),
                cmocka_unit_test_teardown(test_filter_open_flags_notify_reads, child_teardown),
                cmocka_unit_test_teardown(test_filter_notified_syscalls, child_teardown),
                cmocka_unit_test_teardown(test_filter_never_notified, child_teardown),
                cmocka_unit_test_teardown(test_filter_addfd, child_teardown),
                cmocka_unit_test_teardown(test_filter_refused_in_bpf, child_teardown),
                cmocka_unit_test_teardown(test_filter_i386_refused, child_teardown),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
