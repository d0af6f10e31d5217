#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strset.h"
#include "util.h"

static void test_strset_empty(void **state)
{
        struct strset *set = strset_new();
        void *v = (void *)1;

        (void)state;
        assert_non_null(set);
        assert_int_equal(strset_size(set), 0);
        assert_false(strset_find(set, "a", &v));
        assert_ptr_equal(v, (void *)1);         /* untouched on a miss */
        assert_false(strset_find(set, "", NULL));
        assert_null(strset_free(set));
        assert_null(strset_free(NULL));
}

static const struct {
        const char *key;
        int value;
} insert_table[] = {
        { "/bin/ls", 1 },
        { "/bin/sh", 2 },
        { "/usr/sbin/nginx", 3 },
        { "/bin/l", 4 },                /* prefix of another key */
        { "/bin/lss", 5 },              /* extension of another key */
        { "\xff\xfe", 6 },              /* arbitrary bytes */
        { "", 7 },                      /* the empty string is a key too */
};

static void test_strset_insert_find(void **state)
{
        struct strset *set = strset_new();

        (void)state;
        assert_non_null(set);
        for (size_t i = 0; i < ARRAY_SIZE(insert_table); i++)
                assert_int_equal(strset_add(set, insert_table[i].key,
                                            (void *)(uintptr_t)insert_table[i].value), 1);
        assert_int_equal(strset_size(set), ARRAY_SIZE(insert_table));
        for (size_t i = 0; i < ARRAY_SIZE(insert_table); i++) {
                void *v = NULL;

                assert_true(strset_find(set, insert_table[i].key, &v));
                assert_ptr_equal(v, (void *)(uintptr_t)insert_table[i].value);
                assert_true(strset_find(set, insert_table[i].key, NULL));
        }
        assert_false(strset_find(set, "/bin", NULL));
        assert_false(strset_find(set, "/bin/ls/", NULL));
        assert_false(strset_find(set, "/BIN/LS", NULL));
        strset_free(set);
}

static void test_strset_duplicate_keeps_first_value(void **state)
{
        struct strset *set = strset_new();
        int a = 1, b = 2;
        void *v = NULL;

        (void)state;
        assert_non_null(set);
        assert_int_equal(strset_add(set, "/tmp/x", &a), 1);
        assert_int_equal(strset_add(set, "/tmp/x", &b), 0);
        assert_int_equal(strset_size(set), 1);
        assert_true(strset_find(set, "/tmp/x", &v));
        assert_ptr_equal(v, &a);
        strset_free(set);
}

static void test_strset_copies_keys(void **state)
{
        struct strset *set = strset_new();
        char key[] = "/etc/passwd";

        (void)state;
        assert_non_null(set);
        assert_int_equal(strset_add(set, key, NULL), 1);
        key[1] = 'X';
        assert_true(strset_find(set, "/etc/passwd", NULL));
        assert_false(strset_find(set, key, NULL));
        strset_free(set);
}

static void test_strset_empty_string_key(void **state)
{
        struct strset *set = strset_new();
        int a = 1;
        void *v = NULL;

        (void)state;
        assert_non_null(set);
        assert_false(strset_find(set, "", NULL));
        assert_int_equal(strset_add(set, "", &a), 1);
        assert_int_equal(strset_add(set, "", NULL), 0);
        assert_true(strset_find(set, "", &v));
        assert_ptr_equal(v, &a);
        assert_int_equal(strset_size(set), 1);
        strset_free(set);
}

#define GROWTH_KEYS 100000

static void test_strset_growth_100k(void **state)
{
        struct strset *set = strset_new();
        char key[64];

        (void)state;
        assert_non_null(set);
        for (uintptr_t i = 0; i < GROWTH_KEYS; i++) {
                snprintf(key, sizeof(key), "/var/lib/app/file-%lu", (unsigned long)i);
                assert_int_equal(strset_add(set, key, (void *)(i + 1)), 1);
        }
        assert_int_equal(strset_size(set), GROWTH_KEYS);
        /* Every key survives every rehash with its own value. */
        for (uintptr_t i = 0; i < GROWTH_KEYS; i++) {
                void *v = NULL;

                snprintf(key, sizeof(key), "/var/lib/app/file-%lu", (unsigned long)i);
                assert_true(strset_find(set, key, &v));
                assert_ptr_equal(v, (void *)(i + 1));
        }
        /* Near misses stay misses. */
        for (unsigned long i = GROWTH_KEYS; i < GROWTH_KEYS + 1000; i++) {
                snprintf(key, sizeof(key), "/var/lib/app/file-%lu", i);
                assert_false(strset_find(set, key, NULL));
        }
        assert_false(strset_find(set, "/var/lib/app/file-", NULL));
        assert_int_equal(strset_add(set, "/var/lib/app/file-99999", NULL), 0);
        assert_int_equal(strset_size(set), GROWTH_KEYS);
        strset_free(set);
}

struct foreach_ctx {
        unsigned seen;          /* bit i set when key i was visited */
        unsigned calls;
        unsigned stop_after;    /* 0: never stop */
};

static int foreach_collect(void *ctx, const char *key, void *value)
{
        struct foreach_ctx *c = ctx;
        size_t i = (size_t)(uintptr_t)value;

        assert_true(i < ARRAY_SIZE(insert_table));
        assert_string_equal(key, insert_table[i].key);
        assert_false(c->seen & (1u << i));     /* each key exactly once */
        c->seen |= 1u << i;
        c->calls++;
        if (c->stop_after && c->calls == c->stop_after)
                return 42;
        return 0;
}

static void test_strset_foreach(void **state)
{
        struct strset *set = strset_new();
        struct foreach_ctx ctx = { 0 };
        int r;

        (void)state;
        assert_non_null(set);
        r = strset_foreach(set, foreach_collect, &ctx);
        assert_int_equal(r, 0);
        assert_int_equal(ctx.calls, 0);
        for (size_t i = 0; i < ARRAY_SIZE(insert_table); i++)
                assert_int_equal(strset_add(set, insert_table[i].key, (void *)(uintptr_t)i), 1);

        r = strset_foreach(set, foreach_collect, &ctx);
        assert_int_equal(r, 0);
        assert_int_equal(ctx.calls, ARRAY_SIZE(insert_table));
        assert_int_equal(ctx.seen, (1u << ARRAY_SIZE(insert_table)) - 1);

        /* A non-zero return stops the walk and is passed through. */
        ctx = (struct foreach_ctx){ .stop_after = 3 };
        r = strset_foreach(set, foreach_collect, &ctx);
        assert_int_equal(r, 42);
        assert_int_equal(ctx.calls, 3);
        strset_free(set);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_strset_empty),
                cmocka_unit_test(test_strset_insert_find),
                cmocka_unit_test(test_strset_duplicate_keeps_first_value),
                cmocka_unit_test(test_strset_copies_keys),
                cmocka_unit_test(test_strset_empty_string_key),
                cmocka_unit_test(test_strset_growth_100k),
                cmocka_unit_test(test_strset_foreach),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
