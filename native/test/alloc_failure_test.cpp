// The replacement operator new behind FailAllocation (alloc_failure.h), and a
// check that it fails the n-th allocation and no other. Every form of new and
// delete is replaced, so none mixes this malloc with a sanitizer's new.
#include "test/alloc_failure.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

namespace {

thread_local size_t countdown = 0;  // 0: disarmed
thread_local bool fired_ = false;

void* allocate(size_t n) {
  if (countdown != 0 && --countdown == 0) {
    fired_ = true;
    throw std::bad_alloc();
  }
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void* allocate_nothrow(size_t n) noexcept {
  try {
    return allocate(n);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

}  // namespace

void* operator new(size_t n) { return allocate(n); }
void* operator new[](size_t n) { return allocate(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept { return allocate_nothrow(n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return allocate_nothrow(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace tophash::test {

FailAllocation::FailAllocation(size_t nth) {
  countdown = nth;
  fired_ = false;
}
FailAllocation::~FailAllocation() { countdown = 0; }
bool FailAllocation::fired() const { return fired_; }

namespace {

TEST(FailAllocation, FailsTheNthAllocationOnly) {
  std::vector<std::unique_ptr<int>> kept;
  kept.reserve(4);
  {
    FailAllocation fail(3);
    kept.push_back(std::make_unique<int>(1));
    kept.push_back(std::make_unique<int>(2));
    EXPECT_FALSE(fail.fired());
    EXPECT_THROW(kept.push_back(std::make_unique<int>(3)), std::bad_alloc);
    EXPECT_TRUE(fail.fired());
    kept.push_back(std::make_unique<int>(4));  // only the n-th fails
  }
  EXPECT_EQ(kept.size(), 3u);
}

}  // namespace
}  // namespace tophash::test
