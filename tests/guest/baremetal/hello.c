/* tests/guest/baremetal/hello.c — prints a greeting and passes. */
#include "runtime.h"

int main(void)
{
	vmd_puts("hello from bare metal\n");
	return 0;
}
