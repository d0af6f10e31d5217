/* driftlock-hook: the OCI hook for runtimes without a seccomp listener.
 * It reads the container's state on stdin as runtimes pass it and tells
 * the agent: at prestart or createRuntime (before the container's process
 * runs) it registers the container, at poststop it releases it. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "oci.h"
#include "readall.h"
#include "util.h"

#define DEFAULT_CONTROL "/run/driftlock/control.sock"

static void usage(FILE *out)
{
        fprintf(out,
                "Usage: driftlock-hook [--control PATH] prestart|createRuntime|poststop\n"
                "\n"
                "An OCI hook: reads the container state (JSON) on stdin. prestart and\n"
                "createRuntime register the container with driftlockd before its process\n"
                "runs; poststop releases it (the agent saves what it learned).\n"
                "\n"
                "If the agent cannot be reached, registering a container whose\n"
                "io.driftlock.mode annotation is enforce fails (the runtime refuses to\n"
                "start it); otherwise the hook warns and lets it start.\n"
                "\n"
                "Options:\n"
                "  --control PATH   the agent's control socket (default " DEFAULT_CONTROL ")\n"
                "  -h, --help       show this help\n");
}

/* The container's root file system: root.path of the bundle's config.json,
 * relative to the bundle. NULL when unknown (it is informational). */
static char *bundle_rootfs(const char *bundle)
{
        cleanup_free char *config = NULL;
        json_error_t jerr;
        json_t *root;
        const char *path;
        char *rootfs = NULL;

        if (!bundle || asprintf(&config, "%s/config.json", bundle) < 0)
                return NULL;
        root = json_load_file(config, 0, &jerr);
        path = json_string_value(json_object_get(json_object_get(root, "root"), "path"));
        if (path && (path[0] == '/' ? asprintf(&rootfs, "%s", path)
                                    : asprintf(&rootfs, "%s/%s", bundle, path)) < 0)
                rootfs = NULL;
        json_decref(root);
        return rootfs;
}

int main(int argc, char **argv)
{
        static const struct option longopts[] = {
                { "control", required_argument, NULL, 'c' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        const char *control = DEFAULT_CONTROL, *stage, *error = NULL, *mode;
        cleanup_free char *input = NULL, *request = NULL, *response = NULL, *rootfs = NULL;
        struct oci_state *st = NULL;
        json_t *req, *state, *resp;
        json_error_t jerr;
        size_t len;
        bool enforce, ok;
        int c, r;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        control = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        fprintf(stderr, "driftlock-hook: unknown option or missing argument '%s'\n"
                                        "Try 'driftlock-hook --help'.\n", argv[optind - 1]);
                        return 2;
                }
        }
        if (argc - optind != 1) {
                fprintf(stderr, "driftlock-hook: expected one stage\nTry 'driftlock-hook --help'.\n");
                return 2;
        }
        stage = argv[optind];
        if (strcmp(stage, "prestart") && strcmp(stage, "createRuntime") && strcmp(stage, "poststop")) {
                fprintf(stderr, "driftlock-hook: unknown stage '%s' (prestart, createRuntime, poststop)\n",
                        stage);
                return 2;
        }

        r = readall_fd(STDIN_FILENO, OCI_STATE_MAX_BYTES, &input, &len);
        if (r == -EFBIG) {
                fprintf(stderr, "driftlock-hook: the state on stdin is larger than %u bytes\n",
                        OCI_STATE_MAX_BYTES);
                return 1;
        }
        if (r < 0) {
                fprintf(stderr, "driftlock-hook: cannot read the state on stdin: %s\n", strerror(-r));
                return 1;
        }
        r = oci_hook_state_parse(input, len, &st, &error);
        if (r < 0) {
                fprintf(stderr, "driftlock-hook: bad container state on stdin: %s\n", error);
                return 1;
        }
        mode = oci_requested_mode(st);
        enforce = mode && !strcmp(mode, "enforce");

        if (!strcmp(stage, "poststop")) {
                req = json_pack("{s:s, s:s}", "cmd", "release", "container", st->id);
        } else {
                state = json_loadb(input, len, 0, &jerr);
                rootfs = bundle_rootfs(st->bundle);
                req = json_pack("{s:s, s:o, s:s?}", "cmd", "register", "state", state,
                                "rootfs", rootfs);
        }
        request = req ? json_dumps(req, JSON_COMPACT) : NULL;
        json_decref(req);
        if (!request) {
                fprintf(stderr, "driftlock-hook: out of memory\n");
                oci_state_free(st);
                return 1;
        }
        r = control_call(control, request, &response);
        if (r < 0) {
                /* Registering: an enforced container must not run without
                 * its agent. Releasing: nothing left to protect. */
                bool fatal = enforce && strcmp(stage, "poststop");

                fprintf(stderr, "driftlock-hook: %s: %s: %s\n", control, strerror(-r),
                        fatal ? "refusing to start an enforced container without its agent"
                              : "continuing without the agent");
                oci_state_free(st);
                return fatal ? 1 : 0;
        }
        resp = json_loads(response, 0, &jerr);
        ok = json_is_true(json_object_get(resp, "ok"));
        if (!ok)
                fprintf(stderr, "driftlock-hook: container %s: %s\n", st->id,
                        json_string_value(json_object_get(resp, "error")) ?: "the agent refused");
        json_decref(resp);
        oci_state_free(st);
        return ok || !strcmp(stage, "poststop") ? 0 : 1;
}
