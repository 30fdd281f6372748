/*
 * vmd-img: the disk image tool, one file per group of commands. programs/vmd-img.c
 * only calls img_main(). Each command parses its options the way qemu-img does and
 * returns the process exit code; errors go to stderr as "vmd-img: message".
 */
#pragma once

#include "block/block.h"

#include <stdbool.h>
#include <stdint.h>

int img_main(int argc, char **argv);

int img_create(int argc, char **argv);
int img_info(int argc, char **argv);
int img_check(int argc, char **argv);
int img_convert(int argc, char **argv);
int img_compare(int argc, char **argv);
int img_map(int argc, char **argv);
int img_resize(int argc, char **argv);
int img_snapshot(int argc, char **argv);
int img_commit(int argc, char **argv);
int img_rebase(int argc, char **argv);
int img_amend(int argc, char **argv);
int img_measure(int argc, char **argv);
int img_bench(int argc, char **argv);

/* img-util.c */
void img_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
bool img_parse_size(const char *s, uint64_t *ret);
/* Parse "a=b,c=d" into opts (key -> value); false with a message on bad syntax. */
bool img_parse_opts(GHashTable *opts, const char *s);
GHashTable *img_opts_new(void);
/* Create an image of format fmt; opts are the -o options (consumed keys removed). */
bool img_create_image(const char *filename, const char *fmt, uint64_t size, GHashTable *opts,
                      bool quiet, GError **errp);
BlockDriverState *img_open(const char *filename, const char *fmt, int flags, GError **errp);
char *img_size_to_str(uint64_t bytes);
void img_progress(bool enabled, double percent);
bool img_buffer_is_zero(const uint8_t *buf, size_t len);
