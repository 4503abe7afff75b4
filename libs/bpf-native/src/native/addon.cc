// Module entry: classes BpfObject, Link, RingBuffer and a few helpers, plus the environment
// cleanup hook that detaches and frees everything still open when Node (or a worker) exits.
#include <napi.h>
#include <bpf/libbpf.h>
#include <sys/mount.h>

#include <cerrno>
#include <vector>

#include "addon.h"
#include "errors.h"
#include "link.h"
#include "object.h"
#include "ringbuf.h"

namespace vigil {

AddonData *GetAddonData(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

namespace {

void Cleanup(AddonData *data) {
  // Threads first (they only read maps), then objects (destroying links detaches programs).
  std::vector<RingBufferWrap *> rings(data->rings.begin(), data->rings.end());
  for (auto *r : rings) r->StopNoJs();
  std::vector<BpfObjectWrap *> objs(data->objects.begin(), data->objects.end());
  for (auto *o : objs) o->Close();
}

Napi::Value LibbpfVersion(const Napi::CallbackInfo &info) {
  return Napi::String::New(info.Env(), libbpf_version_string());
}

Napi::Value NumPossibleCpus(const Napi::CallbackInfo &info) {
  int n = libbpf_num_possible_cpus();
  if (n < 0) ThrowBpf(info.Env(), "libbpf_num_possible_cpus", n);
  return Napi::Number::New(info.Env(), n);
}

// mount(source, target, fstype): mount(2), for tracefs/bpffs when they are not mounted.
Napi::Value Mount(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  for (size_t i = 0; i < 3; i++)
    if (!info[i].IsString()) ThrowType(env, "mount(source, target, fstype) takes strings");
  std::string src = info[0].As<Napi::String>(), target = info[1].As<Napi::String>(),
              type = info[2].As<Napi::String>();
  if (mount(src.c_str(), target.c_str(), type.c_str(), 0, nullptr))
    ThrowBpf(env, "mount -t " + type + " " + src + " " + target, errno);
  return env.Undefined();
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InstallLibbpfPrint();
  auto *data = new AddonData();
  env.SetInstanceData<AddonData>(data);
  env.AddCleanupHook(Cleanup, data);
  data->linkCtor = Napi::Persistent(LinkWrap::Init(env));
  exports.Set("BpfObject", BpfObjectWrap::Init(env));
  exports.Set("Link", data->linkCtor.Value());
  exports.Set("RingBuffer", RingBufferWrap::Init(env));
  exports.Set("libbpfVersion", Napi::Function::New(env, LibbpfVersion));
  exports.Set("numPossibleCpus", Napi::Function::New(env, NumPossibleCpus));
  exports.Set("mount", Napi::Function::New(env, Mount));
  return exports;
}

}  // namespace vigil

static Napi::Object InitVigilBpf(Napi::Env env, Napi::Object exports) { return vigil::Init(env, exports); }

NODE_API_MODULE(vigil_bpf, InitVigilBpf)
