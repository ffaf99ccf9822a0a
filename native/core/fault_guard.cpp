#include "core/fault_guard.h"

#include <signal.h>

#include <atomic>
#include <mutex>

namespace tophash::core::fault_detail {
namespace {

// Guarded calls in progress on any thread: a SIGBUS while there are none
// goes straight to the previous handler without touching thread-local
// storage (whose first use on a thread may allocate, which a signal handler
// must not).
std::atomic<int> active{0};
thread_local FaultScope* innermost = nullptr;
struct sigaction previous;
bool installed = false;

void chain(int sig, siginfo_t* info, void* context) {
  if ((previous.sa_flags & SA_SIGINFO) != 0 && previous.sa_sigaction != nullptr) {
    previous.sa_sigaction(sig, info, context);
    return;
  }
  if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    previous.sa_handler(sig);
    return;
  }
  // Default action: put it back and return; the faulting instruction runs
  // again and the kernel delivers SIGBUS to the default action (a hardware
  // fault is delivered even when ignored).
  sigaction(sig, &previous, nullptr);
}

void on_sigbus(int sig, siginfo_t* info, void* context) {
  if (active.load(std::memory_order_acquire) != 0) {
    const auto* addr = static_cast<const uint8_t*>(info->si_addr);
    int abandoned = 0;
    for (FaultScope* s = innermost; s != nullptr; s = s->outer) {
      ++abandoned;
      if (addr >= s->begin && addr < s->end) {
        // Closed here, not after the jump: the scope's fields are not
        // reliable in the frame sigsetjmp returns to a second time.
        innermost = s->outer;
        active.fetch_sub(abandoned, std::memory_order_release);
        siglongjmp(s->jump, 1);
      }
    }
  }
  chain(sig, info, context);
}

}  // namespace

bool install_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa = {};
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    installed = sigaction(SIGBUS, &sa, &previous) == 0;
  });
  return installed;
}

void enter(FaultScope* scope) {
  scope->outer = innermost;
  innermost = scope;
  active.fetch_add(1, std::memory_order_release);
}

void leave(FaultScope* scope) {
  innermost = scope->outer;
  active.fetch_sub(1, std::memory_order_release);
}

}  // namespace tophash::core::fault_detail
