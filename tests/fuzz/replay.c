/* Replays a fuzz corpus through a libFuzzer harness without libFuzzer, so
 * that `make check` (built with gcc, or with sanitizers under `make asan`)
 * runs every corpus file as a regression test. Arguments: files or
 * directories of files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
        cleanup_fclose FILE *f = fopen(path, "re");
        cleanup_free uint8_t *data = NULL;
        long size;

        if (!f || fseek(f, 0, SEEK_END) < 0 || (size = ftell(f)) < 0 ||
            fseek(f, 0, SEEK_SET) < 0) {
                fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
                return -1;
        }
        data = malloc((size_t)size + 1);
        if (!data || fread(data, 1, (size_t)size, f) != (size_t)size) {
                fprintf(stderr, "replay: %s: cannot read\n", path);
                return -1;
        }
        LLVMFuzzerTestOneInput(data, (size_t)size);
        return 0;
}

static int replay(const char *path, unsigned *count)
{
        struct stat st;
        DIR *dir;
        struct dirent *de;
        int r = 0;

        if (stat(path, &st) < 0) {
                fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
                return -1;
        }
        if (!S_ISDIR(st.st_mode)) {
                (*count)++;
                return replay_file(path);
        }
        dir = opendir(path);
        if (!dir)
                return -1;
        while ((de = readdir(dir))) {
                char sub[4096];

                if (de->d_name[0] == '.')
                        continue;
                snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
                if (replay(sub, count) < 0)
                        r = -1;
        }
        closedir(dir);
        return r;
}

int main(int argc, char **argv)
{
        unsigned count = 0;
        int r = 0;

        for (int i = 1; i < argc; i++)
                if (replay(argv[i], &count) < 0)
                        r = 1;
        if (count == 0) {
                fprintf(stderr, "replay: no corpus files given\n");
                return 1;
        }
        printf("replayed %u inputs\n", count);
        return r;
}
