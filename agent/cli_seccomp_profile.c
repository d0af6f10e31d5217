/* driftlock seccomp-profile: prints the OCI seccomp JSON that makes a
 * runtime hand a container's listener fd to driftlockd (ociseccomp.h). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ociseccomp.h"
#include "profile.h"
#include "readall.h"
#include "strbuf.h"
#include "util.h"

static const char PROG[] = "driftlock seccomp-profile";

/* containers-common's default is 16 KiB; a profile is reviewed by people. */
#define BASE_MAX_BYTES (4u << 20)

static void usage(FILE *out)
{
        fputs("Usage: driftlock seccomp-profile [OPTIONS]\n"
              "\n"
              "Prints the seccomp profile (the linux.seccomp object of an OCI\n"
              "config.json; also accepted by 'podman run --security-opt seccomp=FILE'\n"
              "and as a Kubernetes Localhost profile) that makes the runtime hand each\n"
              "container's seccomp listener to driftlockd. The calls it intercepts are\n"
              "the ones 'driftlock run' intercepts.\n"
              "\n"
              "Options:\n"
              "  -m, --mode MODE      learn, monitor or enforce (default learn); the\n"
              "                       rules are the same in every mode today\n"
              "  -l, --listener PATH  the agent's socket (default " OCISECCOMP_DEFAULT_LISTENER ");\n"
              "                       absolute, or @NAME for an abstract socket (runc)\n"
              "      --metadata TEXT  listenerMetadata, passed to the agent verbatim\n"
              "  -r, --reads          also intercept read-only opens (profiles with [read])\n"
              "  -b, --base FILE      add the rules to this seccomp profile, e.g. the\n"
              "                       runtime's default (/usr/share/containers/seccomp.json);\n"
              "                       a call then runs only if the base and the agent allow it\n"
              "  -h, --help           this text\n"
              "\n"
              "With --base, the output keeps the base's format and rules, except that\n"
              "driftlock's syscalls leave its allow rules, architectures becomes the\n"
              "native one alone (32-bit and x32 calls are refused), and listenerPath is\n"
              "set. A base whose rules for those syscalls have conditions, or that\n"
              "already notifies another agent, is refused.\n"
              "\n"
              "Exit status: 0 printed, 1 the base cannot be read or merged, 2 usage.\n", out);
}

/* Loads and parses the base; prints what went wrong. */
static int load_base(const char *path, json_t **ret)
{
        cleanup_free char *text = NULL;
        json_error_t jerr;
        json_t *base;
        size_t len = 0;
        int r = readall_at(AT_FDCWD, path, BASE_MAX_BYTES, &text, &len);

        if (r == -EFBIG) {
                cli_error("%s: larger than %u bytes", path, BASE_MAX_BYTES);
                return r;
        }
        if (r == -EINVAL) {
                cli_error("%s: not a regular file", path);
                return r;
        }
        if (r < 0) {
                cli_error("%s: %s", path, strerror(-r));
                return r;
        }
        /* Duplicate keys would make two readers see two profiles. */
        base = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!base) {
                cli_error("%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
                return -EINVAL;
        }
        *ret = base;
        return 0;
}

int cli_seccomp_profile(int argc, char **argv)
{
        enum { OPT_METADATA = 256 };
        static const struct option options[] = {
                { "mode", required_argument, NULL, 'm' },
                { "listener", required_argument, NULL, 'l' },
                { "metadata", required_argument, NULL, OPT_METADATA },
                { "reads", no_argument, NULL, 'r' },
                { "base", required_argument, NULL, 'b' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        struct ociseccomp_options o = {
                .spec = { .mode = FILTER_LEARN },
                .listener_path = OCISECCOMP_DEFAULT_LISTENER,
        };
        const char *base_path = NULL;
        char err[OCISECCOMP_ERROR_MAX] = "";
        struct strbuf sb = STRBUF_INIT;
        json_t *base = NULL, *out = NULL;
        char *text;
        int c, r;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:m:l:rb:h", options, NULL)) != -1) {
                switch (c) {
                case 'm':
                        switch (profile_mode_from_name(optarg)) {
                        case PROFILE_MODE_LEARN:
                                o.spec.mode = FILTER_LEARN;
                                break;
                        case PROFILE_MODE_MONITOR:
                                o.spec.mode = FILTER_MONITOR;
                                break;
                        case PROFILE_MODE_ENFORCE:
                                o.spec.mode = FILTER_ENFORCE;
                                break;
                        default:
                                return cli_usage_error(PROG, "unknown mode '%s' (learn, monitor or enforce)",
                                                       optarg);
                        }
                        break;
                case 'l':
                        o.listener_path = optarg;
                        break;
                case OPT_METADATA:
                        o.listener_metadata = optarg;
                        break;
                case 'r':
                        o.spec.notify_reads = true;
                        break;
                case 'b':
                        base_path = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return CLI_EXIT_OK;
                case ':':
                        return cli_usage_error(PROG, "option '%s' needs an argument", argv[optind - 1]);
                default:
                        if (optopt)
                                return cli_usage_error(PROG, "unknown option '-%c'", optopt);
                        return cli_usage_error(PROG, "unknown option '%s'", argv[optind - 1]);
                }
        }
        if (optind < argc)
                return cli_usage_error(PROG, "unexpected argument '%s'", argv[optind]);
        if (ociseccomp_check_options(&o, err, sizeof(err)) < 0)
                return cli_usage_error(PROG, "%s", err);

        if (base_path && load_base(base_path, &base) < 0)
                return CLI_EXIT_FAIL;
        r = ociseccomp_build(&o, base, &out, err, sizeof(err));
        json_decref(base);
        if (r == -ENOMEM) {
                cli_error("%s", strerror(-r));
                return CLI_EXIT_FAIL;
        }
        if (r < 0) {
                if (base_path)
                        cli_error("%s: %s", base_path, err);
                else
                        cli_error("%s", err);
                return CLI_EXIT_FAIL;
        }

        text = json_dumps(out, JSON_INDENT(2));
        json_decref(out);
        if (!text || strbuf_puts(&sb, text) < 0 || strbuf_putc(&sb, '\n') < 0) {
                free(text);
                strbuf_release(&sb);
                cli_error("%s", strerror(ENOMEM));
                return CLI_EXIT_FAIL;
        }
        free(text);
        r = cli_write_stdout(&sb);
        strbuf_release(&sb);
        if (r < 0) {
                cli_error("write error: %s", strerror(-r));
                return CLI_EXIT_FAIL;
        }
        return CLI_EXIT_OK;
}
