/* cgroup v2 lookups (cgroup2.h). */
#include "cgroup2.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "util.h"

static const char *const cgroup2_mounts[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };

static const char *cgroup2_mount(void)
{
        for (size_t i = 0; i < ARRAY_SIZE(cgroup2_mounts); i++) {
                struct statfs st;

                if (statfs(cgroup2_mounts[i], &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
                        return cgroup2_mounts[i];
        }
        return NULL;
}

int cgroup2_path_of(pid_t pid, char **ret)
{
        char file[64], line[PATH_MAX + 8];
        cleanup_fclose FILE *f = NULL;

        snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
        f = fopen(file, "re");
        if (!f)
                return errno == ENOENT ? -ESRCH : -errno;
        while (fgets(line, sizeof(line), f)) {
                char *copy;

                if (strncmp(line, "0::/", 4) != 0)
                        continue;
                line[strcspn(line, "\n")] = '\0';
                copy = strdup(line + 3);
                if (!copy)
                        return -ENOMEM;
                *ret = copy;
                return 0;
        }
        return -ENOENT;
}

bool cgroup2_within(const char *inner, const char *outer)
{
        size_t n = strlen(outer);

        if (!strcmp(outer, "/"))
                return true;
        return !strncmp(inner, outer, n) && (inner[n] == '\0' || inner[n] == '/');
}

int cgroup2_open(const char *path, int *ret_fd)
{
        const char *mount = cgroup2_mount();
        char full[PATH_MAX];
        int fd;

        if (!mount)
                return -ENOENT;
        if (snprintf(full, sizeof(full), "%s%s", mount, path) >= (int)sizeof(full))
                return -ENAMETOOLONG;
        fd = open(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        *ret_fd = fd;
        return 0;
}

int cgroup2_make(const char *parent, const char *name, int *ret_fd)
{
        cleanup_close int dir = -1;
        int r, fd;

        if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
                return -EINVAL;
        r = cgroup2_open(parent, &dir);
        if (r < 0)
                return r;
        if (mkdirat(dir, name, 0755) < 0)
                return -errno;
        fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
                r = -errno;
                unlinkat(dir, name, AT_REMOVEDIR);
                return r;
        }
        *ret_fd = fd;
        return 0;
}

int cgroup2_move(int dirfd, pid_t pid)
{
        cleanup_close int fd = openat(dirfd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
        char text[16];
        int n;

        if (fd < 0)
                return -errno;
        /* "0" is the writer itself */
        n = snprintf(text, sizeof(text), "%d", (int)pid);
        if (write(fd, text, (size_t)n) != n)
                return -errno;
        return 0;
}

int cgroup2_remove(const char *parent, const char *name)
{
        cleanup_close int dir = -1;
        int r = cgroup2_open(parent, &dir);

        if (r < 0)
                return r;
        return unlinkat(dir, name, AT_REMOVEDIR) < 0 ? -errno : 0;
}

static bool cgroup2_is_v2(int fd)
{
        struct statfs st;

        return fstatfs(fd, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

int cgroup2_identify(int dirfd, uint64_t *ret_id, int *ret_level)
{
        cleanup_close int cur = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
        struct stat self, at;
        int level = 0;

        if (cur < 0 || fstat(cur, &self) < 0)
                return -errno;
        if (!cgroup2_is_v2(cur))
                return -EINVAL;
        at = self;
        /* cgroup.max.depth may be large, but no container runs this deep */
        for (; level < 4096; level++) {
                int parent = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                struct stat pst;

                if (parent < 0)
                        return -errno;
                /* the root's ".." leaves the hierarchy (the mount point's
                 * parent), or is the root itself */
                if (!cgroup2_is_v2(parent) || fstat(parent, &pst) < 0 ||
                    (pst.st_dev == at.st_dev && pst.st_ino == at.st_ino)) {
                        close(parent);
                        break;
                }
                close(cur);
                cur = parent;
                at = pst;
        }
        *ret_id = (uint64_t)self.st_ino;
        *ret_level = level;
        return 0;
}
