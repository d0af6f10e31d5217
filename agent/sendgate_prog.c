/* The send gate's programs (sendgate_prog.h), assembled instruction by
 * instruction: no compiler, no ELF loader, no libbpf, and a program a
 * reviewer can read next to its generator.
 *
 * Registers, for the whole program:
 *   r6     the context (struct bpf_sock_addr; struct bpf_sock for the
 *          socket program)
 *   r7     the socket's protocol (0 in unix reports)
 *   r8     the destination port, network byte order in the low 16 bits;
 *          in the unix program the length of sun_path passed
 *   r9     the IPv4 destination (IPv4 programs, and mapped IPv6 ones)
 *   r2-r5  the four words of an IPv6 destination, until the report
 * Addresses and names are compared word by word as the bytes lie in
 * memory, so the constants are built with memcpy and the program needs no
 * byte swaps. */
#include "sendgate_prog.h"

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netrule.h"

_Static_assert(offsetof(struct sendgate_unix_record, path_len) == 28 &&
               offsetof(struct sendgate_unix_record, path) == 32 &&
               sizeof(struct sendgate_unix_record) == 140,
               "the unix program writes struct sendgate_unix_record field by field");
_Static_assert(offsetof(struct sendgate_record, hook) == 4 &&
               offsetof(struct sendgate_record, protocol) == 5 &&
               offsetof(struct sendgate_record, refused) == 6 &&
               offsetof(struct sendgate_record, family) == 8 &&
               offsetof(struct sendgate_record, port_be) == 10 &&
               offsetof(struct sendgate_record, addr) == 12 &&
               sizeof(struct sendgate_record) == 28,
               "the programs write struct sendgate_record field by field");

enum {
        R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, FP,
};

/* Where a record lives on the program's stack (the lost-map key in the 4
 * bytes below it, the seen map's value in the 4 below those). A unix
 * record's path is 8-byte aligned: the verifier refuses unaligned stack
 * loads. */
#define RECORD_OFF      (-32)
#define UNIX_RECORD_OFF (-144)
#define UNIX_PATH_OFF   (UNIX_RECORD_OFF + 32)
#define UNIX_PATH_MAX   108

#define CTX_IP4     ((short)offsetof(struct bpf_sock_addr, user_ip4))
#define CTX_IP6(i)  ((short)(offsetof(struct bpf_sock_addr, user_ip6) + 4 * (i)))
#define CTX_PORT    ((short)offsetof(struct bpf_sock_addr, user_port))
#define CTX_PROTO   ((short)offsetof(struct bpf_sock_addr, protocol))
#define SOCK_TYPE   ((short)offsetof(struct bpf_sock, type))
#define SOCK_PROTO  ((short)offsetof(struct bpf_sock, protocol))

struct sg_asm {
        struct bpf_insn *insn;
        size_t cap;
        size_t n;
};

static size_t sg_emit(struct sg_asm *a, uint8_t code, uint8_t dst, uint8_t src, int16_t off,
                      int32_t imm)
{
        if (a->n < a->cap)
                a->insn[a->n] = (struct bpf_insn){
                        .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm,
                };
        return a->n++;
}

/* Points the jump at index from to the next instruction to be emitted. */
static void sg_land(struct sg_asm *a, size_t from)
{
        if (from < a->cap)
                a->insn[from].off = (int16_t)(a->n - from - 1);
}

static size_t sg_jne_imm(struct sg_asm *a, uint8_t reg, int32_t imm)
{
        return sg_emit(a, BPF_JMP | BPF_JNE | BPF_K, reg, 0, 0, imm);
}

/* 32-bit compare: address words have their top bit set as often as not,
 * and a 64-bit compare would sign-extend the immediate. */
static size_t sg_jne32_imm(struct sg_asm *a, uint8_t reg, int32_t imm)
{
        return sg_emit(a, BPF_JMP32 | BPF_JNE | BPF_K, reg, 0, 0, imm);
}

static void sg_load_ctx(struct sg_asm *a, uint8_t dst, int16_t off)
{
        sg_emit(a, BPF_LDX | BPF_MEM | BPF_W, dst, R6, off, 0);
}

static void sg_ld_map(struct sg_asm *a, uint8_t dst, int fd)
{
        sg_emit(a, BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_FD, 0, fd);
        sg_emit(a, 0, 0, 0, 0, 0);
}

static void sg_exit_with(struct sg_asm *a, int32_t verdict)
{
        sg_emit(a, BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, verdict);
        sg_emit(a, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static int32_t sg_word(const uint8_t *bytes)
{
        int32_t w;

        memcpy(&w, bytes, sizeof(w));
        return w;
}

/* The 32-bit mask of word w (0-3) of a prefix, as it lies in memory. */
static int32_t sg_mask_word(unsigned prefix, unsigned w)
{
        uint8_t bytes[4];

        for (unsigned i = 0; i < 4; i++) {
                unsigned bit = (w * 4 + i) * 8;

                if (prefix >= bit + 8)
                        bytes[i] = 0xff;
                else if (prefix > bit)
                        bytes[i] = (uint8_t)(0xff << (8 - (prefix - bit)));
                else
                        bytes[i] = 0;
        }
        return sg_word(bytes);
}

/* Jumps to "next" unless r7 is the rule's protocol; the returned jumps are
 * landed by the caller (at most 2). */
static size_t sg_match_proto(struct sg_asm *a, const struct netrule *rule, size_t *jumps)
{
        if (rule->proto == NETRULE_TCP) {
                jumps[0] = sg_jne_imm(a, R7, IPPROTO_TCP);
                return 1;
        }
        /* UDP-Lite is judged by the udp rules, as the supervisor does */
        size_t is_udp = sg_emit(a, BPF_JMP | BPF_JEQ | BPF_K, R7, 0, 0, IPPROTO_UDP);

        jumps[0] = sg_jne_imm(a, R7, IPPROTO_UDPLITE);
        sg_land(a, is_udp);
        return 1;
}

/* One rule: falls through to the next rule unless the destination in
 * regs (one register for IPv4, four for IPv6) matches, then allows. */
static void sg_rule(struct sg_asm *a, const struct netrule *rule, const uint8_t *regs,
                    unsigned n_words)
{
        size_t next[2 + 4];
        size_t n = sg_match_proto(a, rule, next);

        if (rule->port != NETRULE_ANY_PORT)
                next[n++] = sg_jne_imm(a, R8, htons((uint16_t)rule->port));
        for (unsigned w = 0; w < n_words; w++) {
                int32_t mask = sg_mask_word(rule->prefix, w);

                if (mask == 0)
                        break;  /* the prefix ends before this word */
                sg_emit(a, BPF_ALU64 | BPF_MOV | BPF_X, R0, regs[w], 0, 0);
                sg_emit(a, BPF_ALU | BPF_AND | BPF_K, R0, 0, 0, mask);
                next[n++] = sg_jne32_imm(a, R0, sg_word(rule->addr + 4 * w));
        }
        sg_exit_with(a, 1);
        for (size_t i = 0; i < n; i++)
                sg_land(a, next[i]);
}

static void sg_rules(struct sg_asm *a, const struct policy *pol, int family)
{
        static const uint8_t v4[] = { R9 };
        static const uint8_t v6[] = { R2, R3, R4, R5 };
        const struct netrule *rule;

        for (size_t i = 0; (rule = policy_ip_rule(pol, i)); i++)
                if (rule->family == family)
                        sg_rule(a, rule, family == AF_INET ? v4 : v6, family == AF_INET ? 1 : 4);
}

/* Where the address words of a report come from. */
enum sg_addr {
        SG_ADDR_V4,     /* r9, and the port from r8 */
        SG_ADDR_V6,     /* r2-r5, and the port from r8 */
        SG_ADDR_NONE,   /* zeros */
};

/* Writes the head of the record at off (the rest of a unix record is
 * already there), sends size bytes to the ring buffer (or counts the
 * record lost) and returns the verdict. The protocol comes from r7. In
 * learn mode a record already seen is not sent again, and a record sent
 * is remembered as seen. */
static void sg_report(struct sg_asm *a, enum sendgate_hook hook, enum sg_addr addr, int family,
                      enum sendgate_mode mode, int16_t off, uint32_t size,
                      const struct sendgate_maps *maps)
{
        bool refuse = mode == SENDGATE_ENFORCE;
        int seen = size == sizeof(struct sendgate_record) ? maps->seen : maps->seen_unix;
        int16_t key = (int16_t)(off - 4), flag = (int16_t)(off - 8);
        size_t reported, no_slot, fresh = SIZE_MAX, not_sent = SIZE_MAX;

        for (unsigned w = 0; w < 4; w++) {
                static const uint8_t v6[] = { R2, R3, R4, R5 };
                int16_t at = (int16_t)(off + 12 + 4 * w);

                if (addr == SG_ADDR_V6 || (addr == SG_ADDR_V4 && w == 0))
                        sg_emit(a, BPF_STX | BPF_MEM | BPF_W, FP, addr == SG_ADDR_V6 ? v6[w] : R9,
                                at, 0);
                else
                        sg_emit(a, BPF_ST | BPF_MEM | BPF_W, FP, 0, at, 0);
        }
        sg_emit(a, BPF_ST | BPF_MEM | BPF_B, FP, 0, (int16_t)(off + 4), (int32_t)hook);
        sg_emit(a, BPF_STX | BPF_MEM | BPF_B, FP, R7, (int16_t)(off + 5), 0);
        sg_emit(a, BPF_ST | BPF_MEM | BPF_B, FP, 0, (int16_t)(off + 6), refuse);
        sg_emit(a, BPF_ST | BPF_MEM | BPF_B, FP, 0, (int16_t)(off + 7), 0);
        sg_emit(a, BPF_ST | BPF_MEM | BPF_H, FP, 0, (int16_t)(off + 8), family);
        if (addr == SG_ADDR_NONE)
                sg_emit(a, BPF_ST | BPF_MEM | BPF_H, FP, 0, (int16_t)(off + 10), 0);
        else
                sg_emit(a, BPF_STX | BPF_MEM | BPF_H, FP, R8, (int16_t)(off + 10), 0);
        if (mode == SENDGATE_LEARN) {
                sg_ld_map(a, R1, seen);
                sg_emit(a, BPF_ALU64 | BPF_MOV | BPF_X, R2, FP, 0, 0);
                sg_emit(a, BPF_ALU64 | BPF_ADD | BPF_K, R2, 0, 0, off + 4);
                sg_emit(a, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
                fresh = sg_emit(a, BPF_JMP | BPF_JEQ | BPF_K, R0, 0, 0, 0);
                sg_exit_with(a, 1);
                sg_land(a, fresh);
        }
        sg_emit(a, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_current_pid_tgid);
        sg_emit(a, BPF_ALU64 | BPF_RSH | BPF_K, R0, 0, 0, 32);
        sg_emit(a, BPF_STX | BPF_MEM | BPF_W, FP, R0, off, 0);

        sg_ld_map(a, R1, maps->ring);
        sg_emit(a, BPF_ALU64 | BPF_MOV | BPF_X, R2, FP, 0, 0);
        sg_emit(a, BPF_ALU64 | BPF_ADD | BPF_K, R2, 0, 0, off);
        sg_emit(a, BPF_ALU64 | BPF_MOV | BPF_K, R3, 0, 0, (int32_t)size);
        sg_emit(a, BPF_ALU64 | BPF_MOV | BPF_K, R4, 0, 0, 0);
        sg_emit(a, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ringbuf_output);
        reported = sg_emit(a, BPF_JMP | BPF_JEQ | BPF_K, R0, 0, 0, 0);

        /* the ring buffer is full: count it, the agent reports the loss */
        sg_emit(a, BPF_ST | BPF_MEM | BPF_W, FP, 0, key, 0);
        sg_ld_map(a, R1, maps->lost);
        sg_emit(a, BPF_ALU64 | BPF_MOV | BPF_X, R2, FP, 0, 0);
        sg_emit(a, BPF_ALU64 | BPF_ADD | BPF_K, R2, 0, 0, key);
        sg_emit(a, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
        no_slot = sg_emit(a, BPF_JMP | BPF_JEQ | BPF_K, R0, 0, 0, 0);
        sg_emit(a, BPF_ALU64 | BPF_MOV | BPF_K, R1, 0, 0, 1);
        sg_emit(a, BPF_STX | BPF_ATOMIC | BPF_DW, R0, R1, 0, BPF_ADD);
        if (mode == SENDGATE_LEARN)
                not_sent = sg_emit(a, BPF_JMP | BPF_JA, 0, 0, 0, 0);

        sg_land(a, reported);
        /* learn: only what reached the agent counts as seen, or a record
         * lost once would never be learned */
        if (mode == SENDGATE_LEARN) {
                sg_emit(a, BPF_ST | BPF_MEM | BPF_W, FP, 0, flag, 1);
                sg_ld_map(a, R1, seen);
                sg_emit(a, BPF_ALU64 | BPF_MOV | BPF_X, R2, FP, 0, 0);
                sg_emit(a, BPF_ALU64 | BPF_ADD | BPF_K, R2, 0, 0, off + 4);
                sg_emit(a, BPF_ALU64 | BPF_MOV | BPF_X, R3, FP, 0, 0);
                sg_emit(a, BPF_ALU64 | BPF_ADD | BPF_K, R3, 0, 0, flag);
                sg_emit(a, BPF_ALU64 | BPF_MOV | BPF_K, R4, 0, 0, BPF_ANY);
                sg_emit(a, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_update_elem);
        }
        sg_land(a, no_slot);
        if (not_sent != SIZE_MAX)
                sg_land(a, not_sent);
        sg_exit_with(a, refuse ? 0 : 1);
}

/* The socket program: lets every socket but raw and ICMP ones be made;
 * those fall through to the report with no destination (r8, r9 zero). */
static void sg_socket(struct sg_asm *a)
{
        size_t raw, icmp, icmp6;

        sg_load_ctx(a, R2, SOCK_TYPE);
        sg_load_ctx(a, R7, SOCK_PROTO);
        sg_emit(a, BPF_ALU64 | BPF_MOV | BPF_K, R8, 0, 0, 0);
        sg_emit(a, BPF_ALU64 | BPF_MOV | BPF_K, R9, 0, 0, 0);
        raw = sg_emit(a, BPF_JMP | BPF_JEQ | BPF_K, R2, 0, 0, SOCK_RAW);
        icmp = sg_emit(a, BPF_JMP | BPF_JEQ | BPF_K, R7, 0, 0, IPPROTO_ICMP);
        icmp6 = sg_emit(a, BPF_JMP | BPF_JEQ | BPF_K, R7, 0, 0, IPPROTO_ICMPV6);
        sg_exit_with(a, 1);
        sg_land(a, raw);
        sg_land(a, icmp);
        sg_land(a, icmp6);
}

/* One exact unix name: falls through to the next unless the sun_path
 * passed (its length in r8, its bytes at UNIX_PATH_OFF) is it. A path
 * matches up to its end or a NUL (the kernel reads it as a string); an
 * abstract name only with its exact length. */
static void sg_unix_name(struct sg_asm *a, const uint8_t *name, size_t len)
{
        size_t next[2 + 27 + 1], n = 0, exact = SIZE_MAX;

        if (name[0] != '\0' && len < UNIX_PATH_MAX) {
                next[n++] = sg_emit(a, BPF_JMP | BPF_JLT | BPF_K, R8, 0, 0, (int32_t)len);
                exact = sg_emit(a, BPF_JMP | BPF_JEQ | BPF_K, R8, 0, 0, (int32_t)len);
                sg_emit(a, BPF_LDX | BPF_MEM | BPF_B, R0, FP, (int16_t)(UNIX_PATH_OFF + len), 0);
                next[n++] = sg_jne_imm(a, R0, 0);
                sg_land(a, exact);
        } else {
                next[n++] = sg_jne_imm(a, R8, (int32_t)len);
        }
        for (size_t at = 0; at < len; at += 4) {
                uint8_t word[4] = { 0 }, mask[4] = { 0 };
                size_t k = len - at < 4 ? len - at : 4;

                memcpy(word, name + at, k);
                memset(mask, 0xff, k);
                sg_emit(a, BPF_LDX | BPF_MEM | BPF_W, R0, FP, (int16_t)(UNIX_PATH_OFF + at), 0);
                if (k < 4)
                        sg_emit(a, BPF_ALU | BPF_AND | BPF_K, R0, 0, 0, sg_word(mask));
                next[n++] = sg_jne32_imm(a, R0, sg_word(word));
        }
        sg_exit_with(a, 1);
        for (size_t i = 0; i < n; i++)
                sg_land(a, next[i]);
}

/* The unix program up to the report: the caller's cgroup, then sun_path
 * onto the stack (the record's path), its length into r8 and the record. */
static int sg_unix(struct sg_asm *a, const struct policy *pol, const struct sendgate_kernel *k)
{
        size_t outside, clamped, nonempty, done;
        int r = 0;

        /* from outside the gated cgroup: the agent's own checked sendto */
        sg_emit(a, BPF_ALU64 | BPF_MOV | BPF_K, R1, 0, 0, k->cgroup_level);
        sg_emit(a, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_current_ancestor_cgroup_id);
        sg_emit(a, BPF_LD | BPF_DW | BPF_IMM, R2, 0, 0, (int32_t)(uint32_t)k->cgroup_id);
        sg_emit(a, 0, 0, 0, 0, (int32_t)(uint32_t)(k->cgroup_id >> 32));
        outside = sg_emit(a, BPF_JMP | BPF_JNE | BPF_X, R0, R2, 0, 0);

        sg_emit(a, BPF_ALU64 | BPF_MOV | BPF_X, R1, R6, 0, 0);
        sg_emit(a, BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, k->cast_to_kern_ctx);
        sg_emit(a, BPF_LDX | BPF_MEM | BPF_DW, R7, R0, k->uaddr_off, 0);
        sg_emit(a, BPF_LDX | BPF_MEM | BPF_W, R8, R0, k->uaddrlen_off, 0);
        /* sun_family lands on the record's path_len and reserved, which
         * are written next; a failed read leaves zeros */
        sg_emit(a, BPF_ALU64 | BPF_MOV | BPF_X, R1, FP, 0, 0);
        sg_emit(a, BPF_ALU64 | BPF_ADD | BPF_K, R1, 0, 0, UNIX_PATH_OFF - 2);
        sg_emit(a, BPF_ALU64 | BPF_MOV | BPF_K, R2, 0, 0, 2 + UNIX_PATH_MAX);
        sg_emit(a, BPF_ALU64 | BPF_MOV | BPF_X, R3, R7, 0, 0);
        sg_emit(a, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_probe_read_kernel);
        /* r8 = the length of sun_path passed, 0 to 108 */
        nonempty = sg_emit(a, BPF_JMP | BPF_JGT | BPF_K, R8, 0, 0, 2);
        sg_emit(a, BPF_ALU64 | BPF_MOV | BPF_K, R8, 0, 0, 2);
        sg_land(a, nonempty);
        sg_emit(a, BPF_ALU64 | BPF_SUB | BPF_K, R8, 0, 0, 2);
        clamped = sg_emit(a, BPF_JMP | BPF_JLE | BPF_K, R8, 0, 0, UNIX_PATH_MAX);
        sg_emit(a, BPF_ALU64 | BPF_MOV | BPF_K, R8, 0, 0, UNIX_PATH_MAX);
        sg_land(a, clamped);
        sg_emit(a, BPF_STX | BPF_MEM | BPF_H, FP, R8, UNIX_RECORD_OFF + 28, 0);
        sg_emit(a, BPF_ST | BPF_MEM | BPF_H, FP, 0, UNIX_RECORD_OFF + 30, 0);
        /* Bytes past the length passed are whatever the kernel's copy had
         * there: zero them, so that a report carries nothing else and one
         * destination is one key of the seen map. */
        for (int i = 0; i < UNIX_PATH_MAX; i++) {
                size_t inside = sg_emit(a, BPF_JMP | BPF_JGT | BPF_K, R8, 0, 0, i);

                sg_emit(a, BPF_ST | BPF_MEM | BPF_B, FP, 0, (int16_t)(UNIX_PATH_OFF + i), 0);
                sg_land(a, inside);
        }

        for (size_t i = 0;; i++) {
                char *name = NULL;
                size_t len = 0;

                r = policy_unix_exact(pol, i, &name, &len);
                if (r == -ENOENT)
                        break;
                if (r < 0)
                        return r;
                if (r > 0 && len > 0 && len <= UNIX_PATH_MAX)
                        sg_unix_name(a, (const uint8_t *)name, len);
                free(name);
        }
        /* no rule: the protocol byte of the report is 0 */
        sg_emit(a, BPF_ALU64 | BPF_MOV | BPF_K, R7, 0, 0, 0);
        done = sg_emit(a, BPF_JMP | BPF_JA, 0, 0, 0, 0);
        sg_land(a, outside);
        sg_exit_with(a, 1);
        sg_land(a, done);
        return 0;
}

uint32_t sendgate_attach_type(enum sendgate_hook hook, const struct sendgate_kernel *k)
{
        static const enum bpf_attach_type types[SENDGATE_N_HOOKS] = {
                [SENDGATE_CONNECT4] = BPF_CGROUP_INET4_CONNECT,
                [SENDGATE_CONNECT6] = BPF_CGROUP_INET6_CONNECT,
                [SENDGATE_SENDMSG4] = BPF_CGROUP_UDP4_SENDMSG,
                [SENDGATE_SENDMSG6] = BPF_CGROUP_UDP6_SENDMSG,
                [SENDGATE_SOCKET] = BPF_CGROUP_INET_SOCK_CREATE,
        };

        if (hook == SENDGATE_SENDMSG_UNIX)
                return k ? k->unix_sendmsg : UINT32_MAX;
        return types[hook];
}

enum bpf_prog_type sendgate_prog_type(enum sendgate_hook hook)
{
        return hook == SENDGATE_SOCKET ? BPF_PROG_TYPE_CGROUP_SOCK : BPF_PROG_TYPE_CGROUP_SOCK_ADDR;
}

int sendgate_assemble(const struct policy *pol, enum sendgate_hook hook, enum sendgate_mode mode,
                      const struct sendgate_maps *maps, const struct sendgate_kernel *k,
                      struct bpf_insn *insns, size_t cap)
{
        struct sg_asm a = { .insn = insns, .cap = cap };
        bool v6 = hook == SENDGATE_CONNECT6 || hook == SENDGATE_SENDMSG6;
        int r;

        if ((unsigned)hook >= SENDGATE_N_HOOKS || (unsigned)mode > SENDGATE_ENFORCE ||
            maps->ring < 0 || maps->lost < 0 || maps->seen < 0 || maps->seen_unix < 0 ||
            (hook == SENDGATE_SENDMSG_UNIX && !k))
                return -EINVAL;

        sg_emit(&a, BPF_ALU64 | BPF_MOV | BPF_X, R6, R1, 0, 0);
        if (hook == SENDGATE_SOCKET) {
                sg_socket(&a);
                sg_report(&a, hook, SG_ADDR_NONE, AF_INET, mode, RECORD_OFF,
                          sizeof(struct sendgate_record), maps);
        } else if (hook == SENDGATE_SENDMSG_UNIX) {
                r = sg_unix(&a, pol, k);
                if (r < 0)
                        return r;
                sg_report(&a, hook, SG_ADDR_NONE, AF_UNIX, mode, UNIX_RECORD_OFF,
                          sizeof(struct sendgate_unix_record), maps);
        } else {
                sg_load_ctx(&a, R7, CTX_PROTO);
                sg_load_ctx(&a, R8, CTX_PORT);
                if (v6) {
                        static const uint8_t mapped_prefix[12] = { [10] = 0xff, [11] = 0xff };
                        size_t not_mapped[3], to_report;

                        for (unsigned w = 0; w < 4; w++)
                                sg_load_ctx(&a, (uint8_t)(R2 + w), CTX_IP6(w));
                        not_mapped[0] = sg_jne32_imm(&a, R2, sg_word(mapped_prefix));
                        not_mapped[1] = sg_jne32_imm(&a, R3, sg_word(mapped_prefix + 4));
                        not_mapped[2] = sg_jne32_imm(&a, R4, sg_word(mapped_prefix + 8));
                        sg_emit(&a, BPF_ALU64 | BPF_MOV | BPF_X, R9, R5, 0, 0);
                        sg_rules(&a, pol, AF_INET);
                        to_report = sg_emit(&a, BPF_JMP | BPF_JA, 0, 0, 0, 0);
                        for (unsigned i = 0; i < 3; i++)
                                sg_land(&a, not_mapped[i]);
                        sg_rules(&a, pol, AF_INET6);
                        sg_land(&a, to_report);
                } else {
                        sg_load_ctx(&a, R9, CTX_IP4);
                        sg_rules(&a, pol, AF_INET);
                }
                sg_report(&a, hook, v6 ? SG_ADDR_V6 : SG_ADDR_V4, v6 ? AF_INET6 : AF_INET, mode,
                          RECORD_OFF, sizeof(struct sendgate_record), maps);
        }
        if (a.n > a.cap || a.n > INT16_MAX)
                return -E2BIG;
        return (int)a.n;
}
