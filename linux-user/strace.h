/*
 * -strace: formatting guest system calls and their results the way qemu's -strace does:
 *     1234 openat(AT_FDCWD,"/etc/passwd",O_RDONLY|O_CLOEXEC) = 3
 *     1234 openat(AT_FDCWD,"/nonexistent",O_RDONLY) = -1 errno ENOENT (No such file or directory)
 *
 * Each argument is formatted by a letter of the syscall's format string (see strace.c).
 * Guest memory is read through a callback so that the formatter is testable alone.
 */
#ifndef VMD_LINUX_USER_STRACE_H
#define VMD_LINUX_USER_STRACE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* Reads len guest bytes at addr into buf; false when they are not readable. */
typedef bool (*UserStraceRead)(void *opaque, uint64_t addr, void *buf, size_t len);

typedef struct UserStraceMem {
    UserStraceRead read;
    void *opaque;
} UserStraceMem;

/* Appends "name(args)" for the argument format fmt. */
void user_strace_call(GString *out, const UserStraceMem *mem, const char *name, const char *fmt,
                      const uint64_t *args);
/* Appends " = result\n"; ret_kind 'x' prints successful results in hex. */
void user_strace_result(GString *out, char ret_kind, int64_t ret);

#endif
