/*
 * execve for the guest. A riscv64 program is started by executing vmd-user again
 * (/proc/self/exe) with the same options, the guest's argv[0] (-0) and the program;
 * a "#!" script whose interpreter is a riscv64 program is handled the way the kernel's
 * binfmt_script does. Anything else (a host program, a script for a host interpreter)
 * is handed to the host's execve, as it would be on a host where binfmt_misc runs
 * riscv64 programs through an emulator.
 *
 * The host keeps the pid, the file descriptors, the signal mask and the ignored
 * signals across the exec, which is exactly what the guest expects to keep.
 */
#include "linux-user/syscall-defs.h"

#include <fcntl.h>
#include <string.h>

#define EXEC_MAX_ARGS  (1 << 17)     /* like MAX_ARG_STRINGS, but smaller */
#define EXEC_MAX_BYTES (32ull << 20) /* total size of argv and envp strings */
#define SHEBANG_MAX    256           /* BINPRM_BUF_SIZE */

static char *self_exe;

void user_exec_init(const char *self)
{
    g_free(self_exe);
    self_exe = g_strdup(self);
}

/* Reads a guest char *[] (NULL-terminated) into a host GPtrArray of copies. */
static int read_string_array(uint64_t addr, GPtrArray *out, uint64_t *total)
{
    for (uint64_t i = 0; addr; i++) {
        uint64_t p;
        const char *s;
        int err;

        if (i >= EXEC_MAX_ARGS) {
            return -E2BIG;
        }
        err = user_get_u64(addr + i * 8, &p);
        if (err) {
            return err;
        }
        if (!p) {
            break;
        }
        err = user_string(p, &s);
        if (err) {
            return err == -ENAMETOOLONG ? -E2BIG : err;
        }
        *total += strlen(s) + 1;
        if (*total > EXEC_MAX_BYTES) {
            return -E2BIG;
        }
        g_ptr_array_add(out, g_strdup(s));
    }
    return 0;
}

/* Reads the start of a file to tell how to run it; -errno when it cannot be read. */
static ssize_t read_head(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0) {
        return -errno;
    }
    n = pread(fd, buf, size, 0);
    n = n < 0 ? -errno : n;
    close(fd);
    return n;
}

/* Parses "#!interp [arg]" like binfmt_script: one optional argument, whitespace
 * trimmed. Returns false when the line has no interpreter. */
static bool parse_shebang(char *buf, size_t n, char **ret_interp, char **ret_arg)
{
    char *end, *p, *arg;

    buf[MIN(n, SHEBANG_MAX - 1)] = 0;
    end = strchr(buf, '\n');
    if (end) {
        *end = 0;
    }
    p = buf + 2;
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    if (!*p) {
        return false;
    }
    arg = p + strcspn(p, " \t");
    if (*arg) {
        *arg++ = 0;
        while (*arg == ' ' || *arg == '\t') {
            arg++;
        }
        for (char *e = arg + strlen(arg); e > arg && (e[-1] == ' ' || e[-1] == '\t');) {
            *--e = 0;
        }
    }
    *ret_interp = p;
    *ret_arg = *arg ? arg : NULL;
    return true;
}

static bool is_riscv_program(const char *path)
{
    char head[64];
    ssize_t n = read_head(path, head, sizeof(head));

    return n > 0 && user_elf_is_riscv64((const uint8_t *)head, n);
}

/* execve("/proc/self/exe", [vmd-user, options, -0 argv0, --, program, args...]). */
static long exec_vmd_user(const char *program, const char *argv0, char **args, char **envp)
{
    g_autoptr(GPtrArray) v = user_options_exec_argv(user_proc.opts);

    g_ptr_array_insert(v, 0, g_strdup(self_exe ? self_exe : "vmd-user"));
    g_ptr_array_add(v, g_strdup("-0"));
    g_ptr_array_add(v, g_strdup(argv0));
    g_ptr_array_add(v, g_strdup("--"));
    g_ptr_array_add(v, g_strdup(program));
    for (char **a = args; a && *a; a++) {
        g_ptr_array_add(v, g_strdup(*a));
    }
    g_ptr_array_add(v, NULL);
    user_log_flush();
    execve("/proc/self/exe", (char **)v->pdata, envp);
    if (self_exe) {
        execve(self_exe, (char **)v->pdata, envp);
    }
    return -errno;
}

static long do_execve(const char *path, GPtrArray *argv, GPtrArray *envp)
{
    char head[SHEBANG_MAX + 1], *interp, *iarg;
    long r = host_syscall(SYS_faccessat, AT_FDCWD, path, X_OK);
    ssize_t n;

    if (r != 0) {
        return r;
    }
    n = read_head(path, head, SHEBANG_MAX);
    if (n < 0) {
        return n;
    }
    if (user_elf_is_riscv64((const uint8_t *)head, n)) {
        const char *argv0 = argv->len ? g_ptr_array_index(argv, 0) : path;
        return exec_vmd_user(path, argv0, argv->len ? (char **)argv->pdata + 1 : NULL,
                             (char **)envp->pdata);
    }
    if (n > 2 && head[0] == '#' && head[1] == '!' && parse_shebang(head, n, &interp, &iarg)) {
        g_autofree char *ipath = user_prefixed_path(user_proc.opts->ld_prefix, interp);
        if (is_riscv_program(ipath)) {
            /* binfmt_script: interp [arg] script args[1..] */
            g_autoptr(GPtrArray) rest = g_ptr_array_new();
            if (iarg) {
                g_ptr_array_add(rest, iarg);
            }
            g_ptr_array_add(rest, (char *)path);
            for (guint i = 1; i < argv->len; i++) {
                g_ptr_array_add(rest, g_ptr_array_index(argv, i));
            }
            g_ptr_array_add(rest, NULL);
            return exec_vmd_user(ipath, interp, (char **)rest->pdata, (char **)envp->pdata);
        }
    }
    user_log_flush();
    return host_syscall(SYS_execve, path, argv->pdata, envp->pdata);
}

static long execve_common(uint64_t path_addr, uint64_t argv_addr, uint64_t envp_addr)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) envp = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *path = NULL;
    uint64_t total = 0;
    int err = user_path(path_addr, true, &path);

    if (!err) {
        err = read_string_array(argv_addr, argv, &total);
    }
    if (!err) {
        err = read_string_array(envp_addr, envp, &total);
    }
    if (err) {
        return err;
    }
    g_ptr_array_add(argv, NULL);
    g_ptr_array_add(envp, NULL);
    argv->len--; /* keep the NULL terminator out of the count */
    envp->len--;
    return do_execve(path, argv, envp);
}

USER_SYSCALL(execve)
{
    return execve_common(a[0], a[1], a[2]);
}

/* execveat with a path relative to the current directory (or absolute) only. */
USER_SYSCALL(execveat)
{
    const char *p;
    int err = user_string(a[1], &p);

    if (err) {
        return err;
    }
    if ((int)a[0] != -100 && p[0] != '/') {
        return -ENOSYS;
    }
    if (a[4] & ~0x100ull) {
        return -EINVAL;
    }
    return execve_common(a[1], a[2], a[3]);
}
