/* The send gate (sendgate.h): maps, programs and attachments through raw
 * bpf(2), and the ring buffer's consumer side. */
#include "sendgate.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "btf.h"
#include "cgroup2.h"
#include "sendgate_prog.h"
#include "util.h"

/* Room for reports: about 1000 unix ones or 4000 inet ones, and the agent
 * reads them as they come. */
#define SENDGATE_RING_BYTES (128u * 1024u)

/* Destinations a learning gate remembers having reported (sendgate_prog.h);
 * the least recently used are forgotten, and reported again if they recur. */
#define SENDGATE_SEEN_ENTRIES 4096u

/* BPF_MAXINSNS for privileged programs */
#define SENDGATE_MAX_INSNS (1u << 20)

struct sendgate {
        int cgroup_fd;                          /* a duplicate, for detaching */
        struct sendgate_maps maps;
        int prog_fd[SENDGATE_N_HOOKS];
        bool attached[SENDGATE_N_HOOKS];
        struct sendgate_kernel kernel;          /* for the unix program */
        int unix_status;                        /* 0, or why unix sends are not judged */
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
                         enum sendgate_mode mode)
{
        cleanup_free struct bpf_insn *insns = NULL;
        union bpf_attr attr;
        size_t cap = 256;
        int n;

        /* the size grows with the rules: try, and double (the kernel takes
         * a million instructions) */
        do {
                struct bpf_insn *bigger = realloc(insns, cap * sizeof(*insns));

                if (!bigger)
                        return -ENOMEM;
                insns = bigger;
                n = sendgate_assemble(pol, hook, mode, &g->maps, &g->kernel, insns, cap);
                cap *= 2;
        } while (n == -E2BIG && cap <= SENDGATE_MAX_INSNS);
        if (n < 0)
                return n;
        memset(&attr, 0, sizeof(attr));
        attr.prog_type = sendgate_prog_type(hook);
        attr.expected_attach_type = sendgate_attach_type(hook, &g->kernel);
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
        attr.attach_type = sendgate_attach_type(hook, &g->kernel);
        if (cmd == BPF_PROG_ATTACH)
                attr.attach_flags = BPF_F_ALLOW_MULTI;
        return sendgate_bpf(cmd, &attr);
}

static int sendgate_map_ring(struct sendgate *g)
{
        void *cons, *prod;

        g->page = (size_t)sysconf(_SC_PAGESIZE);
        cons = mmap(NULL, g->page, PROT_READ | PROT_WRITE, MAP_SHARED, g->maps.ring, 0);
        if (cons == MAP_FAILED)
                return -errno;
        g->consumer_pos = cons;
        /* the producer page, then the data twice over */
        prod = mmap(NULL, g->page + 2 * SENDGATE_RING_BYTES, PROT_READ, MAP_SHARED, g->maps.ring,
                    (off_t)g->page);
        if (prod == MAP_FAILED)
                return -errno;
        g->producer_pos = prod;
        g->data = (const uint8_t *)prod + g->page;
        return 0;
}

/* What the unix program needs from this kernel's BTF. -ENOENT: the kernel
 * lacks the hook (6.7) or BTF. */
static int sendgate_btf_facts(struct sendgate_kernel *k)
{
        struct btf *b = NULL;
        int64_t attach = 0;
        int r, id, kctx = -ENOENT, uaddr = -ENOENT, uaddrlen = -ENOENT;

        r = btf_load_vmlinux(&b);
        if (r < 0)
                return r;
        r = btf_enum_value(b, "bpf_attach_type", "BPF_CGROUP_UNIX_SENDMSG", &attach);
        if (r == 0) {
                kctx = btf_find(b, BTF_KIND_FUNC, "bpf_cast_to_kern_ctx");
                id = btf_find(b, BTF_KIND_STRUCT, "bpf_sock_addr_kern");
                uaddr = btf_member_offset(b, id, "uaddr");
                uaddrlen = btf_member_offset(b, id, "uaddrlen");
        }
        btf_free(b);
        if (r < 0 || kctx < 0 || uaddr < 0 || uaddrlen < 0)
                return -ENOENT;
        *k = (struct sendgate_kernel){
                .unix_sendmsg = (uint32_t)attach,
                .cast_to_kern_ctx = kctx,
                .uaddr_off = (int16_t)uaddr,
                .uaddrlen_off = (int16_t)uaddrlen,
        };
        return 0;
}

/* The BTF facts hold while the kernel runs; reading them costs a 6 MB
 * file and tens of milliseconds, which the agent's one loop would spend
 * on every container start. So they are read once per process (gates are
 * made by one thread: sendgate.h). */
static struct {
        bool known;
        int status;
        struct sendgate_kernel k;
} sendgate_btf;

/* What the unix program needs from the kernel and of the cgroup. */
static int sendgate_kernel_facts(int cgroup_fd, struct sendgate_kernel *k)
{
        if (!sendgate_btf.known) {
                sendgate_btf.status = sendgate_btf_facts(&sendgate_btf.k);
                /* a failure to allocate may pass; a missing hook will not */
                sendgate_btf.known = sendgate_btf.status != -ENOMEM;
        }
        if (sendgate_btf.status < 0)
                return sendgate_btf.status;
        *k = sendgate_btf.k;
        return cgroup2_identify(cgroup_fd, &k->cgroup_id, &k->cgroup_level);
}

int sendgate_new(const struct policy *pol, enum sendgate_mode mode, int cgroup_fd,
                 struct sendgate **ret)
{
        struct sendgate *g = calloc(1, sizeof(*g));
        int r;

        if (!g)
                return -ENOMEM;
        g->cgroup_fd = -1;
        g->maps = (struct sendgate_maps){ .ring = -1, .lost = -1, .seen = -1, .seen_unix = -1 };
        for (unsigned h = 0; h < SENDGATE_N_HOOKS; h++)
                g->prog_fd[h] = -1;

        g->cgroup_fd = fcntl(cgroup_fd, F_DUPFD_CLOEXEC, 3);
        r = g->cgroup_fd < 0 ? -errno : 0;
        if (r == 0)
                r = g->maps.ring = sendgate_map(BPF_MAP_TYPE_RINGBUF, 0, 0, SENDGATE_RING_BYTES);
        if (r >= 0)
                r = g->maps.lost = sendgate_map(BPF_MAP_TYPE_ARRAY, sizeof(uint32_t), sizeof(uint64_t), 1);
        if (r >= 0)
                r = g->maps.seen = sendgate_map(BPF_MAP_TYPE_LRU_HASH,
                                                SENDGATE_SEEN_KEY(sizeof(struct sendgate_record)),
                                                sizeof(uint32_t), SENDGATE_SEEN_ENTRIES);
        if (r >= 0)
                r = g->maps.seen_unix = sendgate_map(BPF_MAP_TYPE_LRU_HASH,
                                                     SENDGATE_SEEN_KEY(sizeof(struct sendgate_unix_record)),
                                                     sizeof(uint32_t), SENDGATE_SEEN_ENTRIES);
        if (r > 0)
                r = 0;
        if (r == 0)
                r = sendgate_map_ring(g);
        for (unsigned h = 0; r == 0 && h < SENDGATE_N_HOOKS; h++) {
                if (h == SENDGATE_SENDMSG_UNIX) {
                        /* a kernel before 6.7, or without BTF: the rest of
                         * the gate still stands, and says so */
                        g->unix_status = sendgate_kernel_facts(cgroup_fd, &g->kernel);
                        if (g->unix_status == 0)
                                g->prog_fd[h] = sendgate_load(g, pol, h, mode);
                        if (g->unix_status == 0 && g->prog_fd[h] < 0)
                                g->unix_status = g->prog_fd[h];
                        continue;
                }
                g->prog_fd[h] = sendgate_load(g, pol, h, mode);
                r = g->prog_fd[h] < 0 ? g->prog_fd[h] : 0;
        }
        /* all loaded before the first is attached: a half gate never
         * judges anyone */
        for (unsigned h = 0; r == 0 && h < SENDGATE_N_HOOKS; h++) {
                if (g->prog_fd[h] < 0)
                        continue;
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
        if (g->maps.ring >= 0)
                close(g->maps.ring);
        if (g->maps.lost >= 0)
                close(g->maps.lost);
        if (g->maps.seen >= 0)
                close(g->maps.seen);
        if (g->maps.seen_unix >= 0)
                close(g->maps.seen_unix);
        if (g->cgroup_fd >= 0)
                close(g->cgroup_fd);
        free(g);
        return NULL;
}

int sendgate_fd(const struct sendgate *g)
{
        return g->maps.ring;
}

int sendgate_unix_status(const struct sendgate *g)
{
        return g->unix_status;
}

int sendgate_cgroup(const struct sendgate *g)
{
        return g->cgroup_fd;
}

static void sendgate_decode(const struct sendgate_record *rec, struct sendgate_report *out)
{
        memset(out, 0, sizeof(*out));
        out->pid = (pid_t)rec->tgid;
        out->hook = (enum sendgate_hook)rec->hook;
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

/* A unix destination: a path up to its first NUL, or an abstract name
 * (leading NUL) of exactly the length passed. */
static void sendgate_decode_unix(const struct sendgate_unix_record *rec,
                                 struct sendgate_report *out)
{
        size_t len = rec->path_len < sizeof(rec->path) ? rec->path_len : sizeof(rec->path);
        const char *path = (const char *)rec->path;

        out->expressible = len > 0;
        out->ep.proto = NETRULE_UNIX;
        out->ep.family = AF_UNIX;
        memcpy(out->unix_path, path, len);
        if (len > 0 && path[0] == '\0') {
                out->ep.abstract = true;
                out->ep.path = out->unix_path + 1;
                out->ep.path_len = len - 1;
        } else {
                out->ep.path = out->unix_path;
                out->ep.path_len = strnlen(path, len);
        }
}

static int64_t sendgate_take_lost(struct sendgate *g)
{
        union bpf_attr attr;
        uint32_t key = 0;
        uint64_t lost = 0, fresh;
        int r;

        memset(&attr, 0, sizeof(attr));
        attr.map_fd = (uint32_t)g->maps.lost;
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
                if (!(len & BPF_RINGBUF_DISCARD_BIT) &&
                    (size == sizeof(struct sendgate_record) ||
                     size == sizeof(struct sendgate_unix_record))) {
                        struct sendgate_unix_record rec;
                        struct sendgate_report report;

                        memcpy(&rec, hdr + BPF_RINGBUF_HDR_SZ, size);
                        sendgate_decode(&rec.head, &report);
                        if (rec.head.hook == SENDGATE_SENDMSG_UNIX &&
                            size == sizeof(struct sendgate_unix_record))
                                sendgate_decode_unix(&rec, &report);
                        fn(ctx, &report);
                }
                cons += (BPF_RINGBUF_HDR_SZ + size + 7) & ~7u;
                __atomic_store_n(g->consumer_pos, cons, __ATOMIC_RELEASE);
        }
        return sendgate_take_lost(g);
}
