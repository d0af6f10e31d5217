/* Path resolution in a target's root (see resolve.h).
 *
 * Two ways to the same answer:
 *  - fast: one openat2(rootfd, base + "/" + path, RESOLVE_IN_ROOT |
 *    RESOLVE_NO_MAGICLINKS) lets the kernel walk; the object it opened is
 *    then named (its d_path, read through /proc/thread-self/fd, minus the
 *    d_path of the root).
 *  - walk: one component at a time with O_PATH|O_NOFOLLOW opens, following
 *    symlinks by their text, mapping /proc/self to the target and jumping
 *    through magic links as the kernel does for the target.
 * The kernel's walk is wrong for us only inside procfs: there /proc/self is
 * the supervisor (or missing, from outside the container's pid namespace)
 * and magic links are refused. So the fast answer is taken only when it
 * opened something outside procfs (a walk that left procfs again through
 * ".." ends where the target's would); everything else, failures included,
 * is redone by the walk, which also gives PATHRES_CREATE its meaning.
 *
 * Every name handed out is in the container's view and either built from
 * the real directories walked or a d_path checked by reopening it inside
 * the root (resolver_name). */
#include "resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "path.h"
#include "syscalls.h"
#include "util.h"

_Static_assert(PATHRES_FOLLOW == SYSCALLS_FOLLOW && PATHRES_CREATE == SYSCALLS_CREATE,
               "syscalls.h passes its resolution flags through unchanged");

#define RESOLVE_MAX_LINKS  40   /* the kernel's MAXSYMLINKS */
#define RESOLVE_MAX_LEVELS 33   /* pid namespace levels: MAX_PID_NS_LEVEL + 1 */
#define RESOLVE_BUF        (PATH_MAX_BYTES + 2)  /* a link text, one byte to spare */

/* Opening inside a procfs directory without leaving it: no symlinks, no
 * mounts on top (a container could bind something over /proc/N/status). */
#define RESOLVE_PROC_ONLY  (RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS)

struct resolver {
        pid_t tid;
        int rootfd;
        size_t rootlen;                 /* 0 when the root's name is "/" */
        char root[PATH_MAX_BYTES + 1];  /* the root's name in our view */
        /* For /proc/self, loaded on first use: the target's thread group id
         * and thread id in each pid namespace from ours down, and the text
         * of its ns/pid link. */
        unsigned nids;
        pid_t tgids[RESOLVE_MAX_LEVELS];
        pid_t tids[RESOLVE_MAX_LEVELS];
        char pidns[64];
};

static void resolver_done(struct resolver *r)
{
        util_closep(&r->rootfd);
}

#define cleanup_resolver __attribute__((cleanup(resolver_done)))

static int sys_openat2(int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
        struct open_how how = { .flags = flags | O_CLOEXEC, .resolve = resolve };
        long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

        return fd < 0 ? -errno : (int)fd;
}

/* readlinkat into buf (RESOLVE_BUF bytes), NUL-terminated. Returns the
 * length or -errno; a text longer than PATH_MAX_BYTES is -ENAMETOOLONG. */
static int read_link(int dirfd, const char *path, char *buf)
{
        ssize_t n = readlinkat(dirfd, path, buf, RESOLVE_BUF - 1);

        if (n < 0)
                return -errno;
        if (n > PATH_MAX_BYTES)
                return -ENAMETOOLONG;
        buf[n] = '\0';
        return (int)n;
}

/* The kernel's name (d_path) of our own fd, relative to our root. Through
 * thread-self (Linux 3.17): a supervisor thread may have its own fd table. */
static int fd_dpath(int fd, char *buf)
{
        char link[48];

        snprintf(link, sizeof(link), "/proc/thread-self/fd/%d", fd);
        return read_link(AT_FDCWD, link, buf);
}

/* -ENOENT from /proc/TID/... means the thread is gone, unless it is still
 * there and only the entry is missing (an fd that is not open): then
 * `missing`. A zombie has no root, so it counts as gone. */
static int resolver_enoent(const struct resolver *r, int err, int missing)
{
        char link[48];
        struct stat st;

        if (err != -ENOENT)
                return err;
        snprintf(link, sizeof(link), "/proc/%d/root", (int)r->tid);
        return stat(link, &st) < 0 ? -ESRCH : missing;
}

static int resolver_init(struct resolver *r, pid_t tid)
{
        char link[48];
        char buf[RESOLVE_BUF];
        int n;

        r->tid = tid;
        r->nids = 0;
        r->rootlen = 0;
        snprintf(link, sizeof(link), "/proc/%d/root", (int)tid);
        r->rootfd = open(link, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (r->rootfd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        /* Name the root that was opened rather than reading the link again:
         * a sibling thread may chroot in between. */
        n = fd_dpath(r->rootfd, buf);
        if (n < 0)
                return n;
        if (buf[0] != '/')
                return -EXDEV;
        if (n > 1) {
                memcpy(r->root, buf, (size_t)n + 1);
                r->rootlen = (size_t)n;
        }
        return 0;
}

/* Names the object fd (reached inside r's root, or through a magic link) as
 * the target sees it: its d_path without the root's d_path, checked by
 * opening that name in the root without following any symlink and comparing
 * device and inode. The check catches what a d_path cannot say: an object
 * outside the root, a deleted one (" (deleted)"), one without a path
 * ("pipe:[...]"), a name that now leads elsewhere (a mount on top). It is
 * skipped when the name equals `expected`, the lexical form of the path the
 * kernel has just walked to fd inside the root: that name is then the walk's
 * own. out has PATH_MAX_BYTES + 1 bytes. */
static int resolver_name(const struct resolver *r, int fd, const char *expected, char *out)
{
        char buf[RESOLVE_BUF];
        cleanup_close int check = -1;
        struct stat a, b;
        const char *s = buf;
        int n = fd_dpath(fd, buf);

        if (n < 0)
                return n;
        if (r->rootlen > 0) {
                if ((size_t)n < r->rootlen || memcmp(buf, r->root, r->rootlen) != 0 ||
                    (buf[r->rootlen] != '/' && buf[r->rootlen] != '\0'))
                        return -EXDEV;
                s = buf[r->rootlen] ? buf + r->rootlen : "/";
        }
        if (s[0] != '/')
                return -EXDEV;
        memcpy(out, s, strlen(s) + 1);
        if (expected && strcmp(out, expected) == 0)
                return 0;
        check = sys_openat2(r->rootfd, out, O_PATH | O_NOFOLLOW,
                            RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
        if (check < 0)
                return check == -ENOMEM || check == -ENOSYS ? check : -EXDEV;
        if (fstat(fd, &a) < 0 || fstat(check, &b) < 0)
                return -errno;
        if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
                return -EXDEV;
        return 0;
}

/* Opens the target's cwd (dirfd AT_FDCWD) or its fd dirfd, following the
 * /proc magic link, and names it. */
static int resolver_open_fd(const struct resolver *r, int dirfd, bool need_dir,
                            char *name, int *ret_fd)
{
        char link[64];
        cleanup_close int fd = -1;
        struct stat st;
        int k;

        if (dirfd == AT_FDCWD)
                snprintf(link, sizeof(link), "/proc/%d/cwd", (int)r->tid);
        else
                snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)r->tid, dirfd);
        fd = open(link, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return resolver_enoent(r, -errno, dirfd == AT_FDCWD ? -ESRCH : -EBADF);
        if (need_dir) {
                if (fstat(fd, &st) < 0)
                        return -errno;
                if (!S_ISDIR(st.st_mode))
                        return -ENOTDIR;
        }
        k = resolver_name(r, fd, NULL, name);
        if (k < 0)
                return k;
        if (ret_fd)
                *ret_fd = TAKE_FD(fd);
        return 0;
}

/* Parses the numbers after "NStgid:" or "NSpid:". Returns their count. */
static int parse_ids(const char *s, pid_t *ids)
{
        int n = 0;

        for (;;) {
                char *end;
                long v;

                while (*s == ' ' || *s == '\t')
                        s++;
                if (*s == '\n' || *s == '\0')
                        return n;
                if (n == RESOLVE_MAX_LEVELS)
                        return -EINVAL;
                errno = 0;
                v = strtol(s, &end, 10);
                if (end == s || errno || v <= 0 || v > INT_MAX)
                        return -EINVAL;
                ids[n++] = (pid_t)v;
                s = end;
        }
}

/* Reads the NStgid (and, if tids, NSpid) line of a /proc status file, which
 * list the ids from the reading procfs's pid namespace down. Takes fd.
 * Returns the number of levels. */
static int status_ids(int fd, pid_t *tgids, pid_t *tids)
{
        cleanup_fclose FILE *f = fdopen(fd, "r");
        cleanup_free char *line = NULL;
        size_t cap = 0;
        int nt = -EINVAL, np = -EINVAL;

        if (!f) {
                int err = -errno;

                close(fd);
                return err;
        }
        while (getline(&line, &cap, f) > 0) {
                if (strncmp(line, "NStgid:", 7) == 0)
                        nt = parse_ids(line + 7, tgids);
                else if (tids && strncmp(line, "NSpid:", 6) == 0)
                        np = parse_ids(line + 6, tids);
        }
        if (nt <= 0 || (tids && np != nt))
                return -EINVAL;
        return nt;
}

static int resolver_load_ids(struct resolver *r)
{
        char path[48];
        char buf[RESOLVE_BUF];
        int fd, n, k;

        if (r->nids > 0)
                return 0;
        snprintf(path, sizeof(path), "/proc/%d/status", (int)r->tid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        n = status_ids(fd, r->tgids, r->tids);
        if (n < 0)
                return n;
        snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)r->tid);
        k = read_link(AT_FDCWD, path, buf);
        if (k < 0)
                return k == -ENOENT ? -ESRCH : k;
        if ((size_t)k >= sizeof(r->pidns))
                return -EINVAL;
        memcpy(r->pidns, buf, (size_t)k + 1);
        r->nids = (unsigned)n;
        return 0;
}

/* Whether <procfd>/<tgids[j]> is the target's thread group. Level j of the
 * target's ids is right for this procfs if the task found there lists the
 * same number of levels below the procfs's pid namespace (so that namespace
 * is at the target's level j) and lives in the same innermost pid namespace
 * as the target: a pid namespace has one ancestor at each level, so both
 * then hold ids in the same namespace, where a tgid is unique. */
static int proc_is_target(const struct resolver *r, int procfd, unsigned j)
{
        pid_t ids[RESOLVE_MAX_LEVELS];
        char name[16], buf[RESOLVE_BUF];
        cleanup_close int dir = -1;
        cleanup_close int ns = -1;
        int fd, n;

        snprintf(name, sizeof(name), "%d", (int)r->tgids[j]);
        dir = sys_openat2(procfd, name, O_PATH | O_DIRECTORY, RESOLVE_PROC_ONLY);
        if (dir < 0)
                return dir == -ENOMEM ? dir : 0;
        fd = sys_openat2(dir, "status", O_RDONLY, RESOLVE_PROC_ONLY);
        if (fd < 0)
                return fd == -ENOMEM ? fd : 0;
        n = status_ids(fd, ids, NULL);
        if (n == -ENOMEM)
                return n;
        if (n <= 0 || (unsigned)n != r->nids - j || ids[0] != r->tgids[j])
                return 0;
        ns = sys_openat2(dir, "ns/pid", O_PATH | O_NOFOLLOW, RESOLVE_PROC_ONLY);
        if (ns < 0)
                return ns == -ENOMEM ? ns : 0;
        if (read_link(ns, "", buf) < 0)
                return 0;
        return strcmp(buf, r->pidns) == 0;
}

/* The text /proc/self (thread: /proc/thread-self) has for the target in the
 * procfs whose root is procfd: "TGID" or "TGID/task/TID" in that procfs's
 * pid namespace. -ENOENT if the target is not in it, as the kernel says to a
 * process outside the namespace of a procfs. */
static int proc_self_text(struct resolver *r, int procfd, bool thread, char *text, size_t size)
{
        int k = resolver_load_ids(r);

        if (k < 0)
                return k;
        for (unsigned j = r->nids; j-- > 0;) {
                k = proc_is_target(r, procfd, j);
                if (k < 0)
                        return k;
                if (k == 0)
                        continue;
                if (thread)
                        snprintf(text, size, "%d/task/%d", (int)r->tgids[j], (int)r->tids[j]);
                else
                        snprintf(text, size, "%d", (int)r->tgids[j]);
                return 0;
        }
        return -ENOENT;
}

/* The component walk. cur is the container-view name of the directory curfd
 * ("" for the root), built from real directories only, so its lexical
 * parent is its real parent. todo[pos..] is what is left of the path; a
 * symlink replaces the component with its text. */
struct walk {
        struct resolver *r;
        unsigned flags;
        unsigned links;
        int curfd;
        int curproc;                    /* curfd is on procfs: -1 unknown */
        size_t curlen;
        char cur[PATH_MAX_BYTES + 1];
        char *todo;
        size_t todolen;
        size_t pos;
        int *unnamed;                   /* resolve_unnamed(): where the final
                                           object without a name goes */
        char text[RESOLVE_BUF];         /* scratch for link texts and names */
};

static void walk_freep(struct walk **wp)
{
        struct walk *w = *wp;

        if (!w)
                return;
        if (w->curfd >= 0)
                close(w->curfd);
        free(w->todo);
        free(w);
}

/* Makes fd (taken) the current directory, named name[0..len) ("" or "/"
 * for the root). */
static int walk_set_dir(struct walk *w, int fd, const char *name, size_t len)
{
        if (len == 1 && name[0] == '/')
                len = 0;
        if (len > PATH_MAX_BYTES) {
                close(fd);
                return -ENAMETOOLONG;
        }
        if (w->curfd >= 0)
                close(w->curfd);
        w->curfd = fd;
        w->curproc = -1;
        memmove(w->cur, name, len);
        w->cur[len] = '\0';
        w->curlen = len;
        return 0;
}

static int walk_set_root(struct walk *w)
{
        int fd = fcntl(w->r->rootfd, F_DUPFD_CLOEXEC, 3);

        if (fd < 0)
                return -errno;
        return walk_set_dir(w, fd, "", 0);
}

/* Descends into the directory fd (taken), the entry name of cur. */
static int walk_descend(struct walk *w, int fd, const char *name)
{
        size_t n = strlen(name);

        if (w->curlen + 1 + n > PATH_MAX_BYTES) {
                close(fd);
                return -ENAMETOOLONG;
        }
        if (w->curfd >= 0)
                close(w->curfd);
        w->curfd = fd;
        w->curproc = -1;
        w->cur[w->curlen++] = '/';
        memcpy(w->cur + w->curlen, name, n + 1);
        w->curlen += n;
        return 0;
}

static int walk_ascend(struct walk *w)
{
        int fd;

        if (w->curlen == 0)
                return 0;       /* ".." at the root stays there */
        fd = openat(w->curfd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        close(w->curfd);
        w->curfd = fd;
        w->curproc = -1;
        while (w->curlen > 0 && w->cur[w->curlen - 1] != '/')
                w->curlen--;
        if (w->curlen > 0)
                w->curlen--;
        w->cur[w->curlen] = '\0';
        return 0;
}

/* The answer: cur joined with name (NULL: cur itself). */
static int walk_answer(const struct walk *w, const char *name, char *out)
{
        size_t n = name ? strlen(name) : 0;

        if (!name) {
                if (w->curlen == 0)
                        memcpy(out, "/", 2);
                else
                        memcpy(out, w->cur, w->curlen + 1);
                return 0;
        }
        if (w->curlen + 1 + n > PATH_MAX_BYTES)
                return -ENAMETOOLONG;
        memcpy(out, w->cur, w->curlen);
        out[w->curlen] = '/';
        memcpy(out + w->curlen + 1, name, n + 1);
        return 0;
}

/* Replaces the component just read (it ended at w->pos) by text. */
static int walk_push(struct walk *w, const char *text, size_t len)
{
        size_t rest = w->todolen - w->pos;
        char *todo = malloc(len + rest + 1);

        if (!todo)
                return -ENOMEM;
        memcpy(todo, text, len);
        memcpy(todo + len, w->todo + w->pos, rest + 1);
        free(w->todo);
        w->todo = todo;
        w->todolen = len + rest;
        w->pos = 0;
        return 0;
}

static int walk_on_proc(struct walk *w)
{
        struct statfs sfs;

        if (w->curproc < 0) {
                if (fstatfs(w->curfd, &sfs) < 0)
                        return -errno;
                w->curproc = sfs.f_type == PROC_SUPER_MAGIC;
        }
        return w->curproc;
}

/* Follows a magic link (/proc/N/fd/M, cwd, root, exe, ...) the way the
 * kernel does: to the object itself, which is then named in the root.
 * Returns 0 with out set when it was the last component, 1 to go on. */
static int walk_jump(struct walk *w, const char *name, bool last, bool slash, char *out)
{
        char s[PATH_MAX_BYTES + 1];
        cleanup_close int fd = openat(w->curfd, name, O_PATH | O_CLOEXEC);
        struct stat st;
        int k;

        if (fd < 0)
                return -errno;
        k = resolver_name(w->r, fd, NULL, s);
        if (k == -EXDEV && last && !slash && w->unnamed)
                *w->unnamed = TAKE_FD(fd);
        if (k < 0)
                return k;
        if (fstat(fd, &st) < 0)
                return -errno;
        if ((!last || slash) && !S_ISDIR(st.st_mode))
                return -ENOTDIR;
        if (last) {
                memcpy(out, s, strlen(s) + 1);
                return 0;
        }
        k = walk_set_dir(w, TAKE_FD(fd), s, strlen(s));
        return k < 0 ? k : 1;
}

/* Follows the symlink linkfd, the entry name of cur. Returns 0 with out set
 * (a magic link as the last component), 1 to go on, or -errno. */
static int walk_follow(struct walk *w, int linkfd, const char *name, bool last, bool slash,
                       char *out)
{
        int proc, n, k;

        if (w->links++ >= RESOLVE_MAX_LINKS)
                return -ELOOP;
        proc = walk_on_proc(w);
        if (proc < 0)
                return proc;
        /* procfs has no symlinks but its own: "self" and "thread-self" (whose
         * text depends on the reader), plain ones like "mounts" ->
         * "self/mounts", and magic links, whose text is a d_path ("/...") or
         * "type:[inode]". */
        if (proc && (strcmp(name, "self") == 0 || strcmp(name, "thread-self") == 0)) {
                k = proc_self_text(w->r, w->curfd, name[0] == 't', w->text, sizeof(w->text));
                if (k < 0)
                        return k;
                k = walk_push(w, w->text, strlen(w->text));
                return k < 0 ? k : 1;
        }
        n = read_link(linkfd, "", w->text);
        if (n < 0)
                return n;
        if (n == 0)
                return -ENOENT;
        if (proc && (w->text[0] == '/' || memchr(w->text, ':', (size_t)n)))
                return walk_jump(w, name, last, slash, out);
        if (w->text[0] == '/') {
                k = walk_set_root(w);
                if (k < 0)
                        return k;
        }
        k = walk_push(w, w->text, (size_t)n);
        return k < 0 ? k : 1;
}

/* One step: the next component. Returns 0 with out set, 1 to go on. */
static int walk_step(struct walk *w, char *out)
{
        const char *s = w->todo;
        size_t start, len, rest;
        char name[NAME_MAX + 1];
        cleanup_close int fd = -1;
        struct stat st;
        bool last, slash;
        int k;

        while (w->pos < w->todolen && s[w->pos] == '/')
                w->pos++;
        if (w->pos == w->todolen)
                return walk_answer(w, NULL, out);
        start = w->pos;
        while (w->pos < w->todolen && s[w->pos] != '/')
                w->pos++;
        len = w->pos - start;
        rest = w->pos;
        while (rest < w->todolen && s[rest] == '/')
                rest++;
        last = rest == w->todolen;
        slash = last && w->pos < w->todolen;
        if (len == 1 && s[start] == '.')
                return 1;
        if (len == 2 && s[start] == '.' && s[start + 1] == '.') {
                k = walk_ascend(w);
                return k < 0 ? k : 1;
        }
        if (len > NAME_MAX)
                return -ENAMETOOLONG;
        memcpy(name, s + start, len);
        name[len] = '\0';

        fd = openat(w->curfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT && last && (w->flags & PATHRES_CREATE))
                        return walk_answer(w, name, out);
                return -errno;
        }
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISLNK(st.st_mode) && (!last || slash || (w->flags & PATHRES_FOLLOW)))
                return walk_follow(w, fd, name, last, slash, out);
        if (last) {
                if (slash && !S_ISDIR(st.st_mode))
                        return -ENOTDIR;
                return walk_answer(w, name, out);
        }
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        k = walk_descend(w, TAKE_FD(fd), name);
        return k < 0 ? k : 1;
}

static struct walk *walk_new(struct resolver *r, const char *path, unsigned flags)
{
        struct walk *w = calloc(1, sizeof(*w));

        if (!w)
                return NULL;
        w->r = r;
        w->flags = flags;
        w->curfd = -1;
        w->todo = strdup(path);
        if (!w->todo) {
                free(w);
                return NULL;
        }
        w->todolen = strlen(path);
        return w;
}

/* Walks path from the directory basefd named base (NULL: from the root).
 * Bounded: each step consumes a component or follows one of at most
 * RESOLVE_MAX_LINKS links, each adding at most PATH_MAX_BYTES of text. */
static int walk_path(struct resolver *r, const char *base, int basefd, const char *path,
                     unsigned flags, char *out, int *unnamed)
{
        __attribute__((cleanup(walk_freep))) struct walk *w = walk_new(r, path, flags);
        int k;

        if (!w)
                return -ENOMEM;
        w->unnamed = unnamed;
        if (base) {
                int fd = fcntl(basefd, F_DUPFD_CLOEXEC, 3);

                if (fd < 0)
                        return -errno;
                k = walk_set_dir(w, fd, base, strlen(base));
        } else {
                k = walk_set_root(w);
        }
        if (k < 0)
                return k;
        do
                k = walk_step(w, out);
        while (k > 0);
        return k;
}

/* The kernel's walk (see the top of the file). Returns 0 with out set, 1
 * when the component walk must decide, or -errno. */
static int resolve_fast(const struct resolver *r, const char *abs, unsigned flags, char *out)
{
        cleanup_close int fd = -1;
        cleanup_free char *expected = NULL;
        struct statfs sfs;
        int k;

        fd = sys_openat2(r->rootfd, abs, O_PATH | ((flags & PATHRES_FOLLOW) ? 0 : O_NOFOLLOW),
                         RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        if (fd < 0)
                return fd == -ENOMEM || fd == -ENOSYS ? fd : 1;
        if (fstatfs(fd, &sfs) < 0)
                return -errno;
        if (sfs.f_type == PROC_SUPER_MAGIC)
                return 1;
        k = path_normalize(abs, &expected);
        if (k < 0)
                return k;
        k = resolver_name(r, fd, expected, out);
        /* A d_path that fails the check (or is too long in our view) does
         * not make the walked name wrong: let the walk build it. */
        if (k < 0 && k != -ENOMEM)
                return 1;
        return k;
}

static int check_args(pid_t tid, int dirfd, const char *path, char **ret, size_t *len)
{
        size_t n;

        if (tid <= 0 || !path || !ret)
                return -EINVAL;
        n = strnlen(path, PATH_MAX_BYTES + 1);
        if (n > PATH_MAX_BYTES)
                return -ENAMETOOLONG;
        if (n == 0)
                return -ENOENT;
        if (path[0] != '/' && dirfd != AT_FDCWD && dirfd < 0)
                return -EBADF;
        *len = n;
        return 0;
}

static int hand_out(const char *s, char **ret)
{
        char *copy = strdup(s);

        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 0;
}

/* resolve_path(), or with unnamed resolve_unnamed(): the fast way is
 * skipped then, the walk alone jumps through magic links. */
static int resolve_any(pid_t tid, int dirfd, const char *path, unsigned flags, char **ret,
                       int *unnamed)
{
        cleanup_resolver struct resolver r = { .rootfd = -1 };
        cleanup_close int basefd = -1;
        char base[PATH_MAX_BYTES + 1];
        char out[PATH_MAX_BYTES + 1];
        size_t n, blen = 0;
        bool relative;
        int k;

        if (flags & ~(PATHRES_FOLLOW | PATHRES_CREATE))
                return -EINVAL;
        k = check_args(tid, dirfd, path, ret, &n);
        if (k < 0)
                return k;
        k = resolver_init(&r, tid);
        if (k < 0)
                return k;
        relative = path[0] != '/';
        if (relative) {
                k = resolver_open_fd(&r, dirfd, true, base, &basefd);
                if (k < 0)
                        return k;
                blen = strlen(base);
        }
        /* A relative path the kernel accepts may be too long once joined to
         * its base; only the walk can take it then. */
        if (!unnamed && blen + 1 + n <= PATH_MAX_BYTES) {
                char abs[PATH_MAX_BYTES + 1];
                size_t off = 0;

                if (relative) {
                        memcpy(abs, base, blen);
                        abs[blen] = '/';
                        off = blen + 1;
                }
                memcpy(abs + off, path, n + 1);
                k = resolve_fast(&r, abs, flags, out);
                if (k < 0)
                        return k;
                if (k == 0)
                        return hand_out(out, ret);
        }
        k = walk_path(&r, relative ? base : NULL, basefd, path, flags, out, unnamed);
        if (k < 0)
                return k;
        return hand_out(out, ret);
}

int resolve_path(pid_t tid, int dirfd, const char *path, unsigned flags, char **ret)
{
        return resolve_any(tid, dirfd, path, flags, ret, NULL);
}

int resolve_unnamed(pid_t tid, int dirfd, const char *path, unsigned flags, int *ret_fd)
{
        cleanup_free char *named = NULL;
        int fd = -1;
        int k;

        if (!ret_fd)
                return -EINVAL;
        k = resolve_any(tid, dirfd, path, flags, &named, &fd);
        if (fd >= 0 && k == -EXDEV) {
                *ret_fd = fd;
                return 0;
        }
        util_closep(&fd);
        return k < 0 ? k : -EXDEV;
}

int resolve_lexical(pid_t tid, int dirfd, const char *path, char **ret)
{
        cleanup_resolver struct resolver r = { .rootfd = -1 };
        char base[PATH_MAX_BYTES + 1];
        size_t n;
        int k;

        k = check_args(tid, dirfd, path, ret, &n);
        if (k < 0)
                return k;
        if (path[0] == '/')
                return path_normalize(path, ret);
        k = resolver_init(&r, tid);
        if (k < 0)
                return k;
        k = resolver_open_fd(&r, dirfd, true, base, NULL);
        if (k < 0)
                return k;
        return path_join_normalize(base, path, ret);
}

int resolve_fd(pid_t tid, int fd, char **ret)
{
        cleanup_resolver struct resolver r = { .rootfd = -1 };
        char out[PATH_MAX_BYTES + 1];
        int k;

        if (tid <= 0 || !ret)
                return -EINVAL;
        if (fd < 0)
                return -EBADF;
        k = resolver_init(&r, tid);
        if (k < 0)
                return k;
        k = resolver_open_fd(&r, fd, false, out, NULL);
        if (k < 0)
                return k;
        return hand_out(out, ret);
}
