#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "encode.h"
#include "pathglob.h"
#include "profile.h"
#include "util.h"

/* Collects diagnostics as "LINE: message\n". */
static void collect(void *ctx, unsigned line, const char *msg)
{
        struct strbuf *sb = ctx;

        assert_int_equal(strbuf_printf(sb, "%u: %s\n", line, msg), 0);
}

static int parse(const char *text, struct strbuf *diags, struct profile **ret)
{
        return profile_parse(text, strlen(text), collect, diags, ret);
}

/* format(parse(text)), or fails the test. */
static char *reformat(const char *text, size_t len)
{
        struct strbuf diags = STRBUF_INIT, out = STRBUF_INIT;
        struct profile *p = NULL;
        int r = profile_parse(text, len, collect, &diags, &p);

        if (r != 0)
                fail_msg("parse failed (%d):\n%s--- input:\n%.*s", r,
                         diags.data ? diags.data : "", (int)len, text);
        assert_int_equal(profile_format(p, &out), 0);
        profile_free(p);
        strbuf_release(&diags);
        return strbuf_detach(&out);
}

static void test_profile_format_canonical(void **state)
{
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "", "" },
                { "; only a comment\n\n# another\n", "" },
                { "[exec]\n", "" },
                { "[read]\n", "[read]\n" },
                { "[profile]\nmode = learn\n", "[profile]\nmode = learn\n" },
                { "[connect]\nallow = tcp 10.1.2.3/8 5432\nallow = unix /run/nscd/socket\n"
                  "[profile]\nmode = enforce\nimage = X\n"
                  "[write]\nallow = /tmp/*\nallow = /dev/null\n"
                  "[exec]\nallow = /bin/sh\nallow = /bin/sh\nallow = /usr/bin/../bin/env\n"
                  "[write]\nallow = /var/cache/**\n",
                  "[profile]\nimage = X\nmode = enforce\n\n"
                  "[exec]\nallow = /bin/sh\nallow = /usr/bin/env\n\n"
                  "[write]\nallow = /dev/null\nallow = /tmp/*\nallow = /var/cache/**\n\n"
                  "[connect]\nallow = tcp 10.0.0.0/8 5432\nallow = unix /run/nscd/socket\n" },
                /* The example of DESIGN.md §6, inline comments included. */
                { "[profile]\n"
                  "image = docker.io/library/nginx@sha256:abc   ; what it was learned from\n"
                  "mode = enforce                                ; default mode\n\n"
                  "[exec]\nallow = /usr/sbin/nginx\nallow = /docker-entrypoint.sh\n\n"
                  "[read]                                        ; absent: reads unrestricted\n"
                  "allow = /etc/nginx/**\n",
                  "[profile]\nimage = docker.io/library/nginx@sha256:abc\nmode = enforce\n\n"
                  "[exec]\nallow = /docker-entrypoint.sh\nallow = /usr/sbin/nginx\n\n"
                  "[read]\nallow = /etc/nginx/**\n" },
                /* CRLF line endings, a byte order mark, blanks and tabs. */
                { "\xEF\xBB\xBF[exec]\r\nallow = /bin/a\r\n\r\n[write]\t ; c\r\nallow\t=\t/tmp/x \r\n",
                  "[exec]\nallow = /bin/a\n\n[write]\nallow = /tmp/x\n" },
                /* No newline at the end; a value with '=' and a ';' without a
                 * space before it (part of the value, then escaped). */
                { "[write]\nallow = /a=b\nallow = /c;d", "[write]\nallow = /a=b\nallow = /c%3Bd\n" },
                /* Raw bytes in values get their canonical encoding. */
                { "[write]\nallow = /with space\nallow = /%7e/%2a\n",
                  "[write]\nallow = /with%20space\nallow = /~/%2A\n" },
                { "[read]\n[read]\nallow = /etc/x\n", "[read]\nallow = /etc/x\n" },
                { "[profile]\nimage = a b#c=d\n", "[profile]\nimage = a b#c=d\n" },
                { "  \n\t\n  ; indented comment\n[exec]\nallow = /x\n", "[exec]\nallow = /x\n" },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                char *got = reformat(cases[i].in, strlen(cases[i].in));

                if (strcmp(got, cases[i].out) != 0)
                        fail_msg("case %zu:\n%s--- expected:\n%s", i, got, cases[i].out);
                free(got);
        }
}

static const char *long_line(char c, size_t n)
{
        static char buf[4][512];
        static unsigned which;
        char *b = buf[which++ % 4];

        assert_true(n < sizeof(buf[0]));
        memset(b, c, n);
        b[n] = '\0';
        return b;
}

static void test_profile_lint(void **state)
{
        char text[1024];
        static const struct {
                const char *in;
                const char *diags[4];   /* "LINE: substring", in order */
        } cases[] = {
                { "allow = /x\n[exec]\n", { "1: before any [section]" } },
                { "[exec]\n  allow = /x\n", { "2: indented line" } },
                { "[exec]\nallow = /x\n\tallow = /y\n", { "3: indented line" } },
                { "[exec]\nallow = /x\n /y\n", { "3: indented line" } },
                { "[bogus]\nallow = /x\nfoo = 1\n[exec]\nallow = /y\n",
                  { "1: unknown section [bogus]" } },
                { "[ exec ]\n", { "1: unknown section [ exec ]" } },
                { "[exec]\ndeny = /x\n", { "2: unknown key 'deny' in [exec]" } },
                { "[exec]\nAllow = /x\n", { "2: unknown key 'Allow' in [exec]" } },
                { "[profile]\ncolour = red\n", { "2: unknown key 'colour' in [profile]" } },
                { "[profile]\nmode = learn\n[profile]\nmode = learn\nimage = x\n",
                  { "3: duplicate [profile] section (first on line 1)" } },
                { "[profile]\nmode = learn\nmode = enforce\n",
                  { "3: repeated key 'mode' in [profile] (first on line 2)" } },
                { "[profile]\nimage = a\n\nimage = a\n",
                  { "4: repeated key 'image' in [profile] (first on line 2)" } },
                { "[profile]\nmode = bogus\nmode = learn\n",
                  { "2: bad mode 'bogus'", "3: repeated key 'mode'" } },
                { "[profile]\nimage =\n", { "2: bad image '': empty image" } },
                { "[profile]\nimage = \x7f\n", { "2: control character 0x7F" } },
                { "[profile]\nimage = x\xff\n", { "2: bad image 'x%FF': image is not valid UTF-8" } },
                { "[exec]\nallow =\n", { "2: empty value for 'allow' in [exec]" } },
                { "[exec]\nallow = relative\n", { "2: bad [exec] entry 'relative'" } },
                { "[write]\nallow = /a/**b\n", { "2: bad [write] entry '/a/**b': '**'" } },
                { "[read]\nallow = /a/%zz\n", { "2: bad [read] entry '/a/%zz': malformed escape" } },
                { "[connect]\nallow = tcp 1.2.3.4 99999\n",
                  { "2: bad [connect] entry 'tcp 1.2.3.4 99999': bad port" } },
                { "[connect]\nallow = icmp 1.2.3.4\n", { "2: unknown protocol" } },
                { "[exec]\njust words\n", { "2: expected 'key = value' or '[section]'" } },
                { "[exec]\nallow: /x\n", { "2: expected 'key = value'" } },
                { "[exec]\nallow ; = /x\n", { "2: expected 'key = value'" } },
                { "[exec]\n= /x\n", { "2: missing key before '='" } },
                { "[exec\nallow = /x\n", { "1: without closing ']'" } },
                { "[exec ;]\n", { "1: without closing ']'" } },
                { "[exec] junk\nallow = /x\n", { "1: unexpected text after ']'" } },
                { "[exec];c\n", { "1: unexpected text after ']'" } },
                { "[exec]\nallow = /x\0y\n[write]\n", { "2: NUL byte" } },
                { "[exec]\nallow = /x\x01\n", { "2: control character 0x01" } },
                { "[exec]\nallow = /x\ry\n", { "2: control character 0x0D" } },
                { "[exec]\nallow = /x\x0b\n", { "2: control character 0x0B" } },
                { "[exec]\r\nallow = /a\r\n\r\n  allow = /b\r\n", { "4: indented line" } },
                { "\xEF\xBB\xBF  [exec]\n", { "1: indented line" } },
                { "[exec]\n\xEF\xBB\xBF[write]\n", { "2: expected 'key = value'" } },
                { "[exec]\nallow = /a\nbad\n\tcont\n[x]\nallow = y\n[read]\nallow = z\n",
                  { "3: expected", "4: indented", "5: unknown section [x]", "8: bad [read] entry 'z'" } },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases) + 6; i++) {
                struct strbuf diags = STRBUF_INIT;
                struct profile *p = NULL;
                const char *in = NULL, *const *want = NULL;
                const char *extra[4] = { NULL };
                size_t len, k = 0;
                const char *at;
                int r;

                if (i < ARRAY_SIZE(cases)) {
                        in = cases[i].in;
                        want = cases[i].diags;
                        /* Tables of C strings cannot hold the NUL case's length. */
                        len = strlen(in);
                        if (strstr(want[0], "NUL"))
                                len += 1 + strlen(in + len + 1);
                } else {
                        /* Over-long lines and names, built at run time. */
                        switch (i - ARRAY_SIZE(cases)) {
                        case 0:
                                snprintf(text, sizeof(text), "[exec]\nallow = /%s\n",
                                         long_line('a', PROFILE_MAX_LINE - 8));
                                extra[0] = "2: line too long (199 bytes, limit 198)";
                                break;
                        case 1:
                                snprintf(text, sizeof(text), "[exec]\nallow = /%s\r\n[bad\n",
                                         long_line('a', 400));
                                extra[0] = "2: line too long (409 bytes, limit 198)";
                                extra[1] = "3: without closing ']'";
                                break;
                        case 2:
                                snprintf(text, sizeof(text), "[%s]\n", long_line('s', 50));
                                extra[0] = "1: section name too long";
                                break;
                        case 3:
                                snprintf(text, sizeof(text), "[exec]\n%s = /x\n", long_line('k', 50));
                                extra[0] = "2: key too long";
                                break;
                        case 4:
                                /* Fits on the line, but the canonical text
                                 * ("%20" for each blank) does not. */
                                snprintf(text, sizeof(text), "[exec]\nallow = /%sx\n",
                                         long_line('\t', 100));
                                extra[0] = "2: bad [exec] entry '/%09%09%09";
                                extra[1] = NULL;
                                break;
                        default:
                                /* Fits on the line only without blanks
                                 * around '=', as it would not be written. */
                                snprintf(text, sizeof(text), "[profile]\nimage=%s\n",
                                         long_line('i', 191));
                                extra[0] = "2: bad image 'iii";
                                break;
                        }
                        in = text;
                        len = strlen(in);
                        want = extra;
                }

                r = profile_parse(in, len, collect, &diags, &p);
                if (r != -EINVAL)
                        fail_msg("case %zu: parse returned %d, expected -EINVAL", i, r);
                assert_null(p);
                at = diags.data ? diags.data : "";
                for (k = 0; k < 4 && want[k]; k++) {
                        const char *nl = strchr(at, '\n');
                        size_t num = (size_t)(strchr(want[k], ':') - want[k]) + 2;
                        const char *sub = want[k] + num;

                        /* Each expected message is one line: the number
                         * matches exactly, the text by substring. */
                        if (!nl || strncmp(at, want[k], num) != 0 ||
                            !memmem(at + num, (size_t)(nl - at) - num, sub, strlen(sub)))
                                fail_msg("case %zu: expected '%s' as message %zu in:\n%s", i,
                                         want[k], k + 1, diags.data ? diags.data : "");
                        at = nl + 1;
                }
                if (*at)
                        fail_msg("case %zu: unexpected extra messages:\n%s", i, at);
                strbuf_release(&diags);
        }
}

/* The entry too long message names the limit; a tab survives the line
 * check (it is not a line ending) and is encoded. */
static void test_profile_add(void **state)
{
        struct profile *p = profile_new();
        char path[PROFILE_MAX_ENTRY + 2];
        const char *error = NULL;

        (void)state;
        assert_non_null(p);
        path[0] = '/';
        memset(path + 1, 'x', PROFILE_MAX_ENTRY - 1);
        path[PROFILE_MAX_ENTRY] = '\0';
        assert_int_equal(profile_add(p, PROFILE_EXEC, path, 7, &error), 0);
        path[PROFILE_MAX_ENTRY] = 'x';
        path[PROFILE_MAX_ENTRY + 1] = '\0';
        assert_int_equal(profile_add(p, PROFILE_EXEC, path, 8, &error), -EINVAL);
        assert_string_equal(error, "entry too long for one profile line (limit 190 bytes)");
        /* Duplicates are accepted and fold into one, keeping the first line. */
        assert_int_equal(profile_add(p, PROFILE_EXEC, "/b", 0, &error), 0);
        assert_int_equal(profile_add(p, PROFILE_EXEC, "/b/.", 9, &error), 0);
        assert_int_equal(profile_add(p, PROFILE_EXEC, "//b", 3, &error), 0);
        profile_canonicalize(p);
        assert_int_equal(p->lists[PROFILE_EXEC].n, 2);
        assert_string_equal(p->lists[PROFILE_EXEC].v[0].text, "/b");
        assert_int_equal(p->lists[PROFILE_EXEC].v[0].line, 3);
        assert_int_equal(p->lists[PROFILE_EXEC].v[1].line, 7);
        assert_int_equal(profile_add(p, PROFILE_CONNECT, "udp  ::1   53", 0, &error), 0);
        assert_int_equal(profile_add(p, PROFILE_CONNECT, "udp ::1", 0, &error), -EINVAL);
        assert_non_null(strstr(error, "missing field"));
        assert_string_equal(p->lists[PROFILE_CONNECT].v[0].text, "udp ::1 53");
        profile_free(p);
}

static void test_profile_image(void **state)
{
        static const struct {
                const char *image, *error;
        } cases[] = {
                { "docker.io/library/nginx@sha256:0123", NULL },
                { "registry:5000/a/b:tag", NULL },
                { "with inner space", NULL },
                { "caf\xc3\xa9", NULL },
                { "a;b", NULL },
                { "#hash", NULL },
                { "", "empty image" },
                { " x", "leading or trailing space" },
                { "x ", "leading or trailing space" },
                { "x ;y", "comment" },
                { ";y", "comment" },
                { "a\tb", "control character" },
                { "a\nb", "control character" },
                { "a\x7f", "control character" },
                { "\xc0\xaf", "UTF-8" },
        };
        struct profile *p = profile_new();

        (void)state;
        assert_non_null(p);
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                const char *error = NULL;
                int r = profile_set_image(p, cases[i].image, 0, &error);

                if (!cases[i].error) {
                        struct strbuf out = STRBUF_INIT;
                        char *again;

                        assert_int_equal(r, 0);
                        assert_int_equal(profile_format(p, &out), 0);
                        again = reformat(out.data, out.len);
                        assert_string_equal(again, out.data);
                        free(again);
                        strbuf_release(&out);
                        continue;
                }
                if (r != -EINVAL || !strstr(error, cases[i].error))
                        fail_msg("image '%s': %d '%s'", cases[i].image, r, error ? error : "");
        }
        assert_true(profile_set_image(p, long_line('x', 191), 0, NULL) == -EINVAL);
        assert_int_equal(profile_set_image(p, long_line('x', 190), 0, NULL), 0);
        profile_free(p);
}

static void test_profile_round_trip(void **state)
{
        static const char *const inputs[] = {
                ("[connect]\nallow = udp 2001:DB8::1/64 53\nallow = unix @a*b\n"
                 "allow = tcp 1.2.3.4/32 *\n[read]\n[profile]\nimage = i\n"),
                "[write]\nallow = /a/./b/../c\nallow = /x/%41\nallow = /%c3%a9\nallow = /%ff\n",
                "[exec]\nallow = /a/**\nallow = /a/*/?\n[read]\nallow = /\n",
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(inputs); i++) {
                char *once = reformat(inputs[i], strlen(inputs[i]));
                char *twice = reformat(once, strlen(once));

                assert_string_equal(once, twice);
                free(once);
                free(twice);
        }
}

/* Raw paths with bytes a profile line cannot carry come back unchanged. */
static void test_profile_odd_bytes(void **state)
{
        static const struct {
                const char *raw;
                size_t len;
        } paths[] = {
#define P(s) { s, sizeof(s) - 1 }
                P("/tmp/with space/and  two"),
                P("/tmp/semi;colon ;comment"),
                P("/tmp/#hash/%percent"),
                P("/tmp/star*and?q[x]"),
                P("/tmp/ctl\x01\x1f\x7f\t\r\n"),
                P("/tmp/bad\xff\xfe\xc0\xaf\xed\xa0\x80utf8"),
                P("/tmp/good-\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
                P("/tmp/ trailing "),
                P("/tmp/=equals=:colon"),
#undef P
        };
        struct profile *p = profile_new();
        struct strbuf text = STRBUF_INIT;
        struct profile *back = NULL;
        struct strbuf diags = STRBUF_INIT;

        (void)state;
        assert_non_null(p);
        for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
                struct strbuf enc = STRBUF_INIT;
                const char *error = NULL;

                assert_int_equal(encode_append(&enc, paths[i].raw, paths[i].len), 0);
                if (profile_add(p, PROFILE_WRITE, enc.data, 0, &error) != 0)
                        fail_msg("'%s': %s", enc.data, error);
                strbuf_release(&enc);
        }
        assert_int_equal(profile_format(p, &text), 0);
        assert_int_equal(profile_parse(text.data, text.len, collect, &diags, &back), 0);
        assert_int_equal(back->lists[PROFILE_WRITE].n, ARRAY_SIZE(paths));
        for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
                bool found = false;

                for (size_t k = 0; k < back->lists[PROFILE_WRITE].n && !found; k++) {
                        char *raw = NULL;
                        const char *t = back->lists[PROFILE_WRITE].v[k].text;

                        assert_true(pathglob_is_literal(t));
                        assert_int_equal(pathglob_literal_path(t, &raw), 0);
                        found = strlen(raw) == paths[i].len &&
                                memcmp(raw, paths[i].raw, paths[i].len) == 0;
                        free(raw);
                }
                if (!found)
                        fail_msg("path %zu did not survive:\n%s", i, text.data);
        }
        profile_free(back);
        profile_free(p);
        strbuf_release(&text);
        strbuf_release(&diags);
}

static struct profile *must_parse(const char *text)
{
        struct strbuf diags = STRBUF_INIT;
        struct profile *p = NULL;

        if (parse(text, &diags, &p) != 0)
                fail_msg("%s", diags.data ? diags.data : "?");
        strbuf_release(&diags);
        return p;
}

static char *format_str(struct profile *p)
{
        struct strbuf out = STRBUF_INIT;

        assert_int_equal(profile_format(p, &out), 0);
        return strbuf_detach(&out);
}

static void test_profile_merge_orders(void **state)
{
        static const char *const texts[3] = {
                "[profile]\nimage = img\n[exec]\nallow = /bin/a\nallow = /bin/c\n"
                "[connect]\nallow = tcp 10.0.0.0/8 1\n",
                "[profile]\nmode = monitor\n[exec]\nallow = /bin/b\nallow = /bin/a\n[read]\n",
                "[profile]\nimage = img\nmode = monitor\n[write]\nallow = /tmp/*\n"
                "[read]\nallow = /etc/**\n[connect]\nallow = unix @x\n",
        };
        static const int orders[6][3] = {
                { 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
        };
        const char *want = "[profile]\nimage = img\nmode = monitor\n\n"
                           "[exec]\nallow = /bin/a\nallow = /bin/b\nallow = /bin/c\n\n"
                           "[write]\nallow = /tmp/*\n\n"
                           "[read]\nallow = /etc/**\n\n"
                           "[connect]\nallow = tcp 10.0.0.0/8 1\nallow = unix @x\n";

        (void)state;
        for (size_t o = 0; o < ARRAY_SIZE(orders); o++) {
                struct profile *into = profile_new();
                char *got;

                assert_non_null(into);
                for (int k = 0; k < 3; k++) {
                        struct profile *from = must_parse(texts[orders[o][k]]);
                        const char *conflict = NULL;

                        assert_int_equal(profile_merge(into, from, &conflict), 0);
                        profile_free(from);
                }
                got = format_str(into);
                if (strcmp(got, want) != 0)
                        fail_msg("order %d%d%d:\n%s", orders[o][0], orders[o][1], orders[o][2], got);
                free(got);
                profile_free(into);
        }
}

static void test_profile_merge_conflict(void **state)
{
        static const struct {
                const char *a, *b, *conflict;
        } cases[] = {
                { "[profile]\nimage = one\n[exec]\nallow = /a\n",
                  "[profile]\nimage = two\n[exec]\nallow = /b\n[read]\n", "image" },
                { "[profile]\nmode = learn\n[exec]\nallow = /a\n",
                  "[profile]\nmode = enforce\nimage = i\n[exec]\nallow = /b\n", "mode" },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct profile *a = must_parse(cases[i].a), *b = must_parse(cases[i].b);
                const char *conflict = NULL;
                char *before = format_str(a), *after;

                assert_int_equal(profile_merge(a, b, &conflict), -EEXIST);
                assert_non_null(conflict);
                assert_string_equal(conflict, cases[i].conflict);
                after = format_str(a);
                assert_string_equal(before, after);
                free(before);
                free(after);
                profile_free(a);
                profile_free(b);
        }
}

static void test_profile_diff(void **state)
{
        static const struct {
                const char *old, *new, *out;
        } cases[] = {
                { "", "", "" },
                { "[exec]\nallow = /a\n[read]\n", "[read]\n[exec]\nallow = /./a\n", "" },
                { "[exec]\nallow = /a\nallow = /c\n", "[exec]\nallow = /b\nallow = /c\nallow = /d\n",
                  "[exec]\n- allow = /a\n+ allow = /b\n+ allow = /d\n" },
                { "[profile]\nimage = old\nmode = learn\n", "[profile]\nimage = new\n",
                  "[profile]\n- image = old\n+ image = new\n- mode = learn\n" },
                { "", "[profile]\nmode = enforce\n[read]\nallow = /etc/x\n",
                  "[profile]\n+ mode = enforce\n\n[read]\n+ (reads restricted)\n+ allow = /etc/x\n" },
                { "[read]\n[connect]\nallow = tcp 1.2.3.4 1\n", "[write]\nallow = /tmp/x\n",
                  "[write]\n+ allow = /tmp/x\n\n[read]\n- (reads restricted)\n\n"
                  "[connect]\n- allow = tcp 1.2.3.4 1\n" },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct profile *a = must_parse(cases[i].old), *b = must_parse(cases[i].new);
                struct strbuf out = STRBUF_INIT;
                int r = profile_diff(a, b, &out);

                assert_int_equal(r, *cases[i].out ? 1 : 0);
                assert_string_equal(out.data ? out.data : "", cases[i].out);
                strbuf_release(&out);
                profile_free(a);
                profile_free(b);
        }
}

static char *read_all(const char *path)
{
        FILE *f = fopen(path, "re");
        char *buf = calloc(1, 4096);
        size_t n;

        assert_non_null(f);
        assert_non_null(buf);
        n = fread(buf, 1, 4095, f);
        buf[n] = '\0';
        fclose(f);
        return buf;
}

static size_t count_dir(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        assert_non_null(d);
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

static void test_profile_save_load(void **state)
{
        char dir[] = "/tmp/test_profile.XXXXXX";
        char path[256], sub[256], big[256];
        const char *text = "[write]\nallow = /b\nallow = /a\n[profile]\nmode = learn\n";
        const char *want = "[profile]\nmode = learn\n\n[write]\nallow = /a\nallow = /b\n";
        struct profile *p, *q = NULL;
        struct stat st;
        char *got;
        int fd;

        (void)state;
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/app.ini", dir);
        p = must_parse(text);
        assert_int_equal(profile_save_atomic(p, path), 0);
        got = read_all(path);
        assert_string_equal(got, want);
        free(got);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);
        assert_int_equal(count_dir(dir), 1);

        /* Replacing an existing file, and loading it back. */
        assert_int_equal(profile_add(p, PROFILE_EXEC, "/bin/x", 0, NULL), 0);
        assert_int_equal(profile_save_atomic(p, path), 0);
        assert_int_equal(count_dir(dir), 1);
        assert_int_equal(profile_load(path, NULL, NULL, &q), 0);
        got = format_str(q);
        assert_non_null(strstr(got, "[exec]\nallow = /bin/x\n"));
        free(got);
        profile_free(q);

        /* Failure leaves no temporary file behind. */
        snprintf(sub, sizeof(sub), "%s/missing/app.ini", dir);
        assert_int_equal(profile_save_atomic(p, sub), -ENOENT);
        snprintf(sub, sizeof(sub), "%s/adir", dir);
        assert_int_equal(mkdir(sub, 0755), 0);
        assert_true(profile_save_atomic(p, sub) < 0);
        assert_int_equal(count_dir(dir), 2);

        /* Loading what is not a readable regular profile. */
        q = NULL;
        assert_int_equal(profile_load(sub, NULL, NULL, &q), -EISDIR);
        snprintf(sub, sizeof(sub), "%s/nothing.ini", dir);
        assert_int_equal(profile_load(sub, NULL, NULL, &q), -ENOENT);
        assert_int_equal(profile_load("/dev/null", NULL, NULL, &q), -EINVAL);
        snprintf(big, sizeof(big), "%s/big.ini", dir);
        fd = open(big, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, (off_t)PROFILE_MAX_FILE_BYTES + 1), 0);
        close(fd);
        assert_int_equal(profile_load(big, NULL, NULL, &q), -EFBIG);
        assert_null(q);

        /* A broken file reports through diag and returns -EINVAL. */
        fd = open(big, O_WRONLY | O_TRUNC | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "[exec]\nallow = x\n", 17), 17);
        close(fd);
        {
                struct strbuf diags = STRBUF_INIT;

                assert_int_equal(profile_load(big, collect, &diags, &q), -EINVAL);
                assert_non_null(diags.data);
                assert_int_equal(strncmp(diags.data, "2: ", 3), 0);
                strbuf_release(&diags);
        }

        unlink(big);
        unlink(path);
        snprintf(sub, sizeof(sub), "%s/adir", dir);
        rmdir(sub);
        rmdir(dir);
        profile_free(p);
}

static void test_profile_names(void **state)
{
        (void)state;
        for (int c = 0; c < PROFILE_NCLASSES; c++)
                assert_int_equal(profile_class_from_name(profile_class_name(c)), c);
        assert_int_equal(profile_class_from_name("profile"), -EINVAL);
        assert_int_equal(profile_mode_from_name("learn"), PROFILE_MODE_LEARN);
        assert_int_equal(profile_mode_from_name("monitor"), PROFILE_MODE_MONITOR);
        assert_int_equal(profile_mode_from_name("enforce"), PROFILE_MODE_ENFORCE);
        assert_int_equal(profile_mode_from_name("unset"), -EINVAL);
        assert_int_equal(profile_mode_from_name("Enforce"), -EINVAL);
        assert_string_equal(profile_mode_name(PROFILE_MODE_UNSET), "unset");
        assert_null(profile_free(NULL));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_profile_format_canonical),
                cmocka_unit_test(test_profile_lint),
                cmocka_unit_test(test_profile_add),
                cmocka_unit_test(test_profile_image),
                cmocka_unit_test(test_profile_round_trip),
                cmocka_unit_test(test_profile_odd_bytes),
                cmocka_unit_test(test_profile_merge_orders),
                cmocka_unit_test(test_profile_merge_conflict),
                cmocka_unit_test(test_profile_diff),
                cmocka_unit_test(test_profile_save_load),
                cmocka_unit_test(test_profile_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
