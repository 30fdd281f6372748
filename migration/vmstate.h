/*
 * Device state descriptions: every device lists the fields that make up its guest-
 * visible state, so that snapshots and migration save and restore all of it without a
 * device-specific retrofit. A description is data (name, version, field table); the
 * stream format that uses it belongs to migration/ (to come).
 */
#ifndef VMD_MIGRATION_VMSTATE_H
#define VMD_MIGRATION_VMSTATE_H

#include <stddef.h>
#include <stdint.h>

typedef enum VMStateType {
    VMSTATE_UINT8,
    VMSTATE_UINT16,
    VMSTATE_UINT32,
    VMSTATE_UINT64,
    VMSTATE_BOOL,
    VMSTATE_BUFFER, /* size bytes, opaque */
} VMStateType;

typedef struct VMStateField {
    const char *name;  /* stable across versions: the stream names fields */
    VMStateType type;
    size_t offset;     /* in the device struct */
    size_t size;       /* of one element */
    size_t count;      /* array length (1 for scalars) */
} VMStateField;

typedef struct VMStateDescription {
    const char *name;  /* e.g. "riscv.aclint" */
    int version;
    const VMStateField *fields;
    size_t n_fields;
} VMStateDescription;

#define VMSTATE_FIELD_(st, f, t, n)                                                          \
    {.name = #f, .type = (t), .offset = offsetof(st, f), .size = sizeof(((st *)0)->f) / (n), \
     .count = (n)}
#define VMSTATE_U8(st, f) VMSTATE_FIELD_(st, f, VMSTATE_UINT8, 1)
#define VMSTATE_U32(st, f) VMSTATE_FIELD_(st, f, VMSTATE_UINT32, 1)
#define VMSTATE_U64(st, f) VMSTATE_FIELD_(st, f, VMSTATE_UINT64, 1)
#define VMSTATE_BOOL_(st, f) VMSTATE_FIELD_(st, f, VMSTATE_BOOL, 1)
#define VMSTATE_U8_ARRAY(st, f, n) VMSTATE_FIELD_(st, f, VMSTATE_UINT8, n)
#define VMSTATE_U32_ARRAY(st, f, n) VMSTATE_FIELD_(st, f, VMSTATE_UINT32, n)
#define VMSTATE_U64_ARRAY(st, f, n) VMSTATE_FIELD_(st, f, VMSTATE_UINT64, n)

#endif
