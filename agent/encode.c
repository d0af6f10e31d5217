/* The profile byte encoding (see encode.h). */
#include "encode.h"

#include <errno.h>

static const char encode_hex[] = "0123456789ABCDEF";

static int encode_hex_digit(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

int encode_escape_value(const char *s)
{
        int hi, lo;

        if (s[0] != '%')
                return -EINVAL;
        /* Short-circuit: s[2] is only read when s[1] is a hex digit, so a
         * string ending right after '%' or "%X" is never overrun. */
        hi = encode_hex_digit(s[1]);
        if (hi < 0)
                return -EINVAL;
        lo = encode_hex_digit(s[2]);
        if (lo < 0)
                return -EINVAL;
        return hi << 4 | lo;
}

bool encode_byte_is_special(unsigned char c)
{
        return c <= 0x20 || c == 0x7f || c == '%' || c == '*' || c == '?' ||
               c == ';' || c == '#';
}

static bool encode_is_cont(unsigned char c)
{
        return (c & 0xc0) == 0x80;
}

/* Well-formed sequences as in Unicode table 3-7: the second byte's range
 * depends on the lead byte, which is what excludes overlong forms (C0, C1,
 * E0 80-9F, F0 80-8F), surrogates (ED A0-BF) and code points above U+10FFFF
 * (F4 90-BF, F5-FF). */
size_t encode_utf8_length(const unsigned char *s, size_t len)
{
        unsigned char c, lo = 0x80, hi = 0xbf;
        size_t n;

        if (len == 0)
                return 0;
        c = s[0];
        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                n = 2;
        else if (c >= 0xe0 && c <= 0xef)
                n = 3;
        else if (c >= 0xf0 && c <= 0xf4)
                n = 4;
        else
                return 0;
        if (len < n)
                return 0;
        if (c == 0xe0)
                lo = 0xa0;
        else if (c == 0xed)
                hi = 0x9f;
        else if (c == 0xf0)
                lo = 0x90;
        else if (c == 0xf4)
                hi = 0x8f;
        if (s[1] < lo || s[1] > hi)
                return 0;
        for (size_t i = 2; i < n; i++)
                if (!encode_is_cont(s[i]))
                        return 0;
        return n;
}

int encode_append(struct strbuf *out, const char *raw, size_t len)
{
        const unsigned char *s = (const unsigned char *)raw;
        size_t i = 0;

        while (i < len) {
                size_t n = encode_utf8_length(s + i, len - i);
                int r;

                if (n == 0 || (n == 1 && encode_byte_is_special(s[i]))) {
                        char esc[3] = { '%', encode_hex[s[i] >> 4],
                                        encode_hex[s[i] & 0xf] };

                        r = strbuf_append(out, esc, sizeof(esc));
                        n = 1;
                } else {
                        r = strbuf_append(out, s + i, n);
                }
                if (r < 0)
                        return r;
                i += n;
        }
        return 0;
}
