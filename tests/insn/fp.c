/*
 * fp.c: the rounding-mode table runner (see fp.h).
 */
#include "fp.h"

static char name_buf[160]; /* "<case> <rm>" for the report */

static const char *case_name(const char *name, const char *prefix, int rm)
{
    size_t n = 0;

    for (const char *s = name; *s && n < sizeof(name_buf) - 16; s++) {
        name_buf[n++] = *s;
    }
    name_buf[n++] = ' ';
    for (const char *s = prefix; *s; s++) {
        name_buf[n++] = *s;
    }
    for (const char *s = t_rm_names[rm]; *s; s++) {
        name_buf[n++] = *s;
    }
    name_buf[n] = 0;
    return name_buf;
}

static u64 box_if(u64 v, int single)
{
    return single ? BOX(v) : v;
}

void run_rm_cases(const struct fp_op *op, const struct rm_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct rm_case *c = &cases[i];
        u64 a = box_if(c->a, op->box_in & 1);
        u64 b = box_if(c->b, op->box_in & 2);
        u64 cc = box_if(c->c, op->box_in & 4);

        for (int rm = RNE; rm <= RMM; rm++) {
            u64 exp = box_if(c->r[rm], op->box_out);
            unsigned fl;
            u64 got;

            /* Static rm: frm holds another mode, which must not matter. */
            set_frm(rm == RUP || rm == RMM ? RDN : RUP);
            got = op->fn(rm, a, b, cc, &fl);
            t_check_fp(op->mn, case_name(c->name, "", rm), got, fl, exp, c->fl[rm]);

            set_frm(rm);
            got = op->fn(RM_DYN, a, b, cc, &fl);
            t_check_fp(op->mn, case_name(c->name, "dyn=", rm), got, fl, exp, c->fl[rm]);
        }
    }
    set_frm(RNE);
}
