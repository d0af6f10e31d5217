#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emulate.h"
#include "notify.h"
#include "util.h"

/* The target processes and their temporary root. */
#include "emulate_target.h"

/* ---- opens: emulation against the target's own open ---------------------- */

struct open_case {
        const char *name;
        const char *path;       /* ending in '-': "emu" or "own" follows: two files */
        int flags;
        mode_t mode;
        int err;                /* what both see */
        mode_t type;            /* S_IFMT of the object on success */
};

static const struct open_case open_cases[] = {
        { "0600 of root", "/secret", O_RDONLY, 0, EACCES, 0 },
        { "group-readable via groups", "/grp", O_RDONLY, 0, 0, S_IFREG },
        { "write 0644 of root", "/pub", O_WRONLY, 0, EACCES, 0 },
        { "O_PATH needs no read", "/secret", O_PATH, 0, 0, S_IFREG },
        { "create: owner, mode & ~umask", "/dir/new-", O_CREAT | O_WRONLY, 0666, 0, S_IFREG },
        { "create excl 0600", "/dir/x-", O_CREAT | O_EXCL | O_RDWR, 0600, 0, S_IFREG },
        { "O_EXCL on existing", "/pub", O_CREAT | O_EXCL | O_WRONLY, 0644, EEXIST, 0 },
        { "O_EXCL on a symlink", "/link", O_CREAT | O_EXCL | O_WRONLY, 0644, EEXIST, 0 },
        { "O_TMPFILE in a dir", "/dir", O_TMPFILE | O_RDWR, 0666, 0, S_IFREG },
        { "O_DIRECTORY on a file", "/pub", O_RDONLY | O_DIRECTORY, 0, ENOTDIR, 0 },
        { "O_NOFOLLOW on a symlink", "/link", O_RDONLY | O_NOFOLLOW, 0, ELOOP, 0 },
        { "O_PATH|O_NOFOLLOW on a symlink", "/link", O_PATH | O_NOFOLLOW, 0, 0, S_IFLNK },
        { "O_TRUNC", "/w", O_WRONLY | O_TRUNC, 0, 0, S_IFREG },
        { "O_APPEND", "/w", O_WRONLY | O_APPEND, 0, 0, S_IFREG },
        { "missing", "/nope", O_RDONLY, 0, ENOENT, 0 },
        { "directory for writing", "/dir", O_WRONLY, 0, EISDIR, 0 },
        { "no search permission", "/noexec/f", O_RDONLY, 0, EACCES, 0 },
        { "in a subdirectory", "/sub/f", O_RDONLY, 0, 0, S_IFREG },
        { "trailing slash on a file", "/pub/", O_RDONLY, 0, ENOTDIR, 0 },
        { "unknown flag bits dropped", "/pub", O_RDONLY | 010000000000, 0, 0, S_IFREG },
};

/* Runs each case as emulation and as the target itself; both must agree
 * on the errno and on what was opened or created. */
static void compare_opens(struct target *t, const struct open_case *cases, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                const struct open_case *oc = &cases[i];
                char emu[256], own[256];
                struct stat st;
                struct reply r;
                int fd = -1, ret;

                print_message("case: %s\n", oc->name);
                tree_reset();
                bool two = oc->path[strlen(oc->path) - 1] == '-';

                snprintf(emu, sizeof(emu), "%s%s", oc->path, two ? "emu" : "");
                snprintf(own, sizeof(own), "%s%s", oc->path, two ? "own" : "");
                ret = emulate_open(t->pid, tpath(t, emu), (uint64_t)(unsigned)oc->flags,
                                   oc->mode, 0, &fd);
                /* Before the reset unlinks or rewrites it. */
                if (ret == 0)
                        assert_int_equal(fstat(fd, &st), 0);
                tree_reset();
                target_open(t, tpath(t, own), oc->flags, (int)oc->mode, &r);
                assert_int_equal(r.err, oc->err);
                assert_int_equal(ret, -oc->err);
                if (oc->err)
                        continue;
                assert_true(fd >= 0);
                assert_int_equal(st.st_mode & S_IFMT, oc->type);
                assert_int_equal(st.st_mode, r.st.st_mode);
                /* A target in its own user namespace sees its ids there. */
                assert_int_equal(st.st_uid, r.st.st_uid + (t->userns ? 1000 : 0));
                assert_int_equal(st.st_gid, r.st.st_gid + (t->userns ? 1000 : 0));
                assert_int_equal(st.st_size, r.st.st_size);
                assert_int_equal(st.st_nlink, r.st.st_nlink);
                if (!two && !(oc->flags & O_TMPFILE)) {
                        assert_int_equal(st.st_ino, r.st.st_ino);
                        assert_int_equal(st.st_dev, r.st.st_dev);
                }
                /* File status flags are the target's; O_CLOEXEC is ours. */
                assert_int_equal(fcntl(fd, F_GETFL) & ~O_NOCTTY, r.fl_flags & ~O_NOCTTY);
                assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
                close(fd);
        }
}

static void test_emulate_open_matches_target(void **state)
{
        (void)state;
        if (!is_root())
                skip();
        compare_opens(target_start(0, &user1000), open_cases, ARRAY_SIZE(open_cases));
}

static void test_emulate_open_in_chroot(void **state)
{
        struct spec s = user1000;
        struct target *t;
        struct stat st, host;
        int fd = -1;

        (void)state;
        if (!is_root())
                skip();
        s.chroot = true;
        t = target_start(0, &s);
        compare_opens(t, open_cases, ARRAY_SIZE(open_cases));
        /* "/pub" is the file inside its root, not ours. */
        assert_int_equal(emulate_open(t->pid, "/pub", O_RDONLY, 0, 0, &fd), 0);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(stat(host_path("/pub"), &host), 0);
        assert_int_equal(st.st_ino, host.st_ino);
        close(fd);
        /* ".." stays in it. */
        assert_int_equal(emulate_open(t->pid, "/../../pub", O_RDONLY, 0, 0, &fd), 0);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(st.st_ino, host.st_ino);
        close(fd);
}

/* Capabilities are the target's effective set, neither more nor less. */
static void test_emulate_open_capabilities(void **state)
{
        static const struct open_case cases[] = {
                { "0600 of root, DAC_OVERRIDE", "/secret", O_RDONLY, 0, 0, S_IFREG },
                { "0600 of 3000, DAC_OVERRIDE", "/other", O_RDWR, 0, 0, S_IFREG },
                { "search, DAC_OVERRIDE", "/noexec/f", O_RDONLY, 0, 0, S_IFREG },
        };
        static const struct open_case rootless[] = {
                { "root without caps: 0600 of 3000", "/other", O_RDONLY, 0, EACCES, 0 },
                { "root without caps: own 0600", "/secret", O_RDWR, 0, 0, S_IFREG },
                { "root without caps: create", "/dir/c-", O_CREAT | O_RDWR, 0777, 0, S_IFREG },
        };
        struct spec s = user1000;
        struct spec r = { .uid = 0, .gid = 0, .group = 0, .umask = 022, .caps = 0 };

        (void)state;
        if (!is_root())
                skip();
        s.caps = CAP_BIT(CAP_DAC_OVERRIDE);
        compare_opens(target_start(0, &s), cases, ARRAY_SIZE(cases));
        compare_opens(target_start(1, &r), rootless, ARRAY_SIZE(rootless));
}

/* Root of its own user namespace (our uid 1000) with CAP_DAC_OVERRIDE
 * there: the capability covers inodes whose owners are mapped into it,
 * not our root's files. */
static void test_emulate_open_user_namespace(void **state)
{
        static const struct open_case cases[] = {
                { "userns: 0600 of unmapped root", "/secret", O_RDONLY, 0, EACCES, 0 },
                { "userns: 0600 of unmapped 3000", "/other", O_RDWR, 0, EACCES, 0 },
                { "userns: 0000 of its own", "/mine", O_RDWR, 0, 0, S_IFREG },
                { "userns: create", "/dir/u-", O_CREAT | O_WRONLY, 0666, 0, S_IFREG },
        };
        const struct spec s = { .userns = true, .uid = 0, .gid = 0, .group = 0, .umask = 002,
                                .caps = CAP_BIT(CAP_DAC_OVERRIDE) };

        (void)state;
        if (!is_root())
                skip();
        write_file("/mine", "mine", 0, 1000, 1000);
        compare_opens(target_start(0, &s), cases, ARRAY_SIZE(cases));
        unlink(host_path("/mine"));
}

/* A component swapped for a symlink after resolution: the open fails
 * instead of following it, and creates nothing. */
static void test_emulate_open_race_is_stale(void **state)
{
        struct target *t;
        struct stat st;
        int fd = -1;

        (void)state;
        if (!is_root())
                skip();
        t = target_start(0, &(struct spec){ .uid = 0, .gid = 0, .umask = 022,
                                            .caps = CAP_BIT(CAP_DAC_OVERRIDE) });
        assert_int_equal(mkdir(host_path("/race"), 0755), 0);
        write_file("/race/f", "race", 0644, 0, 0);
        write_file("/fin", "fin", 0644, 0, 0);
        assert_int_equal(emulate_open(t->pid, tpath(t, "/race/f"), O_RDONLY, 0, 0, &fd), 0);
        close(fd);

        /* The directory becomes a link to another one after the check. */
        assert_int_equal(rename(host_path("/race"), host_path("/race.old")), 0);
        assert_int_equal(symlink("sub", host_path("/race")), 0);
        fd = -1;
        assert_int_equal(emulate_open(t->pid, tpath(t, "/race/f"), O_RDONLY, 0, 0, &fd),
                         EMULATE_STALE);
        assert_int_equal(fd, -1);
        assert_int_equal(emulate_open(t->pid, tpath(t, "/race/new"), O_CREAT | O_WRONLY,
                                      0644, 0, &fd), EMULATE_STALE);
        assert_int_equal(stat(host_path("/sub/new"), &st), -1);
        assert_int_equal(errno, ENOENT);

        /* The final component becomes a link to a secret. */
        assert_int_equal(unlink(host_path("/fin")), 0);
        assert_int_equal(symlink("secret", host_path("/fin")), 0);
        assert_int_equal(emulate_open(t->pid, tpath(t, "/fin"), O_RDONLY, 0, 0, &fd),
                         EMULATE_STALE);
        assert_int_equal(emulate_open(t->pid, tpath(t, "/fin"), O_WRONLY | O_TRUNC, 0, 0, &fd),
                         EMULATE_STALE);
        assert_int_equal(stat(host_path("/secret"), &st), 0);
        assert_int_equal(st.st_size, 6);

        unlink(host_path("/fin"));
        unlink(host_path("/race"));
        unlink(host_path("/race.old/f"));
        rmdir(host_path("/race.old"));
}

static void test_emulate_open_bad_input(void **state)
{
        int fd = -1, status;
        pid_t pid;

        (void)state;
        assert_int_equal(emulate_open(0, "/x", O_RDONLY, 0, 0, &fd), -EINVAL);
        assert_int_equal(emulate_open(getpid(), "x", O_RDONLY, 0, 0, &fd), -EINVAL);
        assert_int_equal(emulate_open(getpid(), NULL, O_RDONLY, 0, 0, &fd), -EINVAL);
        assert_int_equal(emulate_open(getpid(), "/", O_RDONLY, 0, 0, NULL), -EINVAL);
        assert_int_equal(emulate_open(getpid(), "/", O_RDONLY, 0, 0x1000, &fd), -EINVAL);
        /* RESOLVE_CACHED and O_CREAT: the kernel's own EAGAIN. */
        assert_int_equal(emulate_open(getpid(), "/tmp/x", O_CREAT | O_WRONLY, 0600,
                                      RESOLVE_CACHED, &fd), -EAGAIN);
        /* A reaped process. */
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_int_equal(emulate_open(pid, "/", O_RDONLY, 0, 0, &fd), -ESRCH);
        assert_int_equal(fd, -1);
        /* Ourselves: no credential change needed, works without root. */
        assert_int_equal(emulate_open(getpid(), "/", O_RDONLY | O_DIRECTORY, 0, 0, &fd), 0);
        close(fd);
}

static void test_emulate_check_open_how(void **state)
{
        static const struct {
                uint64_t flags, mode, resolve;
                int r;
        } cases[] = {
                { O_RDONLY, 0, 0, 0 },
                { O_CREAT | O_WRONLY, 0644, RESOLVE_IN_ROOT, 0 },
                { O_TMPFILE | O_RDWR, 0600, 0, 0 },
                { O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC, 0, 0, 0 },
                { O_RDONLY, 0, RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_CACHED, 0 },
                { 1ull << 40, 0, 0, -EINVAL },                  /* unknown flag */
                { O_RDONLY | 010000000000, 0, 0, -EINVAL },
                { O_CREAT | O_WRONLY, 010000, 0, -EINVAL },     /* mode bit above 07777 */
                { O_WRONLY, 0644, 0, -EINVAL },                 /* mode without O_CREAT */
                { O_RDONLY, 0, 0x1000, -EINVAL },               /* unknown resolve bit */
                { O_RDONLY, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT, -EINVAL },
                { O_PATH | O_RDWR, 0, 0, -EINVAL },
                { O_PATH | O_CREAT, 0, 0, -EINVAL },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
                assert_int_equal(emulate_check_open_how(cases[i].flags, cases[i].mode,
                                                        cases[i].resolve), cases[i].r);
}

/* ---- the whole path: held openat -> emulation -> ADDFD ------------------ */

static void test_emulate_open_addfd_end_to_end(void **state)
{
        cleanup_free struct seccomp_notif *req = notify_alloc_req();
        struct spec s = user1000;
        struct cmd c = { .op = CMD_OPEN_KEEP, .flags = O_WRONLY | O_CREAT | O_CLOEXEC, .mode = 0666 };
        struct emulate_outcome o;
        struct target *t;
        struct reply r;
        struct stat st;
        int fd = -1, n;

        (void)state;
        if (!is_root())
                skip();
        assert_non_null(req);
        s.filter = true;
        t = target_start(0, &s);
        tree_reset();

        /* Synchronous: emulate_open + emulate_install_fd. */
        snprintf(c.path, sizeof(c.path), "%s", tpath(t, "/dir/e2e"));
        target_send(t, &c);
        recv_held(t, req, SYS_openat);
        assert_int_equal(emulate_open((pid_t)req->pid, tpath(t, "/dir/e2e"), req->data.args[2],
                                      req->data.args[3], 0, &fd), 0);
        n = emulate_install_fd(t->listener, req->id, fd, req->data.args[2]);
        assert_true(n >= 0);
        target_reply(t, &r);
        assert_int_equal(r.err, 0);
        assert_int_equal(r.ret, n);
        assert_true(r.fd_flags & FD_CLOEXEC);
        assert_string_equal(r.content, "");     /* O_WRONLY: the read back fails */
        assert_int_equal(stat(host_path("/dir/e2e"), &st), 0);
        assert_int_equal(st.st_size, 5);
        assert_int_equal(st.st_uid, 1000);
        assert_int_equal(st.st_mode & 07777, 0640);

        /* Asynchronous, O_RDWR without O_CLOEXEC. */
        c.flags = O_RDWR | O_CREAT;
        snprintf(c.path, sizeof(c.path), "%s", tpath(t, "/dir/e2e-async"));
        target_send(t, &c);
        recv_held(t, req, SYS_openat);
        assert_int_equal(emulate_open_start(t->listener, req->id, (pid_t)req->pid,
                                            tpath(t, "/dir/e2e-async"), req->data.args[2],
                                            req->data.args[3], 0, EPERM, on_done, &done_pipe[1]), 0);
        o = wait_done();
        target_reply(t, &r);
        assert_int_equal(o.answer, 0);
        assert_int_equal(r.ret, o.result);
        assert_false(r.fd_flags & FD_CLOEXEC);
        assert_string_equal(r.content, "hello");

        /* Asynchronous refusal by the kernel: the target gets its errno. */
        c.flags = O_WRONLY;
        snprintf(c.path, sizeof(c.path), "%s", tpath(t, "/secret"));
        target_send(t, &c);
        recv_held(t, req, SYS_openat);
        assert_int_equal(emulate_open_start(t->listener, req->id, (pid_t)req->pid,
                                            tpath(t, "/secret"), req->data.args[2], 0, 0, EPERM,
                                            on_done, &done_pipe[1]), 0);
        o = wait_done();
        target_reply(t, &r);
        assert_int_equal(o.result, -EACCES);
        assert_int_equal(r.err, EACCES);

        /* Stale: the target gets stale_errno. */
        assert_int_equal(symlink("pub", host_path("/dir/stale")), 0);
        snprintf(c.path, sizeof(c.path), "%s", tpath(t, "/dir/stale"));
        target_send(t, &c);
        recv_held(t, req, SYS_openat);
        assert_int_equal(emulate_open_start(t->listener, req->id, (pid_t)req->pid,
                                            tpath(t, "/dir/stale"), req->data.args[2], 0, 0, EPERM,
                                            on_done, &done_pipe[1]), 0);
        o = wait_done();
        target_reply(t, &r);
        assert_int_equal(o.result, EMULATE_STALE);
        assert_int_equal(r.err, EPERM);
}

/* A FIFO open blocks until its peer comes: the start returns at once and
 * the worker answers when it does. */
static void test_emulate_open_fifo_does_not_block_caller(void **state)
{
        cleanup_free struct seccomp_notif *req = notify_alloc_req();
        struct spec s = user1000;
        struct cmd c = { .op = CMD_OPEN_KEEP, .flags = O_WRONLY };
        struct pollfd p = { .events = POLLIN };
        struct emulate_outcome o;
        struct target *t;
        struct reply r;
        int reader;
        char buf[8] = "";

        (void)state;
        if (!is_root())
                skip();
        assert_non_null(req);
        s.filter = true;
        t = target_start(0, &s);
        snprintf(c.path, sizeof(c.path), "%s", tpath(t, "/fifo"));
        target_send(t, &c);
        recv_held(t, req, SYS_openat);
        assert_int_equal(emulate_open_start(t->listener, req->id, (pid_t)req->pid,
                                            tpath(t, "/fifo"), O_WRONLY, 0, 0, EPERM, on_done,
                                            &done_pipe[1]), 0);
        /* Nothing can finish before a reader exists. */
        p.fd = done_pipe[0];
        assert_int_equal(poll(&p, 1, 50), 0);
        reader = open(host_path("/fifo"), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        assert_true(reader >= 0);
        o = wait_done();
        assert_int_equal(o.answer, 0);
        target_reply(t, &r);
        assert_int_equal(r.ret, o.result);
        wait_readable(reader);
        assert_int_equal(read(reader, buf, sizeof(buf) - 1), 5);
        assert_string_equal(buf, "hello");
        close(reader);
}

/* ---- connect ------------------------------------------------------------- */

static int tcp_listener(struct sockaddr_in *addr, bool listening)
{
        socklen_t len = sizeof(*addr);
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(s >= 0);
        *addr = (struct sockaddr_in){ .sin_family = AF_INET,
                                      .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        assert_int_equal(bind(s, (struct sockaddr *)addr, sizeof(*addr)), 0);
        if (listening)
                assert_int_equal(listen(s, 8), 0);
        assert_int_equal(getsockname(s, (struct sockaddr *)addr, &len), 0);
        return s;
}

static void test_emulate_connect_tcp(void **state)
{
        struct sockaddr_in addr, refused, peer;
        struct target *t;
        struct reply r;
        int lst, dead, fd, res = 1, a;

        (void)state;
        if (!is_root())
                skip();
        t = target_start(0, &user1000);
        lst = tcp_listener(&addr, true);
        dead = tcp_listener(&refused, false);

        /* Blocking: connected when the call returns. */
        fd = target_socket(t, AF_INET, SOCK_STREAM);
        assert_int_equal(emulate_connect(t->pid, fd, (struct sockaddr *)&addr, sizeof(addr),
                                         NULL, &res), 0);
        assert_int_equal(res, 0);
        target_peer(t, fd, &r);
        assert_int_equal(r.ret, 0);
        memcpy(&peer, &r.peer, sizeof(peer));
        assert_int_equal(peer.sin_port, addr.sin_port);
        a = accept4(lst, NULL, NULL, SOCK_CLOEXEC);
        assert_true(a >= 0);
        close(a);
        /* Again: the socket is the target's, and it is connected. */
        assert_int_equal(emulate_connect(t->pid, fd, (struct sockaddr *)&addr, sizeof(addr),
                                         NULL, &res), 0);
        assert_int_equal(res, -EISCONN);

        /* Non-blocking: EINPROGRESS, then connected. */
        fd = target_socket(t, AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
        assert_int_equal(emulate_connect(t->pid, fd, (struct sockaddr *)&addr, sizeof(addr),
                                         NULL, &res), 0);
        assert_int_equal(res, -EINPROGRESS);
        target_peer(t, fd, &r);
        assert_int_equal(r.ret, 0);
        assert_int_equal(r.so_error, 0);

        /* Nobody listening. */
        fd = target_socket(t, AF_INET, SOCK_STREAM);
        assert_int_equal(emulate_connect(t->pid, fd, (struct sockaddr *)&refused,
                                         sizeof(refused), NULL, &res), 0);
        assert_int_equal(res, -ECONNREFUSED);

        /* Bad input. */
        assert_int_equal(emulate_connect(t->pid, 999, (struct sockaddr *)&addr, sizeof(addr),
                                         NULL, &res), -EBADF);
        assert_int_equal(emulate_connect(t->pid, fd, (struct sockaddr *)&addr, sizeof(addr),
                                         "/x", &res), -EINVAL);
        assert_int_equal(emulate_connect(t->pid, fd, (struct sockaddr *)&addr, 4096, NULL, &res),
                         -EINVAL);
        assert_int_equal(emulate_connect(t->pid, fd, NULL, 0, NULL, NULL), -EINVAL);
        close(lst);
        close(dead);
}

/* A unix address: a path, or an abstract name (leading NUL, no trailing). */
static socklen_t unix_addr(struct sockaddr_un *sun, const char *path, bool abstract)
{
        size_t n = strlen(path);

        assert_true(n + 1 < sizeof(sun->sun_path));
        *sun = (struct sockaddr_un){ .sun_family = AF_UNIX };
        memcpy(sun->sun_path + abstract, path, n);
        return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

static int unix_listener(const char *path, bool abstract, int type, int backlog)
{
        struct sockaddr_un sun;
        socklen_t len = unix_addr(&sun, path, abstract);
        int s = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

        assert_true(s >= 0);
        assert_int_equal(bind(s, (struct sockaddr *)&sun, len), 0);
        if (type != SOCK_DGRAM)
                assert_int_equal(listen(s, backlog), 0);
        return s;
}

/* The server's view of an accepted connection: the target's ids, and not
 * our process. */
static void expect_peer_is_target(int lst)
{
        struct ucred cred;
        socklen_t len = sizeof(cred);
        int a = accept4(lst, NULL, NULL, SOCK_CLOEXEC);

        assert_true(a >= 0);
        assert_int_equal(getsockopt(a, SOL_SOCKET, SO_PEERCRED, &cred, &len), 0);
        assert_int_equal(cred.uid, 1000);
        assert_int_equal(cred.gid, 1000);
        assert_int_not_equal(cred.pid, getpid());
        close(a);
}

static void test_emulate_connect_unix(void **state)
{
        struct spec s = user1000;
        struct sockaddr_un sun;
        char abstract[64];
        struct target *t;
        struct reply r;
        socklen_t len;
        int lst, dgram, closed, fd, res = 1;

        (void)state;
        if (!is_root())
                skip();
        s.chroot = true;
        t = target_start(0, &s);
        lst = unix_listener(host_path("/sock"), false, SOCK_STREAM, 8);
        assert_int_equal(chmod(host_path("/sock"), 0777), 0);
        closed = unix_listener(host_path("/closed"), false, SOCK_STREAM, 8);
        assert_int_equal(chmod(host_path("/closed"), 0700), 0);
        dgram = unix_listener(host_path("/dsock"), false, SOCK_DGRAM, 0);
        assert_int_equal(chmod(host_path("/dsock"), 0777), 0);

        /* "/sock" is the socket in the target's root. */
        len = unix_addr(&sun, "/sock", false);
        fd = target_socket(t, AF_UNIX, SOCK_STREAM);
        assert_int_equal(emulate_connect(t->pid, fd, (struct sockaddr *)&sun, len, "/sock", &res), 0);
        assert_int_equal(res, 0);
        expect_peer_is_target(lst);
        target_peer(t, fd, &r);
        assert_int_equal(r.ret, 0);
        assert_string_equal(((struct sockaddr_un *)&r.peer)->sun_path, host_path("/sock"));

        /* Write permission on the socket file is checked as the target. */
        len = unix_addr(&sun, "/closed", false);
        fd = target_socket(t, AF_UNIX, SOCK_STREAM);
        assert_int_equal(emulate_connect(t->pid, fd, (struct sockaddr *)&sun, len, "/closed",
                                         &res), 0);
        assert_int_equal(res, -EACCES);
        {
                struct cmd c = { .op = CMD_CONNECT, .fd = fd, .len = len };

                memcpy(&c.addr, &sun, len);
                target_do(t, &c, &r);
                assert_int_equal(r.err, EACCES);
        }

        /* Datagram sockets. */
        len = unix_addr(&sun, "/dsock", false);
        fd = target_socket(t, AF_UNIX, SOCK_DGRAM);
        assert_int_equal(emulate_connect(t->pid, fd, (struct sockaddr *)&sun, len, "/dsock", &res), 0);
        assert_int_equal(res, 0);
        target_peer(t, fd, &r);
        assert_int_equal(r.ret, 0);

        /* Missing, and a path without its resolution. */
        len = unix_addr(&sun, "/nosock", false);
        assert_int_equal(emulate_connect(t->pid, fd, (struct sockaddr *)&sun, len, "/nosock",
                                         &res), 0);
        assert_int_equal(res, -ENOENT);
        assert_int_equal(emulate_connect(t->pid, fd, (struct sockaddr *)&sun, len, NULL, &res),
                         -EINVAL);

        /* Stale: the socket file became a link. */
        assert_int_equal(symlink("sock", host_path("/slink")), 0);
        len = unix_addr(&sun, "/slink", false);
        fd = target_socket(t, AF_UNIX, SOCK_STREAM);
        assert_int_equal(emulate_connect(t->pid, fd, (struct sockaddr *)&sun, len, "/slink", &res), 0);
        assert_int_equal(res, EMULATE_STALE);

        /* Abstract: the socket's network namespace, no path. */
        snprintf(abstract, sizeof(abstract), "driftlock-emulate-%d", (int)getpid());
        close(lst);
        lst = unix_listener(abstract, true, SOCK_STREAM, 8);
        len = unix_addr(&sun, abstract, true);
        fd = target_socket(t, AF_UNIX, SOCK_STREAM);
        assert_int_equal(emulate_connect(t->pid, fd, (struct sockaddr *)&sun, len, NULL, &res), 0);
        assert_int_equal(res, 0);
        expect_peer_is_target(lst);

        close(lst);
        close(closed);
        close(dgram);
        unlink(host_path("/sock"));
        unlink(host_path("/closed"));
        unlink(host_path("/dsock"));
        unlink(host_path("/slink"));
}

static int count_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        int n = 0;

        assert_non_null(d);
        while (readdir(d))
                n++;
        closedir(d);
        return n;
}

/* The held connect, answered by the worker; then a connect that blocks
 * while its target is killed: the answer finds it gone and the job leaves
 * nothing open. */
static void test_emulate_connect_async(void **state)
{
        cleanup_free struct seccomp_notif *req = notify_alloc_req();
        struct spec s = user1000;
        struct sockaddr_in addr;
        struct sockaddr_un sun;
        struct cmd c = { .op = CMD_CONNECT };
        struct emulate_outcome o;
        struct target *t;
        struct reply r;
        int lst, filler, before, status;

        (void)state;
        if (!is_root())
                skip();
        assert_non_null(req);
        s.filter = true;
        t = target_start(0, &s);

        lst = tcp_listener(&addr, true);
        c.fd = target_socket(t, AF_INET, SOCK_STREAM);
        c.len = sizeof(addr);
        memcpy(&c.addr, &addr, sizeof(addr));
        target_send(t, &c);
        recv_held(t, req, SYS_connect);
        assert_int_equal(emulate_connect_start(t->listener, req->id, (pid_t)req->pid,
                                               (int)req->data.args[0], (struct sockaddr *)&addr,
                                               (socklen_t)req->data.args[2], NULL, EPERM, on_done,
                                               &done_pipe[1]), 0);
        o = wait_done();
        target_reply(t, &r);
        assert_int_equal(o.result, 0);
        assert_int_equal(o.answer, 0);
        assert_int_equal(r.ret, 0);
        target_peer(t, c.fd, &r);
        assert_int_equal(r.ret, 0);
        close(lst);

        /* Backlog 0 and one connection queued: the next connect waits. */
        lst = unix_listener(host_path("/bsock"), false, SOCK_STREAM, 0);
        assert_int_equal(chmod(host_path("/bsock"), 0777), 0);
        filler = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        c.len = unix_addr(&sun, host_path("/bsock"), false);
        assert_int_equal(connect(filler, (struct sockaddr *)&sun, c.len), 0);
        memcpy(&c.addr, &sun, c.len);
        c.fd = target_socket(t, AF_UNIX, SOCK_STREAM);
        target_send(t, &c);
        recv_held(t, req, SYS_connect);
        before = count_fds();
        assert_int_equal(emulate_connect_start(t->listener, req->id, (pid_t)req->pid,
                                               (int)req->data.args[0], (struct sockaddr *)&sun,
                                               c.len, host_path("/bsock"), EPERM, on_done,
                                               &done_pipe[1]), 0);
        assert_int_equal(kill(t->pid, SIGKILL), 0);
        assert_int_equal(waitpid(t->pid, &status, 0), t->pid);
        t->pid = -1;
        close(lst);     /* the waiting connect fails now */
        o = wait_done();
        assert_int_equal(o.answer, -ENOENT);
        assert_int_equal(count_fds(), before - 1);      /* lst */
        close(filler);
        unlink(host_path("/bsock"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_emulate_check_open_how),
                cmocka_unit_test_teardown(test_emulate_open_bad_input, targets_teardown),
                cmocka_unit_test_teardown(test_emulate_open_matches_target, targets_teardown),
                cmocka_unit_test_teardown(test_emulate_open_in_chroot, targets_teardown),
                cmocka_unit_test_teardown(test_emulate_open_capabilities, targets_teardown),
                cmocka_unit_test_teardown(test_emulate_open_user_namespace, targets_teardown),
                cmocka_unit_test_teardown(test_emulate_open_race_is_stale, targets_teardown),
                cmocka_unit_test_setup_teardown(test_emulate_open_addfd_end_to_end, pipe_setup,
                                                pipe_teardown),
                cmocka_unit_test_setup_teardown(test_emulate_open_fifo_does_not_block_caller,
                                                pipe_setup, pipe_teardown),
                cmocka_unit_test_teardown(test_emulate_connect_tcp, targets_teardown),
                cmocka_unit_test_teardown(test_emulate_connect_unix, targets_teardown),
                cmocka_unit_test_setup_teardown(test_emulate_connect_async, pipe_setup,
                                                pipe_teardown),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
