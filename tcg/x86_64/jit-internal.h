/*
 * Internals shared by the x86-64 back end's files:
 *   codebuf.c   the W^X code buffer: regions, allocation, host pc -> block lookup;
 *   regalloc.c  the local register allocator;
 *   isel-alu.c  instruction selection for moves, ALU ops, comparisons and branches;
 *   isel-mem.c  guest memory, atomics, helper calls, insn_start and block exits;
 *   backend.c   the TbBackend: compile driver, exec, chaining, restore_state, debug.
 *
 * Register conventions of generated code (docs/jit.md has the why):
 *   rbp   env, the CPU state (callee-saved, so helpers preserve it)
 *   r15   guest_base in user mode (allocatable in system mode)
 *   r11   scratch for the code generator, never holds a temp across an instruction
 *   rsp   16-byte aligned at every call; [rsp] holds the TbExit pointer, [rsp + 8] the
 *         guest limit (user mode)
 *   the rest are allocated to temps.
 */
#ifndef VMD_TCG_X86_64_JIT_INTERNAL_H
#define VMD_TCG_X86_64_JIT_INTERNAL_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "tcg/exec/tb.h"
#include "tcg/ir/ir.h"
#include "tcg/x86_64/emit.h"
#include "tcg/x86_64/jit.h"

#define JIT_ENV        RBP
#define JIT_GUEST_BASE R15
#define JIT_TMP        R11

/* Bytes any single IR op's code (or one stub) stays under; space is checked per op. */
#define JIT_OP_MARGIN 4096
/* The page at the start of every buffer that holds the prologue and epilogue. */
#define JIT_HEADER_SIZE 4096
#define JIT_PAGE_SIZE   4096
/* exit_direct sites per chain slot that link() patches (more are never chained). */
#define JIT_MAX_SITES 4

/* ---- Code buffer (codebuf.c) ---------------------------------------------------------- */

/* Generated prologue: runs code with env, guest_base and the guest limit (kept at
 * [rsp + 8] for the generated code), fills *out when it exits. */
typedef void (*JitEnterFn)(void *env, const void *code, uintptr_t guest_base, TbExit *out,
                           uint64_t guest_limit);
#define JIT_FRAME_LIMIT 8 /* rsp offset of the guest limit */

typedef struct JitRegion {
    uint32_t used;     /* bump offset of the next allocation */
    uint32_t live;     /* blocks allocated here and not yet freed */
    uint32_t *page_tb; /* per page: offset of the allocation that covers its first byte */
} JitRegion;

typedef struct JitBuffer {
    struct JitBuffer *next_all; /* every buffer ever created; never unlinked */
    int fd;                     /* the memfd behind both views, -1 for the RWX fallback */
    uint8_t *rw;                /* writable view */
    uint8_t *rx;                /* executable view (== rw in the RWX fallback) */
    size_t size;                /* bytes mapped: header page plus regions */
    size_t region_size;         /* bytes per region */
    unsigned n_regions;
    unsigned flush_regions; /* ask for a flush when more regions than this hold code */
    JitRegion *regions;
    unsigned cur;         /* region new blocks go to */
    unsigned in_use;      /* regions holding at least one block */
    uint64_t live;        /* blocks in the whole buffer */
    const TbCache *owner; /* the cache using this buffer, NULL while idle */
    bool exhausted;       /* no empty region was left for the last block */
    int flush_wanted;     /* read by exec() without locks: flush before running */
    JitEnterFn enter;     /* prologue, executable address */
    uintptr_t epilogue;   /* executable address the exit stubs jump to */
    int fork_fd;          /* during fork(): the child's copy, or -1 */
    uint8_t *fork_heap;   /* during fork(): packed copy when no memfd could be made */
} JitBuffer;

/* Laid out in the buffer in front of every block's code. */
typedef struct JitTbHeader {
    uint32_t alloc_size;  /* bytes from this header to the next allocation */
    uint32_t code_size;   /* bytes of code and stubs after the header */
    uint32_t search_size; /* bytes of search data after the code */
    uint32_t pad;
    uint64_t pc; /* guest pc of the block: the base of the search data */
    uint64_t tb; /* the TranslationBlock, for debuggers */
} JitTbHeader;

/* The back end's tb->code. */
typedef struct JitTb {
    JitBuffer *buf;
    const uint8_t *entry;            /* executable address of the first instruction */
    uint32_t region;                 /* region of buf holding the code */
    uint8_t n_sites[2];              /* chainable exit_direct sites per slot */
    uint32_t site[2][JIT_MAX_SITES]; /* offset from entry of each site's rel32 */
    uint32_t stub[2][JIT_MAX_SITES]; /* offset from entry of the stub it jumps to unlinked */
} JitTb;

/* Whether a code buffer can be mapped here (memfd or RWX fallback). */
bool jit_buffer_probe(void);
/* The buffer c allocates in (binding an idle or new buffer if needed); NULL if no code
 * buffer can be mapped. Call with c's lock held (from compile). */
JitBuffer *jit_buffer_for(const TbCache *c);
/* Positions e at free space of b's current region; new_region moves to an empty region
 * first. False if none is left. */
bool jit_buffer_begin(JitBuffer *b, JitEmit *e, bool new_region);
/* Ends the allocation started by jit_buffer_begin at e->p, with search data appended;
 * fills in the header and the page index. Returns the region used. */
uint32_t jit_buffer_commit(JitBuffer *b, JitEmit *e, const uint8_t *search, uint32_t n_search,
                           uint64_t pc, const TranslationBlock *tb);
/* A block in region r was freed. */
void jit_buffer_release(JitBuffer *b, uint32_t r);
/* The header of the block whose code contains host_pc, searching every buffer; NULL if
 * host_pc is not inside a block. Lock-free: callable from a signal handler running on
 * the thread that executes that block. */
const JitTbHeader *jit_buffer_find(uintptr_t host_pc);
/* Writes through the writable view at the executable address rx_addr. */
static inline uint8_t *jit_buffer_rw(const JitBuffer *b, const uint8_t *rx_addr)
{
    return b->rw + (rx_addr - b->rx);
}
void jit_stats_add(size_t field_offset, uint64_t n);
#define JIT_STAT_ADD(field, n) jit_stats_add(offsetof(JitStats, field), (n))

/* ---- Compilation state (regalloc.c, isel-*.c, backend.c) ------------------------------ */

typedef struct JitTempState {
    int8_t reg;   /* host register holding the value, or -1 */
    bool dirty;   /* the register holds a newer value than env / the spill slot */
    bool in_mem;  /* locals: the spill slot holds the value */
    int16_t slot; /* locals: scratch slot index, or -1 */
} JitTempState;

/* A jump that a later position completes (labels, stubs). */
typedef struct JitFixup {
    uint8_t *disp;  /* writable address of a rel32 */
    uint32_t label; /* label number, or stub index */
} JitFixup;

/* Out-of-line code emitted after the block body. */
typedef enum JitSlowKind {
    SLOW_MISALIGNED,  /* call mem->misaligned(env, addr, is_store); does not return */
    SLOW_BAD_ADDRESS, /* call mem->bad_address(env, addr, is_store); does not return */
} JitSlowKind;

typedef struct JitSlowPath {
    JitSlowKind kind;
    uint8_t *disp; /* jcc into the slow path */
    X86Reg addr;   /* register holding the guest address, X86_NOREG: addr_value */
    uint64_t addr_value;
    bool is_store;
    bool store_pc; /* write pc to env first (the insn's pc is not yet there) */
    uint64_t pc;
} JitSlowPath;

typedef struct JitExitSite {
    uint8_t *disp; /* the exit_direct's jmp rel32 */
    unsigned slot;
} JitExitSite;

typedef struct JitGen {
    const IrBlock *b;
    const IrContext *ctx;
    TranslationBlock *tb;
    JitBuffer *buf;
    JitEmit e;
    unsigned features; /* JIT_FEAT_* usable in this block */
    uint32_t op_idx;   /* index of the op being compiled */

    /* Register allocator. */
    JitTempState *ts;           /* per temp */
    uint32_t *last_use;         /* per temp: index of the last op that reads or writes it */
    IrTemp reg_temp[X86_NREGS]; /* per host register: temp it holds, or IR_TEMP_NONE */
    uint32_t allocatable;       /* registers temps may live in */
    uint32_t locked;            /* registers holding operands of the current op */
    unsigned next_victim;       /* round-robin start for eviction */
    uint8_t *slot_busy;         /* per scratch slot */
    IrTemp keep[3];             /* inputs an op still needs after a helper call it makes */
    unsigned n_keep;

    /* Guest pc bookkeeping (precise exceptions and env->pc for helpers). */
    IrTemp pc_global; /* the global at ctx->pc_offset, or IR_TEMP_NONE */
    bool pc_pending;  /* env->pc must become insn_pc before anyone reads it */
    uint64_t insn_pc; /* pc of the last insn_start */
    bool reachable;   /* false between an unconditional jump or exit and a label */

    /* Positions to complete after the body. */
    uint8_t **label_pos; /* per label: writable address, NULL until defined */
    GArray *label_fix;   /* JitFixup */
    GArray *request_fix; /* uint8_t *: jne into the exit-request stub */
    GArray *exits;       /* JitExitSite */
    GArray *slow;        /* JitSlowPath */
    GByteArray *search;  /* encoded insn_start table */
    uint32_t search_off; /* code offset of the last entry */
    uint64_t search_pc;  /* pc of the last entry */
    bool overflow;       /* ran past e.limit: restart in an empty region */
} JitGen;

static inline bool jit_is_global(const JitGen *g, IrTemp t)
{
    return g->b->temps[t].kind == IR_TEMP_GLOBAL;
}

static inline bool jit_is_const(const JitGen *g, IrTemp t)
{
    return g->b->temps[t].kind == IR_TEMP_CONST;
}

static inline uint64_t jit_const_val(const JitGen *g, IrTemp t)
{
    return g->b->temps[t].value;
}

/* regalloc.c */
void ra_init(JitGen *g);
void ra_op_begin(JitGen *g);
bool ra_dies_here(const JitGen *g, IrTemp t);
/* A free register outside avoid (and this op's locked ones), evicting if necessary. */
X86Reg ra_alloc(JitGen *g, uint32_t avoid);
/* The value of t in a register outside avoid, loading it if necessary; locked. */
X86Reg ra_in(JitGen *g, IrTemp t, uint32_t avoid);
/* The register of t if it has one (without loading), else X86_NOREG. */
X86Reg ra_reg_of(const JitGen *g, IrTemp t);
/* Makes d live in r (written by this op): dirty, old location forgotten. */
void ra_bind(JitGen *g, IrTemp d, X86Reg r);
/* Frees the registers in mask for this op's fixed-register instructions (and locks
 * them): values still needed move to other registers or memory. */
void ra_clobber(JitGen *g, uint32_t mask);
/* An output register for d = a <op> ...: a's register when a dies here or d == a
 * (two-address forms), else a new register with a copied in. Not in avoid. */
X86Reg ra_out_2addr(JitGen *g, IrTemp d, IrTemp a, bool w, uint32_t avoid);
void ra_release_dead(JitGen *g, const IrOp *op);
/* Copies t's value into r without changing where t lives. */
void ra_load_into(JitGen *g, IrTemp t, X86Reg r);
/* Forgets t's register copy without storing it (its value is superseded). */
void ra_discard(JitGen *g, IrTemp t);
void ra_sync_globals(JitGen *g);
void ra_save_for_branch(JitGen *g);
void ra_forget_all(JitGen *g);
void ra_drop_globals(JitGen *g);
void ra_sync_overlapping(JitGen *g, int64_t offset, unsigned size, bool drop);
/* Preserves temps in caller-saved registers that live past the current op. */
void ra_save_caller_saved(JitGen *g);
void ra_forget_caller_saved(JitGen *g);
void jit_flush_pc(JitGen *g);

/* isel-alu.c */
void isel_mov(JitGen *g, const IrOp *op);
void isel_ext(JitGen *g, const IrOp *op);
void isel_alu2(JitGen *g, const IrOp *op);
void isel_alu1(JitGen *g, const IrOp *op);
void isel_setcond(JitGen *g, const IrOp *op);
void isel_movcond(JitGen *g, const IrOp *op);
void isel_brcond(JitGen *g, const IrOp *op);
void isel_br(JitGen *g, const IrOp *op);
void isel_label(JitGen *g, const IrOp *op);

/* isel-mem.c */
void isel_ld_env(JitGen *g, const IrOp *op);
void isel_st_env(JitGen *g, const IrOp *op);
void isel_ld_guest(JitGen *g, const IrOp *op);
void isel_st_guest(JitGen *g, const IrOp *op);
void isel_cmpxchg(JitGen *g, const IrOp *op);
void isel_atomic_rmw(JitGen *g, const IrOp *op);
void isel_mb(JitGen *g, const IrOp *op);
void isel_call(JitGen *g, const IrOp *op);
/* A call to fn with the given argument temps (IR_TEMP_NONE: none), for ops lowered to
 * helpers; result to d unless IR_TEMP_NONE. */
void isel_call_fn(JitGen *g, const void *fn, uint32_t flags, IrTemp d, unsigned n,
                  const IrTemp *args);
/* Where a value passed to a helper comes from. */
typedef struct JitArg {
    enum { JIT_ARG_TEMP, JIT_ARG_IMM, JIT_ARG_ENV } kind;
    IrTemp t;     /* JIT_ARG_TEMP */
    uint64_t imm; /* JIT_ARG_IMM */
} JitArg;
void isel_call_args(JitGen *g, const void *fn, uint32_t flags, IrTemp d, unsigned n,
                    const JitArg *args);
void isel_insn_start(JitGen *g, const IrOp *op);
void isel_exit_direct(JitGen *g, const IrOp *op);
void isel_exit_indirect(JitGen *g, const IrOp *op);
/* Called from generated code at an indirect exit: the entry of the next block, or 0. */
uintptr_t jit_lookup_indirect(void *env, JitBuffer *buf);
void isel_exit_return(JitGen *g, const IrOp *op);
/* After the body: stubs, slow paths. */
void isel_emit_tail(JitGen *g, JitTb *jt);

#endif
