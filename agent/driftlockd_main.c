/* driftlockd: the node agent. Runtimes hand it containers' seccomp listener
 * fds over listenerPath; operators talk to it over the control socket. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "config.h"
#include "unixsock.h"
#include "util.h"

static void usage(FILE *out)
{
        fprintf(out,
                "Usage: driftlockd [OPTIONS]\n"
                "\n"
                "The driftlock node agent: supervises containers whose OCI runtime sends\n"
                "their seccomp listener fd to the listener socket (seccomp listenerPath).\n"
                "\n"
                "Options (each overrides the configuration file):\n"
                "  --config FILE         configuration (INI); default " CONFIG_DEFAULT_PATH "\n"
                "                        (a missing default file is fine)\n"
                "  --listener PATH       listener socket; default /run/driftlock/listener.sock\n"
                "  --control PATH        control socket; default /run/driftlock/control.sock\n"
                "  --profiles DIR        profiles, one DIR/NAME.ini per image;\n"
                "                        default /var/lib/driftlock/profiles\n"
                "  --events FILE|-       append JSON events to FILE, '-' for stdout (default)\n"
                "  --default-mode MODE   learn, monitor or enforce for containers whose\n"
                "                        annotation and profile name no mode; default monitor\n"
                "  --shim-dir DIR        where the in-container shim is put for containers\n"
                "                        to mount at /.driftlock (DIR/agent.sock,\n"
                "                        libdriftlock-preload.so, driftlock-exec);\n"
                "                        default /run/driftlock/shim; 'none' disables it\n"
                "  --foreground          do not daemonise (systemd, tests)\n"
                "  -h, --help            show this help\n"
                "\n"
                "If the agent stops, supervised containers get ENOSYS for every intercepted\n"
                "system call, and runtimes cannot start containers that name the listener.\n");
}

static void diag(void *ctx, unsigned line, const char *msg)
{
        fprintf(stderr, "driftlockd: %s:%u: %s\n", (const char *)ctx, line, msg);
}

/* Forks; the parent waits until the child serves (or fails) and exits
 * with that outcome, so `driftlockd && runc run ...` is race-free. */
static int daemonise(int *ready_fd)
{
        int pipefd[2];
        pid_t pid;
        char byte;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid > 0) {
                close(pipefd[1]);
                _exit(read(pipefd[0], &byte, 1) == 1 ? 0 : 1);
        }
        close(pipefd[0]);
        if (setsid() < 0)
                return -errno;
        {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);

                if (null >= 0) {
                        dup2(null, STDIN_FILENO);
                        dup2(null, STDOUT_FILENO);
                        close(null);
                }
        }
        *ready_fd = pipefd[1];
        return chdir("/") < 0 ? -errno : 0;
}

/* The shim files the agent serves: next to this program (the build tree)
 * or in ../lib/driftlock (make install). */
static const char *const shim_files[] = { "libdriftlock-preload.so", "driftlock-exec" };

/* snprintf that refuses to truncate a path. */
static int pathf(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int pathf(char *buf, size_t cap, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf, cap, fmt, ap);
        va_end(ap);
        return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static int find_shim_source(char *buf, size_t cap)
{
        static const char *const places[] = { "", "/../lib/driftlock" };
        char exe[PATH_MAX], file[PATH_MAX], *slash;
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

        if (n < 0)
                return -errno;
        exe[n] = '\0';
        slash = strrchr(exe, '/');
        if (!slash)
                return -ENOENT;
        *slash = '\0';
        for (size_t i = 0; i < ARRAY_SIZE(places); i++)
                if (pathf(file, sizeof(file), "%s%s/%s", exe, places[i], shim_files[0]) == 0 &&
                    access(file, R_OK) == 0)
                        return pathf(buf, cap, "%s%s", exe, places[i]);
        return -ENOENT;
}

/* Copies a file into dir atomically (temp file, rename), mode 0755: the
 * exec wrapper is run and the library mapped from a read-only bind mount. */
static int copy_into(const char *src_dir, const char *name, const char *dir)
{
        char src[PATH_MAX], tmp[PATH_MAX], dst[PATH_MAX], buf[65536];
        cleanup_close int in = -1, out = -1;
        ssize_t n;

        if (pathf(src, sizeof(src), "%s/%s", src_dir, name) < 0 ||
            pathf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name) < 0 ||
            pathf(dst, sizeof(dst), "%s/%s", dir, name) < 0)
                return -ENAMETOOLONG;
        in = open(src, O_RDONLY | O_CLOEXEC);
        if (in < 0)
                return -errno;
        out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
        if (out < 0)
                return -errno;
        while ((n = read(in, buf, sizeof(buf))) > 0)
                if (write(out, buf, (size_t)n) != n)
                        return -EIO;
        if (n < 0 || fchmod(out, 0755) < 0 || fsync(out) < 0 || rename(tmp, dst) < 0) {
                int r = -errno;

                unlink(tmp);
                return r;
        }
        return 0;
}

static void unlink_shim_socket(const char *dir)
{
        char path[PATH_MAX];

        if (pathf(path, sizeof(path), "%s/agent.sock", dir) == 0)
                unlink(path);
}

/* Puts the shim into dir and opens dir/agent.sock, which every container
 * process may connect to (0666): who it is comes from the kernel, not from
 * file permissions. Returns the socket or -1 after saying why. */
static int open_shim(const char *dir)
{
        char src[PATH_MAX], sock[PATH_MAX];
        int fd, r;

        if (mkdir(dir, 0755) < 0 && errno != EEXIST && errno != ENOENT) {
                fprintf(stderr, "driftlockd: %s: %s\n", dir, strerror(errno));
                return -1;
        }
        if (pathf(sock, sizeof(sock), "%s/agent.sock", dir) < 0) {
                fprintf(stderr, "driftlockd: %s: %s\n", dir, strerror(ENAMETOOLONG));
                return -1;
        }
        fd = unixsock_listen(sock);
        if (fd < 0) {
                fprintf(stderr, "driftlockd: %s: %s\n", sock,
                        fd == -EADDRINUSE ? "another agent is serving it" : strerror(-fd));
                return -1;
        }
        if (chmod(sock, 0666) < 0 || chmod(dir, 0755) < 0) {
                fprintf(stderr, "driftlockd: %s: %s\n", sock, strerror(errno));
                close(fd);
                return -1;
        }
        r = find_shim_source(src, sizeof(src));
        for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(shim_files); i++)
                r = copy_into(src, shim_files[i], dir);
        if (r < 0)
                fprintf(stderr, "driftlockd: warning: cannot put the shim into %s (%s): "
                        "containers can still attach through the seccomp listener\n",
                        dir, strerror(-r));
        return fd;
}

int main(int argc, char **argv)
{
        enum { OPT_CONFIG = 256, OPT_LISTENER, OPT_CONTROL, OPT_PROFILES, OPT_EVENTS,
               OPT_DEFAULT_MODE, OPT_SHIM_DIR, OPT_FOREGROUND };
        static const struct option longopts[] = {
                { "config", required_argument, NULL, OPT_CONFIG },
                { "listener", required_argument, NULL, OPT_LISTENER },
                { "control", required_argument, NULL, OPT_CONTROL },
                { "profiles", required_argument, NULL, OPT_PROFILES },
                { "events", required_argument, NULL, OPT_EVENTS },
                { "default-mode", required_argument, NULL, OPT_DEFAULT_MODE },
                { "shim-dir", required_argument, NULL, OPT_SHIM_DIR },
                { "foreground", no_argument, NULL, OPT_FOREGROUND },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        static const char *const keys[] = {
                [OPT_LISTENER - OPT_LISTENER] = "listener",
                [OPT_CONTROL - OPT_LISTENER] = "control",
                [OPT_PROFILES - OPT_LISTENER] = "profiles",
                [OPT_EVENTS - OPT_LISTENER] = "events",
                [OPT_DEFAULT_MODE - OPT_LISTENER] = "default_mode",
                [OPT_SHIM_DIR - OPT_LISTENER] = "shim_dir",
        };
        static char default_config[] = CONFIG_DEFAULT_PATH;
        char *config_path = NULL;
        const char *overrides[ARRAY_SIZE(keys)] = { 0 };
        struct config cfg;
        bool foreground = false;
        int c, r, listener_fd, control_fd, shim_fd = -1, ready_fd = -1;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_CONFIG:
                        config_path = optarg;
                        break;
                case OPT_LISTENER:
                case OPT_CONTROL:
                case OPT_PROFILES:
                case OPT_EVENTS:
                case OPT_DEFAULT_MODE:
                case OPT_SHIM_DIR:
                        overrides[c - OPT_LISTENER] = optarg;
                        break;
                case OPT_FOREGROUND:
                        foreground = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        fprintf(stderr, "driftlockd: unknown option or missing argument '%s'\n"
                                        "Try 'driftlockd --help'.\n", argv[optind - 1]);
                        return 2;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "driftlockd: unexpected argument '%s'\nTry 'driftlockd --help'.\n",
                        argv[optind]);
                return 2;
        }

        config_defaults(&cfg);
        {
                char *path = config_path ? config_path : default_config;

                r = config_load(path, &cfg, diag, path);
                if (r < 0 && !(r == -ENOENT && !config_path)) {
                        if (r != -EINVAL)
                                fprintf(stderr, "driftlockd: %s: %s\n", path, strerror(-r));
                        return 1;
                }
        }
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
                const char *error = NULL;

                if (overrides[i] && config_set(&cfg, keys[i], overrides[i], &error) < 0) {
                        fprintf(stderr, "driftlockd: --%s %s: %s\n", longopts[i + 1].name,
                                overrides[i], error ? error : "invalid");
                        return 2;
                }
        }
        if (!foreground && !strcmp(cfg.events, "-")) {
                fprintf(stderr, "driftlockd: events to stdout need --foreground; set events = FILE\n");
                return 2;
        }
        if (mkdir(cfg.profiles, 0755) < 0 && errno != EEXIST) {
                fprintf(stderr, "driftlockd: %s: %s\n", cfg.profiles, strerror(errno));
                return 1;
        }

        listener_fd = unixsock_listen(cfg.listener);
        if (listener_fd < 0) {
                fprintf(stderr, "driftlockd: %s: %s\n", cfg.listener,
                        listener_fd == -EADDRINUSE ? "another agent is serving it"
                                                   : strerror(-listener_fd));
                return 1;
        }
        control_fd = unixsock_listen(cfg.control);
        if (control_fd < 0) {
                fprintf(stderr, "driftlockd: %s: %s\n", cfg.control,
                        control_fd == -EADDRINUSE ? "another agent is serving it"
                                                  : strerror(-control_fd));
                unlink(cfg.listener);
                return 1;
        }
        if (strcmp(cfg.shim_dir, "none")) {
                shim_fd = open_shim(cfg.shim_dir);
                if (shim_fd < 0) {
                        unlink(cfg.listener);
                        unlink(cfg.control);
                        return 1;
                }
        }
        if (!foreground && (r = daemonise(&ready_fd)) < 0) {
                fprintf(stderr, "driftlockd: cannot daemonise: %s\n", strerror(-r));
                return 1;
        }

        r = agent_run(&cfg, listener_fd, control_fd, shim_fd, ready_fd);
        unlink(cfg.listener);
        unlink(cfg.control);
        if (shim_fd >= 0)
                unlink_shim_socket(cfg.shim_dir);
        config_release(&cfg);
        if (r < 0) {
                fprintf(stderr, "driftlockd: %s\n", strerror(-r));
                return 1;
        }
        return 0;
}
