/*
 * harness.h: the tiny runtime shared by the per-instruction tests.
 *
 * Each test is a freestanding riscv64 Linux program (crt0.S + harness.c + one test file)
 * that needs only the write and exit system calls, so that it can run on an emulator
 * whose system call layer is still young. It prints one TAP-like line per case:
 *
 *     ok 12 addw 0x7fffffff, 0x1
 *     not ok 13 sraw 0x80000000, 0x4: got 0x8000000 expected 0xfffffffff8000000
 *
 * and exits 0 only if every case passed. Expected values are written in the test files
 * from the ISA manual; nothing here is computed by running another emulator.
 *
 * The instruction under test is always written in inline asm with its operands in
 * registers, so the compiler can neither fold it nor pick another instruction.
 */
#ifndef INSN_HARNESS_H
#define INSN_HARNESS_H

#include <stddef.h>
#include <stdint.h>

typedef uint64_t u64;
typedef int64_t i64;
typedef uint32_t u32;
typedef uint8_t u8;

#define MIN64  0x8000000000000000ull
#define MAX64  0x7fffffffffffffffull
#define ONES   0xffffffffffffffffull
#define MIN32  0xffffffff80000000ull              /* INT32_MIN, sign-extended as RV64 holds it */
#define BOX(x) (0xffffffff00000000ull | (u32)(x)) /* NaN-box a single-precision value */

/* fflags bits. */
#define NX 0x01
#define UF 0x02
#define OF 0x04
#define DZ 0x08
#define NV 0x10

/* Rounding modes, as encoded in the rm field and in frm. */
enum { RNE, RTZ, RDN, RUP, RMM, RM_DYN = 7 };

extern const char *const t_rm_names[8];

/* Report one case whose name is `op` followed by its operands. */
void t_check_args(const char *op, int nargs, const u64 *args, u64 got, u64 exp);
/* Report one case with a free-form name (name2 is appended after a space unless NULL). */
void t_check(const char *name, const char *name2, u64 got, u64 exp);
/* Report one floating-point case: the result and the accrued fflags must both match. */
void t_check_fp(const char *name, const char *name2, u64 got, unsigned got_fl, u64 exp,
                unsigned exp_fl);
/* Print a diagnostic comment line ("# ..."). */
void t_note(const char *msg);
/* Print the plan and summary; returns the exit status for main(). */
int t_finish(void);

void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

/* Assembler options around instructions of an extension the base -march lacks. */
#define EXT(ext, insns) ".option push\n\t.option arch, +" ext "\n\t" insns "\n\t.option pop"

/* rd = op rs1, rs2 */
#define T_RR(op, a, b, exp)                                                                        \
    do {                                                                                           \
        u64 a_ = (a), b_ = (b), r_;                                                                \
        __asm__ volatile(op " %0, %1, %2" : "=r"(r_) : "r"(a_), "r"(b_));                          \
        t_check_args(op, 2, (const u64[]){a_, b_}, r_, (exp));                                     \
    } while (0)

/* rd = op rs1, imm (imm must be a compile-time constant) */
#define T_RI(op, a, imm, exp)                                                                      \
    do {                                                                                           \
        u64 a_ = (a), r_;                                                                          \
        __asm__ volatile(op " %0, %1, %2" : "=r"(r_) : "r"(a_), "i"(imm));                         \
        t_check_args(op, 2, (const u64[]){a_, (u64)(imm)}, r_, (exp));                             \
    } while (0)

/* rd = op rs1 */
#define T_R(op, a, exp)                                                                            \
    do {                                                                                           \
        u64 a_ = (a), r_;                                                                          \
        __asm__ volatile(op " %0, %1" : "=r"(r_) : "r"(a_));                                       \
        t_check_args(op, 1, (const u64[]){a_}, r_, (exp));                                         \
    } while (0)

/* The same three shapes for an instruction of extension `ext` (e.g. "zbb"). */
#define T_RR_EXT(ext, op, a, b, exp)                                                               \
    do {                                                                                           \
        u64 a_ = (a), b_ = (b), r_;                                                                \
        __asm__ volatile(EXT(ext, op " %0, %1, %2") : "=r"(r_) : "r"(a_), "r"(b_));                \
        t_check_args(op, 2, (const u64[]){a_, b_}, r_, (exp));                                     \
    } while (0)

#define T_RI_EXT(ext, op, a, imm, exp)                                                             \
    do {                                                                                           \
        u64 a_ = (a), r_;                                                                          \
        __asm__ volatile(EXT(ext, op " %0, %1, %2") : "=r"(r_) : "r"(a_), "i"(imm));               \
        t_check_args(op, 2, (const u64[]){a_, (u64)(imm)}, r_, (exp));                             \
    } while (0)

#define T_R_EXT(ext, op, a, exp)                                                                   \
    do {                                                                                           \
        u64 a_ = (a), r_;                                                                          \
        __asm__ volatile(EXT(ext, op " %0, %1") : "=r"(r_) : "r"(a_));                             \
        t_check_args(op, 1, (const u64[]){a_}, r_, (exp));                                         \
    } while (0)

#endif
