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

/* What emulation needs beyond the names: the operation and its argument,
 * the symlink text and the link source. */
static void test_syscalls_path_write_operations(void **state)
{
        static const struct {
                int nr;
                uint64_t a[6];
                enum emulate_path_op op;
                uint64_t arg, dev;
                uint64_t op0_addr;
        } cases[] = {
                { __NR_truncate, { 0x10, 4096 }, EMULATE_TRUNCATE, 4096, 0, 0x10 },
                { __NR_chmod, { 0x10, 0755 }, EMULATE_CHMOD, 0755, 0, 0x10 },
                { __NR_fchmodat, { 3, 0x10, 0700 }, EMULATE_CHMOD, 0700, 0, 0x10 },
                { __NR_mkdir, { 0x10, 0750 }, EMULATE_MKDIR, 0750, 0, 0x10 },
                { __NR_mkdirat, { 3, 0x10, 0700 }, EMULATE_MKDIR, 0700, 0, 0x10 },
                { __NR_mknod, { 0x10, 010644, 0 }, EMULATE_MKNOD, 010644, 0, 0x10 },
                { __NR_mknodat, { 3, 0x10, 020600, 0x103 }, EMULATE_MKNOD, 020600, 0x103, 0x10 },
                { __NR_unlink, { 0x10 }, EMULATE_UNLINK, 0, 0, 0x10 },
                { __NR_unlinkat, { 3, 0x10, AT_REMOVEDIR }, EMULATE_UNLINK, AT_REMOVEDIR, 0, 0x10 },
                { __NR_rmdir, { 0x10 }, EMULATE_UNLINK, AT_REMOVEDIR, 0, 0x10 },
                { __NR_rename, { 0x10, 0x20 }, EMULATE_RENAME, 0, 0, 0x10 },
                { __NR_renameat2, { 3, 0x10, 4, 0x20, 1 }, EMULATE_RENAME, 1, 0, 0x10 },
                { __NR_symlink, { 0x30, 0x10 }, EMULATE_SYMLINK, 0, 0, 0x10 },
                { __NR_symlinkat, { 0x30, 3, 0x10 }, EMULATE_SYMLINK, 0, 0, 0x10 },
                { __NR_link, { 0x30, 0x10 }, EMULATE_LINK, 0, 0, 0x10 },
                { __NR_linkat, { 5, 0x30, 3, 0x10, AT_EMPTY_PATH }, EMULATE_LINK,
                  AT_EMPTY_PATH, 0, 0x10 },
        };
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct seccomp_data d = data_of(cases[i].nr, cases[i].a[0], cases[i].a[1],
                                                cases[i].a[2], cases[i].a[3], cases[i].a[4]);
                struct syscalls_call c;

                assert_int_equal(syscalls_decode(&d, &c), 0);
                assert_int_equal(c.kind, SYSCALLS_PATH_WRITE);
                assert_int_equal(c.path_op, cases[i].op);
                assert_int_equal(c.path_arg, cases[i].arg);
                assert_int_equal(c.path_dev, cases[i].dev);
                assert_int_equal(c.op[0].path_addr, cases[i].op0_addr);
                if (cases[i].op == EMULATE_SYMLINK)
                        assert_int_equal(c.text_addr, 0x30);
                if (cases[i].op == EMULATE_LINK)
                        assert_int_equal(c.source.path_addr, 0x30);
        }
}

static void test_syscalls_link_source(void **state)
{
        struct syscalls_call c;
        struct seccomp_data d;

        (void)state;
        /* link() never follows a final symlink of the source */
        d = data_of(__NR_link, 0x30, 0x10, 0, 0, 0);
        assert_int_equal(syscalls_decode(&d, &c), 0);
        assert_int_equal(c.source.dirfd, AT_FDCWD);
        assert_int_equal(c.source.resflags, 0);
        assert_false(c.source.empty_path);
        /* linkat follows only with AT_SYMLINK_FOLLOW; AT_EMPTY_PATH: olddirfd */
        d = data_of(__NR_linkat, 5, 0x30, 3, 0x10, AT_SYMLINK_FOLLOW);
        assert_int_equal(syscalls_decode(&d, &c), 0);
        assert_int_equal(c.source.dirfd, 5);
        assert_int_equal(c.source.resflags, FOLLOW);
        assert_int_equal(c.path_arg, 0);
        d = data_of(__NR_linkat, 5, 0x30, 3, 0x10, AT_EMPTY_PATH);
        assert_int_equal(syscalls_decode(&d, &c), 0);
        assert_true(c.source.empty_path);
        assert_int_equal(c.source.resflags, 0);
        /* flags and dirfds are ints: upper halves are ignored */
        d = data_of(__NR_unlinkat, 0xffffffff00000005ull, 0x10, 0xffffffff00000200ull, 0, 0);
        assert_int_equal(syscalls_decode(&d, &c), 0);
        assert_int_equal(c.op[0].dirfd, 5);
        assert_int_equal(c.path_arg, AT_REMOVEDIR);
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
                cmocka_unit_test(test_syscalls_path_write_operations),
                cmocka_unit_test(test_syscalls_link_source),
                cmocka_unit_test(test_syscalls_exec),
                cmocka_unit_test(test_syscalls_connect_and_openat2),
                cmocka_unit_test(test_syscalls_refuses_foreign),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
