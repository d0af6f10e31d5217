/* The send gate's programs (sendgate_prog.h), assembled instruction by
 * instruction: no compiler, no ELF loader, no libbpf, and a program a
 * reviewer can read next to its generator.
 *
 * Registers, for the whole program:
 *   r6     the context (struct bpf_sock_addr)
 *   r7     the socket's protocol
 *   r8     the destination port, network byte order in the low 16 bits
 *   r9     the IPv4 destination (IPv4 programs, and mapped IPv6 ones)
 *   r2-r5  the four words of an IPv6 destination, until the report
 * Addresses are compared word by word as the bytes lie in memory, so the
 * constants are built with memcpy and the program needs no byte swaps. */
#include "sendgate_prog.h"

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "netrule.h"

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

/* Where the record and the lost-map key live on the program's stack. */
#define RECORD_OFF (-32)
#define KEY_OFF    (-36)

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

/* Writes the record, sends it to the ring buffer (or counts it lost) and
 * returns the verdict. */
static void sg_report(struct sg_asm *a, enum sendgate_hook hook, bool v6, bool refuse,
                      int ringbuf_fd, int lost_fd)
{
        size_t reported, no_slot;

        if (v6) {
                static const uint8_t words[] = { R2, R3, R4, R5 };

                for (unsigned w = 0; w < 4; w++)
                        sg_emit(a, BPF_STX | BPF_MEM | BPF_W, FP, words[w],
                                RECORD_OFF + 12 + 4 * w, 0);
        } else {
                sg_emit(a, BPF_STX | BPF_MEM | BPF_W, FP, R9, RECORD_OFF + 12, 0);
                for (unsigned w = 1; w < 4; w++)
                        sg_emit(a, BPF_ST | BPF_MEM | BPF_W, FP, 0, RECORD_OFF + 12 + 4 * w, 0);
        }
        sg_emit(a, BPF_ST | BPF_MEM | BPF_B, FP, 0, RECORD_OFF + 4, (int32_t)hook);
        sg_emit(a, BPF_STX | BPF_MEM | BPF_B, FP, R7, RECORD_OFF + 5, 0);
        sg_emit(a, BPF_ST | BPF_MEM | BPF_B, FP, 0, RECORD_OFF + 6, refuse);
        sg_emit(a, BPF_ST | BPF_MEM | BPF_B, FP, 0, RECORD_OFF + 7, 0);
        sg_emit(a, BPF_ST | BPF_MEM | BPF_H, FP, 0, RECORD_OFF + 8, v6 ? AF_INET6 : AF_INET);
        sg_emit(a, BPF_STX | BPF_MEM | BPF_H, FP, R8, RECORD_OFF + 10, 0);
        sg_emit(a, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_current_pid_tgid);
        sg_emit(a, BPF_ALU64 | BPF_RSH | BPF_K, R0, 0, 0, 32);
        sg_emit(a, BPF_STX | BPF_MEM | BPF_W, FP, R0, RECORD_OFF, 0);

        sg_ld_map(a, R1, ringbuf_fd);
        sg_emit(a, BPF_ALU64 | BPF_MOV | BPF_X, R2, FP, 0, 0);
        sg_emit(a, BPF_ALU64 | BPF_ADD | BPF_K, R2, 0, 0, RECORD_OFF);
        sg_emit(a, BPF_ALU64 | BPF_MOV | BPF_K, R3, 0, 0, sizeof(struct sendgate_record));
        sg_emit(a, BPF_ALU64 | BPF_MOV | BPF_K, R4, 0, 0, 0);
        sg_emit(a, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ringbuf_output);
        reported = sg_emit(a, BPF_JMP | BPF_JEQ | BPF_K, R0, 0, 0, 0);

        /* the ring buffer is full: count it, the agent reports the loss */
        sg_emit(a, BPF_ST | BPF_MEM | BPF_W, FP, 0, KEY_OFF, 0);
        sg_ld_map(a, R1, lost_fd);
        sg_emit(a, BPF_ALU64 | BPF_MOV | BPF_X, R2, FP, 0, 0);
        sg_emit(a, BPF_ALU64 | BPF_ADD | BPF_K, R2, 0, 0, KEY_OFF);
        sg_emit(a, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
        no_slot = sg_emit(a, BPF_JMP | BPF_JEQ | BPF_K, R0, 0, 0, 0);
        sg_emit(a, BPF_ALU64 | BPF_MOV | BPF_K, R1, 0, 0, 1);
        sg_emit(a, BPF_STX | BPF_ATOMIC | BPF_DW, R0, R1, 0, BPF_ADD);

        sg_land(a, reported);
        sg_land(a, no_slot);
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

enum bpf_attach_type sendgate_attach_type(enum sendgate_hook hook)
{
        static const enum bpf_attach_type types[SENDGATE_N_HOOKS] = {
                [SENDGATE_CONNECT4] = BPF_CGROUP_INET4_CONNECT,
                [SENDGATE_CONNECT6] = BPF_CGROUP_INET6_CONNECT,
                [SENDGATE_SENDMSG4] = BPF_CGROUP_UDP4_SENDMSG,
                [SENDGATE_SENDMSG6] = BPF_CGROUP_UDP6_SENDMSG,
                [SENDGATE_SOCKET] = BPF_CGROUP_INET_SOCK_CREATE,
        };

        return types[hook];
}

enum bpf_prog_type sendgate_prog_type(enum sendgate_hook hook)
{
        return hook == SENDGATE_SOCKET ? BPF_PROG_TYPE_CGROUP_SOCK : BPF_PROG_TYPE_CGROUP_SOCK_ADDR;
}

size_t sendgate_max_insns(size_t n_rules)
{
        /* a rule: protocol 2, port 1, four words 12, allow 2; the IPv6
         * programs hold each IPv4 rule too (mapped addresses) */
        return 64 + n_rules * (17 + 8);
}

int sendgate_assemble(const struct policy *pol, enum sendgate_hook hook, bool refuse,
                      int ringbuf_fd, int lost_fd, struct bpf_insn *insns, size_t cap)
{
        struct sg_asm a = { .insn = insns, .cap = cap };
        bool v6 = hook == SENDGATE_CONNECT6 || hook == SENDGATE_SENDMSG6;

        if ((unsigned)hook >= SENDGATE_N_HOOKS || ringbuf_fd < 0 || lost_fd < 0)
                return -EINVAL;

        sg_emit(&a, BPF_ALU64 | BPF_MOV | BPF_X, R6, R1, 0, 0);
        if (hook == SENDGATE_SOCKET) {
                sg_socket(&a);
                sg_report(&a, hook, false, refuse, ringbuf_fd, lost_fd);
                return a.n > a.cap ? -E2BIG : (int)a.n;
        }
        sg_load_ctx(&a, R7, CTX_PROTO);
        sg_load_ctx(&a, R8, CTX_PORT);
        if (v6) {
                static const uint8_t mapped_prefix[12] = { [10] = 0xff, [11] = 0xff };
                size_t not_mapped[3];

                for (unsigned w = 0; w < 4; w++)
                        sg_load_ctx(&a, (uint8_t)(R2 + w), CTX_IP6(w));
                not_mapped[0] = sg_jne32_imm(&a, R2, sg_word(mapped_prefix));
                not_mapped[1] = sg_jne32_imm(&a, R3, sg_word(mapped_prefix + 4));
                not_mapped[2] = sg_jne32_imm(&a, R4, sg_word(mapped_prefix + 8));
                sg_emit(&a, BPF_ALU64 | BPF_MOV | BPF_X, R9, R5, 0, 0);
                sg_rules(&a, pol, AF_INET);
                size_t to_report = sg_emit(&a, BPF_JMP | BPF_JA, 0, 0, 0, 0);

                for (unsigned i = 0; i < 3; i++)
                        sg_land(&a, not_mapped[i]);
                sg_rules(&a, pol, AF_INET6);
                sg_land(&a, to_report);
        } else {
                sg_load_ctx(&a, R9, CTX_IP4);
                sg_rules(&a, pol, AF_INET);
        }
        sg_report(&a, hook, v6, refuse, ringbuf_fd, lost_fd);
        if (a.n > a.cap || a.n > INT16_MAX)
                return -E2BIG;
        return (int)a.n;
}
