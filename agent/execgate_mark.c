/* The exec gate's marks (execgate.h): which filesystems or mounts raise
 * FAN_OPEN_EXEC_PERM events. Kept apart from the judging: it only needs the
 * gate's fd. */
#include "execgate.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

#define EXECGATE_MAX_MOUNTS     65536
#define EXECGATE_MOUNTINFO_LINE 16384

static int mark(const struct execgate *g, int fd, unsigned flags)
{
        unsigned type = (flags & EXECGATE_MARK_MOUNT) ? FAN_MARK_MOUNT : FAN_MARK_FILESYSTEM;
        char path[32];

        /* fanotify_mark(fd, NULL) refuses O_PATH descriptors (EBADF), and
         * "." only works for directories: the magic link names the very
         * mount and file, whatever fd is. */
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        if (fanotify_mark(execgate_fd(g), FAN_MARK_ADD | type, FAN_OPEN_EXEC_PERM, AT_FDCWD, path) < 0)
                return -errno;
        return 0;
}

int execgate_mark_fd(struct execgate *g, int fd, unsigned flags)
{
        if (!g || (flags & ~(unsigned)EXECGATE_MARK_MOUNT))
                return -EINVAL;
        if (fd < 0)
                return -EBADF;
        return mark(g, fd, flags);
}

/* Filesystems that hold no executable files; fanotify refuses some of them
 * (proc: EINVAL on 6.18). */
static bool pseudo_fs(const char *type)
{
        static const char *const names[] = {
                "proc", "sysfs", "cgroup", "cgroup2", "devpts", "mqueue", "debugfs", "tracefs",
                "securityfs", "pstore", "bpf", "configfs", "fusectl", "binfmt_misc", "nsfs",
                "efivarfs", "selinuxfs", "autofs", "rpc_pipefs",
        };

        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (strcmp(type, names[i]) == 0)
                        return true;
        return false;
}

/* Undoes mountinfo's octal escapes (\040 for a space, ...) in place. */
static void unescape(char *s)
{
        char *out = s;

        for (; *s; s++) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
                    s[3] >= '0' && s[3] <= '7') {
                        *out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
                        s += 3;
                } else {
                        *out++ = *s;
                }
        }
        *out = '\0';
}

static int sys_openat2(int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
        struct open_how how = { .flags = flags | O_CLOEXEC, .resolve = resolve };
        long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

        return fd < 0 ? -errno : (int)fd;
}

/* Marks one mountinfo line's mount. Returns 1 if marked, 0 if skipped,
 * -errno. */
static int mark_mountinfo_line(const struct execgate *g, int rootfd, char *line, unsigned flags)
{
        char *save = NULL, *tok, *mountpoint = NULL, *type = NULL;
        unsigned long long id = 0;
        struct statx stx;
        cleanup_close int fd = -1;
        int i = 0, r;
        bool dash = false;

        for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save), i++) {
                if (i == 0)
                        id = strtoull(tok, NULL, 10);
                else if (i == 4)
                        mountpoint = tok;
                else if (i > 5 && !dash && strcmp(tok, "-") == 0)
                        dash = true;
                else if (dash) {
                        type = tok;
                        break;
                }
        }
        if (!mountpoint || !type || mountpoint[0] != '/')
                return -EINVAL;
        if (pseudo_fs(type))
                return 0;
        unescape(mountpoint);
        /* Mount points are canonical paths: a symlink on the way means the
         * tree changed since (or a container tries to make us mark a host
         * mount); the mount id check below catches what remains. */
        fd = sys_openat2(rootfd, mountpoint, O_PATH,
                         RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
        if (fd == -ENOENT || fd == -ELOOP)
                return 0;
        if (fd < 0)
                return fd;
        if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_MNT_ID, &stx) < 0)
                return -errno;
        if (!(stx.stx_mask & STATX_MNT_ID) || stx.stx_mnt_id != id)
                return 0;       /* hidden under another mount, or gone */
        r = mark(g, fd, flags);
        return r < 0 ? r : 1;
}

int execgate_mark_mounts_of(struct execgate *g, pid_t pid, unsigned flags)
{
        cleanup_close int rootfd = -1;
        cleanup_fclose FILE *f = NULL;
        cleanup_free char *line = NULL;
        size_t cap = 0, count = 0;
        char path[64];
        int marked = 0, first_err = 0, fd;
        ssize_t n;

        if (!g || pid <= 0 || (flags & ~(unsigned)EXECGATE_MARK_MOUNT))
                return -EINVAL;
        snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
        rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        f = fdopen(fd, "re");
        if (!f) {
                util_closep(&fd);
                return -errno;
        }
        while ((n = getline(&line, &cap, f)) > 0) {
                int r;

                if (n > EXECGATE_MOUNTINFO_LINE || ++count > EXECGATE_MAX_MOUNTS)
                        return -EFBIG;
                r = mark_mountinfo_line(g, rootfd, line, flags);
                if (r > 0)
                        marked++;
                else if (r < 0 && first_err == 0)
                        first_err = r;
        }
        if (ferror(f))
                return -EIO;
        return first_err < 0 ? first_err : marked;
}
