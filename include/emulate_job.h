/* Inside the emulate module (emulate.h): the job that agent/emulate.c
 * prepares, runs in its pool and answers, and the operations in
 * agent/emulate_ops.c that do the work of one job. Not for other modules. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "emulate.h"

struct creds {
        uid_t uid[4];                   /* real, effective, saved, fs */
        gid_t gid[4];
        uint64_t cap_eff;
        mode_t umask;
        size_t ngroups;
        gid_t *groups;
};

/* What step 1 collects about the target. */
struct snap {
        int procfd;                     /* /proc/TID */
        int rootfd;                     /* its root directory, O_PATH */
        int usernsfd;                   /* its user namespace if not ours, else -1 */
        int pidfd;                      /* connect, or a path call with an fd; else -1 */
        struct creds creds;             /* groups: malloc'ed */
        gid_t *scratch;                 /* ngroups + 1 entries for groups_set() */
};

enum job_kind { JOB_OPEN, JOB_CONNECT, JOB_SEND, JOB_PATH };

struct job {
        enum job_kind kind;
        struct snap snap;
        /* open: resolved path; connect: unix path or NULL; path call:
         * path[0] */
        char *path;
        uint64_t flags, mode, resolve;  /* open, normalised */
        int sock;                       /* connect, send: our copy of the target's socket */
        struct sockaddr_storage addr;
        socklen_t addrlen;
        void *data;                     /* send: our copy of the data */
        size_t len;
        int send_flags;
        size_t sent;                    /* send: what sendto returned */
        int signal_owed;                /* a signal the kernel would have sent the
                                           target with this result (SIGPIPE,
                                           SIGXFSZ), else 0 */
        uint64_t fsize_limit;           /* truncate: the target's RLIMIT_FSIZE */
        /* path call: the call, its strings owned by the job (path[0] is
         * path above), and our copy of its fd or -1; open: the object to
         * open again instead of path, or -1 */
        struct emulate_path_call call;
        char *path2, *text, *source;
        int src;
        int result;                     /* 0, EMULATE_STALE or -errno */
        int fd;                         /* open: ours, -1 until opened */
        int notify_fd;                  /* asynchronous: our duplicate; else -1 */
        uint64_t id;
        int stale_errno;
        void (*done)(void *arg, const struct emulate_outcome *outcome);
        void *arg;
        bool finished;                  /* synchronous: set under pool.lock */
        struct job *next;
};

/* Step 1 (agent/emulate_snap.c), in the caller's thread: pins /proc/TID,
 * then (notify_fd >= 0) checks that the notification id is still valid,
 * then reads the root, credentials and user namespace, and a pidfd when
 * want_pidfd. Returns 0 or -errno (-ESRCH: the target is gone, -ENOENT:
 * the notification went away). emulate_snap_release() closes and frees
 * what it took (also after a failure). */
int emulate_snap_take(struct snap *s, pid_t tid, int notify_fd, uint64_t id, bool want_pidfd);
void emulate_snap_release(struct snap *s);

/* The target's soft RLIMIT_FSIZE (RLIM_INFINITY for none), from
 * /proc/TID/limits: prlimit(2) on another process needs
 * CAP_SYS_RESOURCE, which a container host may withhold. */
int emulate_snap_fsize_limit(const struct snap *s, uint64_t *ret);

/* The work of one job, in a thread or helper that already holds the
 * credentials it needs. Each returns the job's result (0, EMULATE_STALE or
 * -errno); op_open leaves its fd in j->fd. They allocate nothing and take
 * no lock: the helper process runs them. */
int emulate_op_open(struct job *j);
int emulate_op_connect(struct job *j);
int emulate_op_send(struct job *j);
int emulate_op_path(struct job *j);
