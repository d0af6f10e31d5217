/* Decoding held calls: which operands a call has, their class and how
 * their paths are resolved. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <linux/audit.h>
#include <sys/syscall.h>

#include "syscalls.h"
#include "util.h"

#define FOLLOW SYSCALLS_FOLLOW
#define CREATE SYSCALLS_CREATE

static struct seccomp_data data_of(int nr, uint64_t a0, uint64_t a1, uint64_t a2,
                                   uint64_t a3, uint64_t a4)
{
        struct seccomp_data d = { .nr = nr, .arch = AUDIT_ARCH_X86_64 };

        d.args[0] = a0;
        d.args[1] = a1;
        d.args[2] = a2;
        d.args[3] = a3;
        d.args[4] = a4;
        return d;
}

static void test_syscalls_open_flags_decide_class(void **state)
{
        static const struct {
                uint64_t flags;
                enum profile_class cls;
                unsigned resflags;
        } cases[] = {
                { O_RDONLY, PROFILE_READ, FOLLOW },
                { O_RDONLY | O_NOFOLLOW, PROFILE_READ, 0 },
                { O_WRONLY, PROFILE_WRITE, FOLLOW },
                { O_RDWR, PROFILE_WRITE, FOLLOW },
                { O_RDONLY | O_TRUNC, PROFILE_WRITE, FOLLOW },  /* Linux truncates */
                { O_WRONLY | O_CREAT, PROFILE_WRITE, FOLLOW | CREATE },
                { O_WRONLY | O_CREAT | O_EXCL, PROFILE_WRITE, CREATE },
                { O_WRONLY | O_CREAT | O_NOFOLLOW, PROFILE_WRITE, CREATE },
                { O_TMPFILE | O_WRONLY, PROFILE_WRITE, FOLLOW },
                { O_RDONLY | O_APPEND, PROFILE_READ, FOLLOW },
        };
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct seccomp_data d = data_of(__NR_openat, (uint32_t)AT_FDCWD, 0x1000,
                                                cases[i].flags, 0644, 0);
                struct syscalls_call c;

                assert_int_equal(syscalls_decode(&d, &c), 0);
                assert_string_equal(c.name, "openat");
                assert_int_equal(c.n_operands, 1);
                assert_int_equal(c.op[0].cls, cases[i].cls);
                assert_int_equal(c.op[0].resflags, cases[i].resflags);
                assert_int_equal(c.op[0].dirfd, AT_FDCWD);
                assert_int_equal(c.op[0].path_addr, 0x1000);
        }
}

static void test_syscalls_operands(void **state)
{
        struct syscalls_call c;
        struct seccomp_data d;

        (void)state;
        /* rename: the old name itself (no follow), the new one may not exist */
        d = data_of(__NR_renameat2, 3, 0x10, 4, 0x20, 0);
        assert_int_equal(syscalls_decode(&d, &c), 0);
        assert_int_equal(c.n_operands, 2);
        assert_int_equal(c.op[0].dirfd, 3);
        assert_int_equal(c.op[0].path_addr, 0x10);
        assert_int_equal(c.op[0].resflags, 0);
        assert_int_equal(c.op[1].dirfd, 4);
        assert_int_equal(c.op[1].path_addr, 0x20);
        assert_int_equal(c.op[1].resflags, CREATE);
        assert_int_equal(c.op[1].cls, PROFILE_WRITE);

        /* link and symlink: only the new name is checked */
        d = data_of(__NR_symlink, 0x10, 0x20, 0, 0, 0);
        assert_int_equal(syscalls_decode(&d, &c), 0);
        assert_int_equal(c.n_operands, 1);
        assert_int_equal(c.op[0].path_addr, 0x20);
        assert_int_equal(c.op[0].dirfd, AT_FDCWD);
        d = data_of(__NR_linkat, 1, 0x10, 2, 0x20, 0);
        assert_int_equal(syscalls_decode(&d, &c), 0);
        assert_int_equal(c.n_operands, 1);
        assert_int_equal(c.op[0].dirfd, 2);
        assert_int_equal(c.op[0].path_addr, 0x20);

        /* chmod follows, unlink does not */
        d = data_of(__NR_chmod, 0x10, 0755, 0, 0, 0);
        assert_int_equal(syscalls_decode(&d, &c), 0);
        assert_int_equal(c.op[0].resflags, FOLLOW);
        d = data_of(__NR_unlinkat, 5, 0x10, 0, 0, 0);
        assert_int_equal(syscalls_decode(&d, &c), 0);
        assert_int_equal(c.op[0].resflags, 0);

        /* creat is a write-intent open that may create */
        d = data_of(__NR_creat, 0x10, 0644, 0, 0, 0);
        assert_int_equal(syscalls_decode(&d, &c), 0);
        assert_int_equal(c.op[0].cls, PROFILE_WRITE);
        assert_int_equal(c.op[0].resflags, FOLLOW | CREATE);
}

static void test_syscalls_exec(void **state)
{
        struct syscalls_call c;
        struct seccomp_data d;

        (void)state;
        d = data_of(__NR_execve, 0x10, 0x20, 0x30, 0, 0);
        assert_int_equal(syscalls_decode(&d, &c), 0);
        assert_int_equal(c.kind, SYSCALLS_EXEC);
        assert_int_equal(c.op[0].cls, PROFILE_EXEC);
        assert_int_equal(c.op[0].resflags, FOLLOW);
        assert_false(c.op[0].empty_path);

        d = data_of(__NR_execveat, 7, 0x10, 0x20, 0x30, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
        assert_int_equal(syscalls_decode(&d, &c), 0);
        assert_int_equal(c.op[0].dirfd, 7);
        assert_true(c.op[0].empty_path);
        assert_int_equal(c.op[0].resflags, 0);
}

static void test_syscalls_connect_and_openat2(void **state)
{
        struct syscalls_call c;
        struct seccomp_data d;

        (void)state;
        d = data_of(__NR_connect, 9, 0x40, 16, 0, 0);
        assert_int_equal(syscalls_decode(&d, &c), 0);
        assert_int_equal(c.kind, SYSCALLS_CONNECT);
        assert_int_equal(c.n_operands, 0);
        assert_int_equal(c.sockfd, 9);
        assert_int_equal(c.sockaddr_addr, 0x40);
        assert_int_equal(c.sockaddr_len, 16);

        d = data_of(__NR_openat2, (uint32_t)AT_FDCWD, 0x10, 0x50, 24, 0);
        assert_int_equal(syscalls_decode(&d, &c), 0);
        assert_int_equal(c.kind, SYSCALLS_OPENAT2);
        assert_int_equal(c.how_addr, 0x50);
        assert_int_equal(c.how_size, 24);
        syscalls_set_open_flags(&c, O_WRONLY | O_CREAT);
        assert_int_equal(c.op[0].cls, PROFILE_WRITE);
        assert_int_equal(c.op[0].resflags, FOLLOW | CREATE);
}

static void test_syscalls_refuses_foreign(void **state)
{
        struct syscalls_call c;
        struct seccomp_data d = data_of(__NR_write, 1, 0, 0, 0, 0);

        (void)state;
        assert_int_equal(syscalls_decode(&d, &c), -ENOSYS);
        d = data_of(__NR_execve, 0x10, 0, 0, 0, 0);
        d.arch = AUDIT_ARCH_I386;
        assert_int_equal(syscalls_decode(&d, &c), -ENOSYS);
        assert_null(syscalls_name(__NR_read));
        assert_string_equal(syscalls_name(__NR_mkdirat), "mkdirat");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_syscalls_open_flags_decide_class),
                cmocka_unit_test(test_syscalls_operands),
                cmocka_unit_test(test_syscalls_exec),
                cmocka_unit_test(test_syscalls_connect_and_openat2),
                cmocka_unit_test(test_syscalls_refuses_foreign),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
