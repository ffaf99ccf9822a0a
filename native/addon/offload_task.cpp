#include "addon/offload_task.h"

#include <new>

#include "addon/external_string.h"
#include "core/wtf8.h"

namespace tophash::addon {

napi_value exposition_string(Napi::Env env, const std::string& text) {
  napi_value out;
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  const napi_status st = core::all_ascii(bytes, text.size())
                             ? napi_create_string_latin1(env, text.data(), text.size(), &out)
                             : napi_create_string_utf8(env, text.data(), text.size(), &out);
  NAPI_THROW_IF_FAILED(env, st, nullptr);
  return out;
}

OffloadTask::OffloadTask(Napi::Env env, const char* resource_name,
                         std::shared_ptr<core::SharedAggregator> shared,
                         std::chrono::milliseconds timeout, Job job)
    : Napi::AsyncWorker(env, resource_name),
      deferred_(Napi::Promise::Deferred::New(env)),
      shared_(std::move(shared)),
      timeout_(timeout),
      job_(std::move(job)) {}

Napi::Promise OffloadTask::Start(Napi::Env env, const char* resource_name,
                                 std::shared_ptr<core::SharedAggregator> shared,
                                 std::chrono::milliseconds timeout, Job job) {
  auto* task = new OffloadTask(env, resource_name, std::move(shared), timeout, std::move(job));
  Napi::Promise promise = task->deferred_.Promise();
  task->Queue();
  return promise;
}

void OffloadTask::Execute() {
  auto lock = shared_->lock(timeout_);
  if (!lock.owns_lock()) {
    result_.code = "ETIMEDOUT";
    result_.message = "The Aggregator stayed busy for " + std::to_string(timeout_.count()) +
                      " ms (options.syncTimeoutMs); nothing was done";
    return;
  }
  if (shared_->closed()) {
    result_.code = "ERR_CLOSED";
    result_.message = "This Aggregator is closed";
    return;
  }
  try {
    shared_->drain_all();
    job_(*shared_, &result_);
  } catch (const std::bad_alloc&) {
    result_ = Result();
    result_.code = "ENOMEM";
    result_.message = "Out of memory: the aggregator could not grow";
  } catch (const core::SegmentError& e) {
    result_ = Result();
    result_.code = e.code();
    result_.message = e.what();
  }
  shared_->note_bytes();
}

void OffloadTask::OnOK() {
  Napi::Env env = Env();
  if (result_.code != nullptr) {
    Napi::Error err = Napi::Error::New(env, result_.message);
    err.Set("code", Napi::String::New(env, result_.code));
    deferred_.Reject(err.Value());
    return;
  }
  if (!result_.has_text) {
    deferred_.Resolve(env.Undefined());
    return;
  }
  napi_value text;
  const auto* bytes = reinterpret_cast<const uint8_t*>(result_.text.data());
  if (core::all_ascii(bytes, result_.text.size())) {
    const napi_status st =
        external_ascii_string(env, new std::string(std::move(result_.text)), &text);
    NAPI_THROW_IF_FAILED_VOID(env, st);
  } else {
    text = exposition_string(env, result_.text);
    std::string().swap(result_.text);
  }
  deferred_.Resolve(Napi::Value(env, text));
}

void OffloadTask::OnError(const Napi::Error& e) { deferred_.Reject(e.Value()); }

}  // namespace tophash::addon
