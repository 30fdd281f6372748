/* tests/guest/baremetal/runtime.c — UART output, pass/fail through the SiFive test
   finisher (0x5555 pass, code<<16|0x3333 fail) and the unexpected-trap report. */
#include "runtime.h"

#define UART ((volatile uint8_t *)VMD_UART_BASE)
#define FINISHER ((volatile uint32_t *)VMD_FINISHER_BASE)
#define UART_THR 0
#define UART_LSR 5
#define LSR_THRE 0x20

void vmd_putc(char c)
{
	if (c == '\n')
		vmd_putc('\r');
	while (!(UART[UART_LSR] & LSR_THRE))
		;
	UART[UART_THR] = (uint8_t)c;
}

void vmd_puts(const char *s)
{
	while (*s)
		vmd_putc(*s++);
}

void vmd_puthex(uint64_t v)
{
	vmd_puts("0x");
	for (int i = 60; i >= 0; i -= 4)
		vmd_putc("0123456789abcdef"[(v >> i) & 0xf]);
}

void vmd_exit(int code)
{
	*FINISHER = code == 0 ? 0x5555 : ((uint32_t)(code & 0xffff) << 16) | 0x3333;
	for (;;)
		__asm__ volatile("wfi");
}

void vmd_fail(const char *msg, int code)
{
	vmd_puts("FAIL: ");
	vmd_puts(msg);
	vmd_putc('\n');
	vmd_exit(code ? code : 1);
}

void vmd_trap(void);
void vmd_trap(void)
{
	uint64_t cause, epc, tval;
	__asm__ volatile("csrr %0, mcause; csrr %1, mepc; csrr %2, mtval"
			 : "=r"(cause), "=r"(epc), "=r"(tval));
	vmd_puts("unexpected trap: mcause=");
	vmd_puthex(cause);
	vmd_puts(" mepc=");
	vmd_puthex(epc);
	vmd_puts(" mtval=");
	vmd_puthex(tval);
	vmd_putc('\n');
	vmd_exit(0x7f);
}
