#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "listener.h"
#include "notify.h"
#include "oci.h"
#include "session.h"
#include "cgroup2.h"
#include "execgate.h"
#include "execscope.h"
#include "filter.h"
#include "shimsock.h"
#include "target.h"
#include "strbuf.h"
#include "supervisor.h"
#include "unixsock.h"
#include "util.h"

/* Bounds on what runtimes and operators can make the agent hold. */
#define AGENT_MAX_PENDING 64            /* listener connections not yet complete */
#define AGENT_PENDING_TIMEOUT_S 10      /* ... and how long each may take */
#define AGENT_MAX_CONTROL 16
#define AGENT_MAX_SHIM 64               /* shim connections in progress */
#define AGENT_SHIM_TIMEOUT_S 5          /* ... and how long each may take */

enum watch_kind {
        WATCH_LISTENER,
        WATCH_CONTROL,
        WATCH_PENDING,          /* a listener connection, state not complete */
        WATCH_CONTROL_CONN,
        WATCH_NOTIFY,
        WATCH_SIGNAL,
        WATCH_TIMER,
        WATCH_SHIM,             /* the shim socket */
        WATCH_SHIM_CONN,        /* an attaching shim */
        WATCH_INIT,             /* pidfd of a registered container's init */
        WATCH_GATE,             /* the exec gate's fanotify fd */
        WATCH_SEND_GATE,        /* a container's send gate ring buffer */
};

struct container;

/* Everything in the epoll set is a watch; the epoll data points at it. */
struct watch {
        enum watch_kind kind;
        int fd;
        struct watch *next;             /* in the agent's list of its kind */
        struct listener_conn *conn;     /* WATCH_PENDING */
        struct shimsock_conn *shim;     /* WATCH_SHIM_CONN */
        time_t deadline;                /* WATCH_PENDING, WATCH_SHIM_CONN */
        struct container *container;    /* WATCH_NOTIFY, WATCH_SEND_GATE */
        struct supervisor_fd sfd;       /* WATCH_NOTIFY */
        struct strbuf line;             /* WATCH_CONTROL_CONN */
};

struct container {
        struct container *next;
        char *id;
        struct session *s;
        size_t n_fds;                   /* notify fds still open */
        size_t saved;                   /* learn_count() at the last save */
        /* Registered by driftlock-hook (attach through the shim): */
        bool registered;
        bool attached;                  /* a listener fd ever arrived */
        struct watch *init;             /* WATCH_INIT: the init's pidfd */
        pid_t init_pid;                 /* the container's init (0: unknown) */
        struct execgate_scope *gated;   /* enforce: its scope in the exec gate */
        struct watch send_watch;        /* its session's send gate, if any */
        enum profile_mode send_mode;    /* the mode that gate was made for */
        bool send_ungated;              /* no send gate could be attached (reported) */
        uint64_t pidns;                 /* the init's pid namespace */
        char cgroup[4096];
        struct timespec attach_deadline;
        bool unattached_reported;
};

struct agent {
        const struct config *cfg;
        int epfd;
        int events_fd;
        struct watch listener, control, signals, timer, shim;
        struct watch *pending;          /* listener connections */
        size_t n_pending;
        struct watch *control_conns;
        size_t n_control;
        struct watch *shim_conns;
        size_t n_shim;
        uint64_t own_pidns;
        struct execgate *gate;          /* created with the first enforced container */
        struct watch gate_watch;
        struct watch *notifies;
        struct container *containers;
        struct seccomp_notif *req;
        struct epoll_event *batch;      /* the events being dispatched */
        int batch_n;
        time_t next_flush;
        bool stop;
};

static void agent_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void agent_log(const char *fmt, ...)
{
        va_list ap;

        fputs("driftlockd: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

static void agent_diag(void *ctx, unsigned line, const char *msg)
{
        agent_log("%s:%u: %s", (const char *)ctx, line, msg);
}

static int agent_watch(struct agent *a, struct watch *w, uint32_t events)
{
        struct epoll_event ev = { .events = events, .data.ptr = w };

        return epoll_ctl(a->epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0 ? -errno : 0;
}

/* A watch about to be freed must not be dispatched later in this batch. */
static void agent_forget(struct agent *a, const struct watch *w)
{
        for (int i = 0; i < a->batch_n; i++)
                if (a->batch[i].data.ptr == w)
                        a->batch[i].data.ptr = NULL;
}

static void agent_unwatch(struct agent *a, struct watch *w)
{
        epoll_ctl(a->epfd, EPOLL_CTL_DEL, w->fd, NULL);
        agent_forget(a, w);
}

/* Removes w from the singly linked list at *head. */
static void agent_list_remove(struct watch **head, struct watch *w)
{
        for (struct watch **p = head; *p; p = &(*p)->next)
                if (*p == w) {
                        *p = w->next;
                        return;
                }
}

/* --- containers -------------------------------------------------------- */

static struct container *agent_find(struct agent *a, const char *id)
{
        for (struct container *c = a->containers; c; c = c->next)
                if (!strcmp(c->id, id))
                        return c;
        return NULL;
}

/* An exact id, or a prefix of exactly one container's id (as runc and
 * podman accept short ids). */
static struct container *agent_find_prefix(struct agent *a, const char *id, bool *ambiguous)
{
        struct container *found = agent_find(a, id);
        size_t len = strlen(id);

        *ambiguous = false;
        if (found)
                return found;
        for (struct container *c = a->containers; c; c = c->next) {
                if (strncmp(c->id, id, len))
                        continue;
                if (found) {
                        *ambiguous = true;
                        return NULL;
                }
                found = c;
        }
        return found;
}

static void agent_lifecycle_event(struct container *c, const char *verdict, const char *reason)
{
        struct event ev = { .verdict = verdict, .reason = reason, .uid = -1 };

        clock_gettime(CLOCK_REALTIME, &ev.time);
        session_emit(c->s, &ev);
}

static int agent_save(struct container *c)
{
        size_t count = learn_count(c->s->learn);
        int r;

        if (count == c->saved)
                return 0;
        r = session_save_learned(c->s, agent_diag, c->s->profile_path);
        if (r < 0) {
                agent_log("%s: cannot save what container %s learned: %s",
                          c->s->profile_path, c->id, strerror(-r));
                return r;
        }
        c->saved = count;
        return 1;
}

static void agent_send_reports(struct container *c)
{
        int r = supervisor_send_reports(c->s);

        if (r < 0)
                agent_log("container %s: cannot read the send gate's reports: %s", c->id,
                          strerror(-r));
}

static void agent_release(struct agent *a, struct container *c)
{
        for (struct container **p = &a->containers; *p; p = &(*p)->next)
                if (*p == c) {
                        *p = c->next;
                        break;
                }
        if (c->init) {
                agent_unwatch(a, c->init);
                close(c->init->fd);
                free(c->init);
        }
        if (c->gated)
                execgate_remove_scope(a->gate, c->gated);
        if (c->s->send_gate) {
                agent_unwatch(a, &c->send_watch);
                agent_send_reports(c);
        }
        agent_save(c);
        agent_lifecycle_event(c, "detach", c->attached || !c->registered
                ? "no process of the container uses its filter any more"
                : "released before any process attached");
        session_free(c->s);
        free(c->id);
        free(c);
}

/* A container goes when nothing of it is supervised any more and no
 * registration (from the hook, until poststop) keeps it. */
static void agent_maybe_release(struct agent *a, struct container *c)
{
        if (c->n_fds == 0 && !c->registered)
                agent_release(a, c);
}

static uint64_t agent_hash(const char *s)
{
        uint64_t h = 0xcbf29ce484222325ull;     /* FNV-1a 64 */

        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
        return h;
}

/* The profile name a container gets, encoded for a file name; falls back to
 * the container id when the name cannot be used. why says what happened. */
static int agent_profile_file(struct agent *a, const struct oci_state *st, char **ret_path,
                              char **ret_name, const char **ret_why)
{
        cleanup_free char *name = NULL, *encoded = NULL;
        enum oci_name_source source;
        int r;

        r = oci_profile_name(st, &name, &source);
        if (r < 0)
                return r;
        *ret_why = source == OCI_NAME_CONTAINER_ID
                ? "no profile annotation, image name or profile= metadata: named after the container id"
                : NULL;
        r = oci_encode_name(name, &encoded);
        if (r == -ENAMETOOLONG && source != OCI_NAME_CONTAINER_ID) {
                free(name);
                name = NULL;
                if (asprintf(&name, "container-%s", st->id) < 0) {
                        name = NULL;
                        return -ENOMEM;
                }
                *ret_why = "profile name too long for a file name: named after the container id";
                r = oci_encode_name(name, &encoded);
        }
        if (r == -ENAMETOOLONG) {
                /* An id too long for a file name (runc does not bound ids):
                 * a hash of it names the profile of this one container. */
                free(name);
                name = NULL;
                if (asprintf(&name, "container-%016llx", (unsigned long long)agent_hash(st->id)) < 0) {
                        name = NULL;
                        return -ENOMEM;
                }
                *ret_why = "no usable profile name and a container id too long for a file name: named after a hash of the id";
                r = oci_encode_name(name, &encoded);
        }
        if (r < 0)
                return r;
        if (asprintf(ret_path, "%s/%s.ini", a->cfg->profiles, encoded) < 0)
                return -ENOMEM;
        *ret_name = TAKE_PTR(name);
        return 0;
}

static struct container *agent_new_container(struct agent *a, const struct oci_state *st,
                                              const char *verdict)
{
        cleanup_free char *path = NULL, *name = NULL;
        struct session_options so = { 0 };
        struct container *c;
        const char *why = NULL, *requested, *image = NULL;
        int r, mode;

        r = agent_profile_file(a, st, &path, &name, &why);
        if (r < 0) {
                agent_log("container %s: no usable profile name: %s", st->id, strerror(-r));
                return NULL;
        }
        c = calloc(1, sizeof(*c));
        if (!c || !(c->id = strdup(st->id))) {
                free(c);
                return NULL;
        }
        so.container = st->id;
        so.profile_name = name;
        so.profile_path = path;
        so.default_mode = a->cfg->default_mode;
        so.refuse_errno = EPERM;
        so.events_fd = a->events_fd;
        so.broken_profile_ok = true;
        so.no_emulate = !a->cfg->emulate;
        if (oci_image_name(st, &image) == 0)
                so.image = image;
        requested = oci_requested_mode(st);
        if (requested) {
                mode = profile_mode_from_name(requested);
                if (mode < 0)
                        agent_log("container %s: ignoring io.driftlock.mode=%s (learn, monitor or enforce)",
                                  st->id, requested);
                else
                        so.mode = (enum profile_mode)mode;
        }
        r = session_new(&so, agent_diag, path, &c->s);
        if (r < 0) {
                agent_log("container %s: %s: %s", st->id, path, strerror(-r));
                free(c->id);
                free(c);
                return NULL;
        }
        if (c->s->profile_broken)
                why = "the profile has errors (see the agent's log): supervised with an empty profile";
        c->next = a->containers;
        a->containers = c;
        agent_log("container %s: profile %s, mode %s", c->id, path, profile_mode_name(c->s->mode));
        agent_lifecycle_event(c, verdict, why ? why : "supervised");
        return c;
}

/* A container attached by driftlock-exec runs the agent's own wrapper
 * first, through its bind mount of the shim directory: the same file. */
static int agent_gate_shim(struct agent *a, struct execgate_scope *scope)
{
        char path[PATH_MAX];
        cleanup_close int fd = -1;

        if (!strcmp(a->cfg->shim_dir, "none") ||
            snprintf(path, sizeof(path), "%s/driftlock-exec", a->cfg->shim_dir) >= (int)sizeof(path))
                return 0;
        fd = open(path, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return 0;       /* no wrapper installed: nothing to allow */
        return execgate_allow_file(scope, fd);
}

/* Every mode: the send gate judges the container's connect and send
 * destinations in the kernel (sendgate.h), on its cgroup v2; attached again
 * for the new mode when the operator changes it. A container in the
 * agent's own cgroup, or in one above it, is not gated: the programs would
 * judge the host. */
static int agent_gate_sends(struct agent *a, struct container *c)
{
        cleanup_free char *own = NULL, *path = NULL;
        cleanup_close int fd = -1;
        int r;

        if (c->s->send_gate) {
                if (c->send_mode == c->s->mode)
                        return 0;
                agent_send_reports(c);
                agent_unwatch(a, &c->send_watch);
                r = session_gate_sends(c->s, sendgate_cgroup(c->s->send_gate));
        } else {
                r = cgroup2_path_of(c->init_pid, &path);
                if (r >= 0)
                        r = cgroup2_path_of(getpid(), &own);
                if (r >= 0 && cgroup2_within(own, path))
                        r = -EXDEV;
                if (r >= 0)
                        r = cgroup2_open(path, &fd);
                if (r >= 0)
                        r = session_gate_sends(c->s, fd);
        }
        if (c->s->send_gate) {
                c->send_watch = (struct watch){ .kind = WATCH_SEND_GATE, .container = c,
                                                .fd = sendgate_fd(c->s->send_gate) };
                if (agent_watch(a, &c->send_watch, EPOLLIN) < 0 && r >= 0)
                        r = -errno;
        }
        if (r >= 0) {
                c->send_mode = c->s->mode;
                if (sendgate_unix_status(c->s->send_gate) < 0)
                        agent_log("container %s: unix datagram destinations are not judged in the kernel (%s)",
                                  c->id, strerror(-sendgate_unix_status(c->s->send_gate)));
        }
        return r;
}

/* The gates of a container: the send gate in every mode; in enforce the
 * exec gate, which judges the file the kernel really executes in the
 * container (DESIGN.md §4): its file systems are marked, its pid
 * namespace is the scope, its profile's programs are allowlisted as found
 * in its root. A container that cannot be gated is reported: seccomp alone
 * still checks the path each exec names and each connect and sendto. */
static void agent_gate_container(struct agent *a, struct container *c)
{
        char root[64];
        cleanup_close int rootfd = -1;
        int r;

        /* A registered container's root is final only once its process
         * runs (the hook runs before pivot_root): it is gated when the
         * shim attaches. */
        if (c->init_pid <= 0 || (c->registered && !c->attached))
                return;
        r = agent_gate_sends(a, c);
        /* reported once: every runc exec comes through here again */
        if (r < 0 && !c->send_ungated) {
                c->send_ungated = true;
                agent_log("container %s: no send gate (%s): sendmsg and sendmmsg destinations are not judged",
                          c->id, r == -EXDEV ? "it shares the agent's cgroup" : strerror(-r));
                agent_lifecycle_event(c, "ungated", "the send gate could not judge this container's destinations");
        }
        if (c->gated || c->s->mode != PROFILE_MODE_ENFORCE)
                return;
        if (!a->gate) {
                r = execgate_new(&a->gate);
                if (r >= 0) {
                        a->gate_watch = (struct watch){ .kind = WATCH_GATE,
                                                        .fd = execgate_fd(a->gate) };
                        r = agent_watch(a, &a->gate_watch, EPOLLIN);
                        if (r < 0)
                                a->gate = execgate_free(a->gate);
                }
                if (r < 0) {
                        agent_log("exec gate: %s", strerror(-r));
                        return;
                }
        }
        snprintf(root, sizeof(root), "/proc/%d/root", c->init_pid);
        rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        r = rootfd < 0 ? -errno : execgate_mark_mounts_of(a->gate, c->init_pid, 0);
        if (r >= 0)
                r = execscope_add(a->gate, c->s, EXECGATE_SCOPE_PIDNS, c->init_pid, rootfd,
                                  &c->gated);
        if (r >= 0 && c->registered)
                r = agent_gate_shim(a, c->gated);
        if (r < 0) {
                agent_log("container %s: no exec gate (%s): execs are checked by path only",
                          c->id, strerror(-r));
                agent_lifecycle_event(c, "ungated", "the exec gate could not watch this container");
        }
}

/* Supervises one more listener fd of container c (taking the fd). */
static void agent_add_notify(struct agent *a, struct container *c, int fd, bool entrypoint_seen)
{
        struct watch *w = calloc(1, sizeof(*w));

        if (w) {
                w->kind = WATCH_NOTIFY;
                w->fd = fd;
                w->sfd = (struct supervisor_fd){ .fd = fd, .entrypoint_seen = entrypoint_seen };
                w->container = c;
        }
        if (!w || agent_watch(a, w, EPOLLIN) < 0) {
                /* Closing the fd makes the held calls fail with ENOSYS:
                 * loud, and never a silent allow. */
                agent_log("container %s: cannot supervise it; its intercepted calls will fail",
                          c->id);
                close(fd);
                free(w);
                agent_maybe_release(a, c);
                return;
        }
        w->next = a->notifies;
        a->notifies = w;
        c->n_fds++;
        c->attached = true;
}

/* A listener fd from a runtime: runc exec sends a new one with the same
 * container id, which joins the same session. */
static void agent_add_listener_fd(struct agent *a, const struct oci_state *st, int fd)
{
        struct container *c = agent_find(a, st->id);

        if (!c)
                c = agent_new_container(a, st, "attach");
        if (!c) {
                agent_log("container %s: cannot supervise it; its intercepted calls will fail",
                          st->id);
                close(fd);
                return;
        }
        if (!c->init_pid)
                c->init_pid = st->state_pid > 0 ? st->state_pid : st->pid;
        agent_gate_container(a, c);
        agent_add_notify(a, c, fd, false);
}

static void agent_drop_notify(struct agent *a, struct watch *w)
{
        struct container *c = w->container;

        agent_unwatch(a, w);
        agent_list_remove(&a->notifies, w);
        close(w->fd);
        free(w);
        c->n_fds--;
        agent_maybe_release(a, c);
}

/* --- registration (driftlock-hook) and the shim socket ------------------ */

static bool agent_kills_unattached(const struct agent *a, const struct container *c)
{
        if (a->cfg->unattached_kill_set)
                return a->cfg->unattached_kill;
        return c->s->mode == PROFILE_MODE_ENFORCE;
}

static void agent_deadline(struct timespec *ts, unsigned ms)
{
        clock_gettime(CLOCK_MONOTONIC, ts);
        ts->tv_sec += ms / 1000;
        ts->tv_nsec += (long)(ms % 1000) * 1000000;
        if (ts->tv_nsec >= 1000000000) {
                ts->tv_sec++;
                ts->tv_nsec -= 1000000000;
        }
}

static bool agent_past(const struct timespec *deadline)
{
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC, &now);
        return now.tv_sec > deadline->tv_sec ||
               (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

/* The hook tells the agent about a container before its process runs: who
 * it is (the init's pid namespace and cgroup, read while its pidfd shows it
 * alive) and which profile and mode it gets. The shim's fd is bound to it
 * by those facts only. */
static json_t *agent_register(struct agent *a, const struct control_request *req)
{
        cleanup_free char *error_text = NULL;
        struct oci_state *st = NULL;
        const char *error = NULL;
        struct container *c;
        struct watch *w;
        int pidfd, r;

        r = oci_hook_state_parse(req->state, strlen(req->state), &st, &error);
        if (r < 0)
                return json_pack("{s:b, s:s}", "ok", 0, "error", error);
        if (st->state_pid <= 0) {
                oci_state_free(st);
                return json_pack("{s:b, s:s}", "ok", 0, "error", "the state has no pid");
        }
        c = agent_find(a, st->id);
        if (c && c->registered) {
                oci_state_free(st);
                return json_pack("{s:b, s:s}", "ok", 1, "container", c->id);
        }
        pidfd = (int)syscall(SYS_pidfd_open, st->state_pid, 0);
        if (pidfd < 0) {
                oci_state_free(st);
                return json_pack("{s:b, s:s}", "ok", 0, "error", "the container's init is gone");
        }
        if (!c)
                c = agent_new_container(a, st, "register");
        w = c ? calloc(1, sizeof(*w)) : NULL;
        if (!w) {
                close(pidfd);
                oci_state_free(st);
                return json_pack("{s:b, s:s}", "ok", 0, "error", "cannot supervise the container");
        }
        w->kind = WATCH_INIT;
        w->fd = pidfd;
        w->container = c;
        if ((r = target_namespace(st->state_pid, "pid", &c->pidns)) < 0 ||
            (r = target_cgroup(st->state_pid, c->cgroup, sizeof(c->cgroup))) < 0 ||
            (r = target_pidfd_alive(pidfd) ? 0 : -ESRCH) < 0 ||
            (r = agent_watch(a, w, EPOLLIN)) < 0) {
                close(pidfd);
                free(w);
                agent_maybe_release(a, c);
                oci_state_free(st);
                error_text = NULL;
                if (asprintf(&error_text, "cannot identify the container's init: %s", strerror(-r)) < 0)
                        error_text = NULL;
                return json_pack("{s:b, s:s}", "ok", 0, "error",
                                 error_text ? error_text : "cannot identify the container's init");
        }
        if (c->pidns == a->own_pidns)
                agent_log("container %s: shares the agent's pid namespace: shims are matched by cgroup only",
                          c->id);
        c->init = w;
        c->init_pid = st->state_pid;
        c->registered = true;
        agent_gate_container(a, c);
        agent_deadline(&c->attach_deadline, a->cfg->unattached_timeout_ms);
        agent_log("container %s: registered (init %d, rootfs %s)", c->id, st->state_pid,
                  req->rootfs ? req->rootfs : "?");
        oci_state_free(st);
        return json_pack("{s:b, s:s}", "ok", 1, "container", c->id);
}

static void agent_unregister(struct agent *a, struct container *c)
{
        c->registered = false;
        if (c->init) {
                agent_unwatch(a, c->init);
                close(c->init->fd);
                free(c->init);
                c->init = NULL;
        }
        agent_maybe_release(a, c);
}

/* Which registered container a shim's peer belongs to: same pid namespace
 * as the registered init (each container has its own) and the same cgroup
 * subtree. NULL if none. */
static struct container *agent_match_peer(struct agent *a, const struct shimsock_peer *p)
{
        for (struct container *c = a->containers; c; c = c->next) {
                if (!c->registered || c->pidns != p->pidns || !cgroup2_within(p->cgroup, c->cgroup))
                        continue;
                /* The agent's own pid namespace is shared by every host
                 * process: it identifies nobody. */
                if (c->pidns == a->own_pidns)
                        continue;
                return c;
        }
        return NULL;
}

static void agent_drop_shim(struct agent *a, struct watch *w)
{
        agent_unwatch(a, w);
        agent_list_remove(&a->shim_conns, w);
        a->n_shim--;
        shimsock_conn_free(w->shim);
        free(w);
}

static void agent_read_shim(struct agent *a, struct watch *w)
{
        const struct shimsock_peer *peer = shimsock_conn_peer(w->shim);
        const char *error = "unknown error";
        struct container *c;
        struct sock_fprog *prog = NULL;
        int fd = -1, r;

        switch (shimsock_conn_read(w->shim, &fd, &error)) {
        case SHIMSOCK_NEED_MORE:
                return;
        case SHIMSOCK_FAILED:
                agent_log("shim: connection dropped: %s", error);
                break;
        case SHIMSOCK_HELLO:
                c = agent_match_peer(a, peer);
                if (!c) {
                        agent_log("shim: pid %d is in no registered container: refused", peer->pid);
                        shimsock_send_filter(w->shim, SHIMPROTO_UNKNOWN_CONTAINER, NULL);
                        break;
                }
                r = filter_build(&(struct filter_spec){ .notify_reads = c->s->notify_reads,
                                                       .self_installed = true }, &prog);
                r = r < 0 ? r : shimsock_send_filter(w->shim, SHIMPROTO_OK, prog);
                filter_prog_free(prog);
                if (r < 0) {
                        agent_log("shim: container %s: cannot send the filter: %s", c->id, strerror(-r));
                        break;
                }
                return;
        case SHIMSOCK_ATTACH:
                /* Identify again: the connection's peer is fixed, but its
                 * registration may have gone meanwhile. */
                c = agent_match_peer(a, peer);
                if (!c) {
                        close(fd);
                        shimsock_send_ack(w->shim, SHIMPROTO_UNKNOWN_CONTAINER);
                        break;
                }
                if (!c->attached)
                        agent_lifecycle_event(c, "attach", "the shim attached the container's process tree");
                /* The shim attaches from inside the running entrypoint (or
                 * right before its exec): there is no runtime work to skip. */
                agent_add_notify(a, c, fd, true);
                agent_gate_container(a, c);
                shimsock_send_ack(w->shim, SHIMPROTO_OK);
                break;
        }
        agent_drop_shim(a, w);
}

static void agent_accept_shim(struct agent *a)
{
        for (;;) {
                int fd = accept4(a->shim.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                struct watch *w;

                if (fd < 0)
                        return;
                if (a->n_shim >= AGENT_MAX_SHIM) {
                        close(fd);
                        continue;
                }
                w = calloc(1, sizeof(*w));
                if (w) {
                        w->kind = WATCH_SHIM_CONN;
                        w->fd = fd;
                        w->shim = shimsock_conn_new(fd);
                        w->deadline = time(NULL) + AGENT_SHIM_TIMEOUT_S;
                }
                if (!w || !w->shim || agent_watch(a, w, EPOLLIN) < 0) {
                        if (w && w->shim)
                                shimsock_conn_free(w->shim);
                        else
                                close(fd);
                        free(w);
                        continue;
                }
                w->next = a->shim_conns;
                a->shim_conns = w;
                a->n_shim++;
        }
}

/* Registered containers whose process has not attached in time are
 * reported, and killed where that is the policy (enforce, by default): a
 * container meant to be enforced must not run unsupervised. */
static void agent_check_unattached(struct agent *a)
{
        for (struct container *c = a->containers; c; c = c->next) {
                bool kill_it;

                if (!c->registered || c->attached || c->unattached_reported ||
                    !agent_past(&c->attach_deadline))
                        continue;
                c->unattached_reported = true;
                kill_it = agent_kills_unattached(a, c);
                agent_log("container %s: no process attached within %u ms%s", c->id,
                          a->cfg->unattached_timeout_ms, kill_it ? ": killing it" : "");
                if (kill_it && c->init)
                        syscall(SYS_pidfd_send_signal, c->init->fd, SIGKILL, NULL, 0);
                agent_lifecycle_event(c, kill_it ? "kill" : "unattached",
                                      "no process of the container attached to the agent in time");
        }
}

/* --- listener connections ---------------------------------------------- */

static void agent_drop_pending(struct agent *a, struct watch *w)
{
        agent_unwatch(a, w);
        agent_list_remove(&a->pending, w);
        a->n_pending--;
        listener_conn_free(w->conn);
        free(w);
}

/* The control socket serves root on the host: uid 0 (SO_PEERCRED) and the
 * agent's own pid namespace, so that root inside a container that somehow
 * reaches the socket still cannot change its own mode. */
static bool agent_peer_is_operator(const struct agent *a, int fd)
{
        struct ucred cred;
        socklen_t len = sizeof(cred);
        uint64_t pidns;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0)
                return false;
        return target_namespace(cred.pid, "pid", &pidns) == 0 && pidns == a->own_pidns;
}

static void agent_accept(struct agent *a, struct watch *lw)
{
        for (;;) {
                int fd = accept4(lw->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                struct watch *w;

                if (fd < 0) {
                        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                                agent_log("accept: %s", strerror(errno));
                        return;
                }
                if (lw->kind == WATCH_CONTROL) {
                        if (a->n_control >= AGENT_MAX_CONTROL || !agent_peer_is_operator(a, fd)) {
                                static const char denied[] =
                                        "{\"ok\":false,\"error\":\"permission denied\"}\n";

                                (void)!send(fd, denied, sizeof(denied) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
                                close(fd);
                                continue;
                        }
                } else if (a->n_pending >= AGENT_MAX_PENDING) {
                        agent_log("listener: too many incomplete connections; refusing one");
                        close(fd);
                        continue;
                }
                w = calloc(1, sizeof(*w));
                if (!w) {
                        close(fd);
                        continue;
                }
                w->fd = fd;
                if (lw->kind == WATCH_CONTROL) {
                        w->kind = WATCH_CONTROL_CONN;
                        w->next = a->control_conns;
                        a->control_conns = w;
                        a->n_control++;
                } else {
                        w->kind = WATCH_PENDING;
                        w->conn = listener_conn_new(fd);
                        w->deadline = time(NULL) + AGENT_PENDING_TIMEOUT_S;
                        if (!w->conn) {
                                free(w);
                                continue;
                        }
                        w->next = a->pending;
                        a->pending = w;
                        a->n_pending++;
                }
                if (agent_watch(a, w, EPOLLIN) < 0) {
                        agent_log("epoll: %s", strerror(errno));
                        if (w->kind == WATCH_PENDING) {
                                agent_list_remove(&a->pending, w);
                                a->n_pending--;
                                listener_conn_free(w->conn);
                        } else {
                                agent_list_remove(&a->control_conns, w);
                                a->n_control--;
                                close(w->fd);
                        }
                        free(w);
                }
        }
}

static void agent_read_pending(struct agent *a, struct watch *w)
{
        struct oci_state *st = NULL;
        const char *error = "unknown error";
        int fd = -1;
        int r = listener_conn_read(w->conn, &st, &fd, &error);

        if (r == 0)
                return;
        if (r < 0) {
                agent_log("listener: connection rejected: %s", error);
        } else {
                agent_add_listener_fd(a, st, fd);
                oci_state_free(st);
        }
        agent_drop_pending(a, w);
}

/* --- control ----------------------------------------------------------- */

static json_t *agent_status(struct agent *a)
{
        json_t *list = json_array();

        for (struct container *c = a->containers; list && c; c = c->next) {
                const struct session_counts *n = &c->s->counts;
                json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                                      "id", c->id, "profile", c->s->profile_name,
                                      "mode", profile_mode_name(c->s->mode),
                                      "image", c->s->image,
                                      "fds", (json_int_t)c->n_fds,
                                      "held", (json_int_t)n->held,
                                      "allowed", (json_int_t)n->allowed,
                                      "denied", (json_int_t)n->denied,
                                      "alerted", (json_int_t)n->alerted,
                                      "learned", (json_int_t)n->learned,
                                      "gone", (json_int_t)n->gone);

                if (!o || json_array_append_new(list, o) < 0) {
                        json_decref(list);
                        return NULL;
                }
        }
        return list ? json_pack("{s:b, s:o}", "ok", 1, "containers", list) : NULL;
}

static json_t *agent_execute(struct agent *a, const struct control_request *req)
{
        switch (req->cmd) {
        case CONTROL_STATUS:
                return agent_status(a);
        case CONTROL_MODE: {
                bool ambiguous;
                struct container *c = agent_find_prefix(a, req->container, &ambiguous);

                if (!c)
                        return json_pack("{s:b, s:s}", "ok", 0, "error",
                                         ambiguous ? "container id prefix is ambiguous"
                                                   : "no such container");
                if (c->s->mode != req->mode) {
                        agent_log("container %s: mode %s -> %s (operator)", c->id,
                                  profile_mode_name(c->s->mode), profile_mode_name(req->mode));
                        c->s->mode = req->mode;
                        agent_lifecycle_event(c, "mode", "changed by the operator");
                        agent_gate_container(a, c);
                }
                return json_pack("{s:b, s:s, s:s}", "ok", 1, "container", c->id, "mode",
                                 profile_mode_name(c->s->mode));
        }
        case CONTROL_REGISTER:
                return agent_register(a, req);
        case CONTROL_RELEASE: {
                struct container *c = agent_find(a, req->container);

                if (!c)
                        return json_pack("{s:b, s:s}", "ok", 0, "error", "no such container");
                agent_save(c);
                agent_unregister(a, c);
                return json_pack("{s:b}", "ok", 1);
        }
        case CONTROL_FLUSH: {
                json_int_t flushed = 0, failed = 0;

                for (struct container *c = a->containers; c; c = c->next) {
                        int r = agent_save(c);

                        if (r > 0)
                                flushed++;
                        else if (r < 0)
                                failed++;
                }
                if (failed)
                        return json_pack("{s:b, s:s, s:I}", "ok", 0, "error",
                                         "some profiles could not be saved (see the agent's log)",
                                         "flushed", flushed);
                return json_pack("{s:b, s:I}", "ok", 1, "flushed", flushed);
        }
        }
        return NULL;
}

static void agent_drop_control(struct agent *a, struct watch *w)
{
        agent_unwatch(a, w);
        agent_list_remove(&a->control_conns, w);
        a->n_control--;
        close(w->fd);
        strbuf_release(&w->line);
        free(w);
}

static void agent_read_control(struct agent *a, struct watch *w)
{
        char buf[4096];
        struct control_request req;
        const char *error = NULL;
        json_t *resp = NULL;
        char *nl, *text;
        ssize_t n = read(w->fd, buf, sizeof(buf));

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0 || strbuf_append(&w->line, buf, (size_t)n) < 0 ||
            w->line.len > CONTROL_MAX_LINE) {
                agent_drop_control(a, w);
                return;
        }
        nl = memchr(w->line.data, '\n', w->line.len);
        if (!nl)
                return;
        if (control_parse_request(w->line.data, (size_t)(nl - w->line.data), &req, &error) < 0) {
                resp = json_pack("{s:b, s:s}", "ok", 0, "error", error);
        } else {
                resp = agent_execute(a, &req);
                control_request_release(&req);
        }
        text = resp ? json_dumps(resp, JSON_COMPACT) : NULL;
        json_decref(resp);
        if (text) {
                struct timeval tv = { .tv_sec = 1 };
                size_t len = strlen(text);

                /* The reply is small and the client waits for it; a client
                 * that does not read may hold the loop for one second. */
                fcntl(w->fd, F_SETFL, fcntl(w->fd, F_GETFL) & ~O_NONBLOCK);
                setsockopt(w->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
                (void)!send(w->fd, text, len, MSG_NOSIGNAL);
                (void)!send(w->fd, "\n", 1, MSG_NOSIGNAL);
                free(text);
        }
        agent_drop_control(a, w);
}

/* --- housekeeping ------------------------------------------------------ */

static void agent_tick(struct agent *a)
{
        time_t now = time(NULL);
        uint64_t expirations;

        (void)!read(a->timer.fd, &expirations, sizeof(expirations));
        for (struct watch *w = a->pending, *next; w; w = next) {
                next = w->next;
                if (now >= w->deadline) {
                        agent_log("listener: connection rejected: no complete state within %d s",
                                  AGENT_PENDING_TIMEOUT_S);
                        agent_drop_pending(a, w);
                }
        }
        for (struct watch *w = a->shim_conns, *next; w; w = next) {
                next = w->next;
                if (now >= w->deadline) {
                        agent_log("shim: connection dropped: no attach within %d s",
                                  AGENT_SHIM_TIMEOUT_S);
                        agent_drop_shim(a, w);
                }
        }
        agent_check_unattached(a);
        if (a->cfg->flush_interval_s && now >= a->next_flush) {
                for (struct container *c = a->containers; c; c = c->next)
                        agent_save(c);
                a->next_flush = now + a->cfg->flush_interval_s;
        }
}

static int agent_open_events(const char *path)
{
        int fd;

        if (!strcmp(path, "-"))
                return fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        return fd < 0 ? -errno : fd;
}

static void agent_signal(struct agent *a)
{
        struct signalfd_siginfo si;

        while (read(a->signals.fd, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo == SIGHUP) {
                        /* logrotate: reopen the events file. */
                        int fd = agent_open_events(a->cfg->events);

                        if (fd < 0) {
                                agent_log("%s: %s", a->cfg->events, strerror(-fd));
                                continue;
                        }
                        dup3(fd, a->events_fd, O_CLOEXEC);
                        close(fd);
                } else {
                        a->stop = true;
                }
        }
}

static void agent_dispatch(struct agent *a, struct watch *w, uint32_t events)
{
        switch (w->kind) {
        case WATCH_LISTENER:
        case WATCH_CONTROL:
                agent_accept(a, w);
                break;
        case WATCH_PENDING:
                agent_read_pending(a, w);
                break;
        case WATCH_CONTROL_CONN:
                agent_read_control(a, w);
                break;
        case WATCH_NOTIFY:
                /* One notification per ready fd per round: a container that
                 * floods the agent waits its turn like every other. */
                if (events & EPOLLIN) {
                        if (supervisor_handle(w->container->s, &w->sfd, a->req) < 0)
                                agent_drop_notify(a, w);
                } else if (events & (EPOLLHUP | EPOLLERR)) {
                        agent_drop_notify(a, w);
                }
                break;
        case WATCH_SHIM:
                agent_accept_shim(a);
                break;
        case WATCH_SHIM_CONN:
                agent_read_shim(a, w);
                break;
        case WATCH_INIT:
                /* The init exited without a poststop hook (a runtime that
                 * crashed): its registration ends with it. */
                agent_unregister(a, w->container);
                break;
        case WATCH_SEND_GATE:
                agent_send_reports(w->container);
                break;
        case WATCH_GATE:
                if (execgate_process(a->gate, execscope_judge, NULL) < 0) {
                        agent_log("exec gate failed: execs are checked by path only from now on");
                        agent_unwatch(a, w);
                        for (struct container *c = a->containers; c; c = c->next)
                                c->gated = NULL;
                        a->gate = execgate_free(a->gate);
                }
                break;
        case WATCH_SIGNAL:
                agent_signal(a);
                break;
        case WATCH_TIMER:
                agent_tick(a);
                break;
        }
}

static void agent_shutdown(struct agent *a)
{
        while (a->pending)
                agent_drop_pending(a, a->pending);
        while (a->control_conns)
                agent_drop_control(a, a->control_conns);
        while (a->shim_conns)
                agent_drop_shim(a, a->shim_conns);
        while (a->notifies)
                agent_drop_notify(a, a->notifies);
        while (a->containers)
                agent_unregister(a, a->containers);
        a->gate = execgate_free(a->gate);
}

int agent_run(const struct config *cfg, int listener_fd, int control_fd, int shim_fd,
              int ready_fd)
{
        struct agent a = {
                .cfg = cfg,
                .listener = { .kind = WATCH_LISTENER, .fd = listener_fd },
                .control = { .kind = WATCH_CONTROL, .fd = control_fd },
                .shim = { .kind = WATCH_SHIM, .fd = shim_fd },
                .signals = { .kind = WATCH_SIGNAL, .fd = -1 },
                .timer = { .kind = WATCH_TIMER, .fd = -1 },
                .epfd = -1,
                .events_fd = -1,
        };
        struct itimerspec tick = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
        sigset_t mask;
        int r = 0;

        a.events_fd = agent_open_events(cfg->events);
        if (a.events_fd < 0) {
                agent_log("%s: %s", cfg->events, strerror(-a.events_fd));
                return a.events_fd;
        }
        signal(SIGPIPE, SIG_IGN);
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        a.signals.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
        a.timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        a.epfd = epoll_create1(EPOLL_CLOEXEC);
        a.req = notify_alloc_req();
        if (a.signals.fd < 0 || a.timer.fd < 0 || a.epfd < 0 || !a.req ||
            timerfd_settime(a.timer.fd, 0, &tick, NULL) < 0) {
                r = a.req ? -errno : -ENOMEM;
                goto out;
        }
        if ((r = agent_watch(&a, &a.listener, EPOLLIN)) < 0 ||
            (r = agent_watch(&a, &a.control, EPOLLIN)) < 0 ||
            (r = agent_watch(&a, &a.signals, EPOLLIN)) < 0 ||
            (r = agent_watch(&a, &a.timer, EPOLLIN)) < 0 ||
            (shim_fd >= 0 && (r = agent_watch(&a, &a.shim, EPOLLIN)) < 0))
                goto out;
        if ((r = target_namespace(getpid(), "pid", &a.own_pidns)) < 0)
                goto out;
        a.next_flush = time(NULL) + cfg->flush_interval_s;

        if (ready_fd >= 0) {
                (void)!write(ready_fd, "R", 1);
                close(ready_fd);
        }
        agent_log("listening on %s (control %s), profiles in %s, default mode %s",
                  cfg->listener, cfg->control, cfg->profiles, profile_mode_name(cfg->default_mode));

        while (!a.stop) {
                struct epoll_event events[64];
                int n = epoll_wait(a.epfd, events, ARRAY_SIZE(events), -1);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                a.batch = events;
                a.batch_n = n;
                for (int i = 0; i < n && !a.stop; i++)
                        if (events[i].data.ptr)
                                agent_dispatch(&a, events[i].data.ptr, events[i].events);
                a.batch_n = 0;
        }
        agent_log("stopping: learned profiles are saved; supervised containers now get ENOSYS for intercepted calls");
out:
        agent_shutdown(&a);
        free(a.req);
        if (a.epfd >= 0)
                close(a.epfd);
        if (a.timer.fd >= 0)
                close(a.timer.fd);
        if (a.signals.fd >= 0)
                close(a.signals.fd);
        close(a.events_fd);
        return r;
}
