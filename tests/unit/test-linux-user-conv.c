/*
 * vmd-user's host/guest conversions: struct stat and struct epoll_event layouts, the
 * signal frame, signal number and errno mapping, -strace formatting and the command
 * line.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>

#include "linux-user/strace.h"
#include "linux-user/user-conv.h"
#include "linux-user/user-internal.h"
#include "linux-user/user-options.h"

static uint32_t get32(const void *base, size_t off)
{
    uint32_t v;

    memcpy(&v, (const char *)base + off, 4);
    return v;
}

static uint64_t get64(const void *base, size_t off)
{
    uint64_t v;

    memcpy(&v, (const char *)base + off, 8);
    return v;
}

/* Offsets from Linux's include/uapi/asm-generic/stat.h (what riscv64 uses). */
static void test_stat(void)
{
    struct stat st;
    TargetStat g;

    g_assert_cmpint(stat("/", &st), ==, 0);
    memset(&g, 0xff, sizeof(g));
    user_stat_h2g(&st, &g);
    g_assert_cmpuint(sizeof(g), ==, 128);
    g_assert_cmpuint(get64(&g, 0), ==, st.st_dev);
    g_assert_cmpuint(get64(&g, 8), ==, st.st_ino);
    g_assert_cmpuint(get32(&g, 16), ==, st.st_mode);
    g_assert_cmpuint(get32(&g, 20), ==, st.st_nlink);
    g_assert_cmpuint(get32(&g, 24), ==, st.st_uid);
    g_assert_cmpuint(get32(&g, 28), ==, st.st_gid);
    g_assert_cmpuint(get64(&g, 32), ==, st.st_rdev);
    g_assert_cmpuint(get64(&g, 40), ==, 0); /* __pad1 */
    g_assert_cmpuint(get64(&g, 48), ==, st.st_size);
    g_assert_cmpuint(get32(&g, 56), ==, st.st_blksize);
    g_assert_cmpuint(get32(&g, 60), ==, 0); /* __pad2 */
    g_assert_cmpuint(get64(&g, 64), ==, st.st_blocks);
    g_assert_cmpuint(get64(&g, 72), ==, st.st_atim.tv_sec);
    g_assert_cmpuint(get64(&g, 80), ==, st.st_atim.tv_nsec);
    g_assert_cmpuint(get64(&g, 88), ==, st.st_mtim.tv_sec);
    g_assert_cmpuint(get64(&g, 104), ==, st.st_ctim.tv_sec);
    g_assert_cmpuint(get64(&g, 112), ==, st.st_ctim.tv_nsec);
    g_assert_cmpuint(get64(&g, 120), ==, 0);
    /* The host's differs, which is why this conversion exists. */
    g_assert_cmpuint(sizeof(struct stat), ==, 144);
    g_assert_cmpuint(offsetof(struct stat, st_mode), ==, 24);
}

static void test_epoll(void)
{
    TargetEpollEvent g = {.events = EPOLLIN | EPOLLET, .data = 0x1122334455667788ull}, back;
    struct epoll_event h;

    g_assert_cmpuint(sizeof(struct epoll_event), ==, 12); /* x86-64 packs it */
    g_assert_cmpuint(sizeof(TargetEpollEvent), ==, 16);
    g_assert_cmpuint(offsetof(TargetEpollEvent, data), ==, 8);
    user_epoll_event_g2h(&g, &h);
    g_assert_cmphex(h.events, ==, EPOLLIN | EPOLLET);
    g_assert_cmphex(h.data.u64, ==, 0x1122334455667788ull);
    memset(&back, 0xff, sizeof(back));
    user_epoll_event_h2g(&h, &back);
    g_assert_cmpmem(&back, sizeof(back), &((TargetEpollEvent){.events = g.events, .data = g.data}),
                    sizeof(back));
}

static void test_errno(void)
{
    g_assert_cmpstr(user_errno_name(ENOENT), ==, "ENOENT");
    g_assert_cmpstr(user_errno_name(38), ==, "ENOSYS");
    g_assert_cmpstr(user_errno_name(133), ==, "EHWPOISON");
    g_assert_null(user_errno_name(0));
    g_assert_null(user_errno_name(1000));
    g_assert_cmpint(user_errno_h2g(EAGAIN), ==, 11);
    g_assert_cmpint(user_errno_h2g(512), ==, EINVAL); /* kernel-internal ERESTARTSYS */
    g_assert_cmpstr(user_signal_name(SIGSEGV), ==, "SIGSEGV");
    g_assert_cmpstr(user_signal_name(34), ==, "SIGRT2");
    g_assert_null(user_signal_name(65));
}

static void test_signal_numbers(void)
{
    sigset_t h;

    for (int s = 1; s <= 64; s++) {
        int hs = user_sig_g2h(s);
        if (s == 63 || s == 64) {
            g_assert_cmpint(hs, <, 0);
            continue;
        }
        g_assert_cmpint(hs, >, 0);
        g_assert_cmpint(hs, !=, 32); /* host glibc's own */
        g_assert_cmpint(hs, !=, 33);
        g_assert_cmpint(user_sig_h2g(hs), ==, s);
    }
    g_assert_cmpint(user_sig_g2h(SIGINT), ==, SIGINT);
    g_assert_cmpint(user_sig_g2h(32), ==, 64);
    user_sigset_g2h((1ull << (SIGUSR1 - 1)) | (1ull << 31) | (1ull << 63), &h);
    g_assert_true(sigismember(&h, SIGUSR1));
    g_assert_true(sigismember(&h, 64));
    g_assert_false(sigismember(&h, SIGUSR2));
    g_assert_cmphex(user_sigset_h2g(&h), ==, (1ull << (SIGUSR1 - 1)) | (1ull << 31));
}

/* The rt_sigframe at the offsets of Linux's arch/riscv/kernel/signal.c. */
static void test_sigframe(void)
{
    RiscvCPU *cpu = g_new0(RiscvCPU, 1), *back = g_new0(RiscvCPU, 1);
    TargetRtSigframe f;
    siginfo_t info;
    const size_t uc = 128, mc = uc + 176;

    for (int i = 0; i < 32; i++) {
        cpu->x[i] = 0x1000 + i;
        cpu->f[i] = 0x2000 + i;
    }
    cpu->pc = 0x12344;
    cpu->fflags = 0x1f;
    cpu->frm = 3;
    memset(&info, 0, sizeof(info));
    info.si_code = SI_USER;
    info.si_pid = 77;
    memset(&f, 0xee, sizeof(f));
    user_sigframe_fill(&f, cpu, SIGUSR1, &info, 0x5555);
    g_assert_cmpuint(get32(&f, 0), ==, SIGUSR1);           /* si_signo */
    g_assert_cmpuint(get32(&f, 8), ==, (uint32_t)SI_USER); /* si_code */
    g_assert_cmpuint(get32(&f, 16), ==, 77);               /* si_pid */
    g_assert_cmpuint(get64(&f, uc + 0), ==, 0);            /* uc_flags */
    g_assert_cmpuint(get64(&f, uc + 8), ==, 0);            /* uc_link */
    g_assert_cmphex(get64(&f, uc + 40), ==, 0x5555);       /* uc_sigmask */
    g_assert_cmphex(get64(&f, mc + 0), ==, 0x12344);       /* sc_regs.pc */
    g_assert_cmphex(get64(&f, mc + 8), ==, 0x1001);        /* ra */
    g_assert_cmphex(get64(&f, mc + 8 * 10), ==, 0x100a);   /* a0 */
    g_assert_cmphex(get64(&f, mc + 8 * 31), ==, 0x101f);   /* t6 */
    g_assert_cmphex(get64(&f, mc + 256), ==, 0x2000);      /* f0 */
    g_assert_cmphex(get64(&f, mc + 256 + 8 * 31), ==, 0x201f);
    g_assert_cmphex(get32(&f, mc + 256 + 256), ==, 3 << 5 | 0x1f); /* fcsr */

    user_sigframe_restore(back, &f);
    g_assert_cmphex(back->pc, ==, cpu->pc);
    g_assert_cmpmem(&back->x[1], 31 * 8, &cpu->x[1], 31 * 8);
    g_assert_cmpmem(back->f, sizeof(back->f), cpu->f, sizeof(cpu->f));
    g_assert_cmpuint(back->fflags, ==, 0x1f);
    g_assert_cmpuint(back->frm, ==, 3);
    g_assert_cmphex(back->res_addr, ==, UINT64_MAX);
    g_free(cpu);
    g_free(back);
}

typedef struct FakeMem {
    uint64_t base;
    const char *bytes;
    size_t len;
} FakeMem;

static bool fake_read(void *opaque, uint64_t addr, void *buf, size_t len)
{
    FakeMem *m = opaque;

    if (addr < m->base || addr - m->base + len > m->len) {
        return false;
    }
    memcpy(buf, m->bytes + (addr - m->base), len);
    return true;
}

static char *strace_line(const char *name, const char *fmt, const uint64_t *args, char kind,
                         int64_t ret)
{
    static const char data[] = "/etc/passwd\0hello\n\"world\"\0";
    FakeMem fm = {.base = 0x1000, .bytes = data, .len = sizeof(data)};
    const UserStraceMem mem = {.read = fake_read, .opaque = &fm};
    GString *s = g_string_new(NULL);

    user_strace_call(s, &mem, name, fmt, args);
    user_strace_result(s, kind, ret);
    return g_string_free(s, FALSE);
}

static void test_strace(void)
{
    g_autofree char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL, *f = NULL;

    a = strace_line("openat", "fsom", (uint64_t[]){(uint64_t)-100, 0x1000, O_RDONLY | O_CLOEXEC, 0},
                    'd', 3);
    g_assert_cmpstr(a, ==, "openat(AT_FDCWD,\"/etc/passwd\",O_RDONLY|O_CLOEXEC,00) = 3\n");
    b = strace_line("openat", "fsom", (uint64_t[]){5, 0x9999, O_WRONLY | O_CREAT | O_TRUNC, 0644},
                    'd', -ENOENT);
    g_assert_cmpstr(b, ==,
                    "openat(5,0x9999,O_WRONLY|O_CREAT|O_TRUNC,0644) = -1 errno ENOENT "
                    "(No such file or directory)\n");
    c = strace_line("write", "dwu", (uint64_t[]){1, 0x100c, 13}, 'd', 13);
    g_assert_cmpstr(c, ==, "write(1,\"hello\\n\\\"world\\\"\",13) = 13\n");
    d = strace_line("mmap", "puPMdx", (uint64_t[]){0, 8192, 3, 0x22, (uint64_t)-1, 0}, 'x',
                    0x3ff7ffe000);
    g_assert_cmpstr(d, ==,
                    "mmap(NULL,8192,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0) "
                    "= 0x3ff7ffe000\n");
    e = strace_line("clone", "cppxp", (uint64_t[]){0x1200011, 0, 0, 0, 0x2000}, 'd', 42);
    g_assert_cmpstr(e, ==,
                    "clone(CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD,NULL,NULL,0,"
                    "0x2000) = 42\n");
    f = strace_line("kill", "dS", (uint64_t[]){12, SIGTERM}, 'd', -EPERM);
    g_assert_cmpstr(f, ==, "kill(12,SIGTERM) = -1 errno EPERM (Operation not permitted)\n");
}

static void test_options(void)
{
    char *argv[] = {"vmd-user", "-L",   "/sysroot", "-E",   "A=1,B=2",           "-U",   "HOME",
                    "-0",       "name", "-strace",  "-d",   "unimp,in_asm",      "-s",   "1M",
                    "-seed",    "7",    "-cpu",     "rv64", "--one-insn-per-tb", "prog", "-x",
                    "arg",      NULL};
    char *env[] = {"HOME=/root", "KEEP=yes", "VMD_LD_PREFIX=/ignored", NULL};
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) genv = NULL;
    g_autoptr(GPtrArray) again = NULL;
    UserOptions o, o2;

    g_assert_cmpint(user_options_parse(&o, G_N_ELEMENTS(argv) - 1, argv, env, &error), ==,
                    USER_OPTIONS_RUN);
    g_assert_no_error(error);
    g_assert_cmpstr(o.ld_prefix, ==, "/sysroot"); /* the command line beats the variable */
    g_assert_true(o.strace);
    g_assert_cmphex(o.log_mask, ==, USER_LOG_UNIMP | USER_LOG_IN_ASM);
    g_assert_cmpuint(o.stack_size, ==, 1 << 20);
    g_assert_true(o.have_seed);
    g_assert_cmpuint(o.seed, ==, 7);
    g_assert_true(o.one_insn_per_tb);
    g_assert_cmpstr(o.program, ==, "prog");
    g_assert_cmpuint(g_strv_length(o.guest_argv), ==, 3);
    g_assert_cmpstr(o.guest_argv[0], ==, "name");
    g_assert_cmpstr(o.guest_argv[1], ==, "-x"); /* options after the program are its own */
    genv = user_options_guest_env(&o, env);
    g_assert_null(g_environ_getenv(genv, "HOME"));
    g_assert_cmpstr(g_environ_getenv(genv, "A"), ==, "1");
    g_assert_cmpstr(g_environ_getenv(genv, "B"), ==, "2");
    g_assert_cmpstr(g_environ_getenv(genv, "KEEP"), ==, "yes");

    /* What a guest execve passes on parses back to the same options. */
    again = user_options_exec_argv(&o);
    g_ptr_array_insert(again, 0, g_strdup("vmd-user"));
    g_ptr_array_add(again, g_strdup("prog2"));
    g_ptr_array_add(again, NULL);
    g_assert_cmpint(user_options_parse(&o2, again->len - 1, (char **)again->pdata, NULL, &error),
                    ==, USER_OPTIONS_RUN);
    g_assert_cmpstr(o2.ld_prefix, ==, "/sysroot");
    g_assert_true(o2.strace);
    g_assert_cmphex(o2.log_mask, ==, o.log_mask);
    g_assert_cmpuint(o2.stack_size, ==, o.stack_size);
    g_assert_cmpuint(o2.seed, ==, 7);
    g_assert_true(o2.log_append);
    g_assert_cmpstr(o2.program, ==, "prog2");
    user_options_clear(&o);
    user_options_clear(&o2);
}

static void test_options_env(void)
{
    char *argv[] = {"vmd-user", "prog", NULL};
    char *env[] = {"VMD_LD_PREFIX=/from-env", "VMD_STRACE=1", "VMD_STACK_SIZE=2M", NULL};
    g_autoptr(GError) error = NULL;
    UserOptions o;

    g_assert_cmpint(user_options_parse(&o, 2, argv, env, &error), ==, USER_OPTIONS_RUN);
    g_assert_cmpstr(o.ld_prefix, ==, "/from-env");
    g_assert_true(o.strace);
    g_assert_cmpuint(o.stack_size, ==, 2 << 20);
    g_assert_cmpstr(o.guest_argv[0], ==, "prog");
    user_options_clear(&o);
}

static void test_options_errors(void)
{
    const char *cases[][4] = {
        {"vmd-user", NULL},
        {"vmd-user", "-nosuch", "prog", NULL},
        {"vmd-user", "-L", NULL},
        {"vmd-user", "-d", "nosuch", "prog"},
        {"vmd-user", "-s", "12x", "prog"},
        {"vmd-user", "-cpu", "pentium", "prog"},
        {"vmd-user", "-E", "novalue", "prog"},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        UserOptions o;
        int argc = 0;
        while (argc < 4 && cases[i][argc]) {
            argc++;
        }
        g_assert_cmpint(user_options_parse(&o, argc, (char **)cases[i], NULL, &error), ==,
                        USER_OPTIONS_ERROR);
        g_assert_nonnull(error);
        user_options_clear(&o);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/linux-user/conv/stat", test_stat);
    g_test_add_func("/linux-user/conv/epoll", test_epoll);
    g_test_add_func("/linux-user/conv/errno", test_errno);
    g_test_add_func("/linux-user/conv/signal-numbers", test_signal_numbers);
    g_test_add_func("/linux-user/conv/sigframe", test_sigframe);
    g_test_add_func("/linux-user/conv/strace", test_strace);
    g_test_add_func("/linux-user/conv/options", test_options);
    g_test_add_func("/linux-user/conv/options-env", test_options_env);
    g_test_add_func("/linux-user/conv/options-errors", test_options_errors);
    return g_test_run();
}
