/* Lexical path normalisation on raw bytes (see path.h). */
#include "path.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Appends the components of s[0..n) to the normalised path out[0..*outlen)
 * (which is "" for the root, otherwise "/a/b" without a trailing '/').
 * out must have room for *outlen + n + 1 bytes. Each output byte is written
 * once and removed at most once by "..", so the work is O(n). */
static void path_push(char *out, size_t *outlen, const char *s, size_t n)
{
        size_t i = 0, len = *outlen;

        while (i < n) {
                size_t start, clen;

                while (i < n && s[i] == '/')
                        i++;
                start = i;
                while (i < n && s[i] != '/')
                        i++;
                clen = i - start;
                if (clen == 0 || (clen == 1 && s[start] == '.'))
                        continue;
                if (clen == 2 && s[start] == '.' && s[start + 1] == '.') {
                        while (len > 0 && out[len - 1] != '/')
                                len--;
                        if (len > 0)
                                len--;  /* the '/' before the component */
                        continue;
                }
                out[len++] = '/';
                memcpy(out + len, s + start, clen);
                len += clen;
        }
        *outlen = len;
}

/* Finishes a path built by path_push: the root is "/". */
static int path_finish(char *buf, size_t len)
{
        if (len == 0)
                buf[len++] = '/';
        if (len > PATH_MAX_BYTES)
                return -ENAMETOOLONG;
        buf[len] = '\0';
        return 0;
}

int path_normalize(const char *path, char **ret)
{
        cleanup_free char *buf = NULL;
        size_t n, len = 0;
        int r;

        if (!path || path[0] != '/')
                return -EINVAL;
        n = strnlen(path, PATH_MAX_BYTES + 1);
        if (n > PATH_MAX_BYTES)
                return -ENAMETOOLONG;
        buf = malloc(n + 2);
        if (!buf)
                return -ENOMEM;
        path_push(buf, &len, path, n);
        r = path_finish(buf, len);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(buf);
        return 0;
}

bool path_is_normal(const char *path)
{
        size_t n;

        if (!path || path[0] != '/')
                return false;
        n = strnlen(path, PATH_MAX_BYTES + 1);
        if (n > PATH_MAX_BYTES)
                return false;
        if (n == 1)
                return true;
        /* every component after a '/': not empty, not "." or ".." */
        for (const char *c = path + 1;; ) {
                size_t len = strcspn(c, "/");

                if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                if (c[len] == '\0')
                        return true;
                c += len + 1;
        }
}

int path_join_normalize(const char *dir, const char *path, char **ret)
{
        cleanup_free char *buf = NULL;
        size_t dn, pn, len = 0;
        int r;

        if (!dir || !path || dir[0] != '/')
                return -EINVAL;
        if (path[0] == '/')
                return path_normalize(path, ret);
        dn = strnlen(dir, PATH_MAX_BYTES + 1);
        pn = strnlen(path, PATH_MAX_BYTES + 1);
        if (dn > PATH_MAX_BYTES || pn > PATH_MAX_BYTES)
                return -ENAMETOOLONG;
        buf = malloc(dn + pn + 3);
        if (!buf)
                return -ENOMEM;
        path_push(buf, &len, dir, dn);
        path_push(buf, &len, path, pn);
        /* Each part is bounded, but the joined result must be too: it is
         * what the caller decides on. */
        r = path_finish(buf, len);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(buf);
        return 0;
}
