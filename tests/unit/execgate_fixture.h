/* Shared by test_execgate.c and test_execgate_mark.c (include after
 * cmocka.h): a runner process tree to supervise, a gate with a loop thread
 * and a recording judge, and a private tmpfs. */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "execgate.h"
#include "util.h"

/* Every test runs in a private mount namespace with a private tmpfs at
 * g_dir: filesystem marks on it judge only this test's processes. One test
 * (foreign_host_execs_pass) marks the host's root filesystem on purpose.
 * Nothing may outlive the binary holding a gate: every child closes the
 * descriptors it does not need (a leaked copy of a gate fd would hold
 * execs forever, see execgate.h) and dies with its parent; an alarm kills
 * the binary if anything hangs, and the kernel then allows what waits. */
static const char g_dir[] = "/tmp/execgate-test";
static bool g_ready;

/* In a forked child: close every fd >= 3 but a and b; die with the parent. */
static inline void child_init(int a, int b, pid_t parent)
{
        int lo = a < b ? a : b, hi = a < b ? b : a;

        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                _exit(99);
        if (lo > 3)
                close_range(3, (unsigned)lo - 1, 0);
        if (hi > lo + 1)
                close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
        close_range((unsigned)hi + 1, ~0U, 0);
}

/* ---- a runner: the supervised process tree -------------------------- */

struct request {
        char path[256];
        int nested;             /* exec from a nested pid namespace */
};

struct reply {
        int err;                /* execve's errno, 0 if it succeeded */
        int status;             /* exit status of the program */
};

struct runner {
        pid_t pid;              /* the process to kill at the end */
        pid_t anchor;           /* the scope's pid: the runner or its pid-ns init */
        int req, resp;
};

/* Only async-signal-safe calls from here on: the test is multi-threaded. */
static inline void exec_child(struct request *rq, int errpipe)
{
        char *argv[] = { rq->path, NULL }, *envp[] = { NULL };
        int e, nul = open("/dev/null", O_WRONLY | O_CLOEXEC);

        if (nul >= 0)
                dup2(nul, STDOUT_FILENO);      /* id's output is not the test's */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                _exit(123);

        if (rq->nested) {
                pid_t c;
                int st;

                if (unshare(CLONE_NEWPID) < 0)
                        _exit(125);
                c = fork();
                if (c < 0)
                        _exit(126);
                if (c > 0) {
                        waitpid(c, &st, 0);
                        _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128);
                }
        }
        execve(rq->path, argv, envp);
        e = errno;
        if (write(errpipe, &e, sizeof(e)) < 0)
                _exit(124);
        _exit(127);
}

static inline void serve(int req, int resp)
{
        struct request rq;

        while (read(req, &rq, sizeof(rq)) == (ssize_t)sizeof(rq)) {
                struct reply rp = { 0, 0 };
                int ep[2], st = 0, e = 0;
                pid_t w;

                if (pipe2(ep, O_CLOEXEC) < 0)
                        _exit(120);
                w = fork();
                if (w == 0) {
                        close(ep[0]);
                        exec_child(&rq, ep[1]);
                }
                close(ep[1]);
                if (read(ep[0], &e, sizeof(e)) == (ssize_t)sizeof(e))
                        rp.err = e;
                close(ep[0]);
                waitpid(w, &st, 0);
                rp.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
                if (write(resp, &rp, sizeof(rp)) < 0)
                        _exit(121);
        }
        _exit(0);
}

static inline void runner_start(struct runner *r, enum execgate_scope_kind kind)
{
        pid_t parent = getpid();
        int req[2], resp[2];

        assert_int_equal(pipe2(req, O_CLOEXEC), 0);
        assert_int_equal(pipe2(resp, O_CLOEXEC), 0);
        r->pid = fork();
        assert_true(r->pid >= 0);
        if (r->pid == 0) {
                pid_t self;

                child_init(req[0], resp[1], parent);
                self = getpid();
                if (kind == EXECGATE_SCOPE_TREE) {
                        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0 ||
                            write(resp[1], &self, sizeof(self)) < 0)
                                _exit(1);
                        serve(req[0], resp[1]);
                }
                if (unshare(CLONE_NEWPID) < 0)
                        _exit(1);
                self = fork();          /* pid 1 of the new namespace */
                if (self == 0) {
                        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                                _exit(1);
                        serve(req[0], resp[1]);
                }
                if (self < 0 || write(resp[1], &self, sizeof(self)) < 0)
                        _exit(1);
                waitpid(self, NULL, 0);
                _exit(0);
        }
        close(req[0]);
        close(resp[1]);
        r->req = req[1];
        r->resp = resp[0];
        assert_int_equal(read(r->resp, &r->anchor, sizeof(r->anchor)), sizeof(r->anchor));
}

static inline void runner_stop(struct runner *r)
{
        close(r->req);
        close(r->resp);
        kill(r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0);
}

static inline void runner_send(const struct runner *r, const char *path, int nested)
{
        struct request rq = { .nested = nested };

        assert_true(strlen(path) < sizeof(rq.path));
        memcpy(rq.path, path, strlen(path) + 1);
        assert_int_equal(write(r->req, &rq, sizeof(rq)), sizeof(rq));
}

static inline struct reply runner_wait(const struct runner *r)
{
        struct reply rp;

        assert_int_equal(read(r->resp, &rp, sizeof(rp)), sizeof(rp));
        return rp;
}

/* Execs path in the scope: 0 if it ran and exited 0, else execve's errno
 * (or 1000 + a non-zero exit status). */
static inline int run_scoped(const struct runner *r, const char *path, int nested)
{
        struct reply rp;

        runner_send(r, path, nested);
        rp = runner_wait(r);
        return rp.err ? rp.err : rp.status ? 1000 + rp.status : 0;
}

/* The same from a child of the test process: not in any scope. */
static inline int run_foreign(const char *path)
{
        struct request rq = { .nested = 0 };
        pid_t c, parent = getpid();
        int ep[2], e = 0, st = 0;

        assert_true(strlen(path) < sizeof(rq.path));
        memcpy(rq.path, path, strlen(path) + 1);
        assert_int_equal(pipe2(ep, O_CLOEXEC), 0);
        c = fork();
        assert_true(c >= 0);
        if (c == 0) {
                child_init(ep[1], ep[1], parent);      /* no copy of a gate fd */
                exec_child(&rq, ep[1]);
        }
        close(ep[1]);
        if (read(ep[0], &e, sizeof(e)) != (ssize_t)sizeof(e))
                e = 0;
        close(ep[0]);
        assert_int_equal(waitpid(c, &st, 0), c);
        return e ? e : WEXITSTATUS(st) ? 1000 + WEXITSTATUS(st) : 0;
}

/* ---- the gate's loop thread and judge ---------------------------------- */

enum judge_mode { JUDGE_KEEP, JUDGE_ALLOW, JUDGE_DENY };

struct seen {
        enum execgate_reason reason;
        bool gate_allow;
        bool cookie_ok;
        char path[PATH_MAX];
};

struct fixture {
        struct runner run;
        struct execgate *gate;
        struct execgate_scope *scope;
        pthread_t thread;
        bool running;
        int stopfd;
        enum judge_mode mode;
        struct seen seen[64];
        size_t nseen;
};

/* One fixture, global: cmocka's teardown cleans it up even after a failed
 * assertion left a loop thread and a runner behind. */
static struct fixture g_fix = { .stopfd = -1 };
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static inline bool judge(void *ctx, const struct execgate_exec *ex)
{
        struct fixture *f = ctx;
        char *path = NULL;

        pthread_mutex_lock(&g_lock);
        if (f->nseen < ARRAY_SIZE(f->seen)) {
                struct seen *s = &f->seen[f->nseen++];

                s->reason = ex->reason;
                s->gate_allow = ex->allow;
                s->cookie_ok = ex->cookie == f;
                if (execgate_exec_path(ex, &path) == 0)
                        snprintf(s->path, sizeof(s->path), "%s", path);
                else
                        s->path[0] = '\0';
        }
        pthread_mutex_unlock(&g_lock);
        free(path);
        return f->mode == JUDGE_KEEP ? ex->allow : f->mode == JUDGE_ALLOW;
}

static inline void *loop(void *arg)
{
        struct fixture *f = arg;

        for (;;) {
                struct pollfd p[2] = { { execgate_fd(f->gate), POLLIN, 0 }, { f->stopfd, POLLIN, 0 } };

                if (poll(p, 2, -1) < 0 && errno != EINTR)
                        break;
                if (p[1].revents)
                        break;
                if (p[0].revents & POLLIN && execgate_process(f->gate, judge, f) < 0)
                        break;
        }
        return NULL;
}

/* Coarse clock tick: files prepared before a scope must be older than it. */
static inline void next_tick(void)
{
        struct timespec res;

        assert_int_equal(clock_getres(CLOCK_REALTIME_COARSE, &res), 0);
        res.tv_nsec = res.tv_nsec * 2 + 1000000;
        nanosleep(&res, NULL);
}

static inline void fpath(char *buf, const char *name)
{
        snprintf(buf, PATH_MAX, "%s/%s", g_dir, name);
}

static inline void copy(const char *src, const char *name, mode_t mode)
{
        char dst[PATH_MAX], buf[65536];
        int in = open(src, O_RDONLY | O_CLOEXEC), out;
        ssize_t n;

        fpath(dst, name);
        unlink(dst);
        out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        assert_true(in >= 0 && out >= 0);
        while ((n = read(in, buf, sizeof(buf))) > 0)
                assert_int_equal(write(out, buf, (size_t)n), n);
        close(in);
        close(out);
        assert_int_equal(chmod(dst, mode), 0);
}

static inline void allow(struct fixture *f, const char *name)
{
        char p[PATH_MAX];
        int fd;

        fpath(p, name);
        fd = open(p, O_PATH | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(execgate_allow_file(f->scope, fd), 0);
        close(fd);
}

static inline void teardown(struct fixture *f)
{
        if (f->running) {
                assert_int_equal(eventfd_write(f->stopfd, 1), 0);
                pthread_join(f->thread, NULL);
        }
        if (f->stopfd >= 0)
                close(f->stopfd);
        if (f->run.pid > 0)
                runner_stop(&f->run);
        execgate_free(f->gate);
        memset(f, 0, sizeof(*f));
        f->stopfd = -1;
}

static inline int fixture_teardown(void **state)
{
        (void)state;
        teardown(&g_fix);
        return 0;
}

/* A gate on the test tmpfs (filesystem mark) with a scope for a fresh
 * runner; prepare() creates the files that predate supervision. */
static inline void setup_gate(struct fixture *f, enum execgate_scope_kind kind, void (*prepare)(void),
                       bool mark_tmpfs)
{
        int fd;

        if (!g_ready)
                skip();
        teardown(f);
        runner_start(&f->run, kind);    /* before the gate: it holds no copy of the fd */
        if (prepare)
                prepare();
        next_tick();
        assert_int_equal(execgate_new(&f->gate), 0);
        if (mark_tmpfs) {
                fd = open(g_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
                assert_true(fd >= 0);
                assert_int_equal(execgate_mark_fd(f->gate, fd, 0), 0);
                close(fd);
        }
        assert_int_equal(execgate_add_scope(f->gate, kind, f->run.anchor, f, &f->scope), 0);
        f->stopfd = eventfd(0, EFD_CLOEXEC);
        assert_true(f->stopfd >= 0);
}

static inline void setup(struct fixture *f, enum execgate_scope_kind kind, void (*prepare)(void))
{
        setup_gate(f, kind, prepare, true);
}

static inline void start(struct fixture *f)
{
        assert_int_equal(pthread_create(&f->thread, NULL, loop, f), 0);
        f->running = true;
}

static inline size_t nseen(struct fixture *f)
{
        size_t n;

        pthread_mutex_lock(&g_lock);
        n = f->nseen;
        pthread_mutex_unlock(&g_lock);
        return n;
}

static inline struct seen last_seen(struct fixture *f)
{
        struct seen s;

        pthread_mutex_lock(&g_lock);
        assert_true(f->nseen > 0);
        s = f->seen[f->nseen - 1];
        pthread_mutex_unlock(&g_lock);
        return s;
}

static inline void expect_seen(struct fixture *f, enum execgate_reason reason, const char *name)
{
        struct seen s = last_seen(f);
        char p[PATH_MAX];

        assert_int_equal(s.reason, reason);
        assert_true(s.cookie_ok);
        if (name) {
                fpath(p, name);
                assert_string_equal(s.path, p);
        }
}

static inline void prepare_files(void)
{
        static const char *const leftovers[] = { "new", "alias", "tmp-link", "script" };
        char p[PATH_MAX];

        for (size_t i = 0; i < ARRAY_SIZE(leftovers); i++) {
                fpath(p, leftovers[i]);
                unlink(p);
        }
        copy("/usr/bin/true", "allowed", 0755);
        copy("/usr/bin/true", "other", 0755);           /* old, not allowlisted */
        copy("/usr/bin/true", "plain", 0644);           /* old, not executable */
}

static inline int group_setup(void **state)
{
        (void)state;
        if (geteuid() != 0) {
                fprintf(stderr, "test_execgate: needs root (fanotify permission events)\n");
                return 0;
        }
        alarm(120);     /* a hang kills us; the kernel then allows what waits */
        /* A tmpfs over /tmp, in this namespace only: nothing is left on the
         * host, even when the alarm kills us. */
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("execgate-tmp", "/tmp", "tmpfs", 0, "mode=1777") < 0 || mkdir(g_dir, 0755) < 0 ||
            mount("execgate-test", g_dir, "tmpfs", 0, "mode=0755") < 0) {
                fprintf(stderr, "test_execgate: cannot set up a private tmpfs: %s\n", strerror(errno));
                return -1;
        }
        g_ready = true;
        return 0;
}

static inline int group_teardown(void **state)
{
        (void)state;
        return 0;       /* the mounts go with the namespace */
}
