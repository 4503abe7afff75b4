// Attached links: one shared state per attachment, owned jointly by its BpfObject (which
// destroys every link on close) and the JS Link object handed to the caller.
#pragma once
#include <napi.h>
#include <bpf/libbpf.h>
#include <memory>
#include <string>

namespace vigil {

struct LinkState {
  bpf_link *link = nullptr;  // attachments made through libbpf
  int raw_fd = -1;           // attachments made with bpf_link_create (cgroup + explicit type)
  std::string program;
  std::string kind;

  ~LinkState() { Destroy(); }
  bool Active() const { return link || raw_fd >= 0; }
  int Fd() const;
  // Detaches; idempotent. Returns the error of the detach (0 when fine or already gone).
  int Destroy();
};

class LinkWrap : public Napi::ObjectWrap<LinkWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  static Napi::Object NewInstance(Napi::Env env, std::shared_ptr<LinkState> state);
  explicit LinkWrap(const Napi::CallbackInfo &info);

 private:
  Napi::Value Destroy(const Napi::CallbackInfo &info);
  Napi::Value Fd(const Napi::CallbackInfo &info);
  Napi::Value Active(const Napi::CallbackInfo &info);
  Napi::Value Pin(const Napi::CallbackInfo &info);
  Napi::Value ReadIter(const Napi::CallbackInfo &info);
  std::shared_ptr<LinkState> state_;
};

}  // namespace vigil
