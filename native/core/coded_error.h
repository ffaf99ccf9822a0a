// An engine failure that carries a Node-style code for err.code
// ("ERR_SNAPSHOT_CORRUPT", "ENOENT", ...): the bindings turn it into an
// Error with that code, on the JS thread or when a pool job settles.
#pragma once
#include <stdexcept>
#include <string>

namespace tophash::core {

class CodedFailure : public std::runtime_error {
 public:
  CodedFailure(const char* code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  const char* code() const { return code_; }

 private:
  const char* code_;
};

}  // namespace tophash::core
