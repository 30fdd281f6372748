/*
 * The guest system call entry: the dispatch table (riscv64 uses the asm-generic
 * numbers), -strace and -d unimp logging, guest memory access helpers, and the pieces of
 * /proc that must describe the guest rather than vmd-user.
 *
 * A system call the table does not implement returns -ENOSYS (and is logged once with
 * -d unimp), like an old kernel would: guest libraries handle that.
 */
#include "linux-user/syscall-defs.h"

#include <fcntl.h>
#include <glib/gprintf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "linux-user/strace.h"
#include "linux-user/user-conv.h"

static const char *const syscall_names[] = {
    [0] = "io_setup",
    [1] = "io_destroy",
    [2] = "io_submit",
    [3] = "io_cancel",
    [4] = "io_getevents",
    [5] = "setxattr",
    [6] = "lsetxattr",
    [7] = "fsetxattr",
    [8] = "getxattr",
    [9] = "lgetxattr",
    [10] = "fgetxattr",
    [11] = "listxattr",
    [12] = "llistxattr",
    [13] = "flistxattr",
    [14] = "removexattr",
    [15] = "lremovexattr",
    [16] = "fremovexattr",
    [17] = "getcwd",
    [18] = "lookup_dcookie",
    [19] = "eventfd2",
    [20] = "epoll_create1",
    [21] = "epoll_ctl",
    [22] = "epoll_pwait",
    [23] = "dup",
    [24] = "dup3",
    [25] = "fcntl",
    [26] = "inotify_init1",
    [27] = "inotify_add_watch",
    [28] = "inotify_rm_watch",
    [29] = "ioctl",
    [30] = "ioprio_set",
    [31] = "ioprio_get",
    [32] = "flock",
    [33] = "mknodat",
    [34] = "mkdirat",
    [35] = "unlinkat",
    [36] = "symlinkat",
    [37] = "linkat",
    [39] = "umount2",
    [40] = "mount",
    [41] = "pivot_root",
    [42] = "nfsservctl",
    [43] = "statfs",
    [44] = "fstatfs",
    [45] = "truncate",
    [46] = "ftruncate",
    [47] = "fallocate",
    [48] = "faccessat",
    [49] = "chdir",
    [50] = "fchdir",
    [51] = "chroot",
    [52] = "fchmod",
    [53] = "fchmodat",
    [54] = "fchownat",
    [55] = "fchown",
    [56] = "openat",
    [57] = "close",
    [58] = "vhangup",
    [59] = "pipe2",
    [60] = "quotactl",
    [61] = "getdents64",
    [62] = "lseek",
    [63] = "read",
    [64] = "write",
    [65] = "readv",
    [66] = "writev",
    [67] = "pread64",
    [68] = "pwrite64",
    [69] = "preadv",
    [70] = "pwritev",
    [71] = "sendfile",
    [72] = "pselect6",
    [73] = "ppoll",
    [74] = "signalfd4",
    [75] = "vmsplice",
    [76] = "splice",
    [77] = "tee",
    [78] = "readlinkat",
    [79] = "newfstatat",
    [80] = "fstat",
    [81] = "sync",
    [82] = "fsync",
    [83] = "fdatasync",
    [84] = "sync_file_range",
    [85] = "timerfd_create",
    [86] = "timerfd_settime",
    [87] = "timerfd_gettime",
    [88] = "utimensat",
    [89] = "acct",
    [90] = "capget",
    [91] = "capset",
    [92] = "personality",
    [93] = "exit",
    [94] = "exit_group",
    [95] = "waitid",
    [96] = "set_tid_address",
    [97] = "unshare",
    [98] = "futex",
    [99] = "set_robust_list",
    [100] = "get_robust_list",
    [101] = "nanosleep",
    [102] = "getitimer",
    [103] = "setitimer",
    [104] = "kexec_load",
    [105] = "init_module",
    [106] = "delete_module",
    [107] = "timer_create",
    [108] = "timer_gettime",
    [109] = "timer_getoverrun",
    [110] = "timer_settime",
    [111] = "timer_delete",
    [112] = "clock_settime",
    [113] = "clock_gettime",
    [114] = "clock_getres",
    [115] = "clock_nanosleep",
    [116] = "syslog",
    [117] = "ptrace",
    [118] = "sched_setparam",
    [119] = "sched_setscheduler",
    [120] = "sched_getscheduler",
    [121] = "sched_getparam",
    [122] = "sched_setaffinity",
    [123] = "sched_getaffinity",
    [124] = "sched_yield",
    [125] = "sched_get_priority_max",
    [126] = "sched_get_priority_min",
    [127] = "sched_rr_get_interval",
    [128] = "restart_syscall",
    [129] = "kill",
    [130] = "tkill",
    [131] = "tgkill",
    [132] = "sigaltstack",
    [133] = "rt_sigsuspend",
    [134] = "rt_sigaction",
    [135] = "rt_sigprocmask",
    [136] = "rt_sigpending",
    [137] = "rt_sigtimedwait",
    [138] = "rt_sigqueueinfo",
    [139] = "rt_sigreturn",
    [140] = "setpriority",
    [141] = "getpriority",
    [142] = "reboot",
    [143] = "setregid",
    [144] = "setgid",
    [145] = "setreuid",
    [146] = "setuid",
    [147] = "setresuid",
    [148] = "getresuid",
    [149] = "setresgid",
    [150] = "getresgid",
    [151] = "setfsuid",
    [152] = "setfsgid",
    [153] = "times",
    [154] = "setpgid",
    [155] = "getpgid",
    [156] = "getsid",
    [157] = "setsid",
    [158] = "getgroups",
    [159] = "setgroups",
    [160] = "uname",
    [161] = "sethostname",
    [162] = "setdomainname",
    [163] = "getrlimit",
    [164] = "setrlimit",
    [165] = "getrusage",
    [166] = "umask",
    [167] = "prctl",
    [168] = "getcpu",
    [169] = "gettimeofday",
    [170] = "settimeofday",
    [171] = "adjtimex",
    [172] = "getpid",
    [173] = "getppid",
    [174] = "getuid",
    [175] = "geteuid",
    [176] = "getgid",
    [177] = "getegid",
    [178] = "gettid",
    [179] = "sysinfo",
    [180] = "mq_open",
    [181] = "mq_unlink",
    [182] = "mq_timedsend",
    [183] = "mq_timedreceive",
    [184] = "mq_notify",
    [185] = "mq_getsetattr",
    [186] = "msgget",
    [187] = "msgctl",
    [188] = "msgrcv",
    [189] = "msgsnd",
    [190] = "semget",
    [191] = "semctl",
    [192] = "semtimedop",
    [193] = "semop",
    [194] = "shmget",
    [195] = "shmctl",
    [196] = "shmat",
    [197] = "shmdt",
    [198] = "socket",
    [199] = "socketpair",
    [200] = "bind",
    [201] = "listen",
    [202] = "accept",
    [203] = "connect",
    [204] = "getsockname",
    [205] = "getpeername",
    [206] = "sendto",
    [207] = "recvfrom",
    [208] = "setsockopt",
    [209] = "getsockopt",
    [210] = "shutdown",
    [211] = "sendmsg",
    [212] = "recvmsg",
    [213] = "readahead",
    [214] = "brk",
    [215] = "munmap",
    [216] = "mremap",
    [217] = "add_key",
    [218] = "request_key",
    [219] = "keyctl",
    [220] = "clone",
    [221] = "execve",
    [222] = "mmap",
    [223] = "fadvise64",
    [224] = "swapon",
    [225] = "swapoff",
    [226] = "mprotect",
    [227] = "msync",
    [228] = "mlock",
    [229] = "munlock",
    [230] = "mlockall",
    [231] = "munlockall",
    [232] = "mincore",
    [233] = "madvise",
    [234] = "remap_file_pages",
    [235] = "mbind",
    [236] = "get_mempolicy",
    [237] = "set_mempolicy",
    [238] = "migrate_pages",
    [239] = "move_pages",
    [240] = "rt_tgsigqueueinfo",
    [241] = "perf_event_open",
    [242] = "accept4",
    [243] = "recvmmsg",
    [258] = "riscv_hwprobe",
    [259] = "riscv_flush_icache",
    [260] = "wait4",
    [261] = "prlimit64",
    [262] = "fanotify_init",
    [263] = "fanotify_mark",
    [264] = "name_to_handle_at",
    [265] = "open_by_handle_at",
    [266] = "clock_adjtime",
    [267] = "syncfs",
    [268] = "setns",
    [269] = "sendmmsg",
    [270] = "process_vm_readv",
    [271] = "process_vm_writev",
    [272] = "kcmp",
    [273] = "finit_module",
    [274] = "sched_setattr",
    [275] = "sched_getattr",
    [276] = "renameat2",
    [277] = "seccomp",
    [278] = "getrandom",
    [279] = "memfd_create",
    [280] = "bpf",
    [281] = "execveat",
    [282] = "userfaultfd",
    [283] = "membarrier",
    [284] = "mlock2",
    [285] = "copy_file_range",
    [286] = "preadv2",
    [287] = "pwritev2",
    [288] = "pkey_mprotect",
    [289] = "pkey_alloc",
    [290] = "pkey_free",
    [291] = "statx",
    [292] = "io_pgetevents",
    [293] = "rseq",
    [294] = "kexec_file_load",
    [424] = "pidfd_send_signal",
    [425] = "io_uring_setup",
    [426] = "io_uring_enter",
    [427] = "io_uring_register",
    [428] = "open_tree",
    [429] = "move_mount",
    [430] = "fsopen",
    [431] = "fsconfig",
    [432] = "fsmount",
    [433] = "fspick",
    [434] = "pidfd_open",
    [435] = "clone3",
    [436] = "close_range",
    [437] = "openat2",
    [438] = "pidfd_getfd",
    [439] = "faccessat2",
    [440] = "process_madvise",
    [441] = "epoll_pwait2",
    [442] = "mount_setattr",
    [443] = "quotactl_fd",
    [444] = "landlock_create_ruleset",
    [445] = "landlock_add_rule",
    [446] = "landlock_restrict_self",
    [447] = "memfd_secret",
    [448] = "process_mrelease",
    [449] = "futex_waitv",
    [450] = "set_mempolicy_home_node",
    [451] = "cachestat",
    [452] = "fchmodat2",
    [453] = "map_shadow_stack",
    [454] = "futex_wake",
    [455] = "futex_wait",
    [456] = "futex_requeue",
    [457] = "statmount",
    [458] = "listmount",
    [459] = "lsm_get_self_attr",
    [460] = "lsm_set_self_attr",
    [461] = "lsm_list_modules",
    [462] = "mseal",
};

typedef struct UserSyscallDef {
    UserSyscallFn fn; /* handler, NULL: unsupported */
    const char *fmt;  /* -strace argument format (strace.c) */
    char ret;         /* -strace result: 'd' decimal, 'x' hex address */
} UserSyscallDef;

#define SC(nr, f, fm)  [nr] = {.fn = user_sys_##f, .fmt = fm, .ret = 'd'}
#define SCX(nr, f, fm) [nr] = {.fn = user_sys_##f, .fmt = fm, .ret = 'x'}

static const UserSyscallDef syscall_table[] = {
    SC(5, xattr, "ssxux"),
    SC(6, xattr, "ssxux"),
    SC(7, xattr, "dsxux"),
    SC(8, xattr, "ssxu"),
    SC(9, xattr, "ssxu"),
    SC(10, xattr, "dsxu"),
    SC(11, xattr, "sxu"),
    SC(12, xattr, "sxu"),
    SC(13, xattr, "dxu"),
    SC(14, xattr, "ss"),
    SC(15, xattr, "ss"),
    SC(16, xattr, "ds"),
    SC(17, getcwd, "pu"),
    SC(19, eventfd2, "ux"),
    SC(20, epoll_create1, "x"),
    SC(21, epoll_ctl, "dddp"),
    SC(22, epoll_pwait, "dpddpu"),
    SC(23, dup, "d"),
    SC(24, dup3, "ddo"),
    SC(25, fcntl, "dFx"),
    SC(26, inotify_init1, "x"),
    SC(27, inotify_add_watch, "dsx"),
    SC(28, inotify_rm_watch, "dd"),
    SC(29, ioctl, "dxx"),
    SC(32, flock, "dx"),
    SC(33, mknodat, "fsmx"),
    SC(34, mkdirat, "fsm"),
    SC(35, unlinkat, "fsa"),
    SC(36, symlinkat, "sfs"),
    SC(37, linkat, "fsfsa"),
    SC(39, umount2, "sx"),
    SC(40, mount, "sssxp"),
    SC(43, statfs, "sp"),
    SC(44, fstatfs, "dp"),
    SC(45, truncate, "sl"),
    SC(46, ftruncate, "dl"),
    SC(47, fallocate, "dxll"),
    SC(48, faccessat, "fsk"),
    SC(49, chdir, "s"),
    SC(50, fchdir, "d"),
    SC(51, chroot, "s"),
    SC(52, fchmod, "dm"),
    SC(53, fchmodat, "fsm"),
    SC(54, fchownat, "fsdda"),
    SC(55, fchown, "ddd"),
    SC(56, openat, "fsom"),
    SC(57, close, "d"),
    SC(59, pipe2, "po"),
    SC(61, getdents64, "dpu"),
    SC(62, lseek, "dld"),
    SC(63, read, "dpu"),
    SC(64, write, "dwu"),
    SC(65, readv, "dpd"),
    SC(66, writev, "dpd"),
    SC(67, pread64, "dpul"),
    SC(68, pwrite64, "dwul"),
    SC(69, preadv, "dpdl"),
    SC(70, pwritev, "dpdl"),
    SC(71, sendfile, "ddpu"),
    SC(72, pselect6, "dppppp"),
    SC(73, ppoll, "pdppu"),
    SC(74, signalfd4, "dpux"),
    SC(76, splice, "dpdpux"),
    SC(77, tee, "ddux"),
    SC(78, readlinkat, "fspu"),
    SC(79, newfstatat, "fspa"),
    SC(80, fstat, "dp"),
    SC(81, sync, ""),
    SC(82, fsync, "d"),
    SC(83, fdatasync, "d"),
    SC(84, sync_file_range, "dllx"),
    SC(85, timerfd_create, "dx"),
    SC(86, timerfd_settime, "dxpp"),
    SC(87, timerfd_gettime, "dp"),
    SC(88, utimensat, "fspa"),
    SC(89, eperm, "s"),
    SC(92, personality, "x"),
    SC(93, exit, "d"),
    SC(94, exit_group, "d"),
    SC(95, waitid, "ddpWp"),
    SC(96, set_tid_address, "p"),
    SC(97, unshare, "x"),
    SC(98, futex, "pdupxx"),
    SC(99, set_robust_list, "pu"),
    SC(100, get_robust_list, "dpp"),
    SC(101, nanosleep, "pp"),
    SC(102, getitimer, "dp"),
    SC(103, setitimer, "dpp"),
    SC(107, timer_create, "dpp"),
    SC(108, timer_gettime, "dp"),
    SC(109, timer_getoverrun, "d"),
    SC(110, timer_settime, "ddpp"),
    SC(111, timer_delete, "d"),
    SC(112, clock_settime, "dp"),
    SC(113, clock_gettime, "dp"),
    SC(114, clock_getres, "dp"),
    SC(115, clock_nanosleep, "dxpp"),
    SC(116, syslog, "dpd"),
    SC(117, enosys, "ddpp"),
    SC(118, sched_param, "dp"),
    SC(119, sched_setscheduler, "ddp"),
    SC(120, sched_getscheduler, "d"),
    SC(121, sched_param, "dp"),
    SC(122, sched_setaffinity, "dup"),
    SC(123, sched_getaffinity, "dup"),
    SC(124, sched_yield, ""),
    SC(125, sched_get_priority, "d"),
    SC(126, sched_get_priority, "d"),
    SC(127, sched_rr_get_interval, "dp"),
    SC(129, kill, "dS"),
    SC(130, tkill, "dS"),
    SC(131, tgkill, "ddS"),
    SC(132, sigaltstack, "pp"),
    SC(133, rt_sigsuspend, "pu"),
    SC(134, rt_sigaction, "Sppu"),
    SC(135, rt_sigprocmask, "hppu"),
    SC(136, rt_sigpending, "pu"),
    SC(137, rt_sigtimedwait, "pppu"),
    SC(138, rt_sigqueueinfo, "dSp"),
    SC(139, rt_sigreturn, ""),
    SC(140, setpriority, "ddd"),
    SC(141, getpriority, "dd"),
    SC(142, eperm, "xxxp"),
    SC(143, setid, "dd"),
    SC(144, setid, "d"),
    SC(145, setid, "dd"),
    SC(146, setid, "d"),
    SC(147, setid, "ddd"),
    SC(148, getresid, "ppp"),
    SC(149, setid, "ddd"),
    SC(150, getresid, "ppp"),
    SC(151, setid, "d"),
    SC(152, setid, "d"),
    SC(153, times, "p"),
    SC(154, setpgid, "dd"),
    SC(155, getpgid, "d"),
    SC(156, getsid, "d"),
    SC(157, setsid, ""),
    SC(158, getgroups, "dp"),
    SC(159, setgroups, "dp"),
    SC(160, uname, "p"),
    SC(161, sethostname, "su"),
    SC(162, sethostname, "su"),
    SC(163, getrlimit, "dp"),
    SC(164, setrlimit, "dp"),
    SC(165, getrusage, "dp"),
    SC(166, umask, "m"),
    SC(167, prctl, "dxxxx"),
    SC(168, getcpu, "ppp"),
    SC(169, gettimeofday, "pp"),
    SC(170, settimeofday, "pp"),
    SC(171, adjtimex, "p"),
    SC(172, getid, ""),
    SC(173, getid, ""),
    SC(174, getid, ""),
    SC(175, getid, ""),
    SC(176, getid, ""),
    SC(177, getid, ""),
    SC(178, getid, ""),
    SC(179, sysinfo, "p"),
    SC(198, socket, "ddd"),
    SC(199, socketpair, "dddp"),
    SC(200, bind, "dpu"),
    SC(201, listen, "dd"),
    SC(202, accept, "dpp"),
    SC(203, connect, "dpu"),
    SC(204, getsockname, "dpp"),
    SC(205, getpeername, "dpp"),
    SC(206, sendto, "dwuxpu"),
    SC(207, recvfrom, "dpuxpp"),
    SC(208, setsockopt, "dddpu"),
    SC(209, getsockopt, "dddpp"),
    SC(210, shutdown, "dd"),
    SC(211, sendmsg, "dpx"),
    SC(212, recvmsg, "dpx"),
    SC(213, readahead, "dlu"),
    SCX(214, brk, "p"),
    SC(215, munmap, "pu"),
    SCX(216, mremap, "puuxp"),
    SC(220, clone, "cppxp"),
    SC(221, execve, "spp"),
    SCX(222, mmap, "puPMdx"),
    SC(223, fadvise64, "dlud"),
    SC(226, mprotect, "puP"),
    SC(227, msync, "pux"),
    SC(228, mlock, "pu"),
    SC(229, munlock, "pu"),
    SC(230, mlockall, "x"),
    SC(231, munlockall, ""),
    SC(232, mincore, "pup"),
    SC(233, madvise, "pud"),
    SC(240, rt_tgsigqueueinfo, "ddSp"),
    SC(242, accept4, "dppx"),
    SC(243, recvmmsg, "dpuxp"),
    SC(258, enosys, "puupx"),
    SC(259, riscv_flush_icache, "ppx"),
    SC(260, wait4, "dpWp"),
    SC(261, prlimit64, "ddpp"),
    SC(267, syncfs, "d"),
    SC(269, sendmmsg, "dpux"),
    SC(276, renameat2, "fsfsx"),
    SC(277, enosys, "xxp"),
    SC(278, getrandom, "pux"),
    SC(279, memfd_create, "sx"),
    SC(281, execveat, "fsppa"),
    SC(283, enosys, "xx"),
    SC(285, copy_file_range, "dpdpux"),
    SC(291, statx, "fsaxp"),
    SC(293, enosys, "puxx"),
    SC(424, pidfd_send_signal, "dSpx"),
    SC(434, pidfd_open, "dx"),
    SC(435, enosys, "pu"),
    SC(436, close_range, "ddx"),
    SC(437, enosys, "fspu"),
    SC(439, faccessat2, "fska"),
    SC(441, epoll_pwait2, "dpdppu"),
};

const char *user_syscall_name(uint64_t nr)
{
    if (nr < G_N_ELEMENTS(syscall_names) && syscall_names[nr]) {
        return syscall_names[nr];
    }
    return NULL;
}

/* Guest memory. */

int user_copy_from(void *dst, uint64_t src, size_t len)
{
    if (!user_mem_access_ok(&user_proc.mem, src, len, PROT_READ)) {
        return -EFAULT;
    }
    memcpy(dst, g2h(src), len);
    return 0;
}

int user_copy_to(uint64_t dst, const void *src, size_t len)
{
    if (!user_mem_access_ok(&user_proc.mem, dst, len, PROT_WRITE)) {
        return -EFAULT;
    }
    memcpy(g2h(dst), src, len);
    return 0;
}

int user_get_u32(uint64_t addr, uint32_t *ret)
{
    return user_copy_from(ret, addr, sizeof(*ret));
}

int user_put_u32(uint64_t addr, uint32_t v)
{
    return user_copy_to(addr, &v, sizeof(v));
}

int user_get_u64(uint64_t addr, uint64_t *ret)
{
    return user_copy_from(ret, addr, sizeof(*ret));
}

int user_put_u64(uint64_t addr, uint64_t v)
{
    return user_copy_to(addr, &v, sizeof(v));
}

void *user_buf(uint64_t addr, uint64_t len)
{
    if (!user_mem_range_ok(&user_proc.mem, addr, len)) {
        return NULL;
    }
    return g2h(addr);
}

int user_string(uint64_t addr, const char **ret)
{
    int64_t n = user_mem_strnlen(&user_proc.mem, addr, PATH_MAX);

    if (n < 0) {
        return (int)n;
    }
    *ret = g2h(addr);
    return 0;
}

int user_iovec_get(uint64_t addr, uint64_t cnt, struct iovec **ret)
{
    g_autofree uint64_t *g = NULL;
    struct iovec *h;
    int err;

    if (cnt > 1024) {
        return -EINVAL;
    }
    g = g_new(uint64_t, 2 * cnt + 1);
    err = user_copy_from(g, addr, cnt * 16);
    if (err) {
        return err;
    }
    h = g_new(struct iovec, cnt + 1);
    for (uint64_t i = 0; i < cnt; i++) {
        h[i].iov_len = g[2 * i + 1];
        h[i].iov_base = user_buf(g[2 * i], g[2 * i + 1]);
        if (!h[i].iov_base || (int64_t)h[i].iov_len < 0) {
            g_free(h);
            return (int64_t)g[2 * i + 1] < 0 ? -EINVAL : -EFAULT;
        }
    }
    *ret = h;
    return 0;
}

/* Paths and /proc. */

/* "/proc/self/X", "/proc/thread-self/X" or "/proc/<our pid>/X": X, else NULL. */
static const char *proc_self_entry(const char *path)
{
    char pid[32];
    size_t n;

    if (!g_str_has_prefix(path, "/proc/")) {
        return NULL;
    }
    path += 6;
    snprintf(pid, sizeof(pid), "%d/", getpid());
    if (g_str_has_prefix(path, "self/")) {
        return path + 5;
    }
    if (g_str_has_prefix(path, "thread-self/")) {
        return path + 12;
    }
    n = strlen(pid);
    return strncmp(path, pid, n) == 0 ? path + n : NULL;
}

bool user_proc_is_exe(const char *path)
{
    const char *e = proc_self_entry(path);

    return e && strcmp(e, "exe") == 0;
}

int user_path(uint64_t addr, bool prefixed, char **ret)
{
    const char *p;
    int err = user_string(addr, &p);

    if (err) {
        return err;
    }
    if (user_proc_is_exe(p)) {
        *ret = g_strdup(user_proc.exe_path);
    } else if (prefixed && p[0] == '/' && user_proc.opts->ld_prefix) {
        *ret = user_prefixed_path(user_proc.opts->ld_prefix, p);
    } else {
        *ret = g_strdup(p);
    }
    return 0;
}

static char *format_cmdline(size_t *ret_len)
{
    GString *s = g_string_new(NULL);

    for (uint64_t a = user_proc.stack.argv;; a += 8) {
        uint64_t p;
        const char *str;
        if (user_get_u64(a, &p) != 0 || p == 0 || user_string(p, &str) != 0) {
            break;
        }
        g_string_append_len(s, str, strlen(str) + 1);
    }
    *ret_len = s->len;
    return g_string_free(s, FALSE);
}

static int memfd_with(const char *name, const void *data, size_t len, int flags)
{
    int fd = memfd_create(name, (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);

    if (fd < 0) {
        return -errno;
    }
    if (write(fd, data, len) != (ssize_t)len) {
        int err = -errno;
        close(fd);
        return err ? err : -EIO;
    }
    lseek(fd, 0, SEEK_SET);
    return fd;
}

int user_proc_open(const char *path, int flags)
{
    const char *e = proc_self_entry(path);
    g_autofree char *text = NULL;
    size_t len;

    if (!e) {
        return -ENOENT;
    }
    if (strcmp(e, "maps") == 0 || strcmp(e, "smaps") == 0) {
        text = user_mem_format_maps(&user_proc.mem);
        return memfd_with("maps", text, strlen(text), flags);
    }
    if (strcmp(e, "auxv") == 0) {
        text = g_malloc(user_proc.stack.auxv_len);
        if (user_copy_from(text, user_proc.stack.auxv, user_proc.stack.auxv_len) != 0) {
            return -EIO;
        }
        return memfd_with("auxv", text, user_proc.stack.auxv_len, flags);
    }
    if (strcmp(e, "cmdline") == 0) {
        text = format_cmdline(&len);
        return memfd_with("cmdline", text, len, flags);
    }
    return -ENOENT;
}

/* Logging. */

void user_log(const char *fmt, ...)
{
    g_autofree char *s = NULL;
    va_list ap;
    ssize_t n, off = 0;

    va_start(ap, fmt);
    n = g_vasprintf(&s, fmt, ap);
    va_end(ap);
    while (off < n) {
        ssize_t w = write(user_proc.log_fd, s + off, n - off);
        if (w <= 0) {
            if (w < 0 && errno == EINTR) {
                continue;
            }
            break;
        }
        off += w;
    }
}

void user_log_flush(void)
{
    if (user_proc.log_fd > 2) {
        fdatasync(user_proc.log_fd);
    }
}

static bool strace_read(void *opaque, uint64_t addr, void *buf, size_t len)
{
    return user_copy_from(buf, addr, len) == 0;
}

static void strace_before(UserTask *t, uint64_t nr, const UserSyscallDef *d, const uint64_t *a)
{
    const UserStraceMem mem = {.read = strace_read};
    const char *name = user_syscall_name(nr);
    g_autoptr(GString) s = g_string_new(NULL);
    char unknown[32];

    if (!name) {
        snprintf(unknown, sizeof(unknown), "syscall_%" G_GUINT64_FORMAT, nr);
        name = unknown;
    }
    g_string_append_printf(s, "%d ", t->tid);
    user_strace_call(s, &mem, name, d && d->fmt ? d->fmt : "xxxxxx", a);
    user_log("%s", s->str);
}

static void strace_after(const UserSyscallDef *d, long ret)
{
    g_autoptr(GString) s = g_string_new(NULL);

    if (ret == -USER_ESIGRETURN) {
        user_log(" = ?\n");
        return;
    }
    if (ret == -USER_ERESTARTSYS || ret == -USER_ERESTARTNOHAND) {
        user_log(" = ? ERESTARTSYS (To be restarted)\n");
        return;
    }
    user_strace_result(s, d ? d->ret : 'd', ret);
    user_log("%s", s->str);
}

static void log_unimplemented(uint64_t nr)
{
    static uint64_t seen[8];
    const char *name = user_syscall_name(nr);
    uint64_t bit;

    if (!(user_proc.opts->log_mask & USER_LOG_UNIMP)) {
        return;
    }
    if (nr < 512) {
        bit = 1ull << (nr % 64);
        if (__atomic_fetch_or(&seen[nr / 64], bit, __ATOMIC_RELAXED) & bit) {
            return;
        }
    }
    user_log("vmd-user: unsupported syscall %" G_GUINT64_FORMAT " (%s)\n", nr,
             name ? name : "unknown");
}

long user_syscall(UserTask *t, uint64_t nr, const uint64_t *args)
{
    const UserSyscallDef *d = nr < G_N_ELEMENTS(syscall_table) ? &syscall_table[nr] : NULL;
    bool strace = user_proc.opts->strace;
    long ret;

    if (d && !d->fn) {
        d = NULL;
    }
    t->syscall_nr = nr;
    if (strace) {
        strace_before(t, nr, d, args);
        if (nr == 93 || nr == 94) {
            user_log("\n"); /* exit and exit_group do not come back */
        }
    }
    if (d) {
        ret = d->fn(t, args);
    } else {
        log_unimplemented(nr);
        ret = -ENOSYS;
    }
    if (strace) {
        strace_after(d, ret);
    }
    return ret;
}

USER_SYSCALL(enosys)
{
    return -ENOSYS;
}

USER_SYSCALL(eperm)
{
    return -EPERM;
}
