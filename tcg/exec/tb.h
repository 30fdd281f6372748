/*
 * Translation blocks and their cache, shared by every guest front end and back end.
 *
 * A TranslationBlock is the compiled form of a run of guest code that starts at (pc,
 * flags), where flags is whatever front-end state changes the translation (privilege,
 * MMU on/off, ...). The cache maps (pc, flags) to blocks; each executing thread has a
 * small direct-mapped jump cache in front of it. Blocks chain: an exit to a known pc
 * remembers its successor, so hot loops never come back to the lookup.
 *
 * Invalidation (fence.i, unmapped or rewritten code) retires blocks rather than freeing
 * them: another thread may still be running one. Retired blocks are freed once every
 * thread that was executing at the time has come back to its loop (a tiny epoch-based
 * reclamation: tb_exec_enter/tb_exec_leave bracket execution, tb_quiescent marks the
 * safe points).
 */
#ifndef VMD_TCG_EXEC_TB_H
#define VMD_TCG_EXEC_TB_H

#include <stdbool.h>
#include <stdint.h>

#include "tcg/ir/ir.h"

typedef struct TbCache TbCache;
typedef struct TranslationBlock TranslationBlock;

struct TranslationBlock {
    uint64_t pc;         /* guest pc of the first instruction */
    uint64_t flags;      /* front-end state the translation depends on */
    uint32_t size;       /* guest bytes covered, for range invalidation */
    uint32_t n_insns;    /* guest instructions in the block */
    void *code;          /* back-end code: bytecode or host code */
    TranslationBlock *jmp_dest[2]; /* chained successors of exit_direct slots 0/1 */
    volatile int invalid; /* set when retired: chains into it must not be taken */
    TranslationBlock *hash_next; /* cache bucket list */
    TranslationBlock *retired_next; /* retired list */
};

/* How a back end's exec() came back. */
typedef enum TbExitKind {
    TB_EXIT_CHAIN,  /* exit_direct through an unlinked slot: look up and link */
    TB_EXIT_LOOKUP, /* exit_indirect: look up the pc in env */
    TB_EXIT_RETURN, /* exit_return: code in TbExit.code */
    TB_EXIT_REQUEST, /* exit_request was set at a block boundary */
} TbExitKind;

typedef struct TbExit {
    TbExitKind kind;
    TranslationBlock *last; /* the block that exited */
    unsigned slot;          /* TB_EXIT_CHAIN: which slot */
    uint64_t code;          /* TB_EXIT_RETURN: the exit_return immediate */
} TbExit;

typedef struct TbBackend {
    const char *name;
    /* Compiles b into tb->code. */
    void (*compile)(TbCache *c, TranslationBlock *tb, IrBlock *b);
    void (*free_code)(TranslationBlock *tb);
    /* Runs from tb, following valid chains, until an exit it cannot follow. */
    TbExit (*exec)(TbCache *c, void *env, TranslationBlock *tb);
    /* Optional, for back ends that patch code: make from's exit_direct slot jump
     * straight to `to`, or back to the exec loop (unlink). Called with the cache lock
     * held; other threads may be running `from` while it is patched. */
    void (*link)(TranslationBlock *from, unsigned slot, TranslationBlock *to);
    void (*unlink)(TranslationBlock *from, unsigned slot);
    /* Optional: if host_pc is inside code of this back end, set env's guest pc to the
     * guest instruction it belongs to and return true (precise exceptions from host
     * faults). Back ends that keep env's pc current at every instruction leave it NULL. */
    bool (*restore_state)(TbCache *c, void *env, uintptr_t host_pc);
} TbBackend;

typedef struct TbFrontend {
    const IrContext *ctx;
    /* Builds the IR of the block at pc; sets tb->size and tb->n_insns. */
    void (*translate)(void *env, TranslationBlock *tb, IrBlock *b);
    /* Optional: the flags the block at env's pc must have, for tb_lookup_fast(). */
    uint64_t (*lookup_flags)(void *env);
} TbFrontend;

/* The per-thread state a thread needs to run blocks from a cache. */
#define TB_JMP_CACHE_BITS 12
typedef struct TbThread {
    TbCache *cache;
    /* Copies of the cache's front-end constants, so tb_lookup_fast() (called from
     * generated code at every indirect jump) makes no dependent loads to find them. */
    int32_t pc_offset, exit_request_offset;
    uint64_t (*lookup_flags)(void *env);
    uint64_t seen_epoch;  /* last epoch this thread passed a quiescent point in */
    bool online;          /* between tb_exec_enter and tb_exec_leave */
    uint64_t jmp_gen;     /* cache generation the jump cache is valid for */
    TranslationBlock *jmp_cache[1 << TB_JMP_CACHE_BITS];
    struct TbThread *next;
} TbThread;

TbCache *tb_cache_new(const TbBackend *backend, const TbFrontend *frontend);
void tb_cache_free(TbCache *c);
const TbBackend *tb_cache_backend(const TbCache *c);
const IrContext *tb_cache_context(const TbCache *c);

/* Flags for the optimizer and debugging: -d in_asm/op/op_opt print to stderr. */
enum {
    TB_DEBUG_IR = 1 << 0,
    TB_DEBUG_IR_OPT = 1 << 1,
    TB_DEBUG_NO_OPT = 1 << 2,
};
void tb_cache_set_debug(TbCache *c, unsigned flags);

/* fork() of a process whose threads run guest code: prepare takes the cache lock (take
 * it before any lock that translation may take inside, such as the guest page map's),
 * parent releases it, child re-creates it and forgets every thread but self. */
void tb_cache_fork_prepare(TbCache *c);
void tb_cache_fork_parent(TbCache *c);
void tb_cache_fork_child(TbCache *c, TbThread *self);

/* Threads: register once, then bracket guest execution. */
void tb_thread_attach(TbCache *c, TbThread *t);
void tb_thread_detach(TbThread *t);
void tb_exec_enter(TbThread *t);
void tb_exec_leave(TbThread *t);

/* A quiescent point: the calling thread holds no block pointer. Lock-free; lets retired
 * blocks be reclaimed while the thread keeps running (system-mode harts never leave
 * their loop). */
void tb_quiescent(TbThread *t);

/* For back ends following an indirect exit without leaving generated code: the block
 * for env's pc from this thread's jump cache, or NULL (not cached, exit requested, or a
 * flush pending) when the exec loop must decide. Lock-free; valid between
 * tb_exec_enter() and tb_exec_leave(). */
TranslationBlock *tb_lookup_fast(void *env);

/* Finds or translates the block at (pc, flags). */
TranslationBlock *tb_find(TbThread *t, void *env, uint64_t pc, uint64_t flags);
/* Links from->jmp_dest[slot] to to (unless either is invalid). */
void tb_link(TbCache *c, TranslationBlock *from, unsigned slot, TranslationBlock *to);

/* For host fault handlers: see TbBackend.restore_state. False if host_pc is not in
 * generated code (or the back end needs no restoring). */
bool tb_restore_state(TbCache *c, void *env, uintptr_t host_pc);

/* Invalidation. */
void tb_flush(TbCache *c);
void tb_invalidate_range(TbCache *c, uint64_t start, uint64_t len);
/* Invalidates the blocks whose flags have (flags & mask) == value (system mode keys
 * blocks by the page their code came from). */
void tb_invalidate_flags(TbCache *c, uint64_t mask, uint64_t value);

#endif
