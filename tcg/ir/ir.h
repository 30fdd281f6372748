/*
 * The translator's intermediate representation.
 *
 * A guest front end (tcg/riscv/) turns one translation block of guest code into an
 * IrBlock: a straight list of ops over typed temps. Back ends (tcg/tci/ interprets it,
 * tcg/x86_64/ compiles it) know nothing of the guest; the front end knows nothing of
 * the host. The shape is chosen to compile well: few ops, every op typed (i32 or i64),
 * memory ops that carry size, sign and alignment, helper calls that declare what they
 * touch, and explicit block exits (direct, chainable; indirect, looked up; return).
 *
 * Temps come in four kinds:
 *   - globals: named fields of the CPU state (the "env"), registered once per IrContext,
 *     e.g. the 31 guest integer registers. Their value lives in env between blocks and
 *     at every helper call that may read or write env (IrCallInfo flags);
 *   - locals: block-scoped values; they survive labels within the block;
 *   - constants: interned per block, one temp per (type, value);
 *   - the env pointer itself, to pass to helpers.
 *
 * docs/tcg-ir.md describes every op. ir-ops.def is the op table.
 */
#ifndef VMD_TCG_IR_H
#define VMD_TCG_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint32_t IrTemp;
#define IR_TEMP_NONE UINT32_MAX

typedef enum IrType {
    IR_I32,
    IR_I64,
} IrType;

typedef enum IrTempKind {
    IR_TEMP_GLOBAL,
    IR_TEMP_LOCAL,
    IR_TEMP_CONST,
    IR_TEMP_ENV,
} IrTempKind;

/* Op flags, from ir-ops.def. */
enum {
    IR_OPF_ALU = 1 << 0,          /* pure function of its inputs */
    IR_OPF_COMMUTATIVE = 1 << 1,  /* the two inputs may be swapped */
    IR_OPF_BB_END = 1 << 2,       /* ends a basic block (label, branch, exit) */
    IR_OPF_SIDE_EFFECTS = 1 << 3, /* never removed, even if its outputs are unused */
    IR_OPF_MAY_RAISE = 1 << 4,    /* may leave the block with a guest exception */
    IR_OPF_READS_ENV = 1 << 5,    /* reads CPU state outside the temps */
    IR_OPF_CALL = 1 << 6,         /* a helper call: see IrCallInfo for its effects */
    IR_OPF_EXIT = 1 << 7,         /* leaves the block */
};

typedef enum IrOpcode {
#define DEF(name, nout, nin, nimm, flags) IR_OP_##name,
#include "tcg/ir/ir-ops.def"
#undef DEF
    IR_OP_MAX,
} IrOpcode;

typedef struct IrOpDef {
    const char *name;
    uint8_t n_out, n_in, n_imm;
    uint32_t flags;
} IrOpDef;

extern const IrOpDef ir_op_defs[IR_OP_MAX];

/* Conditions for setcond, movcond and brcond. */
typedef enum IrCond {
    IR_COND_EQ,
    IR_COND_NE,
    IR_COND_LT,  /* signed */
    IR_COND_GE,
    IR_COND_LE,
    IR_COND_GT,
    IR_COND_LTU, /* unsigned */
    IR_COND_GEU,
    IR_COND_LEU,
    IR_COND_GTU,
    IR_COND_ALWAYS,
    IR_COND_NEVER,
    IR_COND_MAX,
} IrCond;

/* Memory access description: size, sign extension of loads, alignment requirement. */
typedef enum IrMemOp {
    IR_MO_8 = 0,
    IR_MO_16 = 1,
    IR_MO_32 = 2,
    IR_MO_64 = 3,
    IR_MO_SIZE = 3,     /* mask: log2 of the access size */
    IR_MO_SIGN = 1 << 2, /* loads sign-extend to the op's type */
    IR_MO_ALIGN = 1 << 3, /* a misaligned address raises instead of being performed */
} IrMemOp;

/* Read-modify-write ops of atomic_rmw. */
typedef enum IrAtomicOp {
    IR_ATOMIC_XCHG,
    IR_ATOMIC_ADD,
    IR_ATOMIC_AND,
    IR_ATOMIC_OR,
    IR_ATOMIC_XOR,
    IR_ATOMIC_SMIN,
    IR_ATOMIC_SMAX,
    IR_ATOMIC_UMIN,
    IR_ATOMIC_UMAX,
    IR_ATOMIC_MAX,
} IrAtomicOp;

/* Barrier bits of mb: which earlier accesses are ordered before which later ones. */
enum {
    IR_MB_LD_LD = 1 << 0,
    IR_MB_LD_ST = 1 << 1,
    IR_MB_ST_LD = 1 << 2,
    IR_MB_ST_ST = 1 << 3,
    IR_MB_ALL = 0xf,
};

/*
 * Helper calls. Every helper has the C type
 *     uint64_t helper(uint64_t a0, ..., uint64_t aN-1)     (0 <= N <= IR_CALL_MAX_ARGS)
 * (pointers, env included, are passed as uint64_t), so that any back end, the portable
 * interpreter included, can call it without knowing more than its arity.
 */
#define IR_CALL_MAX_ARGS 6

enum {
    IR_CALL_READS_ENV = 1 << 0,  /* reads globals through env: sync them to env first */
    IR_CALL_WRITES_ENV = 1 << 1, /* writes globals through env: reload them after */
    IR_CALL_SIDE_EFFECTS = 1 << 2, /* not removable when its result is unused */
    IR_CALL_MAY_RAISE = 1 << 3,  /* may leave the block with a guest exception */
};

typedef uint64_t (*IrHelper0)(void);
typedef uint64_t (*IrHelper6)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

typedef struct IrCallInfo {
    const void *fn;   /* the helper, of type uint64_t (*)(uint64_t x n_in) */
    const char *name; /* for dumps and traces */
    uint32_t flags;   /* IR_CALL_* */
} IrCallInfo;

#define IR_MAX_ARGS (1 + IR_CALL_MAX_ARGS)
#define IR_MAX_IMM 3

typedef struct IrOp {
    uint16_t opc;                /* IrOpcode */
    uint8_t type;                /* IrType the op computes in */
    uint8_t n_out;               /* number of output temps in args[] */
    uint8_t n_in;                /* number of input temps after the outputs */
    IrTemp args[IR_MAX_ARGS];    /* outputs, then inputs */
    uint64_t imm[IR_MAX_IMM];    /* immediates, per ir-ops.def */
} IrOp;

typedef struct IrTempInfo {
    uint8_t kind;     /* IrTempKind */
    uint8_t type;     /* IrType */
    int32_t offset;   /* globals: byte offset of the field in env */
    uint64_t value;   /* constants: the value (i32 constants are zero-extended) */
    const char *name; /* globals: name for dumps */
} IrTempInfo;

/*
 * How guest memory ops reach memory: a front end's description that every back end
 * follows. With guest_base set (user mode), guest address a is host address
 * *guest_base + a and faults arrive as host signals; otherwise (system mode) every access
 * goes through the callbacks, which walk the software TLB and raise guest exceptions.
 */
typedef struct IrGuestMemory {
    const uintptr_t *guest_base; /* user mode: where guest address 0 is on the host */
    const uint64_t *guest_limit; /* user mode: addresses at or above it are not guest memory */
    /* User mode: raises the guest's page fault for an address beyond guest_limit. */
    void (*bad_address)(void *env, uint64_t addr, bool is_store); /* does not return */
    uint64_t (*load)(void *env, uint64_t addr, unsigned memop, unsigned mmu_idx);
    void (*store)(void *env, uint64_t addr, uint64_t val, unsigned memop, unsigned mmu_idx);
    /* Host address for an atomic access of 1 << (memop & IR_MO_SIZE) bytes, or raises. */
    void *(*atomic_addr)(void *env, uint64_t addr, unsigned memop, unsigned mmu_idx);
    /* Raises the guest's misaligned-access exception (IR_MO_ALIGN accesses). */
    void (*misaligned)(void *env, uint64_t addr, bool is_store); /* does not return */
} IrGuestMemory;

/*
 * The per-translator context: the globals every block shares and where the back end
 * finds the guest pc. One per front end instance; immutable once blocks are built.
 */
#define IR_MAX_GLOBALS 128

typedef struct IrContext {
    IrTempInfo globals[IR_MAX_GLOBALS]; /* temps 0..n_globals-1 of every block */
    uint32_t n_globals;
    int32_t pc_offset;     /* env offset of the guest pc (exit_direct writes it) */
    int32_t scratch_offset; /* env offset of the IR_SCRATCH_SLOTS spill/local area */
    int32_t exit_request_offset; /* env offset of an int: non-zero stops chaining */
    const IrGuestMemory *mem; /* how ld_guest/st_guest/atomics reach memory */
} IrContext;

/* The CPU state embeds this many uint64_t slots for back ends (locals, spills). */
#define IR_SCRATCH_SLOTS 512

typedef struct IrBlock {
    const IrContext *ctx;
    IrOp *ops;            /* the op list, in order */
    uint32_t n_ops, cap_ops;
    IrTempInfo *temps;    /* globals first, then env, locals and constants */
    uint32_t n_temps, cap_temps;
    IrCallInfo *calls;    /* call op imm[0] indexes this */
    uint32_t n_calls, cap_calls;
    uint32_t n_labels;
    IrTemp env;           /* the env pointer temp */
    struct IrConstCache *consts; /* interning of constants */
} IrBlock;

void ir_context_init(IrContext *ctx, int32_t pc_offset, int32_t scratch_offset,
                     int32_t exit_request_offset);
IrTemp ir_context_global(IrContext *ctx, IrType type, int32_t offset, const char *name);

void ir_block_init(IrBlock *b, const IrContext *ctx);
void ir_block_reset(IrBlock *b);
void ir_block_destroy(IrBlock *b);

IrTemp ir_temp(IrBlock *b, IrType type);
IrTemp ir_const(IrBlock *b, IrType type, uint64_t value);
static inline IrTemp ir_const64(IrBlock *b, uint64_t v)
{
    return ir_const(b, IR_I64, v);
}
static inline IrTemp ir_const32(IrBlock *b, uint32_t v)
{
    return ir_const(b, IR_I32, v);
}
static inline bool ir_is_const(const IrBlock *b, IrTemp t)
{
    return b->temps[t].kind == IR_TEMP_CONST;
}
static inline IrType ir_temp_type(const IrBlock *b, IrTemp t)
{
    return (IrType)b->temps[t].type;
}
uint32_t ir_new_label(IrBlock *b);

/* Generic emitter: returns the op so callers can fill immediates. */
IrOp *ir_emit(IrBlock *b, IrOpcode opc, IrType type, unsigned n_out, unsigned n_in,
              const IrTemp *args);

/* Typed builders for the common shapes. */
void ir_op1(IrBlock *b, IrOpcode opc, IrType type, IrTemp d, IrTemp a);
void ir_op2(IrBlock *b, IrOpcode opc, IrType type, IrTemp d, IrTemp a, IrTemp c);
void ir_mov(IrBlock *b, IrType type, IrTemp d, IrTemp a);
void ir_movi(IrBlock *b, IrType type, IrTemp d, uint64_t v);
void ir_setcond(IrBlock *b, IrType type, IrCond cond, IrTemp d, IrTemp a, IrTemp c);
void ir_movcond(IrBlock *b, IrType type, IrCond cond, IrTemp d, IrTemp a, IrTemp c,
                IrTemp vtrue, IrTemp vfalse);
void ir_label(IrBlock *b, uint32_t label);
void ir_br(IrBlock *b, uint32_t label);
void ir_brcond(IrBlock *b, IrType type, IrCond cond, IrTemp a, IrTemp c, uint32_t label);
void ir_ld_env(IrBlock *b, IrType type, IrMemOp mo, IrTemp d, int32_t offset);
void ir_st_env(IrBlock *b, IrType type, IrMemOp mo, IrTemp v, int32_t offset);
void ir_ld_guest(IrBlock *b, IrType type, IrMemOp mo, unsigned mmu_idx, IrTemp d, IrTemp addr);
void ir_st_guest(IrBlock *b, IrType type, IrMemOp mo, unsigned mmu_idx, IrTemp v, IrTemp addr);
void ir_cmpxchg(IrBlock *b, IrType type, IrMemOp mo, unsigned mmu_idx, IrTemp d, IrTemp addr,
                IrTemp expect, IrTemp newv);
void ir_atomic_rmw(IrBlock *b, IrType type, IrMemOp mo, unsigned mmu_idx, IrAtomicOp op,
                   IrTemp d, IrTemp addr, IrTemp v);
void ir_mb(IrBlock *b, unsigned bits);
/* d may be IR_TEMP_NONE for helpers whose result is unused. */
void ir_call(IrBlock *b, const void *fn, const char *name, uint32_t flags, IrTemp d,
             unsigned n_in, const IrTemp *in);
void ir_insn_start(IrBlock *b, uint64_t pc);
void ir_exit_direct(IrBlock *b, unsigned slot, uint64_t pc);
void ir_exit_indirect(IrBlock *b);
void ir_exit_return(IrBlock *b, uint64_t code);

#define IR_CALL(b, fn, flags, d, ...)                                                        \
    ir_call((b), (const void *)(fn), #fn, (flags), (d),                                     \
            sizeof((IrTemp[]){__VA_ARGS__}) / sizeof(IrTemp), (IrTemp[]){__VA_ARGS__})
#define IR_CALL0(b, fn, flags, d) ir_call((b), (const void *)(fn), #fn, (flags), (d), 0, NULL)

/* Shorthands used all over the front ends. */
#define IR_ALU2(name)                                                                        \
    static inline void ir_##name##_i64(IrBlock *b, IrTemp d, IrTemp x, IrTemp y)             \
    {                                                                                        \
        ir_op2(b, IR_OP_##name, IR_I64, d, x, y);                                            \
    }                                                                                        \
    static inline void ir_##name##_i32(IrBlock *b, IrTemp d, IrTemp x, IrTemp y)             \
    {                                                                                        \
        ir_op2(b, IR_OP_##name, IR_I32, d, x, y);                                            \
    }
IR_ALU2(add)
IR_ALU2(sub)
IR_ALU2(mul)
IR_ALU2(and)
IR_ALU2(or)
IR_ALU2(xor)
IR_ALU2(shl)
IR_ALU2(shr)
IR_ALU2(sar)
#undef IR_ALU2

/* Evaluation of ALU ops on constants, shared by the optimizer and the interpreter so
 * that both give the same answer by construction. */
uint64_t ir_eval_alu(IrOpcode opc, IrType type, uint64_t a, uint64_t b);
uint64_t ir_eval_unary(IrOpcode opc, IrType type, uint64_t a);
bool ir_eval_cond(IrCond cond, IrType type, uint64_t a, uint64_t b);

/* Passes. */
void ir_optimize(IrBlock *b);
/* Writes a readable listing of the block to a malloc'ed string (for -d ir). */
char *ir_dump(const IrBlock *b);
/* Checks structural invariants (operand kinds, types, labels); returns NULL or a message
 * (static string) naming what is wrong. Front-end bugs surface here in debug builds. */
const char *ir_verify(const IrBlock *b);

#endif
