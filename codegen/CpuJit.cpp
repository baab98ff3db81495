//===- CpuJit.cpp - compile generated CPU code and load it in process -----===//
#include "codegen/CpuJit.h"
#include "passes/Passes.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include <memory>
#include <mutex>

using namespace mlir;
using namespace mlir::attn;

static void initNativeTarget() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

std::string mlir::attn::hostCpuDescription() {
  std::string desc = llvm::sys::getProcessTriple() + ";" +
                     llvm::sys::getHostCPUName().str();
  for (auto &f : llvm::sys::getHostCPUFeatures())
    if (f.second)
      desc += "," + f.first().str();
  return desc;
}

bool mlir::attn::compileToObject(ModuleOp llvmModule, std::vector<char> &object,
                                 std::string &error) {
  initNativeTarget();
  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb) {
    error = "cannot detect the host CPU: " + llvm::toString(jtmb.takeError());
    return false;
  }
  jtmb->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto tm = jtmb->createTargetMachine();
  if (!tm) {
    error = "cannot create a target machine: " + llvm::toString(tm.takeError());
    return false;
  }
  llvm::LLVMContext llvmCtx;
  std::unique_ptr<llvm::Module> m = translateModuleToLLVMIR(llvmModule, llvmCtx);
  if (!m) {
    error = "cannot translate the generated code to LLVM IR";
    return false;
  }
  m->setDataLayout((*tm)->createDataLayout());
  m->setTargetTriple((*tm)->getTargetTriple());
  auto optimize = makeOptimizingTransformer(3, 0, tm->get());
  if (llvm::Error err = optimize(m.get())) {
    error = "LLVM optimization failed: " + llvm::toString(std::move(err));
    return false;
  }
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager pm;
  if ((*tm)->addPassesToEmitFile(pm, os, nullptr,
                                 llvm::CodeGenFileType::ObjectFile)) {
    error = "the host target cannot emit object files";
    return false;
  }
  pm.run(*m);
  object.assign(buffer.begin(), buffer.end());
  return true;
}

CpuJitModule::~CpuJitModule() = default;

std::unique_ptr<CpuJitModule>
CpuJitModule::load(const std::vector<char> &object, const std::string &pattern,
                   std::string &error) {
  initNativeTarget();
  auto jit = llvm::orc::LLJITBuilder().create();
  if (!jit) {
    error = "cannot start the JIT: " + llvm::toString(jit.takeError());
    return nullptr;
  }
  // ORC prints errors it meets while linking (an unresolved symbol) to
  // stderr itself; they also fail the lookup below, which reports them once
  // through `error`, so the caller decides (the JIT cache rebuilds the entry).
  auto reported = std::make_shared<std::string>();
  (*jit)->getExecutionSession().setErrorReporter([reported](llvm::Error err) {
    *reported += llvm::toString(std::move(err));
  });
  auto buffer = llvm::MemoryBuffer::getMemBufferCopy(
      llvm::StringRef(object.data(), object.size()), pattern + ".o");
  if (llvm::Error err = (*jit)->addObjectFile(std::move(buffer))) {
    error = "cannot load the compiled object: " + llvm::toString(std::move(err));
    return nullptr;
  }
  std::unique_ptr<CpuJitModule> mod(new CpuJitModule());
  auto lookup = [&](const std::string &name) -> void * {
    auto addr = (*jit)->lookup(name);
    if (!addr) {
      error = "symbol '" + name + "' missing from the compiled object: " +
              llvm::toString(addr.takeError());
      if (!reported->empty() && error.find(*reported) == std::string::npos)
        error += " (" + *reported + ")";
      return nullptr;
    }
    return addr->toPtr<void *>();
  };
  void *bm = lookup(cpuBlockMapName(pattern));
  void *tmask = bm ? lookup(cpuTileMaskName(pattern)) : nullptr;
  if (!bm || !tmask)
    return nullptr;
  mod->fns.blockMap = CpuEntryPoints::BlockMapFn(bm);
  mod->fns.tileMask = CpuEntryPoints::TileMaskFn(tmask);
  mod->jit = std::move(*jit);
  return mod;
}
