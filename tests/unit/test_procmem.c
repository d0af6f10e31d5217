#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procmem.h"
#include "util.h"

static size_t page_size(void)
{
        return (size_t)sysconf(_SC_PAGESIZE);
}

/* A readable page followed by a hole. Not PROT_NONE: /proc/PID/mem reads
 * with FOLL_FORCE (unless proc_mem.force_override=never), so a PROT_NONE
 * page reads as its contents (zeroes); only an unmapped address faults. The
 * test is single-threaded, so nothing maps into the hole meanwhile. */
static char *guarded_page(void)
{
        size_t ps = page_size();
        char *p = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        assert_true(p != MAP_FAILED);
        assert_int_equal(munmap(p + ps, ps), 0);
        return p;
}

static void unmap_guarded(char *p)
{
        munmap(p, page_size());
}

static void test_procmem_open_bad_input(void **state)
{
        (void)state;
        assert_int_equal(procmem_open(0), -EINVAL);
        assert_int_equal(procmem_open(-1), -EINVAL);
}

static void test_procmem_read_self(void **state)
{
        static const char data[] = "some bytes\0with a NUL inside";
        char buf[sizeof(data)];
        cleanup_close int fd = procmem_open(getpid());

        (void)state;
        assert_true(fd >= 0);
        assert_int_equal(procmem_read(fd, (uintptr_t)data, buf, sizeof(buf)), 0);
        assert_memory_equal(buf, data, sizeof(data));
        /* len 0 reads nothing, even at an unmapped address. */
        assert_int_equal(procmem_read(fd, 0, buf, 0), 0);
}

static void test_procmem_read_bad_address(void **state)
{
        char buf[16];
        cleanup_close int fd = procmem_open(getpid());
        static const uint64_t addrs[] = {
                0,                      /* NULL page */
                UINT64_MAX - 3,         /* range wraps */
                UINT64_C(1) << 63,      /* negative as off_t */
                UINT64_C(0xffff800000000000),   /* kernel half */
        };

        (void)state;
        assert_true(fd >= 0);
        for (size_t i = 0; i < ARRAY_SIZE(addrs); i++) {
                assert_int_equal(procmem_read(fd, addrs[i], buf, sizeof(buf)), -EFAULT);
                assert_int_equal(procmem_read_string(fd, addrs[i], buf, sizeof(buf)),
                                 -EFAULT);
                assert_string_equal(buf, "");
        }
        assert_int_equal(procmem_read(-1, (uintptr_t)buf, buf, 1), -EBADF);
}

/* A read that starts in a readable page and runs into the guard page fails
 * as a whole: the caller asked for exactly len bytes. */
static void test_procmem_read_into_guard(void **state)
{
        size_t ps = page_size();
        char *p = guarded_page();
        char buf[32];
        cleanup_close int fd = procmem_open(getpid());

        (void)state;
        assert_true(fd >= 0);
        memset(p, 'a', ps);
        assert_int_equal(procmem_read(fd, (uintptr_t)(p + ps - 16), buf, 16), 0);
        assert_int_equal(procmem_read(fd, (uintptr_t)(p + ps - 16), buf, 17), -EFAULT);
        unmap_guarded(p);
}

static const struct {
        const char *s;
        size_t cap;
        int expect;
} string_table[] = {
        { "hello", 6, 5 },              /* exactly fits */
        { "hello", 5, -ENAMETOOLONG },  /* no room for the NUL */
        { "hello", 4096, 5 },
        { "", 1, 0 },
        { "a", 1, -ENAMETOOLONG },
        { "/usr/bin/env", 2, -ENAMETOOLONG },
};

static void test_procmem_read_string_lengths(void **state)
{
        cleanup_close int fd = procmem_open(getpid());
        char buf[4096];

        (void)state;
        assert_true(fd >= 0);
        for (size_t i = 0; i < ARRAY_SIZE(string_table); i++) {
                int r = procmem_read_string(fd, (uintptr_t)string_table[i].s, buf,
                                            string_table[i].cap);

                assert_int_equal(r, string_table[i].expect);
                if (r >= 0)
                        assert_string_equal(buf, string_table[i].s);
                else
                        assert_string_equal(buf, "");
        }
        assert_int_equal(procmem_read_string(fd, (uintptr_t)"x", buf, 0), -EINVAL);
        assert_int_equal(procmem_read_string(fd, (uintptr_t)"x", NULL, 4), -EINVAL);
}

/* A string ending in the last bytes before an unmapped page is read: the
 * reader never asks for bytes of the next page. */
static void test_procmem_read_string_before_guard(void **state)
{
        size_t ps = page_size();
        char *p = guarded_page();
        char buf[8192];
        cleanup_close int fd = procmem_open(getpid());

        (void)state;
        assert_true(fd >= 0);
        memcpy(p + ps - 4, "abc", 4);
        assert_int_equal(procmem_read_string(fd, (uintptr_t)(p + ps - 4), buf, sizeof(buf)), 3);
        assert_string_equal(buf, "abc");
        /* The empty string in the very last byte. */
        p[ps - 1] = '\0';
        assert_int_equal(procmem_read_string(fd, (uintptr_t)(p + ps - 1), buf, sizeof(buf)), 0);
        /* A page-long string whose NUL is the page's last byte. */
        memset(p, 'x', ps - 1);
        p[ps - 1] = '\0';
        assert_int_equal(procmem_read_string(fd, (uintptr_t)p, buf, sizeof(buf)), (int)ps - 1);
        assert_int_equal(strlen(buf), ps - 1);
        unmap_guarded(p);
}

/* No NUL before the guard page: -EFAULT if cap reaches into it,
 * -ENAMETOOLONG if cap ends before it. */
static void test_procmem_read_string_unterminated(void **state)
{
        size_t ps = page_size();
        char *p = guarded_page();
        char buf[8192];
        cleanup_close int fd = procmem_open(getpid());

        (void)state;
        assert_true(fd >= 0);
        memset(p, 'x', ps);
        assert_int_equal(procmem_read_string(fd, (uintptr_t)p, buf, sizeof(buf)), -EFAULT);
        assert_int_equal(procmem_read_string(fd, (uintptr_t)p, buf, ps + 1), -EFAULT);
        assert_int_equal(procmem_read_string(fd, (uintptr_t)p, buf, ps), -ENAMETOOLONG);
        assert_int_equal(procmem_read_string(fd, (uintptr_t)(p + ps - 10), buf, 100), -EFAULT);
        assert_int_equal(procmem_read_string(fd, (uintptr_t)(p + ps - 10), buf, 10),
                         -ENAMETOOLONG);
        unmap_guarded(p);
}

/* A string that crosses a page boundary where both pages are readable. */
static void test_procmem_read_string_across_pages(void **state)
{
        size_t ps = page_size();
        char *p = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        char buf[4096];
        cleanup_close int fd = procmem_open(getpid());

        (void)state;
        assert_true(p != MAP_FAILED);
        assert_true(fd >= 0);
        memset(p, 'y', 2 * ps);
        p[ps + 99] = '\0';
        assert_int_equal(procmem_read_string(fd, (uintptr_t)(p + ps - 100), buf, sizeof(buf)),
                         199);
        assert_int_equal(strspn(buf, "y"), 199);
        munmap(p, 2 * ps);
}

static char child_string[64] = "parent's copy";

/* The child rewrites its copy-on-write copy of child_string; reading the
 * same address through the child's mem file yields the child's bytes. */
static void test_procmem_read_child(void **state)
{
        int pipefd[2];
        char buf[64];
        pid_t pid;
        int status;

        (void)state;
        assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                strcpy(child_string, "the child's string");
                if (write(pipefd[1], "x", 1) != 1)
                        _exit(1);
                for (;;)
                        pause();
        }
        close(pipefd[1]);
        assert_int_equal(read(pipefd[0], buf, 1), 1);
        close(pipefd[0]);
        {
                cleanup_close int fd = procmem_open(pid);

                assert_true(fd >= 0);
                assert_int_equal(procmem_read_string(fd, (uintptr_t)child_string, buf,
                                                     sizeof(buf)),
                                 (int)strlen("the child's string"));
                assert_string_equal(buf, "the child's string");
                assert_string_equal(child_string, "parent's copy");

                /* Dead but not reaped: the fd stays open, the address space
                 * is gone. */
                assert_int_equal(kill(pid, SIGKILL), 0);
                assert_int_equal(waitid(P_PID, (id_t)pid, NULL, WEXITED | WNOWAIT), 0);
                assert_int_equal(procmem_read_string(fd, (uintptr_t)child_string, buf,
                                                     sizeof(buf)), -ESRCH);
                assert_int_equal(procmem_read(fd, (uintptr_t)child_string, buf, 1), -ESRCH);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
}

static void test_procmem_dead_process(void **state)
{
        pid_t pid;
        int status;

        (void)state;
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(0);
        /* A zombie still has a /proc entry; its mem file reads as empty. */
        assert_int_equal(waitid(P_PID, (id_t)pid, NULL, WEXITED | WNOWAIT), 0);
        {
                cleanup_close int fd = procmem_open(pid);
                char buf[8];

                if (fd >= 0)
                        assert_int_equal(procmem_read(fd, (uintptr_t)buf, buf, 1), -ESRCH);
                else
                        assert_int_equal(fd, -ESRCH);
        }
        /* Reaped: the /proc entry is gone (unless the pid was reused in
         * between, which a test machine does not do in microseconds). */
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_int_equal(procmem_open(pid), -ENOENT);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_procmem_open_bad_input),
                cmocka_unit_test(test_procmem_read_self),
                cmocka_unit_test(test_procmem_read_bad_address),
                cmocka_unit_test(test_procmem_read_into_guard),
                cmocka_unit_test(test_procmem_read_string_lengths),
                cmocka_unit_test(test_procmem_read_string_before_guard),
                cmocka_unit_test(test_procmem_read_string_unterminated),
                cmocka_unit_test(test_procmem_read_string_across_pages),
                cmocka_unit_test(test_procmem_read_child),
                cmocka_unit_test(test_procmem_dead_process),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
