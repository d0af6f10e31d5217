#include "strbuf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int strbuf_grow(struct strbuf *sb, size_t extra)
{
        size_t need, cap;
        char *data;

        if (extra > SIZE_MAX - sb->len - 1)
                return -ENOMEM;
        need = sb->len + extra + 1;
        if (need <= sb->cap)
                return 0;
        cap = sb->cap ? sb->cap : 64;
        while (cap < need)
                cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        data = realloc(sb->data, cap);
        if (!data)
                return -ENOMEM;
        if (!sb->data)
                data[0] = '\0';
        sb->data = data;
        sb->cap = cap;
        return 0;
}

int strbuf_append(struct strbuf *sb, const void *bytes, size_t len)
{
        int r = strbuf_grow(sb, len);

        if (r < 0)
                return r;
        if (len)
                memcpy(sb->data + sb->len, bytes, len);
        sb->len += len;
        sb->data[sb->len] = '\0';
        return 0;
}

int strbuf_puts(struct strbuf *sb, const char *s)
{
        return strbuf_append(sb, s, strlen(s));
}

int strbuf_putc(struct strbuf *sb, char c)
{
        return strbuf_append(sb, &c, 1);
}

int strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
        va_list ap;
        int n, r;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -EINVAL;
        r = strbuf_grow(sb, (size_t)n);
        if (r < 0)
                return r;
        va_start(ap, fmt);
        vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        sb->len += (size_t)n;
        return 0;
}

void strbuf_reset(struct strbuf *sb)
{
        sb->len = 0;
        if (sb->data)
                sb->data[0] = '\0';
}

void strbuf_release(struct strbuf *sb)
{
        free(sb->data);
        sb->data = NULL;
        sb->len = sb->cap = 0;
}

char *strbuf_detach(struct strbuf *sb)
{
        char *data;

        if (!sb->data && strbuf_grow(sb, 0) < 0)
                return NULL;
        data = sb->data;
        sb->data = NULL;
        sb->len = sb->cap = 0;
        return data;
}
