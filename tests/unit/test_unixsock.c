/* Handing a file descriptor over a socket: what arrives is the same open
 * file, and anything else on the socket is refused, not misread. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unixsock.h"
#include "util.h"

static void pair(int type, int sv[2])
{
        assert_int_equal(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), 0);
}

static void test_unixsock_fd_arrives(void **state)
{
        static const int types[] = { SOCK_SEQPACKET, SOCK_STREAM };
        struct stat a, b;

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
                int sv[2], p[2], got;

                pair(types[i], sv);
                assert_int_equal(pipe(p), 0);
                assert_int_equal(unixsock_send_fd(sv[1], p[1]), 0);
                got = unixsock_recv_fd(sv[0]);
                assert_true(got >= 0);
                assert_int_equal(fstat(got, &a), 0);
                assert_int_equal(fstat(p[1], &b), 0);
                assert_true(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
                assert_true(fcntl(got, F_GETFD) & FD_CLOEXEC);
                /* the byte alone */
                assert_int_equal(unixsock_send_fd(sv[1], -1), 0);
                assert_int_equal(unixsock_recv_fd(sv[0]), -ENODATA);
                close(got);
                close(p[0]);
                close(p[1]);
                close(sv[0]);
                close(sv[1]);
        }
}

static void test_unixsock_recv_refuses_other_messages(void **state)
{
        int sv[2];

        (void)state;
        /* a longer message */
        pair(SOCK_SEQPACKET, sv);
        assert_int_equal(write(sv[1], "xy", 2), 2);
        assert_int_equal(unixsock_recv_fd(sv[0]), -EPROTO);
        /* end of file */
        close(sv[1]);
        assert_int_equal(unixsock_recv_fd(sv[0]), -EPROTO);
        close(sv[0]);
        /* not a socket; a closed peer on send */
        assert_int_equal(unixsock_recv_fd(-1), -EBADF);
        pair(SOCK_SEQPACKET, sv);
        close(sv[0]);
        assert_int_equal(unixsock_send_fd(sv[1], sv[1]), -EPIPE);
        assert_int_equal(unixsock_send_fd(-1, 0), -EBADF);
        close(sv[1]);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_unixsock_fd_arrives),
                cmocka_unit_test(test_unixsock_recv_refuses_other_messages),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
