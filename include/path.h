/* Lexical path handling on raw bytes (no file system access). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Longest path driftlock decides on, in bytes, without the NUL. Matches the
 * kernel's PATH_MAX - 1; anything longer is refused by the kernel anyway. */
#define PATH_MAX_BYTES 4095

/* Normalises an absolute path lexically: collapses "//", drops "."
 * components, applies ".." to the preceding component ("/.." is "/") and
 * removes a trailing '/'. The result of "/" is "/".
 *
 * Returns 0 and a malloc'ed string in *ret; -EINVAL if path does not start
 * with '/'; -ENAMETOOLONG if path is longer than PATH_MAX_BYTES; -ENOMEM. */
int path_normalize(const char *path, char **ret);

/* True if path is absolute and normal already: path_normalize would give
 * it back unchanged (no empty, "." or ".." component, no trailing '/'
 * except for "/" itself, at most PATH_MAX_BYTES). Allocates nothing. */
bool path_is_normal(const char *path);

/* Joins a directory (absolute) and a path: an absolute path replaces the
 * directory; a relative one is appended. The result is normalised as by
 * path_normalize. Returns 0, -EINVAL, -ENAMETOOLONG or -ENOMEM. */
int path_join_normalize(const char *dir, const char *path, char **ret);
