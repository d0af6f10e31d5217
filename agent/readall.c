/* Bounded whole-input reads (see readall.h). */
#include "readall.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* The first buffer when the size is not known in advance. */
#define READALL_FIRST 4096

/* Reads fd to its end into a buffer of cap bytes at first, grown as needed
 * up to one byte past max_bytes: that byte tells an input of exactly
 * max_bytes from a larger one. */
static int readall_grow(int fd, size_t max_bytes, size_t cap, char **ret, size_t *ret_len)
{
        cleanup_free char *buf = NULL;
        size_t len = 0;

        if (cap > max_bytes + 1)
                cap = max_bytes + 1;
        buf = malloc(cap + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n;

                if (len == cap) {
                        char *bigger;

                        if (cap > max_bytes)
                                return -EFBIG;
                        cap = cap > max_bytes / 2 ? max_bytes + 1 : cap * 2;
                        bigger = realloc(buf, cap + 1);
                        if (!bigger)
                                return -ENOMEM;
                        buf = bigger;
                }
                n = read(fd, buf + len, cap - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        if (len > max_bytes)
                return -EFBIG;
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

int readall_fd(int fd, size_t max_bytes, char **ret, size_t *ret_len)
{
        if (max_bytes > READALL_MAX)
                return -EINVAL;
        return readall_grow(fd, max_bytes, READALL_FIRST, ret, ret_len);
}

int readall_at(int dirfd, const char *path, size_t max_bytes, char **ret, size_t *ret_len)
{
        cleanup_close int fd = -1;
        struct stat st;

        if (max_bytes > READALL_MAX)
                return -EINVAL;
        /* O_NONBLOCK: opening a FIFO must not hang before fstat refuses it. */
        fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if ((uintmax_t)st.st_size > max_bytes)
                return -EFBIG;
        /* A file that knows its size fits one buffer (and the read that
         * finds its end); procfs says 0 and gets the usual first buffer. */
        return readall_grow(fd, max_bytes,
                            st.st_size < READALL_FIRST ? READALL_FIRST : (size_t)st.st_size + 1,
                            ret, ret_len);
}
