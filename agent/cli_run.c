/* driftlock run: supervise a process tree locally, without a daemon
 * (DESIGN.md §2, path 3). The child installs the filter, hands the listener
 * fd to the parent over a socketpair and execs the command; the parent
 * supervises until the tree is gone. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup2.h"
#include "cli.h"
#include "execgate.h"
#include "execscope.h"
#include "execinterp.h"
#include "landlock_exec.h"
#include "pathglob.h"
#include "filter.h"
#include "notify.h"
#include "session.h"
#include "supervisor.h"
#include "unixsock.h"
#include "util.h"

/* driftlock's own failures, as env(1) and chroot(1) report them. */
#define RUN_EXIT_INTERNAL 125
#define RUN_EXIT_CANNOT_EXEC 126
#define RUN_EXIT_NOT_FOUND 127

#define RUN_DEFAULT_GRACE_MS 2000

static const char *const run_prog = "driftlock run";

struct run_options {
        char *profile;
        const char *events;
        enum profile_mode mode;
        int refuse_errno;
        bool learn_reads;
        bool stats;
        bool no_emulate;
        bool no_send_gate;
        long grace_ms;
        char **argv;
};

static void run_usage(FILE *out)
{
        fprintf(out,
                "Usage: driftlock run [OPTIONS] --profile FILE -- CMD [ARG...]\n"
                "\n"
                "Runs CMD under a seccomp supervisor that holds every exec, write-open\n"
                "(and read-open if the profile has a [read] section), connect, sendto\n"
                "with a destination, and every rename, link, symlink, unlink, rmdir,\n"
                "mkdir, mknod, chmod and truncate of CMD and all its descendants, and\n"
                "decides it against the profile. CMD runs in a cgroup of its own\n"
                "(driftlock-run.PID, below driftlock's), where the send gate, BPF\n"
                "programs made from the profile's [connect] rules, judges every\n"
                "connect and every sendto, sendmsg and sendmmsg destination of UDP and\n"
                "unix datagram sockets in the kernel, and refuses raw and ICMP sockets\n"
                "in enforce mode.\n"
                "\n"
                "Options:\n"
                "  -p, --profile FILE    the profile (INI); created by learn mode\n"
                "  -m, --mode MODE       learn, monitor or enforce. Default: learn if FILE\n"
                "                        does not exist, else the profile's 'mode =', else\n"
                "                        enforce\n"
                "  -e, --events FILE     append JSON events to FILE ('-' for stdout);\n"
                "                        default: stderr\n"
                "      --errno NAME      errno for refused calls: EPERM (default) or EACCES\n"
                "      --learn-reads     learn mode: also record reads (adds [read])\n"
                "      --grace SECONDS   after CMD exits, how long its remaining\n"
                "                        descendants may run before they are killed\n"
                "                        (default 2)\n"
                "      --stats           print counts of held calls on stderr at the end\n"
                "      --no-emulate      enforce: let the kernel perform allowed calls\n"
                "                        (CONTINUE) instead of driftlock performing them:\n"
                "                        faster, but a thread that rewrites the path after\n"
                "                        the check defeats it (for measurements)\n"
                "      --no-send-gate    do not judge destinations in the kernel (the\n"
                "                        send gate needs cgroup v2 and BPF): sendmsg and\n"
                "                        sendmmsg destinations then go unchecked\n"
                "  -h, --help            show this help\n"
                "\n"
                "Modes:\n"
                "  learn     allow everything; FILE gets the union of what it held and\n"
                "            what was seen, written atomically when the run ends\n"
                "  monitor   allow everything; report what enforce would refuse\n"
                "            (\"verdict\":\"alert\")\n"
                "  enforce   refuse what the profile does not allow (\"verdict\":\"deny\")\n"
                "\n"
                "Exit status: CMD's (128+N if it was killed by signal N); 125 if driftlock\n"
                "itself failed, 126 if CMD could not be executed, 127 if it was not found.\n");
}

static int run_parse(int argc, char **argv, struct run_options *o)
{
        enum { OPT_ERRNO = 256, OPT_LEARN_READS, OPT_GRACE, OPT_STATS, OPT_NO_EMULATE,
               OPT_NO_SEND_GATE };
        static const struct option longopts[] = {
                { "profile", required_argument, NULL, 'p' },
                { "mode", required_argument, NULL, 'm' },
                { "events", required_argument, NULL, 'e' },
                { "errno", required_argument, NULL, OPT_ERRNO },
                { "learn-reads", no_argument, NULL, OPT_LEARN_READS },
                { "grace", required_argument, NULL, OPT_GRACE },
                { "stats", no_argument, NULL, OPT_STATS },
                { "no-emulate", no_argument, NULL, OPT_NO_EMULATE },
                { "no-send-gate", no_argument, NULL, OPT_NO_SEND_GATE },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        int c, mode;
        char *end;
        double grace;

        *o = (struct run_options){ .refuse_errno = EPERM, .grace_ms = RUN_DEFAULT_GRACE_MS };
        optind = 0;
        opterr = 0;
        /* '+': stop at the first operand, CMD's options are CMD's. */
        while ((c = getopt_long(argc, argv, "+p:m:e:h", longopts, NULL)) != -1) {
                switch (c) {
                case 'p':
                        o->profile = optarg;
                        break;
                case 'm':
                        mode = profile_mode_from_name(optarg);
                        if (mode < 0)
                                return cli_usage_error(run_prog, "unknown mode '%s' (learn, monitor or enforce)", optarg);
                        o->mode = (enum profile_mode)mode;
                        break;
                case 'e':
                        o->events = optarg;
                        break;
                case OPT_ERRNO:
                        if (!strcmp(optarg, "EPERM"))
                                o->refuse_errno = EPERM;
                        else if (!strcmp(optarg, "EACCES"))
                                o->refuse_errno = EACCES;
                        else
                                return cli_usage_error(run_prog, "--errno takes EPERM or EACCES");
                        break;
                case OPT_LEARN_READS:
                        o->learn_reads = true;
                        break;
                case OPT_STATS:
                        o->stats = true;
                        break;
                case OPT_NO_EMULATE:
                        o->no_emulate = true;
                        break;
                case OPT_NO_SEND_GATE:
                        o->no_send_gate = true;
                        break;
                case OPT_GRACE:
                        errno = 0;
                        grace = strtod(optarg, &end);
                        if (errno || end == optarg || *end || grace < 0 || grace > 86400)
                                return cli_usage_error(run_prog, "--grace takes seconds (0-86400)");
                        o->grace_ms = (long)(grace * 1000);
                        break;
                case 'h':
                        run_usage(stdout);
                        return CLI_EXIT_OK;
                default:
                        if (optopt)
                                return cli_usage_error(run_prog, "unknown option or missing argument '-%c'", optopt);
                        return cli_usage_error(run_prog, "unknown option or missing argument '%s'", argv[optind - 1]);
                }
        }
        if (!o->profile)
                return cli_usage_error(run_prog, "--profile FILE is required");
        if (optind >= argc)
                return cli_usage_error(run_prog, "missing CMD");
        o->argv = argv + optind;
        return -1;
}

static void run_diag(void *ctx, unsigned line, const char *msg)
{
        fprintf(stderr, "%s:%u: %s\n", (const char *)ctx, line, msg);
}

static int run_open_events(const char *path)
{
        int fd;

        if (!path)
                return fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
        if (!strcmp(path, "-"))
                return fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        return fd < 0 ? -errno : fd;
}

/* Finds CMD the way execvp would, but before the filter exists: execvp's
 * own probing of PATH would be refused in enforce mode. */
static int run_find_command(const char *cmd, char **ret)
{
        const char *path = getenv("PATH");
        char buf[PATH_MAX];
        int saved = ENOENT;

        if (strchr(cmd, '/')) {
                *ret = strdup(cmd);
                return *ret ? 0 : -ENOMEM;
        }
        if (!path)
                path = "/usr/local/bin:/usr/bin:/bin";
        while (*path) {
                size_t n = strcspn(path, ":");
                struct stat st;

                if (snprintf(buf, sizeof(buf), "%.*s%s%s", (int)n, n ? path : ".",
                             "/", cmd) < (int)sizeof(buf) &&
                    stat(buf, &st) == 0 && S_ISREG(st.st_mode)) {
                        if (access(buf, X_OK) == 0) {
                                *ret = strdup(buf);
                                return *ret ? 0 : -ENOMEM;
                        }
                        saved = EACCES;
                }
                path += n;
                if (*path == ':')
                        path++;
        }
        return -saved;
}

/* Landlock's execute rules for enforce mode, opened before the fork (the
 * child may not allocate): each literal [exec] entry with its chain of
 * interpreters; for a pattern, the directory before its first wildcard;
 * and the loader driftlock itself was started with, which dynamic
 * programs that only patterns allow also need. Entries that do not exist
 * are skipped. */
#define RUN_MAX_LANDLOCK_FDS 1024

struct run_landlock {
        int fds[RUN_MAX_LANDLOCK_FDS];
        size_t n;
};

static void run_landlock_add_chain(struct run_landlock *ll, int fd)
{
        for (int depth = 0; fd >= 0 && ll->n < RUN_MAX_LANDLOCK_FDS; depth++) {
                int next = -1;

                ll->fds[ll->n++] = fd;
                if (depth == 4 || execinterp_open(AT_FDCWD, fd, &next) < 0)
                        return;
                fd = next;
        }
        if (fd >= 0 && ll->n == RUN_MAX_LANDLOCK_FDS)
                close(fd);
}

static void run_landlock_prepare(const struct profile *p, struct run_landlock *ll)
{
        const struct profile_list *list = &p->lists[PROFILE_EXEC];

        ll->n = 0;
        run_landlock_add_chain(ll, open("/proc/self/exe", O_PATH | O_CLOEXEC));
        for (size_t i = 0; i < list->n && ll->n < RUN_MAX_LANDLOCK_FDS; i++) {
                cleanup_free char *path = NULL;
                const char *text = list->v[i].text;

                if (pathglob_is_literal(text)) {
                        if (pathglob_literal_path(text, &path) == 0)
                                run_landlock_add_chain(ll, open(path, O_PATH | O_CLOEXEC));
                        continue;
                }
                /* The literal directory a pattern starts with. */
                {
                        size_t cut = strcspn(text, "*?%");
                        cleanup_free char *dir = strndup(text, cut);
                        char *slash = dir ? strrchr(dir, '/') : NULL;
                        int fd;

                        if (!slash)
                                continue;
                        slash[slash == dir] = '\0';
                        fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
                        if (fd >= 0)
                                ll->fds[ll->n++] = fd;
                }
        }
}

static void run_landlock_release(struct run_landlock *ll)
{
        for (size_t i = 0; i < ll->n; i++)
                close(ll->fds[i]);
        ll->n = 0;
}

/* The child: from fork to exec. The parent is single-threaded, so stdio is
 * safe here; nothing is returned, every path ends in exec or _exit. */
static void __attribute__((noreturn))
run_child(int sock, const struct sock_fprog *prog, const char *path, char **argv,
          const sigset_t *oldmask, const struct sigaction *old_sigpipe,
          const struct run_landlock *landlock)
{
        char ack;
        int fd, ll;

        /* CMD gets the signal state driftlock was started with: SIGPIPE was
         * ignored only for the supervisor (a `find | head` under driftlock
         * must still die of SIGPIPE). */
        sigaction(SIGPIPE, old_sigpipe, NULL);
        sigprocmask(SIG_SETMASK, oldmask, NULL);
        /* Without its supervisor every held call would fail with ENOSYS:
         * better to go down with it. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() == 1)
                _exit(RUN_EXIT_INTERNAL);
        fd = filter_install(prog);
        if (fd < 0) {
                dprintf(STDERR_FILENO, "driftlock: cannot install the seccomp filter: %s\n",
                        strerror(-fd));
                _exit(RUN_EXIT_INTERNAL);
        }
        if (unixsock_send_fd(sock, fd) < 0 || read(sock, &ack, 1) != 1)
                _exit(RUN_EXIT_INTERNAL);
        close(fd);
        close(sock);
        /* The second kernel gate where available: no_new_privs is set. */
        if (landlock && (ll = landlock_exec_restrict_fds(landlock->fds, landlock->n)) < 0 &&
            ll != -EOPNOTSUPP) {
                dprintf(STDERR_FILENO, "driftlock: cannot apply the Landlock exec rules\n");
                _exit(RUN_EXIT_INTERNAL);
        }
        execv(path, argv);
        dprintf(STDERR_FILENO, "driftlock: %s: %s\n", path, strerror(errno));
        _exit(errno == ENOENT ? RUN_EXIT_NOT_FOUND : RUN_EXIT_CANNOT_EXEC);
}

static long run_now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* As child subreaper, every orphaned descendant becomes our child: kill our
 * children until there are none, reaping each. */
static void run_kill_descendants(void)
{
        for (;;) {
                char path[64];
                FILE *f;
                bool any = false;
                pid_t pid;

                snprintf(path, sizeof(path), "/proc/self/task/%d/children", getpid());
                f = fopen(path, "re");
                if (f) {
                        while (fscanf(f, "%d", &pid) == 1) {
                                kill(pid, SIGKILL);
                                any = true;
                        }
                        fclose(f);
                }
                while (waitpid(-1, NULL, any ? 0 : WNOHANG) > 0)
                        ;
                if (!any)
                        return;
        }
}

struct run_state {
        pid_t child;
        int status;             /* CMD's wait status, valid once child_done */
        bool child_done;
        bool tree_done;         /* the listener reported that no task uses the filter */
};

static void run_reap(struct run_state *st)
{
        int status;
        pid_t pid;

        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
                if (pid == st->child) {
                        st->status = status;
                        st->child_done = true;
                }
        }
}

static int run_signal(int sigfd, struct run_state *st)
{
        struct signalfd_siginfo si;

        while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo == SIGCHLD)
                        run_reap(st);
                else if (!st->child_done)
                        kill(st->child, (int)si.ssi_signo);
        }
        return 0;
}

/* Supervises until CMD has exited and no task uses the filter any more (or
 * the grace time for CMD's leftovers ran out). Returns 0 or -errno. */
static int run_loop(struct session *s, int notify_fd, int sigfd, struct execgate *gate,
                    struct run_state *st, long grace_ms)
{
        cleanup_close int ep = epoll_create1(EPOLL_CLOEXEC);
        cleanup_free struct seccomp_notif *req = notify_alloc_req();
        struct epoll_event ev = { .events = EPOLLIN };
        struct supervisor_fd sfd = { .fd = notify_fd };
        long deadline = -1;
        bool killed = false;

        if (ep < 0 || !req)
                return ep < 0 ? -errno : -ENOMEM;
        ev.data.fd = notify_fd;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, notify_fd, &ev) < 0)
                return -errno;
        ev.data.fd = sigfd;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, sigfd, &ev) < 0)
                return -errno;
        if (gate) {
                ev.data.fd = execgate_fd(gate);
                if (epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0)
                        return -errno;
        }
        if (s->send_gate) {
                ev.data.fd = sendgate_fd(s->send_gate);
                if (epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0)
                        return -errno;
        }

        while (!(st->child_done && st->tree_done)) {
                struct epoll_event events[4];
                int timeout = -1, n;

                if (st->child_done && !killed) {
                        if (deadline < 0)
                                deadline = run_now_ms() + grace_ms;
                        timeout = (int)(deadline - run_now_ms());
                        if (timeout <= 0) {
                                run_kill_descendants();
                                killed = true;
                                timeout = -1;
                        }
                }
                n = epoll_wait(ep, events, ARRAY_SIZE(events), timeout);
                if (n < 0 && errno != EINTR)
                        return -errno;
                for (int i = 0; i < n; i++) {
                        if (events[i].data.fd == sigfd) {
                                run_signal(sigfd, st);
                        } else if (gate && events[i].data.fd == execgate_fd(gate)) {
                                int r = execgate_process(gate, execscope_judge, NULL);

                                if (r < 0)
                                        return r;
                        } else if (s->send_gate && events[i].data.fd == sendgate_fd(s->send_gate)) {
                                int r = supervisor_send_reports(s);

                                if (r < 0)
                                        return r;
                        } else if (events[i].events & EPOLLIN) {
                                int r = supervisor_handle(s, &sfd, req);

                                if (r < 0)
                                        return r;
                        } else if (events[i].events & (EPOLLHUP | EPOLLERR)) {
                                st->tree_done = true;
                                epoll_ctl(ep, EPOLL_CTL_DEL, notify_fd, NULL);
                        }
                }
        }
        return 0;
}

static int run_exit_status(int status)
{
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return RUN_EXIT_INTERNAL;
}

static void run_summary(const struct session *s, const char *profile, bool stats)
{
        const struct session_counts *c = &s->counts;

        if (stats)
                fprintf(stderr,
                        "driftlock: stats: held=%llu allowed=%llu denied=%llu alerted=%llu learned=%llu gone=%llu emulated=%llu\n",
                        (unsigned long long)c->held, (unsigned long long)c->allowed,
                        (unsigned long long)c->denied, (unsigned long long)c->alerted,
                        (unsigned long long)c->learned, (unsigned long long)c->gone,
                        (unsigned long long)c->emulated);
        if (s->mode == PROFILE_MODE_LEARN)
                fprintf(stderr, "driftlock: learn: %llu new entries merged into %s\n",
                        (unsigned long long)c->learned, profile);
        else if (c->denied || c->alerted)
                fprintf(stderr, "driftlock: %s: %llu refused, %llu alerts\n",
                        profile_mode_name(s->mode), (unsigned long long)c->denied,
                        (unsigned long long)c->alerted);
        if (c->events_lost)
                fprintf(stderr, "driftlock: %llu events could not be written\n",
                        (unsigned long long)c->events_lost);
}

/* The exec gate of a local run: every file system this process sees is
 * marked (a mount mark is bypassed by a private copy of the mount), the
 * scope is this process's tree (we are its subreaper), and the profile's
 * programs are allowlisted by identity. Foreign execs on the host are
 * answered at once; if driftlock dies, nothing waits for it. */
static int run_gate(struct session *s, struct execgate **ret)
{
        struct execgate *g = NULL;
        struct execgate_scope *scope;
        int r;

        r = execgate_new(&g);
        if (r >= 0)
                r = execgate_mark_mounts_of(g, getpid(), 0);
        if (r >= 0)
                r = execscope_add(g, s, EXECGATE_SCOPE_TREE, getpid(), AT_FDCWD, &scope);
        if (r < 0) {
                execgate_free(g);
                return r;
        }
        *ret = g;
        return 0;
}

/* The cgroup of a local run: below driftlock's own, so that the send
 * gate judges CMD's tree and nothing else. */
struct run_cgroup {
        char *parent;
        char name[64];
        int fd;
};

/* Moves CMD (not yet running) into a cgroup of its own and attaches the
 * send gate there. Returns 0 or -errno. */
static int run_send_gate(struct session *s, pid_t child, struct run_cgroup *cg)
{
        int r = cgroup2_path_of(getpid(), &cg->parent);

        if (r < 0)
                return r;
        snprintf(cg->name, sizeof(cg->name), "driftlock-run.%d", (int)getpid());
        r = cgroup2_make(cg->parent, cg->name, &cg->fd);
        if (r < 0)
                return r;
        r = cgroup2_move(cg->fd, child);
        if (r >= 0)
                r = session_gate_sends(s, cg->fd);
        if (r >= 0 && sendgate_unix_status(s->send_gate) < 0)
                cli_error("warning: unix datagram destinations are not judged in the kernel (%s; Linux 6.7 with BTF judges them)",
                          strerror(-sendgate_unix_status(s->send_gate)));
        return r;
}

/* Removes the run's cgroup once the session (and its gate) is gone. */
static void run_cgroup_remove(struct run_cgroup *cg)
{
        int r;

        if (cg->fd < 0)
                return;
        close(cg->fd);
        r = cgroup2_remove(cg->parent, cg->name);
        if (r < 0)
                cli_error("cannot remove cgroup %s/%s: %s", strcmp(cg->parent, "/") ? cg->parent : "",
                          cg->name, strerror(-r));
}

int cli_run(int argc, char **argv)
{
        struct run_options o;
        struct session_options so = { 0 };
        struct session *s = NULL;
        struct sock_fprog *prog = NULL;
        struct execgate *gate = NULL;
        static struct run_landlock landlock;
        struct run_cgroup cgroup = { .fd = -1 };
        cleanup_free char *path = NULL;
        cleanup_close int events_fd = -1, sigfd = -1, notify_fd = -1;
        int sv[2] = { -1, -1 };
        struct run_state st = { 0 };
        sigset_t mask, oldmask;
        struct sigaction old_sigpipe;
        int r, ret = RUN_EXIT_INTERNAL;

        r = run_parse(argc, argv, &o);
        if (r >= 0)
                return r;
        assert(o.profile && o.argv && o.argv[0]);     /* run_parse's promise */

        /* No mode asked for: learn a profile that does not exist yet;
         * otherwise what the profile says, else enforce (a reviewed profile
         * is meant to be enforced). */
        if (o.mode == PROFILE_MODE_UNSET && access(o.profile, F_OK) < 0 && errno == ENOENT)
                o.mode = PROFILE_MODE_LEARN;
        r = run_find_command(o.argv[0], &path);
        if (r < 0) {
                cli_error("%s: %s", o.argv[0], r == -ENOENT ? "command not found" : strerror(-r));
                return r == -ENOENT ? RUN_EXIT_NOT_FOUND : RUN_EXIT_CANNOT_EXEC;
        }
        events_fd = run_open_events(o.events);
        if (events_fd < 0) {
                cli_error("%s: %s", o.events ? o.events : "stderr", strerror(-events_fd));
                return RUN_EXIT_INTERNAL;
        }

        so.profile_path = o.profile;
        so.mode = o.mode;
        so.default_mode = PROFILE_MODE_ENFORCE;
        so.refuse_errno = o.refuse_errno;
        so.events_fd = events_fd;
        so.learn_reads = o.learn_reads;
        so.no_emulate = o.no_emulate;
        r = session_new(&so, run_diag, o.profile, &s);
        if (r < 0) {
                if (r != -EINVAL)
                        cli_error("%s: %s", o.profile, strerror(-r));
                return RUN_EXIT_INTERNAL;
        }
        r = filter_build(&(struct filter_spec){
                                 .mode = s->mode == PROFILE_MODE_ENFORCE ? FILTER_ENFORCE
                                         : s->mode == PROFILE_MODE_MONITOR ? FILTER_MONITOR
                                                                           : FILTER_LEARN,
                                 .notify_reads = s->notify_reads,
                                 .self_installed = true,
                         },
                         &prog);
        if (r < 0) {
                cli_error("cannot build the seccomp filter: %s", strerror(-r));
                goto out;
        }

        /* Signals arrive through a signalfd; SIGPIPE must not kill the
         * supervisor when an events reader goes away. */
        sigaction(SIGPIPE, &(struct sigaction){ .sa_handler = SIG_IGN }, &old_sigpipe);
        sigemptyset(&mask);
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP && sig != SIGSEGV && sig != SIGBUS &&
                    sig != SIGFPE && sig != SIGILL && sig != SIGPIPE && sig != SIGTSTP &&
                    sig != SIGTTIN && sig != SIGTTOU && sig != SIGCONT && sig < SIGRTMIN)
                        sigaddset(&mask, sig);
        sigprocmask(SIG_BLOCK, &mask, &oldmask);
        sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
        if (sigfd < 0 || prctl(PR_SET_CHILD_SUBREAPER, 1) < 0 ||
            socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
                cli_error("cannot set up supervision: %s", strerror(errno));
                goto out;
        }

        if (s->mode == PROFILE_MODE_ENFORCE)
                run_landlock_prepare(s->profile, &landlock);
        st.child = fork();
        if (st.child < 0) {
                cli_error("fork: %s", strerror(errno));
                goto out;
        }
        if (st.child == 0)
                run_child(sv[1], prog, path, o.argv, &oldmask, &old_sigpipe,
                          s->mode == PROFILE_MODE_ENFORCE ? &landlock : NULL);
        close(sv[1]);
        sv[1] = -1;

        notify_fd = unixsock_recv_fd(sv[0]);
        if (notify_fd < 0) {
                /* The child failed before handing over the listener and has
                 * said why; its exit status is ours. */
                waitpid(st.child, &st.status, 0);
                ret = run_exit_status(st.status);
                goto out;
        }
        /* A single supervisor thread waiting on one listener is the case
         * SYNC_WAKE_UP (Linux 6.6) was made for; older kernels refuse it. */
        (void)notify_set_sync_wakeup(notify_fd);
        /* Enforce: the kernel-side exec gate, set up before CMD runs and
         * only in this process (a child holding the fanotify fd could wait
         * on itself). */
        if (s->mode == PROFILE_MODE_ENFORCE) {
                r = run_gate(s, &gate);
                if (r < 0) {
                        cli_error("cannot set up the exec gate (fanotify): %s", strerror(-r));
                        kill(st.child, SIGKILL);
                        waitpid(st.child, NULL, 0);
                        goto out;
                }
        }
        if (!o.no_send_gate) {
                r = run_send_gate(s, st.child, &cgroup);
                if (r < 0) {
                        cli_error("cannot set up the send gate (cgroup v2, BPF): %s; --no-send-gate runs without it",
                                  strerror(-r));
                        kill(st.child, SIGKILL);
                        waitpid(st.child, NULL, 0);
                        goto out;
                }
        }
        if (write(sv[0], "A", 1) != 1) {
                cli_error("cannot start %s: %s", path, strerror(errno));
                goto out;
        }

        r = run_loop(s, notify_fd, sigfd, gate, &st, o.grace_ms);
        if (r < 0) {
                cli_error("supervision failed: %s", strerror(-r));
                kill(st.child, SIGKILL);
                run_kill_descendants();
                goto out;
        }
        ret = run_exit_status(st.status);
        /* what the gate reported after the last wakeup */
        r = supervisor_send_reports(s);
        if (r < 0)
                cli_error("cannot read the send gate's reports: %s", strerror(-r));

        if (s->mode == PROFILE_MODE_LEARN) {
                r = session_save_learned(s, run_diag, o.profile);
                if (r < 0) {
                        if (r != -EINVAL)
                                cli_error("%s: cannot save the learned profile: %s",
                                          o.profile, strerror(-r));
                        ret = RUN_EXIT_INTERNAL;
                }
        }
        run_summary(s, o.profile, o.stats);
out:
        if (sv[0] >= 0)
                close(sv[0]);
        if (sv[1] >= 0)
                close(sv[1]);
        filter_prog_free(prog);
        run_landlock_release(&landlock);
        execgate_free(gate);
        session_free(s);
        run_cgroup_remove(&cgroup);
        free(cgroup.parent);
        return ret;
}
