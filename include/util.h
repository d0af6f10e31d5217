/* Small helpers every module uses: cleanup attributes with explicit
 * hand-over, and array sizing. Nothing here allocates or logs. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void util_freep(void *p)
{
        free(*(void **)p);
}

static inline void util_closep(const int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}

static inline void util_fclosep(FILE **f)
{
        if (*f) {
                int saved = errno;
                fclose(*f);
                errno = saved;
        }
}

#define cleanup_free   __attribute__((cleanup(util_freep)))
#define cleanup_close  __attribute__((cleanup(util_closep)))
#define cleanup_fclose __attribute__((cleanup(util_fclosep)))

/* Hand a resource out of a cleanup-owned variable: the variable forgets it. */
#define TAKE_PTR(p) ({ __typeof__(p) take_ptr_tmp = (p); (p) = NULL; take_ptr_tmp; })
#define TAKE_FD(fd) ({ int take_fd_tmp = (fd); (fd) = -1; take_fd_tmp; })
