#include "syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>

#include "util.h"

#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452      /* Linux 6.6 */
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

/* How the registers of each call map to operands. Arguments are indices
 * into seccomp_data.args; -1 means "none" (dirfd: AT_FDCWD). */
struct syscalls_desc {
        int nr;
        const char *name;
        enum syscalls_kind kind;
        int8_t dirfd[2], path[2];
        unsigned resflags[2];
        int8_t flags;           /* open flags, or *at flags (AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH) */
};

#define F SYSCALLS_FOLLOW
#define C SYSCALLS_CREATE
#define ONE(d, p, rf)   { d, -1 }, { p, -1 }, { rf, 0 }
#define TWO(d0, p0, rf0, d1, p1, rf1) { d0, d1 }, { p0, p1 }, { rf0, rf1 }

/* Path operands of the write class, and why their flags are what they are:
 * rename, unlink and link act on the name itself (no FOLLOW); the new name
 * of rename/link/symlink/mkdir need not exist (CREATE); truncate and chmod
 * follow symlinks like open does. */
static const struct syscalls_desc syscalls_table[] = {
        { __NR_execve,     "execve",     SYSCALLS_EXEC,    ONE(-1, 0, F), -1 },
        { __NR_execveat,   "execveat",   SYSCALLS_EXEC,    ONE(0, 1, F), 4 },
        { __NR_open,       "open",       SYSCALLS_OPEN,    ONE(-1, 0, 0), 1 },
        { __NR_openat,     "openat",     SYSCALLS_OPEN,    ONE(0, 1, 0), 2 },
        { __NR_creat,      "creat",      SYSCALLS_OPEN,    ONE(-1, 0, 0), -1 },
        { __NR_openat2,    "openat2",    SYSCALLS_OPENAT2, ONE(0, 1, 0), -1 },
        { __NR_truncate,   "truncate",   SYSCALLS_PATH_WRITE, ONE(-1, 0, F), -1 },
        { __NR_rename,     "rename",     SYSCALLS_PATH_WRITE, TWO(-1, 0, 0, -1, 1, C), -1 },
        { __NR_renameat,   "renameat",   SYSCALLS_PATH_WRITE, TWO(0, 1, 0, 2, 3, C), -1 },
        { __NR_renameat2,  "renameat2",  SYSCALLS_PATH_WRITE, TWO(0, 1, 0, 2, 3, C), -1 },
        { __NR_link,       "link",       SYSCALLS_PATH_WRITE, ONE(-1, 1, C), -1 },
        { __NR_linkat,     "linkat",     SYSCALLS_PATH_WRITE, ONE(2, 3, C), -1 },
        { __NR_symlink,    "symlink",    SYSCALLS_PATH_WRITE, ONE(-1, 1, C), -1 },
        { __NR_symlinkat,  "symlinkat",  SYSCALLS_PATH_WRITE, ONE(1, 2, C), -1 },
        { __NR_unlink,     "unlink",     SYSCALLS_PATH_WRITE, ONE(-1, 0, 0), -1 },
        { __NR_unlinkat,   "unlinkat",   SYSCALLS_PATH_WRITE, ONE(0, 1, 0), -1 },
        { __NR_rmdir,      "rmdir",      SYSCALLS_PATH_WRITE, ONE(-1, 0, 0), -1 },
        { __NR_mkdir,      "mkdir",      SYSCALLS_PATH_WRITE, ONE(-1, 0, C), -1 },
        { __NR_mkdirat,    "mkdirat",    SYSCALLS_PATH_WRITE, ONE(0, 1, C), -1 },
        { __NR_mknod,      "mknod",      SYSCALLS_PATH_WRITE, ONE(-1, 0, C), -1 },
        { __NR_mknodat,    "mknodat",    SYSCALLS_PATH_WRITE, ONE(0, 1, C), -1 },
        { __NR_chmod,      "chmod",      SYSCALLS_PATH_WRITE, ONE(-1, 0, F), -1 },
        { __NR_fchmodat,   "fchmodat",   SYSCALLS_PATH_WRITE, ONE(0, 1, F), -1 },
        { __NR_fchmodat2,  "fchmodat2",  SYSCALLS_PATH_WRITE, ONE(0, 1, F), 3 },
        { __NR_connect,    "connect",    SYSCALLS_CONNECT, ONE(-1, -1, 0), -1 },
        { __NR_sendto,     "sendto",     SYSCALLS_SENDTO,  ONE(-1, -1, 0), -1 },
};

#undef F
#undef C
#undef ONE
#undef TWO

static const struct syscalls_desc *syscalls_lookup(int nr)
{
        for (size_t i = 0; i < ARRAY_SIZE(syscalls_table); i++)
                if (syscalls_table[i].nr == nr)
                        return &syscalls_table[i];
        return NULL;
}

const char *syscalls_name(int nr)
{
        const struct syscalls_desc *d = syscalls_lookup(nr);

        return d ? d->name : NULL;
}

static int syscalls_dirfd(const struct seccomp_data *data, int arg)
{
        /* dirfd registers are ints: the upper half is ignored by the kernel */
        return arg < 0 ? AT_FDCWD : (int)(uint32_t)data->args[arg];
}

/* What a write-class call does beyond its checked names, for emulation. */
static void syscalls_decode_path_write(const struct seccomp_data *data, struct syscalls_call *call)
{
        const __u64 *a = data->args;

        switch (data->nr) {
        case __NR_truncate:
                call->path_op = EMULATE_TRUNCATE;
                call->path_arg = a[1];
                break;
        case __NR_chmod:
                call->path_op = EMULATE_CHMOD;
                call->path_arg = a[1];
                break;
        case __NR_fchmodat:
        case __NR_fchmodat2:
                call->path_op = EMULATE_CHMOD;
                call->path_arg = a[2];
                break;
        case __NR_mkdir:
        case __NR_mkdirat:
                call->path_op = EMULATE_MKDIR;
                call->path_arg = a[data->nr == __NR_mkdir ? 1 : 2];
                break;
        case __NR_mknod:
        case __NR_mknodat:
                call->path_op = EMULATE_MKNOD;
                call->path_arg = a[data->nr == __NR_mknod ? 1 : 2];
                call->path_dev = a[data->nr == __NR_mknod ? 2 : 3];
                break;
        case __NR_unlink:
                call->path_op = EMULATE_UNLINK;
                break;
        case __NR_unlinkat:
                call->path_op = EMULATE_UNLINK;
                call->path_arg = (uint32_t)a[2];
                break;
        case __NR_rmdir:
                call->path_op = EMULATE_UNLINK;
                call->path_arg = AT_REMOVEDIR;
                break;
        case __NR_symlink:
        case __NR_symlinkat:
                call->path_op = EMULATE_SYMLINK;
                call->text_addr = a[0];
                break;
        case __NR_rename:
        case __NR_renameat:
                call->path_op = EMULATE_RENAME;
                break;
        case __NR_renameat2:
                call->path_op = EMULATE_RENAME;
                call->path_arg = (uint32_t)a[4];
                break;
        case __NR_link:
                call->path_op = EMULATE_LINK;
                call->source = (struct syscalls_operand){
                        .dirfd = AT_FDCWD, .path_addr = a[0],
                };
                break;
        case __NR_linkat: {
                /* linkat(AT_EMPTY_PATH) gives a name to an open file (an
                 * O_TMPFILE): the source is olddirfd itself. */
                uint32_t flags = (uint32_t)a[4];

                call->path_op = EMULATE_LINK;
                call->path_arg = flags & AT_EMPTY_PATH;
                call->source = (struct syscalls_operand){
                        .dirfd = syscalls_dirfd(data, 0),
                        .path_addr = a[1],
                        .resflags = (flags & AT_SYMLINK_FOLLOW) ? SYSCALLS_FOLLOW : 0,
                        .empty_path = flags & AT_EMPTY_PATH,
                };
                break;
        }
        default:
                break;
        }
}

int syscalls_decode(const struct seccomp_data *data, struct syscalls_call *ret)
{
        const struct syscalls_desc *d;
        struct syscalls_call call = { 0 };

        if (data->arch != AUDIT_ARCH_X86_64)
                return -ENOSYS;
        d = syscalls_lookup(data->nr);
        if (!d)
                return -ENOSYS;

        call.name = d->name;
        call.kind = d->kind;
        if (d->kind == SYSCALLS_CONNECT) {
                call.sockfd = (int)(uint32_t)data->args[0];
                call.sockaddr_addr = data->args[1];
                call.sockaddr_len = (uint32_t)data->args[2];
                *ret = call;
                return 0;
        }
        if (d->kind == SYSCALLS_SENDTO) {
                call.sockfd = (int)(uint32_t)data->args[0];
                call.send_buf = data->args[1];
                call.send_len = data->args[2];
                call.send_flags = (uint32_t)data->args[3];
                call.sockaddr_addr = data->args[4];
                call.sockaddr_len = (uint32_t)data->args[5];
                *ret = call;
                return 0;
        }

        for (unsigned i = 0; i < 2 && d->path[i] >= 0; i++) {
                struct syscalls_operand *op = &call.op[call.n_operands++];

                op->cls = d->kind == SYSCALLS_EXEC ? PROFILE_EXEC : PROFILE_WRITE;
                op->dirfd = syscalls_dirfd(data, d->dirfd[i]);
                op->path_addr = data->args[d->path[i]];
                op->resflags = d->resflags[i];
        }

        if (d->kind == SYSCALLS_PATH_WRITE)
                syscalls_decode_path_write(data, &call);
        switch (d->nr) {
        case __NR_execveat:
        case __NR_fchmodat2: {
                uint64_t atflags = data->args[d->flags];

                if (atflags & AT_SYMLINK_NOFOLLOW)
                        call.op[0].resflags &= ~SYSCALLS_FOLLOW;
                call.op[0].empty_path = atflags & AT_EMPTY_PATH;
                break;
        }
        case __NR_open:
        case __NR_openat:
                syscalls_set_open_flags(&call, data->args[d->flags]);
                call.open_mode = data->args[d->flags + 1];
                break;
        case __NR_creat:
                syscalls_set_open_flags(&call, O_CREAT | O_WRONLY | O_TRUNC);
                call.open_mode = data->args[1];
                break;
        case __NR_openat2:
                call.how_addr = data->args[2];
                call.how_size = data->args[3];
                break;
        default:
                break;
        }
        *ret = call;
        return 0;
}

void syscalls_set_open_flags(struct syscalls_call *call, uint64_t flags)
{
        struct syscalls_operand *op = &call->op[0];
        bool write = (flags & O_ACCMODE) != O_RDONLY ||
                     (flags & (O_CREAT | O_TRUNC | __O_TMPFILE));

        call->open_flags = flags;
        op->cls = write ? PROFILE_WRITE : PROFILE_READ;
        op->resflags = SYSCALLS_FOLLOW;
        /* O_NOFOLLOW and O_CREAT|O_EXCL both act on a final symlink itself
         * (and fail on it); otherwise a dangling final symlink is followed
         * and its target created. */
        if ((flags & O_NOFOLLOW) || (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
                op->resflags &= ~SYSCALLS_FOLLOW;
        /* O_TMPFILE names the directory the unnamed file is made in. */
        if ((flags & O_CREAT) && !(flags & __O_TMPFILE))
                op->resflags |= SYSCALLS_CREATE;
}
