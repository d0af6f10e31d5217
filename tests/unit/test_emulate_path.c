#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "emulate.h"
#include "notify.h"
#include "util.h"

/* The target processes and their temporary root. */
#include "emulate_target.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452       /* Linux 6.6 */
#endif

/* Only reached when a run hangs. */
#define WATCHDOG_SECONDS 300

/* ---- the tree every case starts from ------------------------------------ */

static void mkdir_as(const char *p, mode_t mode, uid_t uid, gid_t gid)
{
        assert_int_equal(mkdir(host_path(p), 0700), 0);
        assert_int_equal(chown(host_path(p), uid, gid), 0);
        assert_int_equal(chmod(host_path(p), mode), 0);
}

static void symlink_as(const char *text, const char *p, uid_t uid, gid_t gid)
{
        assert_int_equal(symlink(text, host_path(p)), 0);
        assert_int_equal(lchown(host_path(p), uid, gid), 0);
}

static int remove_one(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
        (void)st;
        (void)type;
        (void)ftw;
        return remove(p) < 0 && errno != ENOENT ? -1 : 0;
}

/* rm -rf p, without a shell per case. */
static void remove_tree(const char *p)
{
        struct stat st;

        if (lstat(p, &st) == 0)
                assert_int_equal(nftw(p, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* A default ACL user::rwx group::rwx other::r-x (the posix_acl_xattr
 * format): what is made in that directory ignores the umask. */
static void default_acl(const char *p)
{
        const struct {
                uint32_t version;
                struct {
                        uint16_t tag, perm;
                        uint32_t id;
                } e[3];
        } acl = { 2, { { 0x01, 7, ~0u }, { 0x04, 7, ~0u }, { 0x20, 5, ~0u } } };

        assert_int_equal(setxattr(host_path(p), "system.posix_acl_default", &acl, sizeof(acl),
                                  0), 0);
}

/* /t as each case finds it, and tree/outside: outside the container root
 * (rootdir), where nothing a target in a chroot names may lead. user1000
 * is uid 1000, gid 1000, group 2000. */
static void ptree_reset(void)
{
        char outside[160];

        remove_tree(host_path("/t"));
        snprintf(outside, sizeof(outside), "%s/outside", tree);
        remove_tree(outside);
        assert_int_equal(mkdir(outside, 0777), 0);
        assert_int_equal(chmod(outside, 0777), 0);
        assert_int_equal(mkdir(joined(outside, "/d"), 0777), 0);
        assert_int_equal(chmod(joined(outside, "/d"), 0777), 0);
        mkdir_as("/t", 0755, 0, 0);
        mkdir_as("/t/w", 0777, 0, 0);                   /* writable, not sticky */
        write_file("/t/w/file", "content", 0644, 0, 0);
        write_file("/t/w/wfile", "world", 0666, 0, 0);
        write_file("/t/w/secret", "secret", 0600, 0, 0);
        write_file("/t/w/ufile", "user", 0644, 1000, 1000);
        write_file("/t/w/rofile", "ro", 0444, 1000, 1000);
        write_file("/t/w/gfile", "g", 0644, 1000, 2000);        /* a group of its */
        write_file("/t/w/ofile", "o", 0644, 1000, 3000);        /* not its group */
        mkdir_as("/t/w/dir", 0755, 1000, 1000);
        mkdir_as("/t/w/full", 0755, 1000, 1000);
        write_file("/t/w/full/x", "x", 0644, 1000, 1000);
        mkdir_as("/t/w/sgid", 02777, 0, 3000);
        symlink_as("file", "/t/w/lnk", 0, 0);
        symlink_as("ufile", "/t/w/ulnk", 1000, 1000);
        symlink_as("dir", "/t/w/dlnk", 0, 0);
        symlink_as("nowhere", "/t/w/dangle", 0, 0);
        symlink_as("../victim/f", "/t/w/vlnk", 0, 0);
        assert_int_equal(mkfifo(host_path("/t/w/fifo"), 0600), 0);
        assert_int_equal(chmod(host_path("/t/w/fifo"), 0666), 0);
        mkdir_as("/t/ro", 0755, 0, 0);
        write_file("/t/ro/f", "ro", 0666, 0, 0);
        mkdir_as("/t/nox", 0700, 0, 0);                 /* no search for others */
        write_file("/t/nox/f", "nox", 0666, 0, 0);
        mkdir_as("/t/sticky", 01777, 0, 0);
        write_file("/t/sticky/theirs", "theirs", 0666, 3000, 3000);
        write_file("/t/sticky/mine", "mine", 0644, 1000, 1000);
        mkdir_as("/t/sticky/theirdir", 0777, 3000, 3000);
        /* What a stale name would reach: anyone may change all of it. */
        mkdir_as("/t/victim", 0777, 0, 0);
        write_file("/t/victim/f", "victim", 0666, 1000, 1000);
        mkdir_as("/t/victim/sub", 0777, 1000, 1000);
        symlink_as("victim", "/t/sl", 0, 0);
        symlink_as("nowhere", "/t/dsl", 0, 0);
        mkdir_as("/t/w/acl", 0777, 0, 0);
        default_acl("/t/w/acl");
        symlink_as(outside, "/t/w/esc", 0, 0);          /* absolute, ours */
        symlink_as("../../../outside", "/t/w/resc", 0, 0);
}

/* ---- the cases ------------------------------------------------------------ */

/* How the target makes the call itself. */
enum how {
        PLAIN,          /* truncate, fchmodat, mkdirat ...; linkat without flags */
        NOFOLLOW,       /* chmod: fchmodat2(AT_SYMLINK_NOFOLLOW) */
        FOLLOW,         /* link: linkat(AT_SYMLINK_FOLLOW) */
        EMPTY,          /* on the fd with AT_EMPTY_PATH: fchmodat2, linkat */
        PROCFD,         /* link: linkat("/proc/self/fd/N", AT_SYMLINK_FOLLOW) */
};

/* A file the target opens before the call (the fd of EMPTY and PROCFD). */
enum fd_kind {
        NO_FD, FD_TMPFILE, FD_TMPFILE_EXCL, FD_READ, FD_PATH,
};

struct path_case {
        const char *name;
        enum emulate_path_op op;
        /* As the target writes them; a trailing '/' sets slash. For EMPTY
         * chmod, path[0] names the fd's file (for emulation only). */
        const char *path[2];
        /* path[0] as emulation gets it, when it differs (resolved through
         * a link): NULL for path[0] without its '/'. */
        const char *resolved;
        uint64_t arg, dev;
        const char *text;       /* symlink */
        const char *source;     /* link: as the target writes it */
        const char *source_resolved;    /* link FOLLOW: as emulation gets it */
        enum how how;
        enum fd_kind fd;
        const char *fd_path;    /* FD_READ, FD_PATH; the O_TMPFILEs are made in /t/w */
        bool no_chroot;         /* needs /proc in the target's root */
        /* The errno the target's own call gets (0: none) as root with our
         * capabilities, and as user1000; the tables for one other kind of
         * target use .root. */
        int root, user;
};

#define BOTH(e) .root = (e), .user = (e)
#define LONG_NAME "x123456789x123456789x123456789x123456789x123456789x123456789" \
        "x123456789x123456789x123456789x123456789x123456789x123456789x123456789" \
        "x123456789x123456789x123456789x123456789x123456789x123456789x123456789" \
        "x123456789x123456789x123456789x123456789x123456789x12345"       /* 256 */

static const struct path_case cases[] = {
        /* mkdir */
        { "mkdir: owner, mode & ~umask", EMULATE_MKDIR, { "/t/w/nd" }, .arg = 0777 },
        { "mkdir: sticky kept, setuid dropped", EMULATE_MKDIR, { "/t/w/nd" }, .arg = 07777 },
        { "mkdir: setgid dir inherited", EMULATE_MKDIR, { "/t/w/sgid/nd" }, .arg = 0777 },
        { "mkdir: trailing slash", EMULATE_MKDIR, { "/t/w/nd/" }, .arg = 0755 },
        { "mkdir: through a dir link", EMULATE_MKDIR, { "/t/w/dlnk/nd" },
          .resolved = "/t/w/dir/nd", .arg = 0700 },
        { "mkdir: existing", EMULATE_MKDIR, { "/t/w/file" }, .arg = 0777, BOTH(EEXIST) },
        { "mkdir: dangling link", EMULATE_MKDIR, { "/t/w/dangle" }, .arg = 0777, BOTH(EEXIST) },
        { "mkdir: no parent", EMULATE_MKDIR, { "/t/w/nope/nd" }, .arg = 0777, BOTH(ENOENT) },
        { "mkdir: parent a file", EMULATE_MKDIR, { "/t/w/file/nd" }, .arg = 0777,
          BOTH(ENOTDIR) },
        { "mkdir: dir not writable", EMULATE_MKDIR, { "/t/ro/nd" }, .arg = 0777,
          .user = EACCES },
        { "mkdir: default ACL, not umask", EMULATE_MKDIR, { "/t/w/acl/nd" }, .arg = 0777 },
        { "mkdir: name too long", EMULATE_MKDIR, { "/t/w/" LONG_NAME }, .arg = 0777,
          BOTH(ENAMETOOLONG) },
        { "mkdir: dir not searchable", EMULATE_MKDIR, { "/t/nox/nd" }, .arg = 0777,
          .user = EACCES },
        /* mknod */
        { "mknod: fifo", EMULATE_MKNOD, { "/t/w/p" }, .arg = S_IFIFO | 0666 },
        { "mknod: fifo in setgid dir", EMULATE_MKNOD, { "/t/w/sgid/p" }, .arg = S_IFIFO | 0666 },
        { "mknod: char device", EMULATE_MKNOD, { "/t/w/c" }, .arg = S_IFCHR | 0600,
          .dev = 0x103, .user = EPERM },
        { "mknod: regular", EMULATE_MKNOD, { "/t/w/r" }, .arg = S_IFREG | 0646 },
        { "mknod: type 0 is regular", EMULATE_MKNOD, { "/t/w/r" }, .arg = 0600 },
        { "mknod: default ACL, not umask", EMULATE_MKNOD, { "/t/w/acl/r" },
          .arg = S_IFREG | 0666 },
        { "mknod: socket", EMULATE_MKNOD, { "/t/w/s" }, .arg = S_IFSOCK | 0777 },
        { "mknod: fifo, dev's high bits dropped", EMULATE_MKNOD, { "/t/w/p" },
          .arg = S_IFIFO | 0666, .dev = 1ull << 32 },
        { "mknod: directory", EMULATE_MKNOD, { "/t/w/d" }, .arg = S_IFDIR | 0777, BOTH(EPERM) },
        { "mknod: bad type", EMULATE_MKNOD, { "/t/w/b" }, .arg = 0110644, BOTH(EINVAL) },
        { "mknod: existing", EMULATE_MKNOD, { "/t/w/file" }, .arg = S_IFIFO | 0600,
          BOTH(EEXIST) },
        { "mknod: dir not writable", EMULATE_MKNOD, { "/t/ro/p" }, .arg = S_IFIFO | 0600,
          .user = EACCES },
        { "mknod: trailing slash", EMULATE_MKNOD, { "/t/w/p/" }, .arg = S_IFIFO | 0600,
          BOTH(ENOENT) },
        /* unlink, rmdir */
        { "unlink: file", EMULATE_UNLINK, { "/t/w/file" }, .arg = 0 },
        { "unlink: a link, not its target", EMULATE_UNLINK, { "/t/w/lnk" }, .arg = 0 },
        { "unlink: dir", EMULATE_UNLINK, { "/t/w/dir" }, BOTH(EISDIR) },
        { "unlink: file/", EMULATE_UNLINK, { "/t/w/ufile/" }, BOTH(ENOTDIR) },
        { "unlink: missing", EMULATE_UNLINK, { "/t/w/nope" }, BOTH(ENOENT) },
        { "unlink: dir not writable", EMULATE_UNLINK, { "/t/ro/f" }, .user = EACCES },
        { "unlink: sticky, theirs", EMULATE_UNLINK, { "/t/sticky/theirs" }, .user = EPERM },
        { "unlink: sticky, mine", EMULATE_UNLINK, { "/t/sticky/mine" }, .arg = 0 },
        { "unlink: bad flag", EMULATE_UNLINK, { "/t/w/file" }, .arg = 1, BOTH(EINVAL) },
        { "rmdir: empty", EMULATE_UNLINK, { "/t/w/dir" }, .arg = AT_REMOVEDIR },
        { "rmdir: dir/", EMULATE_UNLINK, { "/t/w/dir/" }, .arg = AT_REMOVEDIR },
        { "rmdir: not empty", EMULATE_UNLINK, { "/t/w/full" }, .arg = AT_REMOVEDIR,
          BOTH(ENOTEMPTY) },
        { "rmdir: sticky, theirs", EMULATE_UNLINK, { "/t/sticky/theirdir" },
          .arg = AT_REMOVEDIR, .user = EPERM },
        { "rmdir: a file", EMULATE_UNLINK, { "/t/w/ufile" }, .arg = AT_REMOVEDIR,
          BOTH(ENOTDIR) },
        { "rmdir: a link to a dir", EMULATE_UNLINK, { "/t/w/dlnk" }, .arg = AT_REMOVEDIR,
          BOTH(ENOTDIR) },
        /* symlink */
        { "symlink: text verbatim", EMULATE_SYMLINK, { "/t/w/sy" },
          .text = "../no//such/./target " },
        { "symlink: in setgid dir", EMULATE_SYMLINK, { "/t/w/sgid/sy" }, .text = "../file" },
        { "symlink: existing", EMULATE_SYMLINK, { "/t/w/file" }, .text = "x", BOTH(EEXIST) },
        { "symlink: empty text", EMULATE_SYMLINK, { "/t/w/sy" }, .text = "", BOTH(ENOENT) },
        { "symlink: dir not writable", EMULATE_SYMLINK, { "/t/ro/sy" }, .text = "x",
          .user = EACCES },
        { "symlink: trailing slash", EMULATE_SYMLINK, { "/t/w/sy/" }, .text = "x",
          BOTH(ENOENT) },
        /* rename */
        { "rename: plain", EMULATE_RENAME, { "/t/w/ufile", "/t/w/moved" }, .arg = 0 },
        { "rename: replaces a file", EMULATE_RENAME, { "/t/w/ufile", "/t/w/file" }, .arg = 0 },
        { "rename: onto itself", EMULATE_RENAME, { "/t/w/ufile", "/t/w/ufile" }, .arg = 0 },
        { "rename: a link itself", EMULATE_RENAME, { "/t/w/lnk", "/t/w/lnk2" }, .arg = 0 },
        { "rename: NOREPLACE", EMULATE_RENAME, { "/t/w/ufile", "/t/w/file" },
          .arg = RENAME_NOREPLACE, BOTH(EEXIST) },
        { "rename: EXCHANGE", EMULATE_RENAME, { "/t/w/ufile", "/t/w/dir" },
          .arg = RENAME_EXCHANGE },
        { "rename: EXCHANGE with nothing", EMULATE_RENAME, { "/t/w/ufile", "/t/w/nope" },
          .arg = RENAME_EXCHANGE, BOTH(ENOENT) },
        { "rename: NOREPLACE|EXCHANGE", EMULATE_RENAME, { "/t/w/ufile", "/t/w/dir" },
          .arg = RENAME_NOREPLACE | RENAME_EXCHANGE, BOTH(EINVAL) },
        { "rename: WHITEOUT", EMULATE_RENAME, { "/t/w/ufile", "/t/w/moved" },
          .arg = RENAME_WHITEOUT },
        { "rename: dir onto non-empty dir", EMULATE_RENAME, { "/t/w/dir", "/t/w/full" },
          BOTH(ENOTEMPTY) },
        { "rename: dir onto empty dir", EMULATE_RENAME, { "/t/w/full", "/t/w/dir" }, .arg = 0 },
        { "rename: file onto dir", EMULATE_RENAME, { "/t/w/ufile", "/t/w/dir" }, BOTH(EISDIR) },
        { "rename: dir onto file", EMULATE_RENAME, { "/t/w/dir", "/t/w/ufile" },
          BOTH(ENOTDIR) },
        { "rename: file/", EMULATE_RENAME, { "/t/w/ufile/", "/t/w/moved" }, BOTH(ENOTDIR) },
        { "rename: to moved/", EMULATE_RENAME, { "/t/w/ufile", "/t/w/moved/" },
          BOTH(ENOTDIR) },
        { "rename: dir/ to moved/", EMULATE_RENAME, { "/t/w/dir/", "/t/w/moved/" }, .arg = 0 },
        { "rename: sticky, theirs", EMULATE_RENAME, { "/t/sticky/theirs", "/t/sticky/x" },
          .user = EPERM },
        { "rename: into a dir not writable", EMULATE_RENAME, { "/t/w/ufile", "/t/ro/x" },
          .user = EACCES },
        { "rename: missing", EMULATE_RENAME, { "/t/w/nope", "/t/w/x" }, BOTH(ENOENT) },
        /* link */
        { "link: own file", EMULATE_LINK, { "/t/w/hl" }, .source = "/t/w/ufile" },
        { "link: root's 0666 file", EMULATE_LINK, { "/t/w/hl" }, .source = "/t/w/wfile" },
        { "link: root's 0600 file", EMULATE_LINK, { "/t/w/hl" }, .source = "/t/w/secret",
          .user = EPERM },
        { "link: root's 0644 file", EMULATE_LINK, { "/t/w/hl" }, .source = "/t/w/file",
          .user = EPERM },
        { "link: existing", EMULATE_LINK, { "/t/w/file" }, .source = "/t/w/ufile",
          BOTH(EEXIST) },
        { "link: a dir", EMULATE_LINK, { "/t/w/hl" }, .source = "/t/w/dir", BOTH(EPERM) },
        { "link: own symlink itself", EMULATE_LINK, { "/t/w/hl" }, .source = "/t/w/ulnk" },
        { "link: root's symlink itself", EMULATE_LINK, { "/t/w/hl" }, .source = "/t/w/lnk",
          .user = EPERM },
        { "link: AT_SYMLINK_FOLLOW", EMULATE_LINK, { "/t/w/hl" }, .source = "/t/w/ulnk",
          .source_resolved = "/t/w/ufile", .how = FOLLOW },
        { "link: dir not writable", EMULATE_LINK, { "/t/ro/hl" }, .source = "/t/w/ufile",
          .user = EACCES },
        { "link: missing", EMULATE_LINK, { "/t/w/hl" }, .source = "/t/w/nope", BOTH(ENOENT) },
        { "link: hl/", EMULATE_LINK, { "/t/w/hl/" }, .source = "/t/w/ufile", BOTH(ENOENT) },
        { "link: O_TMPFILE by fd", EMULATE_LINK, { "/t/w/hl" }, .how = EMPTY,
          .fd = FD_TMPFILE },
        { "link: O_TMPFILE|O_EXCL by fd", EMULATE_LINK, { "/t/w/hl" }, .how = EMPTY,
          .fd = FD_TMPFILE_EXCL, BOTH(ENOENT) },
        { "link: O_TMPFILE by fd, arg AT_EMPTY_PATH", EMULATE_LINK, { "/t/w/hl" },
          .arg = AT_EMPTY_PATH, .how = EMPTY, .fd = FD_TMPFILE },
        /* Not here: an fd opened under older credentials. The kernel's
         * AT_EMPTY_PATH rule (the opener's very credentials) cannot be
         * checked from outside; emulation links it as /proc/self/fd would
         * (emulate.h). */
        { "link: own file by fd", EMULATE_LINK, { "/t/w/hl" }, .how = EMPTY, .fd = FD_READ,
          .fd_path = "/t/w/ufile" },
        { "link: root's 0644 file by fd", EMULATE_LINK, { "/t/w/hl" }, .how = EMPTY,
          .fd = FD_READ, .fd_path = "/t/w/file", .user = EPERM },
        { "link: O_TMPFILE by /proc/self/fd", EMULATE_LINK, { "/t/w/hl" }, .how = PROCFD,
          .fd = FD_TMPFILE, .no_chroot = true },
        /* truncate */
        { "truncate: shorter", EMULATE_TRUNCATE, { "/t/w/ufile" }, .arg = 2 },
        { "truncate: longer", EMULATE_TRUNCATE, { "/t/w/ufile" }, .arg = 100 },
        { "truncate: through a link", EMULATE_TRUNCATE, { "/t/w/ulnk" },
          .resolved = "/t/w/ufile", .arg = 1 },
        { "truncate: own read-only file", EMULATE_TRUNCATE, { "/t/w/rofile" }, .arg = 0,
          .user = EACCES },
        { "truncate: root's 0644 file", EMULATE_TRUNCATE, { "/t/w/file" }, .arg = 0,
          .user = EACCES },
        { "truncate: root's 0666 file", EMULATE_TRUNCATE, { "/t/w/wfile" }, .arg = 3 },
        { "truncate: dir not searchable", EMULATE_TRUNCATE, { "/t/nox/f" }, .arg = 0,
          .user = EACCES },
        { "truncate: file/", EMULATE_TRUNCATE, { "/t/w/ufile/" }, .arg = 0, BOTH(ENOTDIR) },
        { "truncate: dir", EMULATE_TRUNCATE, { "/t/w/dir" }, .arg = 0, BOTH(EISDIR) },
        { "truncate: fifo", EMULATE_TRUNCATE, { "/t/w/fifo" }, .arg = 0, BOTH(EINVAL) },
        { "truncate: missing", EMULATE_TRUNCATE, { "/t/w/nope" }, .arg = 0, BOTH(ENOENT) },
        { "truncate: negative", EMULATE_TRUNCATE, { "/t/w/ufile" }, .arg = (uint64_t)-1,
          BOTH(EINVAL) },
        /* chmod */
        { "chmod: own file", EMULATE_CHMOD, { "/t/w/ufile" }, .arg = 0600 },
        { "chmod: setgid, a group of its", EMULATE_CHMOD, { "/t/w/gfile" }, .arg = 02755 },
        { "chmod: setgid, not its group", EMULATE_CHMOD, { "/t/w/ofile" }, .arg = 02755 },
        { "chmod: bits above 07777", EMULATE_CHMOD, { "/t/w/ufile" }, .arg = 0177640 },
        { "chmod: through a link", EMULATE_CHMOD, { "/t/w/ulnk" }, .resolved = "/t/w/ufile",
          .arg = 0640 },
        { "chmod: file/", EMULATE_CHMOD, { "/t/w/ufile/" }, .arg = 0600, BOTH(ENOTDIR) },
        { "chmod: dir link/", EMULATE_CHMOD, { "/t/w/dlnk/" }, .resolved = "/t/w/dir",
          .arg = 0700 },
        { "chmod: dir", EMULATE_CHMOD, { "/t/w/dir" }, .arg = 01777 },
        { "chmod: root's file", EMULATE_CHMOD, { "/t/w/file" }, .arg = 0666, .user = EPERM },
        { "chmod: dir not searchable", EMULATE_CHMOD, { "/t/nox/f" }, .arg = 0600,
          .user = EACCES },
        { "chmod: missing", EMULATE_CHMOD, { "/t/w/nope" }, .arg = 0600, BOTH(ENOENT) },
        { "chmod: NOFOLLOW, file", EMULATE_CHMOD, { "/t/w/ufile" }, .arg = 0600,
          .how = NOFOLLOW },
        { "chmod: NOFOLLOW, own symlink", EMULATE_CHMOD, { "/t/w/ulnk" }, .arg = 0600,
          .how = NOFOLLOW, BOTH(EOPNOTSUPP) },
        /* the caller resolves chmod through a trailing '/' (emulate.h) */
        { "chmod: NOFOLLOW, dir link/", EMULATE_CHMOD, { "/t/w/dlnk/" }, .resolved = "/t/w/dir",
          .arg = 0700, .how = NOFOLLOW },
        { "chmod: by fd", EMULATE_CHMOD, { "/t/w/ufile" }, .arg = 0604, .how = EMPTY,
          .fd = FD_READ, .fd_path = "/t/w/ufile" },
        { "chmod: by O_PATH fd", EMULATE_CHMOD, { "/t/w/ufile" }, .arg = 0604, .how = EMPTY,
          .fd = FD_PATH, .fd_path = "/t/w/ufile" },
        { "chmod: root's file by fd", EMULATE_CHMOD, { "/t/w/file" }, .arg = 0666,
          .how = EMPTY, .fd = FD_READ, .fd_path = "/t/w/file", .user = EPERM },
};

/* ---- running a case both ways ---------------------------------------------- */

static void cmd_arg(struct cmd *c, unsigned i, enum cmd_arg kind, long v)
{
        c->kind[i] = (unsigned char)kind;
        c->args[i] = v;
}

static void cmd_syscall(struct cmd *c, long nr)
{
        *c = (struct cmd){ .op = CMD_SYSCALL, .nr = nr };
}

/* The case's file descriptor, opened by the target: its number, or -1. */
static int case_fd_open(struct target *t, const struct path_case *pc)
{
        struct cmd c;
        long fd;
        int flags = pc->fd == FD_READ ? O_RDONLY : pc->fd == FD_PATH ? O_PATH
                    : pc->fd == FD_TMPFILE_EXCL ? O_TMPFILE | O_RDWR | O_EXCL
                    : O_TMPFILE | O_RDWR;

        if (pc->fd == NO_FD)
                return -1;
        cmd_syscall(&c, SYS_openat);
        snprintf(c.path, sizeof(c.path), "%s", tpath(t, pc->fd_path ? pc->fd_path : "/t/w"));
        cmd_arg(&c, 0, ARG_NUM, AT_FDCWD);
        cmd_arg(&c, 1, ARG_PATH, 0);
        cmd_arg(&c, 2, ARG_NUM, flags);
        cmd_arg(&c, 3, ARG_NUM, 0640);
        fd = target_syscall(t, &c);
        assert_true(fd >= 0);
        return (int)fd;
}

static void case_fd_close(struct target *t, int fd)
{
        struct cmd c;

        if (fd < 0)
                return;
        cmd_syscall(&c, SYS_close);
        cmd_arg(&c, 0, ARG_NUM, fd);
        assert_int_equal(target_syscall(t, &c), 0);
}

/* The call as the target makes it: 0 or -errno. */
static long own_call(struct target *t, const struct path_case *pc, int fd)
{
        const long flags = pc->how == FOLLOW || pc->how == PROCFD ? AT_SYMLINK_FOLLOW
                           : pc->how == EMPTY ? AT_EMPTY_PATH : 0;
        static const long nr[] = {
                [EMULATE_TRUNCATE] = SYS_truncate, [EMULATE_CHMOD] = SYS_fchmodat,
                [EMULATE_MKDIR] = SYS_mkdirat, [EMULATE_MKNOD] = SYS_mknodat,
                [EMULATE_UNLINK] = SYS_unlinkat, [EMULATE_SYMLINK] = SYS_symlinkat,
                [EMULATE_RENAME] = SYS_renameat2, [EMULATE_LINK] = SYS_linkat,
        };
        struct cmd c;

        cmd_syscall(&c, nr[pc->op]);
        snprintf(c.path, sizeof(c.path), "%s", tpath(t, pc->path[0]));
        if (pc->path[1])
                snprintf(c.path2, sizeof(c.path2), "%s", tpath(t, pc->path[1]));
        if (pc->source)
                snprintf(c.path2, sizeof(c.path2), "%s", tpath(t, pc->source));
        if (pc->how == PROCFD)
                snprintf(c.path2, sizeof(c.path2), "/proc/self/fd/%d", fd);
        if (pc->text)
                snprintf(c.text, sizeof(c.text), "%s", pc->text);

        switch (pc->op) {
        case EMULATE_TRUNCATE:          /* truncate(path, length) */
                cmd_arg(&c, 0, ARG_PATH, 0);
                cmd_arg(&c, 1, ARG_NUM, (long)pc->arg);
                break;
        case EMULATE_CHMOD:             /* fchmodat[2](dirfd, path, mode[, flags]) */
                cmd_arg(&c, 0, ARG_NUM, AT_FDCWD);
                cmd_arg(&c, 1, ARG_PATH, 0);
                cmd_arg(&c, 2, ARG_NUM, (long)pc->arg);
                if (pc->how == NOFOLLOW || pc->how == EMPTY) {
                        c.nr = SYS_fchmodat2;
                        cmd_arg(&c, 3, ARG_NUM, pc->how == EMPTY ? AT_EMPTY_PATH
                                                                 : AT_SYMLINK_NOFOLLOW);
                }
                if (pc->how == EMPTY) {
                        cmd_arg(&c, 0, ARG_NUM, fd);
                        cmd_arg(&c, 1, ARG_EMPTY, 0);
                }
                break;
        case EMULATE_MKDIR:             /* mkdirat(dirfd, path, mode) */
        case EMULATE_MKNOD:             /* mknodat(dirfd, path, mode, dev) */
        case EMULATE_UNLINK:            /* unlinkat(dirfd, path, flags) */
                cmd_arg(&c, 0, ARG_NUM, AT_FDCWD);
                cmd_arg(&c, 1, ARG_PATH, 0);
                cmd_arg(&c, 2, ARG_NUM, (long)pc->arg);
                cmd_arg(&c, 3, ARG_NUM, (long)pc->dev);
                break;
        case EMULATE_SYMLINK:           /* symlinkat(text, dirfd, path) */
                cmd_arg(&c, 0, ARG_TEXT, 0);
                cmd_arg(&c, 1, ARG_NUM, AT_FDCWD);
                cmd_arg(&c, 2, ARG_PATH, 0);
                break;
        case EMULATE_RENAME:            /* renameat2(dirfd, old, dirfd, new, flags) */
                cmd_arg(&c, 0, ARG_NUM, AT_FDCWD);
                cmd_arg(&c, 1, ARG_PATH, 0);
                cmd_arg(&c, 2, ARG_NUM, AT_FDCWD);
                cmd_arg(&c, 3, ARG_PATH2, 0);
                cmd_arg(&c, 4, ARG_NUM, (long)pc->arg);
                break;
        case EMULATE_LINK:              /* linkat(dirfd, old, dirfd, new, flags) */
                cmd_arg(&c, 0, ARG_NUM, pc->how == EMPTY ? fd : AT_FDCWD);
                cmd_arg(&c, 1, pc->how == EMPTY ? ARG_EMPTY : ARG_PATH2, 0);
                cmd_arg(&c, 2, ARG_NUM, AT_FDCWD);
                cmd_arg(&c, 3, ARG_PATH, 0);
                cmd_arg(&c, 4, ARG_NUM, flags);
                break;
        }
        return target_syscall(t, &c);
}

/* p as t names it, without a trailing '/': whether it had one. */
static bool name_for(const struct target *t, const char *p, char *buf, size_t size)
{
        size_t n;

        snprintf(buf, size, "%s", tpath(t, p));
        n = strlen(buf);
        if (n > 1 && buf[n - 1] == '/') {
                buf[n - 1] = '\0';
                return true;
        }
        return false;
}

/* The same call for emulation, in bufs. */
static void emu_call(const struct target *t, const struct path_case *pc, int fd,
                     struct emulate_path_call *call, char bufs[3][640])
{
        *call = (struct emulate_path_call){ .op = pc->op, .arg = pc->arg, .dev = pc->dev,
                                            .text = pc->text, .fd = -1 };
        call->slash[0] = name_for(t, pc->path[0], bufs[0], sizeof(bufs[0]));
        if (pc->resolved)
                name_for(t, pc->resolved, bufs[0], sizeof(bufs[0]));
        call->path[0] = bufs[0];
        if (pc->path[1]) {
                call->slash[1] = name_for(t, pc->path[1], bufs[1], sizeof(bufs[1]));
                call->path[1] = bufs[1];
        }
        call->follow = pc->op == EMULATE_TRUNCATE || (pc->op == EMULATE_CHMOD &&
                                                      pc->how != NOFOLLOW);
        if (pc->how == EMPTY || pc->how == PROCFD)
                call->fd = fd;
        else if (pc->source) {
                name_for(t, pc->source_resolved ? pc->source_resolved : pc->source, bufs[2],
                         sizeof(bufs[2]));
                call->source = bufs[2];
        }
}

/* Runs pc by emulation and by the target itself, each on a fresh tree:
 * the results and the trees after must be the same. Prints what differs;
 * returns the number of differences. */
static int compare_case(struct target *t, const struct path_case *pc, bool root)
{
        cleanup_free struct snapshot *emu = malloc(sizeof(*emu));
        cleanup_free struct snapshot *own = malloc(sizeof(*own));
        int expect = -(root ? pc->root : pc->user), fd, ret, res = 12345, bad = 0;
        struct emulate_path_call call;
        char bufs[3][640];
        long own_ret;

        assert_non_null(emu);
        assert_non_null(own);
        print_message("case: %s\n", pc->name);

        ptree_reset();
        fd = case_fd_open(t, pc);
        emu_call(t, pc, fd, &call, bufs);
        ret = emulate_path(t->pid, &call, &res);
        snap_take(emu);
        case_fd_close(t, fd);

        ptree_reset();
        fd = case_fd_open(t, pc);
        own_ret = own_call(t, pc, fd);
        snap_take(own);
        case_fd_close(t, fd);

        if (own_ret != expect) {
                print_message("  TABLE: the target's own call gave %s, the table says %s\n",
                              err_name((int)own_ret), err_name(expect));
                bad++;
        }
        if (ret != 0 || res != own_ret) {
                print_message("  MISMATCH: emulate_path returned %s, result %s; own call %s\n",
                              err_name(ret), ret == 0 ? err_name(res) : "-",
                              err_name((int)own_ret));
                bad++;
        }
        if (!snap_same(emu, "emu", own, "own")) {
                print_message("  MISMATCH: the trees differ (above)\n");
                bad++;
        }
        return bad;
}

/* compare_case() for each case of a table that t can run; returns the
 * number of differences. */
static int compare_table(struct target *t, const struct path_case *table, size_t n, bool root)
{
        int bad = 0;

        for (size_t i = 0; i < n; i++)
                if (!(t->chroot && table[i].no_chroot))
                        bad += compare_case(t, &table[i], root);
        return bad;
}

static void compare_all(struct target *t, bool root)
{
        assert_int_equal(compare_table(t, cases, ARRAY_SIZE(cases), root), 0);
}

/* Our own effective capabilities: what a root target may hold. */
static uint64_t our_caps(void)
{
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2];

        assert_int_equal(syscall(SYS_capget, &h, d), 0);
        return d[0].effective | (uint64_t)d[1].effective << 32;
}

static bool begin(void)
{
        if (!is_root())
                return false;
        watchdog_arm(WATCHDOG_SECONDS);
        return true;
}

/* ---- the tests ------------------------------------------------------------- */

static void test_emulate_path_matches_target_as_root(void **state)
{
        const struct spec s = { .uid = 0, .gid = 0, .group = 0, .umask = 022,
                                .caps = our_caps() };

        (void)state;
        if (!begin())
                skip();
        compare_all(target_start(0, &s), true);
}

static void test_emulate_path_matches_target_as_user(void **state)
{
        (void)state;
        if (!begin())
                skip();
        compare_all(target_start(0, &user1000), false);
}

static void test_emulate_path_matches_target_in_chroot(void **state)
{
        struct spec s = user1000;

        (void)state;
        if (!begin())
                skip();
        s.chroot = true;
        compare_all(target_start(0, &s), false);
}

/* A name whose directory (or, for a following truncate or chmod, whose
 * final component) became a symbolic link since it was resolved: nothing
 * happens, neither at the link's target nor anywhere else. /t/sl is a link
 * to /t/victim, where anyone may change anything. */
static const struct path_case stale_cases[] = {
        { "mkdir", EMULATE_MKDIR, { "/t/sl/nd" }, .arg = 0777 },
        { "mkdir, deeper", EMULATE_MKDIR, { "/t/sl/sub/nd" }, .arg = 0777 },
        { "mkdir, dangling", EMULATE_MKDIR, { "/t/dsl/nd" }, .arg = 0777 },
        { "mknod", EMULATE_MKNOD, { "/t/sl/p" }, .arg = S_IFIFO | 0666 },
        { "unlink", EMULATE_UNLINK, { "/t/sl/f" }, .arg = 0 },
        { "rmdir", EMULATE_UNLINK, { "/t/sl/sub" }, .arg = AT_REMOVEDIR },
        { "symlink", EMULATE_SYMLINK, { "/t/sl/sy" }, .text = "x" },
        { "rename from", EMULATE_RENAME, { "/t/sl/f", "/t/w/moved" }, .arg = 0 },
        { "rename to", EMULATE_RENAME, { "/t/w/ufile", "/t/sl/moved" }, .arg = 0 },
        { "rename exchange", EMULATE_RENAME, { "/t/w/ufile", "/t/sl/f" },
          .arg = RENAME_EXCHANGE },
        { "link from", EMULATE_LINK, { "/t/w/hl" }, .source = "/t/sl/f" },
        { "link to", EMULATE_LINK, { "/t/sl/hl" }, .source = "/t/w/ufile" },
        { "link fd to", EMULATE_LINK, { "/t/sl/hl" }, .how = EMPTY, .fd = FD_TMPFILE },
        { "truncate", EMULATE_TRUNCATE, { "/t/sl/f" }, .arg = 0 },
        { "truncate, final link", EMULATE_TRUNCATE, { "/t/w/vlnk" }, .arg = 0 },
        { "chmod", EMULATE_CHMOD, { "/t/sl/f" }, .arg = 0600 },
        { "chmod, final link", EMULATE_CHMOD, { "/t/w/vlnk" }, .arg = 0600 },
        { "chmod NOFOLLOW", EMULATE_CHMOD, { "/t/sl/f" }, .arg = 0600, .how = NOFOLLOW },
        { "chmod by fd", EMULATE_CHMOD, { "/t/sl/f" }, .arg = 0600, .how = EMPTY,
          .fd = FD_READ, .fd_path = "/t/victim/f" },
};

static void expect_stale(struct target *t)
{
        cleanup_free struct snapshot *before = malloc(sizeof(*before));
        cleanup_free struct snapshot *after = malloc(sizeof(*after));
        int bad = 0;

        assert_non_null(before);
        assert_non_null(after);
        for (size_t i = 0; i < ARRAY_SIZE(stale_cases); i++) {
                const struct path_case *pc = &stale_cases[i];
                struct emulate_path_call call;
                char bufs[3][640];
                int fd, ret, res = 12345;

                print_message("stale: %s\n", pc->name);
                ptree_reset();
                fd = case_fd_open(t, pc);
                snap_take(before);
                emu_call(t, pc, fd, &call, bufs);
                ret = emulate_path(t->pid, &call, &res);
                snap_take(after);
                case_fd_close(t, fd);
                if (ret != 0 || res != EMULATE_STALE) {
                        print_message("  MISMATCH: emulate_path returned %s, result %s; "
                                      "expected 0, EMULATE_STALE\n", err_name(ret),
                                      ret == 0 ? err_name(res) : "-");
                        bad++;
                }
                if (!snap_same(before, "before", after, "after")) {
                        print_message("  MISMATCH: the tree changed (above)\n");
                        bad++;
                }
        }
        assert_int_equal(bad, 0);
}

static void test_emulate_path_stale(void **state)
{
        struct spec s = user1000;

        (void)state;
        if (!begin())
                skip();
        expect_stale(target_start(0, &(struct spec){ .uid = 0, .gid = 0, .group = 0,
                                                     .umask = 022, .caps = our_caps() }));
        s.chroot = true;
        expect_stale(target_start(1, &s));
}

/* fchmodat2(AT_EMPTY_PATH) acts on the fd's file, which must still be the
 * one at path[0]: another file there is refused and changes nothing. */
static void test_emulate_path_chmod_fd_not_at_path(void **state)
{
        static const struct path_case pc = {
                "chmod by fd, another file at path", EMULATE_CHMOD, { "/t/w/gfile" },
                .arg = 0600, .how = EMPTY, .fd = FD_READ, .fd_path = "/t/w/ufile",
        };
        cleanup_free struct snapshot *before = malloc(sizeof(*before));
        cleanup_free struct snapshot *after = malloc(sizeof(*after));
        struct emulate_path_call call;
        char bufs[3][640];
        struct target *t;
        int fd, ret, res = 12345;

        (void)state;
        if (!begin())
                skip();
        assert_non_null(before);
        assert_non_null(after);
        t = target_start(0, &user1000);
        ptree_reset();
        fd = case_fd_open(t, &pc);
        snap_take(before);
        emu_call(t, &pc, fd, &call, bufs);
        ret = emulate_path(t->pid, &call, &res);
        snap_take(after);
        print_message("emulate_path returned %s, result %s\n", err_name(ret),
                      ret == 0 ? err_name(res) : "-");
        assert_true(ret < 0 || res != 0);
        assert_true(snap_same(before, "before", after, "after"));
        case_fd_close(t, fd);
}

static void test_emulate_path_bad_input(void **state)
{
        /* Nothing is there: whatever went wrong, nothing is made. */
        const struct emulate_path_call good = { .op = EMULATE_MKDIR,
                                                .path = { "/nonexistent-driftlock/x" },
                                                .arg = 0700, .fd = -1 };
        struct emulate_path_call c;
        struct target *t;
        int res = 12345, status;
        pid_t pid;

        (void)state;
        assert_int_equal(emulate_path(0, &good, &res), -EINVAL);
        assert_int_equal(emulate_path(-1, &good, &res), -EINVAL);
        assert_int_equal(emulate_path(getpid(), NULL, &res), -EINVAL);
        assert_int_equal(emulate_path(getpid(), &good, NULL), -EINVAL);
        c = good;
        c.op = (enum emulate_path_op)99;
        assert_int_equal(emulate_path(getpid(), &c, &res), -EINVAL);
        c = good;
        c.path[0] = "x";
        assert_int_equal(emulate_path(getpid(), &c, &res), -EINVAL);
        c.path[0] = NULL;
        assert_int_equal(emulate_path(getpid(), &c, &res), -EINVAL);
        c = good;
        c.op = EMULATE_RENAME;
        assert_int_equal(emulate_path(getpid(), &c, &res), -EINVAL);         /* no path[1] */
        c.path[1] = "y";
        assert_int_equal(emulate_path(getpid(), &c, &res), -EINVAL);
        c = good;
        c.op = EMULATE_SYMLINK;
        assert_int_equal(emulate_path(getpid(), &c, &res), -EINVAL);         /* no text */
        c = good;
        c.op = EMULATE_LINK;
        assert_int_equal(emulate_path(getpid(), &c, &res), -EINVAL);         /* no source */
        c.source = "y";
        assert_int_equal(emulate_path(getpid(), &c, &res), -EINVAL);
        assert_int_equal(res, 12345);

        /* A reaped process. */
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_int_equal(emulate_path(pid, &good, &res), -ESRCH);

        if (!begin())
                return;
        /* An fd the target does not have. */
        t = target_start(0, &user1000);
        ptree_reset();
        c = (struct emulate_path_call){ .op = EMULATE_LINK, .path = { tpath(t, "/t/w/hl") },
                                        .fd = 999 };
        assert_int_equal(emulate_path(t->pid, &c, &res), -EBADF);
        c = (struct emulate_path_call){ .op = EMULATE_CHMOD, .path = { tpath(t, "/t/w/ufile") },
                                        .follow = true, .arg = 0600, .fd = 999 };
        assert_int_equal(emulate_path(t->pid, &c, &res), -EBADF);
        assert_int_equal(res, 12345);
}

/* A target in a chroot: its names, a final link a trailing '/' makes the
 * kernel follow included, lead nowhere outside its root. /t/w/esc is a
 * link to tree/outside by its absolute name on our side, /t/w/resc one by
 * enough "..": both dangle inside. .root: a root target with our
 * capabilities, .user: user1000. */
static const struct path_case in_root_cases[] = {
        /* chmod of "esc/" never reaches emulation: its caller resolves
         * through the '/' (emulate.h), and inside the root the link
         * dangles. test_emulate_path_chmod_slash_stays_in_root checks that
         * emulation given it anyway changes nothing outside. */
        { "rmdir esc/", EMULATE_UNLINK, { "/t/w/esc/" }, .arg = AT_REMOVEDIR, BOTH(ENOTDIR) },
        { "unlink esc/", EMULATE_UNLINK, { "/t/w/esc/" }, BOTH(ENOTDIR) },
        { "mkdir esc/", EMULATE_MKDIR, { "/t/w/esc/" }, .arg = 0777, BOTH(EEXIST) },
        { "mknod esc/", EMULATE_MKNOD, { "/t/w/esc/" }, .arg = S_IFIFO | 0666, BOTH(EEXIST) },
        { "symlink esc/", EMULATE_SYMLINK, { "/t/w/esc/" }, .text = "x", BOTH(EEXIST) },
        { "link to esc/", EMULATE_LINK, { "/t/w/esc/" }, .source = "/t/w/ufile",
          BOTH(EEXIST) },
        { "rename esc/", EMULATE_RENAME, { "/t/w/esc/", "/t/w/x" }, BOTH(ENOTDIR) },
        { "rename dir to esc/", EMULATE_RENAME, { "/t/w/dir", "/t/w/esc/" }, BOTH(ENOTDIR) },
        { "rmdir /", EMULATE_UNLINK, { "/" }, .arg = AT_REMOVEDIR, BOTH(EBUSY) },
        { "unlink /", EMULATE_UNLINK, { "/" }, BOTH(EISDIR) },
        { "mkdir /", EMULATE_MKDIR, { "/" }, .arg = 0755, BOTH(EEXIST) },
        { "rename /", EMULATE_RENAME, { "/", "/t/w/x" }, BOTH(EBUSY) },
        { "chmod NOFOLLOW /", EMULATE_CHMOD, { "/" }, .arg = 0755, .how = NOFOLLOW,
          .user = EPERM },
};

static void test_emulate_path_names_stay_in_root(void **state)
{
        struct spec r = { .chroot = true, .uid = 0, .gid = 0, .group = 0, .umask = 022 };
        struct spec u = user1000;
        int bad;

        (void)state;
        if (!begin())
                skip();
        r.caps = our_caps();
        u.chroot = true;
        bad = compare_table(target_start(0, &r), in_root_cases, ARRAY_SIZE(in_root_cases), true);
        bad += compare_table(target_start(1, &u), in_root_cases, ARRAY_SIZE(in_root_cases),
                             false);
        assert_int_equal(bad, 0);
}

/* Given chmod of a name with a trailing '/' anyway (its caller resolves
 * through it), emulation never lets the kernel follow the final link from
 * the agent's root: the directory outside the target's root keeps its
 * mode. */
static void test_emulate_path_chmod_slash_stays_in_root(void **state)
{
        struct spec r = { .chroot = true, .uid = 0, .gid = 0, .group = 0, .umask = 022 };
        const char *const names[] = { "/t/w/esc", "/t/w/resc" };
        char outside[160];
        struct target *t;
        struct stat st;

        (void)state;
        if (!begin())
                skip();
        r.caps = our_caps();
        t = target_start(0, &r);
        snprintf(outside, sizeof(outside), "%s/outside", tree);
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                struct emulate_path_call c = { .op = EMULATE_CHMOD, .path = { tpath(t, names[i]) },
                                               .slash = { true }, .arg = 0700, .fd = -1 };
                int res = 0;

                ptree_reset();
                assert_int_equal(emulate_path(t->pid, &c, &res), 0);
                assert_true(res < 0);   /* nothing done to the link either */
                assert_int_equal(stat(outside, &st), 0);
                assert_int_equal(st.st_mode & 07777, 0777);
        }
}

/* Root without capabilities: uid 0 owns root's files, and nothing more. */
static const struct path_case nocap_cases[] = {
        { "no caps: unlink 3000's from its own sticky dir", EMULATE_UNLINK,
          { "/t/sticky/theirs" }, .arg = 0 },
        { "no caps: unlink in 1000's 0755 dir", EMULATE_UNLINK, { "/t/w/full/x" },
          .root = EACCES },
        { "no caps: chmod 1000's file", EMULATE_CHMOD, { "/t/w/ufile" }, .arg = 0600,
          .root = EPERM },
        { "no caps: chmod its own file", EMULATE_CHMOD, { "/t/w/secret" }, .arg = 0640 },
        { "no caps: truncate 1000's 0444 file", EMULATE_TRUNCATE, { "/t/w/rofile" }, .arg = 0,
          .root = EACCES },
        { "no caps: mkdir in 1000's 0755 dir", EMULATE_MKDIR, { "/t/w/full/nd" }, .arg = 0777,
          .root = EACCES },
        { "no caps: mknod char device", EMULATE_MKNOD, { "/t/w/c" }, .arg = S_IFCHR | 0600,
          .dev = 0x103, .root = EPERM },
        { "no caps: link 1000's 0644 file", EMULATE_LINK, { "/t/w/hl" }, .source = "/t/w/ufile",
          .root = EPERM },
        { "no caps: move 1000's dir elsewhere", EMULATE_RENAME, { "/t/w/full", "/t/ro/full" },
          .root = EACCES },
};

static void test_emulate_path_root_without_capabilities(void **state)
{
        const struct spec s = { .uid = 0, .gid = 0, .group = 0, .umask = 022, .caps = 0 };

        (void)state;
        if (!begin())
                skip();
        assert_int_equal(compare_table(target_start(0, &s), nocap_cases,
                                       ARRAY_SIZE(nocap_cases), true), 0);
}

/* Root of its own user namespace (our uid and gid 1000) with capabilities
 * there: they cover inodes whose owners are mapped into it (1000's), not
 * root's or 3000's; CAP_MKNOD counts only in the initial namespace. */
static const struct path_case userns_cases[] = {
        { "userns: mkdir", EMULATE_MKDIR, { "/t/w/nd" }, .arg = 0777 },
        { "userns: mkdir in its own 0755 dir", EMULATE_MKDIR, { "/t/w/full/nd" }, .arg = 0777 },
        { "userns: mkdir in root's 0755 dir", EMULATE_MKDIR, { "/t/ro/nd" }, .arg = 0777,
          .root = EACCES },
        { "userns: chmod root's file", EMULATE_CHMOD, { "/t/w/file" }, .arg = 0600,
          .root = EPERM },
        { "userns: chmod its own file", EMULATE_CHMOD, { "/t/w/ofile" }, .arg = 02700 },
        { "userns: truncate its own 0444 file", EMULATE_TRUNCATE, { "/t/w/rofile" }, .arg = 1 },
        { "userns: unlink sticky, 3000's", EMULATE_UNLINK, { "/t/sticky/theirs" },
          .root = EPERM },
        { "userns: rename sticky, its own", EMULATE_RENAME,
          { "/t/sticky/mine", "/t/sticky/x" }, .arg = 0 },
        { "userns: mknod char device", EMULATE_MKNOD, { "/t/w/c" }, .arg = S_IFCHR | 0600,
          .dev = 0x103, .root = EPERM },
        { "userns: link root's 0600 file", EMULATE_LINK, { "/t/w/hl" }, .source = "/t/w/secret",
          .root = EPERM },
        { "userns: symlink", EMULATE_SYMLINK, { "/t/w/sy" }, .text = "file" },
};

static void test_emulate_path_user_namespace(void **state)
{
        const struct spec s = { .userns = true, .uid = 0, .gid = 0, .group = 0, .umask = 002,
                                .caps = CAP_BIT(CAP_DAC_OVERRIDE) | CAP_BIT(CAP_FOWNER) |
                                        CAP_BIT(CAP_MKNOD) | CAP_BIT(CAP_FSETID) };

        (void)state;
        if (!begin())
                skip();
        assert_int_equal(compare_table(target_start(0, &s), userns_cases,
                                       ARRAY_SIZE(userns_cases), true), 0);
}

/* The target's RLIMIT_FSIZE bounds a truncate that extends (EFBIG; the
 * target ignores the SIGXFSZ that comes with it). */
static void test_emulate_path_truncate_file_size_limit(void **state)
{
        static const struct path_case pc = { "truncate beyond RLIMIT_FSIZE", EMULATE_TRUNCATE,
                                             { "/t/w/ufile" }, .arg = 100, BOTH(EFBIG) };
        /* The kernel's struct sigaction: handler SIG_IGN, flags, restorer, mask. */
        const unsigned long ign[4] = { 1, 0, 0, 0 };
        const struct rlimit lim = { 10, 10 };
        struct target *t;
        struct cmd c;

        (void)state;
        if (!begin())
                skip();
        t = target_start(0, &user1000);
        cmd_syscall(&c, SYS_rt_sigaction);
        memcpy(c.text, ign, sizeof(ign));
        cmd_arg(&c, 0, ARG_NUM, SIGXFSZ);
        cmd_arg(&c, 1, ARG_TEXT, 0);
        cmd_arg(&c, 2, ARG_NUM, 0);
        cmd_arg(&c, 3, ARG_NUM, 8);
        assert_int_equal(target_syscall(t, &c), 0);
        /* Set by the target: lowering another's limit takes CAP_SYS_RESOURCE. */
        cmd_syscall(&c, SYS_prlimit64);
        memcpy(c.text, &lim, sizeof(lim));
        cmd_arg(&c, 0, ARG_NUM, 0);
        cmd_arg(&c, 1, ARG_NUM, RLIMIT_FSIZE);
        cmd_arg(&c, 2, ARG_TEXT, 0);
        cmd_arg(&c, 3, ARG_NUM, 0);
        assert_int_equal(target_syscall(t, &c), 0);
        assert_int_equal(compare_case(t, &pc, false), 0);
}

/* ---- the whole path: a held call answered by a worker ------------------ */

/* Sends the target's own call for pc and receives it held. */
static void send_held(struct target *t, const struct path_case *pc, struct seccomp_notif *req,
                      int nr)
{
        struct cmd c;

        cmd_syscall(&c, nr);
        snprintf(c.path, sizeof(c.path), "%s", tpath(t, pc->path[0]));
        cmd_arg(&c, 0, ARG_NUM, AT_FDCWD);
        cmd_arg(&c, 1, ARG_PATH, 0);
        if (nr == SYS_renameat2) {
                snprintf(c.path2, sizeof(c.path2), "%s", tpath(t, pc->path[1]));
                cmd_arg(&c, 2, ARG_NUM, AT_FDCWD);
                cmd_arg(&c, 3, ARG_PATH2, 0);
                cmd_arg(&c, 4, ARG_NUM, (long)pc->arg);
        } else {
                cmd_arg(&c, 2, ARG_NUM, (long)pc->arg);
        }
        target_send(t, &c);
        recv_held(t, req, nr);
}

/* Starts the job for the held call, the arguments taken from what the
 * kernel reports; our copies of the names are spoilt at once (the job has
 * its own). */
static struct emulate_outcome answer_held(struct target *t, const struct path_case *pc,
                                          const struct seccomp_notif *req)
{
        struct emulate_path_call call, bad;
        char bufs[3][640];

        emu_call(t, pc, -1, &call, bufs);
        call.arg = pc->op == EMULATE_RENAME ? req->data.args[4] : req->data.args[2];
        /* Refused: nothing started, the call is still ours. */
        bad = call;
        bad.op = (enum emulate_path_op)99;
        assert_int_equal(emulate_path_start(t->listener, req->id, (pid_t)req->pid, &bad, EPERM,
                                            on_done, &done_pipe[1]), -EINVAL);
        assert_int_equal(emulate_path_start(t->listener, req->id, (pid_t)req->pid, &call, EPERM,
                                            on_done, &done_pipe[1]), 0);
        for (size_t i = 0; i < 2; i++)
                snprintf(bufs[i], sizeof(bufs[i]), "%s", tpath(t, "/t/w/WRONG"));
        return wait_done();
}

static void test_emulate_path_async_end_to_end(void **state)
{
        static const struct path_case mk = { "mkdir", EMULATE_MKDIR, { "/t/w/amk" }, .arg = 0777 };
        static const struct path_case mv = { "rename", EMULATE_RENAME,
                                             { "/t/w/ufile", "/t/w/moved" }, .arg = 0 };
        static const struct path_case denied = { "mkdir", EMULATE_MKDIR, { "/t/ro/x" },
                                                 .arg = 0777 };
        static const struct path_case stale = { "mkdir", EMULATE_MKDIR, { "/t/sl/x" },
                                                .arg = 0777 };
        cleanup_free struct seccomp_notif *req = notify_alloc_req();
        struct spec s = user1000;
        struct emulate_outcome o;
        struct target *t;
        struct reply r;
        struct stat st;

        (void)state;
        if (!begin())
                skip();
        assert_non_null(req);
        s.filter = true;
        t = target_start(0, &s);
        ptree_reset();

        send_held(t, &mk, req, SYS_mkdirat);
        o = answer_held(t, &mk, req);
        target_reply(t, &r);
        assert_int_equal(o.result, 0);
        assert_int_equal(o.answer, 0);
        assert_int_equal(r.ret, 0);
        assert_int_equal(lstat(host_path("/t/w/amk"), &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0750);
        assert_int_equal(st.st_uid, 1000);
        assert_int_equal(st.st_gid, 1000);
        assert_int_equal(lstat(host_path("/t/w/WRONG"), &st), -1);

        send_held(t, &mv, req, SYS_renameat2);
        o = answer_held(t, &mv, req);
        target_reply(t, &r);
        assert_int_equal(o.result, 0);
        assert_int_equal(o.answer, 0);
        assert_int_equal(r.ret, 0);
        assert_int_equal(lstat(host_path("/t/w/ufile"), &st), -1);
        assert_int_equal(lstat(host_path("/t/w/moved"), &st), 0);
        assert_int_equal(st.st_uid, 1000);
        assert_int_equal(st.st_size, 4);

        /* The kernel's refusal: the target gets its errno. */
        send_held(t, &denied, req, SYS_mkdirat);
        o = answer_held(t, &denied, req);
        target_reply(t, &r);
        assert_int_equal(o.result, -EACCES);
        assert_int_equal(o.answer, 0);
        assert_int_equal(r.err, EACCES);

        /* Stale: the target gets stale_errno, and nothing is made. */
        send_held(t, &stale, req, SYS_mkdirat);
        o = answer_held(t, &stale, req);
        target_reply(t, &r);
        assert_int_equal(o.result, EMULATE_STALE);
        assert_int_equal(o.answer, 0);
        assert_int_equal(r.err, EPERM);
        assert_int_equal(lstat(host_path("/t/victim/x"), &st), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_emulate_path_bad_input, targets_teardown),
                cmocka_unit_test_teardown(test_emulate_path_matches_target_as_root,
                                          targets_teardown),
                cmocka_unit_test_teardown(test_emulate_path_matches_target_as_user,
                                          targets_teardown),
                cmocka_unit_test_teardown(test_emulate_path_matches_target_in_chroot,
                                          targets_teardown),
                cmocka_unit_test_teardown(test_emulate_path_names_stay_in_root,
                                          targets_teardown),
                cmocka_unit_test_teardown(test_emulate_path_chmod_slash_stays_in_root,
                                          targets_teardown),
                cmocka_unit_test_teardown(test_emulate_path_root_without_capabilities,
                                          targets_teardown),
                cmocka_unit_test_teardown(test_emulate_path_user_namespace, targets_teardown),
                cmocka_unit_test_teardown(test_emulate_path_truncate_file_size_limit,
                                          targets_teardown),
                cmocka_unit_test_teardown(test_emulate_path_stale, targets_teardown),
                cmocka_unit_test_teardown(test_emulate_path_chmod_fd_not_at_path,
                                          targets_teardown),
                cmocka_unit_test_setup_teardown(test_emulate_path_async_end_to_end, pipe_setup,
                                                pipe_teardown),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
