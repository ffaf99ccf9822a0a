// Makes the n-th operator new from now on (on this thread) throw
// std::bad_alloc, for as long as the guard lives: how the tests reach the
// paths where memory runs out halfway through an operation. The replacement
// operator new lives in alloc_failure_test.cpp; zeroed_alloc (mmap, calloc)
// is not affected.
#pragma once
#include <cstddef>

namespace tophash::test {

class FailAllocation {
 public:
  explicit FailAllocation(size_t nth);
  ~FailAllocation();
  FailAllocation(const FailAllocation&) = delete;
  FailAllocation& operator=(const FailAllocation&) = delete;
  // Whether the n-th allocation was reached (and failed).
  bool fired() const;
};

}  // namespace tophash::test
