//===- AttnTypes.h - attn dialect types -------------------------*- C++ -*-===//
#ifndef ATTN_DIALECT_ATTNTYPES_H
#define ATTN_DIALECT_ATTNTYPES_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Types.h"

#define GET_TYPEDEF_CLASSES
#include "dialect/AttnTypes.h.inc"

#endif // ATTN_DIALECT_ATTNTYPES_H
