// BpfObject: a libbpf bpf_object through its whole life: open, configure (globals, map
// sizes, autoload), load, attach, map access, close.
#pragma once
#include <napi.h>
#include <bpf/libbpf.h>
#include <memory>
#include <string>
#include <vector>

#include "addon.h"
#include "link.h"

namespace vigil {

class BpfObjectWrap : public Napi::ObjectWrap<BpfObjectWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit BpfObjectWrap(const Napi::CallbackInfo &info);
  ~BpfObjectWrap() override;
  // Destroys every link and frees the object; idempotent.
  void Close();

 private:
  // object lifecycle (object.cc)
  Napi::Value Load(const Napi::CallbackInfo &info);
  Napi::Value CloseJs(const Napi::CallbackInfo &info);
  Napi::Value IsLoaded(const Napi::CallbackInfo &info);
  Napi::Value Programs(const Napi::CallbackInfo &info);
  Napi::Value Maps(const Napi::CallbackInfo &info);
  Napi::Value SetAutoload(const Napi::CallbackInfo &info);
  Napi::Value SetMaxEntries(const Napi::CallbackInfo &info);
  Napi::Value SetAttachTarget(const Napi::CallbackInfo &info);
  Napi::Value ReuseMap(const Napi::CallbackInfo &info);
  Napi::Value SetGlobal(const Napi::CallbackInfo &info);
  Napi::Value GetGlobal(const Napi::CallbackInfo &info);
  Napi::Value Attach(const Napi::CallbackInfo &info);

  // map access (map_ops.cc)
  Napi::Value MapLookup(const Napi::CallbackInfo &info);
  Napi::Value MapUpdate(const Napi::CallbackInfo &info);
  Napi::Value MapDelete(const Napi::CallbackInfo &info);
  Napi::Value MapNextKey(const Napi::CallbackInfo &info);
  Napi::Value MapLookupBatch(const Napi::CallbackInfo &info);
  Napi::Value MapUpdateBatch(const Napi::CallbackInfo &info);
  Napi::Value MapSumPerCpu(const Napi::CallbackInfo &info);
  Napi::Value MapPin(const Napi::CallbackInfo &info);
  Napi::Value MapUnpin(const Napi::CallbackInfo &info);
  Napi::Value MapFd(const Napi::CallbackInfo &info);

  bpf_object *Obj(Napi::Env env) const;
  bpf_program *Prog(Napi::Env env, const Napi::Value &name) const;
  bpf_map *Map(Napi::Env env, const Napi::Value &name) const;
  int LoadedMapFd(Napi::Env env, bpf_map *map) const;
  void RequireLoaded(Napi::Env env, const char *op) const;
  void RequireNotLoaded(Napi::Env env, const char *op) const;

  bpf_object *obj_ = nullptr;
  bool loaded_ = false;
  std::string path_;
  std::vector<std::shared_ptr<LinkState>> links_;
  AddonData *data_ = nullptr;
};

// Bytes one lookup returns for this map: value_size, or round_up(value_size, 8) * possible
// CPUs for per-CPU maps.
size_t MapValueBytes(const bpf_map *map);

}  // namespace vigil
