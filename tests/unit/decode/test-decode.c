/*
 * Decoder test harness: runs instruction words through the decoders that
 * tcg/decodegen.py generated from tcg/riscv/insn32.decode and insn16.decode,
 * with trans_* stubs (decodegen.py --stubs) that record which translator was
 * called and with which arguments.
 *
 * It is driven by run-decode-test.py, which compares what it prints with
 * what binutils' objdump makes of the same words. Protocol, one word per
 * line on stdin:
 *
 *     WIDTH HEX [REJECT]
 *
 * WIDTH is 16 or 32, HEX the word; trans_REJECT, if named, returns false so
 * that overlap groups move on to their next member. For each line it prints
 *
 *     OK name k=v k=v ...        the decoder accepted the word
 *     ILLEGAL [name ...]         the decoder rejected it (after trying those)
 *
 * Built with -DDECODE_SELFTEST it instead includes the generator's own test
 * table (selftest.decode), which exercises fn=, groups and field shapes the
 * RISC-V tables do not use.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct DisasContext {
    char calls[512];    /* every trans called for this word, with its arguments */
    size_t len;         /* bytes used in calls */
    size_t last;        /* offset in calls of the most recent call */
    const char *reject; /* trans name that answers false, or NULL */
} DisasContext;

static void __attribute__((format(printf, 2, 3))) ctx_append(DisasContext *ctx, const char *fmt,
                                                             ...)
{
    va_list ap;
    int n;

    if (ctx->len >= sizeof(ctx->calls) - 1) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(ctx->calls + ctx->len, sizeof(ctx->calls) - ctx->len, fmt, ap);
    va_end(ap);
    if (n > 0) {
        ctx->len += (size_t)n;
    }
    if (ctx->len > sizeof(ctx->calls) - 1) {
        ctx->len = sizeof(ctx->calls) - 1;
    }
}

static bool decodegen_stub_record(DisasContext *ctx, const char *name,
                                  const char *const *names, const int *vals, int n)
{
    if (ctx->len > 0) {
        ctx_append(ctx, " | ");
    }
    ctx->last = ctx->len;
    ctx_append(ctx, "%s", name);
    for (int i = 0; i < n; i++) {
        ctx_append(ctx, " %s=%d", names[i], vals[i]);
    }
    return !(ctx->reject && strcmp(ctx->reject, name) == 0);
}

#ifdef DECODE_SELFTEST
static int ex_plus_one(DisasContext *ctx, int x)
{
    return x + 1;
}

static int ex_times_four(DisasContext *ctx, int x)
{
    return x * 4;
}

#include "decode-self.c.inc"
#include "decode-self-stubs.c.inc"
#define DECODE32(ctx, w) decode_self(ctx, w)
#define DECODE16(ctx, w) false
#else
#include "decode-insn32.c.inc"
#include "decode-insn16.c.inc"
#include "decode-stubs.c.inc"
#define DECODE32(ctx, w) decode_insn32(ctx, w)
#define DECODE16(ctx, w) decode_insn16(ctx, (uint16_t)(w))
#endif

int main(void)
{
    char line[256];
    unsigned long lineno = 0;

    while (fgets(line, sizeof(line), stdin)) {
        DisasContext ctx = { .len = 0 };
        char reject[64] = "";
        unsigned width;
        uint32_t word;
        bool ok;

        lineno++;
        if (sscanf(line, "%u %" SCNx32 " %63s", &width, &word, reject) < 2 ||
            (width != 16 && width != 32)) {
            fprintf(stderr, "test-decode: bad input line %lu: %s", lineno, line);
            return 2;
        }
        ctx.reject = reject[0] ? reject : NULL;
        ok = width == 32 ? DECODE32(&ctx, word) : DECODE16(&ctx, word);
        if (ok) {
            /* Only the call that answered true counts. */
            printf("OK %s\n", ctx.calls + ctx.last);
        } else {
            printf("ILLEGAL%s%.*s\n", ctx.len ? " " : "", (int)ctx.len, ctx.calls);
        }
    }
    return 0;
}
