/*
 * crt0.S: entry point of the per-instruction tests.
 *
 * The tests are freestanding riscv64 Linux programs: no libc, two system calls (write,
 * exit). _start sets up the global pointer (the linker may relax accesses to it), calls
 * main() and exits with its return value.
 */
    .section .text._start, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    .option push
    .option norelax
    lla gp, __global_pointer$
    .option pop
    andi sp, sp, -16
    call main
    li a7, 93 /* exit */
    ecall
1:  j 1b
    .size _start, . - _start
