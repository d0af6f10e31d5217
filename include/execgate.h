/* The kernel-side exec gate (DESIGN.md §4, exec): a fanotify group with
 * FAN_OPEN_EXEC_PERM marks decides on the file the kernel actually opened
 * for execve/execveat (and for the ELF or "#!" interpreter the kernel opens
 * after it), not on a path the process passed in memory.
 *
 * A scoped exec is allowed iff the file is not "changed" and is one of the
 * scope's allowlisted files, by identity (st_dev, st_ino), unless the
 * caller's judge says otherwise (learn/monitor modes, path patterns).
 *
 * Changed: the file's ctime is at or after the scope's start. Writing,
 * truncating, creating, renaming (the moved inode), linking or unlinking
 * (link count), chmod, chown, setxattr and utimensat all set ctime to the
 * current time, and user space cannot set ctime (checked on 6.18 for ext4
 * and tmpfs, rename/link/chmod/write also on overlayfs; multigrain timestamps, 6.13+, also make two changes
 * within one clock tick distinct). The start is taken from
 * CLOCK_REALTIME_COARSE, the clock the kernel stamps ctime with: a change
 * after the start can never carry an earlier ctime (with the fine clock it
 * can: measured on 6.18). Consequences, all intended as drift prevention:
 *  - a file replaced by rename or "ln -f" is new at that path (identity)
 *    and changed (ctime);
 *  - hard linking an allowlisted file elsewhere changes that inode's ctime:
 *    from then on the file is refused under every name;
 *  - an image file updated in place (package upgrade, touch) is refused;
 *  - a file changed in the same clock tick just before the start is also
 *    treated as changed (a false positive of at most one tick).
 * Not covered: a clock stepped backwards (CAP_SYS_TIME) after the start,
 * filesystems whose server sets ctime (FUSE, NFS).
 *
 * Limits the caller must know (checked on 6.18):
 *  - Only execs through marked filesystems (or mounts) raise events. Marks
 *    are taken when execgate_mark_*() runs: filesystems mounted later are
 *    not gated (call execgate_mark_mounts_of() again when
 *    /proc/PID/mountinfo signals a change). memfd files live on an
 *    internal mount that fanotify refuses to mark (EINVAL): a memfd exec
 *    is never seen here; the seccomp filter must refuse it.
 *  - Shared libraries are mmap'ed, not opened for exec: LD_PRELOAD of a
 *    written .so is not seen, nor is a file run through the loader
 *    ("ld-linux.so ./file": the loader is allowlisted as the interpreter
 *    of every dynamic binary, the file is only mmap'ed). The seccomp layer
 *    must refuse an execve of the loader itself, by path.
 *  - Interpreters count as execs: the allowlist must contain the ELF
 *    interpreter (ld-linux) and "#!" interpreters of the allowed files
 *    (execgate_allow_exec() adds them, see execinterp.h).
 *  - A process that holds a copy of the gate fd and execs a file on a
 *    marked filesystem after the agent closed its copy waits forever
 *    (killable): FD_CLOEXEC closes the fd only after the exec's open. A
 *    forked child must close execgate_fd() before it execs. For the same
 *    reason the thread that runs execgate_process() must never vfork-exec
 *    (posix_spawn, system, popen) or wait for a child that execs.
 *  - If reading an event fails to open its file descriptor (EMFILE,
 *    ENFILE), the kernel refuses that exec, foreign or not: the agent
 *    needs file descriptors to spare (the gate uses at most
 *    EXECGATE_BATCH at a time).
 *  - If the gate's fd closes (execgate_free, or the agent dies), the
 *    kernel allows every pending and future exec: nothing waits for a
 *    dead agent.
 *
 * Kernel edge: fanotify (CAP_SYS_ADMIN), /proc. Not thread-safe: one loop
 * owns a gate. No logging. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct execgate;
struct execgate_scope;

/* Events read (and file descriptors held) at most per read(2). */
#define EXECGATE_BATCH 32

/* Creates a gate: fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC |
 * FAN_NONBLOCK | FAN_UNLIMITED_QUEUE | FAN_UNLIMITED_MARKS). The unlimited
 * queue is not an optimisation: when a limited queue overflows the kernel
 * drops permission events and lets the exec through unchecked (checked on
 * 6.18). Returns 0 and the gate in *ret, or -EPERM (no CAP_SYS_ADMIN),
 * -ENOSYS/-EINVAL (no fanotify permission events), -EMFILE, -ENOMEM. */
int execgate_new(struct execgate **ret);

/* Closes the fanotify fd (the kernel then allows every pending exec) and
 * frees the gate and its scopes. Accepts NULL; returns NULL. */
struct execgate *execgate_free(struct execgate *g);

/* The fanotify fd, readable (POLLIN) when execs wait for an answer. For the
 * caller's poll loop only: read it through execgate_process(). */
int execgate_fd(const struct execgate *g);

/* Flags for the mark functions. */
enum {
        /* Mark the mount only, not the whole filesystem. By default the
         * filesystem (FAN_MARK_FILESYSTEM) is marked: a mount mark is
         * bypassed by a copy of the mount in a new mount namespace
         * (unshare -m) or a bind mount, a filesystem mark is not (both
         * checked on 6.18). The price of a filesystem mark: execs of
         * unrelated processes through other mounts of the same filesystem
         * (a host volume, the host root for `driftlock run`) also come to
         * the gate, which allows them at once. */
        EXECGATE_MARK_MOUNT = 1u << 0,
};

/* Marks every mount of the mount namespace of process pid (as listed in
 * /proc/PID/mountinfo, reached through /proc/PID/root without following
 * symlinks, and checked to be that mount by its mount id) for
 * FAN_OPEN_EXEC_PERM. Pseudo filesystems that cannot hold executables
 * (proc, sysfs, cgroup, devpts, ...) are skipped; a mount that vanished
 * meanwhile or is hidden under another mount is skipped. Marking again is
 * harmless (call it again after the mount table changed).
 * Returns the number of marks made (>= 0), or the first -errno after
 * trying every mount (the marks made stay): -ESRCH (no such process),
 * -EINVAL (bad pid or flags), -EFBIG (more than 65536 mounts or an
 * over-long line), -EACCES (a mount point root may not look at, such as
 * another user's FUSE mount), or a fanotify_mark error. */
int execgate_mark_mounts_of(struct execgate *g, pid_t pid, unsigned flags);

/* Marks the filesystem (or, with EXECGATE_MARK_MOUNT, the mount) that fd
 * is on. Returns 0 or -errno (-EBADF, -EINVAL, fanotify_mark errors:
 * -EINVAL for internal mounts such as memfd's and for /proc). */
int execgate_mark_fd(struct execgate *g, int fd, unsigned flags);

/* Which processes a scope judges. */
enum execgate_scope_kind {
        /* Every process in the pid namespace of pid, or in a pid namespace
         * nested in it (a container; `runc exec`/`podman exec` sessions,
         * whose parent is outside the container, included). pid must not be
         * in the gate's own pid namespace (that would judge the host). A
         * host process costs one stat of /proc/PID/ns/pid. */
        EXECGATE_SCOPE_PIDNS = 1,
        /* Process pid and its descendants, found by walking parent links
         * in /proc (a process's parent is never younger than it: a younger
         * "parent" means the parent died and its pid was reused; the walk
         * then restarts). pid must be a child subreaper
         * (PR_SET_CHILD_SUBREAPER) or a pid namespace init and must not run
         * untrusted code (CLONE_PARENT from it leaves the tree): for
         * `driftlock run`, the driftlock process itself. Orphans are then
         * reparented inside the tree and cannot leave it. The walk stops at
         * the first ancestor that started before every TREE anchor: a
         * foreign process usually costs two reads of /proc/PID/stat. A
         * walk that cannot finish (4096 ancestors, or parents dying during
         * 8 walks) makes the exec EXECGATE_UNKNOWN. */
        EXECGATE_SCOPE_TREE = 2,
};

/* Adds a scope for pid. Supervision, and with it the "changed" rule,
 * starts now (CLOCK_REALTIME_COARSE). The scope starts with an empty
 * allowlist. cookie is handed back in every judged exec.
 * Returns 0 and the scope in *ret (owned by the gate), or -EINVAL (pid <=
 * 0, unknown kind, PIDNS scope in the gate's own pid namespace), -ESRCH,
 * -E2BIG (more than 4096 scopes), -ENOMEM. */
int execgate_add_scope(struct execgate *g, enum execgate_scope_kind kind, pid_t pid, void *cookie,
                       struct execgate_scope **ret);

/* Removes and frees a scope (NULL is accepted); its processes are foreign
 * from now on. */
void execgate_remove_scope(struct execgate *g, struct execgate_scope *s);

/* Allowlists the file fd refers to (any open mode, O_PATH included; fd
 * must be opened through the view the scope's processes have, e.g. with
 * openat2(RESOLVE_IN_ROOT) on /proc/PID/root: overlayfs files have the
 * overlay's st_dev). Returns 0 (also if already listed) or -EBADF, -EINVAL
 * (not a regular file), -E2BIG (more than 65536 files), -ENOMEM. */
int execgate_allow_file(struct execgate_scope *s, int fd);

/* Allowlists the file fd and its chain of interpreters (execinterp.h; at
 * most 4 deep, like the kernel), each resolved in rootfd (a directory fd
 * on the scope's root, or AT_FDCWD). Returns the number of files listed
 * (>= 1) or -errno (errors of execgate_allow_file, and of execinterp_open
 * except -ENOENT, which ends the chain). */
int execgate_allow_exec(struct execgate_scope *s, int rootfd, int fd);

enum execgate_reason {
        EXECGATE_ALLOWLISTED = 0,       /* allowed: an allowlisted, unchanged file */
        EXECGATE_NOT_ALLOWLISTED,       /* refused: not one of the scope's files */
        EXECGATE_CHANGED,               /* refused: changed since supervision started */
        EXECGATE_UNKNOWN,               /* refused: the file or process could not be examined */
};

/* One exec of a scoped process, as the judge sees it. */
struct execgate_exec {
        void *cookie;                   /* the scope's cookie; NULL if the scope
                                           could not be determined (reason UNKNOWN) */
        pid_t pid;                      /* the exec'ing process, in the gate's pid namespace */
        int fd;                         /* the file, read-only; the gate closes it after the judge */
        dev_t dev;                      /* identity of the file (0 if fstat failed) */
        ino_t ino;
        struct timespec ctime;
        enum execgate_reason reason;
        bool allow;                     /* the gate's verdict: reason == EXECGATE_ALLOWLISTED */
};

/* Called for every exec of a scoped process, while the process waits:
 * return true to allow it, false to refuse it with EPERM. Return ex->allow
 * to keep the gate's verdict. Must be quick and must not exec. */
typedef bool (*execgate_judge_fn)(void *ctx, const struct execgate_exec *ex);

/* Reads and answers pending execs (at most 8 reads of EXECGATE_BATCH
 * events: call again while the fd stays readable). Every event is answered,
 * whatever fails: a foreign process (in no scope) is allowed first thing,
 * a scoped exec the gate cannot examine is refused. judge may be NULL (the
 * gate's verdict stands).
 * Returns the number of execs answered (>= 0), or -errno when the fd
 * itself failed (-EBADF, -EPROTO for an unknown event format: the caller
 * stops using the gate and frees it). A refused read because the agent is
 * out of file descriptors (the kernel then refuses that exec itself) is
 * counted in stats.open_failures, not returned. */
int execgate_process(struct execgate *g, execgate_judge_fn judge, void *ctx);

/* The event text for a reason: "not an allowlisted image file", "file
 * changed since supervision started", ... Never NULL. */
const char *execgate_reason_string(enum execgate_reason r);

/* Best-effort name of ex->fd for events: the kernel's name of the file,
 * made relative to the exec'ing process's root when it lies beneath it.
 * Returns 0 and a malloc'ed path in *ret, or -EXDEV (not beneath that root,
 * or deleted), -ESRCH, -ENAMETOOLONG, -ENOMEM. Never decide on it. */
int execgate_exec_path(const struct execgate_exec *ex, char **ret);

struct execgate_stats {
        uint64_t foreign;               /* execs of processes in no scope (allowed) */
        uint64_t allowed;               /* scoped execs allowed */
        uint64_t refused;               /* scoped execs refused */
        uint64_t open_failures;         /* events the kernel refused because the gate
                                           could not receive their fd (EMFILE, ...) */
        uint64_t answer_failures;       /* responses the kernel rejected (not ENOENT) */
};

/* The gate's counters. */
const struct execgate_stats *execgate_get_stats(const struct execgate *g);
