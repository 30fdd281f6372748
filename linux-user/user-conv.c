/*
 * Host <-> guest structure conversions and the errno and signal name tables.
 *
 * The _Static_asserts below are the list of places where vmd-user passes a host value
 * through unchanged because x86-64 and riscv64 agree on it (both take errno, signal,
 * open, mmap, socket and tty ioctl numbers from asm-generic). Were vmd-user ever built
 * for a host where one fails, that value needs a translation table here.
 */
#include "linux-user/user-conv.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <termios.h>

/* errno: asm-generic/errno-base.h and errno.h, the riscv64 values. */
_Static_assert(EAGAIN == 11 && EWOULDBLOCK == 11 && EDEADLK == 35 && ENAMETOOLONG == 36 &&
                   ENOSYS == 38 && ENOTEMPTY == 39 && ELOOP == 40 && ENOMSG == 42 &&
                   EOVERFLOW == 75 && ENOTSOCK == 88 && EOPNOTSUPP == 95 && ENOTSUP == 95 &&
                   EADDRINUSE == 98 && ECONNREFUSED == 111 && EINPROGRESS == 115 &&
                   ECANCELED == 125 && EOWNERDEAD == 130 && EHWPOISON == 133,
               "host errno numbers differ from riscv64's");
/* Signals: asm-generic/signal.h. */
_Static_assert(SIGBUS == 7 && SIGUSR1 == 10 && SIGUSR2 == 12 && SIGCHLD == 17 && SIGCONT == 18 &&
                   SIGSTOP == 19 && SIGTSTP == 20 && SIGURG == 23 && SIGWINCH == 28 &&
                   SIGIO == 29 && SIGPWR == 30 && SIGSYS == 31,
               "host signal numbers differ from riscv64's");
/* fcntl.h: x86-64 uses the asm-generic O_ values, as riscv64 does. */
_Static_assert(O_CREAT == 0100 && O_EXCL == 0200 && O_NOCTTY == 0400 && O_TRUNC == 01000 &&
                   O_APPEND == 02000 && O_NONBLOCK == 04000 && O_DIRECTORY == 0200000 &&
                   O_NOFOLLOW == 0400000 && O_CLOEXEC == 02000000 && O_DIRECT == 040000 &&
                   O_PATH == 010000000 && (O_TMPFILE & ~O_DIRECTORY) == 020000000,
               "host open flags differ from riscv64's");
_Static_assert(MAP_SHARED == 1 && MAP_PRIVATE == 2 && MAP_FIXED == 0x10 && MAP_ANONYMOUS == 0x20 &&
                   MAP_NORESERVE == 0x4000 && MAP_POPULATE == 0x8000 &&
                   MAP_FIXED_NOREPLACE == 0x100000 && PROT_EXEC == 4,
               "host mmap flags differ from riscv64's");
_Static_assert(SOCK_STREAM == 1 && SOCK_DGRAM == 2 && SOCK_NONBLOCK == O_NONBLOCK &&
                   SOCK_CLOEXEC == O_CLOEXEC && SOL_SOCKET == 1 && SO_REUSEADDR == 2 &&
                   SO_RCVTIMEO == 20 && MSG_DONTWAIT == 0x40 && MSG_NOSIGNAL == 0x4000,
               "host socket constants differ from riscv64's");
_Static_assert(TCGETS == 0x5401 && TIOCGWINSZ == 0x5413 && FIONREAD == 0x541b &&
                   TIOCSCTTY == 0x540e && NCCS == 32, /* glibc's termios; the kernel's has 19 */
               "host tty ioctls differ from riscv64's");
_Static_assert(sizeof(siginfo_t) == 128 && sizeof(struct sigaction) == 152,
               "unexpected host siginfo_t/sigaction");

void user_stat_h2g(const struct stat *h, TargetStat *g)
{
    memset(g, 0, sizeof(*g));
    g->st_dev = h->st_dev;
    g->st_ino = h->st_ino;
    g->st_mode = h->st_mode;
    g->st_nlink = h->st_nlink;
    g->st_uid = h->st_uid;
    g->st_gid = h->st_gid;
    g->st_rdev = h->st_rdev;
    g->st_size = h->st_size;
    g->st_blksize = h->st_blksize;
    g->st_blocks = h->st_blocks;
    g->st_atime_sec = h->st_atim.tv_sec;
    g->st_atime_nsec = h->st_atim.tv_nsec;
    g->st_mtime_sec = h->st_mtim.tv_sec;
    g->st_mtime_nsec = h->st_mtim.tv_nsec;
    g->st_ctime_sec = h->st_ctim.tv_sec;
    g->st_ctime_nsec = h->st_ctim.tv_nsec;
}

void user_epoll_event_g2h(const TargetEpollEvent *g, struct epoll_event *h)
{
    h->events = g->events;
    h->data.u64 = g->data;
}

void user_epoll_event_h2g(const struct epoll_event *h, TargetEpollEvent *g)
{
    g->events = h->events;
    g->pad = 0;
    g->data = h->data.u64;
}

int user_errno_h2g(int host_errno)
{
    /* Kernel-internal restart codes must never reach the guest as such. */
    if (host_errno <= 0 || host_errno > 133) {
        return EINVAL;
    }
    return host_errno;
}

static const char *const errno_names[] = {
    [1] = "EPERM",
    [2] = "ENOENT",
    [3] = "ESRCH",
    [4] = "EINTR",
    [5] = "EIO",
    [6] = "ENXIO",
    [7] = "E2BIG",
    [8] = "ENOEXEC",
    [9] = "EBADF",
    [10] = "ECHILD",
    [11] = "EAGAIN",
    [12] = "ENOMEM",
    [13] = "EACCES",
    [14] = "EFAULT",
    [15] = "ENOTBLK",
    [16] = "EBUSY",
    [17] = "EEXIST",
    [18] = "EXDEV",
    [19] = "ENODEV",
    [20] = "ENOTDIR",
    [21] = "EISDIR",
    [22] = "EINVAL",
    [23] = "ENFILE",
    [24] = "EMFILE",
    [25] = "ENOTTY",
    [26] = "ETXTBSY",
    [27] = "EFBIG",
    [28] = "ENOSPC",
    [29] = "ESPIPE",
    [30] = "EROFS",
    [31] = "EMLINK",
    [32] = "EPIPE",
    [33] = "EDOM",
    [34] = "ERANGE",
    [35] = "EDEADLK",
    [36] = "ENAMETOOLONG",
    [37] = "ENOLCK",
    [38] = "ENOSYS",
    [39] = "ENOTEMPTY",
    [40] = "ELOOP",
    [42] = "ENOMSG",
    [43] = "EIDRM",
    [44] = "ECHRNG",
    [45] = "EL2NSYNC",
    [46] = "EL3HLT",
    [47] = "EL3RST",
    [48] = "ELNRNG",
    [49] = "EUNATCH",
    [50] = "ENOCSI",
    [51] = "EL2HLT",
    [52] = "EBADE",
    [53] = "EBADR",
    [54] = "EXFULL",
    [55] = "ENOANO",
    [56] = "EBADRQC",
    [57] = "EBADSLT",
    [59] = "EBFONT",
    [60] = "ENOSTR",
    [61] = "ENODATA",
    [62] = "ETIME",
    [63] = "ENOSR",
    [64] = "ENONET",
    [65] = "ENOPKG",
    [66] = "EREMOTE",
    [67] = "ENOLINK",
    [68] = "EADV",
    [69] = "ESRMNT",
    [70] = "ECOMM",
    [71] = "EPROTO",
    [72] = "EMULTIHOP",
    [73] = "EDOTDOT",
    [74] = "EBADMSG",
    [75] = "EOVERFLOW",
    [76] = "ENOTUNIQ",
    [77] = "EBADFD",
    [78] = "EREMCHG",
    [79] = "ELIBACC",
    [80] = "ELIBBAD",
    [81] = "ELIBSCN",
    [82] = "ELIBMAX",
    [83] = "ELIBEXEC",
    [84] = "EILSEQ",
    [85] = "ERESTART",
    [86] = "ESTRPIPE",
    [87] = "EUSERS",
    [88] = "ENOTSOCK",
    [89] = "EDESTADDRREQ",
    [90] = "EMSGSIZE",
    [91] = "EPROTOTYPE",
    [92] = "ENOPROTOOPT",
    [93] = "EPROTONOSUPPORT",
    [94] = "ESOCKTNOSUPPORT",
    [95] = "EOPNOTSUPP",
    [96] = "EPFNOSUPPORT",
    [97] = "EAFNOSUPPORT",
    [98] = "EADDRINUSE",
    [99] = "EADDRNOTAVAIL",
    [100] = "ENETDOWN",
    [101] = "ENETUNREACH",
    [102] = "ENETRESET",
    [103] = "ECONNABORTED",
    [104] = "ECONNRESET",
    [105] = "ENOBUFS",
    [106] = "EISCONN",
    [107] = "ENOTCONN",
    [108] = "ESHUTDOWN",
    [109] = "ETOOMANYREFS",
    [110] = "ETIMEDOUT",
    [111] = "ECONNREFUSED",
    [112] = "EHOSTDOWN",
    [113] = "EHOSTUNREACH",
    [114] = "EALREADY",
    [115] = "EINPROGRESS",
    [116] = "ESTALE",
    [117] = "EUCLEAN",
    [118] = "ENOTNAM",
    [119] = "ENAVAIL",
    [120] = "EISNAM",
    [121] = "EREMOTEIO",
    [122] = "EDQUOT",
    [123] = "ENOMEDIUM",
    [124] = "EMEDIUMTYPE",
    [125] = "ECANCELED",
    [126] = "ENOKEY",
    [127] = "EKEYEXPIRED",
    [128] = "EKEYREVOKED",
    [129] = "EKEYREJECTED",
    [130] = "EOWNERDEAD",
    [131] = "ENOTRECOVERABLE",
    [132] = "ERFKILL",
    [133] = "EHWPOISON",
};

const char *user_errno_name(int guest_errno)
{
    if (guest_errno <= 0 || guest_errno >= (int)G_N_ELEMENTS(errno_names)) {
        return NULL;
    }
    return errno_names[guest_errno];
}

static const char *const signal_names[] = {
    [1] = "SIGHUP",     [2] = "SIGINT",   [3] = "SIGQUIT",   [4] = "SIGILL",   [5] = "SIGTRAP",
    [6] = "SIGABRT",    [7] = "SIGBUS",   [8] = "SIGFPE",    [9] = "SIGKILL",  [10] = "SIGUSR1",
    [11] = "SIGSEGV",   [12] = "SIGUSR2", [13] = "SIGPIPE",  [14] = "SIGALRM", [15] = "SIGTERM",
    [16] = "SIGSTKFLT", [17] = "SIGCHLD", [18] = "SIGCONT",  [19] = "SIGSTOP", [20] = "SIGTSTP",
    [21] = "SIGTTIN",   [22] = "SIGTTOU", [23] = "SIGURG",   [24] = "SIGXCPU", [25] = "SIGXFSZ",
    [26] = "SIGVTALRM", [27] = "SIGPROF", [28] = "SIGWINCH", [29] = "SIGIO",   [30] = "SIGPWR",
    [31] = "SIGSYS",
};

const char *user_signal_name(int guest_sig)
{
    static const char *const rt_names[] = {
        "SIGRT0",  "SIGRT1",  "SIGRT2",  "SIGRT3",  "SIGRT4",  "SIGRT5",  "SIGRT6",
        "SIGRT7",  "SIGRT8",  "SIGRT9",  "SIGRT10", "SIGRT11", "SIGRT12", "SIGRT13",
        "SIGRT14", "SIGRT15", "SIGRT16", "SIGRT17", "SIGRT18", "SIGRT19", "SIGRT20",
        "SIGRT21", "SIGRT22", "SIGRT23", "SIGRT24", "SIGRT25", "SIGRT26", "SIGRT27",
        "SIGRT28", "SIGRT29", "SIGRT30", "SIGRT31", "SIGRT32",
    };

    if (guest_sig >= 1 && guest_sig <= 31) {
        return signal_names[guest_sig];
    }
    if (guest_sig >= 32 && guest_sig <= TARGET_NSIG) {
        return rt_names[guest_sig - 32];
    }
    return NULL;
}
