#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "execinterp.h"
#include "util.h"

struct mem {
        const unsigned char *data;
        size_t len;
        int fail;               /* -errno to return instead of reading */
};

static int mem_read(void *ctx, void *buf, size_t len, uint64_t off)
{
        const struct mem *m = ctx;

        if (m->fail)
                return m->fail;
        if (off >= m->len)
                return 0;
        if (len > m->len - off)
                len = m->len - (size_t)off;
        memcpy(buf, m->data + off, len);
        return (int)len;
}

/* A minimal ELF file: header, program headers at 64, interpreter at 256. */
struct elf_spec {
        unsigned char cls;              /* ELFCLASS32 or ELFCLASS64 */
        unsigned char data;             /* byte order */
        unsigned phentsize_delta;       /* make e_phentsize wrong */
        unsigned phnum;
        uint32_t interp_type;           /* PT_INTERP, or PT_LOAD for "static" */
        const char *interp;             /* bytes at 256 (NUL included if wanted) */
        size_t interp_len;              /* p_filesz */
        uint64_t interp_off;            /* 0: 256 */
        size_t file_len;                /* 0: everything written */
};

static size_t make_elf(const struct elf_spec *sp, unsigned char *out, size_t cap)
{
        size_t len = 256 + (sp->interp ? strlen(sp->interp) + 1 : 0);

        assert_true(len <= cap);
        memset(out, 0, cap);
        memcpy(out, ELFMAG, SELFMAG);
        out[EI_CLASS] = sp->cls;
        out[EI_DATA] = sp->data;
        out[EI_VERSION] = EV_CURRENT;
        if (sp->cls == ELFCLASS64) {
                Elf64_Ehdr eh = { .e_type = ET_DYN, .e_phoff = 64,
                                  .e_phentsize = (Elf64_Half)(sizeof(Elf64_Phdr) + sp->phentsize_delta),
                                  .e_phnum = (Elf64_Half)sp->phnum };
                Elf64_Phdr ph = { .p_type = sp->interp_type, .p_offset = sp->interp_off ? sp->interp_off : 256,
                                  .p_filesz = sp->interp_len };

                memcpy(eh.e_ident, out, EI_NIDENT);
                memcpy(out, &eh, sizeof(eh));
                if (sp->phnum)
                        memcpy(out + 64, &ph, sizeof(ph));
        } else {
                Elf32_Ehdr eh = { .e_type = ET_DYN, .e_phoff = 64,
                                  .e_phentsize = (Elf32_Half)(sizeof(Elf32_Phdr) + sp->phentsize_delta),
                                  .e_phnum = (Elf32_Half)sp->phnum };
                Elf32_Phdr ph = { .p_type = sp->interp_type,
                                  .p_offset = (Elf32_Off)(sp->interp_off ? sp->interp_off : 256),
                                  .p_filesz = (Elf32_Word)sp->interp_len };

                memcpy(eh.e_ident, out, EI_NIDENT);
                memcpy(out, &eh, sizeof(eh));
                if (sp->phnum)
                        memcpy(out + 64, &ph, sizeof(ph));
        }
        if (sp->interp)
                memcpy(out + 256, sp->interp, strlen(sp->interp) + 1);
        return sp->file_len ? sp->file_len : len;
}

static const struct {
        const char *text;       /* a script */
        size_t len;             /* 0: strlen(text) */
        int ret;
        const char *name;
} script_table[] = {
        { "#!/bin/sh\n", 0, 0, "/bin/sh" },
        { "#! /bin/sh -e\nexit 0\n", 0, 0, "/bin/sh" },
        { "#!\t/usr/bin/env python3\n", 0, 0, "/usr/bin/env" },
        { "#!/bin/sh", 0, 0, "/bin/sh" },                       /* no newline, EOF */
        { "#!/bin/sh   \t\n", 0, 0, "/bin/sh" },                /* trailing blanks */
        { "#!/bin/sh\0junk\n", 15, 0, "/bin/sh" },               /* NUL ends the name */
        { "#!\n", 0, -ENOEXEC, NULL },
        { "#!   \t \n", 0, -ENOEXEC, NULL },
        { "#!", 0, -ENOEXEC, NULL },
        { "#\n", 0, -ENOENT, NULL },
        { "hello world\n", 0, -ENOENT, NULL },
        { "", 0, -ENOENT, NULL },
        { "\x7f" "EL", 0, -ENOENT, NULL },                      /* too short for ELF */
};

static void test_execinterp_scripts(void **state)
{
        char out[PATH_MAX];

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(script_table); i++) {
                struct mem m = { (const unsigned char *)script_table[i].text,
                                 script_table[i].len ? script_table[i].len : strlen(script_table[i].text), 0 };
                int r = execinterp_name(mem_read, &m, out, sizeof(out));

                if (r != script_table[i].ret)
                        fail_msg("case %zu: %d, expected %d", i, r, script_table[i].ret);
                if (r == 0)
                        assert_string_equal(out, script_table[i].name);
        }
}

/* The kernel's 256-byte rule: a name that runs to the end of the buffer is
 * truncated (refused); one that ends before it is fine. */
static void test_execinterp_script_length_limit(void **state)
{
        char text[400], out[PATH_MAX];
        struct mem m = { (const unsigned char *)text, 0, 0 };

        (void)state;
        memset(text, 'a', sizeof(text));
        text[0] = '#';
        text[1] = '!';
        m.len = sizeof(text);
        assert_int_equal(execinterp_name(mem_read, &m, out, sizeof(out)), -ENOEXEC);
        text[200] = ' ';                /* name ends, the argument is cut */
        assert_int_equal(execinterp_name(mem_read, &m, out, sizeof(out)), 0);
        assert_int_equal(strlen(out), 198);
        assert_int_equal(execinterp_name(mem_read, &m, out, 100), -ENAMETOOLONG);
}

static const struct {
        struct elf_spec spec;
        int ret;
        const char *name;
} elf_table[] = {
        { { ELFCLASS64, ELFDATA2LSB, 0, 1, PT_INTERP, "/lib64/ld.so", 13, 0, 0 }, 0, "/lib64/ld.so" },
        { { ELFCLASS32, ELFDATA2LSB, 0, 1, PT_INTERP, "/lib/ld.so.2", 13, 0, 0 }, 0, "/lib/ld.so.2" },
        { { ELFCLASS64, ELFDATA2LSB, 0, 1, PT_LOAD, NULL, 0, 0, 0 }, -ENOENT, NULL },   /* static */
        { { ELFCLASS64, ELFDATA2MSB, 0, 1, PT_INTERP, "/x", 3, 0, 0 }, -ENOENT, NULL }, /* byte order */
        { { 7, ELFDATA2LSB, 0, 1, PT_INTERP, "/x", 3, 0, 0 }, -ENOENT, NULL },          /* class */
        { { ELFCLASS64, ELFDATA2LSB, 0, 1, PT_INTERP, "/lib64/ld.so", 12, 0, 0 }, -ENOEXEC, NULL }, /* no NUL */
        { { ELFCLASS64, ELFDATA2LSB, 0, 1, PT_INTERP, "/", 1, 0, 0 }, -ENOEXEC, NULL },  /* filesz < 2 */
        { { ELFCLASS64, ELFDATA2LSB, 0, 1, PT_INTERP, "", 2, 0, 0 }, -ENOEXEC, NULL },   /* empty name */
        { { ELFCLASS64, ELFDATA2LSB, 0, 1, PT_INTERP, "/x", PATH_MAX + 1, 0, 0 }, -ENOEXEC, NULL },
        { { ELFCLASS64, ELFDATA2LSB, 0, 1, PT_INTERP, "/x", 3, 1u << 20, 0 }, -ENOEXEC, NULL }, /* past EOF */
        { { ELFCLASS64, ELFDATA2LSB, 0, 1, PT_INTERP, "/x", 3, UINT64_MAX, 0 }, -ENOEXEC, NULL },
        { { ELFCLASS64, ELFDATA2LSB, 1, 1, PT_INTERP, "/x", 3, 0, 0 }, -ENOEXEC, NULL }, /* phentsize */
        { { ELFCLASS64, ELFDATA2LSB, 0, 0, PT_INTERP, "/x", 3, 0, 0 }, -ENOEXEC, NULL }, /* no phdrs */
        { { ELFCLASS64, ELFDATA2LSB, 0, 1, PT_INTERP, "/x", 3, 0, 40 }, -ENOEXEC, NULL }, /* cut header */
        { { ELFCLASS64, ELFDATA2LSB, 0, 1, PT_INTERP, "/x", 3, 0, 80 }, -ENOEXEC, NULL }, /* cut phdrs */
        { { ELFCLASS64, ELFDATA2LSB, 0, 1000, PT_INTERP, "/x", 3, 0, 0 }, -ENOEXEC, NULL }, /* phdrs past EOF */
        { { ELFCLASS64, ELFDATA2LSB, 0, 1200, PT_INTERP, "/x", 3, 0, 0 }, -ENOEXEC, NULL }, /* > 64 KiB */
};

static void test_execinterp_elf(void **state)
{
        unsigned char file[1024];
        char out[PATH_MAX];

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(elf_table); i++) {
                size_t len = make_elf(&elf_table[i].spec, file, sizeof(file));
                struct mem m = { file, len, 0 };
                int r = execinterp_name(mem_read, &m, out, sizeof(out));

                if (r != elf_table[i].ret)
                        fail_msg("case %zu: %d, expected %d", i, r, elf_table[i].ret);
                if (r == 0)
                        assert_string_equal(out, elf_table[i].name);
        }
}

static void test_execinterp_bad_input(void **state)
{
        struct mem m = { (const unsigned char *)"#!/bin/sh\n", 10, 0 };
        unsigned char file[1024];
        struct elf_spec sp = { ELFCLASS64, ELFDATA2LSB, 0, 1, PT_INTERP, "/lib64/ld.so", 13, 0, 0 };
        char out[16];

        (void)state;
        assert_int_equal(execinterp_name(NULL, &m, out, sizeof(out)), -EINVAL);
        assert_int_equal(execinterp_name(mem_read, &m, NULL, sizeof(out)), -EINVAL);
        assert_int_equal(execinterp_name(mem_read, &m, out, 0), -EINVAL);
        assert_int_equal(execinterp_name(mem_read, &m, out, 7), -ENAMETOOLONG);
        m.fail = -EIO;
        assert_int_equal(execinterp_name(mem_read, &m, out, sizeof(out)), -EIO);
        m.len = make_elf(&sp, file, sizeof(file));
        m.data = file;
        m.fail = 0;
        assert_int_equal(execinterp_name(mem_read, &m, out, 12), -ENAMETOOLONG);
        assert_int_equal(execinterp_name(mem_read, &m, out, 13), 0);
        assert_int_equal(execinterp_open(AT_FDCWD, -1, (int[]){ 0 }), -EBADF);
        assert_int_equal(execinterp_open(-5, 0, (int[]){ 0 }), -EINVAL);
        assert_int_equal(execinterp_open(AT_FDCWD, 0, NULL), -EINVAL);
}

static void same_file(int fd, const char *path)
{
        struct stat a, b;

        assert_int_equal(fstat(fd, &a), 0);
        assert_int_equal(stat(path, &b), 0);
        assert_true(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
}

static void write_file(int dirfd, const char *name, const char *text, mode_t mode)
{
        int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
}

/* Real files: the loader of a dynamic binary (through the /lib64 symlink,
 * as the kernel follows it), none for a static one, a script's "#!"
 * interpreter inside a given root, and no open of a FIFO. */
static void test_execinterp_open_real_files(void **state)
{
        char dir[] = "/tmp/execinterp.XXXXXX", path[PATH_MAX];
        cleanup_close int rootfd = -1;
        cleanup_close int fd = -1;
        int ifd = -1;

        (void)state;
        fd = open("/usr/bin/true", O_PATH | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(execinterp_open(AT_FDCWD, fd, &ifd), 0);
        same_file(ifd, "/lib64/ld-linux-x86-64.so.2");
        close(ifd);
        close(TAKE_FD(fd));
        if (access("/sbin/ldconfig", F_OK) == 0) {      /* static on Debian */
                fd = open("/sbin/ldconfig", O_RDONLY | O_CLOEXEC);
                assert_true(fd >= 0);
                assert_int_equal(execinterp_open(AT_FDCWD, fd, &ifd), -ENOENT);
                close(TAKE_FD(fd));
        }

        assert_non_null(mkdtemp(dir));
        rootfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(rootfd >= 0);
        assert_int_equal(mkdirat(rootfd, "bin", 0755), 0);
        write_file(rootfd, "bin/sh", "not the host's sh", 0755);
        write_file(rootfd, "script", "#!/bin/sh\nexit 0\n", 0755);
        write_file(rootfd, "escape", "#!/../../../../bin/sh\n", 0755);
        write_file(rootfd, "missing", "#!/no/such/interpreter\n", 0755);
        assert_int_equal(mkfifoat(rootfd, "fifo", 0644), 0);
        assert_int_equal(symlinkat("/fifo", rootfd, "bin/fifo"), 0);
        write_file(rootfd, "tofifo", "#!/bin/fifo\n", 0755);

        fd = openat(rootfd, "script", O_PATH | O_CLOEXEC);
        assert_int_equal(execinterp_open(rootfd, fd, &ifd), 0);
        snprintf(path, sizeof(path), "%s/bin/sh", dir);
        same_file(ifd, path);                   /* the root's, not the host's */
        close(ifd);
        assert_int_equal(execinterp_open(AT_FDCWD, fd, &ifd), 0);
        same_file(ifd, "/bin/sh");
        close(ifd);
        close(TAKE_FD(fd));
        fd = openat(rootfd, "escape", O_PATH | O_CLOEXEC);
        assert_int_equal(execinterp_open(rootfd, fd, &ifd), 0);
        same_file(ifd, path);                   /* ".." stops at the root */
        close(ifd);
        close(TAKE_FD(fd));
        fd = openat(rootfd, "missing", O_PATH | O_CLOEXEC);
        assert_int_equal(execinterp_open(rootfd, fd, &ifd), -ENOENT);
        close(TAKE_FD(fd));
        fd = openat(rootfd, "tofifo", O_PATH | O_CLOEXEC);
        assert_int_equal(execinterp_open(rootfd, fd, &ifd), -EACCES);
        close(TAKE_FD(fd));
        fd = openat(rootfd, "fifo", O_PATH | O_CLOEXEC);
        assert_int_equal(execinterp_open(rootfd, fd, &ifd), -EACCES);
        close(TAKE_FD(fd));

        for (const char *const *n = (const char *const[]){ "bin/fifo", "fifo", "tofifo", "missing",
                                                             "escape", "script", "bin/sh", NULL }; *n; n++)
                assert_int_equal(unlinkat(rootfd, *n, 0), 0);
        assert_int_equal(unlinkat(rootfd, "bin", AT_REMOVEDIR), 0);
        assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_execinterp_scripts),
                cmocka_unit_test(test_execinterp_script_length_limit),
                cmocka_unit_test(test_execinterp_elf),
                cmocka_unit_test(test_execinterp_bad_input),
                cmocka_unit_test(test_execinterp_open_real_files),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
