/* tests/guest/baremetal/virtio-hostile.c — a hostile guest against the virtio-rng
   device in the last virtio-mmio slot (0x10008000, where the first -device goes): a
   looped descriptor chain, an available index far ahead, a head and a next index out
   of range, a buffer outside RAM, a huge length, a queue size that is not a power of
   two. After each the device must report DEVICE_NEEDS_RESET (and the emulator must
   still be running to say so); after a reset it must work normally again.
   Prints "virtio-hostile: all passed". */
#include "runtime.h"

#define MMIO 0x10008000UL
#define REG(off) (*(volatile uint32_t *)(MMIO + (off)))
enum { MAGIC = 0x0, DEVICE_ID = 0x8, DRIVER_FEATURES = 0x20, DRIVER_FEATURES_SEL = 0x24,
       QUEUE_SEL = 0x30, QUEUE_NUM = 0x38, QUEUE_READY = 0x44, QUEUE_NOTIFY = 0x50,
       INTERRUPT_STATUS = 0x60, INTERRUPT_ACK = 0x64, STATUS = 0x70, DESC_LO = 0x80,
       DESC_HI = 0x84, AVAIL_LO = 0x90, AVAIL_HI = 0x94, USED_LO = 0xa0, USED_HI = 0xa4 };
#define NEEDS_RESET 64
#define N 8

struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
static struct desc desc[N] __attribute__((aligned(16)));
static struct { uint16_t flags, idx, ring[N], used_event; } avail __attribute__((aligned(4)));
static struct { uint16_t flags, idx; struct { uint32_t id, len; } ring[N]; } used
    __attribute__((aligned(8)));
static uint8_t buf[64];
static int failures;

static void expect(const char *what, int cond)
{
    if (!cond) {
        vmd_puts("FAIL ");
        vmd_puts(what);
        vmd_putc('\n');
        failures++;
    }
}

/* Resets and brings the device up with one queue of size num. */
static void setup(uint32_t num)
{
    REG(STATUS) = 0;
    for (int i = 0; i < N; i++) {
        desc[i] = (struct desc){0};
        avail.ring[i] = 0;
    }
    avail.idx = 0;
    avail.flags = 0;
    used.idx = 0;
    REG(STATUS) = 1 | 2;
    REG(DRIVER_FEATURES_SEL) = 1;
    REG(DRIVER_FEATURES) = 1; /* VIRTIO_F_VERSION_1 */
    REG(DRIVER_FEATURES_SEL) = 0;
    REG(DRIVER_FEATURES) = 0;
    REG(STATUS) = 1 | 2 | 8;
    REG(QUEUE_SEL) = 0;
    REG(QUEUE_NUM) = num;
    REG(DESC_LO) = (uint32_t)(uintptr_t)desc;
    REG(DESC_HI) = 0;
    REG(AVAIL_LO) = (uint32_t)(uintptr_t)&avail;
    REG(AVAIL_HI) = 0;
    REG(USED_LO) = (uint32_t)(uintptr_t)&used;
    REG(USED_HI) = 0;
    REG(QUEUE_READY) = 1;
    REG(STATUS) = 1 | 2 | 4 | 8;
}

static void kick(uint16_t head, uint16_t new_idx)
{
    avail.ring[avail.idx % N] = head;
    __asm__ volatile("fence" ::: "memory");
    avail.idx = new_idx;
    __asm__ volatile("fence" ::: "memory");
    REG(QUEUE_NOTIFY) = 0;
    __asm__ volatile("fence" ::: "memory"); /* the device wrote the used ring */
}

static int broken(void)
{
    return (REG(STATUS) & NEEDS_RESET) != 0;
}

/* A well-formed request: must complete, fill the buffer, and leave the device OK. */
static void good_request(const char *what)
{
    setup(N);
    desc[0] = (struct desc){(uintptr_t)buf, sizeof(buf), 2 /* WRITE */, 0};
    kick(0, 1);
    expect(what, used.idx == 1 && used.ring[0].id == 0 && used.ring[0].len == sizeof(buf) &&
                     !broken());
    REG(INTERRUPT_ACK) = REG(INTERRUPT_STATUS);
}

int main(void)
{
    if (REG(MAGIC) != 0x74726976 || REG(DEVICE_ID) != 4) {
        vmd_fail("no virtio-rng at 0x10008000 (run with -device virtio-rng-device)", 2);
    }
    good_request("a good request works");

    setup(N); /* a chain that loops: 0 -> 1 -> 0 */
    desc[0] = (struct desc){(uintptr_t)buf, 8, 1 | 2, 1};
    desc[1] = (struct desc){(uintptr_t)buf + 8, 8, 1 | 2, 0};
    kick(0, 1);
    expect("looped chain stops the device", broken());

    setup(N);
    kick(0, 100); /* avail index 100 ahead of the device */
    expect("avail index far ahead stops the device", broken());

    setup(N);
    kick(N + 3, 1); /* head out of range */
    expect("head out of range stops the device", broken());

    setup(N);
    desc[0] = (struct desc){(uintptr_t)buf, 8, 1 | 2, 200}; /* next out of range */
    kick(0, 1);
    expect("next out of range stops the device", broken());

    setup(N);
    desc[0] = (struct desc){0x10, 64, 2, 0}; /* a buffer outside RAM */
    kick(0, 1);
    expect("buffer outside RAM stops the device", broken());

    setup(N);
    desc[0] = (struct desc){(uintptr_t)buf, 0xffffffffu, 2, 0}; /* a huge length */
    kick(0, 1);
    expect("huge length stops the device", broken());

    setup(6); /* not a power of two: QueueReady is refused */
    expect("queue size 6 stops the device", broken());

    good_request("after all that, a reset device works again");
    if (failures) {
        vmd_fail("virtio-hostile", failures);
    }
    vmd_puts("virtio-hostile: all passed\n");
    return 0;
}
