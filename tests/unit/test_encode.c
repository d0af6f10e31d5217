#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "encode.h"
#include "strbuf.h"
#include "util.h"

/* raw bytes (len, since some hold NUL) -> canonical encoding */
static const struct {
        const char *raw;
        size_t len;
        const char *enc;
} encode_table[] = {
        { "", 0, "" },
        { "/usr/bin/ls", 11, "/usr/bin/ls" },
        { "a%b", 3, "a%25b" },
        { "*?", 2, "%2A%3F" },
        { ";#", 2, "%3B%23" },
        { "a b", 3, "a%20b" },
        { "\t\n\r", 3, "%09%0A%0D" },
        { "\x00x", 2, "%00x" },
        { "\x1f\x7f", 2, "%1F%7F" },
        { "~!$&'()+,=@[]^`{|}", 18, "~!$&'()+,=@[]^`{|}" },
        { "caf\xc3\xa9", 5, "caf\xc3\xa9" },                    /* U+00E9 */
        { "\xc2\x80", 2, "\xc2\x80" },                          /* U+0080 */
        { "\xe2\x82\xac", 3, "\xe2\x82\xac" },                  /* U+20AC */
        { "\xef\xbf\xbf", 3, "\xef\xbf\xbf" },                  /* U+FFFF */
        { "\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80" },          /* U+1F600 */
        { "\xf4\x8f\xbf\xbf", 4, "\xf4\x8f\xbf\xbf" },          /* U+10FFFF */
        { "\xc0\xaf", 2, "%C0%AF" },                            /* overlong '/' */
        { "\xc1\xbf", 2, "%C1%BF" },                            /* overlong */
        { "\xe0\x80\xaf", 3, "%E0%80%AF" },                     /* overlong */
        { "\xe0\x9f\xbf", 3, "%E0%9F%BF" },                     /* overlong */
        { "\xf0\x80\x80\xaf", 4, "%F0%80%80%AF" },              /* overlong */
        { "\xf0\x8f\xbf\xbf", 4, "%F0%8F%BF%BF" },              /* overlong */
        { "\xed\xa0\x80", 3, "%ED%A0%80" },                     /* U+D800 */
        { "\xed\xbf\xbf", 3, "%ED%BF%BF" },                     /* U+DFFF */
        { "\xed\x9f\xbf", 3, "\xed\x9f\xbf" },                  /* U+D7FF */
        { "\xf4\x90\x80\x80", 4, "%F4%90%80%80" },              /* U+110000 */
        { "\xf5\x80\x80\x80", 4, "%F5%80%80%80" },
        { "\xff\xfe", 2, "%FF%FE" },
        { "\x80", 1, "%80" },                                   /* lone continuation */
        { "\xc3", 1, "%C3" },                                   /* truncated */
        { "\xe2\x82", 2, "%E2%82" },                            /* truncated */
        { "\xf0\x9f\x98", 3, "%F0%9F%98" },                     /* truncated */
        { "\xc3x", 2, "%C3x" },                                 /* bad continuation */
        { "\xe2\x82x", 3, "%E2%82x" },
        { "\xc3\xc3\xa9", 3, "%C3\xc3\xa9" },                   /* resync */
};

static void test_encode_append_table(void **state)
{
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(encode_table); i++) {
                struct strbuf sb = STRBUF_INIT;
                const char *got;

                assert_int_equal(encode_append(&sb, encode_table[i].raw, encode_table[i].len), 0);
                got = sb.data ? sb.data : "";

                if (strcmp(got, encode_table[i].enc) != 0)
                        fail_msg("entry %zu: got \"%s\", want \"%s\"", i, got,
                                 encode_table[i].enc);
                strbuf_release(&sb);
        }
}

static void test_encode_append_appends(void **state)
{
        struct strbuf sb = STRBUF_INIT;

        (void)state;
        assert_int_equal(strbuf_puts(&sb, "x="), 0);
        assert_int_equal(encode_append(&sb, "a b", 3), 0);
        assert_int_equal(encode_append(&sb, "", 0), 0);
        assert_string_equal(sb.data, "x=a%20b");
        strbuf_release(&sb);
}

static const struct {
        const char *s;
        int value;
} escape_table[] = {
        { "%41", 0x41 },
        { "%2a", 0x2a },
        { "%2A", 0x2a },
        { "%ff", 0xff },
        { "%Ff", 0xff },
        { "%00", 0 },
        { "%2Fx", 0x2f },       /* trailing bytes are not its business */
        { "%", -EINVAL },
        { "%4", -EINVAL },
        { "%G1", -EINVAL },
        { "%1G", -EINVAL },
        { "%-1", -EINVAL },
        { "% 1", -EINVAL },
        { "41", -EINVAL },
        { "", -EINVAL },
};

static void test_encode_escape_value_table(void **state)
{
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(escape_table); i++)
                if (encode_escape_value(escape_table[i].s) != escape_table[i].value)
                        fail_msg("\"%s\": got %d, want %d", escape_table[i].s,
                                 encode_escape_value(escape_table[i].s), escape_table[i].value);
}

static const struct {
        const char *s;
        size_t len, want;
} utf8_table[] = {
        { "a", 1, 1 },
        { "\x7f", 1, 1 },
        { "", 0, 0 },
        { "\xc3\xa9", 2, 2 },
        { "\xc3\xa9", 1, 0 },           /* len cuts the sequence */
        { "\xe2\x82\xac", 3, 3 },
        { "\xe2\x82\xac", 2, 0 },
        { "\xf0\x9f\x98\x80", 4, 4 },
        { "\xf0\x9f\x98\x80", 3, 0 },
        { "\xf4\x8f\xbf\xbf", 4, 4 },
        { "\xf4\x90\x80\x80", 4, 0 },
        { "\xed\xa0\x80", 3, 0 },
        { "\xc0\x80", 2, 0 },
        { "\xe0\x80\x80", 3, 0 },
        { "\xf0\x80\x80\x80", 4, 0 },
        { "\x80", 1, 0 },
        { "\xbf", 1, 0 },
        { "\xf8\x88\x80\x80\x80", 5, 0 },
        { "\xc3\xa9z", 3, 2 },          /* only the first sequence */
};

static void test_encode_utf8_length_table(void **state)
{
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(utf8_table); i++)
                if (encode_utf8_length((const unsigned char *)utf8_table[i].s,
                                       utf8_table[i].len) != utf8_table[i].want)
                        fail_msg("entry %zu: want %zu", i, utf8_table[i].want);
}

static void test_encode_byte_is_special_all(void **state)
{
        (void)state;
        for (int c = 0; c < 256; c++) {
                bool want = c <= 0x20 || c == 0x7f || c == '%' || c == '*' ||
                            c == '?' || c == ';' || c == '#';

                if (encode_byte_is_special((unsigned char)c) != want)
                        fail_msg("byte 0x%02x: want %d", c, want);
        }
}

/* Every escape the encoder writes decodes to the byte it stands for, and
 * every byte it writes plainly is not special: decoding the output gives the
 * input back, for all single bytes and all two-byte pairs. */
static void test_encode_decodes_back(void **state)
{
        (void)state;
        for (unsigned v = 0; v < 65536; v++) {
                char raw[2] = { (char)(v >> 8), (char)(v & 0xff) }, back[2];
                struct strbuf sb = STRBUF_INIT;
                size_t n = 0;

                assert_int_equal(encode_append(&sb, raw, 2), 0);
                for (size_t i = 0; i < sb.len; n++) {
                        assert_true(n < 2);
                        if (sb.data[i] == '%') {
                                int b = encode_escape_value(sb.data + i);

                                assert_true(b >= 0);
                                back[n] = (char)b;
                                i += 3;
                        } else {
                                assert_false(encode_byte_is_special((unsigned char)sb.data[i]));
                                back[n] = sb.data[i++];
                        }
                }
                assert_int_equal(n, 2);
                assert_memory_equal(back, raw, 2);
                strbuf_release(&sb);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_encode_append_table),
                cmocka_unit_test(test_encode_append_appends),
                cmocka_unit_test(test_encode_escape_value_table),
                cmocka_unit_test(test_encode_utf8_length_table),
                cmocka_unit_test(test_encode_byte_is_special_all),
                cmocka_unit_test(test_encode_decodes_back),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
