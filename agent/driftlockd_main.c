/* driftlockd: the node agent. Runtimes hand it containers' seccomp listener
 * fds over listenerPath; operators talk to it over the control socket. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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

int main(int argc, char **argv)
{
        enum { OPT_CONFIG = 256, OPT_LISTENER, OPT_CONTROL, OPT_PROFILES, OPT_EVENTS,
               OPT_DEFAULT_MODE, OPT_FOREGROUND };
        static const struct option longopts[] = {
                { "config", required_argument, NULL, OPT_CONFIG },
                { "listener", required_argument, NULL, OPT_LISTENER },
                { "control", required_argument, NULL, OPT_CONTROL },
                { "profiles", required_argument, NULL, OPT_PROFILES },
                { "events", required_argument, NULL, OPT_EVENTS },
                { "default-mode", required_argument, NULL, OPT_DEFAULT_MODE },
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
        };
        static char default_config[] = CONFIG_DEFAULT_PATH;
        char *config_path = NULL;
        const char *overrides[ARRAY_SIZE(keys)] = { 0 };
        struct config cfg;
        bool foreground = false;
        int c, r, listener_fd, control_fd, ready_fd = -1;

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
        if (!foreground && (r = daemonise(&ready_fd)) < 0) {
                fprintf(stderr, "driftlockd: cannot daemonise: %s\n", strerror(-r));
                return 1;
        }

        r = agent_run(&cfg, listener_fd, control_fd, ready_fd);
        unlink(cfg.listener);
        unlink(cfg.control);
        config_release(&cfg);
        if (r < 0) {
                fprintf(stderr, "driftlockd: %s\n", strerror(-r));
                return 1;
        }
        return 0;
}
