/* The memory functions the compiler may call on its own (struct copies,
 * zero initialisers). Written with string instructions rather than C loops
 * so that no optimiser can turn them back into calls to themselves. In the
 * preload library they are hidden (-fvisibility=hidden): the program keeps
 * its own libc's versions, and the library binds to these. */
#include "sys.h"

void *memcpy(void *dst, const void *src, size_t n)
{
        void *d = dst;

        __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
        return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
        if ((uintptr_t)dst - (uintptr_t)src >= n)
                return memcpy(dst, src, n);
        /* Overlapping with dst above src: copy backwards. */
        {
                unsigned char *d = (unsigned char *)dst + n - 1;
                const unsigned char *s = (const unsigned char *)src + n - 1;

                __asm__ volatile("std\n\trep movsb\n\tcld"
                                 : "+D"(d), "+S"(s), "+c"(n) : : "memory");
        }
        return dst;
}

void *memset(void *dst, int c, size_t n)
{
        void *d = dst;

        __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
        return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
        const unsigned char *x = a, *y = b;

        for (size_t i = 0; i < n; i++)
                if (x[i] != y[i])
                        return x[i] < y[i] ? -1 : 1;
        return 0;
}
