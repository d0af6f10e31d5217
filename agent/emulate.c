/* Emulated opens, connects, sendtos and calls on names (see emulate.h):
 * the jobs, the worker pool and the credentials they run with.
 *
 * A job is taken in three steps:
 *   1. snapshot (caller's thread, the agent's credentials; emulate_snap.c):
 *      /proc/TID as a directory fd, which pins the task, then the
 *      notification id check (asynchronous jobs), then the target's root,
 *      credentials, user namespace and, for a socket or an fd, a copy of
 *      it;
 *   2. the work (emulate_ops.c), in a pool worker: under the target's fs
 *      credentials for an open or a call on names, without credentials for
 *      an inet socket, or in a helper process with all of the target's ids
 *      (other sockets, targets in another user namespace);
 *   3. the answer: the synchronous caller takes the result; an asynchronous
 *      job answers the notification itself and reports to its callback.
 *
 * The helper shares our memory and fd table (CLONE_VM | CLONE_FILES) and
 * runs while its worker is suspended (CLONE_VFORK): it allocates nothing,
 * takes no lock and leaves its result in the job. Its exit signal is 0, so
 * a SIGCHLD handler of the agent that reaps with waitpid(-1) never sees it
 * (only __WCLONE waits do). */
#include "emulate.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "emulate_job.h"
#include "notify.h"
#include "target.h"
#include "util.h"

#ifndef RESOLVE_CACHED
#define RESOLVE_CACHED 0x20     /* Linux 5.12 */
#endif

/* The kernel's open flag values where glibc differs: O_LARGEFILE is 0 in
 * glibc on 64-bit, and glibc's __O_TMPFILE includes O_DIRECTORY. */
#define K_O_LARGEFILE   0100000
#define K_O_TMPFILE     020000000
/* include/linux/fcntl.h: VALID_OPEN_FLAGS, O_PATH_FLAGS, WILL_CREATE. */
#define K_VALID_OPEN    (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | \
                         O_NONBLOCK | O_SYNC | O_DSYNC | O_ASYNC | O_DIRECT | K_O_LARGEFILE | \
                         O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_PATH | K_O_TMPFILE)
#define K_PATH_FLAGS    (O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC)
#define K_WILL_CREATE   (O_CREAT | K_O_TMPFILE)
#define K_VALID_RESOLVE (RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | \
                         RESOLVE_BENEATH | RESOLVE_IN_ROOT | RESOLVE_CACHED)

#define EMU_PATH_MAX    4096
#define EMU_IDLE_SECONDS 10
#define EMU_HELPER_STACK (256 * 1024)

struct capsets {
        uint64_t eff, perm, inh;
};

/* One worker thread's state: its capability sets as created (the ceiling
 * for every target) and the fs credentials now in force. */
struct worker {
        int error;                      /* set up failed: every job fails with it */
        struct capsets caps;
        bool applied;
        struct creds cur;               /* groups: malloc'ed copy */
};

static struct {
        pthread_mutex_t lock;
        pthread_cond_t work;            /* a job was queued */
        pthread_cond_t finished;        /* a synchronous job finished */
        struct job *head, *tail;
        /* A worker is busy from taking a job until it has handed the
         * result over; the others are free or about to be. */
        unsigned workers, busy, queued;
} pool = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .work = PTHREAD_COND_INITIALIZER,
        .finished = PTHREAD_COND_INITIALIZER,
};

int emulate_check_open_how(uint64_t flags, uint64_t mode, uint64_t resolve)
{
        if (flags & ~(uint64_t)K_VALID_OPEN)
                return -EINVAL;
        if (mode & ~(uint64_t)07777)
                return -EINVAL;
        if (mode && !(flags & K_WILL_CREATE))
                return -EINVAL;
        if (resolve & ~(uint64_t)K_VALID_RESOLVE)
                return -EINVAL;
        if ((resolve & RESOLVE_BENEATH) && (resolve & RESOLVE_IN_ROOT))
                return -EINVAL;
        if ((flags & O_PATH) && (flags & ~(uint64_t)K_PATH_FLAGS))
                return -EINVAL;
        return 0;
}

/* build_open_how() for open/openat/creat. */
static void open_normalise(uint64_t *flags, uint64_t *mode)
{
        uint64_t f = *flags & K_VALID_OPEN;

        if (f & O_PATH)
                f &= K_PATH_FLAGS;
        *mode = (f & K_WILL_CREATE) ? *mode & 07777 : 0;
        *flags = f;
}

/* ---- credentials --------------------------------------------------------
 * Applying them allocates nothing and takes no lock: the helper runs it. */

static int caps_read(struct capsets *c)
{
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2];

        memset(d, 0, sizeof(d));
        if (syscall(SYS_capget, &h, d) < 0)
                return -errno;
        c->eff = d[0].effective | (uint64_t)d[1].effective << 32;
        c->perm = d[0].permitted | (uint64_t)d[1].permitted << 32;
        c->inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
        return 0;
}

/* capset(2) on the calling thread only (glibc has no wrapper; libcap's
 * cap_set_proc is the same system call). */
static int caps_write(const struct capsets *c)
{
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = {
                { (uint32_t)c->eff, (uint32_t)c->perm, (uint32_t)c->inh },
                { (uint32_t)(c->eff >> 32), (uint32_t)(c->perm >> 32), (uint32_t)(c->inh >> 32) },
        };

        return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

/* setgroups(2) as a raw system call: glibc's wrapper changes every thread
 * of the process. An agent without CAP_SETGID passes if the list is
 * already in force; scratch holds n + 1 entries. */
static int groups_set(const gid_t *groups, size_t n, gid_t *scratch)
{
        long have;

        if (syscall(SYS_setgroups, n, groups) == 0)
                return 0;
        if (errno != EPERM)
                return -errno;
        have = syscall(SYS_getgroups, n + 1, scratch);
        if (have != (long)n || (n && memcmp(scratch, groups, n * sizeof(*groups))))
                return -EPERM;
        return 0;
}

/* setfsuid/setfsgid report no failure: ask for the value afterwards. */
static int fsid_set(long nr, uint32_t id)
{
        syscall(nr, id);
        return (uint32_t)syscall(nr, (uint32_t)-1) == id ? 0 : -EPERM;
}

/* A worker takes on the target's fs credentials: what open(2) checks and
 * what a created inode gets. Capabilities are raised first (setgroups and
 * setfs*id need CAP_SETGID/CAP_SETUID), set to the target's last. */
static int worker_become(struct worker *w, const struct snap *s)
{
        const struct creds *c = &s->creds;
        struct capsets caps = w->caps;
        gid_t *copy;
        int r;

        if (w->error)
                return w->error;
        if (w->applied && w->cur.uid[3] == c->uid[3] && w->cur.gid[3] == c->gid[3] &&
            w->cur.cap_eff == c->cap_eff && w->cur.umask == c->umask &&
            w->cur.ngroups == c->ngroups &&
            (!c->ngroups || !memcmp(w->cur.groups, c->groups, c->ngroups * sizeof(gid_t))))
                return 0;
        w->applied = false;
        caps.eff = caps.perm;
        r = caps_write(&caps);
        if (r == 0)
                r = groups_set(c->groups, c->ngroups, s->scratch);
        if (r == 0)
                r = fsid_set(SYS_setfsgid, c->gid[3]);
        if (r == 0)
                r = fsid_set(SYS_setfsuid, c->uid[3]);
        if (r < 0)
                return r;
        caps.eff = c->cap_eff & caps.perm;
        r = caps_write(&caps);
        if (r < 0)
                return r;
        umask(c->umask);

        copy = realloc(w->cur.groups, (c->ngroups + 1) * sizeof(gid_t));
        if (!copy)
                return 0;       /* in force, just not cached */
        memcpy(copy, c->groups, c->ngroups * sizeof(gid_t));
        w->cur = *c;
        w->cur.groups = copy;
        w->applied = true;
        return 0;
}

/* The helper takes on all of the target's ids (SO_PEERCRED reports the
 * effective ones), then joins its user namespace if it is not ours, where
 * the target's capabilities mean what they mean for the target. ids are
 * set first, as kernel ids in our namespace: setns keeps them. */
static int helper_become(const struct snap *s)
{
        const struct creds *c = &s->creds;
        struct capsets caps;
        int r = caps_read(&caps);

        if (r < 0)
                return r;
        caps.eff = caps.perm;
        if ((r = caps_write(&caps)) < 0)
                return r;
        /* Keep the permitted set across setresuid away from uid 0, to raise
         * CAP_SETUID again for setfsuid and CAP_SYS_ADMIN for setns. */
        if (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) < 0)
                return -errno;
        if ((r = groups_set(c->groups, c->ngroups, s->scratch)) < 0)
                return r;
        if (syscall(SYS_setresgid, c->gid[0], c->gid[1], c->gid[2]) < 0 ||
            syscall(SYS_setresuid, c->uid[0], c->uid[1], c->uid[2]) < 0)
                return -errno;
        if ((r = caps_write(&caps)) < 0)
                return r;
        if ((r = fsid_set(SYS_setfsgid, c->gid[3])) < 0 ||
            (r = fsid_set(SYS_setfsuid, c->uid[3])) < 0)
                return r;
        if (s->usernsfd >= 0) {
                if (setns(s->usernsfd, CLONE_NEWUSER) < 0)
                        return -errno;
                if ((r = caps_read(&caps)) < 0)
                        return r;
        }
        caps.eff = c->cap_eff & caps.perm;
        if ((r = caps_write(&caps)) < 0)
                return r;
        umask(c->umask);
        return 0;
}

static int job_work(struct job *j)
{
        switch (j->kind) {
        case JOB_OPEN:
                return emulate_op_open(j);
        case JOB_CONNECT:
                return emulate_op_connect(j);
        case JOB_SEND:
                return emulate_op_send(j);
        case JOB_PATH:
                return emulate_op_path(j);
        }
        return -EINVAL;
}

static int helper_main(void *arg)
{
        struct job *j = arg;
        int r = helper_become(&j->snap);

        if (r == 0)
                r = job_work(j);
        j->result = r;
        /* The raw call rather than _exit(): no noreturn, so no sanitizer
         * stack unwinding on this foreign stack. The helper is one thread:
         * exit ends the process. */
        syscall(SYS_exit, 0);
        return 0;
}

static int helper_run(struct job *j)
{
        char *stack = malloc(EMU_HELPER_STACK);
        int status, r = 0;
        pid_t pid;

        if (!stack)
                return -ENOMEM;
        j->result = -ECHILD;    /* stays if the helper is killed */
        pid = clone(helper_main, stack + EMU_HELPER_STACK, CLONE_VM | CLONE_FILES | CLONE_VFORK, j);
        if (pid < 0)
                r = -errno;
        else
                while (waitpid(pid, &status, __WCLONE) < 0 && errno == EINTR)
                        ;
        free(stack);
        return r < 0 ? r : j->result;
}

static void job_run(struct worker *w, struct job *j)
{
        bool socket = j->kind == JOB_CONNECT || j->kind == JOB_SEND;
        sa_family_t family = j->addr.ss_family;

        /* inet sockets check no credentials of the caller; unix peers and
         * netlink receivers (SCM credentials) learn who sent it */
        if (socket && (family == AF_INET || family == AF_INET6 || family == AF_UNSPEC)) {
                j->result = job_work(j);
        } else if (!socket && j->snap.usernsfd < 0) {
                j->result = worker_become(w, &j->snap);
                if (j->result == 0)
                        j->result = job_work(j);
        } else {
                j->result = helper_run(j);
        }
}

/* ---- jobs --------------------------------------------------------------- */

static struct job *job_free(struct job *j)
{
        if (!j)
                return NULL;
        emulate_snap_release(&j->snap);
        util_closep(&j->sock);
        util_closep(&j->fd);
        util_closep(&j->notify_fd);
        util_closep(&j->src);
        free(j->path);
        free(j->path2);
        free(j->text);
        free(j->source);
        free(j->data);
        free(j);
        return NULL;
}

static void job_freep(struct job **j)
{
        job_free(*j);
}

#define cleanup_job __attribute__((cleanup(job_freep)))

static struct job *job_new(enum job_kind kind)
{
        struct job *j = calloc(1, sizeof(*j));

        if (!j)
                return NULL;
        j->kind = kind;
        j->snap.procfd = j->snap.rootfd = j->snap.usernsfd = j->snap.pidfd = -1;
        j->sock = j->fd = j->notify_fd = j->src = -1;
        return j;
}

static int job_prepare_open(struct job *j, int notify_fd, uint64_t id, pid_t tid,
                            const char *path, uint64_t flags, uint64_t mode, uint64_t resolve)
{
        if (tid <= 0 || (j->src < 0 && !path) ||
            (path && (path[0] != '/' || strnlen(path, EMU_PATH_MAX) >= EMU_PATH_MAX)))
                return -EINVAL;
        if (resolve & ~(uint64_t)K_VALID_RESOLVE)
                return -EINVAL;
        open_normalise(&flags, &mode);
        j->flags = flags;
        j->mode = mode;
        j->resolve = resolve;
        if (path && !(j->path = strdup(path)))
                return -ENOMEM;
        return emulate_snap_take(&j->snap, tid, notify_fd, id, false);
}

static int job_prepare_connect(struct job *j, int notify_fd, uint64_t id, pid_t tid,
                               int sockfd, const struct sockaddr *addr, socklen_t len,
                               const char *unix_path)
{
        const struct sockaddr_un *sun = (const struct sockaddr_un *)addr;
        bool path_addr;
        int r;

        if (tid <= 0 || sockfd < 0 || len > sizeof(j->addr) || (!addr && len))
                return -EINVAL;
        path_addr = len > offsetof(struct sockaddr_un, sun_path) && addr->sa_family == AF_UNIX &&
                    sun->sun_path[0] != '\0';
        /* Never connect a path as the agent sees it. */
        if (path_addr != (unix_path != NULL))
                return -EINVAL;
        if (unix_path && (unix_path[0] != '/' || strnlen(unix_path, EMU_PATH_MAX) >= EMU_PATH_MAX))
                return -EINVAL;
        if (len)
                memcpy(&j->addr, addr, len);
        else
                j->addr.ss_family = AF_UNSPEC;
        j->addrlen = len;
        if (unix_path && !(j->path = strdup(unix_path)))
                return -ENOMEM;
        r = emulate_snap_take(&j->snap, tid, notify_fd, id, true);
        if (r < 0)
                return r;
        j->sock = (int)syscall(SYS_pidfd_getfd, j->snap.pidfd, sockfd, 0);
        if (j->sock < 0)
                return -errno;
        return 0;
}

static int job_prepare_send(struct job *j, int notify_fd, uint64_t id, pid_t tid,
                            int sockfd, const void *data, size_t len, size_t want, int flags,
                            const struct sockaddr *addr, socklen_t addrlen,
                            const char *unix_path)
{
        int type;
        socklen_t tlen = sizeof(type);
        int r;

        if ((!data && len) || len > want || len > EMULATE_SEND_MAX)
                return -EINVAL;
        r = job_prepare_connect(j, notify_fd, id, tid, sockfd, addr, addrlen, unix_path);
        if (r < 0)
                return r;
        if (len < want &&
            (getsockopt(j->sock, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 || type != SOCK_STREAM))
                return -EMSGSIZE;
        j->data = malloc(len ? len : 1);
        if (!j->data)
                return -ENOMEM;
        if (len)
                memcpy(j->data, data, len);
        j->len = len;
        j->send_flags = flags;
        return 0;
}

static bool path_ok(const char *p)
{
        return p && p[0] == '/' && strnlen(p, EMU_PATH_MAX) < EMU_PATH_MAX;
}

/* A copy of s, or NULL when s is NULL or want is false; *failed is set
 * when a copy was wanted and could not be made. */
static char *copy_if(bool want, const char *s, bool *failed)
{
        char *copy;

        if (!want || !s)
                return NULL;
        copy = strdup(s);
        if (!copy)
                *failed = true;
        return copy;
}

static int job_prepare_path(struct job *j, int notify_fd, uint64_t id, pid_t tid,
                            const struct emulate_path_call *c)
{
        bool failed = false;
        int r;

        if (tid <= 0 || !c || (unsigned)c->op > EMULATE_LINK || !path_ok(c->path[0]))
                return -EINVAL;
        if ((c->op == EMULATE_RENAME && !path_ok(c->path[1])) ||
            (c->op == EMULATE_SYMLINK && (!c->text || strnlen(c->text, EMU_PATH_MAX) >= EMU_PATH_MAX)) ||
            (c->op == EMULATE_LINK && c->fd < 0 && !path_ok(c->source)) ||
            (c->fd >= 0 && c->op != EMULATE_LINK && c->op != EMULATE_CHMOD))
                return -EINVAL;
        j->call = *c;
        j->path = copy_if(true, c->path[0], &failed);
        j->path2 = copy_if(c->op == EMULATE_RENAME, c->path[1], &failed);
        j->text = copy_if(c->op == EMULATE_SYMLINK, c->text, &failed);
        j->source = copy_if(c->op == EMULATE_LINK && c->fd < 0, c->source, &failed);
        if (failed)
                return -ENOMEM;
        j->call.path[0] = j->path;
        j->call.path[1] = j->path2;
        j->call.text = j->text;
        j->call.source = j->source;
        r = emulate_snap_take(&j->snap, tid, notify_fd, id, c->fd >= 0 || c->op == EMULATE_TRUNCATE);
        if (r < 0)
                return r;
        if (c->op == EMULATE_TRUNCATE) {
                r = emulate_snap_fsize_limit(&j->snap, &j->fsize_limit);
                if (r < 0)
                        return r;
        }
        if (c->fd >= 0) {
                j->src = (int)syscall(SYS_pidfd_getfd, j->snap.pidfd, c->fd, 0);
                if (j->src < 0)
                        return -errno;
        }
        return 0;
}

/* ---- the pool ----------------------------------------------------------- */

/* The next job, or NULL when the worker has been idle long enough to go.
 * done: the worker is still busy with a job it has just finished. */
static struct job *pool_take(bool done)
{
        struct timespec until;
        struct job *j;

        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += EMU_IDLE_SECONDS;
        pthread_mutex_lock(&pool.lock);
        if (done)
                pool.busy--;
        while (!pool.head) {
                if (pthread_cond_timedwait(&pool.work, &pool.lock, &until) == ETIMEDOUT &&
                    !pool.head) {
                        pool.workers--;
                        pthread_mutex_unlock(&pool.lock);
                        return NULL;
                }
        }
        j = pool.head;
        pool.head = j->next;
        if (!pool.head)
                pool.tail = NULL;
        pool.queued--;
        pool.busy++;
        pthread_mutex_unlock(&pool.lock);
        return j;
}

/* The kernel raises SIGPIPE or SIGXFSZ before the call returns; ours
 * goes to the target's process. */
static void job_signal(const struct job *j)
{
        if (j->signal_owed && j->snap.pidfd >= 0)
                (void)syscall(SYS_pidfd_send_signal, j->snap.pidfd, j->signal_owed, NULL, 0);
}

static struct emulate_outcome job_answer(struct job *j)
{
        struct emulate_outcome o = { .result = j->result };

        if (j->kind == JOB_OPEN && j->result == 0) {
                int r = emulate_install_fd(j->notify_fd, j->id, TAKE_FD(j->fd), j->flags);

                o.result = r;
                if (r >= 0 || r == -ENOENT) {
                        o.answer = r < 0 ? r : 0;
                } else {
                        /* Still held: answer as open does at the fd limit. */
                        o.result = (r == -EMFILE || r == -EBADF) ? -EMFILE : r;
                        o.answer = notify_respond_errno(j->notify_fd, j->id, -o.result);
                }
        } else if (j->result == EMULATE_STALE) {
                o.answer = notify_respond_errno(j->notify_fd, j->id, j->stale_errno);
        } else if (j->result < 0) {
                /* The kernel raises it before the call returns EPIPE. */
                job_signal(j);
                o.answer = notify_respond_errno(j->notify_fd, j->id, -j->result);
        } else {
                o.answer = notify_respond_value(j->notify_fd, j->id,
                                                j->kind == JOB_SEND ? (int64_t)j->sent : 0);
        }
        return o;
}

static void *worker_main(void *unused)
{
        struct worker w = { 0 };
        bool done = false;
        struct job *j;

        (void)unused;
        /* Our own umask (and cwd/root copy): the rest of the agent keeps
         * its fs_struct. */
        if (unshare(CLONE_FS) < 0)
                w.error = -errno;
        else
                w.error = caps_read(&w.caps);
        while ((j = pool_take(done))) {
                job_run(&w, j);
                done = true;
                if (j->notify_fd >= 0) {
                        struct emulate_outcome o = job_answer(j);
                        void (*cb)(void *, const struct emulate_outcome *) = j->done;
                        void *arg = j->arg;

                        /* Everything the job held is released before the
                         * caller hears of it. */
                        job_free(j);
                        if (cb)
                                cb(arg, &o);
                } else {
                        /* Free again before the caller can submit its next
                         * job, or that would start another worker. */
                        pthread_mutex_lock(&pool.lock);
                        j->finished = true;
                        pool.busy--;
                        done = false;
                        pthread_cond_broadcast(&pool.finished);
                        pthread_mutex_unlock(&pool.lock);
                }
        }
        free(w.cur.groups);
        return NULL;
}

static int pool_spawn(void)
{
        pthread_attr_t attr;
        sigset_t all, old;
        pthread_t t;
        int r;

        r = pthread_attr_init(&attr);
        if (r)
                return -r;
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        /* Signals for the agent go to its own threads, never a worker. */
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        r = pthread_create(&t, &attr, worker_main, NULL);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&attr);
        return -r;
}

/* Hands j to an idle worker or a new one. Never queues behind busy
 * workers: a job would wait for slow connects of other targets. */
static int pool_submit(struct job *j)
{
        int r = 0;

        pthread_mutex_lock(&pool.lock);
        if (pool.queued >= pool.workers - pool.busy) {
                if (pool.workers >= EMULATE_MAX_WORKERS)
                        r = -EAGAIN;
                else if ((r = pool_spawn()) == 0)
                        pool.workers++;
        }
        if (r == 0) {
                j->next = NULL;
                if (pool.tail)
                        pool.tail->next = j;
                else
                        pool.head = j;
                pool.tail = j;
                pool.queued++;
                pthread_cond_signal(&pool.work);
        }
        pthread_mutex_unlock(&pool.lock);
        return r;
}

static int job_run_sync(struct job *j)
{
        int r = pool_submit(j);

        if (r < 0)
                return r;
        pthread_mutex_lock(&pool.lock);
        while (!j->finished)
                pthread_cond_wait(&pool.finished, &pool.lock);
        pthread_mutex_unlock(&pool.lock);
        return 0;
}

/* ---- the API ------------------------------------------------------------ */

int emulate_open(pid_t tid, const char *resolved_path, uint64_t flags, uint64_t mode,
                 uint64_t resolve, int *ret_fd)
{
        cleanup_job struct job *j = job_new(JOB_OPEN);
        int r;

        if (!j)
                return -ENOMEM;
        if (!ret_fd)
                return -EINVAL;
        r = job_prepare_open(j, -1, 0, tid, resolved_path, flags, mode, resolve);
        if (r == 0)
                r = job_run_sync(j);
        if (r < 0)
                return r;
        if (j->result == 0)
                *ret_fd = TAKE_FD(j->fd);
        return j->result;
}

int emulate_install_fd(int notify_fd, uint64_t id, int fd, uint64_t open_flags)
{
        int r = notify_addfd(notify_fd, id, fd, (open_flags & O_CLOEXEC) ? O_CLOEXEC : 0, true);

        util_closep(&fd);
        return r;
}

int emulate_connect(pid_t tid, int target_sockfd, const struct sockaddr *addr, socklen_t len,
                    const char *resolved_unix_path, int *ret_result)
{
        cleanup_job struct job *j = job_new(JOB_CONNECT);
        int r;

        if (!j)
                return -ENOMEM;
        if (!ret_result)
                return -EINVAL;
        r = job_prepare_connect(j, -1, 0, tid, target_sockfd, addr, len, resolved_unix_path);
        if (r == 0)
                r = job_run_sync(j);
        if (r < 0)
                return r;
        *ret_result = j->result;
        return 0;
}

int emulate_path(pid_t tid, const struct emulate_path_call *call, int *ret_result)
{
        cleanup_job struct job *j = job_new(JOB_PATH);
        int r;

        if (!j)
                return -ENOMEM;
        if (!ret_result)
                return -EINVAL;
        r = job_prepare_path(j, -1, 0, tid, call);
        if (r == 0)
                r = job_run_sync(j);
        if (r < 0)
                return r;
        *ret_result = j->result;
        return 0;
}

int emulate_sendto(pid_t tid, int target_sockfd, const void *data, size_t len, size_t want,
                   int flags, const struct sockaddr *addr, socklen_t addrlen,
                   const char *resolved_unix_path, int *ret_result, size_t *ret_sent)
{
        cleanup_job struct job *j = job_new(JOB_SEND);
        int r;

        if (!j)
                return -ENOMEM;
        if (!ret_result || !ret_sent)
                return -EINVAL;
        r = job_prepare_send(j, -1, 0, tid, target_sockfd, data, len, want, flags, addr, addrlen,
                             resolved_unix_path);
        if (r == 0)
                r = job_run_sync(j);
        if (r < 0)
                return r;
        job_signal(j);
        *ret_result = j->result;
        *ret_sent = j->sent;
        return 0;
}

/* What every asynchronous start needs from its caller: a listener to
 * answer on and an errno to refuse a stale call with. */
static bool start_args_ok(int notify_fd, int stale_errno)
{
        return notify_fd >= 0 && stale_errno > 0 && stale_errno <= 4095;
}

/* The parts the asynchronous starts share once the job is prepared. */
static int job_start(struct job **jp, int r, int notify_fd, uint64_t id, int stale_errno,
                     void (*done)(void *, const struct emulate_outcome *), void *arg)
{
        struct job *j = *jp;

        if (r < 0)
                return r;
        j->notify_fd = fcntl(notify_fd, F_DUPFD_CLOEXEC, 3);
        if (j->notify_fd < 0)
                return -errno;
        j->id = id;
        j->stale_errno = stale_errno;
        j->done = done;
        j->arg = arg;
        r = pool_submit(j);
        if (r == 0)
                *jp = NULL;     /* the worker owns it */
        return r;
}

int emulate_open_start(int notify_fd, uint64_t id, pid_t tid, const char *resolved_path,
                       uint64_t flags, uint64_t mode, uint64_t resolve, int stale_errno,
                       void (*done)(void *arg, const struct emulate_outcome *outcome),
                       void *arg)
{
        cleanup_job struct job *j = job_new(JOB_OPEN);
        int r;

        if (!j)
                return -ENOMEM;
        if (!start_args_ok(notify_fd, stale_errno))
                return -EINVAL;
        r = job_prepare_open(j, notify_fd, id, tid, resolved_path, flags, mode, resolve);
        return job_start(&j, r, notify_fd, id, stale_errno, done, arg);
}

int emulate_reopen_start(int notify_fd, uint64_t id, pid_t tid, int objfd, uint64_t flags,
                         uint64_t mode, uint64_t resolve, int stale_errno,
                         void (*done)(void *arg, const struct emulate_outcome *outcome),
                         void *arg)
{
        cleanup_job struct job *j = job_new(JOB_OPEN);
        int r;

        if (!j) {
                util_closep(&objfd);
                return -ENOMEM;
        }
        j->src = objfd;
        if (objfd < 0 || !start_args_ok(notify_fd, stale_errno))
                return -EINVAL;
        r = job_prepare_open(j, notify_fd, id, tid, NULL, flags, mode, resolve);
        return job_start(&j, r, notify_fd, id, stale_errno, done, arg);
}

int emulate_connect_start(int notify_fd, uint64_t id, pid_t tid, int target_sockfd,
                          const struct sockaddr *addr, socklen_t len,
                          const char *resolved_unix_path, int stale_errno,
                          void (*done)(void *arg, const struct emulate_outcome *outcome),
                          void *arg)
{
        cleanup_job struct job *j = job_new(JOB_CONNECT);
        int r;

        if (!j)
                return -ENOMEM;
        if (!start_args_ok(notify_fd, stale_errno))
                return -EINVAL;
        r = job_prepare_connect(j, notify_fd, id, tid, target_sockfd, addr, len,
                                resolved_unix_path);
        return job_start(&j, r, notify_fd, id, stale_errno, done, arg);
}

int emulate_sendto_start(int notify_fd, uint64_t id, pid_t tid, int target_sockfd,
                         const void *data, size_t len, size_t want, int flags,
                         const struct sockaddr *addr, socklen_t addrlen,
                         const char *resolved_unix_path, int stale_errno,
                         void (*done)(void *arg, const struct emulate_outcome *outcome),
                         void *arg)
{
        cleanup_job struct job *j = job_new(JOB_SEND);
        int r;

        if (!j)
                return -ENOMEM;
        if (!start_args_ok(notify_fd, stale_errno))
                return -EINVAL;
        r = job_prepare_send(j, notify_fd, id, tid, target_sockfd, data, len, want, flags, addr,
                             addrlen, resolved_unix_path);
        return job_start(&j, r, notify_fd, id, stale_errno, done, arg);
}

int emulate_path_start(int notify_fd, uint64_t id, pid_t tid, const struct emulate_path_call *call,
                       int stale_errno,
                       void (*done)(void *arg, const struct emulate_outcome *outcome),
                       void *arg)
{
        cleanup_job struct job *j = job_new(JOB_PATH);
        int r;

        if (!j)
                return -ENOMEM;
        if (!start_args_ok(notify_fd, stale_errno))
                return -EINVAL;
        r = job_prepare_path(j, notify_fd, id, tid, call);
        return job_start(&j, r, notify_fd, id, stale_errno, done, arg);
}
