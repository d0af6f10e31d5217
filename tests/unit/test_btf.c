/* BTF lookups: a small hand-made BTF blob, malformed variants of it, and
 * the running kernel's own. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btf.h"

/* Types: 1 int "u32"; 2 struct "pair" { u32 a at 0; u32 b at 32 bits; u32
 * bits:3 at bit 64 (kflag) }; 3 enum "colour" { RED = 1, BLUE = -2 }; 4
 * func "go" of type 1 (not a real prototype, but a lookup needs none). */
static const char strings[] = "\0u32\0pair\0a\0b\0bits\0colour\0RED\0BLUE\0go";
enum { S_U32 = 1, S_PAIR = 5, S_A = 10, S_B = 12, S_BITS = 14, S_COLOUR = 19, S_RED = 26,
       S_BLUE = 30, S_GO = 35 };

struct blob {
        uint8_t bytes[512];
        size_t len;
        size_t type_len;
};

static void put(struct blob *b, const void *p, size_t n)
{
        memcpy(b->bytes + b->len, p, n);
        b->len += n;
}

static void put32(struct blob *b, uint32_t v)
{
        put(b, &v, sizeof(v));
}

static void type(struct blob *b, uint32_t name, uint32_t kind, uint32_t vlen, uint32_t kflag,
                 uint32_t size_or_type)
{
        put32(b, name);
        put32(b, (kflag << 31) | (kind << 24) | vlen);
        put32(b, size_or_type);
}

static void make_blob(struct blob *b)
{
        struct btf_header h = { .magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(h) };
        size_t start;

        memset(b, 0, sizeof(*b));
        b->len = sizeof(h);
        start = b->len;
        type(b, S_U32, BTF_KIND_INT, 0, 0, 4);
        put32(b, 32);                                   /* int encoding: 32 bits */
        type(b, S_PAIR, BTF_KIND_STRUCT, 3, 1, 12);
        put32(b, S_A), put32(b, 1), put32(b, 0);
        put32(b, S_B), put32(b, 1), put32(b, 32);
        put32(b, S_BITS), put32(b, 1), put32(b, (3u << 24) | 64);
        type(b, S_COLOUR, BTF_KIND_ENUM, 2, 0, 4);
        put32(b, S_RED), put32(b, 1);
        put32(b, S_BLUE), put32(b, (uint32_t)-2);
        type(b, S_GO, BTF_KIND_FUNC, 0, 0, 1);
        b->type_len = b->len - start;
        h.type_off = 0;
        h.type_len = (uint32_t)b->type_len;
        h.str_off = (uint32_t)b->type_len;
        h.str_len = sizeof(strings);
        put(b, strings, sizeof(strings));
        memcpy(b->bytes, &h, sizeof(h));
}

static void test_btf_lookups(void **state)
{
        struct blob b;
        struct btf *btf = NULL;
        int64_t v = 0;

        (void)state;
        make_blob(&b);
        assert_int_equal(btf_parse(b.bytes, b.len, &btf), 0);
        assert_int_equal(btf_find(btf, BTF_KIND_INT, "u32"), 1);
        assert_int_equal(btf_find(btf, BTF_KIND_STRUCT, "pair"), 2);
        assert_int_equal(btf_find(btf, BTF_KIND_FUNC, "go"), 4);
        assert_int_equal(btf_find(btf, BTF_KIND_STRUCT, "go"), -ENOENT);
        assert_int_equal(btf_member_offset(btf, 2, "a"), 0);
        assert_int_equal(btf_member_offset(btf, 2, "b"), 4);
        assert_int_equal(btf_member_offset(btf, 2, "bits"), -EINVAL);  /* a bit field */
        assert_int_equal(btf_member_offset(btf, 2, "c"), -ENOENT);
        assert_int_equal(btf_member_offset(btf, 1, "a"), -EINVAL);     /* not a struct */
        assert_int_equal(btf_member_offset(btf, 99, "a"), -EINVAL);
        assert_int_equal(btf_enum_value(btf, "colour", "BLUE", &v), 0);
        assert_int_equal(v, -2);
        assert_int_equal(btf_enum_value(btf, "colour", "GREEN", &v), -ENOENT);
        assert_null(btf_free(btf));
        assert_null(btf_free(NULL));
}

static void test_btf_malformed(void **state)
{
        struct blob b;
        struct btf *btf = NULL;
        struct btf_header h;

        (void)state;
        make_blob(&b);
        assert_int_equal(btf_parse(b.bytes, sizeof(h) - 1, &btf), -EINVAL);
        /* every cut short of the whole blob is refused */
        for (size_t len = sizeof(h); len < b.len; len++)
                assert_int_equal(btf_parse(b.bytes, len, &btf), -EINVAL);
        b.bytes[0] ^= 0xff;                             /* magic */
        assert_int_equal(btf_parse(b.bytes, b.len, &btf), -EINVAL);
        make_blob(&b);
        b.bytes[sizeof(h) + 4 + 3] = 31;                /* an unknown kind */
        assert_int_equal(btf_parse(b.bytes, b.len, &btf), -EINVAL);
        make_blob(&b);
        b.bytes[sizeof(h) + 16 + 4] = 200;              /* the struct's vlen runs off the end */
        assert_int_equal(btf_parse(b.bytes, b.len, &btf), -EINVAL);
        make_blob(&b);
        b.bytes[b.len - 1] = 'x';                       /* strings not NUL-terminated */
        assert_int_equal(btf_parse(b.bytes, b.len, &btf), -EINVAL);
        assert_null(btf);
}

/* The running kernel's BTF, as the send gate uses it. */
static void test_btf_vmlinux(void **state)
{
        struct btf *btf = NULL;
        int r, id;
        int64_t v = 0;

        (void)state;
        r = btf_load_vmlinux(&btf);
        if (r == -ENOENT && !getenv("CI")) {
                fprintf(stderr, "test_btf: this kernel has no BTF\n");
                skip();
        }
        assert_int_equal(r, 0);
        id = btf_find(btf, BTF_KIND_STRUCT, "sockaddr_un");
        assert_true(id > 0);
        assert_int_equal(btf_member_offset(btf, id, "sun_path"), 2);
        assert_int_equal(btf_enum_value(btf, "bpf_attach_type", "BPF_CGROUP_INET4_CONNECT", &v), 0);
        assert_int_equal(v, 10);
        btf_free(btf);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_btf_lookups),
                cmocka_unit_test(test_btf_malformed),
                cmocka_unit_test(test_btf_vmlinux),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
