/* The SiFive test finisher: see sifive-test.h. It has no state to migrate. */
#include "hw/misc/sifive-test.h"

bool sifive_test_read(SifiveTest *t, uint64_t offset, unsigned size, uint64_t *ret_value)
{
    *ret_value = 0;
    return offset < 0x1000;
}

bool sifive_test_write(SifiveTest *t, uint64_t offset, unsigned size, uint64_t value)
{
    if (offset != 0 || size < 2) {
        return offset < 0x1000;
    }
    switch (value & 0xffff) {
    case 0x5555:
        t->request(t->opaque, SIFIVE_TEST_PASS, 0);
        break;
    case 0x3333:
        t->request(t->opaque, SIFIVE_TEST_FAIL, (unsigned)(value >> 16) & 0xffff);
        break;
    case 0x7777:
        t->request(t->opaque, SIFIVE_TEST_RESET, 0);
        break;
    default:
        break; /* unknown commands are ignored, as on QEMU's model */
    }
    return true;
}
