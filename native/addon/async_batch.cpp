#include "addon/async_batch.h"

#include <cstring>
#include <new>
#include <stdexcept>
#include <utility>

#include "addon/typed_arrays.h"
#include "core/coded_error.h"

namespace tophash::addon {

AsyncBatch::AsyncBatch(Napi::Env env, const char* resource_name, const char* out_of_memory,
                       Napi::Object self, Op op, size_t count, Run run, Finish finish)
    : Napi::AsyncWorker(env, resource_name),
      deferred_(Napi::Promise::Deferred::New(env)),
      self_(Napi::Persistent(self)),
      out_of_memory_(out_of_memory),
      op_(op),
      count_(count),
      run_(std::move(run)),
      finish_(std::move(finish)) {}

Napi::Promise AsyncBatch::Start(const Napi::CallbackInfo& info, const char* resource_name,
                                const char* out_of_memory, Op op, size_t count, Run run,
                                Finish finish, size_t out_arg, const double* values_to_set) {
  auto* worker =
      new AsyncBatch(info.Env(), resource_name, out_of_memory, info.This().As<Napi::Object>(), op,
                     count, std::move(run), std::move(finish));
  if (op == Op::kGet) {
    worker->keep_out(info[out_arg], info[out_arg + 1]);
  } else if (op == Op::kSet) {
    worker->take_values(values_to_set);
  }
  worker->Queue();
  return worker->promise();
}

void AsyncBatch::keep_out(Napi::Value out, Napi::Value found) {
  out_ = Napi::Persistent(out.As<Napi::Object>());
  if (!found.IsUndefined()) found_ = Napi::Persistent(found.As<Napi::Object>());
  values_.resize(count_);
  if (!found_.IsEmpty()) hits_.resize(count_);
}

void AsyncBatch::take_values(const double* values) { values_.assign(values, values + count_); }

void AsyncBatch::Execute() {
  try {
    result_ = run_(values_.data(), hits_.empty() ? nullptr : hits_.data());
  } catch (const std::bad_alloc&) {
    SetError(out_of_memory_);
  } catch (const std::length_error&) {
    SetError(out_of_memory_);
  } catch (const core::CodedFailure& e) {
    error_code_ = e.code();
    SetError(e.what());
  }
}

void AsyncBatch::OnOK() {
  Napi::Env env = Env();
  finish_(env);
  if (op_ == Op::kGet && !copy_back(env)) return;
  deferred_.Resolve(Napi::Number::New(env, static_cast<double>(result_)));
}

void AsyncBatch::OnError(const Napi::Error& e) {
  Napi::Env env = Env();
  finish_(env);
  Napi::Error err = Napi::Error::New(env, e.Message());
  err.Set("code", Napi::String::New(env, error_code_));
  deferred_.Reject(err.Value());
}

// Writes results into out/found if they still have the length they had.
bool AsyncBatch::copy_back(Napi::Env env) {
  auto write = [&](Napi::ObjectReference& ref, const void* src, size_t elem) {
    auto ta = ref.Value().As<Napi::TypedArray>();
    if (ta.ElementLength() != count_) return false;
    if (count_ != 0) std::memcpy(typed_data(ta), src, count_ * elem);
    return true;
  };
  if (!write(out_, values_.data(), sizeof(double)) ||
      (!found_.IsEmpty() && !write(found_, hits_.data(), 1))) {
    Napi::Error err =
        Napi::Error::New(env, "out or found was detached or resized while getBatchAsync ran");
    err.Set("code", Napi::String::New(env, "EINVAL"));
    deferred_.Reject(err.Value());
    return false;
  }
  return true;
}

}  // namespace tophash::addon
