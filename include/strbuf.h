/* A growable byte buffer that stays NUL-terminated: the output side of every
 * formatter (profiles, events, diffs). */
#pragma once

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
        char *data;     /* NULL until the first append; then NUL-terminated */
        size_t len;     /* bytes used, not counting the terminating NUL */
        size_t cap;
};

#define STRBUF_INIT { NULL, 0, 0 }

/* Appends len bytes. Returns 0 or -ENOMEM (the buffer is unchanged then). */
int strbuf_append(struct strbuf *sb, const void *bytes, size_t len);

/* Appends a NUL-terminated string. Returns 0 or -ENOMEM. */
int strbuf_puts(struct strbuf *sb, const char *s);

/* Appends one byte. Returns 0 or -ENOMEM. */
int strbuf_putc(struct strbuf *sb, char c);

/* printf-style append. Returns 0, -ENOMEM, or -EINVAL for a bad format. */
int strbuf_printf(struct strbuf *sb, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Forgets the contents but keeps the allocation. */
void strbuf_reset(struct strbuf *sb);

/* Frees the contents; the buffer can be reused afterwards. */
void strbuf_release(struct strbuf *sb);

/* Hands the contents to the caller (never NULL on success: an empty buffer
 * gives ""); the buffer is empty afterwards. Returns NULL only on -ENOMEM. */
char *strbuf_detach(struct strbuf *sb);
