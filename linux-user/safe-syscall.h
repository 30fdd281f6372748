/*
 * Race-free interruptible host system calls (see safe-syscall.c).
 */
#ifndef VMD_LINUX_USER_SAFE_SYSCALL_H
#define VMD_LINUX_USER_SAFE_SYSCALL_H

#include <signal.h>
#include <ucontext.h>

/* Called by the host signal handler with its ucontext: if the thread was about to enter
 * a safe syscall, makes it return -ERESTARTSYS instead. */
void user_safe_syscall_adjust_pc(void *host_ucontext);

long user_safe_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

#endif
