/*
 * The riscv64 Linux user ABI as the guest sees it: the structures whose layout differs
 * from the x86-64 host's, the signal frame, the ELF auxiliary vector, and the few
 * constants that are riscv-specific.
 *
 * Most of the two ABIs are identical: both are LP64 and use the asm-generic errno,
 * signal, fcntl, mman, socket and ioctl numbers, so everything not declared here is
 * passed to the host as it is. The _Static_asserts in user-conv.c pin the host values
 * this relies on. Sizes and offsets below were checked against Linux's riscv64 UAPI
 * headers (arch/riscv/include/uapi, include/uapi/asm-generic).
 */
#ifndef VMD_LINUX_USER_ABI_H
#define VMD_LINUX_USER_ABI_H

#include <stddef.h>
#include <stdint.h>

#define TARGET_PAGE_SIZE 4096u
#define TARGET_PAGE_MASK (~(uint64_t)(TARGET_PAGE_SIZE - 1))

/* asm-generic struct stat (x86-64 orders nlink before mode and is 144 bytes). */
typedef struct TargetStat {
    uint64_t st_dev;
    uint64_t st_ino;
    uint32_t st_mode;
    uint32_t st_nlink;
    uint32_t st_uid;
    uint32_t st_gid;
    uint64_t st_rdev;
    uint64_t pad1;
    int64_t st_size;
    int32_t st_blksize;
    int32_t pad2;
    int64_t st_blocks;
    int64_t st_atime_sec;
    uint64_t st_atime_nsec;
    int64_t st_mtime_sec;
    uint64_t st_mtime_nsec;
    int64_t st_ctime_sec;
    uint64_t st_ctime_nsec;
    uint32_t unused4;
    uint32_t unused5;
} TargetStat;
_Static_assert(sizeof(TargetStat) == 128, "riscv64 struct stat");
_Static_assert(offsetof(TargetStat, st_size) == 48, "riscv64 struct stat");
_Static_assert(offsetof(TargetStat, st_atime_sec) == 72, "riscv64 struct stat");

/* struct epoll_event: natural alignment on riscv64, packed (12 bytes) on x86-64. */
typedef struct TargetEpollEvent {
    uint32_t events;
    uint32_t pad;
    uint64_t data;
} TargetEpollEvent;
_Static_assert(sizeof(TargetEpollEvent) == 16, "riscv64 struct epoll_event");

/* The kernel's struct sigaction for rt_sigaction (riscv has no sa_restorer). */
typedef struct TargetSigaction {
    uint64_t handler;
    uint64_t flags;
    uint64_t mask;
} TargetSigaction;

typedef struct TargetStack {
    uint64_t ss_sp;
    int32_t ss_flags;
    int32_t pad;
    uint64_t ss_size;
} TargetStack;

/* Signal numbers and sigaction flags are the asm-generic ones (same as x86-64). */
#define TARGET_NSIG         64
#define TARGET_SA_NOCLDSTOP 0x00000001u
#define TARGET_SA_NOCLDWAIT 0x00000002u
#define TARGET_SA_SIGINFO   0x00000004u
#define TARGET_SA_ONSTACK   0x08000000u
#define TARGET_SA_RESTART   0x10000000u
#define TARGET_SA_NODEFER   0x40000000u
#define TARGET_SA_RESETHAND 0x80000000u
#define TARGET_SS_ONSTACK   1
#define TARGET_SS_DISABLE   2
#define TARGET_MINSIGSTKSZ  2048

/* arch/riscv/include/uapi/asm/sigcontext.h: user_regs_struct then the FP union. */
typedef struct TargetSigcontext {
    uint64_t regs[32]; /* [0] = pc, [i] = x[i] for i in 1..31 */
    union {
        struct {
            uint64_t f[32];
            uint32_t fcsr;
        } d;
        uint8_t raw[528]; /* size of the q-extension state, 16-byte aligned */
    } __attribute__((aligned(16))) fp;
} TargetSigcontext;
_Static_assert(sizeof(TargetSigcontext) == 784, "riscv64 struct sigcontext");

typedef struct TargetUcontext {
    uint64_t uc_flags;
    uint64_t uc_link;
    TargetStack uc_stack;
    uint64_t uc_sigmask;
    uint8_t unused[1024 / 8 - 8];
    TargetSigcontext uc_mcontext __attribute__((aligned(16)));
} TargetUcontext;
_Static_assert(offsetof(TargetUcontext, uc_sigmask) == 40, "riscv64 struct ucontext");
_Static_assert(offsetof(TargetUcontext, uc_mcontext) == 176, "riscv64 struct ucontext");
_Static_assert(sizeof(TargetUcontext) == 960, "riscv64 struct ucontext");

typedef struct TargetRtSigframe {
    uint8_t info[128]; /* siginfo_t: same layout on both LP64 ABIs */
    TargetUcontext uc;
} TargetRtSigframe;
_Static_assert(sizeof(TargetRtSigframe) == 1088, "riscv64 struct rt_sigframe");

/* Auxiliary vector types (include/uapi/linux/auxvec.h, riscv's asm/auxvec.h). */
enum {
    TARGET_AT_NULL = 0,
    TARGET_AT_IGNORE = 1,
    TARGET_AT_PHDR = 3,
    TARGET_AT_PHENT = 4,
    TARGET_AT_PHNUM = 5,
    TARGET_AT_PAGESZ = 6,
    TARGET_AT_BASE = 7,
    TARGET_AT_FLAGS = 8,
    TARGET_AT_ENTRY = 9,
    TARGET_AT_UID = 11,
    TARGET_AT_EUID = 12,
    TARGET_AT_GID = 13,
    TARGET_AT_EGID = 14,
    TARGET_AT_PLATFORM = 15,
    TARGET_AT_HWCAP = 16,
    TARGET_AT_CLKTCK = 17,
    TARGET_AT_SECURE = 23,
    TARGET_AT_RANDOM = 25,
    TARGET_AT_EXECFN = 31,
    TARGET_AT_SYSINFO_EHDR = 33,
    TARGET_AT_MINSIGSTKSZ = 51,
};

/* AT_HWCAP: one bit per single-letter extension, bit ('x' - 'a'). */
#define TARGET_HWCAP_ISA(c) (1ull << ((c) - 'a'))
#define TARGET_HWCAP_RV64GC                                                                        \
    (TARGET_HWCAP_ISA('i') | TARGET_HWCAP_ISA('m') | TARGET_HWCAP_ISA('a') |                       \
     TARGET_HWCAP_ISA('f') | TARGET_HWCAP_ISA('d') | TARGET_HWCAP_ISA('c'))

/* clone(2) on riscv64 takes (flags, newsp, parent_tid, tls, child_tid): CLONE_BACKWARDS. */
#define TARGET_NR_rt_sigreturn 139

/* The sigreturn trampoline Linux keeps in the vDSO: li a7, 139; ecall. */
#define TARGET_SIGRETURN_INSN0 0x08b00893u
#define TARGET_SIGRETURN_INSN1 0x00000073u

/* Internal syscall results, never seen by the guest (values above the errno range). */
#define USER_ERESTARTSYS    512  /* interrupted: restart if the handler has SA_RESTART */
#define USER_ERESTARTNOHAND 514  /* interrupted: -EINTR if a handler runs, else restart */
#define USER_ESIGRETURN     1001 /* registers were replaced: leave a0 and pc alone */

#endif
