/*
 * ioctl. Only commands listed here reach the host: each with the size of the structure
 * its argument points to (0: the argument is a value). The structures listed have the
 * same layout on riscv64 and x86-64 (the kernel's struct termios and struct winsize
 * come from asm-generic on both, struct ifreq is 40 bytes on both); struct ifconf holds
 * a pointer and is converted. Any other command fails with ENOTTY, and is logged with
 * -d unimp.
 */
#include "linux-user/syscall-defs.h"

#include <net/if.h>
#include <sys/ioctl.h>

typedef struct IoctlDef {
    uint32_t cmd;  /* request number (identical on both ABIs) */
    uint32_t size; /* bytes the argument points to; 0 when it is a plain value */
    const char *name;
} IoctlDef;

#define IFREQ_SIZE 40

static const IoctlDef ioctls[] = {
    {0x5401, 36, "TCGETS"},
    {0x5402, 36, "TCSETS"},
    {0x5403, 36, "TCSETSW"},
    {0x5404, 36, "TCSETSF"},
    {0x5405, 18, "TCGETA"},
    {0x5406, 18, "TCSETA"},
    {0x5407, 18, "TCSETAW"},
    {0x5408, 18, "TCSETAF"},
    {0x5409, 0, "TCSBRK"},
    {0x540a, 0, "TCXONC"},
    {0x540b, 0, "TCFLSH"},
    {0x540c, 0, "TIOCEXCL"},
    {0x540d, 0, "TIOCNXCL"},
    {0x540e, 0, "TIOCSCTTY"},
    {0x540f, 4, "TIOCGPGRP"},
    {0x5410, 4, "TIOCSPGRP"},
    {0x5411, 4, "TIOCOUTQ"},
    {0x5412, 1, "TIOCSTI"},
    {0x5413, 8, "TIOCGWINSZ"},
    {0x5414, 8, "TIOCSWINSZ"},
    {0x5415, 4, "TIOCMGET"},
    {0x5416, 4, "TIOCMBIS"},
    {0x5417, 4, "TIOCMBIC"},
    {0x5418, 4, "TIOCMSET"},
    {0x541b, 4, "FIONREAD"},
    {0x541d, 0, "TIOCCONS"},
    {0x5420, 4, "TIOCPKT"},
    {0x5421, 4, "FIONBIO"},
    {0x5422, 0, "TIOCNOTTY"},
    {0x5423, 4, "TIOCSETD"},
    {0x5424, 4, "TIOCGETD"},
    {0x5425, 0, "TCSBRKP"},
    {0x5427, 0, "TIOCSBRK"},
    {0x5428, 0, "TIOCCBRK"},
    {0x5429, 4, "TIOCGSID"},
    {0x802c542a, 44, "TCGETS2"},
    {0x402c542b, 44, "TCSETS2"},
    {0x402c542c, 44, "TCSETSW2"},
    {0x402c542d, 44, "TCSETSF2"},
    {0x80045430, 4, "TIOCGPTN"},
    {0x40045431, 4, "TIOCSPTLCK"},
    {0x80045432, 4, "TIOCGDEV"},
    {0x80045438, 4, "TIOCGPKT"},
    {0x80045439, 4, "TIOCGPTLCK"},
    {0x80045440, 4, "TIOCGEXCL"},
    {0x5441, 0, "TIOCGPTPEER"},
    {0x5450, 0, "FIONCLEX"},
    {0x5451, 0, "FIOCLEX"},
    {0x5452, 4, "FIOASYNC"},
    {0x5460, 4, "FIOQSIZE"},
    {0x8901, 4, "FIOSETOWN"},
    {0x8902, 4, "SIOCSPGRP"},
    {0x8903, 4, "FIOGETOWN"},
    {0x8904, 4, "SIOCGPGRP"},
    {0x8905, 4, "SIOCATMARK"},
    {0x8910, IFREQ_SIZE, "SIOCGIFNAME"},
    {0x8913, IFREQ_SIZE, "SIOCGIFFLAGS"},
    {0x8914, IFREQ_SIZE, "SIOCSIFFLAGS"},
    {0x8915, IFREQ_SIZE, "SIOCGIFADDR"},
    {0x8916, IFREQ_SIZE, "SIOCSIFADDR"},
    {0x8917, IFREQ_SIZE, "SIOCGIFDSTADDR"},
    {0x8918, IFREQ_SIZE, "SIOCSIFDSTADDR"},
    {0x8919, IFREQ_SIZE, "SIOCGIFBRDADDR"},
    {0x891a, IFREQ_SIZE, "SIOCSIFBRDADDR"},
    {0x891b, IFREQ_SIZE, "SIOCGIFNETMASK"},
    {0x891c, IFREQ_SIZE, "SIOCSIFNETMASK"},
    {0x891d, IFREQ_SIZE, "SIOCGIFMETRIC"},
    {0x8921, IFREQ_SIZE, "SIOCGIFMTU"},
    {0x8922, IFREQ_SIZE, "SIOCSIFMTU"},
    {0x8924, IFREQ_SIZE, "SIOCSIFHWADDR"},
    {0x8927, IFREQ_SIZE, "SIOCGIFHWADDR"},
    {0x8933, IFREQ_SIZE, "SIOCGIFINDEX"},
    {0x8942, IFREQ_SIZE, "SIOCGIFTXQLEN"},
    {0x80081272, 8, "BLKGETSIZE64"},
    {0x1260, 8, "BLKGETSIZE"},
    {0x1268, 4, "BLKSSZGET"},
    {0x125e, 4, "BLKROGET"},
    {0x1261, 0, "BLKFLSBUF"},
    {0x80045200, 4, "RNDGETENTCNT"},
};

#define SIOCGIFCONF_CMD 0x8912

static long do_ifconf(int fd, uint64_t addr)
{
    struct ifconf ic;
    struct {
        int32_t len;
        int32_t pad;
        uint64_t buf;
    } g;
    long r;

    if (user_copy_from(&g, addr, sizeof(g)) != 0) {
        return -EFAULT;
    }
    if (g.len < 0) {
        return -EINVAL;
    }
    ic.ifc_len = g.len;
    ic.ifc_buf = NULL;
    if (g.buf && !(ic.ifc_buf = user_buf(g.buf, g.len))) {
        return -EFAULT;
    }
    r = host_syscall(SYS_ioctl, fd, SIOCGIFCONF_CMD, &ic);
    if (r == 0) {
        g.len = ic.ifc_len;
        if (user_copy_to(addr, &g, 4) != 0) {
            return -EFAULT;
        }
    }
    return r;
}

USER_SYSCALL(ioctl)
{
    int fd = (int)a[0];
    uint32_t cmd = (uint32_t)a[1];

    if (cmd == SIOCGIFCONF_CMD) {
        return do_ifconf(fd, a[2]);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(ioctls); i++) {
        void *p;
        if (ioctls[i].cmd != cmd) {
            continue;
        }
        if (ioctls[i].size == 0) {
            return host_syscall(SYS_ioctl, fd, cmd, a[2]);
        }
        p = user_buf(a[2], ioctls[i].size);
        return p ? host_syscall(SYS_ioctl, fd, cmd, p) : -EFAULT;
    }
    if (user_proc.opts->log_mask & USER_LOG_UNIMP) {
        user_log("vmd-user: unsupported ioctl %#x on fd %d\n", cmd, fd);
    }
    return -ENOTTY;
}
