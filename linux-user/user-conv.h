/*
 * Conversions between host (x86-64) and guest (riscv64) structures that differ, and the
 * tables that name errno values and signals. Pure functions: no guest memory access.
 */
#ifndef VMD_LINUX_USER_CONV_H
#define VMD_LINUX_USER_CONV_H

#include <stdint.h>
#include <sys/epoll.h>
#include <sys/stat.h>

#include "linux-user/user-abi.h"

void user_stat_h2g(const struct stat *h, TargetStat *g);
void user_epoll_event_g2h(const TargetEpollEvent *g, struct epoll_event *h);
void user_epoll_event_h2g(const struct epoll_event *h, TargetEpollEvent *g);

/* Host errno to guest errno (the same numbers: both are asm-generic). */
int user_errno_h2g(int host_errno);
/* "ENOENT" for 2; NULL for numbers without a name. */
const char *user_errno_name(int guest_errno);
/* "SIGSEGV" for 11, "SIGRT5" for 39; NULL outside 1..64. */
const char *user_signal_name(int guest_sig);

#endif
