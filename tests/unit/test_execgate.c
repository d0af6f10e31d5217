#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/mman.h>

#include "execgate_fixture.h"

static void test_execgate_allowlisted_runs(void **state)
{
        struct fixture *const f = &g_fix;
        char p[PATH_MAX];

        (void)state;
        setup(f, EXECGATE_SCOPE_TREE, prepare_files);
        allow(f, "allowed");
        start(f);
        fpath(p, "allowed");
        assert_int_equal(run_scoped(&f->run, p, 0), 0);
        expect_seen(f, EXECGATE_ALLOWLISTED, "allowed");
        assert_true(last_seen(f).gate_allow);
        assert_int_equal(execgate_get_stats(f->gate)->allowed, 1);
        teardown(f);
}

/* Each case changes the tmpfs after supervision started, then execs a name:
 * EPERM, with the reason the judge saw. */
static const struct {
        const char *what;
        const char *exec;
        enum execgate_reason reason;
} drift_table[] = {
        { "create", "new", EXECGATE_CHANGED },
        { "rename-over", "allowed", EXECGATE_CHANGED },
        { "link-over", "allowed", EXECGATE_CHANGED },
        { "chmod", "plain", EXECGATE_CHANGED },
        { "none", "other", EXECGATE_NOT_ALLOWLISTED },
        { "hardlink-alias", "alias", EXECGATE_CHANGED },
        { "hardlink-alias", "allowed", EXECGATE_CHANGED },      /* the inode changed: refused too */
        { "touch", "allowed", EXECGATE_CHANGED },
};

static void drift(const char *what)
{
        char a[PATH_MAX], b[PATH_MAX], t[PATH_MAX];

        fpath(a, "allowed");
        fpath(t, "tmp-link");
        if (strcmp(what, "create") == 0) {
                copy("/usr/bin/true", "new", 0755);
        } else if (strcmp(what, "rename-over") == 0) {
                copy("/usr/bin/true", "new", 0755);
                fpath(b, "new");
                assert_int_equal(rename(b, a), 0);
        } else if (strcmp(what, "link-over") == 0) {
                /* ln -f other allowed: a link under a temporary name, renamed. */
                fpath(b, "other");
                assert_int_equal(link(b, t), 0);
                assert_int_equal(rename(t, a), 0);
        } else if (strcmp(what, "chmod") == 0) {
                fpath(b, "plain");
                assert_int_equal(chmod(b, 0755), 0);
        } else if (strcmp(what, "hardlink-alias") == 0) {
                fpath(b, "alias");
                assert_int_equal(link(a, b), 0);
        } else if (strcmp(what, "touch") == 0) {
                assert_int_equal(utimensat(AT_FDCWD, a, NULL, 0), 0);
        }
}

static void test_execgate_drift_refused(void **state)
{
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(drift_table); i++) {
                struct fixture *const f = &g_fix;
                char p[PATH_MAX];

                setup(f, EXECGATE_SCOPE_TREE, prepare_files);
                allow(f, "allowed");
                start(f);
                drift(drift_table[i].what);
                fpath(p, drift_table[i].exec);
                if (run_scoped(&f->run, p, 0) != EPERM)
                        fail_msg("case %zu (%s, exec %s) was not refused", i, drift_table[i].what,
                                 drift_table[i].exec);
                expect_seen(f, drift_table[i].reason, NULL);
                assert_false(last_seen(f).gate_allow);
                teardown(f);
        }
}

/* Processes in no scope are answered at once, whatever they exec; after
 * its scope is removed the runner is foreign too. */
static void test_execgate_foreign_allowed(void **state)
{
        struct fixture *const f = &g_fix;
        char p[PATH_MAX];

        (void)state;
        setup(f, EXECGATE_SCOPE_TREE, prepare_files);
        start(f);
        copy("/usr/bin/true", "new", 0755);
        fpath(p, "new");
        assert_int_equal(run_foreign(p), 0);
        assert_int_equal(execgate_get_stats(f->gate)->foreign, 1);
        assert_int_equal(nseen(f), 0);         /* the judge never saw it */
        assert_int_equal(run_scoped(&f->run, p, 0), EPERM);
        teardown(f);

        setup(f, EXECGATE_SCOPE_TREE, prepare_files);
        execgate_remove_scope(f->gate, f->scope);
        start(f);
        copy("/usr/bin/true", "new", 0755);
        assert_int_equal(run_scoped(&f->run, p, 0), 0);
        assert_int_equal(execgate_get_stats(f->gate)->foreign, 1);
        teardown(f);
}

/* The judge has the last word (learn/monitor modes, path patterns). */
static void test_execgate_judge_overrides(void **state)
{
        struct fixture *const f = &g_fix;
        char p[PATH_MAX];

        (void)state;
        setup(f, EXECGATE_SCOPE_TREE, prepare_files);
        allow(f, "allowed");
        f->mode = JUDGE_ALLOW;
        start(f);
        copy("/usr/bin/true", "new", 0755);
        fpath(p, "new");
        assert_int_equal(run_scoped(&f->run, p, 0), 0);
        expect_seen(f, EXECGATE_CHANGED, "new");
        assert_false(last_seen(f).gate_allow);
        teardown(f);

        setup(f, EXECGATE_SCOPE_TREE, prepare_files);
        allow(f, "allowed");
        f->mode = JUDGE_DENY;
        start(f);
        fpath(p, "allowed");
        assert_int_equal(run_scoped(&f->run, p, 0), EPERM);
        expect_seen(f, EXECGATE_ALLOWLISTED, "allowed");
        teardown(f);
}

/* Nobody answers; closing the gate lets the waiting exec run: nothing on
 * the host waits for a dead agent. */
static void test_execgate_closed_gate_releases_exec(void **state)
{
        struct fixture *const f = &g_fix;
        char p[PATH_MAX];
        struct pollfd pfd;
        struct reply rp;

        (void)state;
        setup(f, EXECGATE_SCOPE_TREE, prepare_files);
        copy("/usr/bin/true", "new", 0755);
        fpath(p, "new");
        runner_send(&f->run, p, 0);
        pfd = (struct pollfd){ f->run.resp, POLLIN, 0 };
        assert_int_equal(poll(&pfd, 1, 300), 0);        /* held in the kernel */
        pfd.fd = execgate_fd(f->gate);
        assert_int_equal(poll(&pfd, 1, 0), 1);          /* the event is pending */
        f->gate = execgate_free(f->gate);
        pfd = (struct pollfd){ f->run.resp, POLLIN, 0 };
        assert_int_equal(poll(&pfd, 1, 5000), 1);
        rp = runner_wait(&f->run);
        assert_int_equal(rp.err, 0);
        assert_int_equal(rp.status, 0);
        teardown(f);
}

/* A container-like scope: a pid namespace, nested ones included; the host
 * (the test process's namespace) stays foreign. */
static void test_execgate_pidns_scope(void **state)
{
        struct fixture *const f = &g_fix;
        char p[PATH_MAX], q[PATH_MAX];

        (void)state;
        setup(f, EXECGATE_SCOPE_PIDNS, prepare_files);
        allow(f, "allowed");
        start(f);
        copy("/usr/bin/true", "new", 0755);
        fpath(p, "allowed");
        fpath(q, "new");
        assert_int_equal(run_scoped(&f->run, p, 0), 0);
        assert_int_equal(run_scoped(&f->run, q, 0), EPERM);
        assert_int_equal(run_scoped(&f->run, p, 1), 0);
        assert_int_equal(run_scoped(&f->run, q, 1), EPERM);
        expect_seen(f, EXECGATE_CHANGED, "new");
        assert_int_equal(run_foreign(q), 0);
        assert_int_equal(execgate_get_stats(f->gate)->foreign, 1);
        teardown(f);
}

static void test_execgate_bad_input(void **state)
{
        struct execgate *g = NULL;
        struct execgate_scope *s = NULL;
        int fd, memfd;
        pid_t dead;

        (void)state;
        assert_int_equal(execgate_new(NULL), -EINVAL);
        assert_null(execgate_free(NULL));
        assert_int_equal(execgate_process(NULL, NULL, NULL), -EINVAL);
        assert_int_equal(execgate_fd(NULL), -EINVAL);
        for (int r = EXECGATE_ALLOWLISTED; r <= EXECGATE_UNKNOWN + 1; r++)
                assert_non_null(execgate_reason_string((enum execgate_reason)r));
        assert_string_equal(execgate_reason_string(EXECGATE_CHANGED),
                            "file changed since supervision started");
        if (!g_ready)
                skip();
        assert_int_equal(execgate_new(&g), 0);
        assert_int_equal(execgate_add_scope(g, 0, getpid(), NULL, &s), -EINVAL);
        assert_int_equal(execgate_add_scope(g, EXECGATE_SCOPE_TREE, 0, NULL, &s), -EINVAL);
        assert_int_equal(execgate_add_scope(g, EXECGATE_SCOPE_PIDNS, getpid(), NULL, &s), -EINVAL);
        dead = fork();
        if (dead == 0)
                _exit(0);
        waitpid(dead, NULL, 0);
        assert_int_equal(execgate_add_scope(g, EXECGATE_SCOPE_TREE, dead, NULL, &s), -ESRCH);
        assert_null(s);
        assert_int_equal(execgate_add_scope(g, EXECGATE_SCOPE_TREE, getpid(), NULL, &s), 0);
        assert_int_equal(execgate_allow_file(s, -1), -EBADF);
        fd = open(g_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_int_equal(execgate_allow_file(s, fd), -EINVAL);
        assert_int_equal(execgate_allow_file(NULL, fd), -EINVAL);
        close(fd);
        memfd = memfd_create("x", MFD_CLOEXEC);
        assert_int_equal(execgate_allow_exec(s, AT_FDCWD, memfd), 1);  /* empty: no interpreter */
        close(memfd);
        execgate_remove_scope(g, s);
        execgate_remove_scope(g, NULL);
        assert_int_equal(execgate_process(g, NULL, NULL), 0);   /* nothing pending */
        assert_null(execgate_free(g));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_execgate_bad_input),
                cmocka_unit_test_teardown(test_execgate_allowlisted_runs, fixture_teardown),
                cmocka_unit_test_teardown(test_execgate_drift_refused, fixture_teardown),
                cmocka_unit_test_teardown(test_execgate_foreign_allowed, fixture_teardown),
                cmocka_unit_test_teardown(test_execgate_judge_overrides, fixture_teardown),
                cmocka_unit_test_teardown(test_execgate_closed_gate_releases_exec, fixture_teardown),
                cmocka_unit_test_teardown(test_execgate_pidns_scope, fixture_teardown),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
