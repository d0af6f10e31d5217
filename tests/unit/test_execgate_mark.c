#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/mman.h>

#include "execgate_fixture.h"

/* Mount marks on every mount of this (private) namespace: the ELF
 * interpreter is an exec of its own and must be allowlisted, which
 * execgate_allow_exec() does; a script needs its "#!" chain. */
static void test_execgate_mounts_and_interpreters(void **state)
{
        static const char script[] = "#!/bin/sh\nexit 3\n";
        struct fixture *const f = &g_fix;
        char p[PATH_MAX], s[PATH_MAX];
        int fd, r;

        (void)state;
        setup(f, EXECGATE_SCOPE_TREE, prepare_files);
        r = execgate_mark_mounts_of(f->gate, getpid(), EXECGATE_MARK_MOUNT);
        assert_true(r >= 2);                    /* at least / and the tmpfs */
        fpath(p, "allowed");
        fd = open(p, O_PATH | O_CLOEXEC);
        assert_int_equal(execgate_allow_file(f->scope, fd), 0);
        start(f);
        assert_int_equal(run_scoped(&f->run, p, 0), EPERM);      /* ld-linux refused */
        expect_seen(f, EXECGATE_NOT_ALLOWLISTED, NULL);
        assert_non_null(strstr(last_seen(f).path, "ld-linux"));
        teardown(f);
        close(fd);

        setup(f, EXECGATE_SCOPE_TREE, prepare_files);
        assert_true(execgate_mark_mounts_of(f->gate, getpid(), EXECGATE_MARK_MOUNT) >= 2);
        fd = open(p, O_PATH | O_CLOEXEC);
        assert_int_equal(execgate_allow_exec(f->scope, AT_FDCWD, fd), 2);
        close(fd);
        fpath(s, "script");
        fd = open(s, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
        assert_int_equal(write(fd, script, sizeof(script) - 1), (ssize_t)sizeof(script) - 1);
        close(fd);
        fd = open(s, O_RDONLY | O_CLOEXEC);
        assert_int_equal(execgate_allow_exec(f->scope, AT_FDCWD, fd), 3);  /* script, sh, ld-linux */
        close(fd);
        start(f);
        assert_int_equal(run_scoped(&f->run, p, 0), 0);
        assert_int_equal(run_scoped(&f->run, "/usr/bin/id", 0), EPERM);
        expect_seen(f, EXECGATE_NOT_ALLOWLISTED, NULL);
        assert_string_equal(last_seen(f).path, "/usr/bin/id");
        assert_int_equal(run_foreign("/usr/bin/id"), 0);
        teardown(f);
        /* The script was written after that gate's start: a new gate sees it
         * as old enough, and the runner's exec of it comes back with 3. */
        setup(f, EXECGATE_SCOPE_TREE, NULL);
        assert_true(execgate_mark_mounts_of(f->gate, getpid(), EXECGATE_MARK_MOUNT) >= 2);
        fd = open(s, O_PATH | O_CLOEXEC);
        assert_int_equal(execgate_allow_exec(f->scope, AT_FDCWD, fd), 3);
        close(fd);
        start(f);
        assert_int_equal(run_scoped(&f->run, s, 0), 1003);
        teardown(f);
}

/* The mounts of a chrooted process are those beneath its root, named as it
 * sees them: only the tmpfs, marked as a filesystem. */
static void test_execgate_mounts_of_chrooted_process(void **state)
{
        struct fixture *const f = &g_fix;
        char p[PATH_MAX], c;
        pid_t child, parent = getpid();
        int sync[2];

        (void)state;
        setup_gate(f, EXECGATE_SCOPE_TREE, prepare_files, false);
        assert_int_equal(pipe2(sync, O_CLOEXEC), 0);
        child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                child_init(sync[1], sync[1], parent);
                if (chroot(g_dir) < 0 || write(sync[1], "x", 1) != 1)
                        _exit(1);
                pause();
                _exit(0);
        }
        close(sync[1]);
        assert_int_equal(read(sync[0], &c, 1), 1);
        close(sync[0]);
        assert_int_equal(execgate_mark_mounts_of(f->gate, child, 0), 1);
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        allow(f, "allowed");
        start(f);
        fpath(p, "allowed");
        assert_int_equal(run_scoped(&f->run, p, 0), 0);
        copy("/usr/bin/true", "new", 0755);
        fpath(p, "new");
        assert_int_equal(run_scoped(&f->run, p, 0), EPERM);
        assert_int_equal(run_foreign("/usr/bin/true"), 0);
        assert_int_equal(execgate_get_stats(f->gate)->foreign, 0);     /* / is not marked */
        teardown(f);
}

/* A filesystem mark on the root filesystem is host-wide: every exec on the
 * machine from it comes to this gate for the moment; foreign ones are
 * allowed at once, the scope's are judged. */
static void test_execgate_foreign_host_execs_pass(void **state)
{
        struct fixture *const f = &g_fix;
        int fd;

        (void)state;
        setup_gate(f, EXECGATE_SCOPE_TREE, NULL, false);
        fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_int_equal(execgate_mark_fd(f->gate, fd, 0), 0);
        close(fd);
        start(f);
        assert_int_equal(run_foreign("/usr/bin/true"), 0);
        assert_int_equal(run_scoped(&f->run, "/usr/bin/true", 0), EPERM);
        assert_true(execgate_get_stats(f->gate)->foreign >= 2);  /* true and its ld-linux */
        teardown(f);
}

static void test_execgate_mark_bad_input(void **state)
{
        struct execgate *g = NULL;
        int fd, memfd;
        pid_t dead;

        (void)state;
        assert_int_equal(execgate_mark_fd(NULL, 0, 0), -EINVAL);
        assert_int_equal(execgate_mark_mounts_of(NULL, getpid(), 0), -EINVAL);
        if (!g_ready)
                skip();
        assert_int_equal(execgate_new(&g), 0);
        dead = fork();
        if (dead == 0)
                _exit(0);
        waitpid(dead, NULL, 0);
        assert_int_equal(execgate_mark_mounts_of(g, dead, 0), -ESRCH);
        assert_int_equal(execgate_mark_mounts_of(g, 0, 0), -EINVAL);
        assert_int_equal(execgate_mark_mounts_of(g, getpid(), 0x100), -EINVAL);
        fd = open(g_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_int_equal(execgate_mark_fd(g, fd, 0x100), -EINVAL);
        assert_int_equal(execgate_mark_fd(g, -1, 0), -EBADF);
        close(fd);
        /* fanotify refuses the internal mount of memfd files, and /proc. */
        memfd = memfd_create("x", MFD_CLOEXEC);
        assert_int_equal(execgate_mark_fd(g, memfd, 0), -EINVAL);
        close(memfd);
        fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_int_equal(execgate_mark_fd(g, fd, 0), -EINVAL);
        close(fd);
        assert_null(execgate_free(g));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_execgate_mark_bad_input),
                cmocka_unit_test_teardown(test_execgate_mounts_and_interpreters, fixture_teardown),
                cmocka_unit_test_teardown(test_execgate_mounts_of_chrooted_process, fixture_teardown),
                cmocka_unit_test_teardown(test_execgate_foreign_host_execs_pass, fixture_teardown),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
