/* libFuzzer harness for path patterns: the input is "PATTERN\nPATH" (or
 * split at a NUL). Checks that canonical text is a fixed point, that
 * canonical text compiles, and that matching terminates without memory
 * errors. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "pathglob.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        cleanup_free char *pattern = NULL, *path = NULL, *canonical = NULL;
        cleanup_free char *again = NULL, *normal = NULL, *literal = NULL;
        struct pathglob *glob = NULL;
        const char *error = NULL;
        size_t split = 0;

        while (split < size && data[split] != '\0' && data[split] != '\n')
                split++;
        pattern = strndup((const char *)data, split);
        path = split < size ? strndup((const char *)data + split + 1, size - split - 1)
                            : strdup("");
        if (!pattern || !path)
                return 0;

        if (pathglob_canonicalize(pattern, &canonical, &error) < 0)
                return 0;
        if (pathglob_canonicalize(canonical, &again, &error) < 0 ||
            strcmp(canonical, again) != 0)
                abort();
        if (pathglob_compile(canonical, &glob) < 0)
                abort();
        if (pathglob_is_literal(canonical)) {
                if (pathglob_literal_path(canonical, &literal) < 0)
                        abort();
                /* A literal pattern matches the path it names. */
                if (!pathglob_match(glob, literal))
                        abort();
        }
        if (path[0] == '/' && path_normalize(path, &normal) == 0)
                (void)pathglob_match(glob, normal);
        pathglob_free(glob);
        return 0;
}
