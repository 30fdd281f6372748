/*
 * The command line of vmd-user, modelled on qemu-riscv64's: options come before the
 * program, the first non-option word is the program, everything after it belongs to the
 * guest. Most options also have an environment variable (VMD_LD_PREFIX for -L, ...).
 *
 * Parsing is separate from running so that it can be tested, and so that a guest
 * execve() can hand the same options to the vmd-user it re-executes.
 */
#ifndef VMD_LINUX_USER_OPTIONS_H
#define VMD_LINUX_USER_OPTIONS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define USER_DEFAULT_LD_PREFIX  "/usr/riscv64-linux-gnu"
#define USER_DEFAULT_STACK_SIZE (8ull << 20)

/* -d items. */
enum {
    USER_LOG_UNIMP = 1 << 0,        /* unsupported syscalls and ioctls */
    USER_LOG_IN_ASM = 1 << 1,       /* guest code as it is translated */
    USER_LOG_EXEC = 1 << 2,         /* each translation block as it runs */
    USER_LOG_OP = 1 << 3,           /* the IR of each block */
    USER_LOG_OP_OPT = 1 << 4,       /* the IR after optimization */
    USER_LOG_STRACE = 1 << 5,       /* same as -strace */
    USER_LOG_PAGE = 1 << 6,         /* the guest memory map after loading */
    USER_LOG_GUEST_ERRORS = 1 << 7, /* guest mistakes that are not fatal */
    USER_LOG_CPU = 1 << 8,          /* accepted for qemu compatibility */
    USER_LOG_INT = 1 << 9,          /* exceptions and signals delivered */
    USER_LOG_NOCHAIN = 1 << 10,     /* accepted for qemu compatibility */
};

typedef enum UserOptionsResult {
    USER_OPTIONS_RUN,   /* run the program */
    USER_OPTIONS_EXIT,  /* -h or -version printed what was asked: exit 0 */
    USER_OPTIONS_ERROR, /* bad command line: error is set, exit 1 */
} UserOptionsResult;

typedef struct UserOptions {
    char *ld_prefix;      /* -L: where the guest's dynamic linker and libraries are */
    uint64_t stack_size;  /* -s: guest stack size */
    bool strace;          /* -strace: log system calls */
    unsigned log_mask;    /* -d: USER_LOG_* */
    char *log_items;      /* -d as given, for a re-exec */
    char *log_file;       /* -D: log here instead of stderr */
    bool log_append;      /* started by a guest execve: append to the log */
    char *cpu_model;      /* -cpu */
    bool have_seed;       /* -seed was given */
    uint64_t seed;        /* -seed: makes AT_RANDOM reproducible */
    bool one_insn_per_tb; /* -one-insn-per-tb / -singlestep */
    bool tci;             /* -accel tcg,tci=on: the interpreter instead of the JIT */
    uint64_t guest_base;  /* -B: host address of guest address 0 (0 = any) */
    uint64_t reserved_va; /* -R: size of the guest address space (0 = default) */
    char *argv0;          /* -0: the guest's argv[0] */
    GPtrArray *env_set;   /* -E var=value, in order */
    GPtrArray *env_unset; /* -U var, in order */
    char *program;        /* the program to run */
    char **guest_argv;    /* its arguments, argv[0] included (NULL-terminated) */
} UserOptions;

/* Parses argv; env is the environment that VMD_* variables are read from. */
UserOptionsResult user_options_parse(UserOptions *o, int argc, char **argv, char **env,
                                     GError **error);
void user_options_clear(UserOptions *o);

/* The guest's initial environment: env with -E/-U applied. */
char **user_options_guest_env(const UserOptions *o, char **env);

/* The options (not the program) to pass to vmd-user when the guest execs a program. */
GPtrArray *user_options_exec_argv(const UserOptions *o);

/* Text of -h. */
const char *user_options_help(void);

#endif
