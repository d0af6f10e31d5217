/* Shared by test_inifile.c and test_readall.c (include after cmocka.h): a
 * private directory for the files a test group writes, made and removed by
 * the group fixtures make_tmpdir and remove_tmpdir. */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/driftlock-unit.XXXXXX";

/* tmpdir/name (a static buffer: the next call overwrites it). */
static const char *tmppath(const char *name)
{
        static char path[128];

        assert_in_range(snprintf(path, sizeof(path), "%s/%s", tmpdir, name), 1, sizeof(path) - 1);
        return path;
}

static int make_tmpdir(void **state)
{
        (void)state;
        return mkdtemp(tmpdir) ? 0 : -1;
}

/* Removes tmpdir and the files in it (the tests make no directories). */
static int remove_tmpdir(void **state)
{
        DIR *d = opendir(tmpdir);
        struct dirent *e;
        int r = 0;

        (void)state;
        if (!d)
                return -1;
        while ((e = readdir(d)))
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
                    unlinkat(dirfd(d), e->d_name, 0) < 0)
                        r = -1;
        closedir(d);
        return rmdir(tmpdir) < 0 ? -1 : r;
}

/* Writes len bytes of text to tmpdir/name; returns the path (static). */
static const char *write_file(const char *name, const char *text, size_t len)
{
        const char *path = tmppath(name);
        FILE *f = fopen(path, "we");

        assert_non_null(f);
        assert_int_equal(fwrite(text, 1, len, f), len);
        assert_int_equal(fclose(f), 0);
        return path;
}
