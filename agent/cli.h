/* The driftlock command-line program: the command table and what every
 * command file (agent/cli_<command>.c) shares. Program-private: nothing in
 * the core library includes this.
 *
 * Exit codes, the same for every command:
 *   0  success (valid, allowed, equal)
 *   1  a negative answer or a failure (invalid profile, denied, different,
 *      unreadable file)
 *   2  usage error; also any error of commands whose 1 is an answer
 *      (`profile diff`, `profile check`)
 */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "strbuf.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

/* The commands: adding one is a line here and a file agent/cli_NAME.c that
 * defines int cli_NAME(int argc, char **argv). WORD is what the user types
 * (a C name cannot contain '-'). argv[0] is the command word; the function
 * returns the exit code. */
#define CLI_COMMANDS(X) \
        X(profile, "profile", "lint, show, merge, diff and check profiles") \
        X(run, "run", "run a command under supervision (learn, monitor, enforce)") \
        X(seccomp_profile, "seccomp-profile", "print the OCI seccomp JSON that attaches containers to the agent") \
        X(status, "status", "list the containers the agent supervises") \
        X(mode, "mode", "change a running container's mode") \
        X(flush, "flush", "write learned profiles now")

#define CLI_DECLARE_COMMAND(name, word, summary) int cli_##name(int argc, char **argv);
CLI_COMMANDS(CLI_DECLARE_COMMAND)
#undef CLI_DECLARE_COMMAND

struct cli_command {
        const char *name;
        const char *summary;
        int (*run)(int argc, char **argv);
};

/* Runs the entry of table named argv[0] with (argc, argv). prog names the
 * level for messages ("driftlock", "driftlock profile"), noun what the table
 * holds ("command", "subcommand"). An unknown name is a usage error (exit 2). */
int cli_dispatch(const char *prog, const char *noun, const struct cli_command *table,
                 size_t n, int argc, char **argv);

/* Prints the names and summaries of a table, for usage texts. */
void cli_list_commands(FILE *out, const struct cli_command *table, size_t n);

/* Parses the options of a command that has none but --help/-h.
 * usage prints the command's usage to the stream given. Returns -1 when the
 * caller should go on with its operands at argv[optind]; otherwise the exit
 * code (0 after --help, 2 after an unknown option). */
int cli_parse_help_only(const char *prog, int argc, char **argv, void (*usage)(FILE *out));

/* Prints "PROG: MESSAGE" and a hint to PROG --help on stderr; returns
 * CLI_EXIT_USAGE. */
int cli_usage_error(const char *prog, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Prints "driftlock: MESSAGE" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes a buffer to stdout and flushes it. Returns 0 or -errno (a full
 * disk or a closed pipe must not look like success). */
int cli_write_stdout(const struct strbuf *sb);
