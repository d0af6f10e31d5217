#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "util.h"

static const struct {
        const char *in;
        int r;
        const char *out;
} normalize_table[] = {
        { "/", 0, "/" },
        { "//", 0, "/" },
        { "///", 0, "/" },
        { "/.", 0, "/" },
        { "/./", 0, "/" },
        { "/..", 0, "/" },
        { "/../..", 0, "/" },
        { "/../../a", 0, "/a" },
        { "/a", 0, "/a" },
        { "/a/", 0, "/a" },
        { "/a//b", 0, "/a/b" },
        { "//a///b//", 0, "/a/b" },
        { "/a/./b", 0, "/a/b" },
        { "/a/b/.", 0, "/a/b" },
        { "/a/b/..", 0, "/a" },
        { "/a/b/../..", 0, "/" },
        { "/a/b/../../..", 0, "/" },
        { "/a/../b/../c", 0, "/c" },
        { "/a/b/../../c/d/", 0, "/c/d" },
        { "/...", 0, "/..." },          /* only "." and ".." are special */
        { "/.a/..b/a.", 0, "/.a/..b/a." },
        { "/a b/\xff\x01", 0, "/a b/\xff\x01" },
        { "", -EINVAL, NULL },
        { "a", -EINVAL, NULL },
        { "./a", -EINVAL, NULL },
        { "../a", -EINVAL, NULL },
};

static void test_path_normalize_table(void **state)
{
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(normalize_table); i++) {
                char sentinel[] = "untouched", *out = sentinel;
                int r = path_normalize(normalize_table[i].in, &out);

                if (r != normalize_table[i].r)
                        fail_msg("\"%s\": got %d, want %d", normalize_table[i].in, r,
                                 normalize_table[i].r);
                if (r < 0) {
                        assert_string_equal(out, "untouched");
                        continue;
                }
                if (strcmp(out, normalize_table[i].out) != 0)
                        fail_msg("\"%s\": got \"%s\", want \"%s\"", normalize_table[i].in,
                                 out, normalize_table[i].out);
                free(out);
        }
}

/* path_is_normal says whether path_normalize would keep a path as it is. */
static void test_path_is_normal(void **state)
{
        static const char *const more[] = { "/a/b", "/a/b/", "/a/.", "/.a", "/a/..b", NULL };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(normalize_table); i++) {
                const char *in = normalize_table[i].in;
                bool want = normalize_table[i].r == 0 && !strcmp(in, normalize_table[i].out);

                if (path_is_normal(in) != want)
                        fail_msg("\"%s\": path_is_normal says %d", in, !want);
        }
        for (size_t i = 0; more[i]; i++) {
                char *out = NULL;

                assert_int_equal(path_normalize(more[i], &out), 0);
                if (path_is_normal(more[i]) != !strcmp(out, more[i]))
                        fail_msg("\"%s\": path_is_normal disagrees with \"%s\"", more[i], out);
                free(out);
        }
        assert_false(path_is_normal(NULL));
}

static void test_path_normalize_null(void **state)
{
        char *out = NULL;

        (void)state;
        assert_int_equal(path_normalize(NULL, &out), -EINVAL);
        assert_null(out);
}

/* A path of len bytes: "/" followed by 'a's. */
static char *long_path(size_t len, char fill)
{
        char *p = malloc(len + 1);

        assert_non_null(p);
        memset(p, fill, len);
        p[0] = '/';
        p[len] = '\0';
        return p;
}

static void test_path_normalize_length_limit(void **state)
{
        cleanup_free char *exact = long_path(PATH_MAX_BYTES, 'a');
        cleanup_free char *over = long_path(PATH_MAX_BYTES + 1, 'a');
        cleanup_free char *out = NULL;

        (void)state;
        assert_int_equal(path_normalize(exact, &out), 0);
        assert_string_equal(out, exact);
        assert_int_equal(path_normalize(over, &out), -ENAMETOOLONG);
        assert_true(path_is_normal(exact));
        assert_false(path_is_normal(over));
}

/* The input is bounded, not the output: a path that normalises to something
 * short is still refused when its text is over the limit. */
static void test_path_normalize_limit_on_input(void **state)
{
        cleanup_free char *slashes = long_path(PATH_MAX_BYTES + 1, '/');
        cleanup_free char *out = NULL;

        (void)state;
        assert_int_equal(path_normalize(slashes, &out), -ENAMETOOLONG);
        slashes[PATH_MAX_BYTES] = '\0';
        assert_int_equal(path_normalize(slashes, &out), 0);
        assert_string_equal(out, "/");
}

/* Deep nesting unwound, then more ".." at the root: the O(n) pop. */
static void test_path_normalize_many_dotdot(void **state)
{
        char buf[PATH_MAX_BYTES + 1];
        size_t n = 0;
        char *out = NULL;

        (void)state;
        while (n + 2 <= PATH_MAX_BYTES / 3) {
                buf[n++] = '/';
                buf[n++] = 'd';
        }
        while (n + 3 <= PATH_MAX_BYTES) {
                memcpy(buf + n, "/..", 3);
                n += 3;
        }
        buf[n] = '\0';
        assert_int_equal(path_normalize(buf, &out), 0);
        assert_string_equal(out, "/");
        free(out);
}

static const struct {
        const char *dir, *path;
        int r;
        const char *out;
} join_table[] = {
        { "/", "a", 0, "/a" },
        { "/a/b", "c", 0, "/a/b/c" },
        { "/a/b/", "c/", 0, "/a/b/c" },
        { "/a/b", "../c", 0, "/a/c" },
        { "/a/b", "../../../c", 0, "/c" },
        { "/a/b", ".", 0, "/a/b" },
        { "/a/b", "", 0, "/a/b" },
        { "/a/b", "/etc/passwd", 0, "/etc/passwd" },
        { "/a/b", "/etc/../x", 0, "/x" },
        { "/a/./b//", "./c//d", 0, "/a/b/c/d" },
        { "/a", "..", 0, "/" },
        { "a", "b", -EINVAL, NULL },
        { "", "b", -EINVAL, NULL },
};

static void test_path_join_normalize_table(void **state)
{
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(join_table); i++) {
                char *out = NULL;
                int r = path_join_normalize(join_table[i].dir, join_table[i].path, &out);

                if (r != join_table[i].r)
                        fail_msg("\"%s\" + \"%s\": got %d, want %d", join_table[i].dir,
                                 join_table[i].path, r, join_table[i].r);
                if (r < 0) {
                        assert_null(out);
                        continue;
                }
                if (strcmp(out, join_table[i].out) != 0)
                        fail_msg("\"%s\" + \"%s\": got \"%s\", want \"%s\"", join_table[i].dir,
                                 join_table[i].path, out, join_table[i].out);
                free(out);
        }
}

static void test_path_join_normalize_length_limit(void **state)
{
        cleanup_free char *dir = long_path(3000, 'd');
        cleanup_free char *rel = long_path(2000, 'r');
        cleanup_free char *over = long_path(PATH_MAX_BYTES + 1, 'd');
        char *out = NULL;

        (void)state;
        rel[0] = 'r';                   /* relative */
        /* Each part fits, the join does not. */
        assert_int_equal(path_join_normalize(dir, rel, &out), -ENAMETOOLONG);
        /* ...unless ".." brings it back under the limit. */
        rel[0] = '.';
        rel[1] = '.';
        rel[2] = '/';
        assert_int_equal(path_join_normalize(dir, rel, &out), 0);
        assert_int_equal(strlen(out), 1998);
        free(out);
        out = NULL;
        assert_int_equal(path_join_normalize(over, "a", &out), -ENAMETOOLONG);
        assert_int_equal(path_join_normalize("/", over + 1, &out), -ENAMETOOLONG);
        assert_int_equal(path_join_normalize("/x", over, &out), -ENAMETOOLONG);
        assert_null(out);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_path_normalize_table),
                cmocka_unit_test(test_path_is_normal),
                cmocka_unit_test(test_path_normalize_null),
                cmocka_unit_test(test_path_normalize_length_limit),
                cmocka_unit_test(test_path_normalize_limit_on_input),
                cmocka_unit_test(test_path_normalize_many_dotdot),
                cmocka_unit_test(test_path_join_normalize_table),
                cmocka_unit_test(test_path_join_normalize_length_limit),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
