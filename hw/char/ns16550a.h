/*
 * The NS16550A UART of the virt board: 8 byte-wide registers, a 16-byte receive FIFO,
 * line status, and the interrupt identification logic Linux's 8250 driver relies on.
 * The device talks to its back end (a chardev) only through tx / receive, and to its
 * interrupt controller only through set_irq.
 */
#ifndef VMD_HW_CHAR_NS16550A_H
#define VMD_HW_CHAR_NS16550A_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "migration/vmstate.h"

#define NS16550A_FIFO 16

typedef struct Ns16550a {
    GMutex lock;
    /* Wiring, set by the board. */
    void (*tx)(void *opaque, uint8_t byte);       /* a byte for the back end */
    void (*set_irq)(void *opaque, bool level);    /* the interrupt line */
    void *opaque;
    /* Registers. */
    uint8_t ier, lcr, mcr, lsr, msr, scr, fcr;
    uint8_t dll, dlm;
    uint8_t rx_fifo[NS16550A_FIFO];
    uint32_t rx_head, rx_count;
    bool thr_ipending;  /* the THR-empty interrupt is pending until IIR reports it */
    bool irq_level;
} Ns16550a;

extern const VMStateDescription ns16550a_vmstate;

void ns16550a_init(Ns16550a *u, void (*tx)(void *, uint8_t), void (*set_irq)(void *, bool),
                   void *opaque);
bool ns16550a_read(Ns16550a *u, uint64_t offset, unsigned size, uint64_t *ret_value);
bool ns16550a_write(Ns16550a *u, uint64_t offset, unsigned size, uint64_t value);
/* Input from the back end: how many bytes fit now, and delivery (returns bytes taken). */
unsigned ns16550a_can_receive(Ns16550a *u);
unsigned ns16550a_receive(Ns16550a *u, const uint8_t *buf, unsigned len);

#endif
