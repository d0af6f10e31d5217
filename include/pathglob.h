/* Path patterns of the profile ([exec], [write], [read] and unix connect
 * rules).
 *
 * Pattern text is in the profile encoding (encode.h): a bare '*' matches any
 * run of bytes within one path component (never '/'), '?' exactly one byte
 * other than '/', and a component that is exactly "**" matches zero or more
 * whole components ("/usr/" followed by "**" matches "/usr", "/usr/bin" and
 * "/usr/a/b/c"; written apart here only to keep this comment well-formed).
 * "%XX" is the literal byte XX. Everything else is literal.
 *
 * Matching is on raw, normalised, absolute paths (path_normalize) and costs
 * O(pattern length x path length) at worst, never exponential. */
#pragma once

#include <stdbool.h>

struct pathglob;

/* Checks pattern text and returns its canonical form: absolute; "//" and "."
 * components removed; ".." applied lexically ("/.." is "/"); escapes
 * rewritten to the canonical encoding (a byte that need not be escaped is
 * written plainly, one that must is written "%XX" in upper case); no trailing
 * '/'.
 *
 * Errors (return -EINVAL, *ret_error set to a static message, *ret
 * untouched): not absolute; "**" mixed with other bytes in one component;
 * ".." that would remove a component containing a wildcard; a malformed
 * escape; "%00" or "%2F" (a path component cannot hold NUL or '/'); the
 * decoded path longer than PATH_MAX_BYTES. Returns -ENOMEM on allocation
 * failure. On success returns 0 and a malloc'ed string in *ret. */
int pathglob_canonicalize(const char *text, char **ret, const char **ret_error);

/* True if canonical pattern text contains no wildcard, so that it names
 * exactly one path. */
bool pathglob_is_literal(const char *canonical);

/* Decodes literal canonical text (pathglob_is_literal) into the raw path it
 * names. Returns 0 and a malloc'ed string in *ret, -EINVAL if the text has a
 * wildcard, or -ENOMEM. */
int pathglob_literal_path(const char *canonical, char **ret);

/* Compiles canonical pattern text. Returns 0 and the pattern in *ret,
 * -EINVAL for text that pathglob_canonicalize would refuse, or -ENOMEM. */
int pathglob_compile(const char *canonical, struct pathglob **ret);

/* True if the raw path matches. path must be absolute and normalised. */
bool pathglob_match(const struct pathglob *glob, const char *path);

/* Frees a compiled pattern; accepts NULL; returns NULL. */
struct pathglob *pathglob_free(struct pathglob *glob);
