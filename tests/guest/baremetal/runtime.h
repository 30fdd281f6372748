/* tests/guest/baremetal/runtime.h — tiny runtime of the bare-metal test programs:
   NS16550A UART output and the SiFive test finisher, as on QEMU's riscv virt board. */
#ifndef VMD_BAREMETAL_RUNTIME_H
#define VMD_BAREMETAL_RUNTIME_H
#include <stdint.h>

#define VMD_UART_BASE     0x10000000UL
#define VMD_FINISHER_BASE 0x100000UL

void vmd_putc(char c);
void vmd_puts(const char *s);
void vmd_puthex(uint64_t v);   /* "0x" + 16 hex digits */
/* Ends the run: 0 = pass (QEMU exits 0), else fail with exit status code (1..0xffff). */
__attribute__((noreturn)) void vmd_exit(int code);
/* Prints "FAIL: msg" and exits with code. */
__attribute__((noreturn)) void vmd_fail(const char *msg, int code);
#endif
