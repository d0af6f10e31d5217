#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "readall.h"
#include "tmpdir_fixture.h"
#include "util.h"

#define T(s) s, sizeof(s) - 1

static const struct {
        const char *content;
        size_t len, max;
        int r;
} limit_cases[] = {
        { T("abc"), 3, 0 },
        { T("abc"), 4, 0 },
        { T("abc"), 2, -EFBIG },
        { T(""), 0, 0 },
        { T("a"), 0, -EFBIG },
        { T("a\0b\n"), 4, 0 },
        { T("abc"), READALL_MAX, 0 },
        { T("abc"), READALL_MAX + 1, -EINVAL },
        { T("abc"), SIZE_MAX, -EINVAL },
};

/* Checks one read's result against limit_cases[i]; on failure nothing
 * was handed out. */
static void check_case(size_t i, int r, char *text, size_t len)
{
        if (r != limit_cases[i].r)
                fail_msg("case %zu: %d, expected %d", i, r, limit_cases[i].r);
        if (r < 0) {
                assert_string_equal(text, "untouched");
                assert_int_equal(len, 12345);
                return;
        }
        assert_int_equal(len, limit_cases[i].len);
        assert_memory_equal(text, limit_cases[i].content, len);
        assert_int_equal(text[len], '\0');
        free(text);
}

static void test_readall_at_limits(void **state)
{
        static char untouched[] = "untouched";

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(limit_cases); i++) {
                const char *path = write_file("f", limit_cases[i].content, limit_cases[i].len);
                char *text = untouched;
                size_t len = 12345;

                int r = readall_at(AT_FDCWD, path, limit_cases[i].max, &text, &len);

                check_case(i, r, text, len);
        }
}

/* The same limits on a pipe, whose size nothing tells in advance. */
static void test_readall_fd_limits(void **state)
{
        static char untouched[] = "untouched";

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(limit_cases); i++) {
                char *text = untouched;
                size_t len = 12345;
                int fds[2], r;

                assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
                assert_int_equal(write(fds[1], limit_cases[i].content, limit_cases[i].len),
                                 (ssize_t)limit_cases[i].len);
                close(fds[1]);
                r = readall_fd(fds[0], limit_cases[i].max, &text, &len);
                close(fds[0]);
                check_case(i, r, text, len);
        }
}

/* A stream longer than several buffers, written while it is read: all of
 * it arrives, and one byte more than the limit is refused. */
static void test_readall_fd_long_stream(void **state)
{
        enum { SIZE = 300000 };
        char *text = NULL;
        size_t len = 0;

        (void)state;
        for (size_t max = SIZE; max >= SIZE - 1; max--) {
                int fds[2];
                pid_t pid;
                int status;

                assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
                pid = fork();
                assert_true(pid >= 0);
                if (pid == 0) {
                        static char chunk[1000];

                        close(fds[0]);
                        for (size_t i = 0; i < SIZE / sizeof(chunk); i++) {
                                memset(chunk, 'a' + (int)(i % 26), sizeof(chunk));
                                if (write(fds[1], chunk, sizeof(chunk)) != sizeof(chunk))
                                        _exit(1);
                        }
                        _exit(0);
                }
                close(fds[1]);
                if (max == SIZE) {
                        assert_int_equal(readall_fd(fds[0], max, &text, &len), 0);
                        assert_int_equal(len, SIZE);
                        assert_int_equal(text[0], 'a');
                        assert_int_equal(text[SIZE - 1], 'a' + (SIZE / 1000 - 1) % 26);
                        free(text);
                } else {
                        assert_int_equal(readall_fd(fds[0], max, &text, &len), -EFBIG);
                }
                close(fds[0]);
                assert_int_equal(waitpid(pid, &status, 0), pid);
        }
}

static void test_readall_at_not_regular(void **state)
{
        char *text = NULL;
        size_t len = 0;

        (void)state;
        assert_int_equal(readall_at(AT_FDCWD, tmppath("absent"), 100, &text, &len), -ENOENT);
        assert_int_equal(readall_at(AT_FDCWD, tmpdir, 100, &text, &len), -EISDIR);
        assert_int_equal(readall_at(AT_FDCWD, "/dev/null", 100, &text, &len), -EINVAL);
        /* A FIFO without a writer: refused at once, not waited on. */
        assert_int_equal(mkfifo(tmppath("fifo"), 0600), 0);
        assert_int_equal(readall_at(AT_FDCWD, tmppath("fifo"), 100, &text, &len), -EINVAL);
        assert_null(text);
}

/* A file whose size fstat does not know (procfs says 0) is read to its
 * end, and refused once it passes the limit; a name relative to a
 * directory fd is read in that directory. */
static void test_readall_at_unknown_size(void **state)
{
        cleanup_close int procfd = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
        char *text = NULL;
        size_t len = 0;

        (void)state;
        assert_true(procfd >= 0);
        assert_int_equal(readall_at(procfd, "status", 1 << 20, &text, &len), 0);
        assert_true(len > 16);
        assert_int_equal(strlen(text), len);
        assert_memory_equal(text, "Name:", 5);
        free(text);
        text = NULL;
        assert_int_equal(readall_at(AT_FDCWD, "/proc/self/status", 16, &text, &len), -EFBIG);
        assert_null(text);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_readall_at_limits),
                cmocka_unit_test(test_readall_fd_limits),
                cmocka_unit_test(test_readall_fd_long_stream),
                cmocka_unit_test(test_readall_at_not_regular),
                cmocka_unit_test(test_readall_at_unknown_size),
        };

        return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
