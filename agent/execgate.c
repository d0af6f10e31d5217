#include "execgate.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <stdio.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "execinterp.h"
#include "util.h"

#define EXECGATE_MAX_SCOPES     4096
#define EXECGATE_MAX_FILES      65536
#define EXECGATE_MAX_DEPTH      4096    /* parent links walked for one exec */
#define EXECGATE_MAX_RESTARTS   8       /* walks restarted after a parent died */
#define EXECGATE_MAX_PIDNS      33      /* MAX_PID_NS_LEVEL + 1 */
#define EXECGATE_MAX_INTERP     4       /* the kernel's BINPRM_MAX_RECURSION */
#define EXECGATE_READS          8       /* reads per execgate_process() */

struct execgate_id {
        dev_t dev;
        ino_t ino;
};

struct execgate_scope {
        enum execgate_scope_kind kind;
        void *cookie;
        pid_t pid;
        uint64_t start_ticks;           /* TREE: start time of pid, to spot pid reuse */
        int nsfd;                       /* PIDNS: pins the namespace and its inode number */
        dev_t ns_dev;
        ino_t ns_ino;
        struct timespec start;          /* CLOCK_REALTIME_COARSE at supervision start */
        struct execgate_id *ids;        /* sorted */
        size_t nids, cap;
};

struct execgate {
        int fd;
        int procfd;
        dev_t own_ns_dev;
        ino_t own_ns_ino;
        struct execgate_scope **scopes;
        size_t nscopes;
        size_t ntree;                   /* TREE scopes among them */
        struct execgate_stats stats;
};

/* ---- the gate --------------------------------------------------------- */

int execgate_new(struct execgate **ret)
{
        cleanup_close int fd = -1;
        cleanup_close int procfd = -1;
        struct execgate *g;
        struct stat st;

        if (!ret)
                return -EINVAL;
        fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK | FAN_UNLIMITED_QUEUE |
                           FAN_UNLIMITED_MARKS, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (procfd < 0)
                return -errno;
        if (fstatat(procfd, "self/ns/pid", &st, 0) < 0)
                return -errno;
        g = calloc(1, sizeof(*g));
        if (!g)
                return -ENOMEM;
        g->fd = TAKE_FD(fd);
        g->procfd = TAKE_FD(procfd);
        g->own_ns_dev = st.st_dev;
        g->own_ns_ino = st.st_ino;
        *ret = g;
        return 0;
}

static struct execgate_scope *scope_free(struct execgate_scope *s)
{
        if (!s)
                return NULL;
        util_closep(&s->nsfd);
        free(s->ids);
        free(s);
        return NULL;
}

struct execgate *execgate_free(struct execgate *g)
{
        if (!g)
                return NULL;
        util_closep(&g->fd);
        util_closep(&g->procfd);
        for (size_t i = 0; i < g->nscopes; i++)
                scope_free(g->scopes[i]);
        free(g->scopes);
        free(g);
        return NULL;
}

int execgate_fd(const struct execgate *g)
{
        return g ? g->fd : -EINVAL;
}

const struct execgate_stats *execgate_get_stats(const struct execgate *g)
{
        static const struct execgate_stats none;

        return g ? &g->stats : &none;
}

const char *execgate_reason_string(enum execgate_reason r)
{
        switch (r) {
        case EXECGATE_ALLOWLISTED:
                return "allowlisted image file";
        case EXECGATE_NOT_ALLOWLISTED:
                return "not an allowlisted image file";
        case EXECGATE_CHANGED:
                return "file changed since supervision started";
        case EXECGATE_UNKNOWN:
                break;
        }
        return "file or process could not be examined";
}

/* ---- scopes ----------------------------------------------------------- */

/* Parent and start time (clock ticks since boot) from /proc/PID/stat. */
static int proc_stat(int procfd, pid_t pid, pid_t *ppid, uint64_t *start)
{
        char path[32], buf[2048], *p, *save = NULL, *tok;
        cleanup_close int fd = -1;
        ssize_t n;
        int field = 2;          /* the field after ") " is the third */

        snprintf(path, sizeof(path), "%d/stat", (int)pid);
        fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return n == 0 ? -ESRCH : -errno;
        buf[n] = '\0';
        p = strrchr(buf, ')');  /* comm may contain ')' and spaces */
        if (!p)
                return -EPROTO;
        for (tok = strtok_r(p + 1, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
                field++;
                if (field == 4)
                        *ppid = (pid_t)strtol(tok, NULL, 10);
                else if (field == 22) {
                        *start = strtoull(tok, NULL, 10);
                        return 0;
                }
        }
        return -EPROTO;
}

int execgate_add_scope(struct execgate *g, enum execgate_scope_kind kind, pid_t pid, void *cookie,
                       struct execgate_scope **ret)
{
        cleanup_close int nsfd = -1;
        struct execgate_scope **scopes, *s;
        uint64_t start_ticks = 0;
        char path[32];
        struct stat st = { 0 };
        pid_t ppid;
        int r;

        if (!g || !ret || pid <= 0 || (kind != EXECGATE_SCOPE_PIDNS && kind != EXECGATE_SCOPE_TREE))
                return -EINVAL;
        if (g->nscopes >= EXECGATE_MAX_SCOPES)
                return -E2BIG;
        if (kind == EXECGATE_SCOPE_TREE) {
                r = proc_stat(g->procfd, pid, &ppid, &start_ticks);
                if (r < 0)
                        return r;
        } else {
                snprintf(path, sizeof(path), "%d/ns/pid", (int)pid);
                nsfd = openat(g->procfd, path, O_RDONLY | O_CLOEXEC);
                if (nsfd < 0)
                        return errno == ENOENT ? -ESRCH : -errno;
                if (fstat(nsfd, &st) < 0)
                        return -errno;
                if (st.st_dev == g->own_ns_dev && st.st_ino == g->own_ns_ino)
                        return -EINVAL;
        }
        scopes = reallocarray(g->scopes, g->nscopes + 1, sizeof(*scopes));
        if (!scopes)
                return -ENOMEM;
        g->scopes = scopes;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        *s = (struct execgate_scope){
                .kind = kind, .cookie = cookie, .pid = pid, .start_ticks = start_ticks,
                .nsfd = TAKE_FD(nsfd), .ns_dev = st.st_dev, .ns_ino = st.st_ino,
        };
        clock_gettime(CLOCK_REALTIME_COARSE, &s->start);
        g->scopes[g->nscopes++] = s;
        if (kind == EXECGATE_SCOPE_TREE)
                g->ntree++;
        *ret = s;
        return 0;
}

void execgate_remove_scope(struct execgate *g, struct execgate_scope *s)
{
        if (!g || !s)
                return;
        for (size_t i = 0; i < g->nscopes; i++) {
                if (g->scopes[i] != s)
                        continue;
                g->scopes[i] = g->scopes[--g->nscopes];
                if (s->kind == EXECGATE_SCOPE_TREE)
                        g->ntree--;
                scope_free(s);
                return;
        }
}

/* ---- allowlist -------------------------------------------------------- */

static int id_cmp(const struct execgate_id *a, const struct execgate_id *b)
{
        if (a->dev != b->dev)
                return a->dev < b->dev ? -1 : 1;
        if (a->ino != b->ino)
                return a->ino < b->ino ? -1 : 1;
        return 0;
}

/* Index of the first entry >= key. */
static size_t id_lower_bound(const struct execgate_scope *s, const struct execgate_id *key)
{
        size_t lo = 0, hi = s->nids;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (id_cmp(&s->ids[mid], key) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static bool id_listed(const struct execgate_scope *s, dev_t dev, ino_t ino)
{
        struct execgate_id key = { dev, ino };
        size_t i = id_lower_bound(s, &key);

        return i < s->nids && id_cmp(&s->ids[i], &key) == 0;
}

int execgate_allow_file(struct execgate_scope *s, int fd)
{
        struct execgate_id key;
        struct stat st;
        size_t i;

        if (!s)
                return -EINVAL;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        key = (struct execgate_id){ st.st_dev, st.st_ino };
        i = id_lower_bound(s, &key);
        if (i < s->nids && id_cmp(&s->ids[i], &key) == 0)
                return 0;
        if (s->nids >= EXECGATE_MAX_FILES)
                return -E2BIG;
        if (s->nids == s->cap) {
                size_t cap = s->cap ? 2 * s->cap : 16;
                struct execgate_id *ids = reallocarray(s->ids, cap, sizeof(*ids));

                if (!ids)
                        return -ENOMEM;
                s->ids = ids;
                s->cap = cap;
        }
        memmove(&s->ids[i + 1], &s->ids[i], (s->nids - i) * sizeof(*s->ids));
        s->ids[i] = key;
        s->nids++;
        return 0;
}

/* ---- interpreters ----------------------------------------------------- */

int execgate_allow_exec(struct execgate_scope *s, int rootfd, int fd)
{
        cleanup_close int cur = -1;
        int r, count = 1;

        r = execgate_allow_file(s, fd);
        if (r < 0)
                return r;
        for (int depth = 0; depth < EXECGATE_MAX_INTERP; depth++) {
                int next = -1;

                r = execinterp_open(rootfd, cur >= 0 ? cur : fd, &next);
                if (r == -ENOENT)
                        break;
                if (r < 0)
                        return r;
                util_closep(&cur);
                cur = next;
                r = execgate_allow_file(s, cur);
                if (r < 0)
                        return r;
                count++;
        }
        return count;
}

/* ---- judging ---------------------------------------------------------- */

static struct execgate_scope *find_pidns(const struct execgate *g, dev_t dev, ino_t ino)
{
        for (size_t i = 0; i < g->nscopes; i++) {
                const struct execgate_scope *s = g->scopes[i];

                if (s->kind == EXECGATE_SCOPE_PIDNS && s->ns_dev == dev && s->ns_ino == ino)
                        return g->scopes[i];
        }
        return NULL;
}

/* The PIDNS scope of pid: its pid namespace or one it is nested in. */
static int pidns_scope_of(const struct execgate *g, pid_t pid, struct execgate_scope **ret)
{
        char path[32];
        cleanup_close int fd = -1;
        struct stat st;

        snprintf(path, sizeof(path), "%d/ns/pid", (int)pid);
        if (fstatat(g->procfd, path, &st, 0) < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        /* The common foreign case, a host process: one stat. */
        if (st.st_dev == g->own_ns_dev && st.st_ino == g->own_ns_ino)
                return 0;
        *ret = find_pidns(g, st.st_dev, st.st_ino);
        if (*ret)
                return 0;
        fd = openat(g->procfd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        for (int level = 0; level < EXECGATE_MAX_PIDNS; level++) {
                /* EPERM once the parent is the gate's own namespace or above. */
                int parent = ioctl(fd, NS_GET_PARENT);

                if (parent < 0)
                        return errno == EPERM ? 0 : -errno;
                util_closep(&fd);
                fd = parent;
                if (fstat(fd, &st) < 0)
                        return -errno;
                *ret = find_pidns(g, st.st_dev, st.st_ino);
                if (*ret)
                        return 0;
        }
        return 0;
}

/* The TREE scope pid belongs to, by walking parent links. A parent never
 * starts after its child, and no descendant of an anchor starts before the
 * anchor: the walk stops at the first ancestor older than every anchor. */
static int tree_scope_of(const struct execgate *g, pid_t pid, struct execgate_scope **ret)
{
        uint64_t oldest = UINT64_MAX;

        for (size_t i = 0; i < g->nscopes; i++)
                if (g->scopes[i]->kind == EXECGATE_SCOPE_TREE && g->scopes[i]->start_ticks < oldest)
                        oldest = g->scopes[i]->start_ticks;
        for (int restart = 0; restart < EXECGATE_MAX_RESTARTS; restart++) {
                pid_t cur = pid, ppid = 0, pppid = 0;
                uint64_t start = 0, pstart = 0;
                int r, depth;

                r = proc_stat(g->procfd, cur, &ppid, &start);
                if (r < 0)
                        return r;
                for (depth = 0; depth < EXECGATE_MAX_DEPTH; depth++) {
                        for (size_t i = 0; i < g->nscopes; i++) {
                                struct execgate_scope *s = g->scopes[i];

                                if (s->kind == EXECGATE_SCOPE_TREE && s->pid == cur &&
                                    s->start_ticks == start) {
                                        *ret = s;
                                        return 0;
                                }
                        }
                        if (start < oldest || ppid <= 0)
                                return 0;
                        r = proc_stat(g->procfd, ppid, &pppid, &pstart);
                        if (r == -ESRCH || (r == 0 && pstart > start))
                                break;  /* the parent died (pid reused?): walk again */
                        if (r < 0)
                                return r;
                        cur = ppid;
                        start = pstart;
                        ppid = pppid;
                }
                if (depth == EXECGATE_MAX_DEPTH)
                        return -ELOOP;
        }
        return -EAGAIN;
}

static int scope_of(const struct execgate *g, pid_t pid, struct execgate_scope **ret)
{
        int r;

        *ret = NULL;
        if (pid <= 0)
                return 0;       /* not visible in the gate's pid namespace */
        if (g->nscopes > g->ntree) {
                r = pidns_scope_of(g, pid, ret);
                if (r < 0 || *ret)
                        return r;
        }
        return g->ntree ? tree_scope_of(g, pid, ret) : 0;
}

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
        return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void answer(struct execgate *g, int fd, bool allow)
{
        struct fanotify_response resp = { .fd = fd, .response = allow ? FAN_ALLOW : FAN_DENY };

        if (write(g->fd, &resp, sizeof(resp)) != (ssize_t)sizeof(resp) && errno != ENOENT)
                g->stats.answer_failures++;
}

static void handle(struct execgate *g, const struct fanotify_event_metadata *m, execgate_judge_fn judge,
                   void *ctx)
{
        struct execgate_exec ex = { .pid = m->pid, .fd = m->fd, .reason = EXECGATE_UNKNOWN };
        struct execgate_scope *s = NULL;
        struct stat st;
        int r;

        r = scope_of(g, m->pid, &s);
        if (r == -ESRCH || (r == 0 && !s)) {
                /* Foreign, or gone (the answer reaches no one): allow at once. */
                g->stats.foreign++;
                answer(g, m->fd, true);
                return;
        }
        if (s) {
                ex.cookie = s->cookie;
                if (fstat(m->fd, &st) == 0) {
                        ex.dev = st.st_dev;
                        ex.ino = st.st_ino;
                        ex.ctime = st.st_ctim;
                        if (!ts_before(&st.st_ctim, &s->start))
                                ex.reason = EXECGATE_CHANGED;
                        else if (id_listed(s, st.st_dev, st.st_ino))
                                ex.reason = EXECGATE_ALLOWLISTED;
                        else
                                ex.reason = EXECGATE_NOT_ALLOWLISTED;
                }
        }
        ex.allow = ex.reason == EXECGATE_ALLOWLISTED;
        if (judge)
                ex.allow = judge(ctx, &ex);
        /* Counted first: once answered, the process may already report. */
        if (ex.allow)
                g->stats.allowed++;
        else
                g->stats.refused++;
        answer(g, m->fd, ex.allow);
}

int execgate_process(struct execgate *g, execgate_judge_fn judge, void *ctx)
{
        struct fanotify_event_metadata buf[EXECGATE_BATCH];
        int answered = 0, err = 0;

        if (!g)
                return -EINVAL;
        for (int round = 0; round < EXECGATE_READS; round++) {
                struct fanotify_event_metadata *m = buf;
                ssize_t n = read(g->fd, buf, sizeof(buf));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOMEM)) {
                        g->stats.open_failures++;
                        break;
                }
                if (n < 0)
                        return errno == EAGAIN ? answered : -errno;
                for (; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
                        if (m->fd < 0)
                                continue;       /* FAN_NOFD: overflow, never with our queue */
                        if (m->vers != FANOTIFY_METADATA_VERSION) {
                                /* Unknown layout: answer what we can, then give up. */
                                answer(g, m->fd, true);
                                err = -EPROTO;
                        } else if (m->mask & FAN_OPEN_EXEC_PERM) {
                                handle(g, m, judge, ctx);
                                answered++;
                        }
                        close(m->fd);
                }
                if (err < 0)
                        return err;
                if ((size_t)n < sizeof(buf) - sizeof(buf[0]))
                        break;          /* drained */
        }
        return answered;
}

int execgate_exec_path(const struct execgate_exec *ex, char **ret)
{
        char link[32], path[PATH_MAX], root[PATH_MAX];
        static const char deleted[] = " (deleted)";
        size_t plen, rlen;
        ssize_t n;

        if (!ex || !ret || ex->fd < 0 || ex->pid <= 0)
                return -EINVAL;
        snprintf(link, sizeof(link), "/proc/self/fd/%d", ex->fd);
        n = readlink(link, path, sizeof(path));
        if (n < 0)
                return -errno;
        if ((size_t)n >= sizeof(path))
                return -ENAMETOOLONG;
        path[n] = '\0';
        plen = (size_t)n;
        if (path[0] != '/' || (plen >= sizeof(deleted) - 1 &&
                               strcmp(path + plen - (sizeof(deleted) - 1), deleted) == 0))
                return -EXDEV;
        snprintf(link, sizeof(link), "/proc/%d/root", (int)ex->pid);
        n = readlink(link, root, sizeof(root));
        if (n < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        if ((size_t)n >= sizeof(root))
                return -ENAMETOOLONG;
        root[n] = '\0';
        rlen = strcmp(root, "/") == 0 ? 0 : (size_t)n;
        if (rlen && (strncmp(path, root, rlen) != 0 || (path[rlen] != '/' && path[rlen] != '\0')))
                return -EXDEV;
        *ret = strdup(path[rlen] ? path + rlen : "/");
        return *ret ? 0 : -ENOMEM;
}
