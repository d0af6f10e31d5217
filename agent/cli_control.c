/* driftlock status, mode and flush: the operator's side of the agent's
 * control socket. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "control.h"
#include "util.h"

#define DEFAULT_CONTROL "/run/driftlock/control.sock"

struct control_cli {
        const char *name;       /* "status", "mode", "flush" */
        const char *operands;   /* usage text of the operands */
        const char *summary;
        int n_operands;
};

static void control_usage(FILE *out, const struct control_cli *cmd)
{
        fprintf(out,
                "Usage: driftlock %s [--control PATH] %s\n"
                "\n"
                "%s\n"
                "\n"
                "Options:\n"
                "  --control PATH   the agent's control socket (default " DEFAULT_CONTROL ")\n"
                "  -h, --help       show this help\n",
                cmd->name, cmd->operands, cmd->summary);
}

/* Parses --control and the operands. Returns -1 to go on, else the exit
 * code. */
static int control_parse(const struct control_cli *cmd, int argc, char **argv,
                         const char **ret_socket)
{
        static const struct option longopts[] = {
                { "control", required_argument, NULL, 'c' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        char prog[32];
        int c;

        snprintf(prog, sizeof(prog), "driftlock %s", cmd->name);
        *ret_socket = DEFAULT_CONTROL;
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        *ret_socket = optarg;
                        break;
                case 'h':
                        control_usage(stdout, cmd);
                        return CLI_EXIT_OK;
                default:
                        return cli_usage_error(prog, "unknown option or missing argument '%s'",
                                               argv[optind - 1]);
                }
        }
        if (argc - optind != cmd->n_operands)
                return cli_usage_error(prog, "expected %s", *cmd->operands ? cmd->operands : "no operands");
        return -1;
}

/* Sends a request built by json_pack and returns the parsed response, or
 * NULL after printing why. */
static json_t *control_roundtrip(const char *socket, json_t *request)
{
        cleanup_free char *text = request ? json_dumps(request, JSON_COMPACT) : NULL;
        cleanup_free char *response = NULL;
        json_error_t jerr;
        json_t *resp;
        int r;

        json_decref(request);
        if (!text) {
                cli_error("out of memory");
                return NULL;
        }
        r = control_call(socket, text, &response);
        if (r < 0) {
                cli_error("%s: %s%s", socket, strerror(-r),
                          r == -ENOENT || r == -ECONNREFUSED ? " (is driftlockd running?)" : "");
                return NULL;
        }
        resp = json_loads(response, 0, &jerr);
        if (!resp || !json_is_object(resp)) {
                cli_error("%s: malformed response from the agent", socket);
                json_decref(resp);
                return NULL;
        }
        if (!json_is_true(json_object_get(resp, "ok"))) {
                const char *error = json_string_value(json_object_get(resp, "error"));

                cli_error("%s", error ? error : "the agent refused the request");
                json_decref(resp);
                return NULL;
        }
        return resp;
}

static json_int_t control_int(json_t *o, const char *key)
{
        return json_integer_value(json_object_get(o, key));
}

int cli_status(int argc, char **argv)
{
        static const struct control_cli cmd = {
                "status", "", "Lists the containers the agent supervises: id, profile, mode and\n"
                "counts of held, allowed, denied, alerted and learned calls.", 0,
        };
        const char *socket;
        json_t *resp, *list, *c;
        size_t i;
        int r = control_parse(&cmd, argc, argv, &socket);

        if (r >= 0)
                return r;
        resp = control_roundtrip(socket, json_pack("{s:s}", "cmd", "status"));
        if (!resp)
                return CLI_EXIT_FAIL;
        list = json_object_get(resp, "containers");
        printf("%-20s %-8s %8s %8s %8s %8s %8s  %s\n", "CONTAINER", "MODE", "HELD", "ALLOWED",
               "DENIED", "ALERTED", "LEARNED", "PROFILE");
        json_array_foreach(list, i, c) {
                printf("%-20.20s %-8s %8lld %8lld %8lld %8lld %8lld  %s\n",
                       json_string_value(json_object_get(c, "id")),
                       json_string_value(json_object_get(c, "mode")),
                       (long long)control_int(c, "held"), (long long)control_int(c, "allowed"),
                       (long long)control_int(c, "denied"), (long long)control_int(c, "alerted"),
                       (long long)control_int(c, "learned"),
                       json_string_value(json_object_get(c, "profile")));
        }
        json_decref(resp);
        return CLI_EXIT_OK;
}

int cli_mode(int argc, char **argv)
{
        static const struct control_cli cmd = {
                "mode", "CONTAINER learn|monitor|enforce",
                "Changes the mode of a running container (an id or a unique prefix).", 2,
        };
        const char *socket;
        json_t *resp;
        int r = control_parse(&cmd, argc, argv, &socket);

        if (r >= 0)
                return r;
        if (profile_mode_from_name(argv[optind + 1]) < 0)
                return cli_usage_error("driftlock mode", "unknown mode '%s' (learn, monitor or enforce)",
                                       argv[optind + 1]);
        resp = control_roundtrip(socket, json_pack("{s:s, s:s, s:s}", "cmd", "mode", "container",
                                                   argv[optind], "mode", argv[optind + 1]));
        if (!resp)
                return CLI_EXIT_FAIL;
        printf("%s: %s\n", json_string_value(json_object_get(resp, "container")),
               json_string_value(json_object_get(resp, "mode")));
        json_decref(resp);
        return CLI_EXIT_OK;
}

int cli_flush(int argc, char **argv)
{
        static const struct control_cli cmd = {
                "flush", "", "Writes what learning containers have seen into their profiles now.", 0,
        };
        const char *socket;
        json_t *resp;
        int r = control_parse(&cmd, argc, argv, &socket);

        if (r >= 0)
                return r;
        resp = control_roundtrip(socket, json_pack("{s:s}", "cmd", "flush"));
        if (!resp)
                return CLI_EXIT_FAIL;
        printf("flushed %lld profile(s)\n", (long long)control_int(resp, "flushed"));
        json_decref(resp);
        return CLI_EXIT_OK;
}
