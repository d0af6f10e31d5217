#include "filter.h"

#include "shimproto.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
/* Linux 5.19. */
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* When a rule of the static table applies. */
enum filter_when {
        WHEN_ALWAYS,
        WHEN_READS,     /* only with notify_reads */
        WHEN_NO_READS,  /* only without notify_reads */
        WHEN_SELF,      /* only in filters driftlock installs itself (self_installed) */
};

struct filter_entry {
        enum filter_when when;
        struct filter_rule rule;
};

#define NOTIFY(name) \
        { WHEN_ALWAYS, { name, FILTER_ACT_NOTIFY, 0, -1, 0, 0, false } }
#define NOTIFY_READS(name) \
        { WHEN_READS, { name, FILTER_ACT_NOTIFY, 0, -1, 0, 0, false } }
#define NOTIFY_NONZERO(name, idx) \
        { WHEN_ALWAYS, { name, FILTER_ACT_NOTIFY, 0, idx, ~(uint64_t)0, 0, true } }
/* One rule per flag bit: libseccomp has no "any bit of the mask set"
 * comparison, and OR'ed rules of one syscall express it. */
#define NOTIFY_FLAG(name, idx, bit) \
        { WHEN_NO_READS, { name, FILTER_ACT_NOTIFY, 0, idx, bit, bit, false } }
#define REFUSE(name, err) \
        { WHEN_ALWAYS, { name, FILTER_ACT_ERRNO, err, -1, 0, 0, false } }

/* O_RDONLY is 0, so it cannot be tested by a bit: a read-only open is one
 * where none of these bits is set. O_TMPFILE requires O_WRONLY or O_RDWR;
 * O_APPEND without them cannot write. */
#define OPEN_WRITE_BITS(name, idx) \
        NOTIFY_FLAG(name, idx, O_WRONLY), \
        NOTIFY_FLAG(name, idx, O_RDWR), \
        NOTIFY_FLAG(name, idx, O_CREAT), \
        NOTIFY_FLAG(name, idx, O_TRUNC)

static const struct filter_entry filter_table[] = {
        NOTIFY("execve"),
        NOTIFY("execveat"),

        NOTIFY_READS("open"),
        OPEN_WRITE_BITS("open", 1),
        NOTIFY_READS("openat"),
        OPEN_WRITE_BITS("openat", 2),
        NOTIFY("openat2"),      /* flags are in memory: BPF cannot see them */
        NOTIFY("creat"),

        NOTIFY("connect"),
        /* sendto with dest_addr: a datagram to any address, or a TCP Fast
         * Open connect. Without one it goes where the socket is connected
         * (send(2) is sendto with NULL): not held. sendmsg carries its
         * address in memory and is never notified (see above). */
        NOTIFY_NONZERO("sendto", 4),

        NOTIFY("truncate"),
        NOTIFY("rename"),
        NOTIFY("renameat"),
        NOTIFY("renameat2"),
        NOTIFY("link"),
        NOTIFY("linkat"),
        NOTIFY("symlink"),
        NOTIFY("symlinkat"),
        NOTIFY("unlink"),
        NOTIFY("unlinkat"),
        NOTIFY("rmdir"),
        NOTIFY("mkdir"),
        NOTIFY("mkdirat"),
        /* mknod makes regular files and FIFOs too, without an open */
        NOTIFY("mknod"),
        NOTIFY("mknodat"),
        NOTIFY("chmod"),
        NOTIFY("fchmodat"),
        NOTIFY("fchmodat2"),

        REFUSE("io_uring_setup", EPERM),
        REFUSE("io_uring_enter", EPERM),
        REFUSE("io_uring_register", EPERM),
        /* A file handle reaches a file without a path to check (it needs
         * CAP_DAC_READ_SEARCH, which `driftlock run` as root has; runtimes'
         * default profiles already limit it to that capability). */
        { WHEN_SELF, { "open_by_handle_at", FILTER_ACT_ERRNO, EPERM, -1, 0, 0, false } },

        /* The shim's "already attached?" probe (include/shimproto.h): a
         * process inside a driftlock-filtered tree gets this errno for an
         * invalid close_range() that no real program makes. */
        { WHEN_SELF, { SHIMPROTO_PROBE_SYSCALL, FILTER_ACT_ERRNO, SHIMPROTO_PROBE_ERRNO,
                         SHIMPROTO_PROBE_ARG, 0xffffffffu, SHIMPROTO_PROBE_FLAGS, false } },
};

/* Numbers for syscalls newer than some libseccomp releases know (x86_64).
 * Debian's 2.5.4 resolves fchmodat2 by name; upstream 2.5.4 does not. */
static const struct {
        const char *name;
        int nr;
} filter_fallback_nr[] = {
        { "fchmodat2", 452 },   /* Linux 6.6 */
};

static bool filter_entry_applies(const struct filter_entry *e, const struct filter_spec *spec)
{
        switch (e->when) {
        case WHEN_ALWAYS:
                return true;
        case WHEN_READS:
                return spec->notify_reads;
        case WHEN_NO_READS:
                return !spec->notify_reads;
        case WHEN_SELF:
                return spec->self_installed;
        }
        return false;
}

int filter_rules(const struct filter_spec *spec, struct filter_rule **ret, size_t *ret_n)
{
        struct filter_rule *rules;
        size_t n = 0;

        if (!spec || !ret || !ret_n)
                return -EINVAL;
        if (spec->mode != FILTER_LEARN && spec->mode != FILTER_MONITOR &&
            spec->mode != FILTER_ENFORCE)
                return -EINVAL;
        rules = calloc(ARRAY_SIZE(filter_table), sizeof(*rules));
        if (!rules)
                return -ENOMEM;
        for (size_t i = 0; i < ARRAY_SIZE(filter_table); i++)
                if (filter_entry_applies(&filter_table[i], spec))
                        rules[n++] = filter_table[i].rule;
        *ret = rules;
        *ret_n = n;
        return 0;
}

static int filter_resolve(const char *name)
{
        int nr = seccomp_syscall_resolve_name(name);

        if (nr != __NR_SCMP_ERROR)
                return nr;
        for (size_t i = 0; i < ARRAY_SIZE(filter_fallback_nr); i++)
                if (strcmp(filter_fallback_nr[i].name, name) == 0)
                        return filter_fallback_nr[i].nr;
        return -ENOSYS;
}

static int filter_add_rule(scmp_filter_ctx ctx, const struct filter_rule *rule)
{
        struct scmp_arg_cmp cmp;
        uint32_t action;
        int nr = filter_resolve(rule->syscall);

        if (nr < 0)
                return nr;
        switch (rule->action) {
        case FILTER_ACT_NOTIFY:
                action = SCMP_ACT_NOTIFY;
                break;
        case FILTER_ACT_ERRNO:
                if (rule->errno_value <= 0 || rule->errno_value > 4095)
                        return -EINVAL;
                action = SCMP_ACT_ERRNO((uint32_t)rule->errno_value);
                break;
        default:
                return -EINVAL;
        }
        if (rule->arg_index < 0)
                return seccomp_rule_add_exact_array(ctx, action, nr, 0, NULL);
        if (rule->arg_index > 5 || (rule->negate && rule->mask != ~(uint64_t)0))
                return -EINVAL;
        if (rule->negate)
                cmp = (struct scmp_arg_cmp) {
                        .arg = (unsigned int)rule->arg_index,
                        .op = SCMP_CMP_NE,
                        .datum_a = rule->value,
                };
        else
                cmp = (struct scmp_arg_cmp) {
                        .arg = (unsigned int)rule->arg_index,
                        .op = SCMP_CMP_MASKED_EQ,
                        .datum_a = rule->mask,
                        .datum_b = rule->value,
                };
        return seccomp_rule_add_exact_array(ctx, action, nr, 1, &cmp);
}

static void filter_ctx_releasep(scmp_filter_ctx *ctx)
{
        if (*ctx)
                seccomp_release(*ctx);
}

/* Exports ctx through a memfd and reads the instructions back: libseccomp
 * 2.5 has no export to memory. */
static int filter_export(scmp_filter_ctx ctx, struct sock_fprog **ret)
{
        cleanup_close int fd = memfd_create("driftlock-filter", MFD_CLOEXEC);
        struct sock_fprog *prog;
        struct stat st;
        size_t size, count;
        ssize_t n;
        int r;

        if (fd < 0)
                return -errno;
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_size <= 0 || (size_t)st.st_size % sizeof(struct sock_filter) != 0)
                return -EIO;
        size = (size_t)st.st_size;
        count = size / sizeof(struct sock_filter);
        if (count > BPF_MAXINSNS)
                return -E2BIG;
        prog = calloc(1, sizeof(*prog) + size);
        if (!prog)
                return -ENOMEM;
        prog->filter = (struct sock_filter *)(prog + 1);
        prog->len = (unsigned short)count;
        n = pread(fd, prog->filter, size, 0);
        if (n < 0 || (size_t)n != size) {
                r = n < 0 ? -errno : -EIO;
                free(prog);
                return r;
        }
        *ret = prog;
        return 0;
}

int filter_build(const struct filter_spec *spec, struct sock_fprog **ret)
{
        __attribute__((cleanup(filter_ctx_releasep))) scmp_filter_ctx ctx = NULL;
        cleanup_free struct filter_rule *rules = NULL;
        size_t n;
        int r;

        if (!ret)
                return -EINVAL;
        r = filter_rules(spec, &rules, &n);
        if (r < 0)
                return r;
        ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx)
                return -ENOMEM;
        /* seccomp_init() puts only the native architecture in the filter;
         * everything else (i386, and x32 numbers on x86_64) takes this. */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(EPERM));
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                r = filter_add_rule(ctx, &rules[i]);
                if (r < 0)
                        return r;
        }
        return filter_export(ctx, ret);
}

struct sock_fprog *filter_prog_free(struct sock_fprog *prog)
{
        free(prog);
        return NULL;
}

int filter_install(const struct sock_fprog *prog)
{
        unsigned long flags = SECCOMP_FILTER_FLAG_NEW_LISTENER |
                              SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
        long fd;

        if (!prog)
                return -EINVAL;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
        if (fd < 0 && errno == EINVAL) {
                /* Before 5.19 WAIT_KILLABLE_RECV is an unknown flag. */
                flags &= ~(unsigned long)SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
                fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
        }
        if (fd < 0)
                return -errno;
        return (int)fd;
}
