#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "path.h"
#include "resolve.h"
#include "util.h"

/* Targets are real processes: a child sets itself up in one of these
 * environments over a temp tree whose root/ is the container root, reports
 * its fd numbers over a pipe, and pauses while paths are resolved for it. */
enum env {
        ENV_HOST,       /* same root: only chdir; results carry the tree prefix */
        ENV_CHROOT,     /* chroot in our mount namespace, no /proc inside */
        ENV_NSCHROOT,   /* own mount namespace, chroot, private /proc */
        ENV_PIVOT,      /* own mount namespace, pivot_root, /proc: a container */
        ENV_PIDNS,      /* the same in its own pid namespace, where it is pid 1 */
        ENV_OUTSIDE,    /* chroot with the cwd left outside the root */
        ENV_COUNT
};

#define E(x)   (1u << ENV_##x)
#define E_ALL  (E(HOST) | E(CHROOT) | E(NSCHROOT) | E(PIVOT) | E(PIDNS))
#define E_CONT (E(CHROOT) | E(NSCHROOT) | E(PIVOT) | E(PIDNS))  /* own root */
#define E_PROC (E(HOST) | E(NSCHROOT) | E(PIVOT) | E(PIDNS))    /* has /proc */
#define E_CPROC (E(NSCHROOT) | E(PIVOT) | E(PIDNS))

struct msg {
        int err, line;
        pid_t pid;              /* in our pid namespace */
        pid_t nspid;            /* in its own */
        int dirfd, filefd, pipefd;
        int outfd;              /* a file outside the root, opened before entering it */
        int gonefd;             /* a file deleted after opening */
};

struct child {
        enum env env;
        pid_t reap;             /* whom to wait for (the middle one for ENV_PIDNS) */
        struct msg m;
};

static struct child children[ENV_COUNT] = {
        [ENV_HOST] = { .env = ENV_HOST },
        [ENV_CHROOT] = { .env = ENV_CHROOT },
        [ENV_NSCHROOT] = { .env = ENV_NSCHROOT },
        [ENV_PIVOT] = { .env = ENV_PIVOT },
        [ENV_PIDNS] = { .env = ENV_PIDNS },
        [ENV_OUTSIDE] = { .env = ENV_OUTSIDE },
};

static char tree[64];           /* the temp dir */
static char rootdir[80];        /* tree/root */

#define DEEP_LEVELS 17
#define DEEP_NAME   250

static void deep_name(char *buf, int level)
{
        memset(buf, 'a' + level, DEEP_NAME);
        buf[DEEP_NAME] = '\0';
}

/* ---- the tree ---- */

static int mkdirs(int dirfd, const char *const *names)
{
        for (; *names; names++)
                if (mkdirat(dirfd, *names, 0755) < 0)
                        return -1;
        return 0;
}

static int touch(int dirfd, const char *name)
{
        int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

        if (fd < 0)
                return -1;
        close(fd);
        return 0;
}

static int make_tree(void)
{
        static const char *const dirs[] = {
                "etc", "tmp", "work", "work/sub", "dev", "proc", ".old", "deep", NULL
        };
        static const char *const links[][2] = {
                { "tmp/link", "/etc" },
                { "tmp/rel", "../etc" },
                { "tmp/dotdot", "/tmp/../etc" },
                { "tmp/dangling", "/tmp/created" },
                { "tmp/dangling2", "/nodir/x" },
                { "tmp/loop1", "loop2" },
                { "tmp/loop2", "loop1" },
                { "tmp/selfroot", "/proc/self/root" },
                { "work/sub/up", ".." },
                { "dev/fd", "/proc/self/fd" },
                { "dev/stdout", "/proc/self/fd/1" },
                { "etc/mtab", "../proc/self/mounts" },
        };
        char name[64], target[64], outside[128];
        char deeplink[PATH_MAX] = "../deep";
        cleanup_close int root = -1;
        int dir;

        if (mkdir(rootdir, 0755) < 0)
                return -1;
        root = open(rootdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root < 0 || mkdirs(root, dirs) < 0)
                return -1;
        snprintf(outside, sizeof(outside), "%s/outside", tree);
        if (touch(AT_FDCWD, outside) < 0 || touch(root, "etc/passwd") < 0 ||
            touch(root, "etc/only_here") < 0 ||
            touch(root, "tmp/file") < 0 || touch(root, "work/sub/f") < 0)
                return -1;
        for (size_t i = 0; i < ARRAY_SIZE(links); i++)
                if (symlinkat(links[i][1], root, links[i][0]) < 0)
                        return -1;
        /* c0 -> c1 -> ... -> c40 -> file: c1 is 40 links, c0 is 41. */
        for (int i = 0; i <= 40; i++) {
                snprintf(name, sizeof(name), "tmp/c%d", i);
                if (i < 40)
                        snprintf(target, sizeof(target), "c%d", i + 1);
                else
                        snprintf(target, sizeof(target), "file");
                if (symlinkat(target, root, name) < 0)
                        return -1;
        }
        /* deep/D1/.../D17, longer than PATH_MAX_BYTES; tmp/deeplink points
         * at D16 with a text that fits. */
        dir = openat(root, "deep", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        for (int i = 0; dir >= 0 && i < DEEP_LEVELS; i++) {
                char d[DEEP_NAME + 1];
                int next;

                deep_name(d, i);
                if (i < DEEP_LEVELS - 1) {
                        strcat(deeplink, "/");
                        strcat(deeplink, d);
                }
                next = mkdirat(dir, d, 0755) < 0 ? -1 :
                       openat(dir, d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                close(dir);
                dir = next;
        }
        if (dir < 0)
                return -1;
        close(dir);
        return symlinkat(deeplink, root, "tmp/deeplink");
}

/* rm -rf with *at calls: the deep part is too long for whole paths. */
static void remove_at(int dirfd, const char *name)
{
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        DIR *d;
        struct dirent *e;

        if (fd < 0) {
                unlinkat(dirfd, name, 0);
                return;
        }
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return;
        }
        while ((e = readdir(d)))
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                        remove_at(fd, e->d_name);
        closedir(d);
        unlinkat(dirfd, name, AT_REMOVEDIR);
}

static int group_setup(void **state)
{
        (void)state;
        snprintf(tree, sizeof(tree), "/tmp/driftlock-resolve.XXXXXX");
        if (!mkdtemp(tree))
                return -1;
        snprintf(rootdir, sizeof(rootdir), "%s/root", tree);
        if (make_tree() < 0) {
                remove_at(AT_FDCWD, tree);
                return -1;
        }
        return 0;
}

static int group_teardown(void **state)
{
        (void)state;
        remove_at(AT_FDCWD, tree);
        return 0;
}

/* ---- the children ---- */

#define CHILD_TRY(cond) do { if (!(cond)) { m.err = errno; m.line = __LINE__; goto out; } } while (0)

/* Sets the calling process up as a target in env and reports on wfd; never
 * returns. Mounts happen only in a private mount namespace. */
static void child_setup(enum env env, int wfd)
{
        struct msg m = { .dirfd = -1, .filefd = -1, .pipefd = -1 };
        bool own_root = env != ENV_HOST;
        char out[128];
        int p[2];

        CHILD_TRY(prctl(PR_SET_PDEATHSIG, SIGKILL) == 0);
        snprintf(out, sizeof(out), "%s/outside", tree);
        m.outfd = open(out, O_RDONLY);
        CHILD_TRY(m.outfd >= 0);
        if (env == ENV_NSCHROOT || env == ENV_PIVOT || env == ENV_PIDNS) {
                CHILD_TRY(unshare(CLONE_NEWNS) == 0);
                CHILD_TRY(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
        }
        switch (env) {
        case ENV_HOST:
                CHILD_TRY(chdir(rootdir) == 0);
                break;
        case ENV_CHROOT:
        case ENV_OUTSIDE:
                CHILD_TRY(chdir(env == ENV_OUTSIDE ? tree : rootdir) == 0);
                CHILD_TRY(chroot(rootdir) == 0);
                break;
        case ENV_NSCHROOT:
                CHILD_TRY(chdir(rootdir) == 0);
                CHILD_TRY(mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0);
                CHILD_TRY(chroot(".") == 0);
                break;
        case ENV_PIVOT:
        case ENV_PIDNS:
                CHILD_TRY(mount(rootdir, rootdir, NULL, MS_BIND | MS_REC, NULL) == 0);
                CHILD_TRY(chdir(rootdir) == 0);
                CHILD_TRY(syscall(SYS_pivot_root, ".", ".old") == 0);
                CHILD_TRY(umount2("/.old", MNT_DETACH) == 0);
                CHILD_TRY(chdir("/") == 0);
                CHILD_TRY(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0);
                break;
        case ENV_COUNT:
                break;
        }
        if (env != ENV_OUTSIDE)
                CHILD_TRY(chdir(own_root ? "/work/sub" : "work/sub") == 0);
        m.dirfd = open(own_root ? "/work" : "../../work", O_RDONLY | O_DIRECTORY);
        CHILD_TRY(m.dirfd >= 0);
        m.filefd = open(own_root ? "/etc/passwd" : "../../etc/passwd", O_RDONLY);
        CHILD_TRY(m.filefd >= 0);
        CHILD_TRY(pipe(p) == 0);
        m.pipefd = p[0];
        m.gonefd = open(own_root ? "/tmp/gone" : "../../tmp/gone", O_RDWR | O_CREAT | O_EXCL, 0600);
        CHILD_TRY(m.gonefd >= 0);
        CHILD_TRY(unlink(own_root ? "/tmp/gone" : "../../tmp/gone") == 0);
        m.pid = m.nspid = getpid();
out:
        if (write(wfd, &m, sizeof(m)) != sizeof(m) || m.err)
                _exit(1);
        close(wfd);
        for (;;)
                pause();
}

static int child_start(void **state)
{
        struct child *c = *state;
        int p[2];
        pid_t pid;

        memset(&c->m, 0, sizeof(c->m));
        c->reap = 0;
        if (c->env != ENV_HOST && geteuid() != 0)
                return 0;       /* the test skips */
        if (pipe2(p, O_CLOEXEC) < 0)
                return -1;
        pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                close(p[0]);
                if (c->env == ENV_PIDNS) {
                        /* Our child is pid 1 of a new pid namespace; relay its
                         * report with its pid in ours, then wait with it. */
                        struct msg m = { .err = EIO, .line = __LINE__ };
                        int q[2];
                        pid_t gc;

                        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || unshare(CLONE_NEWPID) < 0 ||
                            pipe(q) < 0 || (gc = fork()) < 0) {
                                m.err = errno;
                                (void)!write(p[1], &m, sizeof(m));
                                _exit(1);
                        }
                        if (gc == 0) {
                                close(q[0]);
                                child_setup(c->env, q[1]);
                        }
                        close(q[1]);
                        if (read(q[0], &m, sizeof(m)) != sizeof(m))
                                m.err = EIO;
                        m.pid = gc;
                        (void)!write(p[1], &m, sizeof(m));
                        waitpid(gc, NULL, 0);
                        _exit(0);
                }
                child_setup(c->env, p[1]);
        }
        close(p[1]);
        c->reap = pid;
        if (read(p[0], &c->m, sizeof(c->m)) != sizeof(c->m)) {
                memset(&c->m, 0, sizeof(c->m));
                c->m.err = EIO;
                c->m.line = __LINE__;
        }
        close(p[0]);
        return 0;
}

static int child_stop(void **state)
{
        struct child *c = *state;

        if (c->m.pid > 0)
                kill(c->m.pid, SIGKILL);
        if (c->reap > 0) {
                kill(c->reap, SIGKILL);
                waitpid(c->reap, NULL, 0);
        }
        c->reap = 0;
        c->m.pid = 0;
        return 0;
}

/* The running child of this test, or skip. */
static struct child *child_get(void **state)
{
        struct child *c = *state;

        if (c->env != ENV_HOST && geteuid() != 0) {
                print_message("needs root: chroot and namespaces (CI runs it as root)\n");
                skip();
        }
        if (c->m.err || c->m.pid <= 0)
                fail_msg("child setup failed at line %d: %s", c->m.line, strerror(c->m.err));
        return c;
}

/* ---- expectations ---- */

/* Expands %F (file fd), %D (dir fd), %P (pipe fd), %O (a file outside the
 * root), %G (a deleted file), %N (pid in its own namespace) and, for ENV_HOST, puts the tree in front of an absolute path
 * that is not under /proc or /dev (those are the host's). */
static void expand(const struct child *c, const char *in, bool prefix, char *out, size_t size)
{
        size_t o = 0;

        if (prefix && c->env == ENV_HOST && in[0] == '/' &&
            strncmp(in, "/proc", 5) != 0 && strncmp(in, "/dev", 4) != 0) {
                o = (size_t)snprintf(out, size, "%s", rootdir);
                if (strcmp(in, "/") == 0)
                        return;
        }
        for (; *in && o + 16 < size; in++) {
                if (in[0] == '%' && in[1]) {
                        int v = in[1] == 'F' ? c->m.filefd : in[1] == 'D' ? c->m.dirfd :
                                in[1] == 'P' ? c->m.pipefd : in[1] == 'O' ? c->m.outfd :
                                in[1] == 'G' ? c->m.gonefd : (int)c->m.nspid;

                        o += (size_t)snprintf(out + o, size - o, "%d", v);
                        in++;
                } else {
                        out[o++] = *in;
                }
        }
        out[o] = '\0';
}

enum base { ABS, CWD, DIRFD, FILEFD, BADFD };

static int base_fd(const struct child *c, enum base b)
{
        switch (b) {
        case CWD:
                return AT_FDCWD;
        case DIRFD:
                return c->m.dirfd;
        case FILEFD:
                return c->m.filefd;
        case ABS:
        case BADFD:
                break;
        }
        return 987;     /* not open in the child; ignored for absolute paths */
}

static void check(const struct child *c, pid_t tid, int dirfd, const char *path, unsigned flags,
                  int err, const char *want)
{
        char *got = (char *)0x1;
        int r = resolve_path(tid, dirfd, path, flags, &got);

        if (err) {
                if (r != err)
                        fail_msg("env %d: %s (flags %u): want %s, got %d (%s)", c->env, path, flags,
                                 strerror(-err), r, r == 0 ? got : strerror(-r));
                assert_ptr_equal(got, (char *)0x1);
                return;
        }
        if (r != 0)
                fail_msg("env %d: %s (flags %u): want %s, got %s", c->env, path, flags, want,
                         strerror(-r));
        if (strcmp(got, want) != 0)
                fail_msg("env %d: %s (flags %u): want %s, got %s", c->env, path, flags, want, got);
        free(got);
}

#define F PATHRES_FOLLOW
#define C PATHRES_CREATE

static const struct rcase {
        unsigned envs;
        enum base base;
        const char *path;
        unsigned flags;
        int err;
        const char *want;
} cases[] = {
        /* relative to the cwd (/work/sub) and to a dirfd (/work) */
        { E_ALL, CWD, "f", 0, 0, "/work/sub/f" },
        { E_ALL, CWD, "./f", F, 0, "/work/sub/f" },
        { E_ALL, CWD, "../sub/./f", 0, 0, "/work/sub/f" },
        { E_ALL, CWD, ".", 0, 0, "/work/sub" },
        { E_ALL, CWD, "up/sub/f", 0, 0, "/work/sub/f" },
        { E_ALL, CWD, "up", F, 0, "/work" },
        { E_ALL, CWD, "up", 0, 0, "/work/sub/up" },
        { E_ALL, DIRFD, "sub/f", 0, 0, "/work/sub/f" },
        { E_ALL, DIRFD, "sub//f/", 0, -ENOTDIR, NULL },
        { E_ALL, DIRFD, "..", 0, 0, "/" },
        { E_ALL, DIRFD, "new", C, 0, "/work/new" },
        /* "//", "/./", ".." and ".." above the root */
        { E_ALL, ABS, "//etc///passwd", 0, 0, "/etc/passwd" },
        { E_ALL, ABS, "/./etc/./passwd", 0, 0, "/etc/passwd" },
        { E_ALL, ABS, "/work/sub/../../etc/passwd", 0, 0, "/etc/passwd" },
        { E_CONT, ABS, "/../../etc/passwd", 0, 0, "/etc/passwd" },
        { E_CONT, ABS, "/..", F, 0, "/" },
        { E_CONT, ABS, "/", F, 0, "/" },
        { E_CONT, CWD, "../../../../..", 0, 0, "/" },
        /* symlinks: into another directory, absolute ones inside the root */
        { E_CONT, ABS, "/tmp/link/passwd", 0, 0, "/etc/passwd" },
        { E_CONT, ABS, "/tmp/link", F, 0, "/etc" },
        { E_CONT, ABS, "/tmp/link", 0, 0, "/tmp/link" },
        { E_CONT, ABS, "/tmp/link/", 0, 0, "/etc" },            /* a trailing '/' follows */
        { E_CONT, ABS, "/tmp/link/only_here", 0, 0, "/etc/only_here" },
        { E_CONT, ABS, "/tmp/link/../tmp/file", 0, 0, "/tmp/file" },    /* not /tmp/tmp/file */
        { E_CONT, ABS, "/tmp/dotdot/passwd", 0, 0, "/etc/passwd" },
        { E_CONT, ABS, "/tmp/link/newfile", C, 0, "/etc/newfile" },
        { E_CONT, ABS, "/tmp/link/nodir/x", C, -ENOENT, NULL },
        { E_ALL, ABS, "/tmp/rel/passwd", 0, 0, "/etc/passwd" },
        { E_ALL, ABS, "/tmp/rel/../tmp/file", 0, 0, "/tmp/file" },
        /* the final component may be missing, or a dangling symlink */
        { E_CONT, ABS, "/tmp/dangling", C | F, 0, "/tmp/created" },
        { E_CONT, ABS, "/tmp/dangling", C, 0, "/tmp/dangling" },
        { E_CONT, ABS, "/tmp/dangling", 0, 0, "/tmp/dangling" },
        { E_CONT, ABS, "/tmp/dangling", F, -ENOENT, NULL },
        { E_CONT, ABS, "/tmp/dangling2", C | F, -ENOENT, NULL },
        { E_ALL, ABS, "/tmp/newname", C, 0, "/tmp/newname" },
        { E_ALL, ABS, "/tmp/newname", C | F, 0, "/tmp/newname" },
        { E_ALL, ABS, "/tmp/newname/", C, 0, "/tmp/newname" },
        { E_ALL, ABS, "/tmp/newname", F, -ENOENT, NULL },
        { E_ALL, ABS, "/tmp/newname", 0, -ENOENT, NULL },
        { E_ALL, ABS, "/nodir/x", C, -ENOENT, NULL },
        { E_ALL, ABS, "/tmp/newdir/.", C, -ENOENT, NULL },
        /* not a directory, loops */
        { E_ALL, ABS, "/tmp/file/x", 0, -ENOTDIR, NULL },
        { E_ALL, ABS, "/tmp/file/x", C, -ENOTDIR, NULL },
        { E_ALL, ABS, "/tmp/file/", 0, -ENOTDIR, NULL },
        { E_ALL, ABS, "/tmp/file/.", 0, -ENOTDIR, NULL },
        { E_ALL, ABS, "/tmp/loop1", F, -ELOOP, NULL },
        { E_ALL, ABS, "/tmp/loop1", 0, 0, "/tmp/loop1" },
        { E_ALL, ABS, "/tmp/loop1/x", C, -ELOOP, NULL },
        { E_ALL, ABS, "/tmp/c1", F, 0, "/tmp/file" },           /* 40 links: allowed */
        { E_ALL, ABS, "/tmp/c0", F, -ELOOP, NULL },             /* 41 */
        /* magic links name the target's own objects */
        { E_PROC, ABS, "/proc/self/fd/%F", F, 0, "/etc/passwd" },
        { E_PROC, ABS, "/proc/thread-self/fd/%F", F, 0, "/etc/passwd" },
        { E_PROC, ABS, "/dev/fd/%F", F, 0, "/etc/passwd" },
        { E_PROC, ABS, "/proc/self/fd/%D/sub/f", 0, 0, "/work/sub/f" },
        { E_PROC, ABS, "/proc/self/cwd/f", 0, 0, "/work/sub/f" },
        { E_PROC, ABS, "/proc/self/cwd/..", 0, 0, "/work" },
        { E_PROC, ABS, "/proc/self/fd/%P", F, -EXDEV, NULL },
        { E_PROC, ABS, "/proc/self/fd/%G", F, -EXDEV, NULL },
        { E_CPROC, ABS, "/proc/self/fd/%O", F, -EXDEV, NULL },
        { E_PROC, ABS, "/proc/self/fd/%F", 0, 0, "/proc/%N/fd/%F" },
        { E_PROC, ABS, "/proc/self/status", 0, 0, "/proc/%N/status" },
        { E_PROC, ABS, "/proc/self", F, 0, "/proc/%N" },
        { E_PROC, ABS, "/proc/self", 0, 0, "/proc/self" },
        { E_PROC, ABS, "/proc/self/fd/987", F, -ENOENT, NULL },
        { E_PROC, ABS, "/proc/self/fd/%F/x", 0, -ENOTDIR, NULL },
        { E_CPROC, ABS, "/proc/self/root/etc/passwd", 0, 0, "/etc/passwd" },
        { E_CPROC, ABS, "/tmp/selfroot/tmp/link/passwd", 0, 0, "/etc/passwd" },
        { E_CPROC, ABS, "/etc/mtab", F, 0, "/proc/%N/mounts" },
        { E_CPROC, ABS, "/proc/mounts", F, 0, "/proc/%N/mounts" },
        { E(CHROOT), ABS, "/dev/fd/%F", F, -ENOENT, NULL },     /* no /proc there */
        /* bad input */
        { E_ALL, CWD, "", 0, -ENOENT, NULL },
        { E_ALL, BADFD, "x", 0, -EBADF, NULL },
        { E_ALL, FILEFD, "x", 0, -ENOTDIR, NULL },
        { E_ALL, BADFD, "/etc/passwd", 0, 0, "/etc/passwd" },   /* dirfd unused */
};

/* For absolute paths in ENV_HOST the kernel can be asked directly, which
 * keeps the table honest. */
static void kernel_agrees(const struct rcase *t, const char *path, const char *want)
{
        cleanup_close int fd = -1;
        struct stat a, b;

        if (t->base != ABS || (t->flags & C) || strncmp(t->path, "/proc", 5) == 0 ||
            strncmp(t->path, "/dev", 4) == 0)
                return;
        fd = open(path, O_PATH | O_CLOEXEC | ((t->flags & F) ? 0 : O_NOFOLLOW));
        if (t->err) {
                assert_true(fd < 0);
                assert_int_equal(-errno, t->err);
                return;
        }
        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &a), 0);
        assert_int_equal(lstat(want, &b), 0);
        assert_true(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
}

static void run_table(void **state)
{
        const struct child *c = child_get(state);
        char path[PATH_MAX * 2], want[PATH_MAX * 2];
        unsigned n = 0;

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                const struct rcase *t = &cases[i];

                if (!(t->envs & (1u << c->env)))
                        continue;
                expand(c, t->path, t->base == ABS || t->base == BADFD, path, sizeof(path));
                if (t->want)
                        expand(c, t->want, true, want, sizeof(want));
                check(c, c->m.pid, t->base == ABS ? base_fd(c, BADFD) : base_fd(c, t->base),
                      path, t->flags, t->err, t->want ? want : NULL);
                if (c->env == ENV_HOST)
                        kernel_agrees(t, path, want);
                n++;
        }
        assert_true(n > 20);
}

static void test_resolve_host(void **state)
{
        run_table(state);
}

static void test_resolve_chroot(void **state)
{
        run_table(state);
}

static void test_resolve_mountns_chroot(void **state)
{
        run_table(state);
}

static void test_resolve_pivot_root(void **state)
{
        run_table(state);
}

static void test_resolve_pid_namespace(void **state)
{
        const struct child *c = child_get(state);

        assert_int_equal(c->m.nspid, 1);
        assert_true(c->m.pid != 1);
        run_table(state);
}

/* ---- lengths ---- */

static void test_resolve_path_max(void **state)
{
        const struct child *c = child_get(state);
        char want[PATH_MAX * 2], deep[PATH_MAX * 2];
        char *path = malloc(PATH_MAX_BYTES + 2);
        char *got = NULL;
        size_t n;

        assert_non_null(path);
        /* Relative, exactly PATH_MAX_BYTES: too long once joined to the cwd,
         * which the kernel does not mind. */
        for (n = 0; n < PATH_MAX_BYTES - 1; n += 2)
                memcpy(path + n, "./", 2);
        memcpy(path + n, "f", 2);
        assert_int_equal(strlen(path), PATH_MAX_BYTES);
        expand(c, "/work/sub/f", true, want, sizeof(want));
        check(c, c->m.pid, AT_FDCWD, path, 0, 0, want);
        memcpy(path + n, "/f", 3);      /* one byte more */
        check(c, c->m.pid, AT_FDCWD, path, 0, -ENAMETOOLONG, NULL);
        assert_int_equal(resolve_lexical(c->m.pid, AT_FDCWD, path, &got), -ENAMETOOLONG);
        assert_null(got);

        /* Absolute, exactly PATH_MAX_BYTES (the fast way), then one more. */
        expand(c, "/etc/passwd", true, want, sizeof(want));
        n = PATH_MAX_BYTES - strlen(want);
        memset(path, '/', n);
        memcpy(path + n, want, strlen(want) + 1);
        assert_int_equal(strlen(path), PATH_MAX_BYTES);
        check(c, c->m.pid, AT_FDCWD, path, 0, 0, want);
        memmove(path + 1, path, PATH_MAX_BYTES + 1);
        check(c, c->m.pid, AT_FDCWD, path, 0, -ENAMETOOLONG, NULL);
        free(path);

        /* A short path whose answer is too long. */
        expand(c, "/deep", true, deep, sizeof(deep));
        for (int i = 0; i < DEEP_LEVELS - 1; i++) {
                char d[DEEP_NAME + 2] = "/";

                deep_name(d + 1, i);
                strcat(deep, d);
        }
        assert_true(strlen(deep) <= PATH_MAX_BYTES);
        expand(c, "/tmp/deeplink", true, want, sizeof(want));
        check(c, c->m.pid, AT_FDCWD, want, F, 0, deep);
        strcat(want, "/");
        deep_name(want + strlen(want), DEEP_LEVELS - 1);
        check(c, c->m.pid, AT_FDCWD, want, F, -ENAMETOOLONG, NULL);
        check(c, c->m.pid, AT_FDCWD, want, C, -ENAMETOOLONG, NULL);
}

/* ---- lexical fallback, fds, threads, bad input ---- */

static void check_lexical(const struct child *c, int dirfd, const char *path, int err,
                          const char *want_raw)
{
        char want[PATH_MAX * 2];
        char *got = NULL;
        int r = resolve_lexical(c->m.pid, dirfd, path, &got);

        assert_int_equal(r, err);
        if (err)
                return;
        expand(c, want_raw, true, want, sizeof(want));
        assert_string_equal(got, want);
        free(got);
}

static void test_resolve_lexical(void **state)
{
        const struct child *c = child_get(state);
        char path[PATH_MAX];
        char *got = NULL;

        check_lexical(c, AT_FDCWD, "missing/x", 0, "/work/sub/missing/x");
        check_lexical(c, AT_FDCWD, "../..//missing/./x/", 0, "/missing/x");
        check_lexical(c, c->m.dirfd, "../missing", 0, "/missing");
        check_lexical(c, c->m.dirfd, ".", 0, "/work");
        assert_int_equal(resolve_lexical(c->m.pid, 987, "/a/../b", &got), 0);
        assert_string_equal(got, "/b");                 /* no system call at all */
        free(got);
        check_lexical(c, AT_FDCWD, "", -ENOENT, NULL);
        check_lexical(c, 987, "x", -EBADF, NULL);
        check_lexical(c, -7, "x", -EBADF, NULL);
        check_lexical(c, c->m.filefd, "x", -ENOTDIR, NULL);
        /* Lexically ".." undoes the symlink; resolve_path does not. */
        if (c->env != ENV_HOST) {
                check_lexical(c, AT_FDCWD, "/tmp/link/../tmp/file", 0, "/tmp/tmp/file");
        } else {
                snprintf(path, sizeof(path), "%s/tmp/rel/../tmp/file", rootdir);
                check_lexical(c, AT_FDCWD, path, 0, "/tmp/tmp/file");
        }
}

static void test_resolve_fd(void **state)
{
        const struct child *c = child_get(state);
        char want[PATH_MAX * 2];
        char *got = NULL;

        expand(c, "/etc/passwd", true, want, sizeof(want));
        assert_int_equal(resolve_fd(c->m.pid, c->m.filefd, &got), 0);
        assert_string_equal(got, want);
        free(got);
        expand(c, "/work", true, want, sizeof(want));
        assert_int_equal(resolve_fd(c->m.pid, c->m.dirfd, &got), 0);
        assert_string_equal(got, want);
        free(got);
        got = NULL;
        assert_int_equal(resolve_fd(c->m.pid, c->m.pipefd, &got), -EXDEV);
        assert_int_equal(resolve_fd(c->m.pid, c->m.gonefd, &got), -EXDEV);
        assert_int_equal(resolve_fd(c->m.pid, 987, &got), -EBADF);
        assert_int_equal(resolve_fd(c->m.pid, -1, &got), -EBADF);
        assert_null(got);
}

/* The object behind a magic link that has no name in the root: the very
 * pipe or deleted file the target holds, through its /proc/self. */
static void test_resolve_unnamed(void **state)
{
        const struct child *c = child_get(state);
        const int fds[] = { c->m.pipefd, c->m.gonefd };
        char path[64], theirs[64];
        struct stat got, want;
        int fd = -1;

        for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[i]);
                snprintf(theirs, sizeof(theirs), "/proc/%d/fd/%d", (int)c->m.pid, fds[i]);
                assert_int_equal(resolve_unnamed(c->m.pid, AT_FDCWD, path, PATHRES_FOLLOW, &fd), 0);
                assert_int_equal(fstat(fd, &got), 0);
                assert_int_equal(stat(theirs, &want), 0);
                assert_true(got.st_dev == want.st_dev && got.st_ino == want.st_ino);
                close(fd);
        }
        /* a named object, no jump at all, or a jump that is not the last
         * component: nothing to hand out */
        fd = -1;
        snprintf(path, sizeof(path), "/proc/self/fd/%d", c->m.filefd);
        assert_int_equal(resolve_unnamed(c->m.pid, AT_FDCWD, path, PATHRES_FOLLOW, &fd), -EXDEV);
        assert_int_equal(resolve_unnamed(c->m.pid, AT_FDCWD, "/etc/passwd", PATHRES_FOLLOW, &fd),
                         -EXDEV);
        snprintf(path, sizeof(path), "/proc/self/fd/%d/x", c->m.pipefd);
        assert_int_equal(resolve_unnamed(c->m.pid, AT_FDCWD, path, PATHRES_FOLLOW, &fd), -EXDEV);
        assert_int_equal(fd, -1);
        assert_int_equal(resolve_unnamed(c->m.pid, AT_FDCWD, "/x", 0, NULL), -EINVAL);
}

static void test_resolve_bad_args(void **state)
{
        const struct child *c = child_get(state);
        char *got = NULL;

        assert_int_equal(resolve_path(0, AT_FDCWD, "/", 0, &got), -EINVAL);
        assert_int_equal(resolve_path(-1, AT_FDCWD, "/", 0, &got), -EINVAL);
        assert_int_equal(resolve_path(c->m.pid, AT_FDCWD, NULL, 0, &got), -EINVAL);
        assert_int_equal(resolve_path(c->m.pid, AT_FDCWD, "/", 0, NULL), -EINVAL);
        assert_int_equal(resolve_path(c->m.pid, AT_FDCWD, "/", 4, &got), -EINVAL);
        assert_int_equal(resolve_path(c->m.pid, -7, "x", 0, &got), -EBADF);
        assert_int_equal(resolve_lexical(0, AT_FDCWD, "x", &got), -EINVAL);
        assert_int_equal(resolve_fd(0, 0, &got), -EINVAL);
        assert_null(got);
}

/* A cwd outside the root (chroot without chdir) has no name in the root:
 * relative paths cannot be judged, absolute ones can. */
static void test_resolve_cwd_outside_root(void **state)
{
        const struct child *c = child_get(state);
        char *got = NULL;

        assert_int_equal(resolve_path(c->m.pid, AT_FDCWD, "x", 0, &got), -EXDEV);
        assert_int_equal(resolve_lexical(c->m.pid, AT_FDCWD, "x", &got), -EXDEV);
        assert_null(got);
        check(c, c->m.pid, AT_FDCWD, "/tmp/link/passwd", 0, 0, "/etc/passwd");
        check(c, c->m.pid, c->m.dirfd, "sub/f", 0, 0, "/work/sub/f");
}

/* Dead: reaped (no /proc entry) and zombie (an entry without a root) are
 * both -ESRCH. */
static void test_resolve_dead(void **state)
{
        siginfo_t si;
        char *got = NULL;
        pid_t pid;

        (void)state;
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(0);
        memset(&si, 0, sizeof(si));
        assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
        assert_int_equal(resolve_path(pid, AT_FDCWD, "/etc", 0, &got), -ESRCH);
        assert_int_equal(resolve_path(pid, AT_FDCWD, "x", 0, &got), -ESRCH);
        assert_int_equal(resolve_lexical(pid, AT_FDCWD, "x", &got), -ESRCH);
        assert_int_equal(resolve_fd(pid, 0, &got), -ESRCH);
        assert_int_equal(waitpid(pid, NULL, 0), pid);
        assert_int_equal(resolve_path(pid, AT_FDCWD, "/etc", 0, &got), -ESRCH);
        assert_int_equal(resolve_path(pid, 3, "x", 0, &got), -ESRCH);
        assert_int_equal(resolve_lexical(pid, AT_FDCWD, "x", &got), -ESRCH);
        assert_int_equal(resolve_fd(pid, 0, &got), -ESRCH);
        assert_null(got);
}

/* The thread that made the call decides: a thread with its own cwd
 * (unshare(CLONE_FS)) resolves relative paths from there, and its
 * /proc/thread-self is its own task directory. */
static int thread_pipe[2];

static void *thread_main(void *arg)
{
        pid_t tid = gettid();

        (void)arg;
        if (unshare(CLONE_FS) < 0 || chdir("../../tmp") < 0)
                tid = -1;
        (void)!write(thread_pipe[1], &tid, sizeof(tid));
        for (;;)
                pause();
        return NULL;
}

static void test_resolve_thread(void **state)
{
        char want[PATH_MAX * 2], path[64];
        int p[2];
        pid_t pid, tid = 0;
        struct child c = { .env = ENV_HOST };

        (void)state;
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                pthread_t t;

                thread_pipe[1] = p[1];
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || chdir(rootdir) < 0 ||
                    chdir("work/sub") < 0 || pthread_create(&t, NULL, thread_main, NULL) != 0)
                        _exit(1);
                for (;;)
                        pause();
        }
        close(p[1]);
        c.m.pid = c.m.nspid = pid;
        if (read(p[0], &tid, sizeof(tid)) != sizeof(tid))
                tid = -1;
        close(p[0]);
        if (tid > 0) {
                expand(&c, "/tmp/file", true, want, sizeof(want));
                check(&c, tid, AT_FDCWD, "file", 0, 0, want);
                expand(&c, "/work/sub/f", true, want, sizeof(want));
                check(&c, pid, AT_FDCWD, "f", 0, 0, want);
                snprintf(want, sizeof(want), "/proc/%d/task/%d", (int)pid, (int)tid);
                check(&c, tid, AT_FDCWD, "/proc/thread-self", F, 0, want);
                snprintf(want, sizeof(want), "/proc/%d", (int)pid);
                check(&c, tid, AT_FDCWD, "/proc/self", F, 0, want);
                snprintf(path, sizeof(path), "/proc/thread-self/cwd/file");
                expand(&c, "/tmp/file", true, want, sizeof(want));
                check(&c, tid, AT_FDCWD, path, 0, 0, want);
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        assert_true(tid > 0);
}

#define ENV_TEST(f, env) \
        cmocka_unit_test_prestate_setup_teardown(f, child_start, child_stop, &children[env])

int main(void)
{
        const struct CMUnitTest tests[] = {
                ENV_TEST(test_resolve_host, ENV_HOST),
                ENV_TEST(test_resolve_chroot, ENV_CHROOT),
                ENV_TEST(test_resolve_mountns_chroot, ENV_NSCHROOT),
                ENV_TEST(test_resolve_pivot_root, ENV_PIVOT),
                ENV_TEST(test_resolve_pid_namespace, ENV_PIDNS),
                ENV_TEST(test_resolve_path_max, ENV_HOST),
                ENV_TEST(test_resolve_lexical, ENV_HOST),
                ENV_TEST(test_resolve_fd, ENV_HOST),
                ENV_TEST(test_resolve_unnamed, ENV_HOST),
                ENV_TEST(test_resolve_unnamed, ENV_PIDNS),
                ENV_TEST(test_resolve_bad_args, ENV_HOST),
                ENV_TEST(test_resolve_cwd_outside_root, ENV_OUTSIDE),
                cmocka_unit_test(test_resolve_dead),
                cmocka_unit_test(test_resolve_thread),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
