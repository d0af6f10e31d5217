/* The send gate (sendgate.h): maps, programs and attachments through raw
 * bpf(2), and the ring buffer's consumer side. */
#include "sendgate.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sendgate_prog.h"
#include "util.h"

/* Room for reports: 4096 of them, and the agent reads as they come. */
#define SENDGATE_RING_BYTES (128u * 1024u)

struct sendgate {
        int cgroup_fd;                          /* a duplicate, for detaching */
        int ring_fd;
        int lost_fd;
        int prog_fd[SENDGATE_N_HOOKS];
        bool attached[SENDGATE_N_HOOKS];
        uint64_t lost_seen;                     /* lost count already handed out */
        size_t page;
        unsigned long *consumer_pos;            /* ours, read-write */
        const unsigned long *producer_pos;      /* the kernel's, read-only */
        const uint8_t *data;                    /* mapped twice: a record never wraps */
};

static int sendgate_bpf(int cmd, union bpf_attr *attr)
{
        long r = syscall(SYS_bpf, cmd, attr, sizeof(*attr));

        return r < 0 ? -errno : (int)r;
}

static int sendgate_map(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t entries)
{
        union bpf_attr attr;

        memset(&attr, 0, sizeof(attr));
        attr.map_type = type;
        attr.key_size = key_size;
        attr.value_size = value_size;
        attr.max_entries = entries;
        attr.map_flags = 0;
        return sendgate_bpf(BPF_MAP_CREATE, &attr);
}

static int sendgate_load(struct sendgate *g, const struct policy *pol, enum sendgate_hook hook,
                         bool refuse, size_t cap)
{
        cleanup_free struct bpf_insn *insns = calloc(cap, sizeof(*insns));
        union bpf_attr attr;
        int n;

        if (!insns)
                return -ENOMEM;
        n = sendgate_assemble(pol, hook, refuse, g->ring_fd, g->lost_fd, insns, cap);
        if (n < 0)
                return n;
        memset(&attr, 0, sizeof(attr));
        attr.prog_type = sendgate_prog_type(hook);
        attr.expected_attach_type = sendgate_attach_type(hook);
        attr.insns = (uint64_t)(uintptr_t)insns;
        attr.insn_cnt = (uint32_t)n;
        /* no GPL-only helper is called; the license only gates those */
        attr.license = (uint64_t)(uintptr_t)"GPL";
        memcpy(attr.prog_name, "driftlock_send", sizeof("driftlock_send"));
        return sendgate_bpf(BPF_PROG_LOAD, &attr);
}

static int sendgate_attach_cmd(struct sendgate *g, int cmd, enum sendgate_hook hook)
{
        union bpf_attr attr;

        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (uint32_t)g->cgroup_fd;
        attr.attach_bpf_fd = (uint32_t)g->prog_fd[hook];
        attr.attach_type = sendgate_attach_type(hook);
        if (cmd == BPF_PROG_ATTACH)
                attr.attach_flags = BPF_F_ALLOW_MULTI;
        return sendgate_bpf(cmd, &attr);
}

static int sendgate_map_ring(struct sendgate *g)
{
        void *cons, *prod;

        g->page = (size_t)sysconf(_SC_PAGESIZE);
        cons = mmap(NULL, g->page, PROT_READ | PROT_WRITE, MAP_SHARED, g->ring_fd, 0);
        if (cons == MAP_FAILED)
                return -errno;
        g->consumer_pos = cons;
        /* the producer page, then the data twice over */
        prod = mmap(NULL, g->page + 2 * SENDGATE_RING_BYTES, PROT_READ, MAP_SHARED, g->ring_fd,
                    (off_t)g->page);
        if (prod == MAP_FAILED)
                return -errno;
        g->producer_pos = prod;
        g->data = (const uint8_t *)prod + g->page;
        return 0;
}

int sendgate_new(const struct policy *pol, bool refuse, int cgroup_fd, struct sendgate **ret)
{
        struct sendgate *g = calloc(1, sizeof(*g));
        size_t n_rules = 0, cap;
        int r;

        if (!g)
                return -ENOMEM;
        g->cgroup_fd = g->ring_fd = g->lost_fd = -1;
        for (unsigned h = 0; h < SENDGATE_N_HOOKS; h++)
                g->prog_fd[h] = -1;

        while (policy_ip_rule(pol, n_rules))
                n_rules++;
        cap = sendgate_max_insns(n_rules);

        g->cgroup_fd = fcntl(cgroup_fd, F_DUPFD_CLOEXEC, 3);
        r = g->cgroup_fd < 0 ? -errno : 0;
        if (r == 0) {
                g->ring_fd = sendgate_map(BPF_MAP_TYPE_RINGBUF, 0, 0, SENDGATE_RING_BYTES);
                r = g->ring_fd < 0 ? g->ring_fd : 0;
        }
        if (r == 0) {
                g->lost_fd = sendgate_map(BPF_MAP_TYPE_ARRAY, sizeof(uint32_t), sizeof(uint64_t), 1);
                r = g->lost_fd < 0 ? g->lost_fd : 0;
        }
        if (r == 0)
                r = sendgate_map_ring(g);
        for (unsigned h = 0; r == 0 && h < SENDGATE_N_HOOKS; h++) {
                g->prog_fd[h] = sendgate_load(g, pol, h, refuse, cap);
                r = g->prog_fd[h] < 0 ? g->prog_fd[h] : 0;
        }
        /* all four loaded before the first is attached: a half gate never
         * judges anyone */
        for (unsigned h = 0; r == 0 && h < SENDGATE_N_HOOKS; h++) {
                r = sendgate_attach_cmd(g, BPF_PROG_ATTACH, h);
                g->attached[h] = r == 0;
        }
        if (r < 0) {
                sendgate_free(g);
                return r;
        }
        *ret = g;
        return 0;
}

struct sendgate *sendgate_free(struct sendgate *g)
{
        if (!g)
                return NULL;
        for (unsigned h = 0; h < SENDGATE_N_HOOKS; h++) {
                /* fails harmlessly once the cgroup is gone */
                if (g->attached[h])
                        (void)sendgate_attach_cmd(g, BPF_PROG_DETACH, h);
                if (g->prog_fd[h] >= 0)
                        close(g->prog_fd[h]);
        }
        if (g->consumer_pos)
                munmap(g->consumer_pos, g->page);
        if (g->producer_pos)
                munmap((void *)(uintptr_t)g->producer_pos, g->page + 2 * SENDGATE_RING_BYTES);
        if (g->ring_fd >= 0)
                close(g->ring_fd);
        if (g->lost_fd >= 0)
                close(g->lost_fd);
        if (g->cgroup_fd >= 0)
                close(g->cgroup_fd);
        free(g);
        return NULL;
}

int sendgate_fd(const struct sendgate *g)
{
        return g->ring_fd;
}

int sendgate_cgroup(const struct sendgate *g)
{
        return g->cgroup_fd;
}

static void sendgate_decode(const struct sendgate_record *rec, struct sendgate_report *out)
{
        memset(out, 0, sizeof(*out));
        out->pid = (pid_t)rec->tgid;
        out->syscall = rec->hook == SENDGATE_CONNECT4 || rec->hook == SENDGATE_CONNECT6 ? "connect"
                       : rec->hook == SENDGATE_SOCKET                              ? "socket"
                                                                                   : "sendmsg";
        out->refused = rec->refused != 0;
        out->expressible = rec->hook != SENDGATE_SOCKET &&
                           (rec->protocol == IPPROTO_TCP || rec->protocol == IPPROTO_UDP ||
                            rec->protocol == IPPROTO_UDPLITE);
        out->ep.proto = rec->protocol == IPPROTO_TCP ? NETRULE_TCP : NETRULE_UDP;
        out->ep.family = rec->family == AF_INET6 ? AF_INET6 : AF_INET;
        memcpy(out->ep.addr, rec->addr, sizeof(out->ep.addr));
        out->ep.port = ntohs(rec->port_be);
}

static int64_t sendgate_take_lost(struct sendgate *g)
{
        union bpf_attr attr;
        uint32_t key = 0;
        uint64_t lost = 0, fresh;
        int r;

        memset(&attr, 0, sizeof(attr));
        attr.map_fd = (uint32_t)g->lost_fd;
        attr.key = (uint64_t)(uintptr_t)&key;
        attr.value = (uint64_t)(uintptr_t)&lost;
        r = sendgate_bpf(BPF_MAP_LOOKUP_ELEM, &attr);
        if (r < 0)
                return r;
        fresh = lost - g->lost_seen;
        g->lost_seen = lost;
        return fresh > INT64_MAX ? INT64_MAX : (int64_t)fresh;
}

int64_t sendgate_process(struct sendgate *g, sendgate_report_fn fn, void *ctx)
{
        unsigned long cons = *g->consumer_pos;
        unsigned long prod = __atomic_load_n(g->producer_pos, __ATOMIC_ACQUIRE);

        while (cons < prod) {
                const uint8_t *hdr = g->data + (cons & (SENDGATE_RING_BYTES - 1));
                uint32_t len = __atomic_load_n((const uint32_t *)(const void *)hdr,
                                               __ATOMIC_ACQUIRE);
                uint32_t size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);

                if (len & BPF_RINGBUF_BUSY_BIT)
                        break;  /* still being written: the next wakeup brings it */
                if (!(len & BPF_RINGBUF_DISCARD_BIT) && size == sizeof(struct sendgate_record)) {
                        struct sendgate_record rec;
                        struct sendgate_report report;

                        memcpy(&rec, hdr + BPF_RINGBUF_HDR_SZ, sizeof(rec));
                        sendgate_decode(&rec, &report);
                        fn(ctx, &report);
                }
                cons += (BPF_RINGBUF_HDR_SZ + size + 7) & ~7u;
                __atomic_store_n(g->consumer_pos, cons, __ATOMIC_RELEASE);
        }
        return sendgate_take_lost(g);
}
