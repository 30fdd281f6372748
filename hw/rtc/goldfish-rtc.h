/*
 * The Goldfish RTC of the virt board: wall-clock time in nanoseconds since the epoch,
 * and one alarm with an interrupt (Linux's rtc-goldfish driver).
 */
#ifndef VMD_HW_RTC_GOLDFISH_RTC_H
#define VMD_HW_RTC_GOLDFISH_RTC_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "migration/vmstate.h"

typedef struct GoldfishRtc {
    GMutex lock;
    void (*set_irq)(void *opaque, bool level);
    void *opaque;
    int64_t offset_ns;      /* guest time = host realtime + offset (the guest may set it) */
    uint64_t alarm_ns;      /* guest time of the alarm, 0 = none */
    uint32_t time_high;     /* latched by reading TIME_LOW */
    uint32_t irq_enabled;
    uint32_t alarm_running;
    uint32_t irq_pending;
} GoldfishRtc;

extern const VMStateDescription goldfish_rtc_vmstate;

void goldfish_rtc_init(GoldfishRtc *r, void (*set_irq)(void *, bool), void *opaque);
bool goldfish_rtc_read(GoldfishRtc *r, uint64_t offset, unsigned size, uint64_t *ret_value);
bool goldfish_rtc_write(GoldfishRtc *r, uint64_t offset, unsigned size, uint64_t value);
/* Fires the alarm if it is due; returns the host-monotonic microseconds until it is
 * (G_MAXINT64 if none), for the board's timer. */
int64_t goldfish_rtc_poll(GoldfishRtc *r);

#endif
