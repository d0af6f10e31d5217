/* The agent's side of the shim socket (include/shimproto.h): one
 * connection per attaching process, fed as it becomes readable, never
 * blocking the agent. Who the peer is comes from the kernel only: its
 * pidfd (SO_PEERPIDFD, Linux 6.5), pid namespace and cgroup, read while the
 * pidfd proves the process is still the one that connected. */
#pragma once

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "shimproto.h"

struct shimsock_peer {
        int pidfd;              /* owned by the connection */
        pid_t pid;              /* in the agent's pid namespace */
        uint64_t pidns;         /* inode of its pid namespace */
        char cgroup[4096];
};

enum shimsock_state {
        SHIMSOCK_NEED_MORE,     /* wait for the socket to be readable again */
        SHIMSOCK_HELLO,         /* hello read, peer identified: caller answers */
        SHIMSOCK_ATTACH,        /* the listener fd arrived: caller takes it */
        SHIMSOCK_FAILED,        /* drop the connection (*ret_error says why) */
};

struct shimsock_conn;

/* Takes an accepted connection (non-blocking, close-on-exec). NULL on
 * allocation failure (fd is closed then). */
struct shimsock_conn *shimsock_conn_new(int fd);
int shimsock_conn_fd(const struct shimsock_conn *c);
const struct shimsock_peer *shimsock_conn_peer(const struct shimsock_conn *c);

/* Reads what the socket has and advances the conversation. On
 * SHIMSOCK_ATTACH *ret_fd is a seccomp listener fd the caller now owns. */
enum shimsock_state shimsock_conn_read(struct shimsock_conn *c, int *ret_fd,
                                       const char **ret_error);

/* Answers a hello: the filter to install (status OK) or a refusal. A
 * refusal ends the conversation. Returns 0 or -errno. */
int shimsock_send_filter(struct shimsock_conn *c, enum shimproto_status status,
                         const struct sock_fprog *prog);

/* Answers an attach. Returns 0 or -errno. */
int shimsock_send_ack(struct shimsock_conn *c, enum shimproto_status status);

/* Closes the connection and whatever it holds; accepts NULL; returns NULL. */
struct shimsock_conn *shimsock_conn_free(struct shimsock_conn *c);
