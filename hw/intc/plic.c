/*
 * The PLIC. Sources are level-triggered: a high line makes its source pending unless it
 * is in service; a claim picks the highest-priority pending source enabled for the
 * context above its threshold (lowest number on ties) and marks it in service; the
 * completion ends service, and a line still high makes the source pending again. After
 * every change each context's output (MEIP for context 2h, SEIP for 2h + 1) is
 * recomputed and driven into its hart.
 */
#include "hw/intc/plic.h"

#include <string.h>

#include "tcg/riscv/csr.h"

enum {
    PRIORITY_BASE = 0x0,
    PENDING_BASE = 0x1000,
    ENABLE_BASE = 0x2000,
    ENABLE_STRIDE = 0x80,
    CONTEXT_BASE = 0x200000,
    CONTEXT_STRIDE = 0x1000,
};

static const VMStateField plic_fields[] = {
    VMSTATE_U32_ARRAY(Plic, priority, PLIC_SOURCES),
    VMSTATE_U32_ARRAY(Plic, pending, PLIC_WORDS),
    VMSTATE_U32_ARRAY(Plic, claimed, PLIC_WORDS),
    VMSTATE_U32_ARRAY(Plic, level, PLIC_WORDS),
    VMSTATE_U32_ARRAY(Plic, enable, PLIC_MAX_CONTEXTS * PLIC_WORDS),
    VMSTATE_U32_ARRAY(Plic, threshold, PLIC_MAX_CONTEXTS),
};
const VMStateDescription plic_vmstate = {
    .name = "riscv.plic",
    .version = 1,
    .fields = plic_fields,
    .n_fields = sizeof(plic_fields) / sizeof(plic_fields[0]),
};

void plic_init(Plic *p, unsigned harts, RiscvCPU *const *cpus)
{
    memset(p, 0, sizeof(*p));
    g_mutex_init(&p->lock);
    p->harts = MIN(harts, PLIC_MAX_CONTEXTS / 2);
    for (unsigned i = 0; i < p->harts; i++) {
        p->cpus[i] = cpus[i];
    }
}

static bool bit(const uint32_t *words, unsigned n)
{
    return (words[n / 32] >> (n % 32)) & 1;
}

static void set_bit(uint32_t *words, unsigned n, bool v)
{
    if (v) {
        words[n / 32] |= 1u << (n % 32);
    } else {
        words[n / 32] &= ~(1u << (n % 32));
    }
}

/* The source a claim by ctx would return, or 0. */
static unsigned best_locked(Plic *p, unsigned ctx)
{
    unsigned best = 0;
    uint32_t best_prio = p->threshold[ctx];
    for (unsigned s = 1; s < PLIC_SOURCES; s++) {
        if (bit(p->pending, s) && bit(p->enable[ctx], s) && p->priority[s] > best_prio) {
            best = s;
            best_prio = p->priority[s];
        }
    }
    return best;
}

static void update_locked(Plic *p)
{
    for (unsigned h = 0; h < p->harts; h++) {
        riscv_cpu_set_irq(p->cpus[h], MIP_MEIP, best_locked(p, 2 * h) != 0);
        riscv_cpu_set_irq(p->cpus[h], MIP_SEIP, best_locked(p, 2 * h + 1) != 0);
    }
}

void plic_set_irq(Plic *p, unsigned source, bool level)
{
    if (source == 0 || source >= PLIC_SOURCES) {
        return;
    }
    g_mutex_lock(&p->lock);
    set_bit(p->level, source, level);
    if (level && !bit(p->claimed, source)) {
        set_bit(p->pending, source, true);
    } else if (!level) {
        set_bit(p->pending, source, false);
    }
    update_locked(p);
    g_mutex_unlock(&p->lock);
}

static bool context_of(Plic *p, uint64_t offset, uint64_t base, uint64_t stride, unsigned *ctx,
                       uint64_t *rel)
{
    if (offset < base) {
        return false;
    }
    uint64_t c = (offset - base) / stride;
    if (c >= 2ull * p->harts) {
        return false;
    }
    *ctx = (unsigned)c;
    *rel = (offset - base) % stride;
    return true;
}

bool plic_read(Plic *p, uint64_t offset, unsigned size, uint64_t *ret_value)
{
    unsigned ctx;
    uint64_t rel;
    bool ok = true;
    if (size != 4) {
        return false;
    }
    g_mutex_lock(&p->lock);
    if (offset < PENDING_BASE) {
        unsigned s = (unsigned)(offset / 4);
        *ret_value = s < PLIC_SOURCES ? p->priority[s] : 0;
    } else if (offset < ENABLE_BASE) {
        unsigned w = (unsigned)((offset - PENDING_BASE) / 4);
        *ret_value = w < PLIC_WORDS ? p->pending[w] : 0;
    } else if (offset < CONTEXT_BASE) {
        if (context_of(p, offset, ENABLE_BASE, ENABLE_STRIDE, &ctx, &rel)) {
            *ret_value = rel / 4 < PLIC_WORDS ? p->enable[ctx][rel / 4] : 0;
        } else {
            *ret_value = 0;
        }
    } else if (context_of(p, offset, CONTEXT_BASE, CONTEXT_STRIDE, &ctx, &rel)) {
        if (rel == 0) {
            *ret_value = p->threshold[ctx];
        } else if (rel == 4) {
            unsigned s = best_locked(p, ctx);
            if (s) {
                set_bit(p->pending, s, false);
                set_bit(p->claimed, s, true);
                update_locked(p);
            }
            *ret_value = s;
        } else {
            *ret_value = 0;
        }
    } else {
        ok = false;
    }
    g_mutex_unlock(&p->lock);
    return ok;
}

bool plic_write(Plic *p, uint64_t offset, unsigned size, uint64_t value)
{
    unsigned ctx;
    uint64_t rel;
    bool ok = true;
    if (size != 4) {
        return false;
    }
    g_mutex_lock(&p->lock);
    if (offset < PENDING_BASE) {
        unsigned s = (unsigned)(offset / 4);
        if (s > 0 && s < PLIC_SOURCES) {
            p->priority[s] = value & 7;
        }
    } else if (offset < ENABLE_BASE) {
        /* pending is read-only */
    } else if (offset < CONTEXT_BASE) {
        if (context_of(p, offset, ENABLE_BASE, ENABLE_STRIDE, &ctx, &rel) &&
            rel / 4 < PLIC_WORDS) {
            p->enable[ctx][rel / 4] = (uint32_t)value & (rel == 0 ? ~1u : ~0u);
        }
    } else if (context_of(p, offset, CONTEXT_BASE, CONTEXT_STRIDE, &ctx, &rel)) {
        if (rel == 0) {
            p->threshold[ctx] = value & 7;
        } else if (rel == 4 && value > 0 && value < PLIC_SOURCES) {
            unsigned s = (unsigned)value;
            if (bit(p->enable[ctx], s) && bit(p->claimed, s)) {
                set_bit(p->claimed, s, false);
                if (bit(p->level, s)) {
                    set_bit(p->pending, s, true);
                }
            }
        }
    } else {
        ok = false;
    }
    update_locked(p);
    g_mutex_unlock(&p->lock);
    return ok;
}
