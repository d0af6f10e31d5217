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

/* gcc 12's -fanalyzer loses track of heap pointers stored through a
 * symbolic array index (set->slots[i].key = copy) and reports them as
 * leaked. Functions that store that way, where ownership stays with the
 * containing structure, are wrapped in these; LeakSanitizer checks the
 * same code at run time under `make asan`. */
#if defined(__GNUC__) && !defined(__clang__)
#define ANALYZER_ARRAY_STORE_BEGIN \
        _Pragma("GCC diagnostic push") \
        _Pragma("GCC diagnostic ignored \"-Wanalyzer-malloc-leak\"")
#define ANALYZER_ARRAY_STORE_END _Pragma("GCC diagnostic pop")
#else
#define ANALYZER_ARRAY_STORE_BEGIN
#define ANALYZER_ARRAY_STORE_END
#endif
