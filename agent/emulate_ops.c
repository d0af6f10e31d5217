/* The work of one emulated call (see emulate_job.h): opens, connects and
 * the write-class calls on names, each reaching its object from the
 * target's root through no symlink, so that it acts on what was checked or
 * not at all (EMULATE_STALE). Runs with the credentials the job needs
 * already in force; allocates nothing and takes no lock (the helper
 * process runs it on a small stack). */
#include "emulate_job.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stddef.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452      /* Linux 6.6 */
#endif

/* Our walk: inside the target's root, through no link of any kind. */
#define EMU_RESOLVE     (RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)
#define TTY_MAJOR_AUX   5               /* /dev/tty is 5:0 */
#define PROC_FD_NAME    32              /* "/proc/self/fd/" and an int */

#ifndef RESOLVE_CACHED
#define RESOLVE_CACHED 0x20     /* Linux 5.12 */
#endif

static int sys_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode,
                       uint64_t resolve)
{
        struct open_how how = { .flags = flags | O_CLOEXEC, .mode = mode, .resolve = resolve };
        long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

        return fd < 0 ? -errno : (int)fd;
}


/* Why an open through no symlink failed with ELOOP: a link where the
 * resolved path had none (stale), or a final link the kernel refuses too
 * (O_NOFOLLOW). */
static int open_eloop(const struct job *j)
{
        cleanup_close int fd = sys_openat2(j->snap.rootfd, j->path, O_PATH | O_NOFOLLOW, 0,
                                           EMU_RESOLVE);
        struct stat st;

        if (fd == -ELOOP)
                return EMULATE_STALE;   /* a directory component is a link now */
        if (fd < 0)
                return fd;              /* gone meanwhile: what an open gets now */
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISLNK(st.st_mode) && (j->flags & O_NOFOLLOW))
                return -ELOOP;
        return EMULATE_STALE;
}

/* "/proc/self/fd/N" without stdio: the helper may not take locks. */
static void proc_fd_name(char *buf, int fd)
{
        static const char prefix[] = "/proc/self/fd/";
        char digits[12];
        size_t n = 0;
        unsigned v = (unsigned)fd;

        do {
                digits[n++] = (char)('0' + v % 10);
                v /= 10;
        } while (v);
        memcpy(buf, prefix, sizeof(prefix) - 1);
        buf += sizeof(prefix) - 1;
        while (n)
                *buf++ = digits[--n];
        *buf = '\0';
}

/* An object without a name in the root, opened again as the kernel opens
 * a /proc/self/fd link: no walk, nothing to go stale. */
static int reopen(const struct job *j, uint64_t flags)
{
        char proc[PROC_FD_NAME];

        if (j->resolve & (RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS))
                return -ELOOP;
        if (j->resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT))
                return -EXDEV;
        proc_fd_name(proc, j->src);
        return sys_openat2(AT_FDCWD, proc, flags, j->mode, j->resolve & RESOLVE_CACHED);
}

int emulate_op_open(struct job *j)
{
        uint64_t flags = j->flags | ((j->flags & O_PATH) ? 0 : O_NOCTTY);
        int fd = j->src >= 0 ? reopen(j, flags)
                             : sys_openat2(j->snap.rootfd, j->path, flags, j->mode,
                                           EMU_RESOLVE | (j->resolve & RESOLVE_CACHED));
        struct stat st;

        if (fd == -ELOOP && j->src < 0)
                return open_eloop(j);
        if (fd < 0)
                return fd;
        if (!(j->flags & O_PATH) && fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) &&
            st.st_rdev == makedev(TTY_MAJOR_AUX, 0)) {
                close(fd);
                return -ENXIO;
        }
        j->fd = fd;
        return 0;
}


/* A link appearing where the checked path had none, or the kernel telling
 * us a rename raced our walk: the names no longer lead where they did. */
static int stale_if_moved(int r)
{
        return r == -ELOOP || r == -EXDEV || r == -EAGAIN ? EMULATE_STALE : r;
}

/* Opens the object path names, which was resolved through every link: a
 * link there now is a change. Returns 0 with *ret_fd (O_PATH) and its
 * stat in *st, EMULATE_STALE or -errno. */
static int open_final(const struct job *j, const char *path, int *ret_fd, struct stat *st)
{
        int fd = sys_openat2(j->snap.rootfd, path, O_PATH | O_NOFOLLOW, 0, EMU_RESOLVE);
        int r = 0;

        if (fd < 0)
                return stale_if_moved(fd);
        if (fstat(fd, st) < 0)
                r = -errno;
        else if (S_ISLNK(st->st_mode))
                r = EMULATE_STALE;
        if (r != 0) {
                close(fd);
                return r;
        }
        *ret_fd = fd;
        return 0;
}

/* The address for a unix socket path: the socket file itself, found in
 * the target's root under the target's credentials; the magic link in our
 * /proc leads connect/sendto to that inode whatever happens to the path
 * meanwhile. Leaves the O_PATH fd in *ret_fd (the caller closes it).
 * Returns 0, EMULATE_STALE or -errno. */
static int unix_path_addr(const struct job *j, struct sockaddr_un *sun, socklen_t *len,
                          int *ret_fd)
{
        struct stat st;
        int r = open_final(j, j->path, ret_fd, &st);

        if (r != 0)
                return r;
        sun->sun_family = AF_UNIX;
        proc_fd_name(sun->sun_path, *ret_fd);
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(sun->sun_path) + 1);
        return 0;
}

int emulate_op_connect(struct job *j)
{
        struct sockaddr_un sun;
        cleanup_close int fd = -1;
        socklen_t len;
        int r;

        if (!j->path)
                return connect(j->sock, (const struct sockaddr *)&j->addr, j->addrlen) < 0
                       ? -errno : 0;
        r = unix_path_addr(j, &sun, &len, &fd);
        if (r != 0)
                return r;
        return connect(j->sock, (const struct sockaddr *)&sun, len) < 0 ? -errno : 0;
}

int emulate_op_send(struct job *j)
{
        const struct sockaddr *to = (const struct sockaddr *)&j->addr;
        socklen_t tolen = j->addrlen;
        struct sockaddr_un sun;
        cleanup_close int fd = -1;
        ssize_t n;
        int r;

        if (j->path) {
                r = unix_path_addr(j, &sun, &tolen, &fd);
                if (r != 0)
                        return r;
                to = (const struct sockaddr *)&sun;
        }
        /* Never a SIGPIPE in the agent: the target gets it instead. */
        n = sendto(j->sock, j->data, j->len, j->send_flags | MSG_NOSIGNAL, to, tolen);
        if (n < 0) {
                if (errno == EPIPE && !(j->send_flags & MSG_NOSIGNAL))
                        j->signal_owed = SIGPIPE;
                return -errno;
        }
        j->sent = (size_t)n;
        return 0;
}

/* Opens the directory holding the final name of path and copies that
 * name, with the target's trailing '/' if it wrote one (the kernel then
 * applies its own rules for it), into name (NAME_MAX + 2 bytes). The root
 * itself is the name "." in "/". Returns 0 with *ret_fd, EMULATE_STALE, or
 * -errno as the target's walk would fail (-ENOENT, -ENOTDIR, -EACCES). */
static int open_parent(const struct job *j, const char *path, bool slash, char *name,
                       int *ret_fd)
{
        char dir[PATH_MAX];
        const char *last = strrchr(path, '/');
        size_t dirlen, len;
        int fd;

        if (!last)
                return -EINVAL;
        len = strlen(last + 1);
        if (len > NAME_MAX)
                return -ENAMETOOLONG;
        if (len == 0) {
                memcpy(name, ".", 2);
        } else {
                memcpy(name, last + 1, len);
                name[len] = '\0';
                if (slash)
                        memcpy(name + len, "/", 2);
        }
        dirlen = last == path ? 1 : (size_t)(last - path);
        if (dirlen >= sizeof(dir))
                return -ENAMETOOLONG;
        memcpy(dir, path, dirlen);
        dir[dirlen] = '\0';
        fd = sys_openat2(j->snap.rootfd, dir, O_PATH | O_DIRECTORY, 0, EMU_RESOLVE);
        if (fd < 0)
                return stale_if_moved(fd);
        *ret_fd = fd;
        return 0;
}

/* truncate and chmod follow the final link: act on the object through
 * our /proc/self/fd, the permission checks being the kernel's own. */
static int op_on_object(struct job *j)
{
        const struct emulate_path_call *c = &j->call;
        cleanup_close int fd = -1;
        char proc[PROC_FD_NAME];
        struct stat st, held;
        int r = open_final(j, j->path, &fd, &st);

        if (r != 0)
                return r;
        /* AT_EMPTY_PATH chmod: the target's fd must still be the inode the
         * policy judged by its name. */
        if (j->src >= 0 && fstat(j->src, &held) < 0)
                return -errno;
        if (j->src >= 0 && (held.st_dev != st.st_dev || held.st_ino != st.st_ino))
                return EMULATE_STALE;
        if (c->slash[0] && !S_ISDIR(st.st_mode))
                return -ENOTDIR;
        /* The limit is the caller's in the kernel (inode_newsize_ok): the
         * target's, which only applies when the file grows. */
        if (c->op == EMULATE_TRUNCATE && (uint64_t)st.st_size < c->arg &&
            j->fsize_limit != (uint64_t)RLIM_INFINITY && c->arg > j->fsize_limit) {
                j->signal_owed = SIGXFSZ;
                return -EFBIG;
        }
        proc_fd_name(proc, j->src >= 0 ? j->src : fd);
        if (c->op == EMULATE_TRUNCATE)
                r = truncate(proc, (off_t)c->arg);
        else
                r = chmod(proc, (mode_t)c->arg);
        return r < 0 ? -errno : 0;
}

static int op_link(struct job *j, int dirfd, const char *name)
{
        cleanup_close int srcdir = -1;
        char proc[PROC_FD_NAME], srcname[NAME_MAX + 2];
        int r;

        /* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH or, since 6.10, the
         * opener's own credentials, which a worker never has: where the
         * first fails, the /proc/self/fd route the target could take
         * itself is used. */
        if (j->src >= 0 && (j->call.arg & AT_EMPTY_PATH) &&
            linkat(j->src, "", dirfd, name, AT_EMPTY_PATH) == 0)
                return 0;
        if (j->src >= 0 && (j->call.arg & AT_EMPTY_PATH) && errno != ENOENT)
                return -errno;
        if (j->src >= 0) {
                proc_fd_name(proc, j->src);
                return linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) < 0 ? -errno : 0;
        }
        /* The source is not what the policy judges; linking its name
         * (flags 0) is exact for a source resolved without following, and
         * for a followed one links whatever is there now. */
        r = open_parent(j, j->source, false, srcname, &srcdir);
        if (r != 0)
                return r;
        return linkat(srcdir, srcname, dirfd, name, 0) < 0 ? -errno : 0;
}

/* What the kernel answers when the name a call acts on is the root
 * itself: it has no parent to act in. */
static int root_as_name(const struct emulate_path_call *c)
{
        switch (c->op) {
        case EMULATE_UNLINK:
                return (c->arg & AT_REMOVEDIR) ? -EBUSY : -EISDIR;
        case EMULATE_RENAME:
                return -EBUSY;
        case EMULATE_MKDIR:
        case EMULATE_MKNOD:
        case EMULATE_SYMLINK:
        case EMULATE_LINK:
                return -EEXIST;
        default:
                return 0;
        }
}

int emulate_op_path(struct job *j)
{
        const struct emulate_path_call *c = &j->call;
        cleanup_close int dirfd = -1;
        cleanup_close int dirfd2 = -1;
        char name[NAME_MAX + 2], name2[NAME_MAX + 2];
        int r;

        if (c->op == EMULATE_TRUNCATE || (c->op == EMULATE_CHMOD && (c->follow || j->src >= 0)))
                return op_on_object(j);
        if ((!strcmp(j->path, "/") || (c->op == EMULATE_RENAME && !strcmp(j->path2, "/"))) &&
            (r = root_as_name(c)) != 0)
                return r;
        /* A '/' after the name makes the kernel follow a final link, which
         * it would do from our root, not the target's: chmod's caller
         * resolves through it instead (the others never follow). */
        r = open_parent(j, j->path, c->slash[0] && c->op != EMULATE_CHMOD, name, &dirfd);
        if (r != 0)
                return r;
        switch (c->op) {
        case EMULATE_CHMOD:
                r = (int)syscall(__NR_fchmodat2, dirfd, name, (mode_t)c->arg, AT_SYMLINK_NOFOLLOW);
                break;
        case EMULATE_MKDIR:
                r = mkdirat(dirfd, name, (mode_t)c->arg);
                break;
        case EMULATE_MKNOD:
                /* the kernel takes an unsigned int dev; glibc's wrapper
                 * refuses what does not fit instead of cutting it */
                r = (int)syscall(SYS_mknodat, dirfd, name, (mode_t)c->arg, (unsigned)c->dev);
                break;
        case EMULATE_UNLINK:
                r = unlinkat(dirfd, name, (int)c->arg);
                break;
        case EMULATE_SYMLINK:
                r = symlinkat(j->text, dirfd, name);
                break;
        case EMULATE_RENAME:
                r = open_parent(j, j->path2, c->slash[1], name2, &dirfd2);
                if (r != 0)
                        return r;
                r = (int)syscall(SYS_renameat2, dirfd, name, dirfd2, name2, (unsigned)c->arg);
                break;
        case EMULATE_LINK:
                return op_link(j, dirfd, name);
        default:
                return -EINVAL;
        }
        return r < 0 ? -errno : 0;
}
