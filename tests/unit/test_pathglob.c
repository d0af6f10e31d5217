#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "path.h"
#include "pathglob.h"
#include "strbuf.h"
#include "util.h"

/* pattern text -> canonical text, or NULL when it must be refused */
static const struct {
        const char *in, *out;
} canon_table[] = {
        { "/", "/" },
        { "/usr/bin/ls", "/usr/bin/ls" },
        { "//usr///bin/", "/usr/bin" },
        { "/./a/.", "/a" },
        { "/..", "/" },
        { "/../..", "/" },
        { "/../a", "/a" },
        { "/a/b/../c", "/a/c" },
        { "/a*/b/..", "/a*" },          /* ".." removes a literal component */
        { "/a/.*/b", "/a/.*/b" },
        { "/a/..b/...", "/a/..b/..." },
        { "/%2a", "/%2A" },
        { "/%2A", "/%2A" },
        { "/%3f%3F", "/%3F%3F" },
        { "/%41", "/A" },
        { "/%7e%7E", "/~~" },
        { "/%25", "/%25" },
        { "/%2E", "/" },                /* a decoded "." is still "." */
        { "/a/%2E%2e", "/" },
        { "/a%20b", "/a%20b" },
        { "/a b", "/a%20b" },           /* raw bytes are accepted, written canonically */
        { "/;#", "/%3B%23" },
        { "/\t", "/%09" },
        { "/\xff", "/%FF" },
        { "/%ff", "/%FF" },
        { "/%c3%a9", "/\xc3\xa9" },
        { "/\xc3\xa9", "/\xc3\xa9" },
        { "/\xc3*\xa9", "/%C3*%A9" },   /* a wildcard splits the sequence */
        { "/%ed%a0%80", "/%ED%A0%80" },
        { "/**", "/**" },
        { "/usr/**/", "/usr/**" },
        { "/**/**", "/**/**" },
        { "/*%2A*", "/*%2A*" },
        { "/%2A%2A", "/%2A%2A" },       /* two literal stars, not a globstar */
        { "/*?*", "/*?*" },
        { "/a/*/../b", NULL },          /* ".." after a wildcard */
        { "/a/?/..", NULL },
        { "/a/**/..", NULL },
        { "/a/**/b/../..", NULL },
        { "/a**", NULL },
        { "/**b", NULL },
        { "/***", NULL },
        { "/a/**x/b", NULL },
        { "/a/x**/b", NULL },
        { "/a**b", NULL },
        { "%", NULL },
        { "/%", NULL },
        { "/%4", NULL },
        { "/%G1", NULL },
        { "/%1G", NULL },
        { "/a%", NULL },
        { "/%00", NULL },
        { "/%2F", NULL },
        { "/%2f", NULL },
        { "", NULL },
        { "relative", NULL },
        { "a/b", NULL },
        { "./a", NULL },
        { "*/a", NULL },
        { "**", NULL },
        { "%2Fa", NULL },               /* an escaped '/' does not make it absolute */
};

static void test_pathglob_canonicalize_table(void **state)
{
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(canon_table); i++) {
                char sentinel[] = "untouched", *out = sentinel;
                const char *error = NULL;
                int r = pathglob_canonicalize(canon_table[i].in, &out, &error);

                if (!canon_table[i].out) {
                        if (r != -EINVAL)
                                fail_msg("\"%s\": got %d, want -EINVAL", canon_table[i].in, r);
                        assert_ptr_equal(out, sentinel);
                        assert_non_null(error);
                        continue;
                }
                if (r != 0)
                        fail_msg("\"%s\": got %d (%s)", canon_table[i].in, r, error);
                if (strcmp(out, canon_table[i].out) != 0)
                        fail_msg("\"%s\": got \"%s\", want \"%s\"", canon_table[i].in, out,
                                 canon_table[i].out);
                free(out);
        }
}

/* Patterns are bounded by their decoded length, like paths. */
static void test_pathglob_canonicalize_length_limit(void **state)
{
        struct strbuf sb = STRBUF_INIT;
        char *out = NULL;

        (void)state;
        assert_int_equal(strbuf_putc(&sb, '/'), 0);
        for (int i = 1; i < PATH_MAX_BYTES; i++)
                assert_int_equal(strbuf_puts(&sb, "%41"), 0);
        assert_int_equal(pathglob_canonicalize(sb.data, &out, NULL), 0);
        assert_int_equal(strlen(out), PATH_MAX_BYTES);
        free(out);
        out = NULL;
        assert_int_equal(strbuf_putc(&sb, 'A'), 0);
        assert_int_equal(pathglob_canonicalize(sb.data, &out, NULL), -EINVAL);
        assert_null(out);
        /* Refused on the text, even though it would normalise to "/". */
        strbuf_reset(&sb);
        for (int i = 0; i < PATH_MAX_BYTES; i++)
                assert_int_equal(strbuf_puts(&sb, "/."), 0);
        assert_int_equal(pathglob_canonicalize(sb.data, &out, NULL), -EINVAL);
        assert_null(out);
        strbuf_release(&sb);
}

static const char *const idempotent_inputs[] = {
        "/", "//a//b//", "/a/./b/../c", "/%2a%3f*?", "/\xc3*\xa9", "/a b;c#d",
        "/**/x/**", "/%c3%a9%ff", "/x/%2E%2E/y", "/\x7f\x01", "/%25%2525",
};

static void check_idempotent(const char *in)
{
        char *once = NULL, *twice = NULL;

        if (pathglob_canonicalize(in, &once, NULL) < 0)
                return;
        assert_int_equal(pathglob_canonicalize(once, &twice, NULL), 0);
        if (strcmp(once, twice) != 0)
                fail_msg("\"%s\": \"%s\" then \"%s\"", in, once, twice);
        free(once);
        free(twice);
}

static void test_pathglob_canonicalize_idempotent(void **state)
{
        static const char alphabet[] = "/*?a.%2AF3e \xc3\xa9\xff;";
        unsigned seed = 12345;

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(idempotent_inputs); i++)
                check_idempotent(idempotent_inputs[i]);
        for (int i = 0; i < 20000; i++) {
                char in[24];
                size_t n = 1 + (size_t)rand_r(&seed) % (sizeof(in) - 2);

                in[0] = '/';
                for (size_t k = 1; k < n; k++)
                        in[k] = alphabet[(size_t)rand_r(&seed) % (sizeof(alphabet) - 1)];
                in[n] = '\0';
                check_idempotent(in);
        }
}

/* Any raw component (no NUL, no '/', not "." or "..") survives encode ->
 * canonicalize -> literal_path, and its encoding is already canonical. */
static void test_pathglob_odd_bytes_round_trip(void **state)
{
        static const unsigned char interesting[] = {
                0x01, ' ', '%', '*', '?', ';', '#', '.', 0x7f, 0x80, 0xbf, 0xc0,
                0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xed, 0xa0, 0xf0, 0x9f, 0xf4, 0x90, 0xff,
        };
        unsigned seed = 4242;

        (void)state;
        for (int i = 0; i < 20000; i++) {
                char raw[40], path[42];
                struct strbuf sb = STRBUF_INIT;
                size_t n = 1 + (size_t)rand_r(&seed) % 30;
                char *canonical = NULL, *back = NULL;

                for (size_t k = 0; k < n; k++) {
                        unsigned v = (unsigned)rand_r(&seed);

                        raw[k] = (char)(v % 2 ? interesting[(v >> 1) % sizeof(interesting)]
                                              : 1 + (v >> 1) % 255);
                        if (raw[k] == '/')
                                raw[k] = 'x';
                }
                raw[n] = '\0';
                if (strcmp(raw, ".") == 0 || strcmp(raw, "..") == 0)
                        continue;
                assert_int_equal(strbuf_putc(&sb, '/'), 0);
                assert_int_equal(encode_append(&sb, raw, n), 0);
                assert_int_equal(pathglob_canonicalize(sb.data, &canonical, NULL), 0);
                assert_string_equal(canonical, sb.data);
                assert_true(pathglob_is_literal(canonical));
                assert_int_equal(pathglob_literal_path(canonical, &back), 0);
                path[0] = '/';
                memcpy(path + 1, raw, n + 1);
                assert_string_equal(back, path);
                free(canonical);
                free(back);
                strbuf_release(&sb);
        }
}

static const struct {
        const char *text;
        bool literal;
        const char *path;       /* literal_path, NULL if -EINVAL */
} literal_table[] = {
        { "/", true, "/" },
        { "/usr/bin/ls", true, "/usr/bin/ls" },
        { "/a%20b", true, "/a b" },
        { "/%2A%3F", true, "/*?" },
        { "/%25", true, "/%" },
        { "/caf%C3%A9", true, "/caf\xc3\xa9" },
        { "/a*", false, NULL },
        { "/a?", false, NULL },
        { "/**", false, NULL },
        { "/x/**/y", false, NULL },
};

static void test_pathglob_literal_table(void **state)
{
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(literal_table); i++) {
                char *path = NULL;
                int r = pathglob_literal_path(literal_table[i].text, &path);

                assert_int_equal(pathglob_is_literal(literal_table[i].text),
                                 literal_table[i].literal);
                if (!literal_table[i].path) {
                        assert_int_equal(r, -EINVAL);
                        assert_null(path);
                        continue;
                }
                assert_int_equal(r, 0);
                assert_string_equal(path, literal_table[i].path);
                free(path);
        }
}

/* pattern, raw normalised path, expected */
static const struct {
        const char *pattern, *path;
        bool match;
} match_table[] = {
        { "/", "/", true },
        { "/", "/a", false },
        { "/**", "/", true },
        { "/**", "/a", true },
        { "/**", "/a/b/c", true },
        { "/usr/**", "/usr", true },
        { "/usr/**", "/usr/bin", true },
        { "/usr/**", "/usr/a/b/c", true },
        { "/usr/**", "/usrx", false },
        { "/usr/**", "/", false },
        { "/usr/**", "/us", false },
        { "/a/**/b", "/a/b", true },
        { "/a/**/b", "/a/x/b", true },
        { "/a/**/b", "/a/x/y/b", true },
        { "/a/**/b", "/a/b/b", true },
        { "/a/**/b", "/a/xb", false },
        { "/a/**/b", "/a/b/c", false },
        { "/a/**/b", "/a", false },
        { "/**/a", "/a", true },
        { "/**/a", "/x/y/a", true },
        { "/**/a", "/x/ab", false },
        { "/**/**", "/", true },
        { "/a/**/**/b", "/a/b", true },
        { "/a/**/b/**/c", "/a/b/c", true },
        { "/a/**/b/**/c", "/a/x/b/y/z/c", true },
        { "/a/**/b/**/c", "/a/c", false },
        { "/a/**/b/**/c", "/a/b/c/d", false },
        { "/**/*.so", "/libc.so", true },
        { "/**/*.so", "/lib/x86/libc.so", true },
        { "/**/*.so", "/lib/libc.sox", false },
        { "/tmp/*", "/tmp/x", true },
        { "/tmp/*", "/tmp", false },
        { "/tmp/*", "/tmp/x/y", false },        /* '*' does not cross '/' */
        { "/a*b", "/ab", true },
        { "/a*b", "/axyzb", true },
        { "/a*b", "/a/b", false },
        { "/a*b", "/axb/c", false },
        { "/*/b", "/a/b", true },
        { "/*/b", "/b", false },
        { "/*", "/", false },
        { "/*a*a*b", "/xaayaab", true },
        { "/*a*a*b", "/xaayaa", false },
        { "/?", "/a", true },
        { "/?", "/\xff", true },
        { "/?", "/", false },
        { "/?", "/ab", false },
        { "/a?c", "/abc", true },
        { "/a?c", "/a/c", false },
        { "/a?c", "/ac", false },
        { "/%2A", "/*", true },                 /* escaped wildcards are literal */
        { "/%2A", "/a", false },
        { "/%3F", "/?", true },
        { "/%3F", "/a", false },
        { "/x*%2A", "/xy*", true },
        { "/x*%2A", "/xy", false },
        { "/a%20b", "/a b", true },
        { "/caf%C3%A9", "/caf\xc3\xa9", true },
        { "/%FF*", "/\xff\xfe", true },
        { "/usr/bin/ls", "/usr/bin/ls", true },
        { "/usr/bin/ls", "/usr/bin/lsx", false },
        { "/usr/bin/ls", "/usr/bin", false },
        { "/usr/bin/ls", "usr/bin/ls", false },  /* relative paths never match */
        { "/**", "relative", false },
        { "//a/./b/", "/a/b", true },           /* compile accepts any valid text */
};

static void test_pathglob_match_table(void **state)
{
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(match_table); i++) {
                struct pathglob *g = NULL;

                if (pathglob_compile(match_table[i].pattern, &g) != 0)
                        fail_msg("\"%s\" does not compile", match_table[i].pattern);
                if (pathglob_match(g, match_table[i].path) != match_table[i].match)
                        fail_msg("\"%s\" vs \"%s\": want %d", match_table[i].pattern,
                                 match_table[i].path, match_table[i].match);
                assert_null(pathglob_free(g));
        }
        assert_null(pathglob_free(NULL));
}

static void test_pathglob_compile_refuses(void **state)
{
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(canon_table); i++) {
                struct pathglob *g = NULL;
                int r = pathglob_compile(canon_table[i].in, &g);

                if (canon_table[i].out) {
                        assert_int_equal(r, 0);
                        pathglob_free(g);
                } else {
                        assert_int_equal(r, -EINVAL);
                        assert_null(g);
                }
        }
}

/* A naive exponential matcher, obviously right, for short inputs: the
 * compiled matcher must agree with it on random patterns and paths. */
static bool ref_comp(const char *p, const char *s)
{
        if (*p == '*')
                return ref_comp(p + 1, s) || (*s && ref_comp(p, s + 1));
        if (!*p || !*s)
                return !*p && !*s;
        return (*p == '?' || *p == *s) && ref_comp(p + 1, s + 1);
}

static bool ref_path(char pc[][8], size_t np, char sc[][8], size_t ns)
{
        if (np > 0 && strcmp(pc[0], "**") == 0)
                return ref_path(pc + 1, np - 1, sc, ns) ||
                       (ns > 0 && ref_path(pc, np, sc + 1, ns - 1));
        if (np == 0 || ns == 0)
                return np == 0 && ns == 0;
        return ref_comp(pc[0], sc[0]) && ref_path(pc + 1, np - 1, sc + 1, ns - 1);
}

static size_t random_components(unsigned *seed, char comp[][8], const char *alphabet,
                                bool globstars)
{
        size_t n = (size_t)rand_r(seed) % 6;

        for (size_t c = 0; c < n; c++) {
                size_t len = 1 + (size_t)rand_r(seed) % 5;

                if (globstars && rand_r(seed) % 4 == 0) {
                        strcpy(comp[c], "**");
                        continue;
                }
                for (size_t k = 0; k < len; k++) {
                        comp[c][k] = alphabet[(size_t)rand_r(seed) % strlen(alphabet)];
                        if (k > 0 && comp[c][k] == '*' && comp[c][k - 1] == '*')
                                comp[c][k] = 'a';
                }
                comp[c][len] = '\0';
        }
        return n;
}

static void join_components(char *out, char comp[][8], size_t n)
{
        strcpy(out, n ? "" : "/");
        for (size_t c = 0; c < n; c++) {
                strcat(out, "/");
                strcat(out, comp[c]);
        }
}

static void test_pathglob_match_agrees_with_reference(void **state)
{
        unsigned seed = 777;

        (void)state;
        for (int i = 0; i < 50000; i++) {
                char pc[6][8], sc[6][8], pattern[64], path[64];
                size_t np = random_components(&seed, pc, "ab*?", true);
                size_t ns = random_components(&seed, sc, "ab", false);
                struct pathglob *g = NULL;

                join_components(pattern, pc, np);
                join_components(path, sc, ns);
                assert_int_equal(pathglob_compile(pattern, &g), 0);
                if (pathglob_match(g, path) != ref_path(pc, np, sc, ns))
                        fail_msg("\"%s\" vs \"%s\": want %d", pattern, path,
                                 ref_path(pc, np, sc, ns));
                pathglob_free(g);
        }
}

/* Patterns that make naive recursive matchers exponential; the expected
 * results are asserted, and the test finishes only if matching is
 * polynomial. */
static void test_pathglob_match_pathological(void **state)
{
        struct strbuf pat = STRBUF_INIT, path = STRBUF_INIT;
        struct pathglob *g = NULL;

        (void)state;
        /* Many components of 'a's; the pattern needs a final 'b'. */
        for (int i = 0; i < 190; i++)
                assert_int_equal(strbuf_puts(&path, "/aaaaaaaaaaaaaaaaaaaa"), 0);
        assert_int_equal(pathglob_compile("/**/**/**/a*a*a*a*b", &g), 0);
        assert_false(pathglob_match(g, path.data));
        g = pathglob_free(g);
        assert_int_equal(pathglob_compile("/**/**/**/a*a*a*a*a", &g), 0);
        assert_true(pathglob_match(g, path.data));
        g = pathglob_free(g);
        assert_int_equal(pathglob_compile("/**/a*a*a*a*/**/a*a*a*a*/**/b", &g), 0);
        assert_false(pathglob_match(g, path.data));
        g = pathglob_free(g);

        /* One long component against a pattern of ~1000 "a*". */
        strbuf_reset(&path);
        assert_int_equal(strbuf_putc(&path, '/'), 0);
        for (int i = 0; i < 3000; i++)
                assert_int_equal(strbuf_putc(&path, 'a'), 0);
        assert_int_equal(strbuf_putc(&pat, '/'), 0);
        for (int i = 0; i < 1000; i++)
                assert_int_equal(strbuf_puts(&pat, "a*"), 0);
        assert_int_equal(strbuf_putc(&pat, 'b'), 0);
        assert_int_equal(pathglob_compile(pat.data, &g), 0);
        assert_false(pathglob_match(g, path.data));
        g = pathglob_free(g);
        pat.data[pat.len - 1] = 'a';
        assert_int_equal(pathglob_compile(pat.data, &g), 0);
        assert_true(pathglob_match(g, path.data));
        g = pathglob_free(g);

        strbuf_release(&pat);
        strbuf_release(&path);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pathglob_canonicalize_table),
                cmocka_unit_test(test_pathglob_canonicalize_length_limit),
                cmocka_unit_test(test_pathglob_canonicalize_idempotent),
                cmocka_unit_test(test_pathglob_odd_bytes_round_trip),
                cmocka_unit_test(test_pathglob_literal_table),
                cmocka_unit_test(test_pathglob_match_table),
                cmocka_unit_test(test_pathglob_compile_refuses),
                cmocka_unit_test(test_pathglob_match_agrees_with_reference),
                cmocka_unit_test(test_pathglob_match_pathological),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
