/* The wire protocol between the in-container shim (shim/) and driftlockd's
 * shim socket (DIR/agent.sock, mounted at /.driftlock/agent.sock). Plain
 * fixed-size structs in host byte order (both ends run on the same
 * machine): the shim needs no JSON library and no allocation.
 *
 *   shim                                   agent
 *   connect(/.driftlock/agent.sock)
 *   struct shimproto_hello  ----------->   identifies the peer by the kernel's
 *                                          word only (SO_PEERPIDFD/SO_PEERCRED,
 *                                          its pid namespace and cgroup against
 *                                          the hook's registration)
 *                           <-----------   struct shimproto_filter + insns
 *                                          (status != 0: refused, no program)
 *   prctl(NO_NEW_PRIVS), seccomp(NEW_LISTENER, program)
 *   struct shimproto_attach + SCM_RIGHTS(listener fd) -->
 *                                          checks the fd is a seccomp
 *                                          listener, supervises it
 *                           <-----------   struct shimproto_ack
 *   (preload: return from the constructor; exec wrapper: execve CMD)
 *
 * Nothing the shim sends names a container, a profile or a mode: a process
 * cannot choose who it is. */
#pragma once

#include <stdint.h>

#define SHIMPROTO_MAGIC 0x444c4b31u     /* "DLK1" */
#define SHIMPROTO_VERSION 1u
/* Longest filter the agent sends; BPF_MAXINSNS is 4096. */
#define SHIMPROTO_MAX_INSNS 4096u

/* "Is this process already supervised?" A process started inside an
 * attached tree inherits the filter and must not attach again (the kernel
 * allows one listener per filter chain). The shim asks the kernel, before it
 * touches the socket: every filter driftlock installs answers
 *     close_range(any, any, flags) with (flags & 0xffffffff) == SHIMPROTO_PROBE_FLAGS
 * with ERRNO(SHIMPROTO_PROBE_ERRNO) (rule: syscall SHIMPROTO_PROBE_SYSCALL,
 * arg SHIMPROTO_PROBE_ARG, mask 0xffffffff, value SHIMPROTO_PROBE_FLAGS).
 * Without the filter the kernel refuses these flags with EINVAL and closes
 * nothing; no real program passes them. Any other answer (EINVAL, or the
 * runtime's own filter refusing close_range) means "not attached". */
#define SHIMPROTO_PROBE_SYSCALL "close_range"
#define SHIMPROTO_PROBE_ARG 2
#define SHIMPROTO_PROBE_FLAGS 0x444c4b31u       /* "DLK1"; invalid close_range flags */
#define SHIMPROTO_PROBE_ERRNO 3359              /* 0xd1f: no kernel path returns it; <= 4095 */

enum shimproto_kind {
        SHIMPROTO_KIND_PRELOAD = 1,     /* libdriftlock-preload.so */
        SHIMPROTO_KIND_EXEC = 2,        /* driftlock-exec */
};

enum shimproto_status {
        SHIMPROTO_OK = 0,
        SHIMPROTO_UNKNOWN_CONTAINER = 1,        /* no registration matches the peer */
        SHIMPROTO_ALREADY_ATTACHED = 2,         /* the container's tree is supervised */
        SHIMPROTO_BAD_REQUEST = 3,
        SHIMPROTO_INTERNAL = 4,
};

struct shimproto_hello {
        uint32_t magic;
        uint32_t version;
        uint32_t kind;          /* enum shimproto_kind: informational only */
        uint32_t reserved;      /* 0 */
};

struct shimproto_filter {
        uint32_t magic;
        uint32_t status;        /* enum shimproto_status */
        uint32_t n_insns;       /* followed by n_insns struct sock_filter (8 bytes each) */
        uint32_t reserved;
};

struct shimproto_attach {
        uint32_t magic;
        uint32_t reserved;      /* 0; the listener fd travels as SCM_RIGHTS */
};

struct shimproto_ack {
        uint32_t magic;
        uint32_t status;        /* enum shimproto_status */
};
