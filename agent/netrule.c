/* Connect rules (see netrule.h).
 *
 * The parser is strict on purpose: a rule is read from a reviewed profile
 * and decides which connections a container may open, so anything that is
 * not exactly one of the documented forms is refused with a reason instead
 * of being guessed at. */
#include "netrule.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "encode.h"
#include "pathglob.h"
#include "util.h"

/* An abstract socket name lives in sun_path after its leading NUL. */
#define NETRULE_MAX_ABSTRACT 107
/* Longer than any address inet_pton accepts (INET6_ADDRSTRLEN is 46 with
 * the NUL); a longer field is refused before it is copied. */
#define NETRULE_MAX_ADDR 64

struct netrule_field {
        const char *s;
        size_t len;
};

static bool netrule_is_blank(char c)
{
        return c == ' ' || c == '\t';
}

/* Splits text at runs of blanks into at most max fields. Returns the number
 * of fields found, or max + 1 if there are more. */
static size_t netrule_split(const char *text, struct netrule_field *fields, size_t max)
{
        size_t n = 0;

        for (const char *p = text; *p;) {
                const char *start;

                while (netrule_is_blank(*p))
                        p++;
                if (!*p)
                        break;
                if (n == max)
                        return max + 1;
                start = p;
                while (*p && !netrule_is_blank(*p))
                        p++;
                fields[n++] = (struct netrule_field){ start, (size_t)(p - start) };
        }
        return n;
}

static bool netrule_field_is(const struct netrule_field *f, const char *word)
{
        return f->len == strlen(word) && memcmp(f->s, word, f->len) == 0;
}

/* Decimal digits only (no sign, no blanks, no "0x"), value <= max. */
static int netrule_parse_number(const char *s, size_t len, unsigned max, unsigned *ret)
{
        unsigned v = 0;

        if (len == 0)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned)(s[i] - '0');
                if (v > max)
                        return -ERANGE;
        }
        *ret = v;
        return 0;
}

static const uint8_t netrule_v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

bool netrule_is_v4mapped(const uint8_t *addr)
{
        return memcmp(addr, netrule_v4mapped, sizeof(netrule_v4mapped)) == 0;
}

static int netrule_parse_ip(const struct netrule_field *addr, const struct netrule_field *port,
                            struct netrule *rule, const char **ret_error)
{
        char buf[NETRULE_MAX_ADDR + 1];
        const char *slash = memchr(addr->s, '/', addr->len);
        size_t alen = slash ? (size_t)(slash - addr->s) : addr->len;
        unsigned max_prefix, prefix, bytes, v;

        if (alen == 0 || alen > NETRULE_MAX_ADDR) {
                *ret_error = "bad IPv4 or IPv6 address";
                return -EINVAL;
        }
        memcpy(buf, addr->s, alen);
        buf[alen] = '\0';
        /* inet_pton takes dotted quads only ("1.2.3.4", no "1.2.3" or hex
         * forms) and IPv6 without zone ids: exactly the canonical forms. */
        if (inet_pton(AF_INET, buf, rule->addr) == 1) {
                rule->family = AF_INET;
                max_prefix = 32;
        } else if (inet_pton(AF_INET6, buf, rule->addr) == 1) {
                rule->family = AF_INET6;
                max_prefix = 128;
        } else {
                *ret_error = "bad IPv4 or IPv6 address";
                return -EINVAL;
        }

        prefix = max_prefix;
        if (slash) {
                size_t plen = addr->len - alen - 1;
                int r = netrule_parse_number(slash + 1, plen, max_prefix, &prefix);

                if (r == -ERANGE) {
                        *ret_error = "prefix out of range";
                        return -EINVAL;
                }
                if (r < 0) {
                        *ret_error = "bad prefix (expected /0-32 for IPv4, /0-128 for IPv6)";
                        return -EINVAL;
                }
        }
        rule->prefix = prefix;

        /* Clear the host bits so that equal networks have equal text. */
        bytes = rule->family == AF_INET ? 4 : 16;
        for (unsigned i = 0; i < bytes; i++) {
                unsigned keep = prefix >= 8 * (i + 1) ? 8 : prefix > 8 * i ? prefix - 8 * i : 0;

                rule->addr[i] &= (uint8_t)(0xff00u >> keep);
        }

        /* Callers match IPv4-mapped addresses as IPv4 (netrule.h), so a
         * rule inside ::ffff:0:0/96 could never match: refuse it rather
         * than keep a rule that silently does nothing. */
        if (rule->family == AF_INET6 && prefix >= 96 &&
            netrule_is_v4mapped(rule->addr)) {
                *ret_error = "IPv4-mapped IPv6 address (write the IPv4 address)";
                return -EINVAL;
        }

        if (netrule_field_is(port, "*")) {
                rule->port = NETRULE_ANY_PORT;
                return 0;
        }
        if (netrule_parse_number(port->s, port->len, 65535, &v) < 0) {
                *ret_error = "bad port (expected 0-65535 or *)";
                return -EINVAL;
        }
        rule->port = (int)v;
        return 0;
}

/* "@NAME": every byte but "%XX" stands for itself (a name is matched
 * exactly, so a bare '*' is the byte '*'); the canonical text is the
 * decoded name encoded again. */
static int netrule_parse_abstract(const struct netrule_field *f, struct netrule *rule,
                                  const char **ret_error)
{
        unsigned char raw[NETRULE_MAX_ABSTRACT];
        struct strbuf out = STRBUF_INIT;
        size_t n = 0;

        if (f->len == 0) {
                *ret_error = "empty abstract socket name";
                return -EINVAL;
        }
        for (size_t i = 0; i < f->len; i++) {
                int v = (unsigned char)f->s[i];

                if (f->s[i] == '%') {
                        /* The field is followed by a blank or the NUL, so
                         * encode_escape_value never reads past the text. */
                        v = i + 2 < f->len ? encode_escape_value(f->s + i) : -EINVAL;
                        if (v < 0) {
                                *ret_error = "malformed escape in abstract socket name (expected %XX)";
                                return -EINVAL;
                        }
                        i += 2;
                }
                if (n == sizeof(raw)) {
                        *ret_error = "abstract socket name too long (limit 107 bytes)";
                        return -EINVAL;
                }
                raw[n++] = (unsigned char)v;
        }
        if (encode_append(&out, (const char *)raw, n) < 0) {
                strbuf_release(&out);
                return -ENOMEM;
        }
        rule->unix_text = strbuf_detach(&out);
        if (!rule->unix_text) {
                strbuf_release(&out);
                return -ENOMEM;
        }
        rule->abstract = true;
        return 0;
}

static int netrule_parse_unix(const struct netrule_field *f, struct netrule *rule,
                              const char **ret_error)
{
        cleanup_free char *text = NULL;
        char *canonical = NULL;
        int r;

        if (f->s[0] == '@') {
                struct netrule_field name = { f->s + 1, f->len - 1 };

                return netrule_parse_abstract(&name, rule, ret_error);
        }
        text = strndup(f->s, f->len);
        if (!text)
                return -ENOMEM;
        r = pathglob_canonicalize(text, &canonical, ret_error);
        if (r < 0)
                return r;
        rule->unix_text = canonical;
        rule->abstract = false;
        return 0;
}

int netrule_parse(const char *text, struct netrule *ret, const char **ret_error)
{
        struct netrule_field f[3];
        struct netrule rule = { .family = AF_UNSPEC };
        const char *dummy;
        size_t n;
        int r;

        if (!ret_error)
                ret_error = &dummy;
        n = netrule_split(text, f, ARRAY_SIZE(f));
        if (n == 0) {
                *ret_error = "empty rule (expected tcp, udp or unix and an address)";
                return -EINVAL;
        }
        if (netrule_field_is(&f[0], "tcp") || netrule_field_is(&f[0], "udp")) {
                rule.proto = f[0].s[0] == 't' ? NETRULE_TCP : NETRULE_UDP;
                if (n != 3) {
                        *ret_error = n < 3 ? "missing field (expected 'tcp|udp ADDRESS[/PREFIX] PORT|*')"
                                           : "extra field (expected 'tcp|udp ADDRESS[/PREFIX] PORT|*')";
                        return -EINVAL;
                }
                r = netrule_parse_ip(&f[1], &f[2], &rule, ret_error);
        } else if (netrule_field_is(&f[0], "unix")) {
                rule.proto = NETRULE_UNIX;
                if (n != 2) {
                        *ret_error = n < 2 ? "missing field (expected 'unix PATH' or 'unix @NAME')"
                                           : "extra field (expected 'unix PATH' or 'unix @NAME'; write a space in a path as %20)";
                        return -EINVAL;
                }
                r = netrule_parse_unix(&f[1], &rule, ret_error);
        } else {
                *ret_error = "unknown protocol (expected tcp, udp or unix)";
                return -EINVAL;
        }
        if (r < 0)
                return r;
        *ret = rule;
        return 0;
}

/* RFC 5952 text of an IPv6 address: lower-case hex groups without leading
 * zeros, the longest run of two or more zero groups (the first of equal
 * runs) as "::". This is glibc's inet_ntop output except that glibc writes
 * the deprecated IPv4-compatible form ::a.b.c.d for ::a00:1, which would
 * read like an IPv4 rule; IPv4-mapped addresses, the other case written
 * with dots, are refused by the parser. Doing it here also keeps profiles
 * identical whatever the libc. buf holds INET6_ADDRSTRLEN bytes. */
static void netrule_format_ip6(const uint8_t *a, char *buf)
{
        unsigned g[8];
        int best = -1, best_len = 0, o = 0;

        for (int i = 0; i < 8; i++)
                g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
        for (int i = 0; i < 8;) {
                int j = i;

                while (j < 8 && g[j] == 0)
                        j++;
                if (j - i > best_len && j - i >= 2) {
                        best = i;
                        best_len = j - i;
                }
                i = j > i ? j : i + 1;
        }
        for (int i = 0; i < 8; i++) {
                if (i == best) {
                        o += snprintf(buf + o, (size_t)(INET6_ADDRSTRLEN - o), "::");
                        i += best_len - 1;
                        continue;
                }
                o += snprintf(buf + o, (size_t)(INET6_ADDRSTRLEN - o), "%s%x",
                              i > 0 && i != best + best_len ? ":" : "", g[i]);
        }
}

int netrule_format(const struct netrule *rule, struct strbuf *out)
{
        char addr[INET6_ADDRSTRLEN];
        size_t mark = out->len;
        int r;

        if (rule->proto == NETRULE_UNIX)
                return strbuf_printf(out, "unix %s%s", rule->abstract ? "@" : "",
                                     rule->unix_text ? rule->unix_text : "");

        if (rule->family == AF_INET6)
                netrule_format_ip6(rule->addr, addr);
        else if (!inet_ntop(rule->family, rule->addr, addr, sizeof(addr)))
                return -EINVAL;
        r = strbuf_printf(out, "%s %s", rule->proto == NETRULE_TCP ? "tcp" : "udp", addr);
        if (r >= 0 && rule->prefix != (rule->family == AF_INET ? 32u : 128u))
                r = strbuf_printf(out, "/%u", rule->prefix);
        if (r >= 0) {
                if (rule->port == NETRULE_ANY_PORT)
                        r = strbuf_puts(out, " *");
                else
                        r = strbuf_printf(out, " %d", rule->port);
        }
        if (r < 0) {
                /* Leave no half rule behind. */
                out->len = mark;
                if (out->data)
                        out->data[mark] = '\0';
        }
        return r;
}

bool netrule_match_ip(const struct netrule *rule, enum netrule_proto proto,
                      int family, const uint8_t *addr, uint16_t port)
{
        unsigned full, rest;

        if (rule->proto == NETRULE_UNIX || rule->proto != proto || rule->family != family)
                return false;
        if (family != AF_INET && family != AF_INET6)
                return false;
        if (rule->prefix > (family == AF_INET ? 32u : 128u))
                return false;
        if (rule->port != NETRULE_ANY_PORT && rule->port != port)
                return false;
        full = rule->prefix / 8;
        rest = rule->prefix % 8;
        if (memcmp(rule->addr, addr, full) != 0)
                return false;
        if (rest) {
                uint8_t mask = (uint8_t)(0xff00u >> rest);

                if ((addr[full] & mask) != (rule->addr[full] & mask))
                        return false;
        }
        return true;
}

void netrule_release(struct netrule *rule)
{
        if (!rule)
                return;
        free(rule->unix_text);
        rule->unix_text = NULL;
}
