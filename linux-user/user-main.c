/*
 * Starting a guest process: parse the command line, reserve the guest address space,
 * map the stack, load the program, build the initial stack, install the signal
 * machinery and the translator, and enter the CPU loop on the main thread.
 */
#include "linux-user/user-main.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "linux-user/user-internal.h"
#include "tcg/exec/tb.h"

#define STACK_GAP (128ull << 20) /* between the stack and the top-down mmap area */

static void invalidate_code(void *opaque, uint64_t start, uint64_t len)
{
    tb_invalidate_range(opaque, start, len);
}

/* The translator asks before it fetches guest code. */
static bool code_readable(uint64_t addr, uint64_t len)
{
    return user_mem_access_ok(&user_proc.mem, addr, len, PROT_EXEC);
}

static int open_log(const UserOptions *o)
{
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (o->log_append ? O_APPEND : O_TRUNC);
    int fd, high;

    if (!o->log_file) {
        return 2;
    }
    fd = open(o->log_file, flags, 0644);
    if (fd < 0) {
        fprintf(stderr, "vmd-user: cannot open log file %s: %s\n", o->log_file, g_strerror(errno));
        return -1;
    }
    /* Out of the way of the descriptors guest programs use. */
    high = fcntl(fd, F_DUPFD_CLOEXEC, 512);
    if (high >= 0) {
        close(fd);
        fd = high;
    }
    return fd;
}

static bool map_stack(UserMem *m, uint64_t size, uint64_t *ret_low, uint64_t *ret_top,
                      GError **error)
{
    uint64_t top = m->size, low;
    int r;

    if (size + STACK_GAP + (16ull << 20) > top) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOMEM,
                    "stack size %" G_GUINT64_FORMAT " does not fit the guest address space", size);
        return false;
    }
    low = top - size;
    r = user_mem_map_fixed_anon(m, low, size, PROT_READ | PROT_WRITE, USER_VMA_STACK);
    if (r != 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOMEM, "cannot map the guest stack: %s",
                    g_strerror(-r));
        return false;
    }
    user_mem_set_name(m, low, top, "[stack]", 0);
    m->mmap_base = low - MAX(STACK_GAP, size);
    *ret_low = low;
    *ret_top = top;
    return true;
}

/* The page with the rt_sigreturn trampoline (Linux has it in the vDSO). */
static bool map_sigtramp(UserMem *m, GError **error)
{
    const uint32_t insns[2] = {TARGET_SIGRETURN_INSN0, TARGET_SIGRETURN_INSN1};
    uint64_t a = user_mem_find_free(m, TARGET_PAGE_SIZE);

    if (!a || user_mem_map_fixed_anon(m, a, TARGET_PAGE_SIZE, PROT_READ | PROT_WRITE, 0) != 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOMEM,
                    "cannot map the signal trampoline page");
        return false;
    }
    memcpy(user_mem_g2h(m, a), insns, sizeof(insns));
    user_mem_mprotect(m, a, TARGET_PAGE_SIZE, PROT_READ | PROT_EXEC);
    user_mem_set_name(m, a, a + TARGET_PAGE_SIZE, "[sigpage]", 0);
    user_proc.sigtramp = a;
    return true;
}

static void random_bytes(const UserOptions *o, uint8_t out[16])
{
    if (o->have_seed) {
        g_autoptr(GRand) r = g_rand_new_with_seed((guint32)(o->seed ^ (o->seed >> 32)));
        for (int i = 0; i < 16; i++) {
            out[i] = (uint8_t)g_rand_int(r);
        }
        return;
    }
    if (getrandom(out, 16, 0) != 16) {
        for (int i = 0; i < 16; i++) {
            out[i] = (uint8_t)g_random_int();
        }
    }
}

/* Everything before the first guest instruction. */
static bool user_setup(UserOptions *o, char **env, UserStackLayout *ret_stack, GError **error)
{
    UserMem *m = &user_proc.mem;
    UserStackParams params = {0};
    g_auto(GStrv) guest_env = NULL;
    uint64_t stack_low, stack_top;

    user_proc.exe_path = g_canonicalize_filename(o->program, NULL);
    if (access(o->program, F_OK) != 0) {
        int err = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "could not open '%s': %s",
                    o->program, g_strerror(err));
        return false;
    }
    if (!user_mem_init(m, o->reserved_va ? o->reserved_va : USER_MEM_DEFAULT_SIZE, o->guest_base,
                       error) ||
        !map_stack(m, o->stack_size, &stack_low, &stack_top, error) ||
        !user_elf_load(m, o->program, o->ld_prefix, /* pie_base= */ 0, &user_proc.image, error)) {
        return false;
    }
    if (user_proc.image.exec_stack) {
        user_mem_mprotect(m, stack_low, stack_top - stack_low, PROT_READ | PROT_WRITE | PROT_EXEC);
    }
    if (!map_sigtramp(m, error)) {
        return false;
    }
    params.uid = getuid();
    params.euid = geteuid();
    params.gid = getgid();
    params.egid = getegid();
    params.hwcap = TARGET_HWCAP_RV64GC;
    random_bytes(o, params.random);
    guest_env = user_options_guest_env(o, env);
    return user_stack_build(m, stack_low, stack_top, o->guest_argv, guest_env, o->program,
                            &user_proc.image, &params, ret_stack, error);
}

int user_main(int argc, char **argv, char **env)
{
    static UserOptions opts;
    g_autoptr(GError) error = NULL;
    UserTask *t;

    switch (user_options_parse(&opts, argc, argv, env, &error)) {
    case USER_OPTIONS_EXIT:
        return 0;
    case USER_OPTIONS_ERROR:
        fprintf(stderr, "vmd-user: %s\n", error->message);
        return 1;
    case USER_OPTIONS_RUN:
        break;
    }
    user_proc.opts = &opts;
    user_proc.log_fd = open_log(&opts);
    if (user_proc.log_fd < 0) {
        return 1;
    }
    user_exec_init(argv[0]);
    g_mutex_init(&user_proc.threads_lock);
    if (!user_setup(&opts, env, &user_proc.stack, &error)) {
        fprintf(stderr, "vmd-user: %s\n", error->message);
        return 1;
    }
    if (opts.log_mask & USER_LOG_PAGE) {
        g_autofree char *maps = user_mem_format_maps(&user_proc.mem);
        user_log("guest memory map (entry %#" G_GINT64_MODIFIER "x):\n%s", user_proc.image.entry,
                 maps);
    }

    riscv_guest_base = user_proc.mem.host_base;
    riscv_guest_size = user_proc.mem.size;
    riscv_user_code_readable = code_readable;
    user_proc.tbs = riscv_tb_cache_new(/* user_mode= */ true, opts.tci);
    tb_cache_set_debug(user_proc.tbs, (opts.log_mask & USER_LOG_OP ? TB_DEBUG_IR : 0) |
                                          (opts.log_mask & USER_LOG_OP_OPT ? TB_DEBUG_IR_OPT : 0));
    user_proc.mem.invalidate = invalidate_code;
    user_proc.mem.invalidate_opaque = user_proc.tbs;

    user_signal_init_process();
    t = user_task_new();
    t->tid = gettid();
    t->cpu.pc = user_proc.image.entry;
    t->cpu.x[2] = user_proc.stack.sp;
    user_proc.nthreads = 1;
    user_proc.main_tid = t->tid;
    user_signal_init_thread(t);
    user_cpu_loop(t);
}
