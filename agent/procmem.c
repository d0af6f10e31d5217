#include "procmem.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* /proc/PID/mem is FMODE_UNSIGNED_OFFSET, but pread's off_t is signed and
 * no user address on any Linux ABI we supervise reaches 2^63: treat the
 * upper half as unreadable rather than passing negative offsets. */
#define PROCMEM_MAX_ADDR ((uint64_t)INT64_MAX)

int procmem_open(pid_t tid)
{
        char path[sizeof("/proc//mem") + 3 * sizeof(pid_t)];
        int fd;

        if (tid <= 0)
                return -EINVAL;
        snprintf(path, sizeof(path), "/proc/%d/mem", (int)tid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return fd;
}

/* Reads up to len bytes at addr; a short count only at a page boundary
 * (the kernel copies page by page). Returns bytes read (> 0) or -errno,
 * with the kernel's meanings translated: EIO (unmapped) is -EFAULT and
 * 0 bytes (mm gone) is -ESRCH. */
static ssize_t procmem_pread(int memfd, uint64_t addr, void *buf, size_t len)
{
        ssize_t n;

        if (addr > PROCMEM_MAX_ADDR || len > PROCMEM_MAX_ADDR - addr)
                return -EFAULT;
        if (len > SSIZE_MAX)
                len = SSIZE_MAX;
        do
                n = pread(memfd, buf, len, (off_t)addr);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return errno == EIO ? -EFAULT : -errno;
        if (n == 0)
                return -ESRCH;
        return n;
}

int procmem_read(int memfd, uint64_t addr, void *buf, size_t len)
{
        unsigned char *p = buf;

        while (len > 0) {
                ssize_t n = procmem_pread(memfd, addr, p, len);

                if (n < 0)
                        return (int)n;
                p += n;
                addr += (uint64_t)n;
                len -= (size_t)n;
        }
        return 0;
}

static uint64_t procmem_page_size(void)
{
        static long cached;
        long ps = __atomic_load_n(&cached, __ATOMIC_RELAXED);

        if (ps <= 0) {
                ps = sysconf(_SC_PAGESIZE);
                if (ps <= 0)
                        ps = 4096;      /* the smallest page on every arch we run on */
                __atomic_store_n(&cached, ps, __ATOMIC_RELAXED);
        }
        return (uint64_t)ps;
}

int procmem_read_string(int memfd, uint64_t addr, char *buf, size_t cap)
{
        uint64_t page = procmem_page_size();
        size_t got = 0;

        if (!buf || cap == 0)
                return -EINVAL;
        buf[0] = '\0';
        /* Look for the NUL in the first cap bytes; each chunk ends at the
         * next page boundary so an unmapped page after the string's end is
         * never touched, and a short read cannot hide a readable prefix. */
        while (got < cap) {
                uint64_t at = addr + got;
                size_t chunk = (size_t)(page - at % page);
                const char *nul;
                int r;

                if (chunk > cap - got)
                        chunk = cap - got;
                r = procmem_read(memfd, at, buf + got, chunk);
                if (r < 0) {
                        buf[0] = '\0';
                        return r;
                }
                nul = memchr(buf + got, '\0', chunk);
                if (nul) {
                        size_t len = (size_t)(nul - buf);

                        if (len > INT_MAX) {
                                buf[0] = '\0';
                                return -ENAMETOOLONG;
                        }
                        return (int)len;
                }
                got += chunk;
        }
        buf[0] = '\0';
        return -ENAMETOOLONG;
}
