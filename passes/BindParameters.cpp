//===- BindParameters.cpp - attn-bind-parameters ---------------------------===//
#include "passes/Passes.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNBINDPARAMETERSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

/// Parses `text` as a value of parameter type `type`.
static FailureOr<TypedAttr> parseValue(Builder &b, Type type, StringRef text) {
  text = text.trim();
  if (type.isInteger(1)) {
    if (text == "true" || text == "1")
      return TypedAttr(b.getBoolAttr(true));
    if (text == "false" || text == "0")
      return TypedAttr(b.getBoolAttr(false));
    return failure();
  }
  if (type.isInteger(64)) {
    int64_t v;
    if (text.getAsInteger(10, v))
      return failure();
    return TypedAttr(b.getI64IntegerAttr(v));
  }
  double d;
  if (text.getAsDouble(d))
    return failure();
  return TypedAttr(b.getF64FloatAttr(d));
}

static StringRef typeName(Type t) {
  return t.isInteger(1) ? "a bool" : t.isInteger(64) ? "an int" : "a float";
}

namespace {
struct BindParameters
    : mlir::attn::impl::AttnBindParametersPassBase<BindParameters> {
  using AttnBindParametersPassBase::AttnBindParametersPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::StringMap<std::string> given;
    for (const std::string &v : values) {
      auto [name, value] = StringRef(v).split('=');
      if (name.trim().empty() || !StringRef(v).contains('=')) {
        module.emitError() << "malformed parameter value '" << v
                           << "', expected NAME=VALUE";
        return signalPassFailure();
      }
      given[name.trim()] = value.str();
    }
    bool ok = true;
    for (PatternOp p : llvm::make_early_inc_range(module.getOps<PatternOp>()))
      if (pattern.empty() || p.getSymName() == pattern)
        ok &= succeeded(bind(p, given));
    if (!ok)
      signalPassFailure();
  }

  LogicalResult bind(PatternOp p, const llvm::StringMap<std::string> &given) {
    Block &block = p.getBodyBlock();
    OpBuilder b = OpBuilder::atBlockBegin(&block);
    for (auto &entry : given) {
      bool known = llvm::any_of(p.getParamNames(), [&](Attribute a) {
        return cast<StringAttr>(a).getValue() == entry.getKey();
      });
      if (!known) {
        std::string names;
        for (unsigned i = 0; i < p.getNumParams(); ++i)
          names += (i ? ", " : "") + p.getParamName(i).str();
        return p.emitError() << "pattern '" << p.getSymName()
                             << "' has no parameter '" << entry.getKey()
                             << "' (parameters: "
                             << (names.empty() ? "none" : names) << ")";
      }
    }
    SmallVector<Attribute> names, defaults;
    SmallVector<bool> runtime;
    llvm::BitVector erase(block.getNumArguments());
    for (unsigned i = 0; i < p.getNumParams(); ++i) {
      BlockArgument arg = block.getArgument(i);
      StringRef name = p.getParamName(i);
      TypedAttr value;
      if (auto it = given.find(name); it != given.end()) {
        auto parsed = parseValue(b, arg.getType(), it->second);
        if (failed(parsed))
          return p.emitError() << "value '" << it->second
                               << "' for parameter '" << name
                               << "' is not " << typeName(arg.getType());
        value = *parsed;
      } else if (!p.isRuntimeParam(i)) {
        value = p.getParamDefault(i);
        if (!value)
          return p.emitError() << "parameter '" << name << "' of pattern '"
                               << p.getSymName()
                               << "' has no default and no value was given "
                                  "(set it with --set "
                               << name << "=VALUE)";
      }
      if (!value) {
        names.push_back(p.getParamNames()[i]);
        defaults.push_back(p.getParamDefaults()[i]);
        runtime.push_back(true);
        continue;
      }
      // Named after the parameter, so that messages about the value can
      // say where it came from.
      Value c = arith::ConstantOp::create(
          b, NameLoc::get(b.getStringAttr(name), p.getLoc()), value);
      arg.replaceAllUsesWith(c);
      erase.set(i);
    }
    block.eraseArguments(erase);
    p.setParamNamesAttr(b.getArrayAttr(names));
    p.setParamDefaultsAttr(b.getArrayAttr(defaults));
    p.setParamRuntime(runtime);
    return success();
  }
};
} // namespace
