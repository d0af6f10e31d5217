/* Connect rules: the values of "allow =" lines in [connect].
 *
 *   tcp ADDR[/PREFIX] PORT|*      IPv4 or IPv6 address or network
 *   udp ADDR[/PREFIX] PORT|*
 *   unix PATH-PATTERN             a socket file, pattern as in pathglob.h
 *   unix @NAME                    an abstract socket, NAME in the profile
 *                                 encoding, matched exactly
 *
 * Canonical text: single spaces; the address in inet_ntop form with host bits
 * cleared and "/PREFIX" omitted for a single host (/32, /128); the port in
 * decimal or "*"; unix paths canonical as pathglob_canonicalize. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "strbuf.h"

enum netrule_proto {
        NETRULE_TCP,
        NETRULE_UDP,
        NETRULE_UNIX,
};

#define NETRULE_ANY_PORT (-1)

struct netrule {
        enum netrule_proto proto;
        /* tcp and udp */
        int family;             /* AF_INET or AF_INET6 */
        uint8_t addr[16];       /* network address, host bits zero; IPv4 in addr[0..3] */
        unsigned prefix;        /* 0-32 for AF_INET, 0-128 for AF_INET6 */
        int port;               /* 0-65535 or NETRULE_ANY_PORT */
        /* unix */
        bool abstract;          /* "@NAME" */
        char *unix_text;        /* canonical encoded path pattern or name (without '@') */
};

/* Parses rule text into *ret. Returns 0; -EINVAL with *ret_error set to a
 * static message (unknown protocol, bad address, prefix out of range, bad
 * port, missing or extra fields, bad unix pattern); or -ENOMEM. On error *ret
 * holds nothing that needs releasing. */
int netrule_parse(const char *text, struct netrule *ret, const char **ret_error);

/* Appends the canonical text of a rule. Returns 0 or -ENOMEM. */
int netrule_format(const struct netrule *rule, struct strbuf *out);

/* True if an IP connection matches a tcp/udp rule: same protocol and family,
 * addr inside the rule's network, port equal or the rule's port is "*".
 * addr is 4 bytes for AF_INET, 16 for AF_INET6. Callers map IPv4-mapped IPv6
 * addresses (::ffff:a.b.c.d) to AF_INET first. */
bool netrule_match_ip(const struct netrule *rule, enum netrule_proto proto,
                      int family, const uint8_t *addr, uint16_t port);

/* True if the 16 bytes are an IPv4-mapped IPv6 address (::ffff:a.b.c.d),
 * which is matched, learned and reported as the IPv4 address in its last
 * 4 bytes. */
bool netrule_is_v4mapped(const uint8_t *addr);
#define NETRULE_V4MAPPED_PREFIX 12      /* bytes before the IPv4 address */

/* Frees what a parsed rule owns; the struct itself is the caller's. */
void netrule_release(struct netrule *rule);
