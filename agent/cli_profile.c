/* driftlock profile: lint, show, merge, diff and check profile files. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cli.h"
#include "encode.h"
#include "path.h"
#include "policy.h"
#include "profile.h"
#include "strbuf.h"
#include "util.h"

static const char PROG[] = "driftlock profile";

/* --- loading ------------------------------------------------------------ */

struct load_ctx {
        const char *path;
        unsigned problems;
};

static void load_diag(void *ctx, unsigned line, const char *msg)
{
        struct load_ctx *c = ctx;

        fprintf(stderr, "%s:%u: %s\n", c->path, line, msg);
        c->problems++;
}

/* Loads a profile and prints every problem: "FILE:LINE: message" for each
 * one the parser found, "FILE: strerror" when the file could not be read.
 * Returns 0 or -errno. */
static int load(const char *path, struct profile **ret)
{
        struct load_ctx ctx = { .path = path };
        int r = profile_load(path, load_diag, &ctx, ret);

        if (r < 0 && ctx.problems == 0)
                fprintf(stderr, "%s: %s\n", path, strerror(-r));
        return r;
}

static int print_or_fail(const struct strbuf *out, int fail_code)
{
        int r = cli_write_stdout(out);

        if (r < 0) {
                cli_error("write error: %s", strerror(-r));
                return fail_code;
        }
        return CLI_EXIT_OK;
}

/* --- lint --------------------------------------------------------------- */

static void lint_usage(FILE *out)
{
        fputs("Usage: driftlock profile lint FILE...\n"
              "\n"
              "Checks profiles. Prints nothing and exits 0 when every file is valid;\n"
              "otherwise prints one line per problem on stderr, \"FILE:LINE: message\"\n"
              "(\"FILE: error\" for a file that cannot be read), and exits 1.\n", out);
}

static int profile_lint(int argc, char **argv)
{
        static const char prog[] = "driftlock profile lint";
        int code = cli_parse_help_only(prog, argc, argv, lint_usage);
        bool ok = true;

        if (code >= 0)
                return code;
        if (optind >= argc)
                return cli_usage_error(prog, "missing FILE");
        for (int i = optind; i < argc; i++) {
                struct profile *p = NULL;

                if (load(argv[i], &p) < 0)
                        ok = false;
                profile_free(p);
        }
        return ok ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* --- show --------------------------------------------------------------- */

static void show_usage(FILE *out)
{
        fputs("Usage: driftlock profile show FILE\n"
              "\n"
              "Prints the profile in canonical form: sections in a fixed order, entries\n"
              "sorted and deduplicated, patterns and rules in canonical text. Showing\n"
              "the output again gives the same text.\n", out);
}

static int profile_show(int argc, char **argv)
{
        static const char prog[] = "driftlock profile show";
        int code = cli_parse_help_only(prog, argc, argv, show_usage);
        struct strbuf out = STRBUF_INIT;
        struct profile *p = NULL;
        int r;

        if (code >= 0)
                return code;
        if (argc - optind != 1)
                return cli_usage_error(prog, "expected one FILE");
        if (load(argv[optind], &p) < 0)
                return CLI_EXIT_FAIL;
        r = profile_format(p, &out);
        profile_free(p);
        if (r < 0) {
                cli_error("%s: %s", argv[optind], strerror(-r));
                code = CLI_EXIT_FAIL;
        } else {
                code = print_or_fail(&out, CLI_EXIT_FAIL);
        }
        strbuf_release(&out);
        return code;
}

/* --- merge -------------------------------------------------------------- */

static void merge_usage(FILE *out)
{
        fputs("Usage: driftlock profile merge FILE...\n"
              "\n"
              "Prints the union of the profiles in canonical form (the order of the\n"
              "files does not matter). The files must agree on [profile] image and\n"
              "mode where more than one sets them; a conflict prints nothing on stdout\n"
              "and exits 1. A [read] section in any file restricts reads in the result.\n",
              out);
}

/* The text of a [profile] key, for conflict messages. */
static const char *merge_key_value(const struct profile *p, const char *key)
{
        if (strcmp(key, "image") == 0)
                return p->image ? p->image : "";
        return profile_mode_name(p->mode);
}

static int merge_files(char **files, int n, struct strbuf *out)
{
        struct profile *into = profile_new();
        /* Which file set image and mode first, to name it in a conflict. */
        const char *image_from = NULL, *mode_from = NULL;
        int r = 0;

        if (!into) {
                cli_error("%s", strerror(ENOMEM));
                return CLI_EXIT_FAIL;
        }
        for (int i = 0; i < n && r >= 0; i++) {
                struct profile *from = NULL;
                const char *conflict = NULL;

                r = load(files[i], &from);
                if (r < 0)
                        break;
                r = profile_merge(into, from, &conflict);
                if (r == -EEXIST) {
                        bool image = strcmp(conflict, "image") == 0;

                        cli_error("%s: conflicting '%s' (%s) with %s (%s)", files[i],
                                  conflict, merge_key_value(from, conflict),
                                  (image ? image_from : mode_from) ?: "an earlier file",
                                  merge_key_value(into, conflict));
                } else if (r < 0) {
                        cli_error("%s: %s", files[i], strerror(-r));
                } else {
                        if (!image_from && from->image)
                                image_from = files[i];
                        if (!mode_from && from->mode != PROFILE_MODE_UNSET)
                                mode_from = files[i];
                }
                profile_free(from);
        }
        if (r >= 0) {
                r = profile_format(into, out);
                if (r < 0)
                        cli_error("%s", strerror(-r));
        }
        profile_free(into);
        return r < 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

static int profile_merge_cmd(int argc, char **argv)
{
        static const char prog[] = "driftlock profile merge";
        int code = cli_parse_help_only(prog, argc, argv, merge_usage);
        struct strbuf out = STRBUF_INIT;

        if (code >= 0)
                return code;
        if (optind >= argc)
                return cli_usage_error(prog, "missing FILE");
        code = merge_files(argv + optind, argc - optind, &out);
        if (code == CLI_EXIT_OK)
                code = print_or_fail(&out, CLI_EXIT_FAIL);
        strbuf_release(&out);
        return code;
}

/* --- diff --------------------------------------------------------------- */

static void diff_usage(FILE *out)
{
        fputs("Usage: driftlock profile diff OLD NEW\n"
              "\n"
              "Prints what changed from OLD to NEW, section by section: \"+ \" for an\n"
              "added entry, \"- \" for a removed one. Formatting and order do not count.\n"
              "\n"
              "Exit status: 0 equal, 1 different, 2 error.\n", out);
}

static int profile_diff_cmd(int argc, char **argv)
{
        static const char prog[] = "driftlock profile diff";
        int code = cli_parse_help_only(prog, argc, argv, diff_usage);
        struct strbuf out = STRBUF_INIT;
        struct profile *old = NULL, *new = NULL;
        int r;

        if (code >= 0)
                return code;
        if (argc - optind != 2)
                return cli_usage_error(prog, "expected OLD and NEW");
        /* Load both, so that the problems of both files are reported. */
        r = load(argv[optind], &old);
        if (load(argv[optind + 1], &new) < 0 || r < 0) {
                code = CLI_EXIT_USAGE;
                goto out;
        }
        r = profile_diff(old, new, &out);
        if (r < 0) {
                cli_error("%s", strerror(-r));
                code = CLI_EXIT_USAGE;
                goto out;
        }
        code = print_or_fail(&out, CLI_EXIT_USAGE);
        if (code == CLI_EXIT_OK && r == 1)
                code = CLI_EXIT_FAIL;
out:
        profile_free(old);
        profile_free(new);
        strbuf_release(&out);
        return code;
}

/* --- check -------------------------------------------------------------- */

static void check_usage(FILE *out)
{
        fputs("Usage: driftlock profile check FILE exec|write|read PATH\n"
              "       driftlock profile check FILE connect tcp|udp ADDR PORT\n"
              "       driftlock profile check FILE connect unix PATH|@NAME\n"
              "\n"
              "Decides one access against the profile FILE as enforce mode would and\n"
              "prints the verdict with the rule that decided it, e.g.\n"
              "  allow exec /bin/ls (rule \"/bin/*\" at app.ini:12)\n"
              "PATH is a raw absolute path; \".\", \"..\" and \"//\" are resolved\n"
              "lexically (symlinks are not followed). ADDR is an IPv4 or IPv6 address;\n"
              "NAME is an abstract socket name. Paths are printed in the profile\n"
              "encoding, so that unusual bytes are visible.\n"
              "\n"
              "Exit status: 0 allowed, 1 denied, 2 error.\n", out);
}

/* What to check, parsed from the command line before the profile is read. */
struct check_request {
        enum profile_class cls;
        struct policy_endpoint ep;
        char *path;             /* normalised path, or abstract name */
};

static int check_parse_path(const char *prog, const char *arg, char **ret)
{
        int r = path_normalize(arg, ret);

        if (r == -EINVAL)
                return cli_usage_error(prog, "'%s' is not an absolute path", arg);
        if (r < 0) {
                cli_error("%s: %s", arg, strerror(-r));
                return CLI_EXIT_USAGE;
        }
        return -1;
}

static int check_parse_port(const char *prog, const char *arg, uint16_t *ret)
{
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(arg, &end, 10);
        if (arg[0] < '0' || arg[0] > '9' || *end || errno || v > 65535)
                return cli_usage_error(prog, "bad port '%s' (0-65535)", arg);
        *ret = (uint16_t)v;
        return -1;
}

/* Parses "CLASS ARGS..." into *req. Returns -1 on success, else the exit
 * code (the message is printed). */
static int check_parse(const char *prog, int argc, char **argv, struct check_request *req)
{
        const char *cls = argv[0];
        int expect;

        if (strcmp(cls, "exec") == 0 || strcmp(cls, "write") == 0 || strcmp(cls, "read") == 0) {
                if (argc != 2)
                        return cli_usage_error(prog, "expected one PATH after '%s'", cls);
                req->cls = (enum profile_class)profile_class_from_name(cls);
                return check_parse_path(prog, argv[1], &req->path);
        }
        if (strcmp(cls, "connect") != 0)
                return cli_usage_error(prog, "unknown class '%s' (exec, write, read, connect)",
                                       cls);
        req->cls = PROFILE_CONNECT;
        if (argc < 2)
                return cli_usage_error(prog, "expected tcp, udp or unix after 'connect'");

        if (strcmp(argv[1], "unix") == 0) {
                if (argc != 3)
                        return cli_usage_error(prog, "expected PATH or @NAME after 'unix'");
                req->ep.proto = NETRULE_UNIX;
                req->ep.family = AF_UNIX;
                if (argv[2][0] == '@') {
                        req->ep.abstract = true;
                        req->path = strdup(argv[2] + 1);
                        if (!req->path) {
                                cli_error("%s", strerror(ENOMEM));
                                return CLI_EXIT_USAGE;
                        }
                } else {
                        expect = check_parse_path(prog, argv[2], &req->path);
                        if (expect >= 0)
                                return expect;
                }
                req->ep.path = req->path;
                req->ep.path_len = strlen(req->path);
                return -1;
        }

        if (strcmp(argv[1], "tcp") == 0)
                req->ep.proto = NETRULE_TCP;
        else if (strcmp(argv[1], "udp") == 0)
                req->ep.proto = NETRULE_UDP;
        else
                return cli_usage_error(prog, "unknown protocol '%s' (tcp, udp, unix)", argv[1]);
        if (argc != 4)
                return cli_usage_error(prog, "expected ADDR and PORT after '%s'", argv[1]);
        if (inet_pton(AF_INET, argv[2], req->ep.addr) == 1)
                req->ep.family = AF_INET;
        else if (inet_pton(AF_INET6, argv[2], req->ep.addr) == 1)
                req->ep.family = AF_INET6;
        else
                return cli_usage_error(prog, "bad address '%s'", argv[2]);
        return check_parse_port(prog, argv[3], &req->ep.port);
}

/* "exec /bin/ls", "connect tcp 10.0.0.1 5432", "connect unix @name". */
static int check_describe(const struct check_request *req, struct strbuf *out)
{
        const struct policy_endpoint *ep = &req->ep;
        char addr[INET6_ADDRSTRLEN];
        int r;

        r = strbuf_printf(out, "%s ", profile_class_name(req->cls));
        if (r < 0 || req->cls != PROFILE_CONNECT)
                return r < 0 ? r : encode_append(out, req->path, strlen(req->path));
        if (ep->proto == NETRULE_UNIX) {
                r = strbuf_puts(out, ep->abstract ? "unix @" : "unix ");
                return r < 0 ? r : encode_append(out, req->path, strlen(req->path));
        }
        if (!inet_ntop(ep->family, ep->addr, addr, sizeof(addr)))
                return -errno;
        return strbuf_printf(out, "%s %s %u", ep->proto == NETRULE_TCP ? "tcp" : "udp",
                             addr, ep->port);
}

static int check_format(const char *file, const struct check_request *req,
                        const struct policy_verdict *v, struct strbuf *out)
{
        int r;

        r = strbuf_puts(out, v->allowed ? "allow " : "deny ");
        if (r >= 0)
                r = check_describe(req, out);
        if (r < 0)
                return r;
        if (v->rule && v->line)
                return strbuf_printf(out, " (rule \"%s\" at %s:%u)\n", v->rule, file, v->line);
        if (v->rule)
                return strbuf_printf(out, " (rule \"%s\")\n", v->rule);
        if (v->allowed && req->cls == PROFILE_READ)
                return strbuf_printf(out, " (%s: no [read] section)\n", v->reason);
        return strbuf_printf(out, " (%s)\n", v->reason);
}

static int check_run(const char *file, const struct check_request *req, struct strbuf *out,
                     bool *ret_allowed)
{
        struct profile *p = NULL;
        struct policy *pol = NULL;
        struct policy_verdict v;
        int r;

        if (load(file, &p) < 0)
                return -EINVAL;
        r = policy_compile(p, &pol);
        profile_free(p);
        if (r < 0) {
                cli_error("%s: %s", file, strerror(-r));
                return r;
        }
        if (req->cls == PROFILE_CONNECT)
                policy_check_connect(pol, &req->ep, &v);
        else
                policy_check_path(pol, req->cls, req->path, &v);
        /* The verdict's rule lives in the policy: format before freeing. */
        r = check_format(file, req, &v, out);
        policy_free(pol);
        if (r < 0) {
                cli_error("%s", strerror(-r));
                return r;
        }
        *ret_allowed = v.allowed;
        return 0;
}

static int profile_check(int argc, char **argv)
{
        static const char prog[] = "driftlock profile check";
        int code = cli_parse_help_only(prog, argc, argv, check_usage);
        struct check_request req = { .path = NULL };
        struct strbuf out = STRBUF_INIT;
        bool allowed = false;

        if (code >= 0)
                return code;
        if (argc - optind < 3)
                return cli_usage_error(prog, "expected FILE, a class and what to check");
        code = check_parse(prog, argc - optind - 1, argv + optind + 1, &req);
        if (code < 0) {
                if (check_run(argv[optind], &req, &out, &allowed) < 0)
                        code = CLI_EXIT_USAGE;
                else
                        code = print_or_fail(&out, CLI_EXIT_USAGE);
                if (code == CLI_EXIT_OK && !allowed)
                        code = CLI_EXIT_FAIL;
        }
        free(req.path);
        strbuf_release(&out);
        return code;
}

/* --- dispatch ----------------------------------------------------------- */

static const struct cli_command profile_commands[] = {
        { "lint", "check profiles, print FILE:LINE: for every problem", profile_lint },
        { "show", "print a profile in canonical form", profile_show },
        { "merge", "print the union of profiles in canonical form", profile_merge_cmd },
        { "diff", "print what changed from OLD to NEW", profile_diff_cmd },
        { "check", "decide one exec, write, read or connect", profile_check },
};

static void profile_usage(FILE *out)
{
        fputs("Usage: driftlock profile SUBCOMMAND [ARGS...]\n"
              "\n"
              "Profiles are INI files, one per image (see README, \"Profile format\").\n"
              "\n"
              "Subcommands:\n", out);
        cli_list_commands(out, profile_commands, ARRAY_SIZE(profile_commands));
        fputs("\n"
              "Run 'driftlock profile SUBCOMMAND --help' for details.\n", out);
}

int cli_profile(int argc, char **argv)
{
        int code = cli_parse_help_only(PROG, argc, argv, profile_usage);

        if (code >= 0)
                return code;
        if (optind >= argc) {
                profile_usage(stderr);
                return CLI_EXIT_USAGE;
        }
        return cli_dispatch(PROG, "subcommand", profile_commands,
                            ARRAY_SIZE(profile_commands),
                            argc - optind, argv + optind);
}
