/*
 * The SiFive test device ("test finisher") of the virt board: a guest write of 0x5555
 * asks for poweroff, 0x7777 for reset, (code << 16) | 0x3333 for poweroff with a
 * failure code. The request goes to the board, which passes it to the run state
 * machine; a guest write never ends the process by itself.
 */
#ifndef VMD_HW_MISC_SIFIVE_TEST_H
#define VMD_HW_MISC_SIFIVE_TEST_H

#include <stdbool.h>
#include <stdint.h>

typedef enum SifiveTestRequest {
    SIFIVE_TEST_PASS,  /* poweroff, exit status 0 */
    SIFIVE_TEST_FAIL,  /* poweroff with code */
    SIFIVE_TEST_RESET,
} SifiveTestRequest;

typedef struct SifiveTest {
    void (*request)(void *opaque, SifiveTestRequest what, unsigned code);
    void *opaque;
} SifiveTest;

bool sifive_test_read(SifiveTest *t, uint64_t offset, unsigned size, uint64_t *ret_value);
bool sifive_test_write(SifiveTest *t, uint64_t offset, unsigned size, uint64_t value);

#endif
