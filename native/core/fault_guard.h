// Turning a SIGBUS inside one of tophash's own file mappings into an error.
//
// A mapped snapshot (core/mapped_u64_map.h) reads the file's pages where
// they lie. If another process truncates the file in place, a read of a
// page past the new end raises SIGBUS, which would kill Node. So every read
// of a mapping runs inside guarded(): it records the mapping's address range
// in a thread-local scope and sets a sigsetjmp point; the process-wide
// SIGBUS handler, installed once, siglongjmps back to that point when the
// faulting address lies inside the range of a scope active on the faulting
// thread, and guarded() returns false. Any other SIGBUS (another library's
// mapping, a read outside a guarded call, another thread) goes to the
// handler that was installed before ours, or to the default action, which
// ends the process exactly as it would have without tophash.
//
// What runs inside guarded() may be abandoned mid-way by the jump, so it
// must own nothing that needs a destructor to run (no allocation, no lock):
// the lookup kernels and the batch pipeline only read the mapping and write
// into caller-owned arrays. C++ exceptions thrown inside are fine: they
// unwind normally and guarded() rethrows them after closing its scope.
#pragma once
#include <csetjmp>
#include <cstddef>
#include <cstdint>

namespace tophash::core {

struct FaultScope {
  sigjmp_buf jump;
  const uint8_t* begin;
  const uint8_t* end;
  FaultScope* outer;
};

namespace fault_detail {
// Installs the SIGBUS handler on first use; false if sigaction failed.
bool install_handler();
// Opens scope on this thread; leave closes it when fn returns or throws.
void enter(FaultScope* scope);
void leave(FaultScope* scope);
}  // namespace fault_detail

// Runs fn(); false if a SIGBUS at an address in [base, base + bytes) cut it
// short (the file behind the mapping shrank), true if it ran to the end.
template <class F>
bool guarded(const void* base, size_t bytes, F&& fn) {
  fault_detail::install_handler();
  FaultScope scope;
  scope.begin = static_cast<const uint8_t*>(base);
  scope.end = scope.begin + bytes;
  // The handler closes the scope before it jumps back here.
  if (sigsetjmp(scope.jump, 1) != 0) return false;
  fault_detail::enter(&scope);
  try {
    fn();
  } catch (...) {
    fault_detail::leave(&scope);
    throw;
  }
  fault_detail::leave(&scope);
  return true;
}

}  // namespace tophash::core
