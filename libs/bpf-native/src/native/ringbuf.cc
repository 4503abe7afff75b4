#include "ringbuf.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "errors.h"

namespace vigil {
namespace {


size_t OptSize(const Napi::Object &o, const char *key, size_t def) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() && v.As<Napi::Number>().Int64Value() > 0 ? static_cast<size_t>(v.As<Napi::Number>().Int64Value())
                                                               : def;
}

}  // namespace

Napi::Function RingBufferWrap::Init(Napi::Env env) {
  return DefineClass(env, "RingBuffer",
                     {
                         InstanceMethod<&RingBufferWrap::Start>("start"),
                         InstanceMethod<&RingBufferWrap::Stop>("stop"),
                         InstanceMethod<&RingBufferWrap::Stats>("stats"),
                         InstanceMethod<&RingBufferWrap::RefJs>("ref"),
                         InstanceMethod<&RingBufferWrap::UnrefJs>("unref"),
                     });
}

// new RingBuffer(mapFd, onBatch(buffer, records), { batchBytes?, maxQueuedBytes?, queueWaitMs?, pollIntervalMs? })
RingBufferWrap::RingBufferWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<RingBufferWrap>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) ThrowType(env, "mapFd must be a number");
  if (!info[1].IsFunction()) ThrowType(env, "onBatch must be a function");
  Napi::Object opts = info.Length() > 2 && info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(env);
  batch_bytes_ = OptSize(opts, "batchBytes", 256 * 1024);
  max_queued_bytes_ = OptSize(opts, "maxQueuedBytes", 64 * 1024 * 1024);
  queue_wait_ms_ = static_cast<int>(OptSize(opts, "queueWaitMs", 1000));
  // Producers that submit without wakeup (BPF_RB_NO_WAKEUP) rely on this timer.
  poll_interval_ms_ = static_cast<int>(OptSize(opts, "pollIntervalMs", 100));

  // Own a duplicate of the map fd: the reader then outlives whatever closes the object's fd.
  map_fd_ = fcntl(info[0].As<Napi::Number>().Int32Value(), F_DUPFD_CLOEXEC, 3);
  if (map_fd_ < 0) ThrowBpf(env, "dup(ring buffer map fd)", errno);
  ClearLibbpfLog();
  rb_ = ring_buffer__new(map_fd_, OnSample, this, nullptr);
  if (!rb_) {
    int err = errno;
    close(map_fd_);
    map_fd_ = -1;
    ThrowBpf(env, "ring_buffer__new", err);
  }
  // Our own epoll over libbpf's (nested) plus an eventfd, so stop() wakes the thread at once.
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || stop_fd_ < 0) {
    int err = errno;
    StopNoJs();
    ThrowBpf(env, "epoll/eventfd", err);
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u32 = 0;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, ring_buffer__epoll_fd(rb_), &ev);
  ev.data.u32 = 1;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, stop_fd_, &ev);
  cb_ = Napi::Persistent(info[1].As<Napi::Function>());
  data_ = GetAddonData(env);
  data_->rings.insert(this);
}

RingBufferWrap::~RingBufferWrap() {
  StopNoJs();
  std::lock_guard<std::mutex> lk(mu_);
  for (auto &b : queue_) FreeBatch(b);
  queue_.clear();
  FreeBatch(cur_);
  if (data_) data_->rings.erase(this);
}

void RingBufferWrap::FreeBatch(Batch &b) {
  free(b.data);
  b = Batch{};
}

int RingBufferWrap::OnSample(void *ctx, void *data, size_t size) {
  auto *self = static_cast<RingBufferWrap *>(ctx);
  Batch &b = self->cur_;
  const size_t need = 8 + ((size + 7) & ~size_t{7});
  if (b.len + need > b.cap) {
    size_t cap = std::max(b.cap * 2, std::max(self->batch_bytes_ + 64 * 1024, b.len + need));
    auto *p = static_cast<uint8_t *>(realloc(b.data, cap));
    if (!p) {  // out of memory: count the record as dropped rather than crash
      self->dropped_records_++;
      return 0;
    }
    b.data = p;
    b.cap = cap;
  }
  uint8_t *dst = b.data + b.len;
  const uint32_t hdr[2] = {static_cast<uint32_t>(size), 0};
  memcpy(dst, hdr, 8);
  memcpy(dst + 8, data, size);
  memset(dst + 8 + size, 0, need - 8 - size);
  b.len += need;
  b.records++;
  if (b.len >= self->batch_bytes_) self->Flush(false);
  // Under a sustained flood consume() never returns on its own; this lets stop() in.
  return self->stop_.load(std::memory_order_relaxed) ? -ECANCELED : 0;
}

void RingBufferWrap::Flush(bool force) {
  if (cur_.records == 0) return;
  Batch b = cur_;
  cur_ = Batch{};
  {
    std::unique_lock<std::mutex> lk(mu_);
    if (!force && queued_bytes_ + b.len > max_queued_bytes_ && !queue_.empty()) {
      room_cv_.wait_for(lk, std::chrono::milliseconds(queue_wait_ms_), [&] {
        return stop_.load() || queued_bytes_ + b.len <= max_queued_bytes_ || queue_.empty();
      });
      if (!stop_.load() && queued_bytes_ + b.len > max_queued_bytes_ && !queue_.empty()) {
        dropped_records_ += b.records;
        dropped_batches_++;
        lk.unlock();
        FreeBatch(b);
        return;
      }
    }
    records_ += b.records;
    batches_++;
    bytes_ += b.len;
    queued_bytes_ += b.len;
    if (queued_bytes_ > max_queued_seen_) max_queued_seen_ = queued_bytes_;
    queue_.push_back(b);
  }
  if (!force) Wake();
}

// One wake-up per drain: the JS side takes the whole queue each time it runs.
void RingBufferWrap::Wake() {
  if (wake_pending_.exchange(true)) return;
  napi_status st = tsfn_.NonBlockingCall([this](Napi::Env env, Napi::Function cb) {
    if (env != nullptr) Deliver(env, cb_.Value());
  });
  if (st != napi_ok) wake_pending_ = false;  // closing: stop() drains what is left
}

void RingBufferWrap::Deliver(Napi::Env env, Napi::Function cb) {
  wake_pending_ = false;
  std::deque<Batch> q;
  {
    std::lock_guard<std::mutex> lk(mu_);
    q.swap(queue_);
    queued_bytes_ = 0;
  }
  room_cv_.notify_all();
  if (q.empty()) return;
  Napi::HandleScope scope(env);
  bool failed = false;
  Napi::Error first;
  for (auto &b : q) {
    uint32_t records = b.records;
    Napi::Buffer<uint8_t> buf = Napi::Buffer<uint8_t>::NewOrCopy(
        env, b.data, b.len, [](Napi::Env, uint8_t *p) { free(p); });
    b.data = nullptr;
    try {
      cb.Call({buf, Napi::Number::New(env, records)});
    } catch (const Napi::Error &e) {
      if (!failed) first = e;  // keep delivering; report the first failure afterwards
      failed = true;
    }
  }
  if (failed) throw first;
}

void RingBufferWrap::Run() {
  epoll_event evs[2];
  while (!stop_.load()) {
    int n = epoll_wait(epoll_fd_, evs, 2, poll_interval_ms_);
    if (n < 0 && errno != EINTR) {
      last_error_ = errno;
      break;
    }
    if (stop_.load()) break;
    int r = ring_buffer__consume(rb_);
    if (r < 0 && r != -ECANCELED) {
      consume_errors_++;
      last_error_ = -r;
    }
    Flush(false);
  }
}

Napi::Value RingBufferWrap::Start(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (running_) return env.Undefined();
  if (!rb_) ThrowBpf(env, "RingBuffer.start: reader is closed", EBADF);
  // The TSFN's JS callback is unused (Wake passes its own); the finalizer drops the
  // self-reference taken here once every queued wake-up has run.
  tsfn_ = Napi::ThreadSafeFunction::New(env, cb_.Value(), "vigil-ringbuf", 0, 1, [this](Napi::Env) {
    tsfn_live_ = false;
    Unref();
  });
  tsfn_live_ = true;
  if (!ref_) tsfn_.Unref(env);
  Ref();
  stop_ = false;
  running_ = true;
  thread_ = std::thread([this] { Run(); });
  return env.Undefined();
}

void RingBufferWrap::JoinThread() {
  stop_ = true;
  if (stop_fd_ >= 0) {
    uint64_t one = 1;
    ssize_t w = write(stop_fd_, &one, sizeof one);
    (void)w;
  }
  room_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// stop({ drain = true }): joins the thread, then consumes what is left in the kernel ring
// and, with drain, delivers every remaining batch synchronously before returning.
Napi::Value RingBufferWrap::Stop(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  bool drain = true;
  if (info.Length() > 0 && info[0].IsObject()) {
    Napi::Value d = info[0].As<Napi::Object>().Get("drain");
    if (d.IsBoolean()) drain = d.As<Napi::Boolean>().Value();
  }
  if (!running_) return env.Undefined();
  JoinThread();
  running_ = false;
  if (drain && rb_) {
    stop_ = false;  // OnSample would cancel the final consume after one record
    ring_buffer__consume(rb_);
    stop_ = true;
    Flush(true);
  }
  tsfn_.Release();  // finalizer (later, on this thread) drops the self-reference
  if (drain) {
    Deliver(env, cb_.Value());
  } else {
    std::lock_guard<std::mutex> lk(mu_);
    for (auto &b : queue_) FreeBatch(b);
    queue_.clear();
    queued_bytes_ = 0;
  }
  // A stopped reader never starts again: give the map fd, libbpf's ring and the epoll/eventfd
  // back now rather than whenever the wrapper is garbage-collected.
  FreeRing();
  return env.Undefined();
}

void RingBufferWrap::StopNoJs() {
  if (running_) {
    JoinThread();
    running_ = false;
    if (tsfn_live_) tsfn_.Release();
  }
  FreeRing();
}

void RingBufferWrap::FreeRing() {
  if (rb_) ring_buffer__free(rb_);
  rb_ = nullptr;
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (stop_fd_ >= 0) close(stop_fd_);
  if (map_fd_ >= 0) close(map_fd_);
  epoll_fd_ = stop_fd_ = map_fd_ = -1;
}

Napi::Value RingBufferWrap::Stats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  size_t queued;
  {
    std::lock_guard<std::mutex> lk(mu_);
    queued = queued_bytes_;
  }
  o.Set("records", static_cast<double>(records_.load()));
  o.Set("batches", static_cast<double>(batches_.load()));
  o.Set("bytes", static_cast<double>(bytes_.load()));
  o.Set("droppedRecords", static_cast<double>(dropped_records_.load()));
  o.Set("droppedBatches", static_cast<double>(dropped_batches_.load()));
  o.Set("queuedBytes", static_cast<double>(queued));
  o.Set("maxQueuedBytesSeen", static_cast<double>(max_queued_seen_.load()));
  o.Set("consumeErrors", static_cast<double>(consume_errors_.load()));
  o.Set("lastError", last_error_.load());
  o.Set("running", running_);
  return o;
}

Napi::Value RingBufferWrap::RefJs(const Napi::CallbackInfo &info) {
  ref_ = true;
  if (running_ && tsfn_live_) tsfn_.Ref(info.Env());
  return info.Env().Undefined();
}

Napi::Value RingBufferWrap::UnrefJs(const Napi::CallbackInfo &info) {
  ref_ = false;
  if (running_ && tsfn_live_) tsfn_.Unref(info.Env());
  return info.Env().Undefined();
}

}  // namespace vigil
