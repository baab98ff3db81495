//===- AttnOps.cpp - attn op parsing, printing and verification -----------===//
#include "dialect/AttnOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallSet.h"

using namespace mlir;
using namespace mlir::attn;

#include "dialect/AttnInterfaces.cpp.inc"

std::optional<int64_t> mlir::attn::getConstantInt(Value v) {
  APInt value;
  if (v && matchPattern(v, m_ConstantInt(&value)))
    return value.getSExtValue();
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Primitive verifiers
//
// They check the op itself (grids, tables, positions), not the values of its
// operands: a constant operand out of range (a window of 0) is valid IR that
// folding or inlining may produce, and attn-check-ranges reports it where the
// user wrote the value (MLIR's rule: a verifier does not look at the ops that
// define its operands).
//===----------------------------------------------------------------------===//

static LogicalResult verifyGrid(Operation *op, ArrayRef<int64_t> grid) {
  if (grid.size() != 2)
    return op->emitOpError() << "grid must be [height, width], got "
                             << grid.size() << " values";
  if (grid[0] < 1 || grid[1] < 1)
    return op->emitOpError() << "grid dimensions must be positive, got ["
                             << grid[0] << ", " << grid[1] << "]";
  return success();
}

LogicalResult GlobalOp::verify() {
  ArrayRef<int64_t> pos = getPositions();
  for (size_t i = 0; i < pos.size(); ++i) {
    if (pos[i] < 0)
      return emitOpError() << "positions must be non-negative, got " << pos[i];
    if (i && pos[i] <= pos[i - 1])
      return emitOpError("positions must be strictly increasing");
  }
  return success();
}
LogicalResult BlockLayoutOp::verify() {
  auto type = llvm::cast<ShapedType>(getTable().getType());
  if (type.getRank() != 2 && type.getRank() != 3)
    return emitOpError() << "table must have rank 2 [rows, cols] or 3 "
                            "[heads, rows, cols], got rank "
                         << type.getRank();
  if (!type.getElementType().isInteger(1))
    return emitOpError("table elements must be i1");
  for (int64_t d : type.getShape())
    if (d < 1)
      return emitOpError("table dimensions must be positive");
  return success();
}
LogicalResult Window2dOp::verify() { return verifyGrid(*this, getGrid()); }
LogicalResult NeighborhoodOp::verify() { return verifyGrid(*this, getGrid()); }
LogicalResult AxialOp::verify() { return verifyGrid(*this, getGrid()); }

//===----------------------------------------------------------------------===//
// SelectHeadsOp, PredicateOp, YieldOp
//===----------------------------------------------------------------------===//

LogicalResult SelectHeadsOp::verify() {
  ArrayRef<int64_t> bounds = getBounds();
  if (bounds.size() != getMasks().size() + 1)
    return emitOpError() << "expects " << getMasks().size() + 1
                         << " bounds for " << getMasks().size()
                         << " masks, got " << bounds.size();
  if (getMasks().empty())
    return emitOpError("expects at least one mask");
  if (bounds.front() != 0)
    return emitOpError() << "head ranges must start at head 0, got "
                         << bounds.front();
  for (size_t i = 1; i < bounds.size(); ++i)
    if (bounds[i] <= bounds[i - 1])
      return emitOpError() << "head range " << i - 1 << " ["
                           << bounds[i - 1] << ", " << bounds[i]
                           << ") is empty or out of order";
  return success();
}

LogicalResult PredicateOp::verifyRegions() {
  Block &block = getBody().front();
  unsigned expected = getNumIndexArgs();
  if (block.getNumArguments() != expected)
    return emitOpError() << "expects " << expected
                         << " index arguments (q, k, h, b, p"
                         << (getGrid() ? ", qy, qx, ky, kx" : "") << "), got "
                         << block.getNumArguments();
  for (BlockArgument arg : block.getArguments())
    if (!arg.getType().isInteger(64))
      return emitOpError("index arguments must be i64");
  if (auto grid = getGrid())
    if (failed(verifyGrid(*this, *grid)))
      return failure();
  auto yield = dyn_cast<YieldOp>(block.getTerminator());
  if (!yield || !yield.getValue().getType().isInteger(1))
    return emitOpError("body must end with attn.yield of an i1");
  return success();
}

void PredicateOp::getAsmBlockArgumentNames(Region &region,
                                           OpAsmSetValueNameFn setNameFn) {
  static const char *names[] = {"q", "k", "h", "b", "p", "qy", "qx", "ky", "kx"};
  for (auto [i, arg] : llvm::enumerate(region.getArguments()))
    if (i < 9)
      setNameFn(arg, names[i]);
}

LogicalResult YieldOp::verify() {
  Type type = getValue().getType();
  if (isa<PatternOp>((*this)->getParentOp()) && !isa<MaskType>(type))
    return emitOpError("in a pattern must yield an !attn.mask");
  if (isa<PredicateOp>((*this)->getParentOp()) && !type.isInteger(1))
    return emitOpError("in a predicate must yield an i1");
  return success();
}

//===----------------------------------------------------------------------===//
// PatternOp
//===----------------------------------------------------------------------===//

TypedAttr PatternOp::getParamDefault(unsigned i) {
  return dyn_cast<TypedAttr>(getParamDefaults()[i]);
}

Value PatternOp::getMask() {
  return cast<YieldOp>(getBodyBlock().getTerminator()).getValue();
}

void PatternOp::getAsmBlockArgumentNames(Region &region,
                                         OpAsmSetValueNameFn setNameFn) {
  if (&region != &getBody())
    return;
  for (auto [i, arg] : llvm::enumerate(region.getArguments()))
    if (i < getParamNames().size())
      setNameFn(arg, getParamName(i));
}

static bool isParamType(Type t) {
  return t.isInteger(64) || t.isInteger(1) || t.isF64();
}

LogicalResult PatternOp::verify() {
  unsigned n = getParamNames().size();
  if (getParamDefaults().size() != n || getParamRuntime().size() != n)
    return emitOpError() << "has " << n << " parameter names but "
                         << getParamDefaults().size() << " defaults and "
                         << getParamRuntime().size() << " run-time flags";
  llvm::SmallSet<StringRef, 8> seen;
  for (unsigned i = 0; i < n; ++i) {
    auto name = dyn_cast<StringAttr>(getParamNames()[i]);
    if (!name || name.getValue().empty())
      return emitOpError() << "parameter " << i << " has no name";
    if (!seen.insert(name.getValue()).second)
      return emitOpError() << "duplicate parameter '" << name.getValue()
                           << "'";
  }
  if (auto heads = getHeads(); heads && *heads < 1)
    return emitOpError() << "heads must be at least 1, got " << *heads;
  if (auto layout = getLayout())
    if (failed(verifyGrid(*this, *layout)))
      return failure();
  return success();
}

LogicalResult PatternOp::verifyRegions() {
  Block &block = getBodyBlock();
  unsigned n = getParamNames().size();
  if (block.getNumArguments() != n)
    return emitOpError() << "has " << n << " parameters but its body takes "
                         << block.getNumArguments() << " arguments";
  for (unsigned i = 0; i < n; ++i) {
    Type t = block.getArgument(i).getType();
    if (!isParamType(t))
      return emitOpError() << "parameter '" << getParamName(i)
                           << "' must be i64, f64 or i1, got " << t;
    if (TypedAttr def = getParamDefault(i); def && def.getType() != t)
      return emitOpError() << "default of parameter '" << getParamName(i)
                           << "' has type " << def.getType()
                           << ", expected " << t;
  }
  if (block.empty() || !isa<YieldOp>(block.back()))
    return emitOpError("body must end with attn.yield");
  return success();
}

ParseResult PatternOp::parse(OpAsmParser &parser, OperationState &result) {
  Builder &b = parser.getBuilder();
  if (succeeded(parser.parseOptionalKeyword("private")))
    result.addAttribute(getSymVisibilityAttrName(result.name),
                        b.getStringAttr("private"));
  StringAttr name;
  if (parser.parseSymbolName(name, SymbolTable::getSymbolAttrName(),
                             result.attributes))
    return failure();

  SmallVector<OpAsmParser::Argument> args;
  SmallVector<Attribute> names, defaults;
  SmallVector<bool> runtime;
  auto parseParam = [&]() -> ParseResult {
    bool isRuntime = succeeded(parser.parseOptionalKeyword("param"));
    OpAsmParser::Argument arg;
    if (parser.parseArgument(arg, /*allowType=*/true))
      return failure();
    Attribute def = b.getUnitAttr();
    if (succeeded(parser.parseOptionalEqual())) {
      if (arg.type.isInteger(1)) {
        bool v;
        if (succeeded(parser.parseOptionalKeyword("true")))
          v = true;
        else if (succeeded(parser.parseOptionalKeyword("false")))
          v = false;
        else
          return parser.emitError(parser.getCurrentLocation(),
                                  "expected true or false");
        def = b.getBoolAttr(v);
      } else if (parser.parseAttribute(def, arg.type)) {
        return failure();
      }
    }
    names.push_back(b.getStringAttr(arg.ssaName.name.drop_front()));
    defaults.push_back(def);
    runtime.push_back(isRuntime);
    args.push_back(arg);
    return success();
  };
  if (parser.parseCommaSeparatedList(OpAsmParser::Delimiter::Paren,
                                     parseParam))
    return failure();
  result.addAttribute(getParamNamesAttrName(result.name),
                      b.getArrayAttr(names));
  result.addAttribute(getParamDefaultsAttrName(result.name),
                      b.getArrayAttr(defaults));
  result.addAttribute(getParamRuntimeAttrName(result.name),
                      b.getDenseBoolArrayAttr(runtime));
  if (succeeded(parser.parseOptionalKeyword("heads"))) {
    int64_t heads;
    if (parser.parseInteger(heads))
      return failure();
    result.addAttribute(getHeadsAttrName(result.name),
                        b.getI64IntegerAttr(heads));
  }
  if (succeeded(parser.parseOptionalKeyword("layout"))) {
    int64_t h, w;
    if (parser.parseKeyword("grid") || parser.parseLParen() ||
        parser.parseInteger(h) || parser.parseComma() ||
        parser.parseInteger(w) || parser.parseRParen())
      return failure();
    result.addAttribute(getLayoutAttrName(result.name),
                        b.getDenseI64ArrayAttr({h, w}));
  }
  if (parser.parseOptionalAttrDictWithKeyword(result.attributes))
    return failure();
  Region *body = result.addRegion();
  return parser.parseRegion(*body, args);
}

void PatternOp::print(OpAsmPrinter &p) {
  p << ' ';
  if (auto vis = getSymVisibility())
    p << *vis << ' ';
  p.printSymbolName(getSymName());
  p << '(';
  Block &block = getBodyBlock();
  for (unsigned i = 0, e = getNumParams(); i < e; ++i) {
    if (i)
      p << ", ";
    if (isRuntimeParam(i))
      p << "param ";
    p.printRegionArgument(block.getArgument(i));
    if (TypedAttr def = getParamDefault(i)) {
      p << " = ";
      if (auto boolAttr = dyn_cast<BoolAttr>(def))
        p << (boolAttr.getValue() ? "true" : "false");
      else
        p.printAttributeWithoutType(def);
    }
  }
  p << ')';
  if (auto heads = getHeads())
    p << " heads " << *heads;
  if (auto layout = getLayout())
    p << " layout grid(" << (*layout)[0] << ", " << (*layout)[1] << ")";
  p.printOptionalAttrDictWithKeyword(
      (*this)->getAttrs(),
      {getSymNameAttrName(), getSymVisibilityAttrName(),
       getParamNamesAttrName(), getParamDefaultsAttrName(),
       getParamRuntimeAttrName(), getHeadsAttrName(), getLayoutAttrName()});
  p << ' ';
  p.printRegion(getBody(), /*printEntryBlockArgs=*/false,
                /*printBlockTerminators=*/true);
}

//===----------------------------------------------------------------------===//
// CallOp
//===----------------------------------------------------------------------===//

LogicalResult CallOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto callee =
      symbolTable.lookupNearestSymbolFrom<PatternOp>(*this, getCalleeAttr());
  if (!callee)
    return emitOpError() << "'" << getCallee()
                         << "' does not name an attn.pattern";
  Block &block = callee.getBodyBlock();
  if (block.getNumArguments() != getArgs().size())
    return emitOpError() << "passes " << getArgs().size()
                         << " arguments to '" << getCallee() << "', which takes "
                         << block.getNumArguments();
  for (auto [i, arg] : llvm::enumerate(getArgs()))
    if (arg.getType() != block.getArgument(i).getType())
      return emitOpError() << "argument " << i << " of '" << getCallee()
                           << "' has type " << arg.getType() << ", expected "
                           << block.getArgument(i).getType();
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::verify() {
  auto q = getQ().getType(), k = getK().getType(), v = getV().getType(),
       out = getOut().getType();
  for (auto [name, t] : {std::pair<StringRef, RankedTensorType>{"q", q},
                         {"k", k}, {"v", v}, {"out", out}})
    if (t.getRank() != 4)
      return emitOpError() << name
                           << " must be [batch, heads, seq, head_dim], got rank "
                           << t.getRank();
  if (k.getElementType() != q.getElementType() ||
      v.getElementType() != q.getElementType() ||
      out.getElementType() != q.getElementType())
    return emitOpError("q, k, v and out must have the same element type");
  auto dimsDiffer = [](int64_t a, int64_t b) {
    return !ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b;
  };
  auto qs = q.getShape(), ks = k.getShape(), vs = v.getShape(),
       os = out.getShape();
  if (dimsDiffer(qs[0], ks[0]) || dimsDiffer(qs[0], vs[0]) ||
      dimsDiffer(qs[0], os[0]))
    return emitOpError("batch sizes of q, k, v and out differ");
  if (dimsDiffer(qs[3], ks[3]))
    return emitOpError() << "head_dim of q (" << qs[3] << ") and k ("
                         << ks[3] << ") differ";
  if (dimsDiffer(ks[1], vs[1]) || dimsDiffer(ks[2], vs[2]))
    return emitOpError("k and v must have the same heads and length");
  if (!ShapedType::isDynamic(qs[1]) && !ShapedType::isDynamic(ks[1]) &&
      (ks[1] == 0 || qs[1] % ks[1] != 0))
    return emitOpError() << "query heads (" << qs[1]
                         << ") must be a multiple of key/value heads ("
                         << ks[1] << ")";
  if (dimsDiffer(os[1], qs[1]) || dimsDiffer(os[2], qs[2]) ||
      dimsDiffer(os[3], vs[3]))
    return emitOpError("out must be [batch, q heads, q length, v head_dim]");
  if (auto scale = getScale())
    if (!(scale->convertToDouble() > 0.0) ||
        !std::isfinite(scale->convertToDouble()))
      return emitOpError("scale must be a positive finite number");
  return success();
}

#define GET_OP_CLASSES
#include "dialect/AttnOps.cpp.inc"
