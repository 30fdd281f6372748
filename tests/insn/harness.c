/*
 * harness.c: output and bookkeeping for the per-instruction tests (see harness.h).
 *
 * Only integer base instructions are used here, so that a broken extension cannot break
 * the reporting of its own failures. Every line is built in a buffer and sent with one
 * write system call.
 */
#include "harness.h"

const char *const t_rm_names[8] = {"rne", "rtz", "rdn", "rup", "rmm", "rm5", "rm6", "dyn"};

static unsigned t_count;  /* cases reported so far */
static unsigned t_failed; /* cases that did not match */

static char line[512];  /* the line being built */
static size_t line_len; /* bytes used in line */

static long sys_write(int fd, const void *buf, size_t len)
{
    register long a0 __asm__("a0") = fd;
    register long a1 __asm__("a1") = (long)buf;
    register long a2 __asm__("a2") = (long)len;
    register long a7 __asm__("a7") = 64;

    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}

void *memset(void *s, int c, size_t n)
{
    unsigned char *p = s;

    while (n--) {
        *p++ = (unsigned char)c;
    }
    return s;
}

void *memcpy(void *d, const void *s, size_t n)
{
    unsigned char *p = d;
    const unsigned char *q = s;

    while (n--) {
        *p++ = *q++;
    }
    return d;
}

static void put_str(const char *s)
{
    while (*s && line_len < sizeof(line) - 1) {
        line[line_len++] = *s++;
    }
}

static void put_hex(u64 v)
{
    char tmp[19];
    int i = sizeof(tmp);

    do {
        tmp[--i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    tmp[--i] = 'x';
    tmp[--i] = '0';
    while (i < (int)sizeof(tmp) && line_len < sizeof(line) - 1) {
        line[line_len++] = tmp[i++];
    }
}

static void put_dec(unsigned v)
{
    char tmp[12];
    int i = sizeof(tmp);

    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (i < (int)sizeof(tmp) && line_len < sizeof(line) - 1) {
        line[line_len++] = tmp[i++];
    }
}

static void flush_line(void)
{
    line[line_len++] = '\n';
    sys_write(1, line, line_len);
    line_len = 0;
}

static void begin_case(int ok)
{
    t_count++;
    if (!ok) {
        t_failed++;
        put_str("not ");
    }
    put_str("ok ");
    put_dec(t_count);
    put_str(" ");
}

void t_check_args(const char *op, int nargs, const u64 *args, u64 got, u64 exp)
{
    begin_case(got == exp);
    put_str(op);
    for (int i = 0; i < nargs; i++) {
        put_str(i ? ", " : " ");
        put_hex(args[i]);
    }
    if (got != exp) {
        put_str(": got ");
        put_hex(got);
        put_str(" expected ");
        put_hex(exp);
    }
    flush_line();
}

void t_check(const char *name, const char *name2, u64 got, u64 exp)
{
    begin_case(got == exp);
    put_str(name);
    if (name2) {
        put_str(" ");
        put_str(name2);
    }
    if (got != exp) {
        put_str(": got ");
        put_hex(got);
        put_str(" expected ");
        put_hex(exp);
    }
    flush_line();
}

void t_check_fp(const char *name, const char *name2, u64 got, unsigned got_fl, u64 exp,
                unsigned exp_fl)
{
    int ok = got == exp && got_fl == exp_fl;

    begin_case(ok);
    put_str(name);
    if (name2) {
        put_str(" ");
        put_str(name2);
    }
    if (!ok) {
        put_str(": got ");
        put_hex(got);
        put_str(" fflags ");
        put_hex(got_fl);
        put_str(" expected ");
        put_hex(exp);
        put_str(" fflags ");
        put_hex(exp_fl);
    }
    flush_line();
}

void t_note(const char *msg)
{
    put_str("# ");
    put_str(msg);
    flush_line();
}

int t_finish(void)
{
    put_str("1..");
    put_dec(t_count);
    flush_line();
    put_str("# ");
    put_dec(t_count);
    put_str(" cases, ");
    put_dec(t_failed);
    put_str(" failed");
    flush_line();
    return t_failed ? 1 : 0;
}
