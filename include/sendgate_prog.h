/* The programs of the send gate (sendgate.h), assembled from a policy.
 * Pure: no system calls; the map fds are only numbers written into the
 * instructions.
 *
 * One program per hook. The connect and sendmsg programs read the
 * kernel's own copy of the destination from their struct bpf_sock_addr,
 * match it against the policy's tcp/udp rules (the rules of the socket's
 * protocol: TCP, or UDP and UDP-Lite), and
 *   - let a matching destination through silently;
 *   - otherwise write a struct sendgate_record to the report ring buffer
 *     and refuse the call (EPERM) or, when the gate only reports (learn,
 *     monitor), let it through. In learn mode each destination is
 *     reported once: a record whose bytes (all but the pid) are in the
 *     "seen" LRU hash map is not written again, so a chatty workload does
 *     not report every datagram.
 * The socket program does the same for the creation of raw and ICMP
 * sockets (struct bpf_sock), which no rule can allow: a profile cannot
 * name what they reach.
 * The unix program reads sun_path through the kernel's own context
 * (the kfunc bpf_cast_to_kern_ctx, then bpf_probe_read_kernel), and
 * matches it, as written, against the unix rules that name one socket
 * exactly (abstract names, and paths without wildcards): the kernel has
 * not resolved the path yet, so the rule's path must be the path the
 * process writes (a relative path never matches). Calls made from outside
 * the gated cgroup pass: that is the agent performing a sendto it judged
 * itself (on a copy of the process's socket, whose programs these are).
 * A record the ring buffer has no room for is counted in element 0 (a
 * uint64_t) of the "lost" array map.
 * An IPv4-mapped IPv6 destination (::ffff:a.b.c.d) is matched against the
 * IPv4 rules, as policy_check_connect does. */
#pragma once

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

enum sendgate_hook {
        SENDGATE_CONNECT4,      /* BPF_CGROUP_INET4_CONNECT: connect(2), and sendmsg with
                                   MSG_FASTOPEN, which connects */
        SENDGATE_CONNECT6,      /* BPF_CGROUP_INET6_CONNECT */
        SENDGATE_SENDMSG4,      /* BPF_CGROUP_UDP4_SENDMSG: sendto, sendmsg, sendmmsg with
                                   a destination on a UDP socket */
        SENDGATE_SENDMSG6,      /* BPF_CGROUP_UDP6_SENDMSG */
        SENDGATE_SOCKET,        /* BPF_CGROUP_INET_SOCK_CREATE: raw and ICMP sockets reach
                                   any address without a destination these hooks see
                                   (IP_HDRINCL, ping sockets' sendmsg) */
        SENDGATE_SENDMSG_UNIX,  /* BPF_CGROUP_UNIX_SENDMSG (6.7): sendto, sendmsg, sendmmsg
                                   with a destination on a unix datagram socket */
        SENDGATE_N_HOOKS,
};

/* What a program writes to the ring buffer: one destination it did not
 * find in the rules. Written by the kernel, read by the agent, on the same
 * machine: host byte order except where noted. */
struct sendgate_record {
        uint32_t tgid;          /* the calling process, in the initial pid namespace */
        uint8_t hook;           /* enum sendgate_hook */
        uint8_t protocol;       /* of the socket: IPPROTO_TCP, IPPROTO_UDP, ... */
        uint8_t refused;        /* 1: the call failed with EPERM */
        uint8_t reserved;
        uint16_t family;        /* AF_INET or AF_INET6 */
        uint16_t port_be;       /* network byte order */
        uint8_t addr[16];       /* network byte order; IPv4 in addr[0..3] */
};

/* The same for a unix destination: what sun_path the call passed. */
struct sendgate_unix_record {
        struct sendgate_record head;    /* family AF_UNIX; port and addr zero */
        uint16_t path_len;              /* bytes of sun_path passed, at most 108 */
        uint16_t reserved;
        uint8_t path[108];              /* as passed: an abstract name starts with NUL */
};

/* What the programs do with a destination no rule allows. */
enum sendgate_mode {
        SENDGATE_LEARN,         /* let it through, report it once */
        SENDGATE_MONITOR,       /* let it through, report it */
        SENDGATE_ENFORCE,       /* refuse it (EPERM), report it */
};

/* The maps the programs use (their fds). */
struct sendgate_maps {
        int ring;               /* BPF_MAP_TYPE_RINGBUF: the reports */
        int lost;               /* ARRAY, one uint64_t: reports the ring had no room for */
        int seen;               /* LRU_HASH, key: a sendgate_record without its tgid */
        int seen_unix;          /* LRU_HASH, key: a sendgate_unix_record without its tgid */
};

/* The key of the seen maps: a record from its hook field on. */
#define SENDGATE_SEEN_KEY(record_size) ((record_size) - 4)

/* What the unix program needs from the running kernel (btf.h) and of the
 * cgroup it judges. */
struct sendgate_kernel {
        uint32_t unix_sendmsg;          /* the value of BPF_CGROUP_UNIX_SENDMSG */
        int32_t cast_to_kern_ctx;       /* BTF id of the kfunc */
        int16_t uaddr_off;              /* in struct bpf_sock_addr_kern */
        int16_t uaddrlen_off;
        uint64_t cgroup_id;             /* the gated cgroup (cgroup2_identify) */
        int cgroup_level;
};

/* The attach type of a hook (BPF_CGROUP_INET4_CONNECT, ...; k: for the
 * unix hook, newer than this machine's headers). */
uint32_t sendgate_attach_type(enum sendgate_hook hook, const struct sendgate_kernel *k);

/* The program type of a hook (BPF_PROG_TYPE_CGROUP_SOCK_ADDR, ...). */
enum bpf_prog_type sendgate_prog_type(enum sendgate_hook hook);

/* Assembles the program of hook for the rules of pol into insns (room for
 * cap instructions; the size grows with the rules). k is needed for the
 * unix hook only. Returns the number of instructions, or -EINVAL (unknown
 * hook or mode, bad fd, no k for the unix hook), -E2BIG (cap too small),
 * -ENOMEM. */
int sendgate_assemble(const struct policy *pol, enum sendgate_hook hook, enum sendgate_mode mode,
                      const struct sendgate_maps *maps, const struct sendgate_kernel *k,
                      struct bpf_insn *insns, size_t cap);
