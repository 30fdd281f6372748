/*
 * The x86-64 code generator: a TbBackend that compiles IR blocks to host machine code.
 *
 * It is a drop-in replacement for tci_backend (tcg/tci/) and must agree with it on every
 * block; tests/unit/test-jit.c checks that differentially. docs/jit.md describes the
 * design: register conventions, the local register allocator, chaining by patched
 * jumps, the W^X code buffer and precise exceptions.
 */
#ifndef VMD_TCG_X86_64_JIT_H
#define VMD_TCG_X86_64_JIT_H

#include <stdbool.h>
#include <stddef.h>

#include "tcg/exec/tb.h"

extern const TbBackend jit_backend;

/* Whether the JIT can run here (an x86-64 host where the code buffer can be mapped).
 * Callers fall back to tci_backend otherwise. */
bool jit_available(void);

/* Optional host instructions the code generator uses when the CPU has them. */
enum {
    JIT_FEAT_LZCNT = 1 << 0,  /* lzcnt (ABM) */
    JIT_FEAT_BMI1 = 1 << 1,   /* tzcnt, andn */
    JIT_FEAT_POPCNT = 1 << 2, /* popcnt */
    JIT_FEAT_ALL = 0x7,
};

/* What the host CPU has (cpuid, read once). */
unsigned jit_host_features(void);
/* Restricts the features blocks compiled from now on may use to mask & the host's, so
 * that tests can exercise the fallback sequences. */
void jit_set_features(unsigned mask);

/*
 * Debugging: when dir is non-NULL, every compiled block's code is written to
 * dir/tb-<host address>-<guest pc>.bin, ready for
 *     objdump -D -b binary -mi386:x86-64 --adjust-vma=<host address> FILE
 * The VMD_JIT_DUMP environment variable sets it at start-up.
 */
void jit_set_dump_dir(const char *dir);

/*
 * Code buffer geometry for caches that get a new buffer from now on (tests use tiny
 * buffers to exercise region reuse and flushes). A buffer is n_regions regions of
 * region_size bytes; a flush is requested when more than flush_regions are in use.
 * Zero restores the default for that field.
 */
void jit_set_buffer_geometry(size_t region_size, unsigned n_regions, unsigned flush_regions);

/* Statistics of the buffers of all caches, for tests and -d exec-like output. */
typedef struct JitStats {
    uint64_t blocks_compiled;   /* compile() calls that produced code */
    uint64_t blocks_freed;      /* free_code() calls */
    uint64_t region_switches;   /* a block did not fit and moved to an empty region */
    uint64_t flushes_requested; /* times a buffer asked for tb_flush */
    uint64_t buffers_created;   /* code buffers mapped (caches reuse idle ones) */
    uint64_t code_bytes;        /* bytes of code and stubs emitted so far */
    uint64_t rwx_fallback;      /* buffers mapped RWX because memfd_create failed */
} JitStats;
void jit_get_stats(JitStats *ret_stats);

#endif
