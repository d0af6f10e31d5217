/* The send gate against the real kernel: a child in a cgroup of its own
 * sends to allowed and forbidden destinations on loopback with every
 * system call that carries one, and the receivers count what arrived. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup2.h"
#include "policy.h"
#include "profile.h"
#include "sendgate.h"
#include "sendgate_prog.h"
#include "unixsock.h"
#include "util.h"

static bool g_ready;
static char *g_parent;          /* our own cgroup */
static char g_name[64];         /* the test's cgroup below it */
static int g_cgroup = -1;

/* Receivers on loopback: ALLOWED_* are in the profile, the others not. */
enum { UDP4_ALLOWED, UDP4_FORBIDDEN, UDP6_ALLOWED, UDP6_FORBIDDEN, N_UDP };
static int g_udp[N_UDP];
static uint16_t g_udp_port[N_UDP];
static int g_tcp_allowed = -1, g_tcp_forbidden = -1;
/* Unix datagram receivers: a path and an abstract name of each kind. */
enum { UNIX_ALLOWED, UNIX_FORBIDDEN, ABSTRACT_ALLOWED, ABSTRACT_FORBIDDEN, N_UNIX };
static int g_unix[N_UNIX];
static struct sockaddr_un g_unix_addr[N_UNIX];
static socklen_t g_unix_len[N_UNIX];
static char g_dir[64];          /* holds the unix sockets */
static bool g_unix_judged;      /* this kernel has the unix hook (6.7) */
static uint16_t g_tcp_allowed_port, g_tcp_forbidden_port;

static void print_diag(void *ctx, unsigned line, const char *msg)
{
        (void)ctx;
        print_error("profile:%u: %s\n", line, msg);
}

static uint16_t bound_port(int fd)
{
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);

        assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
        return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                              : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static struct sockaddr_in v4(uint16_t port)
{
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return sin;
}

static struct sockaddr_in6 v6(const char *addr, uint16_t port)
{
        struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

        assert_int_equal(inet_pton(AF_INET6, addr, &sin6.sin6_addr), 1);
        return sin6;
}

static int receiver(int family, int type)
{
        int fd = socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        int r;

        assert_true(fd >= 0);
        if (family == AF_INET) {
                struct sockaddr_in sin = v4(0);

                r = bind(fd, (struct sockaddr *)&sin, sizeof(sin));
        } else {
                struct sockaddr_in6 sin6 = v6("::1", 0);

                r = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6));
        }
        assert_int_equal(r, 0);
        if (type == SOCK_STREAM)
                assert_int_equal(listen(fd, 16), 0);
        return fd;
}

/* Datagrams waiting on a receiver (drained). */
static int drain(int fd)
{
        char buf[64];
        int n = 0;

        while (recv(fd, buf, sizeof(buf), 0) >= 0)
                n++;
        return n;
}

static struct policy *gate_policy(void)
{
        char text[1024];
        struct profile *p = NULL;
        struct policy *pol = NULL;

        snprintf(text, sizeof(text),
                 "[connect]\n"
                 "allow = udp 127.0.0.1 %u\n"
                 "allow = udp ::1 %u\n"
                 "allow = tcp 127.0.0.0/8 %u\n"
                 "allow = udp 10.0.0.0/8 *\n"
                 "allow = udp 2001:db8::/33 53\n"
                 "allow = unix %s\n"
                 "allow = unix @%s\n"
                 "allow = unix %s/*.other\n",
                 g_udp_port[UDP4_ALLOWED], g_udp_port[UDP6_ALLOWED], g_tcp_allowed_port,
                 g_unix_addr[UNIX_ALLOWED].sun_path, g_unix_addr[ABSTRACT_ALLOWED].sun_path + 1,
                 g_dir);
        assert_int_equal(profile_parse(text, strlen(text), print_diag, NULL, &p), 0);
        assert_int_equal(policy_compile(p, &pol), 0);
        profile_free(p);
        return pol;
}

static int group_setup(void **state)
{
        (void)state;
        if (geteuid() != 0) {
                fprintf(stderr, "test_sendgate: needs root (bpf, cgroups)\n");
                return 0;
        }
        alarm(60);
        if (cgroup2_path_of(getpid(), &g_parent) < 0) {
                fprintf(stderr, "test_sendgate: no cgroup v2 hierarchy\n");
                return -1;
        }
        snprintf(g_name, sizeof(g_name), "driftlock-test-sendgate.%d", (int)getpid());
        if (cgroup2_make(g_parent, g_name, &g_cgroup) < 0) {
                fprintf(stderr, "test_sendgate: cannot make a cgroup below %s\n", g_parent);
                return -1;
        }
        g_udp[UDP4_ALLOWED] = receiver(AF_INET, SOCK_DGRAM);
        g_udp[UDP4_FORBIDDEN] = receiver(AF_INET, SOCK_DGRAM);
        g_udp[UDP6_ALLOWED] = receiver(AF_INET6, SOCK_DGRAM);
        g_udp[UDP6_FORBIDDEN] = receiver(AF_INET6, SOCK_DGRAM);
        for (int i = 0; i < N_UDP; i++)
                g_udp_port[i] = bound_port(g_udp[i]);
        g_tcp_allowed = receiver(AF_INET, SOCK_STREAM);
        g_tcp_forbidden = receiver(AF_INET, SOCK_STREAM);
        g_tcp_allowed_port = bound_port(g_tcp_allowed);
        g_tcp_forbidden_port = bound_port(g_tcp_forbidden);
        snprintf(g_dir, sizeof(g_dir), "/tmp/driftlock-test-sendgate.%d", (int)getpid());
        if (mkdir(g_dir, 0700) < 0)
                return -1;
        for (int i = 0; i < N_UNIX; i++) {
                static const char *const names[N_UNIX] = { "ok.sock", "no.sock", "ok", "no" };
                struct sockaddr_un *sun = &g_unix_addr[i];
                bool abstract = i >= ABSTRACT_ALLOWED;

                sun->sun_family = AF_UNIX;
                if (abstract)
                        snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1,
                                 "driftlock-test-%d-%s", (int)getpid(), names[i]);
                else
                        snprintf(sun->sun_path, sizeof(sun->sun_path), "%s/%s", g_dir, names[i]);
                g_unix_len[i] = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + abstract +
                                            strlen(sun->sun_path + abstract));
                g_unix[i] = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
                if (g_unix[i] < 0 || bind(g_unix[i], (struct sockaddr *)sun, g_unix_len[i]) < 0)
                        return -1;
        }
        g_ready = true;
        return 0;
}

static int group_teardown(void **state)
{
        (void)state;
        if (g_cgroup >= 0) {
                close(g_cgroup);
                cgroup2_remove(g_parent, g_name);
        }
        if (g_dir[0]) {
                unlink(g_unix_addr[UNIX_ALLOWED].sun_path);
                unlink(g_unix_addr[UNIX_FORBIDDEN].sun_path);
                rmdir(g_dir);
        }
        free(g_parent);
        return 0;
}

/* The calls the child makes, each answered with 0 or its errno. */
enum attempt {
        SENDTO4_ALLOWED,
        SENDTO4_FORBIDDEN,
        SENDMSG4_FORBIDDEN,
        SENDMMSG4_SECOND_FORBIDDEN,     /* 0: one sent; else its errno */
        SENDMSG6_ALLOWED,
        SENDMSG6_FORBIDDEN,
        SENDMSG6_MAPPED_ALLOWED,
        SENDMSG6_MAPPED_FORBIDDEN,
        CONNECT_TCP_ALLOWED,
        CONNECT_TCP_FORBIDDEN,
        CONNECT_UDP_FORBIDDEN,
        FASTOPEN_FORBIDDEN,
        RAW4_SOCKET,
        RAW6_SOCKET,
        UNIX_SENDTO_ALLOWED,
        UNIX_SENDMSG_FORBIDDEN,
        UNIX_SENDTO_RELATIVE,           /* "ok.sock" from its directory: not as written */
        UNIX_SENDMSG_ABSTRACT_ALLOWED,
        UNIX_SENDMSG_ABSTRACT_FORBIDDEN,
        N_ATTEMPTS,
};

static int result(ssize_t r)
{
        return r < 0 ? errno : 0;
}

static int send_msg(int fd, const void *addr, socklen_t len, int flags)
{
        char data[] = "x";
        struct iovec iov = { .iov_base = data, .iov_len = 1 };
        struct msghdr msg = {
                .msg_name = (void *)(uintptr_t)addr, .msg_namelen = len,
                .msg_iov = &iov, .msg_iovlen = 1,
        };

        return result(sendmsg(fd, &msg, flags | MSG_NOSIGNAL));
}

static void child_attempts(int *out)
{
        int u4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        int u6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in ok4 = v4(g_udp_port[UDP4_ALLOWED]);
        struct sockaddr_in bad4 = v4(g_udp_port[UDP4_FORBIDDEN]);
        struct sockaddr_in6 ok6 = v6("::1", g_udp_port[UDP6_ALLOWED]);
        struct sockaddr_in6 bad6 = v6("::1", g_udp_port[UDP6_FORBIDDEN]);
        struct sockaddr_in6 ok_mapped = v6("::ffff:127.0.0.1", g_udp_port[UDP4_ALLOWED]);
        struct sockaddr_in6 bad_mapped = v6("::ffff:127.0.0.1", g_udp_port[UDP4_FORBIDDEN]);
        struct sockaddr_in tcp_ok = v4(g_tcp_allowed_port), tcp_bad = v4(g_tcp_forbidden_port);
        char data[] = "y";
        struct iovec iov = { .iov_base = data, .iov_len = 1 };
        struct mmsghdr mm[2] = {
                { .msg_hdr = { .msg_name = &ok4, .msg_namelen = sizeof(ok4),
                               .msg_iov = &iov, .msg_iovlen = 1 } },
                { .msg_hdr = { .msg_name = &bad4, .msg_namelen = sizeof(bad4),
                               .msg_iov = &iov, .msg_iovlen = 1 } },
        };
        int s, n;

        out[SENDTO4_ALLOWED] = result(sendto(u4, "a", 1, 0, (struct sockaddr *)&ok4, sizeof(ok4)));
        out[SENDTO4_FORBIDDEN] = result(sendto(u4, "b", 1, 0, (struct sockaddr *)&bad4, sizeof(bad4)));
        out[SENDMSG4_FORBIDDEN] = send_msg(u4, &bad4, sizeof(bad4), 0);
        n = sendmmsg(u4, mm, 2, 0);
        out[SENDMMSG4_SECOND_FORBIDDEN] = n == 1 ? 0 : n < 0 ? errno : 1000 + n;
        out[SENDMSG6_ALLOWED] = send_msg(u6, &ok6, sizeof(ok6), 0);
        out[SENDMSG6_FORBIDDEN] = send_msg(u6, &bad6, sizeof(bad6), 0);
        out[SENDMSG6_MAPPED_ALLOWED] = send_msg(u6, &ok_mapped, sizeof(ok_mapped), 0);
        out[SENDMSG6_MAPPED_FORBIDDEN] = send_msg(u6, &bad_mapped, sizeof(bad_mapped), 0);

        s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        out[CONNECT_TCP_ALLOWED] = result(connect(s, (struct sockaddr *)&tcp_ok, sizeof(tcp_ok)));
        close(s);
        s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        out[CONNECT_TCP_FORBIDDEN] = result(connect(s, (struct sockaddr *)&tcp_bad, sizeof(tcp_bad)));
        close(s);
        out[CONNECT_UDP_FORBIDDEN] = result(connect(u4, (struct sockaddr *)&bad4, sizeof(bad4)));
        /* TCP Fast Open: sendmsg connects, and is judged as a connect */
        s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        out[FASTOPEN_FORBIDDEN] = send_msg(s, &tcp_bad, sizeof(tcp_bad), MSG_FASTOPEN);
        close(s);
        /* raw sockets send anywhere (IP_HDRINCL): not even made */
        s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_UDP);
        out[RAW4_SOCKET] = result(s);
        if (s >= 0)
                close(s);
        s = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
        out[RAW6_SOCKET] = result(s);
        if (s >= 0)
                close(s);

        s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        out[UNIX_SENDTO_ALLOWED] = result(sendto(s, "u", 1, 0, (struct sockaddr *)&g_unix_addr[UNIX_ALLOWED],
                                                 g_unix_len[UNIX_ALLOWED]));
        out[UNIX_SENDMSG_FORBIDDEN] = send_msg(s, &g_unix_addr[UNIX_FORBIDDEN], g_unix_len[UNIX_FORBIDDEN], 0);
        {
                struct sockaddr_un rel = { .sun_family = AF_UNIX, .sun_path = "ok.sock" };

                out[UNIX_SENDTO_RELATIVE] =
                        chdir(g_dir) < 0 ? errno
                                         : result(sendto(s, "r", 1, 0, (struct sockaddr *)&rel, sizeof(rel)));
        }
        out[UNIX_SENDMSG_ABSTRACT_ALLOWED] =
                send_msg(s, &g_unix_addr[ABSTRACT_ALLOWED], g_unix_len[ABSTRACT_ALLOWED], 0);
        out[UNIX_SENDMSG_ABSTRACT_FORBIDDEN] =
                send_msg(s, &g_unix_addr[ABSTRACT_FORBIDDEN], g_unix_len[ABSTRACT_FORBIDDEN], 0);
        close(s);
}

/* Runs the attempts in a child inside the gated cgroup. */
static void run_child(int *out)
{
        int p[2];
        pid_t c;
        int st;

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        c = fork();
        assert_true(c >= 0);
        if (c == 0) {
                int res[N_ATTEMPTS] = { 0 };

                if (cgroup2_move(g_cgroup, 0) < 0)
                        _exit(2);
                child_attempts(res);
                _exit(write(p[1], res, sizeof(res)) == (ssize_t)sizeof(res) ? 0 : 3);
        }
        close(p[1]);
        assert_int_equal(read(p[0], out, sizeof(int) * N_ATTEMPTS), (ssize_t)(sizeof(int) * N_ATTEMPTS));
        close(p[0]);
        assert_int_equal(waitpid(c, &st, 0), c);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

struct collected {
        struct sendgate_report r[32];
        size_t n;
};

static void collect(void *ctx, const struct sendgate_report *r)
{
        struct collected *c = ctx;

        if (c->n < ARRAY_SIZE(c->r)) {
                struct sendgate_report *copy = &c->r[c->n++];

                *copy = *r;
                /* ep.path points into the report it belongs to */
                if (r->ep.path)
                        copy->ep.path = copy->unix_path + (r->ep.path - r->unix_path);
        }
}

static size_t count_reports(const struct collected *c, const char *syscall, uint16_t port,
                            bool refused)
{
        size_t n = 0;

        for (size_t i = 0; i < c->n; i++)
                if (!strcmp(c->r[i].syscall, syscall) && c->r[i].ep.port == port &&
                    c->r[i].refused == refused && c->r[i].expressible)
                        n++;
        return n;
}

/* Refused unix sends to the name (a path, or an abstract name). */
static size_t count_unix(const struct collected *c, const char *name, bool abstract, bool refused)
{
        size_t n = 0;

        for (size_t i = 0; i < c->n; i++) {
                const struct policy_endpoint *ep = &c->r[i].ep;

                if (c->r[i].hook == SENDGATE_SENDMSG_UNIX && !strcmp(c->r[i].syscall, "sendmsg") &&
                    c->r[i].refused == refused && ep->proto == NETRULE_UNIX &&
                    ep->abstract == abstract && ep->path_len == strlen(name) &&
                    !memcmp(ep->path, name, ep->path_len))
                        n++;
        }
        return n;
}

/* Reports of raw sockets made: no destination, nothing a rule names. */
static size_t count_raw(const struct collected *c, bool refused)
{
        size_t n = 0;

        for (size_t i = 0; i < c->n; i++)
                if (c->r[i].hook == SENDGATE_SOCKET && !strcmp(c->r[i].syscall, "socket") &&
                    !c->r[i].expressible && c->r[i].refused == refused)
                        n++;
        return n;
}

static void drain_all(void)
{
        for (int i = 0; i < N_UDP; i++)
                drain(g_udp[i]);
        for (int i = 0; i < N_UNIX; i++)
                drain(g_unix[i]);
        for (int i = 0; i < 2; i++) {
                int l = i ? g_tcp_forbidden : g_tcp_allowed, a;

                while ((a = accept4(l, NULL, NULL, SOCK_CLOEXEC)) >= 0)
                        close(a);
        }
}

/* A gate in mode on the test's cgroup, for gate_policy() (into *ret_pol);
 * the test is skipped without root. Sets g_unix_judged. */
static struct sendgate *gate_on(enum sendgate_mode mode, struct policy **ret_pol)
{
        struct sendgate *g = NULL;

        if (!g_ready)
                skip();
        *ret_pol = gate_policy();
        assert_int_equal(sendgate_new(*ret_pol, mode, g_cgroup, &g), 0);
        g_unix_judged = sendgate_unix_status(g) == 0;
        if (!g_unix_judged) {
                fprintf(stderr, "test_sendgate: unix datagrams not judged here: %s\n",
                        strerror(-sendgate_unix_status(g)));
                /* CI's kernels have the hook: there it is a failure */
                assert_null(getenv("CI"));
        }
        return g;
}

static void test_sendgate_enforce(void **state)
{
        struct policy *pol = NULL;
        struct sendgate *g = gate_on(SENDGATE_ENFORCE, &pol);
        struct collected c = { .n = 0 };
        int out[N_ATTEMPTS];

        (void)state;
        run_child(out);

        assert_int_equal(out[SENDTO4_ALLOWED], 0);
        assert_int_equal(out[SENDTO4_FORBIDDEN], EPERM);
        assert_int_equal(out[SENDMSG4_FORBIDDEN], EPERM);
        assert_int_equal(out[SENDMMSG4_SECOND_FORBIDDEN], 0);
        assert_int_equal(out[SENDMSG6_ALLOWED], 0);
        assert_int_equal(out[SENDMSG6_FORBIDDEN], EPERM);
        assert_int_equal(out[SENDMSG6_MAPPED_ALLOWED], 0);
        assert_int_equal(out[SENDMSG6_MAPPED_FORBIDDEN], EPERM);
        assert_int_equal(out[CONNECT_TCP_ALLOWED], 0);
        assert_int_equal(out[CONNECT_TCP_FORBIDDEN], EPERM);
        assert_int_equal(out[CONNECT_UDP_FORBIDDEN], EPERM);
        assert_int_equal(out[FASTOPEN_FORBIDDEN], EPERM);
        assert_int_equal(out[RAW4_SOCKET], EPERM);
        assert_int_equal(out[RAW6_SOCKET], EPERM);
        assert_int_equal(out[UNIX_SENDTO_ALLOWED], 0);
        assert_int_equal(out[UNIX_SENDMSG_ABSTRACT_ALLOWED], 0);
        assert_int_equal(drain(g_unix[UNIX_ALLOWED]), 1);
        assert_int_equal(drain(g_unix[ABSTRACT_ALLOWED]), 1);
        if (g_unix_judged) {
                assert_int_equal(out[UNIX_SENDMSG_FORBIDDEN], EPERM);
                assert_int_equal(out[UNIX_SENDTO_RELATIVE], EPERM);
                assert_int_equal(out[UNIX_SENDMSG_ABSTRACT_FORBIDDEN], EPERM);
                assert_int_equal(drain(g_unix[UNIX_FORBIDDEN]), 0);
                assert_int_equal(drain(g_unix[ABSTRACT_FORBIDDEN]), 0);
        }
        /* allowed: sendto, the first of sendmmsg, the mapped sendmsg */
        assert_int_equal(drain(g_udp[UDP4_ALLOWED]), 3);
        assert_int_equal(drain(g_udp[UDP6_ALLOWED]), 1);
        assert_int_equal(drain(g_udp[UDP4_FORBIDDEN]), 0);
        assert_int_equal(drain(g_udp[UDP6_FORBIDDEN]), 0);

        assert_int_equal(sendgate_process(g, collect, &c), 0);
        assert_int_equal(count_reports(&c, "sendmsg", g_udp_port[UDP4_FORBIDDEN], true), 4);
        assert_int_equal(count_reports(&c, "sendmsg", g_udp_port[UDP6_FORBIDDEN], true), 1);
        assert_int_equal(count_reports(&c, "connect", g_tcp_forbidden_port, true), 2);
        assert_int_equal(count_reports(&c, "connect", g_udp_port[UDP4_FORBIDDEN], true), 1);
        assert_int_equal(count_raw(&c, true), 2);
        if (g_unix_judged) {
                assert_int_equal(count_unix(&c, g_unix_addr[UNIX_FORBIDDEN].sun_path, false, true), 1);
                assert_int_equal(count_unix(&c, "ok.sock", false, true), 1);
                assert_int_equal(count_unix(&c, g_unix_addr[ABSTRACT_FORBIDDEN].sun_path + 1, true, true), 1);
                assert_int_equal(c.n, 13);
        } else {
                assert_int_equal(c.n, 10);
        }
        for (size_t i = 0; i < c.n; i++)
                assert_true(c.r[i].pid > 0 && c.r[i].pid != getpid());

        /* the agent's own sockets are outside the cgroup: not judged */
        {
                int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                struct sockaddr_in bad4 = v4(g_udp_port[UDP4_FORBIDDEN]);

                assert_int_equal(sendto(u, "z", 1, 0, (struct sockaddr *)&bad4, sizeof(bad4)), 1);
                close(u);
                assert_int_equal(drain(g_udp[UDP4_FORBIDDEN]), 1);
        }

        /* a socket made in the cgroup, used from outside it (the agent
         * performing a sendto it judged): not judged again */
        if (g_unix_judged) {
                int sv[2], sock;
                pid_t maker;

                assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
                maker = fork();
                assert_true(maker >= 0);
                if (maker == 0) {
                        int u = -1;

                        if (cgroup2_move(g_cgroup, 0) == 0)
                                u = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                        _exit(u >= 0 && unixsock_send_fd(sv[1], u) == 0 ? 0 : 1);
                }
                sock = unixsock_recv_fd(sv[0]);
                assert_true(sock >= 0);
                waitpid(maker, NULL, 0);
                assert_int_equal(send_msg(sock, &g_unix_addr[UNIX_FORBIDDEN], g_unix_len[UNIX_FORBIDDEN], 0), 0);
                assert_int_equal(drain(g_unix[UNIX_FORBIDDEN]), 1);
                close(sock);
                close(sv[0]);
                close(sv[1]);
        }

        /* detached: nothing is judged any more */
        assert_null(sendgate_free(g));
        run_child(out);
        assert_int_equal(out[SENDTO4_FORBIDDEN], 0);
        assert_int_equal(out[CONNECT_TCP_FORBIDDEN], 0);
        drain_all();
        policy_free(pol);
}

static void test_sendgate_report_only(void **state)
{
        struct policy *pol = NULL;
        struct sendgate *g = gate_on(SENDGATE_MONITOR, &pol);
        struct collected c = { .n = 0 };
        int out[N_ATTEMPTS];

        (void)state;
        run_child(out);
        assert_int_equal(out[SENDTO4_FORBIDDEN], 0);
        assert_int_equal(out[SENDMSG6_FORBIDDEN], 0);
        assert_int_equal(out[CONNECT_TCP_FORBIDDEN], 0);
        assert_int_equal(out[RAW4_SOCKET], 0);
        /* sendto, sendmsg, the second of sendmmsg, the mapped sendmsg */
        assert_int_equal(drain(g_udp[UDP4_FORBIDDEN]), 4);
        assert_int_equal(sendgate_process(g, collect, &c), 0);
        assert_int_equal(count_reports(&c, "sendmsg", g_udp_port[UDP4_FORBIDDEN], false), 4);
        assert_int_equal(count_reports(&c, "sendmsg", g_udp_port[UDP4_FORBIDDEN], true), 0);
        assert_int_equal(count_raw(&c, false), 2);
        sendgate_free(g);
        drain_all();
        policy_free(pol);
}

/* Learn mode reports each destination once, not every call to it. */
static void test_sendgate_learn_reports_once(void **state)
{
        struct policy *pol = NULL;
        struct sendgate *g = gate_on(SENDGATE_LEARN, &pol);
        struct collected first = { .n = 0 }, again = { .n = 0 };
        int out[N_ATTEMPTS];

        (void)state;
        run_child(out);
        assert_int_equal(out[SENDMSG4_FORBIDDEN], 0);
        assert_int_equal(out[UNIX_SENDMSG_FORBIDDEN], 0);
        assert_int_equal(sendgate_process(g, collect, &first), 0);
        /* sendto, sendmsg, sendmmsg and the mapped sendmsg: one destination */
        assert_int_equal(count_reports(&first, "sendmsg", g_udp_port[UDP4_FORBIDDEN], false), 1);
        /* connect and Fast Open's sendmsg */
        assert_int_equal(count_reports(&first, "connect", g_tcp_forbidden_port, false), 1);
        assert_int_equal(count_raw(&first, false), 2);
        if (g_unix_judged)
                assert_int_equal(count_unix(&first, g_unix_addr[UNIX_FORBIDDEN].sun_path, false, false), 1);
        /* another process, the same destinations: nothing new */
        run_child(out);
        assert_int_equal(sendgate_process(g, collect, &again), 0);
        assert_int_equal(again.n, 0);
        sendgate_free(g);
        drain_all();
        policy_free(pol);
}

/* The mask words of the prefixes, and the program size bound. Pure. */
static void test_sendgate_assemble(void **state)
{
        struct profile *p = NULL;
        struct policy *pol = NULL;
        const char *text = "[connect]\nallow = udp 10.1.0.0/16 *\nallow = tcp ::/0 443\n"
                           "allow = unix /run/a.sock\nallow = unix @name\n";
        const struct sendgate_kernel k = { .unix_sendmsg = 50, .cast_to_kern_ctx = 1 };
        const struct sendgate_maps maps = { .ring = 3, .lost = 4, .seen = 5, .seen_unix = 6 };
        const struct sendgate_maps no_ring = { .ring = -1, .lost = 4, .seen = 5, .seen_unix = 6 };
        static struct bpf_insn insns[1024];

        (void)state;
        assert_int_equal(profile_parse(text, strlen(text), print_diag, NULL, &p), 0);
        assert_int_equal(policy_compile(p, &pol), 0);
        profile_free(p);
        for (int h = 0; h < SENDGATE_N_HOOKS; h++) {
                for (int m = SENDGATE_LEARN; m <= SENDGATE_ENFORCE; m++) {
                        int n = sendgate_assemble(pol, h, m, &maps, &k, insns, ARRAY_SIZE(insns));

                        assert_true(n > 0);
                        assert_int_equal(insns[n - 1].code, BPF_JMP | BPF_EXIT);
                        assert_int_equal(sendgate_assemble(pol, h, m, &maps, &k, insns, (size_t)n - 1),
                                         -E2BIG);
                }
        }
        assert_int_equal(sendgate_assemble(pol, SENDGATE_N_HOOKS, SENDGATE_ENFORCE, &maps, &k, insns,
                                           ARRAY_SIZE(insns)), -EINVAL);
        assert_int_equal(sendgate_assemble(pol, SENDGATE_CONNECT4, SENDGATE_ENFORCE + 1, &maps, &k,
                                           insns, ARRAY_SIZE(insns)), -EINVAL);
        assert_int_equal(sendgate_assemble(pol, SENDGATE_CONNECT4, SENDGATE_ENFORCE, &no_ring, &k,
                                           insns, ARRAY_SIZE(insns)), -EINVAL);
        assert_int_equal(sendgate_assemble(pol, SENDGATE_SENDMSG_UNIX, SENDGATE_ENFORCE, &maps, NULL,
                                           insns, ARRAY_SIZE(insns)), -EINVAL);
        policy_free(pol);
}

static void test_cgroup2_within(void **state)
{
        (void)state;
        assert_true(cgroup2_within("/a/b", "/a"));
        assert_true(cgroup2_within("/a", "/a"));
        assert_true(cgroup2_within("/a", "/"));
        assert_false(cgroup2_within("/ab", "/a"));
        assert_false(cgroup2_within("/a", "/a/b"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cgroup2_within),
                cmocka_unit_test(test_sendgate_assemble),
                cmocka_unit_test(test_sendgate_enforce),
                cmocka_unit_test(test_sendgate_report_only),
                cmocka_unit_test(test_sendgate_learn_reports_once),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
