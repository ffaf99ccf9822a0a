#include "core/snapshot_writer.h"

#include <cstddef>
#include <cstring>
#include <vector>

#include "core/snapshot_file.h"
#include "core/snapshot_keys.h"
#include "core/snapshot_sections.h"
#include "core/table_snapshot.h"

namespace tophash::core {
namespace {

static_assert(sizeof(TableSnapshot::BucketOf<U64Table>) == 144, "FORMAT.md: a 144-byte u64 bucket");
static_assert(offsetof(TableSnapshot::BucketOf<U64Table>, overflow) == 136,
              "FORMAT.md puts the overflow link at byte 136");
static_assert(sizeof(TableSnapshot::BucketOf<StrTable>) == 208,
              "FORMAT.md: a 208-byte StrMap bucket");

template <class T>
void write_snapshot(T& t, SnapshotSink& sink) {
  constexpr uint32_t kSections = SnapshotKeys<T>::kArena ? 3 : 2;
  TableSnapshot::finish_growth(t);
  SectionWriter w(sink, begin_snapshot(sink, kSections));
  SnapshotSectionEntry sections[kSections];
  std::vector<uint8_t> keys;
  const uint64_t overflow = write_bucket_sections(w, t, keys, sections);
  SnapshotHeader h = table_header(t, overflow, kSections);
  if constexpr (SnapshotKeys<T>::kArena) {
    w.pad();
    w.begin();
    w.put(keys.data(), keys.size());
    sections[2] = w.end(SnapshotSection::kKeys);
    h.params[0] = keys.size();
  }
  seal_snapshot(sink, h, sections);
}

template <class T>
void save_snapshot(T& t, const std::string& path) {
  AtomicFile file(path);
  write_snapshot(t, file);
  file.commit();
}

}  // namespace

void write_u64_snapshot(U64Table& t, SnapshotSink& sink) { write_snapshot(t, sink); }
void write_str_snapshot(StrTable& t, SnapshotSink& sink) { write_snapshot(t, sink); }
void save_u64_snapshot(U64Table& t, const std::string& path) { save_snapshot(t, path); }
void save_str_snapshot(StrTable& t, const std::string& path) { save_snapshot(t, path); }

}  // namespace tophash::core
