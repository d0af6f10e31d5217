/* The profile byte encoding.
 *
 * A profile value is a line of text read by libinih, which strips leading and
 * trailing white space, ends a value at " ;", has a fixed line length and
 * cannot carry control characters or arbitrary bytes. Paths can hold any byte
 * but NUL. So, inside a profile value, a byte is written as "%XX" (two
 * upper-case hex digits) when it is
 *
 *   - '%' itself, or one of the glob characters '*' and '?' standing for
 *     itself (a bare '*' or '?' is a wildcard),
 *   - ';' (inline comments) or '#',
 *   - a control character or space: 0x00-0x20 and 0x7f,
 *   - a byte that is not part of a well-formed UTF-8 sequence (including
 *     overlong forms and surrogates).
 *
 * Every other byte stands for itself. The encoding is the same in profiles,
 * in events and on the command line of `driftlock profile check` patterns,
 * so a path from an event can be pasted into a profile. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

/* Appends the canonical encoding of raw[0..len) to out.
 * Returns 0 or -ENOMEM. */
int encode_append(struct strbuf *out, const char *raw, size_t len);

/* Reads the escape "%XX" at s (s[0] == '%'); accepts upper- and lower-case
 * hex. Returns the byte value (0-255) or -EINVAL when s does not start with a
 * complete escape. */
int encode_escape_value(const char *s);

/* Length in bytes (1-4) of the well-formed UTF-8 sequence that starts at
 * s[0..len), or 0 if s[0] does not start one. */
size_t encode_utf8_length(const unsigned char *s, size_t len);

/* True if the byte must always be escaped, whatever its neighbours: one of
 * % * ? ; # space, a control character or 0x7f. (Bytes >= 0x80 are judged
 * by encode_utf8_length.) */
bool encode_byte_is_special(unsigned char c);
