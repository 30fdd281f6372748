/* tests/guest/baremetal/start.S — entry in M-mode: hart 0 clears .bss, sets the stack,
   enables the FPU, installs the trap vector and calls main(); vmd_exit(main's result).
   Other harts park. */
	.section .text.start, "ax"
	.globl _start
_start:
	csrr	t0, mhartid
	bnez	t0, park
	la	sp, __stack_top
	la	t0, __bss_start
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:	li	t0, 0x2000		/* mstatus.FS = initial */
	csrs	mstatus, t0
	csrwi	fcsr, 0
	la	t0, trap_entry
	csrw	mtvec, t0
	call	main
	call	vmd_exit
park:	wfi
	j	park

	.align	2
trap_entry:				/* unexpected trap: report it and fail */
	la	sp, __stack_top
	call	vmd_trap
	j	park
