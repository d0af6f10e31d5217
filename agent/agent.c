#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
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
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "listener.h"
#include "notify.h"
#include "oci.h"
#include "session.h"
#include "strbuf.h"
#include "supervisor.h"
#include "unixsock.h"
#include "util.h"

/* Bounds on what runtimes and operators can make the agent hold. */
#define AGENT_MAX_PENDING 64            /* listener connections not yet complete */
#define AGENT_PENDING_TIMEOUT_S 10      /* ... and how long each may take */
#define AGENT_MAX_CONTROL 16

enum watch_kind {
        WATCH_LISTENER,
        WATCH_CONTROL,
        WATCH_PENDING,          /* a listener connection, state not complete */
        WATCH_CONTROL_CONN,
        WATCH_NOTIFY,
        WATCH_SIGNAL,
        WATCH_TIMER,
};

struct container;

/* Everything in the epoll set is a watch; the epoll data points at it. */
struct watch {
        enum watch_kind kind;
        int fd;
        struct watch *next;             /* in the agent's list of its kind */
        struct listener_conn *conn;     /* WATCH_PENDING */
        time_t deadline;                /* WATCH_PENDING */
        struct container *container;    /* WATCH_NOTIFY */
        struct supervisor_fd sfd;       /* WATCH_NOTIFY */
        struct strbuf line;             /* WATCH_CONTROL_CONN */
};

struct container {
        struct container *next;
        char *id;
        struct session *s;
        size_t n_fds;                   /* notify fds still open */
        size_t saved;                   /* learn_count() at the last save */
};

struct agent {
        const struct config *cfg;
        int epfd;
        int events_fd;
        struct watch listener, control, signals, timer;
        struct watch *pending;          /* listener connections */
        size_t n_pending;
        struct watch *control_conns;
        size_t n_control;
        struct watch *notifies;
        struct container *containers;
        struct seccomp_notif *req;
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

static void agent_unwatch(struct agent *a, struct watch *w)
{
        epoll_ctl(a->epfd, EPOLL_CTL_DEL, w->fd, NULL);
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

static void agent_release(struct agent *a, struct container *c)
{
        for (struct container **p = &a->containers; *p; p = &(*p)->next)
                if (*p == c) {
                        *p = c->next;
                        break;
                }
        agent_save(c);
        agent_lifecycle_event(c, "detach", "no process of the container uses its filter any more");
        session_free(c->s);
        free(c->id);
        free(c);
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

static struct container *agent_new_container(struct agent *a, const struct oci_state *st)
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
        agent_lifecycle_event(c, "attach", why ? why : "supervised");
        return c;
}

static void agent_add_notify(struct agent *a, const struct oci_state *st, int fd)
{
        struct container *c = agent_find(a, st->id);
        struct watch *w;

        /* runc exec sends a new fd with the same id: same session. */
        if (!c)
                c = agent_new_container(a, st);
        w = c ? calloc(1, sizeof(*w)) : NULL;
        if (!w) {
                /* Closing the fd makes the container's held calls fail with
                 * ENOSYS: loud, and never a silent allow. */
                agent_log("container %s: cannot supervise it; its intercepted calls will fail",
                          st->id);
                close(fd);
                return;
        }
        w->kind = WATCH_NOTIFY;
        w->fd = fd;
        w->sfd.fd = fd;
        w->container = c;
        if (agent_watch(a, w, EPOLLIN) < 0) {
                agent_log("container %s: epoll: %s", st->id, strerror(errno));
                close(fd);
                free(w);
                if (c->n_fds == 0)
                        agent_release(a, c);
                return;
        }
        w->next = a->notifies;
        a->notifies = w;
        c->n_fds++;
}

static void agent_drop_notify(struct agent *a, struct watch *w)
{
        struct container *c = w->container;

        agent_unwatch(a, w);
        agent_list_remove(&a->notifies, w);
        close(w->fd);
        free(w);
        if (--c->n_fds == 0)
                agent_release(a, c);
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
                        uid_t uid;

                        if (a->n_control >= AGENT_MAX_CONTROL ||
                            unixsock_peer_uid(fd, &uid) < 0 || uid != 0) {
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
                agent_add_notify(a, st, fd);
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
                }
                return json_pack("{s:b, s:s, s:s}", "ok", 1, "container", c->id, "mode",
                                 profile_mode_name(c->s->mode));
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
        while (a->notifies)
                agent_drop_notify(a, a->notifies);
}

int agent_run(const struct config *cfg, int listener_fd, int control_fd, int ready_fd)
{
        struct agent a = {
                .cfg = cfg,
                .listener = { .kind = WATCH_LISTENER, .fd = listener_fd },
                .control = { .kind = WATCH_CONTROL, .fd = control_fd },
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
            (r = agent_watch(&a, &a.timer, EPOLLIN)) < 0)
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
                for (int i = 0; i < n && !a.stop; i++)
                        agent_dispatch(&a, events[i].data.ptr, events[i].events);
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
