/*
 * TCI: the portable back end. It lowers an IrBlock into a compact bytecode and
 * interprets it; correct on any 64-bit host, and the reference the JIT is checked
 * against.
 */
#ifndef VMD_TCG_TCI_H
#define VMD_TCG_TCI_H

#include "tcg/exec/tb.h"

extern const TbBackend tci_backend;

#endif
