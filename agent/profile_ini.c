/* Profile text in: libinih with a line-checking reader (see profile.h).
 *
 * Debian's libinih 55 reads at most 199 bytes of a line (INI_MAX_LINE 200),
 * treats an indented line as the continuation of the previous value, ends a
 * value at " ;", truncates section names and keys to 49 bytes and does not
 * tell its handler the line number. Any of these would let a profile mean
 * something other than what a reviewer read. So every line passes through
 * pini_reader first: it checks the line as inih would see it and serves
 * inih either the line or, for a line it refused (and reported), an empty
 * line. What reaches inih is therefore always read whole and as written,
 * and the reader's line counter is the line the handler is called for.
 *
 * Lines are checked as they are served rather than in a separate pass, so
 * that problems are reported in line order and nothing is stored per line.
 * Section headers are acted on in the reader too: inih only calls the
 * handler for "key = value" lines, and empty or repeated sections matter
 * ([read] alone restricts reads; a second [profile] is an error). */
#include "profile.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "encode.h"
#include "util.h"

/* libinih copies section names and keys into 50-byte buffers. */
#define PINI_MAX_NAME 49
/* Offending values are quoted in messages up to this many bytes. */
#define PINI_QUOTE_MAX 120

enum pini_section {
        PINI_NONE,      /* before the first section header */
        PINI_PROFILE,
        PINI_CLASS,
        PINI_IGNORE,    /* unknown or repeated section, already reported */
};

struct pini {
        const char *text;
        size_t len, pos;
        unsigned line;                  /* of the line served last */
        profile_diag_fn diag;
        void *ctx;
        struct profile *p;
        unsigned nproblems;
        int fatal;                      /* -ENOMEM: stop doing work */
        enum pini_section section;
        enum profile_class cls;
        char section_name[PINI_MAX_NAME + 1];
        unsigned profile_line;          /* the [profile] header, 0 if none yet */
        unsigned image_line, mode_line; /* first image/mode key, valid or not */
};

static void pini_report(struct pini *st, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void pini_report(struct pini *st, unsigned line, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        st->nproblems++;
        if (!st->diag)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        st->diag(st->ctx, line, msg);
}

/* Copies s[0..n) for a message: printable ASCII as is, every other byte as
 * "%XX" (the profile encoding's notation), cut at PINI_QUOTE_MAX bytes with
 * "...". dst must hold PINI_QUOTE_MAX * 3 + 4 bytes. */
static const char *pini_quote(char *dst, const char *s, size_t n)
{
        static const char hex[] = "0123456789ABCDEF";
        size_t o = 0;

        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];

                if (i == PINI_QUOTE_MAX) {
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

#define PINI_QUOTE_BUF (PINI_QUOTE_MAX * 3 + 4)

static bool pini_blank(char c)
{
        return c == ' ' || c == '\t';
}

/* inih's ini_find_chars_or_comment: the first of chars, or a ';' that
 * follows white space, or the end. Only ' ' and '\t' can be white space
 * here because the reader refuses other control characters first. */
static size_t pini_find(const char *s, size_t n, const char *chars)
{
        bool was_space = false;
        size_t i;

        for (i = 0; i < n; i++) {
                if (strchr(chars, s[i]) || (was_space && s[i] == ';'))
                        break;
                was_space = pini_blank(s[i]);
        }
        return i;
}

static void pini_begin_section(struct pini *st, const char *name, size_t n)
{
        char q[PINI_QUOTE_BUF];
        int cls;

        memcpy(st->section_name, name, n);
        st->section_name[n] = '\0';
        if (strcmp(st->section_name, "profile") == 0) {
                if (st->profile_line) {
                        pini_report(st, st->line, "duplicate [profile] section (first on line %u)",
                                    st->profile_line);
                        st->section = PINI_IGNORE;
                        return;
                }
                st->profile_line = st->line;
                st->section = PINI_PROFILE;
                return;
        }
        cls = profile_class_from_name(st->section_name);
        if (cls < 0) {
                pini_report(st, st->line,
                            "unknown section [%s] (expected profile, exec, write, read or connect)",
                            pini_quote(q, name, n));
                st->section = PINI_IGNORE;
                return;
        }
        st->section = PINI_CLASS;
        st->cls = (enum profile_class)cls;
        if (cls == PROFILE_READ)
                st->p->restricts_reads = true;
}

/* Checks a section header line s[0..n) (s[0] == '['), as inih reads it. */
static const char *pini_check_section(struct pini *st, const char *s, size_t n)
{
        size_t end = 1 + pini_find(s + 1, n - 1, "]"), rest;

        /* Whatever a bad header meant, the keys under it are not read into
         * the section before it. */
        st->section = PINI_IGNORE;
        if (end == n || s[end] != ']')
                return "section header without closing ']'";
        /* inih ignores whatever follows ']'; allow only a comment there. */
        rest = end + 1;
        while (rest < n && pini_blank(s[rest]))
                rest++;
        if (rest < n && (s[rest] != ';' || rest == end + 1))
                return "unexpected text after ']' (only ' ; comment' may follow)";
        if (end - 1 > PINI_MAX_NAME)
                return "section name too long (limit 49 bytes)";
        pini_begin_section(st, s + 1, end - 1);
        return NULL;
}

/* Checks a "key = value" line s[0..n) as inih splits it. */
static const char *pini_check_pair(const char *s, size_t n)
{
        size_t end = pini_find(s, n, "=:"), key = end;

        if (end == n || s[end] != '=')
                return "expected 'key = value' or '[section]'";
        while (key > 0 && pini_blank(s[key - 1]))
                key--;
        if (key == 0)
                return "missing key before '='";
        if (key > PINI_MAX_NAME)
                return "key too long (limit 49 bytes)";
        return NULL;
}

/* Checks line s[0..n) (without its line ending). Returns true if inih may
 * read it; otherwise the problem has been reported. */
static bool pini_check_line(struct pini *st, const char *s, size_t n, size_t limit)
{
        const char *problem = NULL;
        size_t i;

        if (n > limit) {
                pini_report(st, st->line, "line too long (%zu bytes, limit %zu); it was not read",
                            n, limit);
                return false;
        }
        for (i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c == 0) {
                        pini_report(st, st->line, "NUL byte in line");
                        return false;
                }
                if ((c < 0x20 && c != '\t') || c == 0x7f) {
                        pini_report(st, st->line,
                                    "control character 0x%02X in line (in a path, write it as %%%02X)",
                                    c, c);
                        return false;
                }
        }
        for (i = 0; i < n && pini_blank(s[i]); i++)
                ;
        if (i == n || s[i] == ';' || s[i] == '#')
                return true;    /* blank or comment: inih skips it */
        if (i > 0)
                problem = "indented line (continuation lines are not allowed; remove the leading white space)";
        else if (s[0] == '[')
                problem = pini_check_section(st, s, n);
        else
                problem = pini_check_pair(s, n);
        if (problem) {
                pini_report(st, st->line, "%s", problem);
                return false;
        }
        return true;
}

/* The ini_reader: serves the next line, or an empty one in its place. */
static char *pini_reader(char *str, int num, void *stream)
{
        struct pini *st = stream;
        const char *s, *nl;
        size_t n, next, limit;

        if (st->pos >= st->len || num < 2)
                return NULL;
        s = st->text + st->pos;
        nl = memchr(s, '\n', st->len - st->pos);
        n = nl ? (size_t)(nl - s) : st->len - st->pos;
        next = st->pos + n + (nl ? 1 : 0);
        if (nl && n > 0 && s[n - 1] == '\r')
                n--;
        st->pos = next;
        st->line++;

        /* Room for the line, its '\n' and the NUL. */
        limit = (size_t)num - 2 < PROFILE_MAX_LINE ? (size_t)num - 2 : PROFILE_MAX_LINE;
        if (st->fatal || !pini_check_line(st, s, n, limit))
                n = 0;
        memcpy(str, s, n);
        str[n] = '\n';
        str[n + 1] = '\0';
        return str;
}

static void pini_profile_key(struct pini *st, const char *name, const char *value)
{
        char q[PINI_QUOTE_BUF];
        const char *error = NULL;
        int r;

        if (strcmp(name, "image") == 0) {
                if (st->image_line) {
                        pini_report(st, st->line, "repeated key 'image' in [profile] (first on line %u)",
                                    st->image_line);
                        return;
                }
                st->image_line = st->line;
                r = profile_set_image(st->p, value, st->line, &error);
                if (r == -EINVAL)
                        pini_report(st, st->line, "bad image '%s': %s",
                                    pini_quote(q, value, strlen(value)), error);
                else if (r < 0)
                        st->fatal = r;
        } else if (strcmp(name, "mode") == 0) {
                if (st->mode_line) {
                        pini_report(st, st->line, "repeated key 'mode' in [profile] (first on line %u)",
                                    st->mode_line);
                        return;
                }
                st->mode_line = st->line;
                r = profile_mode_from_name(value);
                if (r < 0) {
                        pini_report(st, st->line, "bad mode '%s' (expected learn, monitor or enforce)",
                                    pini_quote(q, value, strlen(value)));
                        return;
                }
                st->p->mode = (enum profile_mode)r;
                st->p->mode_line = st->line;
        } else {
                pini_report(st, st->line, "unknown key '%s' in [profile] (expected image or mode)",
                            pini_quote(q, name, strlen(name)));
        }
}

static void pini_class_key(struct pini *st, const char *name, const char *value)
{
        const char *cls = profile_class_name(st->cls);
        char q[PINI_QUOTE_BUF];
        const char *error = NULL;
        int r;

        if (strcmp(name, "allow") != 0) {
                pini_report(st, st->line, "unknown key '%s' in [%s] (expected allow)",
                            pini_quote(q, name, strlen(name)), cls);
                return;
        }
        if (!*value) {
                pini_report(st, st->line, "empty value for 'allow' in [%s]", cls);
                return;
        }
        r = profile_add(st->p, st->cls, value, st->line, &error);
        if (r == -EINVAL)
                pini_report(st, st->line, "bad [%s] entry '%s': %s", cls,
                            pini_quote(q, value, strlen(value)),
                            error ? error : "invalid");
        else if (r < 0)
                st->fatal = r;
}

/* The ini_handler. Problems are reported here; returning 1 keeps inih's
 * own error count at zero, so a non-zero result from ini_parse_stream means
 * a line the reader let through that inih did not accept. */
static int pini_handler(void *user, const char *section, const char *name, const char *value)
{
        struct pini *st = user;
        char q[PINI_QUOTE_BUF];

        if (st->fatal)
                return 1;
        switch (st->section) {
        case PINI_NONE:
                pini_report(st, st->line, "'%s = ...' before any [section]",
                            pini_quote(q, name, strlen(name)));
                break;
        case PINI_IGNORE:
                break;
        case PINI_PROFILE:
        case PINI_CLASS:
                /* The reader and inih saw the same header. */
                if (strcmp(section, st->section_name) != 0) {
                        pini_report(st, st->line, "internal error: section mismatch");
                        break;
                }
                if (st->section == PINI_PROFILE)
                        pini_profile_key(st, name, value);
                else
                        pini_class_key(st, name, value);
                break;
        }
        return 1;
}

int profile_parse(const char *text, size_t len, profile_diag_fn diag, void *ctx,
                  struct profile **ret)
{
        struct pini st = { .text = text, .len = len, .diag = diag, .ctx = ctx };
        struct profile *p;
        int r;

        if (len > PROFILE_MAX_FILE_BYTES)
                return -EFBIG;
        p = profile_new();
        if (!p)
                return -ENOMEM;
        st.p = p;
        /* Skip a UTF-8 byte order mark here so that inih never sees it and
         * the first line's length does not count it. */
        if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
                st.pos = 3;

        r = ini_parse_stream(pini_reader, &st, pini_handler, &st);
        if (r == -2)
                st.fatal = -ENOMEM;
        else if (r != 0 && st.nproblems == 0)
                pini_report(&st, r > 0 ? (unsigned)r : 0, "line not understood");
        if (st.fatal || st.nproblems) {
                profile_free(p);
                return st.fatal ? st.fatal : -EINVAL;
        }
        profile_canonicalize(p);
        *ret = p;
        return 0;
}
