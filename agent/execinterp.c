#include "execinterp.h"

#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

#define BINPRM_BUF      256     /* the kernel's BINPRM_BUF_SIZE */
#define MAX_PHDRS_BYTES 65536   /* what fs/binfmt_elf.c reads at most */

static bool spacetab(char c)
{
        return c == ' ' || c == '\t';
}

static const char *next_non_spacetab(const char *p, const char *end)
{
        for (; p < end; p++)
                if (!spacetab(*p))
                        return p;
        return NULL;
}

static const char *next_terminator(const char *p, const char *end)
{
        for (; p < end; p++)
                if (spacetab(*p) || *p == '\0')
                        return p;
        return NULL;
}

/* fs/binfmt_script.c, load_script(), on the zero-padded first 256 bytes. */
static int script_interp(const char *buf, size_t size, char *out, size_t outlen)
{
        const char *buf_end = &buf[size - 1], *i_end = NULL, *i_name, *i_sep;
        size_t len;

        /* strnchr(): the search for the newline stops at a NUL. */
        for (const char *p = buf; p <= buf_end && *p; p++)
                if (*p == '\n') {
                        i_end = p;
                        break;
                }
        if (!i_end) {
                i_end = next_non_spacetab(buf + 2, buf_end);
                if (!i_end || !next_terminator(i_end, buf_end))
                        return -ENOEXEC;        /* all blanks, or a truncated name */
                i_end = buf_end;
        }
        while (i_end > buf + 2 && spacetab(i_end[-1]))
                i_end--;
        i_name = next_non_spacetab(buf + 2, i_end);
        if (!i_name)
                return -ENOEXEC;
        i_sep = next_terminator(i_name, i_end);
        len = (size_t)((i_sep ? i_sep : i_end) - i_name);
        if (len == 0)
                return -ENOEXEC;
        if (len >= outlen)
                return -ENAMETOOLONG;
        memcpy(out, i_name, len);
        out[len] = '\0';
        return 0;
}

/* Exactly len bytes at off; fewer (end of file) is -ENOEXEC. */
static int read_exact(execinterp_read_fn rd, void *ctx, void *buf, size_t len, uint64_t off)
{
        int n = rd(ctx, buf, len, off);

        if (n < 0)
                return n;
        return (size_t)n == len ? 0 : -ENOEXEC;
}

struct elf_view {
        bool is64;
        uint64_t phoff;
        size_t phentsize, phnum;
};

static int elf_header(const unsigned char *head, size_t n, struct elf_view *v)
{
        if (head[EI_DATA] != (__BYTE_ORDER == __LITTLE_ENDIAN ? ELFDATA2LSB : ELFDATA2MSB) ||
            (head[EI_CLASS] != ELFCLASS32 && head[EI_CLASS] != ELFCLASS64))
                return -ENOENT;         /* not for this machine's ELF loader */
        v->is64 = head[EI_CLASS] == ELFCLASS64;
        if (v->is64) {
                Elf64_Ehdr eh;

                if (n < sizeof(eh))
                        return -ENOEXEC;
                memcpy(&eh, head, sizeof(eh));
                v->phoff = eh.e_phoff;
                v->phentsize = eh.e_phentsize;
                v->phnum = eh.e_phnum;
        } else {
                Elf32_Ehdr eh;

                if (n < sizeof(eh))
                        return -ENOEXEC;
                memcpy(&eh, head, sizeof(eh));
                v->phoff = eh.e_phoff;
                v->phentsize = eh.e_phentsize;
                v->phnum = eh.e_phnum;
        }
        if (v->phentsize != (v->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) || v->phnum == 0 ||
            v->phnum * v->phentsize > MAX_PHDRS_BYTES)
                return -ENOEXEC;
        return 0;
}

static int elf_interp(execinterp_read_fn rd, void *ctx, const unsigned char *head, size_t n, char *out,
                      size_t outlen)
{
        cleanup_free unsigned char *ph = NULL;
        struct elf_view v;
        int r;

        r = elf_header(head, n, &v);
        if (r < 0)
                return r;
        ph = malloc(v.phnum * v.phentsize);
        if (!ph)
                return -ENOMEM;
        r = read_exact(rd, ctx, ph, v.phnum * v.phentsize, v.phoff);
        if (r < 0)
                return r;
        for (size_t i = 0; i < v.phnum; i++) {
                uint64_t off, filesz;

                if (v.is64) {
                        Elf64_Phdr p;

                        memcpy(&p, ph + i * v.phentsize, sizeof(p));
                        if (p.p_type != PT_INTERP)
                                continue;
                        off = p.p_offset;
                        filesz = p.p_filesz;
                } else {
                        Elf32_Phdr p;

                        memcpy(&p, ph + i * v.phentsize, sizeof(p));
                        if (p.p_type != PT_INTERP)
                                continue;
                        off = p.p_offset;
                        filesz = p.p_filesz;
                }
                if (filesz < 2 || filesz > PATH_MAX)
                        return -ENOEXEC;
                if (filesz > outlen)
                        return -ENAMETOOLONG;
                r = read_exact(rd, ctx, out, (size_t)filesz, off);
                if (r < 0)
                        return r;
                /* Not NUL-terminated: the kernel refuses it. Empty: it
                 * tries to open "" and fails. */
                return out[filesz - 1] == '\0' && out[0] != '\0' ? 0 : -ENOEXEC;
        }
        return -ENOENT;                 /* static */
}

int execinterp_name(execinterp_read_fn rd, void *ctx, char *out, size_t outlen)
{
        char head[BINPRM_BUF] = { 0 };  /* zero-padded, as the kernel's */
        int n;

        if (!rd || !out || outlen == 0)
                return -EINVAL;
        n = rd(ctx, head, sizeof(head), 0);
        if (n < 0)
                return n;
        if (n > (int)sizeof(head))
                return -EINVAL;
        if (n >= 2 && head[0] == '#' && head[1] == '!')
                return script_interp(head, sizeof(head), out, outlen);
        if (n > EI_CLASS && memcmp(head, ELFMAG, SELFMAG) == 0)
                return elf_interp(rd, ctx, (const unsigned char *)head, (size_t)n, out, outlen);
        return -ENOENT;
}

static int fd_read(void *ctx, void *buf, size_t len, uint64_t off)
{
        ssize_t n;

        if (off > INT64_MAX)
                return 0;
        if (len > INT_MAX)
                len = INT_MAX;
        do
                n = pread(*(const int *)ctx, buf, len, (off_t)off);
        while (n < 0 && errno == EINTR);
        return n < 0 ? -errno : (int)n;
}

int execinterp_open(int rootfd, int fd, int *ret_fd)
{
        char path[32], name[PATH_MAX + 1];
        cleanup_close int rfd = -1;
        cleanup_close int ifd = -1;
        struct stat st;
        int r;

        if (fd < 0)
                return -EBADF;
        if (!ret_fd || (rootfd < 0 && rootfd != AT_FDCWD))
                return -EINVAL;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EACCES;
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        rfd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (rfd < 0)
                return -errno;
        r = execinterp_name(fd_read, &rfd, name, sizeof(name));
        if (r < 0)
                return r;
        if (rootfd == AT_FDCWD) {
                ifd = open(name, O_PATH | O_CLOEXEC);
        } else {
                struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };

                ifd = (int)syscall(SYS_openat2, rootfd, name, &how, sizeof(how));
        }
        if (ifd < 0)
                return -errno;
        if (fstat(ifd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EACCES;
        *ret_fd = TAKE_FD(ifd);
        return 0;
}
