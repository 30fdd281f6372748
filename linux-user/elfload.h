/*
 * Loading a riscv64 Linux program into the guest address space, as the kernel's
 * binfmt_elf does: the program's PT_LOAD segments (at their addresses, or at a load bias
 * for PIE), its PT_INTERP dynamic linker (looked up under the -L prefix first), and the
 * initial stack with argc, argv, envp and the auxiliary vector.
 *
 * Everything read from the file is validated before use; a bad file is an error with a
 * message that names it, never a crash.
 */
#ifndef VMD_LINUX_USER_ELFLOAD_H
#define VMD_LINUX_USER_ELFLOAD_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "linux-user/user-mem.h"

#define USER_PIE_BASE  0x2aaaaaa000ull /* ELF_ET_DYN_BASE for Sv39: 2/3 of the space */
#define USER_MAX_PHNUM 512             /* more program headers than anyone links */

typedef struct UserImage {
    uint64_t entry;       /* first guest pc: the interpreter's entry, or the program's */
    uint64_t prog_entry;  /* AT_ENTRY: the program's entry point */
    uint64_t phdr;        /* AT_PHDR: where the program headers are in guest memory */
    uint64_t phnum;       /* AT_PHNUM */
    uint64_t load_bias;   /* what was added to the program's addresses (PIE) */
    uint64_t interp_base; /* AT_BASE: the interpreter's load address, 0 without one */
    uint64_t start_code;  /* lowest address of the program */
    uint64_t end_code;    /* end of its executable segments */
    uint64_t brk;         /* initial program break: page after the highest segment */
    bool exec_stack;      /* PT_GNU_STACK asks for an executable stack (or is absent) */
    char *interp;         /* PT_INTERP as written in the program, NULL when static */
    char *interp_path;    /* the host path the interpreter was loaded from */
} UserImage;

typedef struct UserStackParams {
    uint64_t uid, euid, gid, egid;
    uint64_t hwcap;
    uint8_t random[16]; /* the AT_RANDOM bytes */
} UserStackParams;

typedef struct UserStackLayout {
    uint64_t sp;       /* initial stack pointer (points at argc) */
    uint64_t argv;     /* guest address of argv[0]'s pointer */
    uint64_t envp;     /* guest address of envp[0]'s pointer */
    uint64_t auxv;     /* guest address of the auxiliary vector */
    uint64_t auxv_len; /* its length in bytes, AT_NULL included */
    uint64_t execfn;   /* guest address of the AT_EXECFN string */
} UserStackLayout;

/* True when buf (at least 64 bytes of a file) starts a riscv64 ELF64 executable. */
bool user_elf_is_riscv64(const uint8_t *buf, size_t len);

/*
 * Loads the program at path (and its interpreter, searched first under ld_prefix when
 * that is not NULL) into m. pie_base: where a PIE program goes (0 = USER_PIE_BASE).
 */
bool user_elf_load(UserMem *m, const char *path, const char *ld_prefix, uint64_t pie_base,
                   UserImage *img, GError **error);
void user_image_clear(UserImage *img);

/*
 * Writes strings, argv, envp and the auxiliary vector below stack_top, the way Linux
 * lays out a new process's stack, never below stack_low. argv and envp are
 * NULL-terminated. Returns false (E2BIG-like message) when they do not fit.
 */
bool user_stack_build(UserMem *m, uint64_t stack_low, uint64_t stack_top, char **argv, char **envp,
                      const char *execfn, const UserImage *img, const UserStackParams *params,
                      UserStackLayout *ret, GError **error);

/* The host path to open for a guest path under prefix: prefix + path when that exists,
 * else path itself (like qemu's -L). Returns a newly allocated string. */
char *user_prefixed_path(const char *prefix, const char *path);

#endif
