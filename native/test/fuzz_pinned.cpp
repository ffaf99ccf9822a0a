// libFuzzer target: what BpfMap.open reads from a pinned file that another
// process (or anyone with write access to it) may have written.
//   - mode 0: the input after the mode byte is the whole file.
//   - mode 1: a valid file of fuzzer-chosen shape, with fuzzer-chosen bytes
//     overwritten, so mutations get past the header's checksum.
// The header must be refused with a PinError or accepted; an accepted file is
// opened through a real file descriptor and driven (update, lookup, delete,
// get_next_key, batch reads and drains), which must not read outside the
// mapping or crash whatever the links and journals say. The lock words are
// re-initialised first: a hostile lock word can only block its locker (the
// futex is at that address), which is no memory error, and would stall the
// fuzzer. A file that check_pinned_table finds sound must stay sound.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/pinned_table.h"
#include "test/fuzz_common.h"

using namespace tophash;
using fuzz::Reader;

namespace {

void reset_locks(uint8_t* bytes, const core::PinnedShape& s) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(reinterpret_cast<pthread_mutex_t*>(bytes + 128), &a);
  for (uint32_t i = 0; i < s.bucket_count; ++i) {
    pthread_mutex_init(reinterpret_cast<pthread_mutex_t*>(bytes + core::kPinnedHeaderBytes +
                                                          size_t{i} * core::kPinnedBucketBytes),
                       &a);
  }
  pthread_mutexattr_destroy(&a);
}

const hash::HashKernel* kernel_of(hash::Family family) {
  for (const hash::HashKernel* k : cpu::hash_kernels()) {
    if (k->family == family && cpu::supported(k->needs)) return k;
  }
  return nullptr;
}

// A memfd holding bytes, opened as a pinned table; null when refused.
struct MemFile {
  int fd = -1;
  ~MemFile() {
    if (fd >= 0) ::close(fd);
  }
  std::unique_ptr<core::PinnedTable> open(const std::vector<uint8_t>& bytes,
                                          const hash::HashKernel* h) {
    fd = ::memfd_create("fuzz_pinned", MFD_CLOEXEC);
    if (fd < 0 || ::write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()))
      return nullptr;
    try {
      return core::PinnedTable::open("/proc/self/fd/" + std::to_string(fd), h);
    } catch (const core::PinError&) {
      return nullptr;
    }
  }
};

void drive(std::vector<uint8_t> file) {
  core::PinnedShape s;
  try {
    s = core::check_pinned_header(file.data(), file.size());
  } catch (const core::PinError&) {
    return;
  }
  if (s.total_bytes > file.size()) std::abort();  // accepted a file shorter than its layout
  reset_locks(file.data(), s);
  const bool sound = core::check_pinned_table(file.data(), s).empty();
  const hash::HashKernel* h = kernel_of(s.family);
  if (h == nullptr) return;
  MemFile mem;
  std::unique_ptr<core::PinnedTable> t = mem.open(file, h);
  if (t) {
    std::vector<uint8_t> key(s.key_size), value(s.value_size), next(s.key_size);
    for (uint32_t i = 0; i < 24; ++i) {
      std::memset(key.data(), 0, key.size());
      std::memcpy(key.data(), &i, key.size() < 4 ? key.size() : 4);
      std::memset(value.data(), static_cast<int>(i), value.size());
      t->update(key.data(), value.data(), i % 3);
      t->lookup(key.data(), value.data());
      t->get_next_key(i % 2 ? key.data() : nullptr, next.data());
      if (i % 4 == 0) t->erase(key.data());
    }
    std::vector<uint8_t> keys, values;
    t->lookup_batch(0, 3, false, &keys, &values);
    t->lookup_batch(0, SIZE_MAX, true, &keys, &values);
    if (sound && !core::check_pinned_table(t->base(), t->shape()).empty()) std::abort();
  }
}

// A valid file of a fuzzer-chosen shape holding a few entries, as bytes.
std::vector<uint8_t> valid_file(Reader& r) {
  const core::BpfType type = r.byte() & 1 ? core::BpfType::kLruHash : core::BpfType::kHash;
  const size_t key_size = 1 + r.byte() % 16;
  const size_t value_size = 1 + r.byte() % 16;
  const uint64_t max_entries = 1 + r.byte() % 8;
  const hash::HashKernel* h = fuzz::pick(cpu::hash_kernels(), r.byte());
  const core::PinnedShape s =
      core::pinned_shape(type, key_size, value_size, max_entries, h->family, r.u64());
  std::vector<uint8_t> bytes(s.total_bytes, 0);
  core::format_pinned_table(bytes.data(), s);
  const uint32_t ready = 1;
  std::memcpy(bytes.data() + 16, &ready, sizeof ready);
  MemFile mem;
  std::unique_ptr<core::PinnedTable> t = mem.open(bytes, h);
  if (!t) std::abort();  // a file we just formatted must open
  std::vector<uint8_t> key(key_size), value(value_size);
  for (size_t i = 0, n = r.byte() % 12; i < n; ++i) {
    for (uint8_t& b : key) b = r.byte() % 4;
    t->update(key.data(), value.data(), core::kBpfAny);
  }
  if (!core::check_pinned_table(t->base(), s).empty()) std::abort();
  return std::vector<uint8_t>(t->base(), t->base() + s.total_bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader r{data, size};
  if (r.byte() % 2 == 0) {
    drive(std::vector<uint8_t>(r.p, r.p + r.n));
    return 0;
  }
  std::vector<uint8_t> file = valid_file(r);
  for (size_t i = 0, n = r.byte() % 16; i < n; ++i) {
    const size_t at = (r.byte() | (size_t{r.byte()} << 8)) % file.size();
    file[at] = r.byte();
  }
  if (r.byte() & 1) file.resize(r.u64() % (file.size() + 1));
  drive(std::move(file));
  return 0;
}
