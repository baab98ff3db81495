//===- AST.cpp - the .attn syntax tree and its readable dump --------------===//
#include "frontend/AST.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir::attn::ast;

llvm::StringRef mlir::attn::ast::spelling(BinaryOp op) {
  switch (op) {
  case BinaryOp::Or:
    return "|";
  case BinaryOp::And:
    return "&";
  case BinaryOp::Eq:
    return "==";
  case BinaryOp::Ne:
    return "!=";
  case BinaryOp::Lt:
    return "<";
  case BinaryOp::Le:
    return "<=";
  case BinaryOp::Gt:
    return ">";
  case BinaryOp::Ge:
    return ">=";
  case BinaryOp::Add:
    return "+";
  case BinaryOp::Sub:
    return "-";
  case BinaryOp::Mul:
    return "*";
  case BinaryOp::Div:
    return "/";
  case BinaryOp::Rem:
    return "%";
  }
  return "?";
}

llvm::StringRef mlir::attn::ast::spelling(UnaryOp op) {
  return op == UnaryOp::Not ? "!" : "-";
}

bool mlir::attn::ast::isComparison(BinaryOp op) {
  switch (op) {
  case BinaryOp::Eq:
  case BinaryOp::Ne:
  case BinaryOp::Lt:
  case BinaryOp::Le:
  case BinaryOp::Gt:
  case BinaryOp::Ge:
    return true;
  default:
    return false;
  }
}

llvm::StringRef mlir::attn::ast::spelling(ParamType type) {
  switch (type) {
  case ParamType::Int:
    return "int";
  case ParamType::Float:
    return "float";
  case ParamType::Bool:
    return "bool";
  }
  return "?";
}

static void printFloat(llvm::raw_ostream &os, double v) {
  std::string s = std::to_string(v);
  // Trim std::to_string's fixed six decimals to a readable form.
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0')
      s.pop_back();
    if (s.back() == '.')
      s.push_back('0');
  }
  os << s;
}

void mlir::attn::ast::dump(const Expr &e, llvm::raw_ostream &os,
                           unsigned indent) {
  os.indent(indent);
  switch (e.kind) {
  case ExprKind::Int:
    os << "Int " << e.intValue << "\n";
    return;
  case ExprKind::Float:
    os << "Float ";
    printFloat(os, e.floatValue);
    os << "\n";
    return;
  case ExprKind::Bool:
    os << "Bool " << (e.boolValue ? "true" : "false") << "\n";
    return;
  case ExprKind::String:
    os << "String \"";
    os.write_escaped(e.name);
    os << "\"\n";
    return;
  case ExprKind::Ident:
    os << "Ident " << e.name << "\n";
    return;
  case ExprKind::Unary:
    os << "Unary " << spelling(e.unaryOp) << "\n";
    dump(*e.operands[0], os, indent + 2);
    return;
  case ExprKind::Binary:
    os << "Binary " << spelling(e.binaryOp) << "\n";
    for (const ExprPtr &x : e.operands)
      dump(*x, os, indent + 2);
    return;
  case ExprKind::List:
    os << "List (" << e.operands.size() << ")\n";
    for (const ExprPtr &x : e.operands)
      dump(*x, os, indent + 2);
    return;
  case ExprKind::Call:
    os << "Call " << e.name << "\n";
    for (const Arg &a : e.args) {
      if (!a.name.empty()) {
        os.indent(indent + 2) << "Named " << a.name << "\n";
        dump(*a.value, os, indent + 4);
      } else {
        dump(*a.value, os, indent + 2);
      }
    }
    return;
  }
}

static void printLiteral(const Expr &e, llvm::raw_ostream &os) {
  switch (e.kind) {
  case ExprKind::Int:
    os << e.intValue;
    break;
  case ExprKind::Float:
    printFloat(os, e.floatValue);
    break;
  case ExprKind::Bool:
    os << (e.boolValue ? "true" : "false");
    break;
  default:
    os << "?";
  }
}

void mlir::attn::ast::dump(const PatternDecl &p, llvm::raw_ostream &os) {
  os << "Pattern " << p.name << "\n";
  for (const Param &param : p.params) {
    os << "  Param " << (param.runtime ? "param " : "") << param.name << ": "
       << spelling(param.type);
    if (param.defaultValue) {
      os << " = ";
      printLiteral(*param.defaultValue, os);
    }
    os << "\n";
  }
  if (p.heads)
    os << "  Heads " << *p.heads << "\n";
  if (p.layout == LayoutKind::Seq)
    os << "  Layout seq\n";
  else if (p.layout == LayoutKind::Grid)
    os << "  Layout grid(" << p.gridH << ", " << p.gridW << ")\n";
  for (const MaskClause &m : p.masks) {
    os << "  Mask";
    if (m.hasRange)
      os << " [" << m.lo << ":" << m.hi << "]";
    os << "\n";
    dump(*m.expr, os, 4);
  }
}

void Module::dump(llvm::raw_ostream &os) const {
  for (const auto &p : patterns)
    mlir::attn::ast::dump(*p, os);
}
