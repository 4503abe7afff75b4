#include "link.h"

#include <bpf/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "addon.h"
#include "errors.h"

namespace vigil {

int LinkState::Fd() const {
  if (link) return bpf_link__fd(link);
  return raw_fd;
}

int LinkState::Destroy() {
  int err = 0;
  if (link) {
    err = bpf_link__destroy(link);
    link = nullptr;
  }
  if (raw_fd >= 0) {
    if (close(raw_fd)) err = -errno;
    raw_fd = -1;
  }
  return err;
}

namespace {

// Reads an iterator's whole output off the JS thread (iterators over every task or file
// can produce megabytes).
class IterReadWorker : public Napi::AsyncWorker {
 public:
  IterReadWorker(Napi::Env env, int iter_fd)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), fd_(iter_fd) {}
  ~IterReadWorker() override {
    if (fd_ >= 0) close(fd_);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    char buf[65536];
    for (;;) {
      ssize_t n = read(fd_, buf, sizeof buf);
      if (n == 0) break;
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        err_ = errno;
        break;
      }
      out_.insert(out_.end(), buf, buf + n);
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (err_) {
      deferred_.Reject(BpfError(env, "read(iterator)", err_).Value());
      return;
    }
    deferred_.Resolve(Napi::Buffer<uint8_t>::Copy(env, out_.data(), out_.size()));
  }
  void OnError(const Napi::Error &e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  int fd_;
  int err_ = 0;
  std::vector<uint8_t> out_;
};

}  // namespace

Napi::Function LinkWrap::Init(Napi::Env env) {
  return DefineClass(env, "Link",
                     {
                         InstanceMethod<&LinkWrap::Destroy>("destroy"),
                         InstanceMethod<&LinkWrap::Fd>("fd"),
                         InstanceMethod<&LinkWrap::Active>("isActive"),
                         InstanceMethod<&LinkWrap::Pin>("pin"),
                         InstanceMethod<&LinkWrap::ReadIter>("readIter"),
                     });
}

Napi::Object LinkWrap::NewInstance(Napi::Env env, std::shared_ptr<LinkState> state) {
  Napi::Object o = GetAddonData(env)->linkCtor.New({});
  Unwrap(o)->state_ = std::move(state);
  return o;
}

LinkWrap::LinkWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<LinkWrap>(info) {}

Napi::Value LinkWrap::Destroy(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (state_) {
    int err = state_->Destroy();
    if (err) ThrowBpf(env, "bpf_link__destroy(" + state_->program + ")", err);
  }
  return env.Undefined();
}

Napi::Value LinkWrap::Fd(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), state_ && state_->Active() ? state_->Fd() : -1);
}

Napi::Value LinkWrap::Active(const Napi::CallbackInfo &info) {
  return Napi::Boolean::New(info.Env(), state_ && state_->Active());
}

Napi::Value LinkWrap::Pin(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!state_ || !state_->link) ThrowBpf(env, "pin: link is not an active libbpf link", EINVAL);
  if (!info[0].IsString()) ThrowType(env, "pin path must be a string");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  ClearLibbpfLog();
  int err = bpf_link__pin(state_->link, path.c_str());
  if (err) ThrowBpf(env, "bpf_link__pin(" + path + ")", err);
  return env.Undefined();
}

// readIter() -> Promise<Buffer>: one full pass of an iterator link's output.
Napi::Value LinkWrap::ReadIter(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!state_ || !state_->Active()) ThrowBpf(env, "readIter: link destroyed", EBADF);
  int fd = bpf_iter_create(state_->Fd());
  if (fd < 0) ThrowBpf(env, "bpf_iter_create(" + state_->program + ")", errno);
  auto *w = new IterReadWorker(env, fd);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace vigil
