/* Performing a held open, connect or write-class call on names (rename,
 * mkdir, unlink, ...) on the target's behalf (DESIGN.md §4): the agent
 * opens the file, connects a copy of the target's socket or changes the
 * names itself, so the object checked is the object the target gets
 * whatever the target's threads write into its memory after the check.
 *
 * Who does the work. Credentials are per thread in the kernel, so the
 * agent's own threads never change theirs: the work runs in a small pool of
 * worker threads (created on demand, up to EMULATE_MAX_WORKERS, gone after
 * some idle seconds), each of which has unshared its fs_struct (umask) and
 * switches its fsuid, fsgid, supplementary groups, effective capabilities
 * and umask to the target's for every open or path call (skipped when the
 * previous job left the same ones). Two kinds of work need a process
 * instead, and get a short-lived helper (clone(CLONE_VM|CLONE_FILES|
 * CLONE_VFORK), started by a worker, with all of the target's ids):
 *   - connects and sends on unix and other non-inet sockets: the server
 *     learns its peer from the connecting task (SO_PEERCRED uid/gid/pid,
 *     SO_PEERPIDFD, SCM_CREDENTIALS, netlink's sender). With a helper it sees
 *     the target's uids and gids and the pid of a process that exits right
 *     away, never a root thread of the agent that a server trusting
 *     SO_PEERCRED or polkit-style /proc/PID lookups would take for root;
 *   - opens and path calls of a target in another user namespace: its
 *     capabilities count only for inodes mapped into that namespace, so
 *     the helper joins it (setns) after taking on the target's ids.
 * TCP and UDP (inet) sockets are connected and sent on in a worker
 * without credential changes: connect(2) and sendto(2) check none (cgroup
 * hooks use the socket's cgroup, and the socket's netns is the target's).
 *
 * Measured on the project's 2-core machine (6.18, load 4 from other jobs;
 * best of 15 rounds of 300), one synchronous read-only open including the
 * /proc snapshot: a plain open() 3 µs; this pool 42 µs when the worker
 * already holds the target's credentials, 55 µs with a switch; a thread per
 * open 93 µs; a clone helper per open 65 µs. Hence the pool. A unix connect
 * through the helper costs about 280 µs (plain: 2 µs): the price of a peer
 * identity that is the target's.
 *
 * What is not the target's: the agent's LSM label opens and connects
 * (the target's AppArmor/SELinux profile does not govern the call; the fd
 * passes the file_receive hook when it is installed), the agent's
 * RLIMIT_NOFILE holds our copy until it is installed, and opens always
 * carry O_NOCTTY (a tty never becomes the agent's controlling terminal;
 * the target cannot gain one through an emulated open either). The first
 * credential switch makes the agent non-dumpable (commit_creds), as in any
 * daemon that uses setfsuid.
 *
 * Target identity: the synchronous functions read /proc/TID once through a
 * directory fd, so everything they use belongs to one task; the caller
 * must have checked the notification id just before (pid reuse). The
 * asynchronous ones take the notify fd and check the id themselves after
 * pinning /proc/TID, which closes that window.
 *
 * Thread-safe; not async-signal-safe. After fork() only the calling thread
 * exists: the child must not use this module (it may exec). Kernel floor:
 * openat2 (5.6), pidfd_getfd (5.6), ADDFD with SEND (5.14), Umask in
 * /proc/PID/status (4.7). Needs CAP_SETUID, CAP_SETGID and every capability
 * a target may hold (an agent without them can only emulate for targets
 * with its own credentials: -EPERM otherwise), CAP_SYS_ADMIN for targets
 * in a user namespace, and ptrace access to the target. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* A positive result, not an errno: the path changed since it was resolved
 * (a directory component, or a final one the caller resolved through, is
 * now a symbolic link), so the open or connect did not happen: following
 * the link would reach an object nobody checked. Nothing was opened,
 * created or truncated. The caller resolves and decides again and retries
 * once; if that is stale too (a container flipping links on purpose), it
 * refuses with its refusal errno (EPERM) and reports it. */
#define EMULATE_STALE 1

/* Most concurrent jobs (worker threads). Beyond it the functions below
 * return -EAGAIN: a flood of slow connects must not grow the agent without
 * bound. */
#define EMULATE_MAX_WORKERS 128

/* Checks an openat2 open_how the way openat2(2) does before it looks at
 * the path, for the rules where openat2 is stricter than openat: unknown
 * flag or resolve bits, mode bits above 07777, a mode without O_CREAT or
 * O_TMPFILE, O_PATH with flags other than O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC,
 * RESOLVE_BENEATH together with RESOLVE_IN_ROOT. Pure. Returns 0 or -EINVAL
 * (the target's openat2 fails with EINVAL: answer that, no emulation). */
int emulate_check_open_how(uint64_t flags, uint64_t mode, uint64_t resolve);

/* Opens resolved_path for thread tid, as tid would, and returns our fd.
 *
 * resolved_path: absolute, in the target's root, from resolve_path() and
 * already allowed by the policy. It is opened with openat2 on
 * /proc/TID/root with RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS, in a worker that holds the target's fsuid, fsgid,
 * groups, effective capabilities and umask: a created file gets the
 * target's owner, group (or the directory's, setgid) and mode & ~umask or
 * the directory's default ACL, as the kernel makes them. A final symbolic
 * link is opened only as the kernel would without following it (O_PATH |
 * O_NOFOLLOW gives an fd to the link; O_NOFOLLOW alone gives ELOOP;
 * O_CREAT | O_EXCL gives EEXIST); resolve with PATHRES_FOLLOW otherwise.
 *
 * flags, mode: as open/openat/creat got them (creat: O_CREAT|O_WRONLY|
 * O_TRUNC); they are normalised as the kernel does for those calls
 * (unknown bits dropped, O_PATH keeps only O_DIRECTORY|O_NOFOLLOW, mode
 * ignored without O_CREAT/O_TMPFILE). For openat2 call
 * emulate_check_open_how() first. O_CLOEXEC is not ours to keep: pass the
 * same flags to emulate_install_fd(). O_NONBLOCK, O_APPEND, O_DIRECT,
 * O_SYNC, O_NOATIME and O_TRUNC take effect on our open.
 *
 * resolve: the target's own openat2 resolve flags, 0 for open/openat.
 * Unknown bits give -EINVAL as in openat2; RESOLVE_CACHED is honoured. The
 * restricting ones (RESOLVE_BENEATH, _IN_ROOT, _NO_XDEV, _NO_SYMLINKS,
 * _NO_MAGICLINKS) describe the target's walk from its dirfd, which only the
 * caller's resolution sees: it must apply them there (resolve_path does
 * not today).
 *
 * This call blocks the caller as long as the open blocks: a FIFO without
 * O_NONBLOCK waits for its peer, FUSE and NFS for their servers. A
 * supervisor loop uses emulate_open_start() instead.
 *
 * /dev/tty (5:0) names the opener's controlling terminal: it would be the
 * agent's, so it is refused with -ENXIO (what a process without a
 * controlling terminal gets).
 *
 * Returns 0 and an O_CLOEXEC fd in *ret_fd (the caller owns it); or
 * EMULATE_STALE; or -errno as the target's open would have failed
 * (-EACCES, -EPERM, -EEXIST, -ENOENT, -ENOTDIR, -EISDIR, -ELOOP, -ETXTBSY,
 * -EROFS, -EINVAL, -ENXIO, -EAGAIN ...), which the caller answers with.
 * Failures of our own: -ESRCH (the target is gone), -EPERM (we may not take
 * on its credentials), -EAGAIN (all EMULATE_MAX_WORKERS busy), -EINVAL
 * (tid <= 0, path not absolute, NULL), -ENOMEM. *ret_fd is set only on
 * success. */
int emulate_open(pid_t tid, const char *resolved_path, uint64_t flags, uint64_t mode,
                 uint64_t resolve, int *ret_fd);

/* Installs fd in the target and answers its held open with the new number
 * (notify_addfd() with send, newfd_flags O_CLOEXEC when open_flags has it),
 * then closes fd whatever happened: the caller hands it over. Returns what
 * notify_addfd() returns: the target's fd number, -ENOENT (gone: nothing to
 * answer), or an error after which the call is still held and the caller
 * must answer it: -EMFILE or -EBADF (the target's fd limit: answer EMFILE
 * as open would), other -errno. */
int emulate_install_fd(int notify_fd, uint64_t id, int fd, uint64_t open_flags);

/* Connects the target's socket target_sockfd (a pidfd_getfd copy: the same
 * open file description, bound to the target's network namespace) to addr
 * (len bytes, at most sizeof(struct sockaddr_storage); our copy of the
 * target's address). For an AF_UNIX address with a path, resolved_unix_path
 * is that path resolved in the target's root (resolve_path with
 * PATHRES_FOLLOW): the socket file is opened there (O_PATH, no symlinks)
 * and connected through /proc/self/fd/N in a helper with the target's
 * credentials; NULL for every other address (abstract unix names live in
 * the socket's network namespace and need nothing). A path address without
 * it is -EINVAL: the agent's root is not the target's.
 *
 * Blocks as long as the connect does (blocking TCP sockets: until the
 * handshake or its timeout). Returns 0 and the connect's result in
 * *ret_result: 0, EMULATE_STALE, or -errno as the target's connect would
 * return it (-EINPROGRESS for a non-blocking socket, -EISCONN,
 * -ECONNREFUSED, -EALREADY, -ENOENT, -EACCES, -ENOTSOCK, -EPROTOTYPE ...).
 * Returns -errno when nothing was tried: -EBADF (target_sockfd is not open
 * in the target: the target would get EBADF), -ESRCH (target gone),
 * -EINVAL, -EAGAIN, -ENOMEM, -EPERM. */
int emulate_connect(pid_t tid, int target_sockfd, const struct sockaddr *addr, socklen_t len,
                    const char *resolved_unix_path, int *ret_result);

/* The most data a sendto is emulated with: a datagram is never larger in
 * practice (UDP 65,507 bytes; unix datagrams up to net.core.wmem_max), a
 * stream socket may send less than it was given anyway. */
#define EMULATE_SEND_MAX (1u << 20)

/* sendto(target_sockfd, data, len, flags, addr, addrlen) as the target
 * would make it, on our copy of its socket (a pidfd_getfd copy, as for
 * emulate_connect; resolved_unix_path likewise). data is our copy of the
 * target's buffer: its first len bytes of the want it asked to send; with
 * len < want a stream socket sends at most len (a short count, as stream
 * sends may return) and any other fails with -EMSGSIZE. MSG_NOSIGNAL is
 * always added: a broken pipe raises SIGPIPE in the target (as the kernel
 * would, process-directed) unless the target's flags had it.
 * Returns 0 and in *ret_result 0 (*ret_sent bytes were sent),
 * EMULATE_STALE or -errno as the target's sendto would fail; -errno when
 * nothing was tried, as for emulate_connect (-EMSGSIZE as above). */
int emulate_sendto(pid_t tid, int target_sockfd, const void *data, size_t len, size_t want,
                   int flags, const struct sockaddr *addr, socklen_t addrlen,
                   const char *resolved_unix_path, int *ret_result, size_t *ret_sent);

/* How an asynchronous job ended, passed to its done callback. */
struct emulate_outcome {
        /* The call's result: open: the fd number installed in the target,
         * or -errno / EMULATE_STALE; connect and path calls: 0, -errno or
         * EMULATE_STALE; sendto: 0 (sent), -errno or EMULATE_STALE. */
        int result;
        /* The answer: 0 the target got it, -ENOENT the call went away
         * (target killed or interrupted: not an error), other -errno the
         * answer failed. */
        int answer;
};

/* Asynchronous versions for a supervisor loop that must never block. The
 * arguments are as for emulate_open / emulate_connect, plus the held
 * call's notify_fd and id, and:
 *   stale_errno  the errno the target gets when the result is
 *                EMULATE_STALE (the caller's refusal errno, e.g. EPERM):
 *                there is no retry on this path;
 *   done, arg    called once, in a worker thread, after the answer was sent
 *                or failed and every fd of the job was closed; may be NULL. It must be thread-safe (typically
 *                it queues the outcome for the loop: events and learning are
 *                the loop's) and must not call the synchronous functions.
 *                arg stays the caller's and must live until done runs.
 *
 * Returns 0: the job owns the answer from then on. The worker answers the
 * call itself (ADDFD+SEND for an open, the connect's result or its errno,
 * EMFILE when the target's fd table is full); nothing is left held.
 * The caller keeps its notify_fd: the job holds its own duplicate (the
 * caller may close the listener at once) and closes it, our socket copy
 * and every fd it opened when it ends, also when the target was killed
 * meanwhile (its answer is then -ENOENT).
 *
 * Returns -errno when nothing was started and the call is still the
 * caller's to answer (done is not called): -ENOENT (the notification went
 * away: nothing to answer), -ESRCH, -EBADF (connect: answer EBADF), -EINVAL
 * (answer EINVAL), -EAGAIN (pool full), -EPERM, -ENOMEM. */
int emulate_open_start(int notify_fd, uint64_t id, pid_t tid, const char *resolved_path,
                       uint64_t flags, uint64_t mode, uint64_t resolve, int stale_errno,
                       void (*done)(void *arg, const struct emulate_outcome *outcome),
                       void *arg);
int emulate_connect_start(int notify_fd, uint64_t id, pid_t tid, int target_sockfd,
                          const struct sockaddr *addr, socklen_t len,
                          const char *resolved_unix_path, int stale_errno,
                          void (*done)(void *arg, const struct emulate_outcome *outcome),
                          void *arg);

/* emulate_open_start() for an object that has no name in the target's
 * root (resolve_unnamed(): a pipe behind /dev/stdout, a deleted file): the
 * worker opens it again through /proc/self/fd/N, as the kernel does for
 * the target's own /proc/self/fd path, with flags and mode under the
 * target's credentials. objfd (O_PATH is enough) is taken in every case.
 * A target's openat2 that forbids magic links (RESOLVE_NO_MAGICLINKS,
 * _NO_SYMLINKS) gets ELOOP, one that stays beneath its dirfd
 * (RESOLVE_BENEATH, _IN_ROOT) EXDEV, as from the kernel. Returns as
 * emulate_open_start(). */
int emulate_reopen_start(int notify_fd, uint64_t id, pid_t tid, int objfd, uint64_t flags,
                         uint64_t mode, uint64_t resolve, int stale_errno,
                         void (*done)(void *arg, const struct emulate_outcome *outcome),
                         void *arg);

/* The asynchronous sendto: the worker answers with the bytes sent. */
int emulate_sendto_start(int notify_fd, uint64_t id, pid_t tid, int target_sockfd,
                         const void *data, size_t len, size_t want, int flags,
                         const struct sockaddr *addr, socklen_t addrlen,
                         const char *resolved_unix_path, int stale_errno,
                         void (*done)(void *arg, const struct emulate_outcome *outcome),
                         void *arg);

/* The write-class calls on names (truncate, chmod, mkdir, mknod, unlink,
 * rmdir, symlink, rename, link), performed by the agent on the names it
 * checked (DESIGN.md §4). */
enum emulate_path_op {
        EMULATE_TRUNCATE,       /* truncate(path[0], arg) */
        EMULATE_CHMOD,          /* chmod(path[0], arg) */
        EMULATE_MKDIR,          /* mkdir(path[0], arg) */
        EMULATE_MKNOD,          /* mknod(path[0], arg, dev) */
        EMULATE_UNLINK,         /* unlinkat(path[0], arg: 0 or AT_REMOVEDIR) */
        EMULATE_SYMLINK,        /* symlink(text, path[0]) */
        EMULATE_RENAME,         /* renameat2(path[0], path[1], arg: RENAME_* flags) */
        EMULATE_LINK,           /* link(source or fd, path[0]) */
};

struct emulate_path_call {
        enum emulate_path_op op;
        /* Absolute, in the target's root, from resolve_path() and allowed
         * by the policy. For the calls that act on a name itself (all but
         * truncate and chmod) the final component is that name as the
         * target wrote it, without a trailing '/' (resolve without
         * PATHRES_FOLLOW after stripping it, and set slash). truncate and
         * chmod resolve through a trailing '/' (it makes the kernel follow
         * a final link); slash then only asks for a directory. */
        const char *path[2];
        bool slash[2];          /* the target wrote the name with a trailing '/' */
        /* truncate, chmod: path[0] was resolved through a final symlink
         * (it is the link's target). chmod without it is fchmodat2 with
         * AT_SYMLINK_NOFOLLOW on the name. */
        bool follow;
        /* truncate: the length; chmod, mkdir, mknod: the mode; unlink: 0
         * or AT_REMOVEDIR; rename: RENAME_* flags; link: AT_EMPTY_PATH
         * when fd is linkat's AT_EMPTY_PATH source, else 0 */
        uint64_t arg;
        uint64_t dev;           /* mknod */
        const char *text;       /* symlink: the content the target gave */
        /* link: the existing file, resolved the way the target's call
         * resolves it (AT_SYMLINK_FOLLOW or not); NULL when fd names it. */
        const char *source;
        /* A file descriptor number in the target, or -1: the file of a
         * call with AT_EMPTY_PATH (linkat's source; fchmodat2's file, which
         * must still be the inode at path[0]) or a link source written as
         * /proc/self/fd/N. */
        int fd;
};

/* Performs call for thread tid as tid would: each name is reached from a
 * directory opened in the target's root through no symlink (openat2
 * RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS), truncate
 * and a following chmod act on the final object opened the same way
 * (through /proc/self/fd), all with the target's fsuid, fsgid, groups,
 * capabilities and umask (as for emulate_open). So what changes is what
 * was checked: a directory component or followed final link that became a
 * symlink since the check gives EMULATE_STALE, and nothing happens.
 *
 * Not the target's, as for opens: the agent's LSM label. truncate applies
 * the target's RLIMIT_FSIZE (EFBIG and SIGXFSZ, as the kernel). A link
 * from an fd succeeds wherever the target could make it through its own
 * /proc/self/fd/N: linkat's AT_EMPTY_PATH rule (CAP_DAC_READ_SEARCH, or
 * an fd opened with the caller's very credentials) cannot be checked from
 * outside, and a target that is not dumpable may find its /proc/self/fd
 * closed to itself where the agent's is not.
 *
 * Returns 0 and the call's result in *ret_result: 0, EMULATE_STALE or
 * -errno as the target's call would fail (-EEXIST, -ENOENT, -EACCES,
 * -EPERM, -ENOTEMPTY, -EISDIR, -EXDEV, -EFBIG ...). Returns -errno when nothing was
 * tried: -EBADF (fd is not open in the target), -ESRCH, -EINVAL (bad
 * op, a path not absolute, a missing operand), -EAGAIN, -ENOMEM, -EPERM. */
int emulate_path(pid_t tid, const struct emulate_path_call *call, int *ret_result);

/* The asynchronous version, as emulate_open_start(): the worker answers
 * the held call with 0 or the errno itself. */
int emulate_path_start(int notify_fd, uint64_t id, pid_t tid, const struct emulate_path_call *call,
                       int stale_errno,
                       void (*done)(void *arg, const struct emulate_outcome *outcome),
                       void *arg);
