/* driftlock-exec: the entrypoint wrapper.
 *
 *   driftlock-exec [--] CMD [ARG...]
 *
 * Attaches to the agent, then execve()s CMD with ARG... and the unchanged
 * environment. CMD is used as given when it contains a '/', otherwise it is
 * looked up in PATH (default /usr/local/sbin:/usr/local/bin:/usr/sbin:
 * /usr/bin:/sbin:/bin) for an executable regular file. The execve of CMD is
 * the first one under the filter, so the agent sees the entrypoint start.
 *
 * A static executable without libc, with its own _start: it works as the
 * entrypoint of any image, including static and libc-less ones, and
 * attaches programs that LD_PRELOAD cannot reach.
 *
 * Exit status when it does not exec: 126 attach refused (see shim.h) or CMD
 * found but not executable, 127 CMD not found, 2 usage. */
#include "shim.h"

#include "shimproto.h"

#define EXIT_USAGE 2
#define EXIT_NOT_FOUND 127
#define EXIT_CANNOT_EXEC 126
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

__attribute__((noreturn)) void shim_exec_main(long *sp);

/* The kernel starts us with rsp pointing at argc, then argv[], NULL,
 * envp[], NULL, auxv. The ABI wants a 16-byte aligned stack at the call. */
__asm__(".text\n"
        ".global _start\n"
        ".type _start,@function\n"
        "_start:\n"
        "        xor %ebp, %ebp\n"
        "        mov %rsp, %rdi\n"
        "        and $-16, %rsp\n"
        "        call shim_exec_main\n"
        "        hlt\n");

/* The static result of find_command(): no allocation. */
static char found[SHIM_PATH_MAX];

__attribute__((noreturn)) static void die(const char *cmd, int err, int status)
{
        struct shim_line line = { .len = 0 };

        shim_line_add(&line, "driftlock-exec: ");
        shim_line_add(&line, cmd);
        shim_line_add(&line, ": ");
        shim_line_add_errno(&line, err);
        shim_line_write(&line);
        sys_exit_group(status);
}

static const char *env_get(char *const *envp, const char *name)
{
        size_t n = shim_strlen(name);

        for (; *envp; envp++)
                if (shim_has_prefix(*envp, shim_strlen(*envp), name) && (*envp)[n] == '=')
                        return *envp + n + 1;
        return NULL;
}

/* 0 if path is an executable regular file, else -errno (-EACCES for a
 * directory or a file without the x bit, like execve would say). */
static int check_executable(const char *path)
{
        struct stat st;
        long r = sys_stat(path, &st);

        if (r < 0)
                return (int)r;
        if ((st.st_mode & S_IFMT) != S_IFREG)
                return -EACCES;
        return (int)sys_access(path, SHIM_X_OK);
}

/* Looks cmd up in path_list like execvp(): the first executable regular
 * file wins; if none, -EACCES when some candidate existed but was not
 * executable, else -ENOENT. An empty entry means the current directory. A
 * cmd with a '/' is only checked, so that a typo is reported before the
 * agent is bothered.
 * Only access(2) and stat(2) probe the candidates: a failed execve per
 * PATH entry would be a refused exec for the agent. */
static int find_command(const char *cmd, const char *path_list, const char **ret)
{
        size_t cmd_len = shim_strlen(cmd);
        int err = -ENOENT;

        if (shim_contains_char(cmd, '/')) {
                *ret = cmd;
                return check_executable(cmd);
        }
        if (cmd_len == 0)
                return -ENOENT;
        for (const char *p = path_list;; p++) {
                const char *end = p;
                size_t dir_len, len;
                int r;

                while (*end && *end != ':')
                        end++;
                dir_len = (size_t)(end - p);
                len = dir_len + (dir_len ? 1 : 0) + cmd_len;
                if (len < sizeof(found)) {
                        memcpy(found, p, dir_len);
                        if (dir_len)
                                found[dir_len++] = '/';
                        memcpy(found + dir_len, cmd, cmd_len + 1);
                        r = check_executable(found);
                        if (r == 0) {
                                *ret = found;
                                return 0;
                        }
                        if (r == -EACCES)
                                err = -EACCES;
                }
                if (!*end)
                        break;
                p = end;
        }
        return err;
}

void shim_exec_main(long *sp)
{
        int argc = (int)sp[0];
        char **argv = (char **)(sp + 1);
        char **envp = argv + argc + 1;
        const char *path_list, *path = NULL;
        struct shim_config cfg;
        char **cmd_argv;
        int r;

        cmd_argv = argv + 1;
        if (argc > 1 && shim_streq(argv[1], "--"))
                cmd_argv++;
        if (!*cmd_argv) {
                struct shim_line line = { .len = 0 };

                shim_line_add(&line, "usage: driftlock-exec [--] CMD [ARG...]");
                shim_line_write(&line);
                sys_exit_group(EXIT_USAGE);
        }
        path_list = env_get(envp, "PATH");
        r = find_command(cmd_argv[0], path_list ? path_list : DEFAULT_PATH, &path);
        if (r < 0)
                die(cmd_argv[0], r, r == -ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);

        if (!shim_already_attached()) {
                shim_config_init(&cfg);
                shim_config_from_envp(&cfg, envp);
                shim_attach_or_exit(&cfg, SHIMPROTO_KIND_EXEC, "driftlock-exec");
        }

        r = (int)sys_execve(path, cmd_argv, envp);
        die(cmd_argv[0], r, r == -ENOENT || r == -ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
}
