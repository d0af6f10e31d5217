/* A probe for the integration tests: performs exactly one kind of action
 * and reports the outcome, so that shell tests can assert what a supervised
 * process saw.
 *
 *   probe execveat-memfd FILE       copy FILE into a memfd, execveat(AT_EMPTY_PATH) it
 *   probe execveat-dir DIR NAME     execveat(open(DIR), NAME)
 *   probe connect tcp|udp ADDR PORT connect(); prints "connected" or the errno name
 *   probe connect-unix PATH         connect() to a unix stream socket
 *   probe sendto udp|unspec|sendmsg|sendmmsg ADDR PORT
 *                                   one datagram with sendto() from an
 *                                   unconnected UDP socket (unspec: the
 *                                   address says AF_UNSPEC; sendmsg, sendmmsg:
 *                                   with that call instead); prints "sent N"
 *   probe recv-udp ADDR PORT SECS   prints "received N" after SECS seconds
 *   probe send-unix sendto|sendmsg PATH|@NAME  one datagram from an unconnected
 *                                   unix datagram socket; prints "sent N"
 *   probe recv-unix PATH|@NAME SECS prints "ready", then "received N" after SECS seconds
 *   probe listen tcp ADDR PORT SECS accept (and close) connections for SECS seconds
 *   probe listen-unix PATH SECS     the same on a unix socket
 *   probe open PATH FLAGS           FLAGS: r, w, wc (O_CREAT), wct (O_TRUNC too)
 *   probe open-long                 open a path longer than PATH_MAX for writing
 *   probe open-fault                open a path at an unmapped address for writing
 *   probe threads N COUNT DIR       N threads each create COUNT files in DIR at once
 *   probe spawn PROGRAM             vfork+exec and posix_spawn PROGRAM; both must succeed
 *   probe open-by-handle PATH       name_to_handle_at + open_by_handle_at(O_WRONLY)
 *
 * Exit status: 0 when the action succeeded, 1 with "errno NAME" on stdout
 * when it failed, 2 for usage errors. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int fail(void)
{
        printf("errno %s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "?");
        return 1;
}

static int probe_execveat(int dirfd, const char *name, int flags)
{
        static char name_arg[] = "probe-child";
        char *argv[] = { name_arg, NULL };

        syscall(SYS_execveat, dirfd, name, argv, environ, flags);
        return fail();
}

static int probe_memfd(const char *file)
{
        int in = open(file, O_RDONLY | O_CLOEXEC);
        int fd = memfd_create("probe", MFD_CLOEXEC);
        char buf[65536];
        ssize_t n;

        if (in < 0 || fd < 0)
                return fail();
        while ((n = read(in, buf, sizeof(buf))) > 0)
                if (write(fd, buf, (size_t)n) != n)
                        return fail();
        return probe_execveat(fd, "", AT_EMPTY_PATH);
}

static int probe_inet_addr(const char *proto, const char *addr, const char *port,
                           struct sockaddr_storage *ss, socklen_t *len, int *type)
{
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

        memset(ss, 0, sizeof(*ss));
        *type = !strcmp(proto, "udp") ? SOCK_DGRAM : SOCK_STREAM;
        if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
                sin->sin_family = AF_INET;
                sin->sin_port = htons((uint16_t)atoi(port));
                *len = sizeof(*sin);
                return 0;
        }
        if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
                sin6->sin6_family = AF_INET6;
                sin6->sin6_port = htons((uint16_t)atoi(port));
                *len = sizeof(*sin6);
                return 0;
        }
        fprintf(stderr, "probe: bad address %s\n", addr);
        return -1;
}

/* PATH, or @NAME for an abstract socket (its length is exact). */
static int probe_unix_addr(const char *path, struct sockaddr_un *sun, socklen_t *len)
{
        size_t n = strlen(path);

        memset(sun, 0, sizeof(*sun));
        sun->sun_family = AF_UNIX;
        if (n >= sizeof(sun->sun_path))
                return -1;
        memcpy(sun->sun_path, path, n);
        if (path[0] == '@') {
                sun->sun_path[0] = '\0';
                *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
        } else {
                *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
        }
        return 0;
}

/* Prints "ready", counts datagrams until none came for SECS seconds,
 * prints "received N". */
static int probe_count_datagrams(int fd, int secs)
{
        struct pollfd p = { .fd = fd, .events = POLLIN };
        char buf[64];
        long count = 0;

        printf("ready\n");
        fflush(stdout);
        while (poll(&p, 1, secs * 1000) > 0 && recv(fd, buf, sizeof(buf), 0) >= 0)
                count++;
        printf("received %ld\n", count);
        return 0;
}

static int probe_listen_loop(int fd, int secs)
{
        time_t end = time(NULL) + secs;

        if (listen(fd, 64) < 0)
                return fail();
        printf("listening\n");
        fflush(stdout);
        while (time(NULL) < end) {
                struct pollfd p = { .fd = fd, .events = POLLIN };

                if (poll(&p, 1, 200) > 0) {
                        int c = accept(fd, NULL, NULL);

                        if (c >= 0)
                                close(c);
                }
        }
        return 0;
}

struct probe_thread {
        pthread_t thread;
        int index, count, failures;
        const char *dir;
};

static void *probe_thread_main(void *arg)
{
        struct probe_thread *t = arg;

        for (int i = 0; i < t->count; i++) {
                char path[4096];
                int fd;

                snprintf(path, sizeof(path), "%s/t%d-%d", t->dir, t->index, i);
                fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0)
                        t->failures++;
                else
                        close(fd);
        }
        return NULL;
}

static int probe_threads(int n, int count, const char *dir)
{
        struct probe_thread t[64];
        int failures = 0;

        if (n < 1 || n > 64)
                return 2;
        for (int i = 0; i < n; i++) {
                t[i] = (struct probe_thread){ .index = i, .count = count, .dir = dir };
                if (pthread_create(&t[i].thread, NULL, probe_thread_main, &t[i]) != 0)
                        return fail();
        }
        for (int i = 0; i < n; i++) {
                pthread_join(t[i].thread, NULL);
                failures += t[i].failures;
        }
        printf("failures %d\n", failures);
        return failures ? 1 : 0;
}

static int probe_spawn(char *program)
{
        char *argv[] = { program, NULL };
        int status;
        pid_t pid = vfork();

        if (pid == 0) {
                execv(program, argv);
                _exit(127);
        }
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || status != 0)
                return fail();
        if (posix_spawn(&pid, program, NULL, NULL, argv, environ) != 0 ||
            waitpid(pid, &status, 0) < 0 || status != 0)
                return fail();
        printf("spawned\n");
        return 0;
}

int main(int argc, char **argv)
{
        struct sockaddr_storage ss;
        struct sockaddr_un sun;
        socklen_t len;
        int type, fd, one = 1;

        if (argc == 3 && !strcmp(argv[1], "execveat-memfd"))
                return probe_memfd(argv[2]);
        if (argc == 4 && !strcmp(argv[1], "execveat-dir")) {
                int dirfd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

                return dirfd < 0 ? fail() : probe_execveat(dirfd, argv[3], 0);
        }
        if (argc == 5 && !strcmp(argv[1], "connect")) {
                if (probe_inet_addr(argv[2], argv[3], argv[4], &ss, &len, &type) < 0)
                        return 2;
                fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
                if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0)
                        return fail();
                printf("connected\n");
                return 0;
        }
        if (argc == 5 && !strcmp(argv[1], "sendto")) {
                ssize_t n;

                if (probe_inet_addr("udp", argv[3], argv[4], &ss, &len, &type) < 0)
                        return 2;
                fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
                if (!strcmp(argv[2], "unspec"))
                        ss.ss_family = AF_UNSPEC;
                if (fd < 0)
                        return fail();
                if (!strcmp(argv[2], "sendmsg") || !strcmp(argv[2], "sendmmsg")) {
                        char data[] = "probe";
                        struct iovec iov = { .iov_base = data, .iov_len = 5 };
                        struct mmsghdr mm = { .msg_hdr = { .msg_name = &ss, .msg_namelen = len,
                                                           .msg_iov = &iov, .msg_iovlen = 1 } };

                        if (argv[2][4] == 'm')
                                n = sendmmsg(fd, &mm, 1, 0) == 1 ? (ssize_t)mm.msg_len : -1;
                        else
                                n = sendmsg(fd, &mm.msg_hdr, 0);
                } else {
                        n = sendto(fd, "probe", 5, 0, (struct sockaddr *)&ss, len);
                }
                if (n < 0)
                        return fail();
                printf("sent %zd\n", n);
                return 0;
        }
        if (argc == 5 && !strcmp(argv[1], "recv-udp")) {
                if (probe_inet_addr("udp", argv[2], argv[3], &ss, &len, &type) < 0)
                        return 2;
                fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
                if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0)
                        return fail();
                return probe_count_datagrams(fd, atoi(argv[4]));
        }
        if (argc == 4 && !strcmp(argv[1], "recv-unix")) {
                if (probe_unix_addr(argv[2], &sun, &len) < 0)
                        return 2;
                fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                if (fd < 0 || bind(fd, (struct sockaddr *)&sun, len) < 0)
                        return fail();
                return probe_count_datagrams(fd, atoi(argv[3]));
        }
        if (argc == 4 && !strcmp(argv[1], "send-unix")) {
                char data[] = "probe";
                struct iovec iov = { .iov_base = data, .iov_len = 5 };
                struct msghdr msg = { .msg_name = &sun, .msg_iov = &iov, .msg_iovlen = 1 };
                ssize_t n;

                if (probe_unix_addr(argv[3], &sun, &len) < 0)
                        return 2;
                msg.msg_namelen = len;
                fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        return fail();
                n = !strcmp(argv[2], "sendmsg") ? sendmsg(fd, &msg, 0)
                                                : sendto(fd, data, 5, 0, (struct sockaddr *)&sun, len);
                if (n < 0)
                        return fail();
                printf("sent %zd\n", n);
                return 0;
        }
        if (argc == 3 && !strcmp(argv[1], "connect-unix")) {
                if (probe_unix_addr(argv[2], &sun, &len) < 0)
                        return 2;
                fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0 || connect(fd, (struct sockaddr *)&sun, len) < 0)
                        return fail();
                printf("connected\n");
                return 0;
        }
        if (argc == 6 && !strcmp(argv[1], "listen")) {
                if (probe_inet_addr(argv[2], argv[3], argv[4], &ss, &len, &type) < 0)
                        return 2;
                fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        return fail();
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
                if (bind(fd, (struct sockaddr *)&ss, len) < 0)
                        return fail();
                return probe_listen_loop(fd, atoi(argv[5]));
        }
        if (argc == 4 && !strcmp(argv[1], "listen-unix")) {
                if (probe_unix_addr(argv[2], &sun, &len) < 0)
                        return 2;
                fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0 || bind(fd, (struct sockaddr *)&sun, len) < 0)
                        return fail();
                return probe_listen_loop(fd, atoi(argv[3]));
        }
        if (argc == 4 && !strcmp(argv[1], "open")) {
                int flags = O_RDONLY;

                if (!strcmp(argv[3], "w"))
                        flags = O_WRONLY;
                else if (!strcmp(argv[3], "wc"))
                        flags = O_WRONLY | O_CREAT;
                else if (!strcmp(argv[3], "wct"))
                        flags = O_WRONLY | O_CREAT | O_TRUNC;
                fd = open(argv[2], flags | O_CLOEXEC, 0644);
                if (fd < 0)
                        return fail();
                printf("opened\n");
                return 0;
        }
        if (argc == 2 && !strcmp(argv[1], "open-long")) {
                static char path[8192];

                memset(path, 'a', sizeof(path) - 1);
                path[0] = '/';
                fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
                return fd < 0 ? fail() : 0;
        }
        if (argc == 2 && !strcmp(argv[1], "open-fault")) {
                fd = open((const char *)8, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
                return fd < 0 ? fail() : 0;
        }
        if (argc == 3 && !strcmp(argv[1], "open-by-handle")) {
                struct {
                        struct file_handle fh;
                        unsigned char room[MAX_HANDLE_SZ];
                } h = { .fh.handle_bytes = MAX_HANDLE_SZ };
                int mount_id;

                if (name_to_handle_at(AT_FDCWD, argv[2], &h.fh, &mount_id, 0) < 0)
                        return fail();
                fd = open_by_handle_at(AT_FDCWD, &h.fh, O_WRONLY | O_CLOEXEC);
                if (fd < 0)
                        return fail();
                printf("opened\n");
                return 0;
        }
        if (argc == 5 && !strcmp(argv[1], "threads"))
                return probe_threads(atoi(argv[2]), atoi(argv[3]), argv[4]);
        if (argc == 3 && !strcmp(argv[1], "spawn"))
                return probe_spawn(argv[2]);
        fprintf(stderr, "usage: see the comment at the top of tests/integration/probe.c\n");
        return 2;
}
