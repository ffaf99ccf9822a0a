// The snapshot file format (docs/FORMAT.md is its full description): a
// fixed 128-byte header, a table of sections, and the sections themselves,
// each 64-byte aligned and each with its own CRC32C. Everything is in the
// writer's byte order, which the header records; every platform tophash
// builds for is little-endian, so in practice the file is too.
//
// The reader treats the file as hostile: every size and offset is checked
// against the file's length before anything is allocated or read, and every
// failure is a SnapshotError whose code names the kind of damage.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/coded_error.h"

namespace tophash::core {

// "TOPHASH" and a ^Z, as PNG's signature ends: a text tool stops there.
inline constexpr char kSnapshotMagic[8] = {'T', 'O', 'P', 'H', 'A', 'S', 'H', '\x1a'};
inline constexpr uint32_t kSnapshotVersion = 1;
// Written as a native u32: it reads back byte-swapped on a host of the other order.
inline constexpr uint32_t kSnapshotEndianMark = 0x01020304u;
inline constexpr size_t kSnapshotHeaderBytes = 128;
inline constexpr size_t kSnapshotSectionBytes = 32;
inline constexpr size_t kSnapshotAlign = 64;
// Sections a version 1 file may list (a reader refuses more, before reading them).
inline constexpr uint32_t kSnapshotMaxSections = 8;

// A reader refuses a kind it does not know (ERR_SNAPSHOT_KIND), so a kind
// can be added without a new version.
enum class SnapshotKeyKind : uint32_t { kU64 = 1, kBytes = 2, kBpf = 3, kAggregator = 4 };
enum class SnapshotSection : uint32_t {
  kBuckets = 1,  // the 2^B buckets, overflow links as indices
  kOverflow = 2,  // the overflow buckets, in chain order
  kKeys = 3,  // byte keys too long for their slots, back to back
  kRecords = 4,  // a BpfMap's record pool: its state, then its records
  kOptions = 5,  // an Aggregator's options, as its caller describes them
  kEntries = 6,  // an Aggregator's counters, then its keys and rows back to back
};

// Bytes 0..127 of the file. Magic, version and endianness mark come first
// and keep their places in every version, so any reader can say what a file
// is before it understands the rest.
struct SnapshotHeader {
  char magic[8];
  uint32_t version;
  uint32_t endian;
  uint32_t key_kind;  // SnapshotKeyKind
  uint32_t key_size;  // bytes of a key in its slot
  uint32_t value_size;  // bytes of a value in its slot
  uint32_t bucket_size;  // bytes of a bucket, overflow link included
  uint32_t hash_family;  // hash::Family
  uint32_t B;  // the bucket array holds 2^B buckets
  uint64_t seed;  // the map's hash seed: with the family, where every key sits
  uint64_t count;  // entries
  uint64_t overflow;  // overflow buckets
  char hash_kernel[16];  // the kernel that wrote it, NUL-padded (informational)
  uint32_t section_count;
  uint32_t reserved0;
  uint64_t params[4];  // per key kind; zero for u64 maps
  uint32_t reserved1;
  uint32_t header_crc;  // CRC32C of bytes 0..123 followed by the section table
};
static_assert(sizeof(SnapshotHeader) == kSnapshotHeaderBytes, "header layout");
static_assert(offsetof(SnapshotHeader, header_crc) == kSnapshotHeaderBytes - 4, "header layout");

struct SnapshotSectionEntry {
  uint32_t kind;  // SnapshotSection
  uint32_t crc;  // CRC32C of the section's bytes
  uint64_t offset;  // from the start of the file, kSnapshotAlign-aligned
  uint64_t length;
  uint64_t reserved;
};
static_assert(sizeof(SnapshotSectionEntry) == kSnapshotSectionBytes, "section layout");

// Codes a SnapshotError carries (err.code in JavaScript); FORMAT.md lists
// what each means. I/O failures carry the errno name instead (ENOENT, ...).
inline constexpr const char* kSnapshotNotSnapshot = "ERR_SNAPSHOT_FORMAT";
inline constexpr const char* kSnapshotVersionCode = "ERR_SNAPSHOT_VERSION";
inline constexpr const char* kSnapshotEndian = "ERR_SNAPSHOT_ENDIAN";
inline constexpr const char* kSnapshotKind = "ERR_SNAPSHOT_KIND";
inline constexpr const char* kSnapshotHash = "ERR_SNAPSHOT_HASH";
inline constexpr const char* kSnapshotTruncated = "ERR_SNAPSHOT_TRUNCATED";
inline constexpr const char* kSnapshotCorrupt = "ERR_SNAPSHOT_CORRUPT";

class SnapshotError : public CodedFailure {
 public:
  using CodedFailure::CodedFailure;
};

// Where a snapshot is read from: a file, or memory in tests and the fuzzer.
class SnapshotSource {
 public:
  virtual ~SnapshotSource() = default;
  virtual uint64_t size() const = 0;
  // Exactly n bytes at offset; the caller has checked offset + n <= size().
  // Throws SnapshotError when the read fails or comes up short.
  virtual void read(uint64_t offset, void* out, size_t n) = 0;
};

// Where a snapshot is written: appended in order, then the header patched.
class SnapshotSink {
 public:
  virtual ~SnapshotSink() = default;
  virtual void write(const void* data, size_t n) = 0;
  virtual void write_at(uint64_t offset, const void* data, size_t n) = 0;
};

class MemorySource final : public SnapshotSource {
 public:
  MemorySource(const uint8_t* data, size_t n) : data_(data), n_(n) {}
  uint64_t size() const override { return n_; }
  void read(uint64_t offset, void* out, size_t n) override {
    if (n != 0) std::memcpy(out, data_ + offset, n);
  }

 private:
  const uint8_t* data_;
  size_t n_;
};

inline uint64_t snapshot_align(uint64_t n) {
  return (n + kSnapshotAlign - 1) & ~(kSnapshotAlign - 1);
}

}  // namespace tophash::core
