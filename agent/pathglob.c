/* Path patterns (see pathglob.h).
 *
 * A pattern is parsed once into components of tokens; each token is a
 * literal byte, '*' or '?'. Canonical text, literal paths and compiled
 * patterns are all produced from that one parse, so they cannot disagree
 * about what a pattern means. */
#include "pathglob.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "path.h"
#include "strbuf.h"
#include "util.h"

enum { PG_LIT, PG_STAR, PG_QMARK };

struct pg_comp {
        size_t off, len;        /* tokens [off, off + len) */
        bool globstar;          /* the component is exactly "**" */
};

struct pathglob {
        struct pg_comp *comp;
        size_t ncomp;
        unsigned char *byte;    /* the byte of a PG_LIT token */
        unsigned char *kind;    /* PG_LIT, PG_STAR or PG_QMARK */
};

static void pg_release(struct pathglob *pg)
{
        free(pg->comp);
        free(pg->byte);
        free(pg->kind);
        *pg = (struct pathglob){ 0 };
}

static bool pg_comp_has_wildcard(const struct pathglob *pg, const struct pg_comp *c)
{
        if (c->globstar)
                return true;
        for (size_t k = c->off; k < c->off + c->len; k++)
                if (pg->kind[k] != PG_LIT)
                        return true;
        return false;
}

static bool pg_is_dots(const struct pathglob *pg, size_t off, size_t len, size_t n)
{
        if (len != n)
                return false;
        for (size_t k = off; k < off + len; k++)
                if (pg->kind[k] != PG_LIT || pg->byte[k] != '.')
                        return false;
        return true;
}

/* Checks the escapes and counts the decoded bytes, '/' included, so that
 * the pattern is bounded like a path (path_normalize) before any work that
 * depends on its length. */
static int pg_count(const char *text, size_t *ret_n, const char **ret_error)
{
        size_t n = 0;

        if (!text || text[0] != '/') {
                *ret_error = "pattern is not an absolute path";
                return -EINVAL;
        }
        for (size_t i = 0; text[i]; n++) {
                int v;

                if (n >= PATH_MAX_BYTES) {
                        *ret_error = "pattern is too long";
                        return -EINVAL;
                }
                if (text[i] != '%') {
                        i++;
                        continue;
                }
                v = encode_escape_value(text + i);
                if (v < 0) {
                        *ret_error = "malformed escape (expected %XX)";
                        return -EINVAL;
                }
                if (v == 0 || v == '/') {
                        *ret_error = "escape %00 or %2F: a path component cannot hold NUL or '/'";
                        return -EINVAL;
                }
                i += 3;
        }
        *ret_n = n;
        return 0;
}

/* Parses pattern text into *pg, applying "." and ".." lexically. */
static int pg_parse(const char *text, struct pathglob *pg, const char **ret_error)
{
        size_t n, ntok = 0, ncomp = 0, i = 0;
        int r;

        *pg = (struct pathglob){ 0 };
        r = pg_count(text, &n, ret_error);
        if (r < 0)
                return r;
        /* Every component takes at least one token and one '/'. */
        pg->comp = calloc(n / 2 + 1, sizeof(*pg->comp));
        pg->byte = malloc(n + 1);
        pg->kind = malloc(n + 1);
        if (!pg->comp || !pg->byte || !pg->kind) {
                pg_release(pg);
                return -ENOMEM;
        }
        while (text[i]) {
                size_t start = ntok, len;
                bool globstar;

                if (text[i] == '/') {
                        i++;
                        continue;
                }
                for (; text[i] && text[i] != '/'; ntok++) {
                        unsigned char kind = PG_LIT, byte = (unsigned char)text[i];

                        if (text[i] == '%') {
                                byte = (unsigned char)encode_escape_value(text + i);
                                i += 3;
                        } else {
                                if (text[i] == '*')
                                        kind = PG_STAR;
                                else if (text[i] == '?')
                                        kind = PG_QMARK;
                                i++;
                        }
                        pg->kind[ntok] = kind;
                        pg->byte[ntok] = kind == PG_LIT ? byte : 0;
                }
                len = ntok - start;
                globstar = len == 2 && pg->kind[start] == PG_STAR &&
                           pg->kind[start + 1] == PG_STAR;
                for (size_t k = start + 1; !globstar && k < ntok; k++)
                        if (pg->kind[k - 1] == PG_STAR && pg->kind[k] == PG_STAR) {
                                *ret_error = "'**' must be a whole path component";
                                pg_release(pg);
                                return -EINVAL;
                        }
                if (pg_is_dots(pg, start, len, 1)) {
                        ntok = start;
                        continue;
                }
                if (pg_is_dots(pg, start, len, 2)) {
                        ntok = start;
                        if (ncomp == 0)
                                continue;       /* "/.." is "/" */
                        if (pg_comp_has_wildcard(pg, &pg->comp[ncomp - 1])) {
                                *ret_error = "'..' after a wildcard component";
                                pg_release(pg);
                                return -EINVAL;
                        }
                        /* Components are stacked on the token array. */
                        ntok = pg->comp[--ncomp].off;
                        continue;
                }
                pg->comp[ncomp++] = (struct pg_comp){ start, len, globstar };
        }
        pg->ncomp = ncomp;
        return 0;
}

static int pg_format(const struct pathglob *pg, struct strbuf *out)
{
        int r = 0;

        if (pg->ncomp == 0)
                return strbuf_putc(out, '/');
        for (size_t c = 0; c < pg->ncomp && r >= 0; c++) {
                const struct pg_comp *comp = &pg->comp[c];
                size_t k = comp->off, end = comp->off + comp->len;

                r = strbuf_putc(out, '/');
                if (r >= 0 && comp->globstar) {
                        r = strbuf_puts(out, "**");
                        continue;
                }
                while (r >= 0 && k < end) {
                        size_t run = k;

                        if (pg->kind[k] != PG_LIT) {
                                r = strbuf_putc(out, pg->kind[k] == PG_STAR ? '*' : '?');
                                k++;
                                continue;
                        }
                        /* A whole run of literal bytes at once, so that
                         * UTF-8 sequences are judged as a whole. */
                        while (run < end && pg->kind[run] == PG_LIT)
                                run++;
                        r = encode_append(out, (const char *)pg->byte + k, run - k);
                        k = run;
                }
        }
        return r;
}

int pathglob_canonicalize(const char *text, char **ret, const char **ret_error)
{
        struct pathglob pg;
        struct strbuf out = STRBUF_INIT;
        const char *dummy;
        char *s;
        int r;

        if (!ret_error)
                ret_error = &dummy;
        r = pg_parse(text, &pg, ret_error);
        if (r < 0)
                return r;
        r = pg_format(&pg, &out);
        pg_release(&pg);
        s = r < 0 ? NULL : strbuf_detach(&out);
        if (!s) {
                strbuf_release(&out);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

bool pathglob_is_literal(const char *canonical)
{
        /* Escapes are "%" and hex digits, so any '*' or '?' is bare. */
        return !strpbrk(canonical, "*?");
}

int pathglob_literal_path(const char *canonical, char **ret)
{
        struct pathglob pg;
        const char *error;
        char *raw;
        size_t len = 0;
        int r;

        r = pg_parse(canonical, &pg, &error);
        if (r < 0)
                return r;
        for (size_t c = 0; c < pg.ncomp; c++)
                if (pg_comp_has_wildcard(&pg, &pg.comp[c])) {
                        pg_release(&pg);
                        return -EINVAL;
                }
        for (size_t c = 0; c < pg.ncomp; c++)
                len += 1 + pg.comp[c].len;
        raw = malloc(len + 2);  /* the root's '/' and the NUL */
        len = 0;
        if (!raw) {
                pg_release(&pg);
                return -ENOMEM;
        }
        for (size_t c = 0; c < pg.ncomp; c++) {
                raw[len++] = '/';
                memcpy(raw + len, pg.byte + pg.comp[c].off, pg.comp[c].len);
                len += pg.comp[c].len;
        }
        if (len == 0)
                raw[len++] = '/';
        raw[len] = '\0';
        pg_release(&pg);
        *ret = raw;
        return 0;
}

int pathglob_compile(const char *canonical, struct pathglob **ret)
{
        struct pathglob *pg;
        const char *error;
        int r;

        pg = calloc(1, sizeof(*pg));
        if (!pg)
                return -ENOMEM;
        r = pg_parse(canonical, pg, &error);
        if (r < 0) {
                free(pg);
                return r;
        }
        *ret = pg;
        return 0;
}

struct pathglob *pathglob_free(struct pathglob *glob)
{
        if (glob) {
                pg_release(glob);
                free(glob);
        }
        return NULL;
}

/* Matches one pattern component against the path component s[0..n).
 * '*' never sees a '/', since s is one component. Classic backtracking to
 * the last '*' only: O(len x n). */
static bool pg_comp_match(const struct pathglob *pg, const struct pg_comp *c,
                          const char *s, size_t n)
{
        const unsigned char *kind = pg->kind + c->off, *byte = pg->byte + c->off;
        size_t m = c->len, pi = 0, ti = 0, star = 0, mark = 0;
        bool have_star = false;

        while (ti < n) {
                if (pi < m && kind[pi] == PG_STAR) {
                        have_star = true;
                        star = pi++;
                        mark = ti;
                } else if (pi < m && (kind[pi] == PG_QMARK ||
                                      byte[pi] == (unsigned char)s[ti])) {
                        pi++;
                        ti++;
                } else if (have_star) {
                        pi = star + 1;
                        ti = ++mark;
                } else {
                        return false;
                }
        }
        while (pi < m && kind[pi] == PG_STAR)
                pi++;
        return pi == m;
}

/* The start of the path component after the one at s, or the terminating
 * NUL when s is the last. */
static const char *pg_next(const char *s)
{
        const char *e = strchrnul(s, '/');

        return *e ? e + 1 : e;
}

/* The same algorithm one level up: "**" is the star, a path component the
 * character. Each pattern component other than "**" matches exactly one
 * path component, which is what makes retrying from the last "**" alone
 * sufficient. O(pattern components x path components) component matches. */
bool pathglob_match(const struct pathglob *glob, const char *path)
{
        size_t pi = 0, star = 0, m = glob->ncomp;
        const char *s, *mark = NULL;
        bool have_star = false;

        if (!path || path[0] != '/')
                return false;
        s = path + 1;   /* "/" has no components: s is "" then */
        while (*s) {
                const struct pg_comp *c = pi < m ? &glob->comp[pi] : NULL;

                if (c && c->globstar) {
                        have_star = true;
                        star = pi++;
                        mark = s;
                } else if (c && pg_comp_match(glob, c, s, (size_t)(strchrnul(s, '/') - s))) {
                        pi++;
                        s = pg_next(s);
                } else if (have_star) {
                        pi = star + 1;
                        mark = pg_next(mark);
                        s = mark;
                } else {
                        return false;
                }
        }
        while (pi < m && glob->comp[pi].globstar)
                pi++;
        return pi == m;
}
