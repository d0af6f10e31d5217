#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "execinterp.h"
#include "landlock_exec.h"
#include "util.h"

#define LOADER "/lib64/ld-linux-x86-64.so.2"

static char g_dir[] = "/tmp/landlock-exec.XXXXXX";

static bool have_landlock(void)
{
        int abi = landlock_exec_abi();

        if (abi == -EOPNOTSUPP) {
                fprintf(stderr, "landlock: not supported by this kernel\n");
                return false;
        }
        assert_true(abi >= 1);
        return true;
}

/* The outcome of one exec under a Landlock domain: 0 if it ran and exited
 * 0, execve's errno otherwise (or 1000 + exit status, 2000 + the error of
 * the restriction). A child restricts itself with the fds (or the paths,
 * if not NULL), then execs. */
static int try_exec(const int *fds, size_t nfds, const char *const *paths, size_t npaths,
                    const char *exec)
{
        int ep[2], e = 0, st = 0;
        pid_t c;

        assert_int_equal(pipe2(ep, O_CLOEXEC), 0);
        c = fork();
        assert_true(c >= 0);
        if (c == 0) {
                char prog[PATH_MAX], *argv[] = { prog, NULL }, *envp[] = { NULL };
                int nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
                int r;

                snprintf(prog, sizeof(prog), "%s", exec);       /* single-threaded test */
                close(ep[0]);
                if (nul >= 0)
                        dup2(nul, STDOUT_FILENO);
                /* As the seccomp install would: unprivileged callers need it. */
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        _exit(3);
                r = paths ? landlock_exec_restrict(paths, npaths) : landlock_exec_restrict_fds(fds, nfds);
                if (r < 0) {
                        e = 2000 - r;
                } else {
                        execve(exec, argv, envp);
                        e = errno;
                }
                if (write(ep[1], &e, sizeof(e)) < 0)
                        _exit(4);
                _exit(127);
        }
        close(ep[1]);
        if (read(ep[0], &e, sizeof(e)) != (ssize_t)sizeof(e))
                e = 0;
        close(ep[0]);
        assert_int_equal(waitpid(c, &st, 0), c);
        if (e)
                return e;
        return WIFEXITED(st) ? (WEXITSTATUS(st) ? 1000 + WEXITSTATUS(st) : 0) : 3000;
}

static void copy(const char *src, const char *dst)
{
        char buf[65536];
        int in = open(src, O_RDONLY | O_CLOEXEC);
        int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
        ssize_t n;

        assert_true(in >= 0 && out >= 0);
        while ((n = read(in, buf, sizeof(buf))) > 0)
                assert_int_equal(write(out, buf, (size_t)n), n);
        close(in);
        close(out);
}

static int opath(const char *p)
{
        int fd = open(p, O_PATH | O_CLOEXEC);

        assert_true(fd >= 0);
        return fd;
}

/* /usr/bin/true with its loader runs (and loads libc: libraries need no
 * EXECUTE); /usr/bin/id, not listed, gets EACCES. */
static void test_landlock_exec_allows_listed_only(void **state)
{
        int fds[2];

        (void)state;
        if (!have_landlock())
                skip();
        fds[0] = opath("/usr/bin/true");
        fds[1] = opath(LOADER);
        assert_int_equal(try_exec(fds, 2, NULL, 0, "/usr/bin/true"), 0);
        assert_int_equal(try_exec(fds, 2, NULL, 0, "/usr/bin/id"), EACCES);
        /* The loader is an exec of its own: without it a dynamic binary fails. */
        assert_int_equal(try_exec(fds, 1, NULL, 0, "/usr/bin/true"), EACCES);
        assert_int_equal(try_exec(fds, 0, NULL, 0, "/usr/bin/true"), EACCES);
        close(fds[0]);
        close(fds[1]);
}

/* The interpreter chain comes from execinterp_open(): a script needs its
 * "#!" interpreter and that one's loader. */
static void test_landlock_exec_script_chain(void **state)
{
        static const char script[] = "#!/bin/sh\nexit 7\n";
        char path[PATH_MAX];
        int fds[3], fd;

        (void)state;
        if (!have_landlock())
                skip();
        snprintf(path, sizeof(path), "%s/script", g_dir);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
        assert_int_equal(write(fd, script, sizeof(script) - 1), (ssize_t)sizeof(script) - 1);
        close(fd);
        fds[0] = opath(path);
        assert_int_equal(execinterp_open(AT_FDCWD, fds[0], &fds[1]), 0);
        assert_int_equal(execinterp_open(AT_FDCWD, fds[1], &fds[2]), 0);
        assert_int_equal(try_exec(fds, 3, NULL, 0, path), 1007);
        assert_int_equal(try_exec(fds, 2, NULL, 0, path), EACCES);
        for (int i = 0; i < 3; i++)
                close(fds[i]);
        unlink(path);
}

/* Rules are tied to inodes: a file renamed over an allowed path is refused,
 * a hard link of an allowed file elsewhere is the same file and allowed. */
static void test_landlock_exec_inode_identity(void **state)
{
        char allowed[PATH_MAX], alias[PATH_MAX], other[PATH_MAX];
        int fds[2];

        (void)state;
        if (!have_landlock())
                skip();
        snprintf(allowed, sizeof(allowed), "%s/allowed", g_dir);
        snprintf(alias, sizeof(alias), "%s/alias", g_dir);
        snprintf(other, sizeof(other), "%s/other", g_dir);
        copy("/usr/bin/true", allowed);
        assert_int_equal(link(allowed, alias), 0);
        fds[0] = opath(allowed);
        fds[1] = opath(LOADER);
        assert_int_equal(try_exec(fds, 2, NULL, 0, alias), 0);
        copy("/usr/bin/true", other);
        assert_int_equal(rename(other, allowed), 0);
        assert_int_equal(try_exec(fds, 2, NULL, 0, allowed), EACCES);
        close(fds[0]);
        close(fds[1]);
        unlink(allowed);
        unlink(alias);
}

/* A directory rule covers everything beneath it. */
static void test_landlock_exec_directory_rule(void **state)
{
        int fds[2];

        (void)state;
        if (!have_landlock())
                skip();
        fds[0] = opath("/usr/bin");
        fds[1] = opath(LOADER);
        assert_int_equal(try_exec(fds, 2, NULL, 0, "/usr/bin/id"), 0);
        if (access("/usr/sbin/nologin", X_OK) == 0)
                assert_int_equal(try_exec(fds, 2, NULL, 0, "/usr/sbin/nologin"), EACCES);
        close(fds[0]);
        close(fds[1]);
}

/* rename(from, to) in a child restricted to fds: 0 or its errno. */
static int try_rename(const int *fds, size_t nfds, const char *from, const char *to)
{
        int st = 0;
        pid_t c = fork();

        assert_true(c >= 0);
        if (c == 0) {
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
                    landlock_exec_restrict_fds(fds, nfds) < 0)
                        _exit(255);
                _exit(rename(from, to) < 0 ? errno : 0);
        }
        assert_int_equal(waitpid(c, &st, 0), c);
        assert_true(WIFEXITED(st));
        return WEXITSTATUS(st);
}

/* Landlock refuses every move into another directory unless REFER is
 * granted: the gate grants it, so only a move that would make a file
 * executable (into a directory rule) is refused. */
static void test_landlock_exec_rename_across_directories(void **state)
{
        char a[PATH_MAX], b[PATH_MAX], x[PATH_MAX], af[PATH_MAX], bf[PATH_MAX], xf[PATH_MAX];
        int fd;

        (void)state;
        if (!have_landlock())
                skip();
        snprintf(a, sizeof(a), "%s/a", g_dir);
        snprintf(b, sizeof(b), "%s/b", g_dir);
        snprintf(x, sizeof(x), "%s/x", g_dir);
        snprintf(af, sizeof(af), "%s/a/f", g_dir);
        snprintf(bf, sizeof(bf), "%s/b/f", g_dir);
        snprintf(xf, sizeof(xf), "%s/x/f", g_dir);
        assert_int_equal(mkdir(a, 0755), 0);
        assert_int_equal(mkdir(b, 0755), 0);
        assert_int_equal(mkdir(x, 0755), 0);
        fd = opath(x);
        copy("/usr/bin/true", af);
        assert_int_equal(try_rename(&fd, 1, af, bf), 0);
        assert_int_equal(try_rename(&fd, 1, bf, xf), EXDEV);
        assert_int_equal(access(bf, F_OK), 0);
        close(fd);
        assert_int_equal(unlink(bf), 0);
        assert_int_equal(rmdir(a) | rmdir(b) | rmdir(x), 0);
}

/* Paths: missing ones are skipped, the rest apply. */
static void test_landlock_exec_paths(void **state)
{
        static const char *const paths[] = { "/no/such/file", "/usr/bin/true", "/etc/passwd/x", LOADER };

        (void)state;
        if (!have_landlock())
                skip();
        assert_int_equal(try_exec(NULL, 0, paths, ARRAY_SIZE(paths), "/usr/bin/true"), 0);
        assert_int_equal(try_exec(NULL, 0, paths, ARRAY_SIZE(paths), "/usr/bin/id"), EACCES);
}

static void test_landlock_exec_bad_input(void **state)
{
        static const char *const with_null[] = { "/usr/bin/true", NULL };
        int bad[] = { 9999 };

        (void)state;
        if (!have_landlock())
                skip();
        assert_int_equal(landlock_exec_restrict_fds(NULL, 1), -EINVAL);
        assert_int_equal(landlock_exec_restrict(NULL, 1), -EINVAL);
        assert_int_equal(landlock_exec_restrict(with_null, 2), -EINVAL);
        /* In a child: a successful call would restrict this process. */
        assert_int_equal(try_exec(bad, 1, NULL, 0, "/usr/bin/true"), 2000 + EBADF);
        errno = 1234;
        assert_int_equal(landlock_exec_restrict_fds(NULL, 1), -EINVAL);
        assert_int_equal(errno, 1234);  /* errno preserved */
}

static int group_setup(void **state)
{
        (void)state;
        return mkdtemp(g_dir) ? 0 : -1;
}

static int group_teardown(void **state)
{
        (void)state;
        return rmdir(g_dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_landlock_exec_allows_listed_only),
                cmocka_unit_test(test_landlock_exec_script_chain),
                cmocka_unit_test(test_landlock_exec_inode_identity),
                cmocka_unit_test(test_landlock_exec_directory_rule),
                cmocka_unit_test(test_landlock_exec_rename_across_directories),
                cmocka_unit_test(test_landlock_exec_paths),
                cmocka_unit_test(test_landlock_exec_bad_input),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
