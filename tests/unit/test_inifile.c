#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inifile.h"
#include "readall.h"
#include "strbuf.h"
#include "tmpdir_fixture.h"
#include "util.h"

/* What a parse did, in order, one line each:
 *   "L [name]"             a section header
 *   "L section|key=value"  a pair ("-" for no section yet)
 *   "L: message"           a problem (diag)
 * The handler refuses a section named "bad" (reported), returns -EINVAL
 * without a report for a key named "reject", reports a key named "warn"
 * but returns 0, and fails with -ENOMEM on a key named "oom". */
static void record_problem(void *ctx, unsigned line, const char *msg)
{
        struct strbuf *log = ctx;

        assert_int_equal(strbuf_printf(log, "%u: %s\n", line, msg), 0);
}

static int record(void *ctx, struct inifile *ini, unsigned line, const char *section,
                  const char *key, const char *value)
{
        struct strbuf *log = ctx;

        if (!key) {
                assert_non_null(section);
                assert_null(value);
                assert_int_equal(strbuf_printf(log, "%u [%s]\n", line, section), 0);
                if (strcmp(section, "bad") == 0)
                        return inifile_report(ini, "refused [%s]", section);
                return 0;
        }
        assert_non_null(value);
        assert_int_equal(strbuf_printf(log, "%u %s|%s=%s\n", line, section ? section : "-", key,
                                       value),
                         0);
        if (strcmp(key, "reject") == 0)
                return -EINVAL;
        if (strcmp(key, "warn") == 0)
                assert_int_equal(inifile_report(ini, "warned about %s", key), -EINVAL);
        if (strcmp(key, "oom") == 0)
                return -ENOMEM;
        return 0;
}

/* Handler and diag share one log here, so the order shows. */
static int parse(const char *text, size_t len, size_t max_line, unsigned flags,
                 struct strbuf *log)
{
        return inifile_parse(text, len, max_line, flags, record, log, record_problem, log);
}

#define T(s) s, sizeof(s) - 1
#define K10 "kkkkkkkkkk"
#define K49 K10 K10 K10 K10 "kkkkkkkkk"
#define S60 "ssssssssss" "ssssssssss" "ssssssssss" "ssssssssss" "ssssssssss" "ssssssssss"
#define INDENTED ": indented line (continuation lines are not allowed; remove the leading white space)"
#define NOT_PAIR ": expected 'key = value' or '[section]'"
#define CONTROL(x) ": control character 0x" x " in line"
#define NO_CLOSE ": section header without closing ']'"
#define AFTER ": unexpected text after ']' (only ' ; comment' may follow)"

static const struct {
        const char *text;
        size_t len;
        size_t max_line;        /* 0: 198, the profiles' limit */
        unsigned flags;
        int r;
        const char *log;
} parse_cases[] = {
        /* Plain reading, line endings, byte order marks. */
        { T(""), 0, 0, 0, "" },
        { T("\n\n"), 0, 0, 0, "" },
        { T("[s]\nk = v\n"), 0, 0, 0, "1 [s]\n2 s|k=v\n" },
        { T("[s]\nk = v"), 0, 0, 0, "1 [s]\n2 s|k=v\n" },
        { T("[s]\r\nk = v\r\n"), 0, 0, 0, "1 [s]\n2 s|k=v\n" },
        { T("[s]\nk = v\rw\n"), 0, 0, -EINVAL, "1 [s]\n2" CONTROL("0D") "\n" },
        { T("[s]\nk = v\r"), 0, 0, -EINVAL, "1 [s]\n2" CONTROL("0D") "\n" },
        { T("[s]\r\n\r\n  k = v\r\n"), 0, 0, -EINVAL, "1 [s]\n3" INDENTED "\n" },
        { T("\xEF\xBB\xBF[s]\nk = v\n"), 0, 0, 0, "1 [s]\n2 s|k=v\n" },
        { T("\xEF\xBB\xBF"), 0, 0, 0, "" },
        { T("\xEF\xBB\xBF  [s]\n"), 0, 0, -EINVAL, "1" INDENTED "\n" },
        { T("[s]\n\xEF\xBB\xBF[t]\n"), 0, 0, -EINVAL, "1 [s]\n2" NOT_PAIR "\n" },
        /* The byte order mark does not count in the first line's length. */
        { T("\xEF\xBB\xBFk = 123456\n"), 10, 0, 0, "1 -|k=123456\n" },
        /* Lengths: the limit counts the line without its ending. */
        { T("[s]\nk = 123456\r\nk = 1234567\nj = 1\n"), 10, 0, -EINVAL,
          "1 [s]\n2 s|k=123456\n3: line too long (11 bytes, limit 10); it was not read\n"
          "4 s|j=1\n" },
        { T("; 34567890123\n"), 10, 0, -EINVAL,
          "1: line too long (13 bytes, limit 10); it was not read\n" },
        /* Bytes inih would not read as written. */
        { T("[s]\nk = a\0b\nj = c\n"), 0, 0, -EINVAL, "1 [s]\n2: NUL byte in line\n3 s|j=c\n" },
        { T("\0"), 0, 0, -EINVAL, "1: NUL byte in line\n" },
        { T("[s]\nk = /x\x01\n"), 0, 0, -EINVAL, "1 [s]\n2" CONTROL("01") "\n" },
        { T("[s]\nk = \x7f\n"), 0, 0, -EINVAL, "1 [s]\n2" CONTROL("7F") "\n" },
        { T("[s]\nk = \x1f\n"), 0, INIFILE_HINT_PERCENT, -EINVAL,
          "1 [s]\n2" CONTROL("1F") " (in a path, write it as %1F)\n" },
        { T("[s]\nk = a\tb\nu = \xc3\xa9\n"), 0, 0, 0, "1 [s]\n2 s|k=a\tb\n3 s|u=\xc3\xa9\n" },
        /* Indented lines would continue the value before them. */
        { T("[s]\nk = v\n  w\n\tk = x\n"), 0, 0, -EINVAL,
          "1 [s]\n2 s|k=v\n3" INDENTED "\n4" INDENTED "\n" },
        /* Comments, blank lines, inline comments. */
        { T("; c\n# c\n[s] ; c\nk = v ; c\nj = a;b\n   \n\t; c\n#[t]\n"), 0, 0, 0,
          "3 [s]\n4 s|k=v\n5 s|j=a;b\n" },
        { T("[s]\nk =\nk=v\nk = a = b\n"), 0, 0, 0, "1 [s]\n2 s|k=\n3 s|k=v\n4 s|k=a = b\n" },
        /* Section headers. */
        { T("[s\nk = v\n"), 0, 0, -EINVAL, "1" NO_CLOSE "\n" },
        { T("[s ;]\n"), 0, 0, -EINVAL, "1" NO_CLOSE "\n" },
        { T("[s] x\n"), 0, 0, -EINVAL, "1" AFTER "\n" },
        { T("[s];c\n"), 0, 0, -EINVAL, "1" AFTER "\n" },
        { T("[s]\t; c\n[]\n[ t ]\n"), 0, 0, 0, "1 [s]\n2 []\n3 [ t ]\n" },
        { T("[" S60 "]\nk = v\n"), 0, 0, 0, "1 [" S60 "]\n2 " S60 "|k=v\n" },
        /* Keys under a bad or refused header go nowhere; the next header
         * starts over. */
        { T("[s]\nk = 1\n[t\nk = 2\n[u]\nk = 3\n"), 0, 0, -EINVAL,
          "1 [s]\n2 s|k=1\n3" NO_CLOSE "\n5 [u]\n6 u|k=3\n" },
        { T("[bad]\nk = 1\n  x\n[s]\nk = 2\n"), 0, 0, -EINVAL,
          "1 [bad]\n1: refused [bad]\n3" INDENTED "\n4 [s]\n5 s|k=2\n" },
        { T("k = v\n[s]\n"), 0, 0, 0, "1 -|k=v\n2 [s]\n" },
        /* Pairs. */
        { T("[s]\nk: v\nwords\n= v\n  = v\nk ; = v\n"), 0, 0, -EINVAL,
          "1 [s]\n2" NOT_PAIR "\n3" NOT_PAIR "\n4: missing key before '='\n"
          "5" INDENTED "\n6" NOT_PAIR "\n" },
        { T("[s]\n" K49 " = 1\n" K49 "k = 2\n" K49 "\t= 3\n"), 0, 0, -EINVAL,
          "1 [s]\n2 s|" K49 "=1\n3: key too long (limit 49 bytes)\n4 s|" K49 "=3\n" },
        /* The handler's problems count, reported or not; its other errors
         * end the parse. */
        { T("[s]\nreject = 1\nk = 2\n"), 0, 0, -EINVAL, "1 [s]\n2 s|reject=1\n3 s|k=2\n" },
        { T("[s]\nwarn = 1\nk = 2\n"), 0, 0, -EINVAL,
          "1 [s]\n2 s|warn=1\n2: warned about warn\n3 s|k=2\n" },
        { T("[s]\noom = 1\n  bad\nk = 2\n"), 0, 0, -ENOMEM, "1 [s]\n2 s|oom=1\n" },
};

static void test_inifile_parse_table(void **state)
{
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(parse_cases); i++) {
                struct strbuf log = STRBUF_INIT;
                size_t max = parse_cases[i].max_line ? parse_cases[i].max_line : 198;
                int r;

                r = parse(parse_cases[i].text, parse_cases[i].len, max, parse_cases[i].flags,
                          &log);
                if (r != parse_cases[i].r || strcmp(log.data ? log.data : "", parse_cases[i].log))
                        fail_msg("case %zu: %d (expected %d), log:\n%s--- expected:\n%s", i, r,
                                 parse_cases[i].r, log.data ? log.data : "", parse_cases[i].log);
                /* Without a diag callback, the result is the same. */
                strbuf_reset(&log);
                assert_int_equal(inifile_parse(parse_cases[i].text, parse_cases[i].len, max,
                                               parse_cases[i].flags, record, &log, NULL, NULL),
                                 parse_cases[i].r);
                strbuf_release(&log);
        }
}

/* The text need not be NUL-terminated: nothing past len is read. */
static void test_inifile_parse_bounded(void **state)
{
        static const char text[] = "[s]\nk = v\nj = w\n";
        struct strbuf log = STRBUF_INIT;
        char *copy;

        (void)state;
        copy = malloc(12);
        assert_non_null(copy);
        memcpy(copy, text, 12);         /* "[s]\nk = v\nj " */
        assert_int_equal(parse(copy, 12, 198, 0, &log), -EINVAL);
        assert_string_equal(log.data, "1 [s]\n2 s|k=v\n3" NOT_PAIR "\n");
        free(copy);
        strbuf_release(&log);
}

/* Whatever max_line says, a line must fit inih's own buffer (Debian's
 * libinih: INI_MAX_LINE 200, i.e. 198 bytes and the newline and NUL). */
static void test_inifile_parse_inih_limit(void **state)
{
        struct strbuf log = STRBUF_INIT;
        char text[512];
        int n;

        (void)state;
        n = snprintf(text, sizeof(text), "k = %0194d\n", 0);
        assert_int_equal(n, 199);
        assert_int_equal(parse(text, (size_t)n, SIZE_MAX, 0, &log), 0);
        assert_int_equal(log.len, strlen("1 -|k=") + 194 + 1);
        strbuf_reset(&log);
        n = snprintf(text, sizeof(text), "k = %0195d\n", 0);
        assert_int_equal(parse(text, (size_t)n, SIZE_MAX, 0, &log),
                         -EINVAL);
        assert_string_equal(log.data,
                            "1: line too long (199 bytes, limit 198); it was not read\n");
        strbuf_release(&log);
}

static void test_inifile_quote(void **state)
{
        static const struct {
                const char *s;
                size_t size, max_in;
                const char *want;
        } cases[] = {
                { "abc", 16, SIZE_MAX, "abc" },
                { "", 16, SIZE_MAX, "" },
                { "a\x01\xff%", 16, SIZE_MAX, "a%01%FF%" },
                { "abcd", 16, 2, "ab..." },
                { "abc", 16, 3, "abc" },
                { "abc", 16, 0, "..." },
                /* Output bounded: more than size - 7 bytes and it stops. */
                { "abcdefgh", 10, SIZE_MAX, "abcd..." },
                { "abcd", 10, SIZE_MAX, "abcd" },
                { "\x01\x02\x03", 10, SIZE_MAX, "%01%02..." },
                { "abc", 7, SIZE_MAX, "" },
                { "abc", 0, SIZE_MAX, NULL },
        };
        char buf[64];

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                memset(buf, 'X', sizeof(buf));
                assert_ptr_equal(inifile_quote(buf, cases[i].size, cases[i].s, cases[i].max_in),
                                 buf);
                if (cases[i].want)
                        assert_string_equal(buf, cases[i].want);
                else
                        assert_int_equal(buf[0], 'X');  /* size 0: nothing written */
        }
}

/* The sizes the profile and config messages use, and that the result
 * always fits, whatever the bytes. */
static void test_inifile_quote_fits(void **state)
{
        char in[401], out[364 + 8];

        (void)state;
        memset(in, 'a', 200);
        in[200] = '\0';
        inifile_quote(out, 124, in, SIZE_MAX);
        assert_int_equal(strlen(out), 118 + 3);
        memset(in, '\xff', 200);
        inifile_quote(out, 364, in, 120);
        assert_int_equal(strlen(out), 120 * 3 + 3);
        assert_string_equal(out + 357, "%FF...");
        for (size_t i = 0; i < sizeof(in) - 1; i++)
                in[i] = (char)(i % 255 + 1);
        in[sizeof(in) - 1] = '\0';
        for (size_t size = 8; size < sizeof(out); size++) {
                memset(out, 'X', sizeof(out));
                inifile_quote(out, size, in, SIZE_MAX);
                assert_true(strlen(out) < size);
                assert_int_equal(out[size], 'X');
        }
}

/* A file read and parsed, as profile_load and config_load do. */
static void test_inifile_read_then_parse(void **state)
{
        static const char content[] = "\xEF\xBB\xBF; x\r\n[s]\r\nk = v ; c\r\n";
        struct strbuf log = STRBUF_INIT;
        const char *path = write_file("g.ini", content, sizeof(content) - 1);
        char *text = NULL;
        size_t len = 0;

        (void)state;
        assert_int_equal(readall_at(AT_FDCWD, path, 4096, &text, &len), 0);
        assert_int_equal(parse(text, len, 198, 0, &log), 0);
        assert_string_equal(log.data, "2 [s]\n3 s|k=v\n");
        free(text);
        strbuf_release(&log);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_inifile_parse_table),
                cmocka_unit_test(test_inifile_parse_bounded),
                cmocka_unit_test(test_inifile_parse_inih_limit),
                cmocka_unit_test(test_inifile_quote),
                cmocka_unit_test(test_inifile_quote_fits),
                cmocka_unit_test(test_inifile_read_then_parse),
        };

        return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
