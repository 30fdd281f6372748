/*
 * NS16550A. Transmission is immediate (the back end buffers), so THR is always empty
 * and a THR-empty interrupt follows every write to THR while IER asks for it; reading
 * IIR while it reports THR-empty acknowledges it, as on the real part. Received bytes
 * queue in the 16-byte FIFO; the data interrupt is reported as "data available" at the
 * FIFO trigger level and as "character timeout" below it (there is no real line
 * timing to wait for). Loopback (MCR bit 4) feeds THR back into the FIFO.
 */
#include "hw/char/ns16550a.h"

#include <string.h>

enum { RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };
enum { LSR_DR = 0x01, LSR_OE = 0x02, LSR_THRE = 0x20, LSR_TEMT = 0x40 };
enum { IER_RDI = 0x01, IER_THRI = 0x02, IER_RLSI = 0x04, IER_MSI = 0x08 };
enum { IIR_NONE = 0x01, IIR_THRI = 0x02, IIR_RDI = 0x04, IIR_RLSI = 0x06, IIR_CTI = 0x0c };
enum { LCR_DLAB = 0x80, MCR_LOOP = 0x10, FCR_ENABLE = 0x01, FCR_CLEAR_RX = 0x02 };

static const VMStateField ns16550a_fields[] = {
    VMSTATE_U8(Ns16550a, ier),          VMSTATE_U8(Ns16550a, lcr),
    VMSTATE_U8(Ns16550a, mcr),          VMSTATE_U8(Ns16550a, lsr),
    VMSTATE_U8(Ns16550a, msr),          VMSTATE_U8(Ns16550a, scr),
    VMSTATE_U8(Ns16550a, fcr),          VMSTATE_U8(Ns16550a, dll),
    VMSTATE_U8(Ns16550a, dlm),          VMSTATE_U8_ARRAY(Ns16550a, rx_fifo, NS16550A_FIFO),
    VMSTATE_U32(Ns16550a, rx_head),     VMSTATE_U32(Ns16550a, rx_count),
    VMSTATE_BOOL_(Ns16550a, thr_ipending),
};
const VMStateDescription ns16550a_vmstate = {
    .name = "ns16550a",
    .version = 1,
    .fields = ns16550a_fields,
    .n_fields = sizeof(ns16550a_fields) / sizeof(ns16550a_fields[0]),
};

void ns16550a_init(Ns16550a *u, void (*tx)(void *, uint8_t), void (*set_irq)(void *, bool),
                   void *opaque)
{
    memset(u, 0, sizeof(*u));
    g_mutex_init(&u->lock);
    u->tx = tx;
    u->set_irq = set_irq;
    u->opaque = opaque;
    u->lsr = LSR_THRE | LSR_TEMT;
    u->msr = 0xb0; /* CTS, DSR, DCD */
    u->dll = 12;   /* 9600 baud at 1.8432 MHz */
}

static unsigned rx_trigger(const Ns16550a *u)
{
    static const unsigned levels[4] = {1, 4, 8, 14};
    return (u->fcr & FCR_ENABLE) ? levels[u->fcr >> 6] : 1;
}

static uint8_t iir_locked(const Ns16550a *u)
{
    uint8_t fifo = (u->fcr & FCR_ENABLE) ? 0xc0 : 0;
    if ((u->ier & IER_RLSI) && (u->lsr & LSR_OE)) {
        return IIR_RLSI | fifo;
    }
    if ((u->ier & IER_RDI) && u->rx_count) {
        return (u->rx_count >= rx_trigger(u) ? IIR_RDI : IIR_CTI) | fifo;
    }
    if ((u->ier & IER_THRI) && u->thr_ipending) {
        return IIR_THRI | fifo;
    }
    return IIR_NONE | fifo;
}

/* Drives the interrupt line; call with the lock held. The callback must not call back
 * into the UART. */
static void update_irq_locked(Ns16550a *u)
{
    bool level = (iir_locked(u) & 0x0f) != IIR_NONE;
    if (level != u->irq_level) {
        u->irq_level = level;
        if (u->set_irq) {
            u->set_irq(u->opaque, level);
        }
    }
}

static unsigned push_locked(Ns16550a *u, const uint8_t *buf, unsigned len)
{
    unsigned n = 0;
    while (n < len && u->rx_count < NS16550A_FIFO) {
        u->rx_fifo[(u->rx_head + u->rx_count) % NS16550A_FIFO] = buf[n++];
        u->rx_count++;
    }
    if (n < len && !(u->mcr & MCR_LOOP)) {
        return n;
    }
    if (n < len) {
        u->lsr |= LSR_OE; /* loopback overrun: the byte is lost, as on hardware */
    }
    return n;
}

static uint8_t read_locked(Ns16550a *u, unsigned reg)
{
    bool dlab = u->lcr & LCR_DLAB;
    switch (reg) {
    case RBR_THR:
        if (dlab) {
            return u->dll;
        }
        if (!u->rx_count) {
            return 0;
        }
        {
            uint8_t c = u->rx_fifo[u->rx_head];
            u->rx_head = (u->rx_head + 1) % NS16550A_FIFO;
            u->rx_count--;
            return c;
        }
    case IER:
        return dlab ? u->dlm : u->ier;
    case IIR_FCR: {
        uint8_t iir = iir_locked(u);
        if ((iir & 0x0f) == IIR_THRI) {
            u->thr_ipending = false; /* reading IIR acknowledges THR-empty */
        }
        return iir;
    }
    case LCR:
        return u->lcr;
    case MCR:
        return u->mcr;
    case LSR: {
        uint8_t lsr = u->lsr | (u->rx_count ? LSR_DR : 0);
        u->lsr &= ~LSR_OE;
        return lsr;
    }
    case MSR:
        if (u->mcr & MCR_LOOP) {
            /* Loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
            return (uint8_t)(((u->mcr & 0x01) << 5) | ((u->mcr & 0x02) << 3) |
                             ((u->mcr & 0x04) << 4) | ((u->mcr & 0x08) << 4));
        }
        return u->msr;
    default:
        return u->scr;
    }
}

static void write_locked(Ns16550a *u, unsigned reg, uint8_t v)
{
    bool dlab = u->lcr & LCR_DLAB;
    switch (reg) {
    case RBR_THR:
        if (dlab) {
            u->dll = v;
            break;
        }
        if (u->mcr & MCR_LOOP) {
            push_locked(u, &v, 1);
        } else if (u->tx) {
            u->tx(u->opaque, v);
        }
        u->thr_ipending = true;
        break;
    case IER:
        if (dlab) {
            u->dlm = v;
            break;
        }
        if ((v & IER_THRI) && !(u->ier & IER_THRI)) {
            u->thr_ipending = true; /* enabling it with THR empty raises it at once */
        }
        u->ier = v & 0x0f;
        break;
    case IIR_FCR:
        if (v & FCR_CLEAR_RX) {
            u->rx_head = u->rx_count = 0;
        }
        u->fcr = v & 0xc1;
        break;
    case LCR:
        u->lcr = v;
        break;
    case MCR:
        u->mcr = v & 0x1f;
        break;
    case SCR:
        u->scr = v;
        break;
    default:
        break; /* LSR and MSR are read-only */
    }
}

/* Accesses outside the eight byte registers (or wider than a byte) read as zero and
 * are ignored, within the device's 256-byte window. */
static bool outside_registers(uint64_t offset, unsigned size)
{
    return size != 1 || offset >= 8;
}

bool ns16550a_read(Ns16550a *u, uint64_t offset, unsigned size, uint64_t *ret_value)
{
    if (outside_registers(offset, size)) {
        *ret_value = 0;
        return offset < 0x100;
    }
    g_mutex_lock(&u->lock);
    *ret_value = read_locked(u, (unsigned)offset);
    update_irq_locked(u);
    g_mutex_unlock(&u->lock);
    return true;
}

bool ns16550a_write(Ns16550a *u, uint64_t offset, unsigned size, uint64_t value)
{
    if (outside_registers(offset, size)) {
        return offset < 0x100;
    }
    g_mutex_lock(&u->lock);
    write_locked(u, (unsigned)offset, (uint8_t)value);
    update_irq_locked(u);
    g_mutex_unlock(&u->lock);
    return true;
}

unsigned ns16550a_can_receive(Ns16550a *u)
{
    g_mutex_lock(&u->lock);
    unsigned n = (u->mcr & MCR_LOOP) ? 0 : NS16550A_FIFO - u->rx_count;
    g_mutex_unlock(&u->lock);
    return n;
}

unsigned ns16550a_receive(Ns16550a *u, const uint8_t *buf, unsigned len)
{
    g_mutex_lock(&u->lock);
    unsigned n = (u->mcr & MCR_LOOP) ? 0 : push_locked(u, buf, len);
    update_irq_locked(u);
    g_mutex_unlock(&u->lock);
    return n;
}
