/* INI files read with the system libinih (see inifile.h).
 *
 * Lines are checked as they are served to inih rather than in a separate
 * pass, so that problems are reported in line order and nothing is stored
 * per line. Headers are never served: inih would truncate their names and
 * never calls its handler for them, so the reader tracks sections itself
 * and inih only reads comments, blank lines and "key = value" lines. */
#include "inifile.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct inifile {
        const char *text;
        size_t len, pos;
        size_t max_line;
        unsigned flags;
        unsigned line;                  /* of the line served last */
        inifile_handler_fn handler;
        void *ctx;
        inifile_diag_fn diag;
        void *diag_ctx;
        unsigned nproblems;
        int fatal;                      /* a handler's -errno or -ENOMEM: stop */
        char *section;                  /* NULL before the first header */
        bool refused;                   /* the current section's keys are skipped */
};

int inifile_report(struct inifile *ini, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        ini->nproblems++;
        if (ini->diag) {
                va_start(ap, fmt);
                vsnprintf(msg, sizeof(msg), fmt, ap);
                va_end(ap);
                ini->diag(ini->diag_ctx, ini->line, msg);
        }
        return -EINVAL;
}

/* Calls the handler. -EINVAL is a problem even if the handler did not
 * report it; any other -errno stops the parse. */
static int inifile_call(struct inifile *ini, const char *key, const char *value)
{
        unsigned before = ini->nproblems;
        int r = ini->handler(ini->ctx, ini, ini->line, ini->section, key, value);

        if (r == -EINVAL && ini->nproblems == before)
                ini->nproblems++;
        else if (r < 0 && r != -EINVAL)
                ini->fatal = r;
        return r;
}

const char *inifile_quote(char *dst, size_t size, const char *s, size_t max_in)
{
        static const char hex[] = "0123456789ABCDEF";
        size_t o = 0;

        if (size < 8) {
                if (size)
                        dst[0] = '\0';
                return dst;
        }
        for (size_t i = 0; s[i]; i++) {
                unsigned char c = (unsigned char)s[i];

                /* o <= size - 7 leaves room for one "%XX", "..." and NUL. */
                if (i == max_in || o + 3 > size - 4) {
                        memcpy(dst + o, "...", 3);
                        o += 3;
                        break;
                }
                if (c >= 0x20 && c < 0x7f) {
                        dst[o++] = (char)c;
                } else {
                        dst[o++] = '%';
                        dst[o++] = hex[c >> 4];
                        dst[o++] = hex[c & 0xf];
                }
        }
        dst[o] = '\0';
        return dst;
}

static bool inifile_blank(char c)
{
        return c == ' ' || c == '\t';
}

/* inih's ini_find_chars_or_comment: the first of chars, or a ';' that
 * follows white space, or the end. Only ' ' and '\t' can be white space
 * here because the reader refuses other control characters first. */
static size_t inifile_find(const char *s, size_t n, const char *chars)
{
        bool was_space = false;
        size_t i;

        for (i = 0; i < n; i++) {
                if (strchr(chars, s[i]) || (was_space && s[i] == ';'))
                        break;
                was_space = inifile_blank(s[i]);
        }
        return i;
}

/* A section header line s[0..n) (s[0] == '['): checks it as inih would
 * read it and hands the name to the handler. */
static void inifile_section(struct inifile *ini, const char *s, size_t n)
{
        size_t end = 1 + inifile_find(s + 1, n - 1, "]"), rest;
        char *name;

        /* Whatever a bad header meant, the keys under it are not read into
         * the section before it. */
        ini->refused = true;
        if (end == n || s[end] != ']') {
                inifile_report(ini, "section header without closing ']'");
                return;
        }
        /* inih ignores whatever follows ']'; allow only a comment there. */
        rest = end + 1;
        while (rest < n && inifile_blank(s[rest]))
                rest++;
        if (rest < n && (s[rest] != ';' || rest == end + 1)) {
                inifile_report(ini,
                               "unexpected text after ']' (only ' ; comment' may follow)");
                return;
        }
        name = strndup(s + 1, end - 1);
        if (!name) {
                ini->fatal = -ENOMEM;
                return;
        }
        free(ini->section);
        ini->section = name;
        ini->refused = inifile_call(ini, NULL, NULL) < 0;
}

/* Checks a "key = value" line s[0..n) as inih splits it. */
static bool inifile_check_pair(struct inifile *ini, const char *s, size_t n)
{
        size_t end = inifile_find(s, n, "=:"), key = end;

        if (end == n || s[end] != '=') {
                inifile_report(ini, "expected 'key = value' or '[section]'");
                return false;
        }
        while (key > 0 && inifile_blank(s[key - 1]))
                key--;
        if (key == 0) {
                inifile_report(ini, "missing key before '='");
                return false;
        }
        if (key > INIFILE_MAX_KEY) {
                inifile_report(ini, "key too long (limit 49 bytes)");
                return false;
        }
        return true;
}

/* Checks line s[0..n) (without its line ending). Returns true if inih may
 * read it; false if it was reported, or was a header (handled here). */
static bool inifile_check_line(struct inifile *ini, const char *s, size_t n, size_t limit)
{
        size_t i;

        if (n > limit) {
                inifile_report(ini, "line too long (%zu bytes, limit %zu); it was not read", n,
                               limit);
                return false;
        }
        for (i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c == 0) {
                        inifile_report(ini, "NUL byte in line");
                        return false;
                }
                if ((c < 0x20 && c != '\t') || c == 0x7f) {
                        if (ini->flags & INIFILE_HINT_PERCENT)
                                inifile_report(ini, "control character 0x%02X in line "
                                               "(in a path, write it as %%%02X)", c, c);
                        else
                                inifile_report(ini, "control character 0x%02X in line", c);
                        return false;
                }
        }
        for (i = 0; i < n && inifile_blank(s[i]); i++)
                ;
        if (i == n || s[i] == ';' || s[i] == '#')
                return true;    /* blank or comment: inih skips it */
        if (i > 0) {
                inifile_report(ini, "indented line (continuation lines are not allowed; "
                               "remove the leading white space)");
                return false;
        }
        if (s[0] == '[') {
                inifile_section(ini, s, n);
                return false;
        }
        return inifile_check_pair(ini, s, n);
}

/* The ini_reader: serves the next line, or an empty one in its place. */
static char *inifile_reader(char *str, int num, void *stream)
{
        struct inifile *ini = stream;
        const char *s, *nl;
        size_t n, next, limit;

        if (ini->fatal || ini->pos >= ini->len || num < 2)
                return NULL;
        s = ini->text + ini->pos;
        nl = memchr(s, '\n', ini->len - ini->pos);
        n = nl ? (size_t)(nl - s) : ini->len - ini->pos;
        next = ini->pos + n + (nl ? 1 : 0);
        if (nl && n > 0 && s[n - 1] == '\r')
                n--;
        ini->pos = next;
        ini->line++;

        /* Room for the line, its '\n' and the NUL. */
        limit = (size_t)num - 2 < ini->max_line ? (size_t)num - 2 : ini->max_line;
        if (!inifile_check_line(ini, s, n, limit) || ini->fatal)
                n = 0;
        memcpy(str, s, n);
        str[n] = '\n';
        str[n + 1] = '\0';
        return str;
}

/* The ini_handler. Returning 1 keeps inih's own error count at zero, so a
 * non-zero result from ini_parse_stream means a line the reader let through
 * that inih did not accept. inih's section name is not used: it is always
 * "" (headers are not served) and would be truncated. */
static int inifile_pair(void *user, const char *section, const char *key, const char *value)
{
        struct inifile *ini = user;

        (void)section;
        if (!ini->fatal && !ini->refused)
                inifile_call(ini, key, value);
        return 1;
}

int inifile_parse(const char *text, size_t len, size_t max_line, unsigned flags,
                  inifile_handler_fn handler, void *ctx, inifile_diag_fn diag, void *diag_ctx)
{
        struct inifile ini = {
                .text = text, .len = len, .max_line = max_line, .flags = flags,
                .handler = handler, .ctx = ctx, .diag = diag, .diag_ctx = diag_ctx,
        };
        int r;

        /* Skip a UTF-8 byte order mark here: inih would skip it too, but
         * it would count it in the first line's length. */
        if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
                ini.pos = 3;
        r = ini_parse_stream(inifile_reader, &ini, inifile_pair, &ini);
        free(ini.section);
        if (r == -2 && !ini.fatal)
                ini.fatal = -ENOMEM;
        else if (r != 0 && !ini.fatal && ini.nproblems == 0) {
                ini.line = r > 0 ? (unsigned)r : 0;
                inifile_report(&ini, "line not understood");
        }
        if (ini.fatal)
                return ini.fatal;
        return ini.nproblems ? -EINVAL : 0;
}
