/*
 * Reading IR back: a listing for -d op (one op a line, temps named g:x5 for globals,
 * t12 for locals, $0x10 for constants), and a verifier of the invariants back ends rely
 * on, run on every block in debug builds and by the unit tests.
 */
#include "tcg/ir/ir.h"

#include <glib.h>
#include <inttypes.h>

static const char *const cond_names[IR_COND_MAX] = {
    "eq", "ne", "lt", "ge", "le", "gt", "ltu", "geu", "leu", "gtu", "always", "never",
};

static void dump_temp(GString *s, const IrBlock *b, IrTemp t)
{
    const IrTempInfo *ti = &b->temps[t];
    switch (ti->kind) {
    case IR_TEMP_GLOBAL:
        g_string_append(s, ti->name ? ti->name : "g?");
        break;
    case IR_TEMP_CONST:
        g_string_append_printf(s, "$0x%" PRIx64, ti->value);
        break;
    case IR_TEMP_ENV:
        g_string_append(s, "env");
        break;
    default:
        g_string_append_printf(s, "t%u", t);
        break;
    }
}

char *ir_dump(const IrBlock *b)
{
    GString *s = g_string_new(NULL);
    for (uint32_t k = 0; k < b->n_ops; k++) {
        const IrOp *op = &b->ops[k];
        const IrOpDef *def = &ir_op_defs[op->opc];
        if (op->opc == IR_OP_insn_start) {
            g_string_append_printf(s, " ---- 0x%" PRIx64 "\n", op->imm[0]);
            continue;
        }
        if (op->opc == IR_OP_label) {
            g_string_append_printf(s, "L%" PRIu64 ":\n", op->imm[0]);
            continue;
        }
        g_string_append_printf(s, "    %s", op->opc == IR_OP_call ? b->calls[op->imm[0]].name
                                                                  : def->name);
        if (op->n_out + op->n_in) {
            g_string_append(s, op->type == IR_I32 ? "_i32 " : "_i64 ");
        }
        for (unsigned i = 0; i < op->n_out + op->n_in; i++) {
            if (i) {
                g_string_append(s, i == op->n_out ? " <- " : ", ");
            } else if (op->n_out == 0) {
                g_string_append(s, "<- ");
            }
            dump_temp(s, b, op->args[i]);
        }
        switch (op->opc) {
        case IR_OP_setcond:
        case IR_OP_movcond:
            g_string_append_printf(s, " %s", cond_names[op->imm[0] % IR_COND_MAX]);
            break;
        case IR_OP_brcond:
            g_string_append_printf(s, " %s L%" PRIu64, cond_names[op->imm[1] % IR_COND_MAX],
                                   op->imm[0]);
            break;
        case IR_OP_br:
            g_string_append_printf(s, " L%" PRIu64, op->imm[0]);
            break;
        case IR_OP_call:
            break;
        default:
            for (unsigned i = 0; i < def->n_imm; i++) {
                g_string_append_printf(s, " 0x%" PRIx64, op->imm[i]);
            }
            break;
        }
        g_string_append_c(s, '\n');
    }
    return g_string_free(s, FALSE);
}

const char *ir_verify(const IrBlock *b)
{
    g_autofree bool *label_seen = g_new0(bool, b->n_labels + 1);
    for (uint32_t k = 0; k < b->n_ops; k++) {
        const IrOp *op = &b->ops[k];
        if (op->opc >= IR_OP_MAX) {
            return "unknown opcode";
        }
        const IrOpDef *def = &ir_op_defs[op->opc];
        if (op->opc != IR_OP_call && (op->n_out != def->n_out || op->n_in != def->n_in)) {
            return "operand count does not match the op table";
        }
        for (unsigned i = 0; i < op->n_out + op->n_in; i++) {
            if (op->args[i] >= b->n_temps) {
                return "operand is not a temp of this block";
            }
            uint8_t kind = b->temps[op->args[i]].kind;
            if (i < op->n_out && (kind == IR_TEMP_CONST || kind == IR_TEMP_ENV)) {
                return "output is a constant or env";
            }
            if (kind == IR_TEMP_ENV && op->opc != IR_OP_call) {
                return "env used outside a helper call";
            }
        }
        switch (op->opc) {
        case IR_OP_label:
            if (op->imm[0] >= b->n_labels || label_seen[op->imm[0]]) {
                return "label out of range or defined twice";
            }
            label_seen[op->imm[0]] = true;
            break;
        case IR_OP_br:
        case IR_OP_brcond:
            if (op->imm[0] >= b->n_labels || label_seen[op->imm[0]]) {
                return "branch to an unknown or earlier label (branches go forward)";
            }
            break;
        default:
            break;
        }
    }
    if (b->n_ops == 0 || !(ir_op_defs[b->ops[b->n_ops - 1].opc].flags & IR_OPF_EXIT)) {
        return "block does not end with an exit";
    }
    return NULL;
}
