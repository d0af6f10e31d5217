/* The shim's whole runtime: raw x86_64 system calls, the few constants and
 * structures of the socket API it needs, and small string helpers.
 *
 * The shim runs inside arbitrary images (glibc, musl, static binaries, no
 * libc at all), so it links against nothing: no libc means no libc version
 * to match, no errno touched (a raw syscall returns -errno in a register,
 * the caller's errno variable is never written), no allocation and no
 * stdio. Only kernel uapi headers and the compiler's freestanding headers
 * are included.
 *
 * Every sys_*() returns the kernel's value: >= 0 on success, -errno on
 * failure, exactly like the -errno convention of the rest of driftlock. */
#pragma once

#if defined(__GNUC__) && (!defined(__x86_64__) || defined(__ILP32__)) /* gcc, clang; not cppcheck */
#error "the shim speaks the x86_64 system call ABI only (DESIGN.md §3: native ABI only)"
#endif

#include <asm/stat.h>
#include <asm/unistd.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/filter.h>
#include <linux/prctl.h>
#include <linux/seccomp.h>
#include <linux/stat.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Socket API constants (include/linux/socket.h and net.h are not uapi). */
#define SHIM_AF_UNIX            1
#define SHIM_SOCK_STREAM        1
#define SHIM_SOCK_CLOEXEC       02000000
#define SHIM_SOL_SOCKET         1
#define SHIM_SO_RCVTIMEO        20      /* SO_RCVTIMEO_OLD: 64-bit timeval on x86_64 */
#define SHIM_SO_SNDTIMEO        21
#define SHIM_SCM_RIGHTS         1
#define SHIM_MSG_WAITALL        0x100
#define SHIM_MSG_NOSIGNAL       0x4000
#define SHIM_MSG_CMSG_CLOEXEC   0x40000000
#define SHIM_SUN_PATH_MAX       108     /* sizeof(sun_path), NUL included */
#define SHIM_PATH_MAX           4096

#define SHIM_F_OK 0
#define SHIM_X_OK 1

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)      /* Linux 5.7 */
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5) /* Linux 5.19 */
#endif

struct shim_sockaddr_un {
        uint16_t sun_family;
        char sun_path[SHIM_SUN_PATH_MAX];
};

struct shim_iovec {
        void *iov_base;
        size_t iov_len;
};

struct shim_msghdr {
        void *msg_name;
        int msg_namelen;
        struct shim_iovec *msg_iov;
        size_t msg_iovlen;
        void *msg_control;
        size_t msg_controllen;
        int msg_flags;
};

struct shim_cmsghdr {
        size_t cmsg_len;
        int cmsg_level;
        int cmsg_type;
};

struct shim_timeval {
        long tv_sec;
        long tv_usec;
};

_Static_assert(sizeof(struct shim_msghdr) == 56, "x86_64 struct msghdr");
_Static_assert(sizeof(struct shim_cmsghdr) == 16, "x86_64 struct cmsghdr");
_Static_assert(sizeof(struct sock_filter) == 8, "struct sock_filter");

/* --- raw system calls ---------------------------------------------------- */

static inline long sys_call0(long nr)
{
        long ret;

        __asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
        return ret;
}

static inline long sys_call1(long nr, long a)
{
        long ret;

        __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a) : "rcx", "r11", "memory");
        return ret;
}

static inline long sys_call2(long nr, long a, long b)
{
        long ret;

        __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b)
                         : "rcx", "r11", "memory");
        return ret;
}

static inline long sys_call3(long nr, long a, long b, long c)
{
        long ret;

        __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c)
                         : "rcx", "r11", "memory");
        return ret;
}

static inline long sys_call4(long nr, long a, long b, long c, long d)
{
        register long r10 __asm__("r10") = d;
        long ret;

        __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
                         : "rcx", "r11", "memory");
        return ret;
}

static inline long sys_call5(long nr, long a, long b, long c, long d, long e)
{
        register long r10 __asm__("r10") = d;
        register long r8 __asm__("r8") = e;
        long ret;

        __asm__ volatile("syscall" : "=a"(ret)
                         : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
                         : "rcx", "r11", "memory");
        return ret;
}

static inline long sys_call6(long nr, long a, long b, long c, long d, long e, long f)
{
        register long r10 __asm__("r10") = d;
        register long r8 __asm__("r8") = e;
        register long r9 __asm__("r9") = f;
        long ret;

        __asm__ volatile("syscall" : "=a"(ret)
                         : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                         : "rcx", "r11", "memory");
        return ret;
}

static inline long sys_read(int fd, void *buf, size_t len)
{
        return sys_call3(__NR_read, fd, (long)buf, (long)len);
}

static inline long sys_write(int fd, const void *buf, size_t len)
{
        return sys_call3(__NR_write, fd, (long)buf, (long)len);
}

static inline long sys_openat(int dirfd, const char *path, int flags)
{
        return sys_call4(__NR_openat, dirfd, (long)path, flags, 0);
}

static inline long sys_close(int fd)
{
        return sys_call1(__NR_close, fd);
}

static inline long sys_access(const char *path, int mode)
{
        return sys_call2(__NR_access, (long)path, mode);
}

static inline long sys_stat(const char *path, struct stat *st)
{
        return sys_call4(__NR_newfstatat, AT_FDCWD, (long)path, (long)st, 0);
}

static inline long sys_socket(int domain, int type, int protocol)
{
        return sys_call3(__NR_socket, domain, type, protocol);
}

static inline long sys_connect(int fd, const void *addr, int len)
{
        return sys_call3(__NR_connect, fd, (long)addr, len);
}

static inline long sys_setsockopt(int fd, int level, int name, const void *val, int len)
{
        return sys_call5(__NR_setsockopt, fd, level, name, (long)val, len);
}

static inline long sys_sendmsg(int fd, const struct shim_msghdr *msg, int flags)
{
        return sys_call3(__NR_sendmsg, fd, (long)msg, flags);
}

static inline long sys_recv(int fd, void *buf, size_t len, int flags)
{
        return sys_call6(__NR_recvfrom, fd, (long)buf, (long)len, flags, 0, 0);
}

static inline long sys_prctl(int option, unsigned long arg2)
{
        return sys_call5(__NR_prctl, option, (long)arg2, 0, 0, 0);
}

static inline long sys_seccomp(unsigned op, unsigned long flags, const void *args)
{
        return sys_call3(__NR_seccomp, op, (long)flags, (long)args);
}

static inline long sys_close_range(unsigned first, unsigned last, unsigned flags)
{
        return sys_call3(__NR_close_range, first, last, flags);
}

static inline long sys_execve(const char *path, char *const argv[], char *const envp[])
{
        return sys_call3(__NR_execve, (long)path, (long)argv, (long)envp);
}

__attribute__((noreturn)) static inline void sys_exit_group(int status)
{
        for (;;)
                sys_call1(__NR_exit_group, status);
}

/* --- memory and strings ----------------------------------------------------
 * gcc emits calls to memcpy/memset/memmove/memcmp for struct copies and
 * initialisers even with -ffreestanding, so sys.c defines them (hidden in
 * the preload library: the program's own libc keeps its exported ones). */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

static inline size_t shim_strlen(const char *s)
{
        size_t n = 0;

        while (s[n])
                n++;
        return n;
}

static inline bool shim_streq(const char *a, const char *b)
{
        while (*a && *a == *b) {
                a++;
                b++;
        }
        return *a == *b;
}

/* Does s (of length len) start with prefix? */
static inline bool shim_has_prefix(const char *s, size_t len, const char *prefix)
{
        size_t n = shim_strlen(prefix);

        return len >= n && memcmp(s, prefix, n) == 0;
}

static inline bool shim_contains_char(const char *s, char c)
{
        for (; *s; s++)
                if (*s == c)
                        return true;
        return false;
}
