/*
 * Goldfish RTC. Reading TIME_LOW latches the high half, as the driver reads low then
 * high; writing TIME_LOW/TIME_HIGH sets the clock (kept as an offset from the host's).
 * The alarm is checked by goldfish_rtc_poll(), which the board calls from its timer.
 */
#include "hw/rtc/goldfish-rtc.h"

#include <time.h>

enum {
    TIME_LOW = 0x00, TIME_HIGH = 0x04, ALARM_LOW = 0x08, ALARM_HIGH = 0x0c,
    IRQ_ENABLED = 0x10, CLEAR_ALARM = 0x14, ALARM_STATUS = 0x18, CLEAR_INTERRUPT = 0x1c,
};

static const VMStateField goldfish_rtc_fields[] = {
    VMSTATE_U64(GoldfishRtc, alarm_ns),     VMSTATE_U32(GoldfishRtc, time_high),
    VMSTATE_U32(GoldfishRtc, irq_enabled),  VMSTATE_U32(GoldfishRtc, alarm_running),
    VMSTATE_U32(GoldfishRtc, irq_pending),
};
const VMStateDescription goldfish_rtc_vmstate = {
    .name = "goldfish_rtc",
    .version = 1,
    .fields = goldfish_rtc_fields,
    .n_fields = sizeof(goldfish_rtc_fields) / sizeof(goldfish_rtc_fields[0]),
};

static int64_t host_realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t now_locked(GoldfishRtc *r)
{
    return (uint64_t)(host_realtime_ns() + r->offset_ns);
}

static void update_irq_locked(GoldfishRtc *r)
{
    if (r->set_irq) {
        r->set_irq(r->opaque, r->irq_pending && r->irq_enabled);
    }
}

void goldfish_rtc_init(GoldfishRtc *r, void (*set_irq)(void *, bool), void *opaque)
{
    *r = (GoldfishRtc){.set_irq = set_irq, .opaque = opaque};
    g_mutex_init(&r->lock);
}

bool goldfish_rtc_read(GoldfishRtc *r, uint64_t offset, unsigned size, uint64_t *ret_value)
{
    if (size != 4 || offset >= 0x1000) {
        return false;
    }
    g_mutex_lock(&r->lock);
    uint64_t now = now_locked(r);
    switch (offset) {
    case TIME_LOW:
        r->time_high = (uint32_t)(now >> 32);
        *ret_value = (uint32_t)now;
        break;
    case TIME_HIGH: *ret_value = r->time_high; break;
    case ALARM_LOW: *ret_value = (uint32_t)r->alarm_ns; break;
    case ALARM_HIGH: *ret_value = (uint32_t)(r->alarm_ns >> 32); break;
    case IRQ_ENABLED: *ret_value = r->irq_enabled; break;
    case ALARM_STATUS: *ret_value = r->alarm_running; break;
    default: *ret_value = 0; break;
    }
    g_mutex_unlock(&r->lock);
    return true;
}

bool goldfish_rtc_write(GoldfishRtc *r, uint64_t offset, unsigned size, uint64_t value)
{
    if (size != 4 || offset >= 0x1000) {
        return false;
    }
    g_mutex_lock(&r->lock);
    uint64_t now = now_locked(r);
    switch (offset) {
    case TIME_LOW:
        r->offset_ns += (int64_t)(((now & ~0xffffffffull) | (uint32_t)value) - now);
        break;
    case TIME_HIGH:
        r->offset_ns += (int64_t)(((uint64_t)value << 32 | (uint32_t)now) - now);
        break;
    case ALARM_LOW:
        /* Writing the low half arms the alarm (the driver writes high first). */
        r->alarm_ns = (r->alarm_ns & ~0xffffffffull) | (uint32_t)value;
        r->alarm_running = 1;
        break;
    case ALARM_HIGH:
        r->alarm_ns = (r->alarm_ns & 0xffffffffull) | (uint64_t)value << 32;
        break;
    case IRQ_ENABLED: r->irq_enabled = value & 1; break;
    case CLEAR_ALARM: r->alarm_running = 0; break;
    case CLEAR_INTERRUPT: r->irq_pending = 0; break;
    default: break;
    }
    update_irq_locked(r);
    g_mutex_unlock(&r->lock);
    return true;
}

int64_t goldfish_rtc_poll(GoldfishRtc *r)
{
    int64_t wait = G_MAXINT64;
    g_mutex_lock(&r->lock);
    if (r->alarm_running) {
        uint64_t now = now_locked(r);
        if (now >= r->alarm_ns) {
            r->alarm_running = 0;
            r->irq_pending = 1;
            update_irq_locked(r);
        } else {
            wait = (int64_t)MIN((r->alarm_ns - now) / 1000, (uint64_t)G_MAXINT64);
        }
    }
    g_mutex_unlock(&r->lock);
    return wait;
}
