// Ring buffer consumer: a native thread epoll-waits on a BPF ring buffer, copies records
// into batches and hands JS one Buffer per batch through a ThreadSafeFunction, so the JS
// event loop never blocks on the kernel and pays one call per batch, not per record.
//
// Batch framing (little-endian): for each record, u32 length, u32 zero, the record bytes,
// zero padding to a multiple of 8 (so every record starts 8-byte aligned).
#pragma once
#include <napi.h>
#include <bpf/libbpf.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "addon.h"

namespace vigil {

class RingBufferWrap : public Napi::ObjectWrap<RingBufferWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit RingBufferWrap(const Napi::CallbackInfo &info);
  ~RingBufferWrap() override;
  // Stops the thread without calling JS (environment teardown).
  void StopNoJs();
  /** Frees libbpf's ring buffer and closes the map, epoll and stop fds (idempotent). */
  void FreeRing();

 private:
  struct Batch {
    uint8_t *data = nullptr;
    size_t len = 0, cap = 0;
    uint32_t records = 0;
  };

  Napi::Value Start(const Napi::CallbackInfo &info);
  Napi::Value Stop(const Napi::CallbackInfo &info);
  Napi::Value Stats(const Napi::CallbackInfo &info);
  Napi::Value RefJs(const Napi::CallbackInfo &info);
  Napi::Value UnrefJs(const Napi::CallbackInfo &info);

  static int OnSample(void *ctx, void *data, size_t size);
  void Run();
  // Moves the current batch to the queue. Waits up to queue_wait_ms_ for room (the kernel
  // ring buffer keeps absorbing meanwhile), then drops it and counts the loss; force skips
  // the bound (final drain on the JS thread).
  void Flush(bool force);
  void Wake();
  void Deliver(Napi::Env env, Napi::Function cb);
  void JoinThread();
  static void FreeBatch(Batch &b);

  AddonData *data_ = nullptr;
  ring_buffer *rb_ = nullptr;
  int map_fd_ = -1, epoll_fd_ = -1, stop_fd_ = -1;
  size_t batch_bytes_;
  size_t max_queued_bytes_;
  int queue_wait_ms_;
  int poll_interval_ms_;

  Napi::FunctionReference cb_;
  Napi::ThreadSafeFunction tsfn_;
  bool tsfn_live_ = false;
  bool running_ = false;
  bool ref_ = true;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> wake_pending_{false};

  Batch cur_;  // owned by the reader thread (or the JS thread once the thread is joined)
  std::mutex mu_;
  std::condition_variable room_cv_;
  std::deque<Batch> queue_;
  size_t queued_bytes_ = 0;

  std::atomic<uint64_t> records_{0}, batches_{0}, dropped_records_{0}, dropped_batches_{0};
  std::atomic<uint64_t> bytes_{0}, consume_errors_{0}, max_queued_seen_{0};
  std::atomic<int> last_error_{0};
};

}  // namespace vigil
