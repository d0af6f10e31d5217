/* The argument-rewrite race (DESIGN.md §4): a second thread, or a second
 * process sharing the memory, flips a path or a socket address between an
 * allowed and a forbidden value while the first one makes the call. A
 * supervisor that checks the argument and then lets the kernel read it
 * again can be fooled; one that performs the checked call itself (or gates
 * the file the kernel really executes) cannot.
 *
 *   race exec    thread|process N ALLOWED FORBIDDEN
 *   race open    thread|process N ALLOWED FORBIDDEN   (write-open with O_CREAT)
 *   race connect thread|process N ALLOWED-PORT FORBIDDEN-PORT
 *   race sendto  thread|process N ALLOWED-PORT FORBIDDEN-PORT   (UDP datagrams)
 *   race sendmsg thread|process N ALLOWED-PORT FORBIDDEN-PORT   (the same with sendmsg)
 *   race mkdir   thread|process N ALLOWED FORBIDDEN
 *   race rename  thread|process N ALLOWED FORBIDDEN   (ALLOWED~ moved into place)
 *   race symlink thread|process N ALLOWED FORBIDDEN
 *
 * exec: ALLOWED and FORBIDDEN are programs that exit 0 and 1; a child that
 * gets its exec refused exits 3. open, mkdir, rename, symlink: FORBIDDEN
 * must not exist afterwards.
 * connect, sendto: a listener on 127.0.0.1:FORBIDDEN-PORT, run by this
 * program, counts what reaches it. Prints "attempts N allowed A refused R forbidden F"
 * and exits 0 when F is 0, 1 when the race was won, 2 on errors. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SLOT 256

/* The memory the racer rewrites: two values and the live buffer. */
struct arena {
        char live[SLOT];
        char allowed[SLOT];
        char forbidden[SLOT];
        size_t len;
        atomic_int stop;
};

static struct arena *arena;

static void flip_forever(void)
{
        while (!atomic_load(&arena->stop)) {
                memcpy(arena->live, arena->forbidden, arena->len);
                memcpy(arena->live, arena->allowed, arena->len);
        }
}

static void *flip_thread(void *unused)
{
        (void)unused;
        flip_forever();
        return NULL;
}

/* Starts the racer: a thread of this process or a process sharing the
 * arena. */
static pid_t start_racer(bool thread, pthread_t *t)
{
        pid_t pid;

        if (thread)
                return pthread_create(t, NULL, flip_thread, NULL) == 0 ? 0 : -1;
        pid = fork();
        if (pid == 0) {
                flip_forever();
                _exit(0);
        }
        return pid;
}

static void stop_racer(bool thread, pthread_t t, pid_t pid)
{
        atomic_store(&arena->stop, 1);
        if (thread)
                pthread_join(t, NULL);
        else if (pid > 0)
                waitpid(pid, NULL, 0);
        atomic_store(&arena->stop, 0);
}

static void set_values(const void *allowed, const void *forbidden, size_t len)
{
        memcpy(arena->allowed, allowed, len);
        memcpy(arena->forbidden, forbidden, len);
        memcpy(arena->live, allowed, len);
        arena->len = len;
}

static int report(long n, long allowed, long refused, long forbidden)
{
        printf("attempts %ld allowed %ld refused %ld forbidden %ld\n", n, allowed, refused,
               forbidden);
        return forbidden ? 1 : 0;
}

/* exec: each attempt is a child that races its own exec (thread mode), or
 * that execs from the arena while the racer process rewrites it. */
static int race_exec(bool thread, long n)
{
        long allowed = 0, refused = 0, forbidden = 0;
        pthread_t t;
        pid_t racer = thread ? 0 : start_racer(false, &t);

        for (long i = 0; i < n; i++) {
                int status;
                pid_t pid = fork();

                if (pid == 0) {
                        char *argv[] = { arena->live, NULL };

                        if (thread && start_racer(true, &t) < 0)
                                _exit(2);
                        execve(arena->live, argv, (char *[]){ NULL });
                        _exit(3);
                }
                if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
                        return 2;
                switch (WEXITSTATUS(status)) {
                case 0: allowed++; break;
                case 1: forbidden++; break;
                case 3: refused++; break;
                default: return 2;
                }
        }
        stop_racer(false, t, racer);
        return report(n, allowed, refused, forbidden);
}

static int race_open(bool thread, long n)
{
        long allowed = 0, refused = 0, forbidden = 0;
        pthread_t t = 0;
        pid_t racer = start_racer(thread, &t);

        for (long i = 0; i < n; i++) {
                int fd = open(arena->live, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

                if (fd >= 0) {
                        allowed++;
                        close(fd);
                } else {
                        refused++;
                }
                if (access(arena->forbidden, F_OK) == 0) {
                        forbidden++;
                        unlink(arena->forbidden);
                }
        }
        stop_racer(thread, t, racer);
        return report(n, allowed, refused, forbidden);
}

/* The write-class calls on names: each attempt makes the live name, then
 * removes what it made. */
static int name_call(const char *kind, const char *source)
{
        if (!strcmp(kind, "mkdir"))
                return mkdir(arena->live, 0755);
        if (!strcmp(kind, "symlink"))
                return symlink("target", arena->live);
        return rename(source, arena->live);
}

static int race_names(const char *kind, bool thread, long n)
{
        long allowed = 0, refused = 0, forbidden = 0;
        bool dir = !strcmp(kind, "mkdir");
        char source[SLOT + 1];
        struct stat st;
        pthread_t t = 0;
        pid_t racer;

        snprintf(source, sizeof(source), "%s~", arena->allowed);
        racer = start_racer(thread, &t);
        for (long i = 0; i < n; i++) {
                int fd = -1;

                if (!strcmp(kind, "rename") &&
                    (fd = open(source, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0)
                        return 2;
                if (fd >= 0)
                        close(fd);
                if (name_call(kind, source) == 0)
                        allowed++;
                else
                        refused++;
                if (lstat(arena->allowed, &st) == 0 &&
                    (dir ? rmdir(arena->allowed) : unlink(arena->allowed)) < 0)
                        return 2;
                if (lstat(arena->forbidden, &st) == 0) {
                        forbidden++;
                        (void)(dir ? rmdir(arena->forbidden) : unlink(arena->forbidden));
                }
        }
        stop_racer(thread, t, racer);
        return report(n, allowed, refused, forbidden);
}

static atomic_long forbidden_arrivals;

/* Counts the connections (stream) or datagrams reaching the forbidden
 * port. */
static void *count_arrivals(void *arg)
{
        int fd = *(int *)arg, type;
        socklen_t len = sizeof(type);
        char buf[16];

        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
                return NULL;
        for (;;) {
                int c = type == SOCK_STREAM ? accept(fd, NULL, NULL)
                                            : (int)recv(fd, buf, sizeof(buf), 0);

                if (c < 0)
                        return NULL;
                atomic_fetch_add(&forbidden_arrivals, 1);
                if (type == SOCK_STREAM)
                        close(c);
        }
}

enum race_socket_call { RACE_CONNECT, RACE_SENDTO, RACE_SENDMSG };

/* connect (TCP), sendto or sendmsg (UDP) from a fresh socket, to the live
 * address. */
static int race_socket(enum race_socket_call call, bool thread, long n, int allowed_port,
                       int forbidden_port)
{
        bool send = call != RACE_CONNECT;
        char data[] = "x";
        struct iovec iov = { .iov_base = data, .iov_len = 1 };
        struct msghdr msg = { .msg_name = arena->live, .msg_namelen = sizeof(struct sockaddr_in),
                              .msg_iov = &iov, .msg_iovlen = 1 };
        struct sockaddr_in a = { .sin_family = AF_INET }, f = { .sin_family = AF_INET };
        int type = send ? SOCK_DGRAM : SOCK_STREAM;
        long allowed = 0, refused = 0;
        int lfd, one = 1;
        pthread_t t = 0, counter;
        pid_t racer;

        a.sin_addr.s_addr = f.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons((uint16_t)allowed_port);
        f.sin_port = htons((uint16_t)forbidden_port);
        lfd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
        setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (lfd < 0 || bind(lfd, (struct sockaddr *)&f, sizeof(f)) < 0 ||
            (!send && listen(lfd, 1024) < 0) ||
            pthread_create(&counter, NULL, count_arrivals, &lfd) != 0) {
                perror("race: forbidden listener");
                return 2;
        }
        set_values(&a, &f, sizeof(a));
        racer = start_racer(thread, &t);
        for (long i = 0; i < n; i++) {
                int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
                bool ok;

                if (fd < 0)
                        return 2;
                if (call == RACE_SENDMSG)
                        ok = sendmsg(fd, &msg, 0) == 1;
                else if (call == RACE_SENDTO)
                        ok = sendto(fd, "x", 1, 0, (struct sockaddr *)arena->live, sizeof(a)) == 1;
                else
                        ok = connect(fd, (struct sockaddr *)arena->live, sizeof(a)) == 0;
                if (ok)
                        allowed++;
                else
                        refused++;
                close(fd);
        }
        stop_racer(thread, t, racer);
        /* Let the counter drain the backlog before counting. */
        usleep(200000);
        return report(n, allowed, refused, atomic_load(&forbidden_arrivals));
}

int main(int argc, char **argv)
{
        bool thread;
        long n;

        if (argc != 6 || (strcmp(argv[2], "thread") && strcmp(argv[2], "process"))) {
                fprintf(stderr, "usage: race exec|open|connect|sendto|sendmsg|mkdir|rename|symlink thread|process N "
                                "ALLOWED FORBIDDEN\n");
                return 2;
        }
        arena = mmap(NULL, sizeof(*arena), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (arena == MAP_FAILED)
                return 2;
        thread = !strcmp(argv[2], "thread");
        n = atol(argv[3]);
        if (!strcmp(argv[1], "connect") || !strcmp(argv[1], "sendto") ||
            !strcmp(argv[1], "sendmsg"))
                return race_socket(!strcmp(argv[1], "connect")  ? RACE_CONNECT
                                   : !strcmp(argv[1], "sendto") ? RACE_SENDTO
                                                                : RACE_SENDMSG,
                                   thread, n, atoi(argv[4]), atoi(argv[5]));
        if (strlen(argv[4]) >= SLOT || strlen(argv[5]) >= SLOT ||
            strlen(argv[4]) != strlen(argv[5])) {
                /* Equal lengths: the racer never leaves a mix of both. */
                fprintf(stderr, "race: the two paths must have the same length (< %d)\n", SLOT);
                return 2;
        }
        set_values(argv[4], argv[5], strlen(argv[4]) + 1);
        if (!strcmp(argv[1], "exec"))
                return race_exec(thread, n);
        if (!strcmp(argv[1], "open"))
                return race_open(thread, n);
        if (!strcmp(argv[1], "mkdir") || !strcmp(argv[1], "rename") ||
            !strcmp(argv[1], "symlink"))
                return race_names(argv[1], thread, n);
        fprintf(stderr, "race: unknown kind '%s'\n", argv[1]);
        return 2;
}
