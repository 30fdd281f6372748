/*
 * -strace formatting (see strace.h). Argument format letters:
 *   d int        l long         u unsigned     x hex          p pointer (NULL for 0)
 *   s string     f dirfd        o open flags   m mode (octal) P mmap prot
 *   M mmap flags S signal       c clone flags  h sigprocmask how
 *   F fcntl cmd  a AT_* flags   k access mode  w buffer whose length is the next argument
 *   W wait options
 */
#include "linux-user/strace.h"

#include <string.h>

#include "linux-user/user-conv.h"

typedef struct FlagName {
    uint64_t value;
    const char *name;
} FlagName;

static const FlagName open_flags[] = {
    {0100, "O_CREAT"},        {0200, "O_EXCL"},         {0400, "O_NOCTTY"},
    {01000, "O_TRUNC"},       {02000, "O_APPEND"},      {04000, "O_NONBLOCK"},
    {010000, "O_DSYNC"},      {020000, "O_ASYNC"},      {040000, "O_DIRECT"},
    {0100000, "O_LARGEFILE"}, {0200000, "O_DIRECTORY"}, {0400000, "O_NOFOLLOW"},
    {01000000, "O_NOATIME"},  {02000000, "O_CLOEXEC"},  {04000000, "O_SYNC"},
    {010000000, "O_PATH"},    {020000000, "O_TMPFILE"}, {0, NULL},
};

static const FlagName prot_flags[] = {
    {1, "PROT_READ"},
    {2, "PROT_WRITE"},
    {4, "PROT_EXEC"},
    {0x01000000, "PROT_GROWSDOWN"},
    {0x02000000, "PROT_GROWSUP"},
    {0, NULL},
};

static const FlagName map_flags[] = {
    {0x10, "MAP_FIXED"},
    {0x20, "MAP_ANONYMOUS"},
    {0x100, "MAP_GROWSDOWN"},
    {0x800, "MAP_DENYWRITE"},
    {0x1000, "MAP_EXECUTABLE"},
    {0x2000, "MAP_LOCKED"},
    {0x4000, "MAP_NORESERVE"},
    {0x8000, "MAP_POPULATE"},
    {0x10000, "MAP_NONBLOCK"},
    {0x20000, "MAP_STACK"},
    {0x40000, "MAP_HUGETLB"},
    {0x80000, "MAP_SYNC"},
    {0x100000, "MAP_FIXED_NOREPLACE"},
    {0, NULL},
};

static const FlagName clone_flags[] = {
    {0x100, "CLONE_VM"},
    {0x200, "CLONE_FS"},
    {0x400, "CLONE_FILES"},
    {0x800, "CLONE_SIGHAND"},
    {0x1000, "CLONE_PIDFD"},
    {0x2000, "CLONE_PTRACE"},
    {0x4000, "CLONE_VFORK"},
    {0x8000, "CLONE_PARENT"},
    {0x10000, "CLONE_THREAD"},
    {0x20000, "CLONE_NEWNS"},
    {0x40000, "CLONE_SYSVSEM"},
    {0x80000, "CLONE_SETTLS"},
    {0x100000, "CLONE_PARENT_SETTID"},
    {0x200000, "CLONE_CHILD_CLEARTID"},
    {0x400000, "CLONE_DETACHED"},
    {0x800000, "CLONE_UNTRACED"},
    {0x1000000, "CLONE_CHILD_SETTID"},
    {0, NULL},
};

static const FlagName at_flags[] = {
    {0x100, "AT_SYMLINK_NOFOLLOW"}, {0x200, "AT_REMOVEDIR|AT_EACCESS"},
    {0x400, "AT_SYMLINK_FOLLOW"},   {0x800, "AT_NO_AUTOMOUNT"},
    {0x1000, "AT_EMPTY_PATH"},      {0, NULL},
};

static const FlagName access_flags[] = {
    {4, "R_OK"},
    {2, "W_OK"},
    {1, "X_OK"},
    {0, NULL},
};

static const FlagName wait_flags[] = {
    {1, "WNOHANG"},         {2, "WUNTRACED"},         {4, "WEXITED"},
    {8, "WCONTINUED"},      {0x01000000, "WNOWAIT"},  {0x20000000, "__WNOTHREAD"},
    {0x40000000, "__WALL"}, {0x80000000, "__WCLONE"}, {0, NULL},
};

static void append_flags(GString *out, const FlagName *names, uint64_t v, const char *zero)
{
    bool first = true;

    if (v == 0) {
        g_string_append(out, zero);
        return;
    }
    for (const FlagName *f = names; f->name; f++) {
        if ((v & f->value) == f->value) {
            g_string_append_printf(out, "%s%s", first ? "" : "|", f->name);
            v &= ~f->value;
            first = false;
        }
    }
    if (v) {
        g_string_append_printf(out, "%s%#" G_GINT64_MODIFIER "x", first ? "" : "|", v);
    }
}

static void append_open_flags(GString *out, uint64_t v)
{
    static const char *const acc[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};

    g_string_append(out, acc[v & 3]);
    v &= ~3ull;
    if (v) {
        g_string_append_c(out, '|');
        append_flags(out, open_flags, v, "");
    }
}

static void append_escaped(GString *out, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        switch (c) {
        case '\n':
            g_string_append(out, "\\n");
            break;
        case '\t':
            g_string_append(out, "\\t");
            break;
        case '\r':
            g_string_append(out, "\\r");
            break;
        case '"':
        case '\\':
            g_string_append_c(out, '\\');
            g_string_append_c(out, c);
            break;
        default:
            if (c < 32 || c >= 127) {
                g_string_append_printf(out, "\\%o", c);
            } else {
                g_string_append_c(out, c);
            }
        }
    }
}

#define STRACE_STRING_MAX 64

static void append_string(GString *out, const UserStraceMem *mem, uint64_t addr)
{
    unsigned char buf[STRACE_STRING_MAX];
    size_t n = 0;

    if (addr == 0) {
        g_string_append(out, "NULL");
        return;
    }
    /* Byte by byte: the string may end just before an unmapped page. */
    while (n < sizeof(buf) && mem->read(mem->opaque, addr + n, &buf[n], 1) && buf[n]) {
        n++;
    }
    if (n == 0 && !mem->read(mem->opaque, addr, buf, 1)) {
        g_string_append_printf(out, "%#" G_GINT64_MODIFIER "x", addr);
        return;
    }
    g_string_append_c(out, '"');
    append_escaped(out, buf, n);
    g_string_append_c(out, '"');
    if (n == sizeof(buf)) {
        g_string_append(out, "...");
    }
}

static void append_buffer(GString *out, const UserStraceMem *mem, uint64_t addr, uint64_t len)
{
    unsigned char buf[32];
    size_t n = MIN(len, sizeof(buf));

    if (addr == 0 || !mem->read(mem->opaque, addr, buf, n)) {
        g_string_append_printf(out, "%#" G_GINT64_MODIFIER "x", addr);
        return;
    }
    g_string_append_c(out, '"');
    append_escaped(out, buf, n);
    g_string_append_c(out, '"');
    if (len > n) {
        g_string_append(out, "...");
    }
}

static void append_signal(GString *out, uint64_t v)
{
    const char *name = user_signal_name((int)v);

    if (name) {
        g_string_append(out, name);
    } else {
        g_string_append_printf(out, "%d", (int)v);
    }
}

static void append_named(GString *out, uint64_t v, const char *const *names, size_t n)
{
    if (v < n && names[v]) {
        g_string_append(out, names[v]);
    } else {
        g_string_append_printf(out, "%d", (int)v);
    }
}

static void append_arg(GString *out, const UserStraceMem *mem, char kind, const uint64_t *a)
{
    static const char *const hows[] = {"SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK"};
    static const char *const fcntls[] = {
        "F_DUPFD", "F_GETFD", "F_SETFD",  "F_GETFL",  "F_SETFL",
        "F_GETLK", "F_SETLK", "F_SETLKW", "F_SETOWN", "F_GETOWN",
    };
    uint64_t v = a[0];

    switch (kind) {
    case 'd':
        g_string_append_printf(out, "%d", (int)v);
        break;
    case 'l':
        g_string_append_printf(out, "%" G_GINT64_FORMAT, (int64_t)v);
        break;
    case 'u':
        g_string_append_printf(out, "%" G_GUINT64_FORMAT, v);
        break;
    case 'p':
        if (v == 0) {
            g_string_append(out, "NULL");
            break;
        }
        /* fall through */
    case 'x':
        g_string_append_printf(out, "%#" G_GINT64_MODIFIER "x", v);
        break;
    case 's':
        append_string(out, mem, v);
        break;
    case 'f':
        if ((int)v == -100) {
            g_string_append(out, "AT_FDCWD");
        } else {
            g_string_append_printf(out, "%d", (int)v);
        }
        break;
    case 'o':
        append_open_flags(out, v);
        break;
    case 'm':
        g_string_append_printf(out, "0%o", (unsigned)v);
        break;
    case 'P':
        append_flags(out, prot_flags, v, "PROT_NONE");
        break;
    case 'M':
        g_string_append(out, (v & 0xf) == 1   ? "MAP_SHARED"
                             : (v & 0xf) == 2 ? "MAP_PRIVATE"
                             : (v & 0xf) == 3 ? "MAP_SHARED_VALIDATE"
                                              : "MAP_?");
        if (v & ~0xfull) {
            g_string_append_c(out, '|');
            append_flags(out, map_flags, v & ~0xfull, "");
        }
        break;
    case 'S':
        append_signal(out, v);
        break;
    case 'c':
        append_flags(out, clone_flags, v & ~0xffull, "");
        if (v & 0xff) {
            g_string_append(out, v & ~0xffull ? "|" : "");
            append_signal(out, v & 0xff);
        }
        break;
    case 'h':
        append_named(out, v, hows, G_N_ELEMENTS(hows));
        break;
    case 'F':
        append_named(out, v, fcntls, G_N_ELEMENTS(fcntls));
        break;
    case 'a':
        append_flags(out, at_flags, v, "0");
        break;
    case 'k':
        append_flags(out, access_flags, v, "F_OK");
        break;
    case 'W':
        append_flags(out, wait_flags, v, "0");
        break;
    case 'w':
        append_buffer(out, mem, v, a[1]);
        break;
    default:
        g_string_append_printf(out, "%#" G_GINT64_MODIFIER "x", v);
        break;
    }
}

void user_strace_call(GString *out, const UserStraceMem *mem, const char *name, const char *fmt,
                      const uint64_t *args)
{
    g_string_append_printf(out, "%s(", name);
    for (int i = 0; fmt && fmt[i] && i < 6; i++) {
        if (i) {
            g_string_append_c(out, ',');
        }
        append_arg(out, mem, fmt[i], &args[i]);
    }
    g_string_append_c(out, ')');
}

void user_strace_result(GString *out, char ret_kind, int64_t ret)
{
    if (ret < 0 && ret >= -4095) {
        const char *n = user_errno_name((int)-ret);
        g_string_append_printf(out, " = -1 errno %s (%s)\n", n ? n : "?", g_strerror((int)-ret));
    } else if (ret_kind == 'x') {
        g_string_append_printf(out, " = %#" G_GINT64_MODIFIER "x\n", (uint64_t)ret);
    } else {
        g_string_append_printf(out, " = %" G_GINT64_FORMAT "\n", ret);
    }
}
