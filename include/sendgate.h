/* The kernel-side send gate (DESIGN.md §4, connect): cgroup BPF programs
 * that judge the destination of every connect(2) and of every
 * sendto/sendmsg/sendmmsg with a destination on a UDP or unix datagram
 * socket, on the kernel's own copy of the address, and refuse raw and
 * ICMP sockets, whose destinations no hook shows. sendmsg and sendmmsg carry their
 * destination in memory (msghdr.msg_name) and cannot be held by seccomp
 * (a runtime hands the listener over with sendmsg after loading the
 * filter); here no thread can rewrite what was judged.
 *
 * The programs (sendgate_prog.h) hold the profile's tcp/udp rules and its
 * unix rules that name one socket exactly (a unix path is matched as the
 * process wrote it: the kernel has not resolved it yet). What no rule
 * allows is refused with EPERM (enforce) or let through (learn, monitor),
 * and reported through a BPF ring buffer that the agent reads with
 * sendgate_process().
 *
 * Attached with BPF_F_ALLOW_MULTI to one cgroup v2 directory: every
 * process in it or below it is judged, whenever its sockets were made
 * (the kernel runs the programs of the socket's cgroup, which is the
 * cgroup of the process that created the socket). The programs stay
 * attached if the agent dies: the container keeps being judged, its
 * reports are lost. They go when sendgate_free() detaches them or when the
 * cgroup is removed.
 *
 * Not judged here: protocols other than TCP, UDP and UDP-Lite (refused or
 * reported as having no rule); unix datagrams on kernels before 6.7 or
 * without BTF (sendgate_unix_status() says so).
 *
 * Kernel edge: bpf(2) (CAP_BPF and CAP_NET_ADMIN, or CAP_SYS_ADMIN; the
 * unix program calls a kfunc and reads kernel memory: CAP_PERFMON too),
 * Linux 5.8 (ring buffer), 6.7 with BTF for unix datagrams. No logging.
 * Gates are made and read by one thread (what the kernel's BTF says is
 * read once per process). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy.h"
#include "sendgate_prog.h"

struct sendgate;

/* One destination the programs found in no rule. */
struct sendgate_report {
        pid_t pid;                      /* the calling process (thread group id) */
        enum sendgate_hook hook;        /* the program that judged the call */
        const char *syscall;            /* the hook's call for events: "connect",
                                           "sendmsg" (sendto and sendmmsg included: the
                                           hook cannot tell them apart) or "socket" */
        bool refused;                   /* the call failed with EPERM */
        bool expressible;               /* TCP, UDP, UDP-Lite or unix: ep is filled */
        struct policy_endpoint ep;      /* tcp or udp, AF_INET or AF_INET6; or unix (its
                                           path, as the process wrote it, points
                                           into unix_path) */
        char unix_path[108];
};

/* Loads the programs for the rules of pol and mode and attaches them to
 * the cgroup v2 directory cgroup_fd (not kept). In learn mode each
 * destination is reported once (while it stays among the 4096 most
 * recent), not on every call.
 * Returns 0 and the gate in *ret, or -EPERM (no privilege), -EINVAL or
 * -ENOSYS (a kernel without these hooks, or a verifier refusal), -EBADF
 * (not a cgroup v2 directory), -ENOMEM, -E2BIG (too many rules).
 * On error nothing stays attached. */
int sendgate_new(const struct policy *pol, enum sendgate_mode mode, int cgroup_fd,
                 struct sendgate **ret);

/* Detaches the programs (if the cgroup still exists) and frees the gate.
 * Accepts NULL; returns NULL. */
struct sendgate *sendgate_free(struct sendgate *g);

/* The ring buffer's fd, readable (EPOLLIN) when reports wait. For the
 * caller's poll loop only: read it through sendgate_process(). */
int sendgate_fd(const struct sendgate *g);

/* 0 if unix datagram destinations are judged, else why not: -ENOENT (a
 * kernel before 6.7 or without BTF), or the error of loading the program. */
int sendgate_unix_status(const struct sendgate *g);

/* The cgroup directory the gate is attached to (owned by the gate). */
int sendgate_cgroup(const struct sendgate *g);

typedef void (*sendgate_report_fn)(void *ctx, const struct sendgate_report *r);

/* Hands every waiting report to fn, oldest first. Returns the number of
 * reports the programs could not write since the last call (the ring
 * buffer was full: the calls were still judged), or -errno if the lost
 * counter could not be read. */
int64_t sendgate_process(struct sendgate *g, sendgate_report_fn fn, void *ctx);
