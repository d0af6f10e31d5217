#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "filter.h"
#include "notify.h"
#include "unixsock.h"
#include "util.h"

/* Only reached when a test fails; no assertion depends on timing. */
#define TIMEOUT_MS 10000

struct result {
        long ret;
        int err;
        int signals;    /* SIGUSR1 handlers run in the child */
};

static struct {
        pid_t pid;
        int sock;
        int listener;
} g_child = { -1, -1, -1 };

static volatile sig_atomic_t child_signals;

static void on_sigusr1(int sig)
{
        (void)sig;
        child_signals++;
}

static void child_report(int sock, long ret)
{
        struct result res = { .ret = ret, .err = ret < 0 ? errno : 0, .signals = child_signals };

        if (write(sock, &res, sizeof(res)) != (ssize_t)sizeof(res))
                _exit(4);
}

/* Blocks until the parent writes a byte: an idle target. */
static void child_wait(int sock)
{
        char c;

        if (read(sock, &c, 1) != 1)
                _exit(5);
}

/* A child under the default filter that sends its listener over a socketpair
 * (SCM_RIGHTS), closes its copy and runs body. */
static void child_start(void (*body)(int sock))
{
        struct filter_spec spec = { .mode = FILTER_ENFORCE, .notify_reads = false };
        struct sock_fprog *prog = NULL;
        int sv[2], fd;
        struct pollfd p;

        assert_int_equal(filter_build(&spec, &prog), 0);
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        g_child.pid = fork();
        assert_true(g_child.pid >= 0);
        if (g_child.pid == 0) {
                struct sigaction sa = { .sa_handler = on_sigusr1 };     /* no SA_RESTART */

                sigaction(SIGUSR1, &sa, NULL);
                close(sv[0]);
                fd = filter_install(prog);
                if (fd < 0 || unixsock_send_fd(sv[1], fd) < 0)
                        _exit(3);
                close(fd);
                body(sv[1]);
                _exit(0);
        }
        filter_prog_free(prog);
        close(sv[1]);
        g_child.sock = sv[0];
        p = (struct pollfd) { .fd = sv[0], .events = POLLIN };
        assert_int_equal(poll(&p, 1, TIMEOUT_MS), 1);
        fd = unixsock_recv_fd(sv[0]);
        assert_true(fd >= 0);
        g_child.listener = fd;
}

static void wait_readable(int fd)
{
        struct pollfd p = { .fd = fd, .events = POLLIN };

        assert_int_equal(poll(&p, 1, TIMEOUT_MS), 1);
        assert_true(p.revents & POLLIN);
}

static void expect_result(struct result *res)
{
        wait_readable(g_child.sock);
        assert_int_equal(recv(g_child.sock, res, sizeof(*res), 0), sizeof(*res));
}

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
        g_child.pid = g_child.sock = g_child.listener = -1;
        return 0;
}

static void child_finish(void)
{
        int status;

        assert_int_equal(waitpid(g_child.pid, &status, 0), g_child.pid);
        g_child.pid = -1;
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static void on_alarm(int sig)
{
        (void)sig;
}

/* Arms a one-shot SIGALRM (no SA_RESTART) that interrupts a blocking call. */
static void alarm_in_ms(long ms)
{
        struct sigaction sa = { .sa_handler = on_alarm };
        struct itimerval it = { .it_value = { ms / 1000, (ms % 1000) * 1000 } };

        assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
        assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
}

static void alarm_off(void)
{
        struct itimerval it = { 0 };

        setitimer(ITIMER_REAL, &it, NULL);
}

static bool kernel_at_least(int major, int minor)
{
        struct utsname u;
        int ma = 0, mi = 0;

        if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
                return false;
        return ma > major || (ma == major && mi >= minor);
}

/* ---- tests --------------------------------------------------------------- */

static void test_notify_sizes(void **state)
{
        struct notify_sizes a, b;
        struct seccomp_notif *req;

        (void)state;
        assert_int_equal(notify_get_sizes(&a), 0);
        assert_true(a.notif >= sizeof(struct seccomp_notif));
        assert_true(a.resp >= sizeof(struct seccomp_notif_resp));
        assert_int_equal(notify_get_sizes(&b), 0);      /* cached, same answer */
        assert_int_equal(a.notif, b.notif);
        assert_int_equal(a.resp, b.resp);

        req = notify_alloc_req();
        assert_non_null(req);
        for (size_t i = 0; i < a.notif; i++)
                assert_int_equal(((unsigned char *)req)[i], 0);
        free(req);
}

static void test_notify_bad_input(void **state)
{
        cleanup_free struct seccomp_notif *req = notify_alloc_req();
        cleanup_close int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        static const int bad_errnos[] = { 0, -1, -EPERM, 4096, 100000 };

        (void)state;
        assert_non_null(req);
        assert_true(devnull >= 0);
        for (size_t i = 0; i < ARRAY_SIZE(bad_errnos); i++)
                assert_int_equal(notify_respond_errno(devnull, 1, bad_errnos[i]), -EINVAL);
        assert_int_equal(notify_recv(-1, req), -EBADF);
        assert_int_equal(notify_recv(devnull, NULL), -EINVAL);
        /* Not a listener. */
        assert_int_equal(notify_recv(devnull, req), -ENOTTY);
        assert_int_equal(notify_id_valid(devnull, 1), -ENOTTY);
        assert_int_equal(notify_respond_continue(devnull, 1), -ENOTTY);
        assert_int_equal(notify_respond_value(devnull, 1, 0), -ENOTTY);
        assert_int_equal(notify_respond_errno(devnull, 1, EPERM), -ENOTTY);
        assert_int_equal(notify_set_sync_wakeup(devnull), -ENOTTY);
        assert_int_equal(notify_addfd(devnull, 1, -1, 0, true), -EINVAL);
        assert_int_equal(notify_addfd(devnull, 1, devnull, O_NONBLOCK, true), -EINVAL);
        assert_int_equal(notify_addfd(devnull, 1, devnull, 0, false), -ENOTTY);
}

static void body_mkdir_twice(int sock)
{
        child_report(sock, syscall(SYS_mkdir, "/nonexistent/driftlock", 0700));
        child_report(sock, syscall(SYS_mkdir, "/nonexistent/driftlock", 0700));
}

/* An emulated call: the target sees the value the supervisor chose. */
static void test_notify_respond_value(void **state)
{
        cleanup_free struct seccomp_notif *req = notify_alloc_req();
        struct result res;

        (void)state;
        assert_non_null(req);
        child_start(body_mkdir_twice);
        wait_readable(g_child.listener);
        assert_int_equal(notify_recv(g_child.listener, req), 0);
        assert_int_equal(req->data.nr, SYS_mkdir);
        assert_int_equal(notify_id_valid(g_child.listener, req->id), 0);
        assert_int_equal(notify_respond_value(g_child.listener, req->id, 42), 0);
        expect_result(&res);
        assert_int_equal(res.ret, 42);

        /* Any errno travels as is. */
        wait_readable(g_child.listener);
        assert_int_equal(notify_recv(g_child.listener, req), 0);
        assert_int_equal(notify_respond_errno(g_child.listener, req->id, 4095), 0);
        expect_result(&res);
        assert_int_equal(res.ret, -1);
        assert_int_equal(res.err, 4095);
        child_finish();
}

static void body_mkdir_once(int sock)
{
        child_report(sock, syscall(SYS_mkdir, "/nonexistent/driftlock", 0700));
}

/* The target dies while its call waits for us: every answer is -ENOENT,
 * and (6.6+) RECV on the orphaned listener returns -ENOENT instead of
 * blocking. */
static void test_notify_target_killed(void **state)
{
        cleanup_free struct seccomp_notif *req = notify_alloc_req();
        struct pollfd p;
        int status, r;

        (void)state;
        assert_non_null(req);
        child_start(body_mkdir_once);
        wait_readable(g_child.listener);
        assert_int_equal(notify_recv(g_child.listener, req), 0);
        assert_int_equal(kill(g_child.pid, SIGKILL), 0);
        assert_int_equal(waitpid(g_child.pid, &status, 0), g_child.pid);
        g_child.pid = -1;
        assert_true(WIFSIGNALED(status));

        assert_int_equal(notify_id_valid(g_child.listener, req->id), -ENOENT);
        assert_int_equal(notify_respond_continue(g_child.listener, req->id), -ENOENT);
        assert_int_equal(notify_respond_errno(g_child.listener, req->id, EPERM), -ENOENT);
        assert_int_equal(notify_respond_value(g_child.listener, req->id, 0), -ENOENT);
        assert_int_equal(notify_addfd(g_child.listener, req->id, g_child.sock, 0, true), -ENOENT);

        /* No task uses the filter any more: POLLHUP (5.8+). */
        p = (struct pollfd) { .fd = g_child.listener, .events = POLLIN };
        assert_int_equal(poll(&p, 1, TIMEOUT_MS), 1);
        assert_true(p.revents & POLLHUP);
        if (kernel_at_least(6, 6)) {
                alarm_in_ms(TIMEOUT_MS);
                r = notify_recv(g_child.listener, req);
                alarm_off();
                assert_int_equal(r, -ENOENT);
        }
}

static void body_idle_then_mkdir(int sock)
{
        child_wait(sock);
        child_report(sock, syscall(SYS_mkdir, "/nonexistent/driftlock", 0700));
}

/* RECV ignores O_NONBLOCK: with nothing pending it waits (here until our
 * own signal: -EINTR). The supervisor must poll first. */
static void test_notify_recv_ignores_nonblock(void **state)
{
        cleanup_free struct seccomp_notif *req = notify_alloc_req();
        struct result res;
        int r;

        (void)state;
        assert_non_null(req);
        child_start(body_idle_then_mkdir);
        assert_int_equal(fcntl(g_child.listener, F_SETFL, O_NONBLOCK), 0);
        alarm_in_ms(200);
        r = notify_recv(g_child.listener, req);
        alarm_off();
        assert_int_equal(r, -EINTR);

        /* The fd still works normally afterwards. */
        assert_int_equal(write(g_child.sock, "g", 1), 1);
        wait_readable(g_child.listener);
        assert_int_equal(notify_recv(g_child.listener, req), 0);
        assert_int_equal(notify_respond_errno(g_child.listener, req->id, EROFS), 0);
        expect_result(&res);
        assert_int_equal(res.err, EROFS);
        child_finish();
}

/* With WAIT_KILLABLE_RECV (5.19) a received call is not interrupted by a
 * non-fatal signal: the id stays valid and the target gets our answer. */
static void test_notify_received_call_survives_signal(void **state)
{
        cleanup_free struct seccomp_notif *req = notify_alloc_req();
        struct result res;

        (void)state;
        if (!kernel_at_least(5, 19))
                skip();
        assert_non_null(req);
        child_start(body_mkdir_once);
        wait_readable(g_child.listener);
        assert_int_equal(notify_recv(g_child.listener, req), 0);
        assert_int_equal(kill(g_child.pid, SIGUSR1), 0);
        /* Give an interruptible wait every chance to be interrupted; the
         * assertions below hold however long this takes. */
        usleep(50 * 1000);
        assert_int_equal(notify_id_valid(g_child.listener, req->id), 0);
        assert_int_equal(notify_respond_value(g_child.listener, req->id, 7), 0);
        expect_result(&res);
        assert_int_equal(res.ret, 7);
        assert_int_equal(res.signals, 1);       /* delivered after the call */
        child_finish();
}

static void test_notify_sync_wakeup(void **state)
{
        int r;

        (void)state;
        child_start(body_mkdir_once);
        r = notify_set_sync_wakeup(g_child.listener);
        if (kernel_at_least(6, 6))
                assert_int_equal(r, 0);
        else
                assert_true(r == -EINVAL || r == -ENOTTY);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_notify_sizes),
                cmocka_unit_test(test_notify_bad_input),
                cmocka_unit_test_teardown(test_notify_respond_value, child_teardown),
                cmocka_unit_test_teardown(test_notify_target_killed, child_teardown),
                cmocka_unit_test_teardown(test_notify_recv_ignores_nonblock, child_teardown),
                cmocka_unit_test_teardown(test_notify_received_call_survives_signal,
                                          child_teardown),
                cmocka_unit_test_teardown(test_notify_sync_wakeup, child_teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
