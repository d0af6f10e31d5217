/* The intercepted system calls: which ones driftlock holds, and how to read a
 * held call's registers into operands (paths with their dirfds and
 * resolution flags, or a socket address). Pure: it looks at register values
 * only; reading memory and resolving paths is the supervisor's job. */
#pragma once

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>

#include "emulate.h"
#include "profile.h"

enum syscalls_kind {
        SYSCALLS_EXEC,          /* execve, execveat */
        SYSCALLS_OPEN,          /* open, openat, creat: class from the flags */
        SYSCALLS_OPENAT2,       /* flags live in struct open_how in memory */
        SYSCALLS_PATH_WRITE,    /* truncate, rename*, link*, symlink*, unlink*, rmdir,
                                   mkdir*, mknod*, chmod* */
        SYSCALLS_CONNECT,
        SYSCALLS_SENDTO,        /* with a destination address: a connect and a send */
};

/* Resolution flags for an operand; the values equal resolve.h's
 * PATHRES_FOLLOW and PATHRES_CREATE (checked at compile time there). */
#define SYSCALLS_FOLLOW 1u
#define SYSCALLS_CREATE 2u

struct syscalls_operand {
        enum profile_class cls;
        int dirfd;              /* AT_FDCWD or the target's fd number */
        uint64_t path_addr;     /* address of the path string in the target */
        unsigned resflags;      /* SYSCALLS_FOLLOW | SYSCALLS_CREATE */
        bool empty_path;        /* AT_EMPTY_PATH given: "" names dirfd itself */
};

struct syscalls_call {
        const char *name;
        enum syscalls_kind kind;
        unsigned n_operands;    /* path operands: 0 (connect), 1 or 2 (rename, ...) */
        struct syscalls_operand op[2];
        uint64_t open_flags;    /* open family: the flags (openat2: after syscalls_set_open_flags) */
        uint64_t open_mode;     /* open family: the creation mode (openat2: from open_how) */
        uint64_t open_resolve;  /* openat2: open_how.resolve */
        uint64_t how_addr;      /* openat2: struct open_how in the target */
        uint64_t how_size;
        /* SYSCALLS_PATH_WRITE: what the call does, for emulation. op[0] is
         * the name it creates or changes (rename: op[0] the old name, op[1]
         * the new one); path_arg as emulate_path_call.arg (rmdir:
         * AT_REMOVEDIR; linkat: its AT_EMPTY_PATH bit). */
        enum emulate_path_op path_op;
        uint64_t path_arg;
        uint64_t path_dev;      /* mknod */
        uint64_t text_addr;     /* symlink: the content string in the target */
        struct syscalls_operand source; /* link: the existing file (class unused) */
        int sockfd;             /* connect, sendto */
        uint64_t sockaddr_addr;
        uint64_t sockaddr_len;
        uint64_t send_buf;      /* sendto: the data in the target */
        uint64_t send_len;
        uint64_t send_flags;
};

/* Decodes a held call. Returns 0, or -ENOSYS for a call driftlock does not
 * intercept (or another architecture). */
int syscalls_decode(const struct seccomp_data *data, struct syscalls_call *ret);

/* Sets the open flags of an open-family call once they are known (openat2
 * reads them from memory) and derives the operand's class and resolution
 * flags from them: write-intent (O_WRONLY, O_RDWR, O_CREAT, O_TRUNC,
 * O_TMPFILE) or read. */
void syscalls_set_open_flags(struct syscalls_call *call, uint64_t flags);

/* The name of a system call number driftlock intercepts, or NULL. */
const char *syscalls_name(int nr);
