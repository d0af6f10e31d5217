/* libdriftlock-preload.so: attaches a dynamically linked program to the
 * agent from a constructor, before the program's own code runs:
 *
 *   LD_PRELOAD=/.driftlock/libdriftlock-preload.so
 *
 * The library needs nothing from the image (no DT_NEEDED, no libc symbol;
 * see sys.h) and exports nothing (-fvisibility=hidden). It cannot reach
 * statically linked programs (the dynamic linker is what loads it), and
 * glibc ignores a preload library it cannot load: where that matters, use
 * driftlock-exec as the entrypoint (exec.c).
 *
 * In a process that inherited the filter (a child of an attached program:
 * LD_PRELOAD is inherited too) the constructor makes exactly one system call,
 * the probe, and returns. */
#include "shim.h"

#include "shimproto.h"

/* Is (argc, argv, envp) what the kernel put on the stack? glibc calls
 * constructors as f(argc, argv, envp); musl calls f(), leaving whatever
 * happens to be in the argument registers. The stack layout makes envp
 * follow argv's NULL, which garbage registers do not satisfy by accident;
 * only arithmetic, nothing is dereferenced before this holds. */
static bool args_plausible(int argc, char **argv, char **envp)
{
        return argc >= 0 && argv && ((uintptr_t)argv & 7) == 0 &&
               envp == argv + argc + 1;
}

/* Priority 101 runs first among this library's constructors (it has only
 * this one); across objects, the dynamic linker runs preloaded libraries'
 * constructors before the program's own. */
__attribute__((constructor(101), used)) static void
driftlock_preload_init(int argc, char **argv, char **envp)
{
        struct shim_config cfg;

        if (shim_already_attached())
                return;
        shim_config_init(&cfg);
        if (args_plausible(argc, argv, envp))
                shim_config_from_envp(&cfg, envp);
        else
                shim_config_from_proc(&cfg);
        shim_attach_or_exit(&cfg, SHIMPROTO_KIND_PRELOAD, "driftlock");
}
