/* INI files read with the system libinih without letting it misread them.
 *
 * Debian's libinih 55 reads at most 199 bytes of a line (INI_MAX_LINE 200),
 * treats an indented line as the continuation of the previous value, ends a
 * value at " ;", accepts "key: value", truncates section names and keys to
 * 49 bytes and does not tell its handler the line number. Any of these
 * would let a file mean something other than what a reviewer read.
 *
 * inifile_parse feeds inih through a reader that checks every line as inih
 * would see it. A line inih would not read whole and as written is reported
 * and inih gets an empty line in its place; so what inih reads is what was
 * written, and the reader's line counter is the line of each handler call. Section headers are handled by the reader too (inih
 * only calls its handler for "key = value" lines, and an empty or repeated
 * section can matter to a caller). What the sections, keys and values mean
 * is the caller's: its handler checks them and reports its own problems.
 *
 * Lines end at '\n'; a '\r' before it is dropped. A UTF-8 byte order mark
 * at the start of the text is skipped (it does not count in the first
 * line's length). Blank lines and lines whose first non-blank byte is ';'
 * or '#' are comments. This module does no I/O (readall.h reads the files). */
#pragma once

#include <stddef.h>

/* libinih copies keys (and section names) into 50-byte buffers. */
#define INIFILE_MAX_KEY 49

/* inifile_parse flags. */
enum {
        /* The message for a control character says how to write it in a
         * path instead ("%XX", for files whose values are encoded so). */
        INIFILE_HINT_PERCENT = 1u << 0,
};

/* A parse in progress, as its handler sees it. */
struct inifile;

/* Called once per problem, in line order; msg is valid during the call.
 * (The shape of profile_diag_fn.) */
typedef void (*inifile_diag_fn)(void *ctx, unsigned line, const char *msg);

/* Called in line order for every section header, with key and value NULL
 * and section the name in full (not truncated), and for every "key = value"
 * line outside a refused section, with section the current one's name (NULL
 * before the first header) and key and value as inih split them (blanks
 * around each and a " ; comment" removed). line is the line's number.
 * Problems are reported with inifile_report.
 * Returns 0; -EINVAL after a problem (for a header: the section is refused
 * and its keys are not passed on); any other -errno (e.g. -ENOMEM) ends
 * the parse, which returns it. */
typedef int (*inifile_handler_fn)(void *ctx, struct inifile *ini, unsigned line,
                                  const char *section, const char *key, const char *value);

/* Parses text[0..len) (it need not be NUL-terminated) with handler and ctx.
 * Lines longer than max_line bytes (without the line ending) are refused, as
 * are lines longer than inih's buffer holds. Every problem, the lines'
 * and the handler's, goes to diag (may be NULL) with diag_ctx; every line is
 * checked even after the first problem.
 * Returns 0 if there was no problem; -EINVAL if there was at least one;
 * -ENOMEM; or the handler's other -errno (diag is not called for these). */
int inifile_parse(const char *text, size_t len, size_t max_line, unsigned flags,
                  inifile_handler_fn handler, void *ctx, inifile_diag_fn diag, void *diag_ctx);

/* From a handler: reports a problem on the line being handled (the message
 * is cut at 511 bytes) and makes the parse fail. Returns -EINVAL, which the
 * handler returns. */
int inifile_report(struct inifile *ini, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copies the string s into dst (size bytes, at least 8) for a message, NUL-
 * terminated: printable ASCII as is, every other byte as "%XX" (the profile
 * encoding's notation). When bytes remain after max_in bytes of s, or once
 * the output holds more than size - 7 bytes, it stops there and appends
 * "...". Returns dst. */
const char *inifile_quote(char *dst, size_t size, const char *s, size_t max_in);
