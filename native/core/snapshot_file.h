// Snapshot files on disk. Writing is crash-safe the way databases do it: the
// bytes go to a temporary file in the same directory (so the rename cannot
// cross file systems), which is fsynced, renamed over the target, and then
// the directory is fsynced so the rename itself survives a power cut. A
// process killed at any point leaves the target as it was (and perhaps a
// "<name>.tmp-<pid>-<n>" file, which no reader opens).
#pragma once
#include <cstdint>
#include <string>

#include "core/snapshot_format.h"

namespace tophash::core {

// The errno name for err.code ("ENOENT", ...), "EIO" for one not listed.
const char* errno_code(int err);

class FileSource final : public SnapshotSource {
 public:
  // Throws SnapshotError (code = errno name) if the file cannot be opened.
  explicit FileSource(const std::string& path);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  uint64_t size() const override { return size_; }
  void read(uint64_t offset, void* out, size_t n) override;
  // The open descriptor (a mapped snapshot maps it and watches it).
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

class AtomicFile final : public SnapshotSink {
 public:
  // Creates the temporary file next to path.
  explicit AtomicFile(const std::string& path);
  // Without commit(), the temporary file is removed.
  ~AtomicFile() override;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  void write(const void* data, size_t n) override;
  void write_at(uint64_t offset, const void* data, size_t n) override;
  // fsync, rename over path, fsync the directory.
  void commit();

 private:
  [[noreturn]] void fail(const char* what, int err) const;
  std::string path_;
  std::string temp_;
  int fd_ = -1;
};

}  // namespace tophash::core
