/* Profiles: the per-image allowlist, read from and written to INI text
 * (DESIGN.md §6, README "Profile format").
 *
 *   [profile]   image = TEXT, mode = learn|monitor|enforce   (each optional)
 *   [exec]      allow = PATH-PATTERN      (repeated)
 *   [write]     allow = PATH-PATTERN
 *   [read]      allow = PATH-PATTERN      (section absent: reads unrestricted)
 *   [connect]   allow = RULE              (netrule.h)
 *
 * A struct profile holds entries in canonical text (pathglob_canonicalize,
 * netrule_format), each short enough to be written back on one line. This
 * module reads and writes files (profile_load, profile_save_atomic) and does
 * no other I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

enum profile_class {
        PROFILE_EXEC,
        PROFILE_WRITE,
        PROFILE_READ,
        PROFILE_CONNECT,
        PROFILE_NCLASSES,
};

enum profile_mode {
        PROFILE_MODE_UNSET,
        PROFILE_MODE_LEARN,
        PROFILE_MODE_MONITOR,
        PROFILE_MODE_ENFORCE,
};

/* The longest line libinih (Debian's build: INI_MAX_LINE 200, counting the
 * newline and NUL) reads whole. Longer lines are an error, never truncated. */
#define PROFILE_MAX_LINE 198
/* The longest entry text that fits on an "allow = " line. */
#define PROFILE_MAX_ENTRY (PROFILE_MAX_LINE - 8)
/* Files larger than this are refused (a profile is reviewed by people). */
#define PROFILE_MAX_FILE_BYTES (64u << 20)

struct profile_entry {
        char *text;             /* canonical text */
        unsigned line;          /* source line, 0 if not read from a file */
};

struct profile_list {
        struct profile_entry *v;
        size_t n, cap;
};

struct profile {
        char *image;                    /* NULL if unset */
        unsigned image_line;
        enum profile_mode mode;
        unsigned mode_line;
        bool restricts_reads;           /* a [read] section is present */
        struct profile_list lists[PROFILE_NCLASSES];
};

/* "exec", "write", "read", "connect". */
const char *profile_class_name(enum profile_class cls);
/* The class named, or -EINVAL. */
int profile_class_from_name(const char *name);
/* "learn", "monitor", "enforce" ("unset" for PROFILE_MODE_UNSET). */
const char *profile_mode_name(enum profile_mode mode);
/* The mode named (never PROFILE_MODE_UNSET), or -EINVAL. */
int profile_mode_from_name(const char *name);

/* Called once per problem found while parsing, in line order. msg is only
 * valid during the call. */
typedef void (*profile_diag_fn)(void *ctx, unsigned line, const char *msg);

/* An empty profile (reads unrestricted). NULL on allocation failure. */
struct profile *profile_new(void);

/* Frees a profile; accepts NULL; returns NULL. */
struct profile *profile_free(struct profile *p);

/* Parses INI text. Every problem is reported through diag (which may be NULL)
 * with its line number: lines over PROFILE_MAX_LINE, indented (continuation)
 * lines, NUL bytes, unknown sections and keys, a second [profile] section or
 * a repeated [profile] key, bad mode, entries that are not valid patterns or
 * rules, lines that are not "key = value" or "[section]".
 * Returns 0 and the profile in *ret when there was no problem, -EINVAL when
 * there was at least one (nothing in *ret), or -ENOMEM. */
int profile_parse(const char *text, size_t len, profile_diag_fn diag, void *ctx,
                  struct profile **ret);

/* Reads and parses a file. Returns as profile_parse, or -errno when the file
 * cannot be read (-EFBIG above PROFILE_MAX_FILE_BYTES); diag is not called
 * for I/O errors. */
int profile_load(const char *path, profile_diag_fn diag, void *ctx,
                 struct profile **ret);

/* Adds one entry given in profile text (it is canonicalised first). Returns
 * 0 (also when the entry is already present), -EINVAL with *ret_error set
 * (not a valid pattern or rule; -ENAMETOOLONG-like cases report "entry too
 * long for one profile line"), or -ENOMEM. The profile stays canonical
 * (sorted, no duplicates) only after profile_canonicalize. */
int profile_add(struct profile *p, enum profile_class cls, const char *text,
                unsigned line, const char **ret_error);

/* Sets the image after checking that it can be written on one "image = "
 * line and read back unchanged: non-empty, at most PROFILE_MAX_ENTRY bytes,
 * printable (no control characters, well-formed UTF-8), no leading or
 * trailing space, no ';' that libinih would read as a comment. Returns 0,
 * -EINVAL with *ret_error set to a static message, or -ENOMEM. */
int profile_set_image(struct profile *p, const char *image, unsigned line,
                      const char **ret_error);

/* Sorts every list by byte order of the text and removes duplicates (the
 * first line number is kept). */
void profile_canonicalize(struct profile *p);

/* Appends the canonical INI text: [profile] (only if image or mode is set),
 * then [exec], [write], [read] (only if restricts_reads), [connect], each
 * sorted and deduplicated; empty sections other than [read] are omitted.
 * The profile is canonicalised first. Returns 0 or -ENOMEM. */
int profile_format(struct profile *p, struct strbuf *out);

/* Adds every entry of from to into (and restricts_reads if from does).
 * image and mode are taken from from when into has none. When both have a
 * value and they differ, returns -EEXIST with *ret_conflict set to "image"
 * or "mode" and into unchanged. Returns 0 or -ENOMEM otherwise. */
int profile_merge(struct profile *into, const struct profile *from,
                  const char **ret_conflict);

/* Appends a readable difference from old to new: for each section, "+ "
 * and "- " lines for added and removed entries; [profile] keys as
 * "- key = old" / "+ key = new"; a [read] section appearing or disappearing
 * as "+ (reads restricted)" / "- (reads restricted)". Both profiles are
 * canonicalised first. Returns 0 if equal, 1 if different, -ENOMEM. */
int profile_diff(struct profile *old, struct profile *new, struct strbuf *out);

/* Writes the canonical text to path atomically: a temporary file in the same
 * directory (mode 0644), fsync, rename over path, fsync of the directory.
 * An interrupted write leaves the old file or the new one, never a part.
 * Returns 0 or -errno. */
int profile_save_atomic(struct profile *p, const char *path);
