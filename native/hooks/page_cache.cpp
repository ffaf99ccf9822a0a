#include "hooks/page_cache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "addon/errors.h"

namespace tophash::hooks {

namespace {

[[noreturn]] void fail(Napi::Env env, const std::string& what, const std::string& path) {
  addon::throw_code(env, "EIO", what + " '" + path + "': " + std::strerror(errno));
}

// Resident pages of fd's first `bytes` over all its pages, from mincore on a
// fresh mapping (mapping does not fault anything in).
double resident_fraction(int fd, size_t bytes) {
  if (bytes == 0) return 0;
  void* p = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return -1;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> in((bytes + page - 1) / page);
  double resident = -1;
  if (::mincore(p, bytes, in.data()) == 0) {
    size_t n = 0;
    for (unsigned char b : in) n += b & 1;
    resident = static_cast<double>(n) / static_cast<double>(in.size());
  }
  ::munmap(p, bytes);
  return resident;
}

}  // namespace

Napi::Value DropPageCache(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (!info[0].IsString())
    addon::throw_type(env, "a file path (string)", "path", addon::describe(info[0]));
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(env, "Could not open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0 || ::fdatasync(fd) != 0 ||
      ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0) {
    const int err = errno;
    ::close(fd);
    errno = err;
    fail(env, "Could not drop the cached pages of", path);
  }
  const double resident = resident_fraction(fd, static_cast<size_t>(st.st_size));
  ::close(fd);
  return Napi::Number::New(env, resident);
}

}  // namespace tophash::hooks
