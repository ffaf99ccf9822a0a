// Async batches (getBatchAsync / setBatchAsync of U64Map and StrMap, the
// Aggregator's applyAsync).
//
// The keys (and values) are copied into native memory when the call is made
// and results are copied back into `out` when it settles, so nothing on the
// pool thread touches JavaScript memory: a typed array detached or resized
// meanwhile cannot be written through a stale pointer. The owning map is
// marked busy for the duration (every other call is EBUSY) and its wrapper
// object is held by a persistent reference so the table outlives the work.
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

namespace tophash::addon {

class AsyncBatch : public Napi::AsyncWorker {
 public:
  // kRun: the job owns all its inputs and has no outputs but its count; it
  // may also throw core::CodedFailure, which rejects with that error's code.
  enum class Op { kGet, kSet, kRun };
  // Runs on a libuv pool thread over owned copies. For kGet, values/hits
  // receive the results (hits is null unless keep_out got `found`); for
  // kSet, values holds the copied inputs. Returns the batch's count; may
  // throw std::bad_alloc (the promise rejects with code ENOMEM).
  using Run = std::function<size_t(double* values, uint8_t* hits)>;
  // Runs on the JS thread when the batch settles, before the promise does:
  // clears the owner's busy flag (and performs a close() that waited).
  using Finish = std::function<void(Napi::Env)>;
  // A kRun job that has no count to return (a file written on the pool).
  template <class F>
  static Run Job(F job) {
    return [job = std::move(job)](double*, uint8_t*) -> size_t {
      job();
      return 0;
    };
  }

  // out_of_memory: the ENOMEM message, naming what could not grow.
  AsyncBatch(Napi::Env env, const char* resource_name, const char* out_of_memory, Napi::Object self,
             Op op, size_t count, Run run, Finish finish);

  // Creates and queues a batch for the method call `info` (its receiver is
  // kept alive). kGet: results go to info[out_arg] and, when given,
  // info[out_arg + 1] (found). kSet: values_to_set (count of them) is copied.
  static Napi::Promise Start(const Napi::CallbackInfo& info, const char* resource_name,
                             const char* out_of_memory, Op op, size_t count, Run run, Finish finish,
                             size_t out_arg, const double* values_to_set);

  Napi::Promise promise() { return deferred_.Promise(); }
  // kGet: where the results go when the batch settles (found may be undefined).
  void keep_out(Napi::Value out, Napi::Value found);
  // kSet: the values to store, copied now.
  void take_values(const double* values);

  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& e) override;

 private:
  bool copy_back(Napi::Env env);

  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference self_;
  const char* out_of_memory_;
  Op op_;
  size_t count_;
  Run run_;
  Finish finish_;
  std::vector<double> values_;
  std::vector<uint8_t> hits_;
  Napi::ObjectReference out_;
  Napi::ObjectReference found_;
  size_t result_ = 0;
  const char* error_code_ = "ENOMEM";
};

}  // namespace tophash::addon
