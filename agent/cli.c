/* driftlock: the command-line program. main() dispatches to the command
 * table of cli.h; each command lives in agent/cli_<command>.c. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

#ifndef DRIFTLOCK_VERSION
#define DRIFTLOCK_VERSION "0.1.0"
#endif

#define CLI_TABLE_ENTRY(name, word, summary) { word, summary, cli_##name },
static const struct cli_command cli_commands[] = {
        CLI_COMMANDS(CLI_TABLE_ENTRY)
};
#undef CLI_TABLE_ENTRY

void cli_error(const char *fmt, ...)
{
        va_list ap;

        fputs("driftlock: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

int cli_usage_error(const char *prog, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "%s: ", prog);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry '%s --help'.\n", prog);
        return CLI_EXIT_USAGE;
}

int cli_write_stdout(const struct strbuf *sb)
{
        errno = 0;
        if (sb->len && fwrite(sb->data, 1, sb->len, stdout) != sb->len)
                return errno ? -errno : -EIO;
        if (fflush(stdout) != 0)
                return errno ? -errno : -EIO;
        return 0;
}

void cli_list_commands(FILE *out, const struct cli_command *table, size_t n)
{
        for (size_t i = 0; i < n; i++)
                fprintf(out, "  %-16s %s\n", table[i].name, table[i].summary);
}

int cli_dispatch(const char *prog, const char *noun, const struct cli_command *table,
                 size_t n, int argc, char **argv)
{
        if (argc < 1)
                return cli_usage_error(prog, "missing %s", noun);
        for (size_t i = 0; i < n; i++)
                if (strcmp(argv[0], table[i].name) == 0)
                        return table[i].run(argc, argv);
        return cli_usage_error(prog, "unknown %s '%s'", noun, argv[0]);
}

/* getopt with its own messages off, so that every usage error looks the same
 * and ends with the hint to --help. */
static int cli_unknown_option(const char *prog, char **argv)
{
        if (optopt)
                return cli_usage_error(prog, "unknown option '-%c'", optopt);
        return cli_usage_error(prog, "unknown option '%s'", argv[optind - 1]);
}

int cli_parse_help_only(const char *prog, int argc, char **argv, void (*usage)(FILE *out))
{
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        int c;

        /* optind = 0 makes glibc start over: every level of the command line
         * parses its own argv. '+' stops at the first operand, so that
         * operands that look like options go to the level that owns them. */
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
                switch (c) {
                case 'h':
                        usage(stdout);
                        return CLI_EXIT_OK;
                default:
                        return cli_unknown_option(prog, argv);
                }
        }
        return -1;
}

static void cli_usage(FILE *out)
{
        fputs("Usage: driftlock [--help|--version] COMMAND [ARGS...]\n"
              "\n"
              "Keeps running containers identical to their image: checks every exec,\n"
              "write, read and connect against the image's profile.\n"
              "\n"
              "Commands:\n", out);
        cli_list_commands(out, cli_commands, ARRAY_SIZE(cli_commands));
        fputs("\n"
              "Run 'driftlock COMMAND --help' for a command's options.\n", out);
}

int main(int argc, char **argv)
{
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                { NULL, 0, NULL, 0 },
        };
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "+hV", options, NULL)) != -1) {
                switch (c) {
                case 'h':
                        cli_usage(stdout);
                        return CLI_EXIT_OK;
                case 'V':
                        puts("driftlock " DRIFTLOCK_VERSION);
                        return CLI_EXIT_OK;
                default:
                        return cli_unknown_option("driftlock", argv);
                }
        }
        if (optind >= argc) {
                cli_usage(stderr);
                return CLI_EXIT_USAGE;
        }
        return cli_dispatch("driftlock", "command", cli_commands, ARRAY_SIZE(cli_commands),
                            argc - optind, argv + optind);
}
