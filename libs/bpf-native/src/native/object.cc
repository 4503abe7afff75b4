#include "object.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "errors.h"

namespace vigil {
namespace {

std::string Str(Napi::Env env, const Napi::Value &v, const char *what) {
  if (!v.IsString()) ThrowType(env, std::string(what) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

std::string OptStr(const Napi::Object &o, const char *key) {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
}

bool EndsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A global variable located through the object's BTF: the internal map (.rodata, .data,
// .bss, .rodata.* ...) holding it and its byte range in that map's single value.
struct GlobalVar {
  bpf_map *map = nullptr;
  std::string section;
  size_t offset = 0;
  size_t size = 0;
};

bool FindGlobal(bpf_object *obj, const std::string &name, GlobalVar *out) {
  const btf *btf = bpf_object__btf(obj);
  if (!btf) return false;
  const __u32 n = btf__type_cnt(btf);
  for (__u32 id = 1; id < n; id++) {
    const btf_type *t = btf__type_by_id(btf, id);
    if (!btf_is_datasec(t)) continue;
    const btf_var_secinfo *vs = btf_var_secinfos(t);
    for (__u16 i = 0; i < btf_vlen(t); i++) {
      const btf_type *vt = btf__type_by_id(btf, vs[i].type);
      if (!btf_is_var(vt) || name != btf__name_by_offset(btf, vt->name_off)) continue;
      out->section = btf__name_by_offset(btf, t->name_off);
      out->offset = vs[i].offset;
      out->size = vs[i].size;
      // libbpf names an internal map "<object prefix><section>" (e.g. "process.rodata").
      bpf_map *m;
      bpf_object__for_each_map(m, obj) {
        if (bpf_map__is_internal(m) && EndsWith(bpf_map__name(m), out->section)) {
          out->map = m;
          return true;
        }
      }
      return false;
    }
  }
  return false;
}

bool ReadOnlySection(const std::string &sec) {
  return sec.rfind(".rodata", 0) == 0 || sec == ".kconfig";
}

int AttachTypeByName(const std::string &name, bpf_attach_type *out) {
  for (int t = 0; t < __MAX_BPF_ATTACH_TYPE; t++) {
    const char *s = libbpf_bpf_attach_type_str(static_cast<bpf_attach_type>(t));
    if (s && name == s) {
      *out = static_cast<bpf_attach_type>(t);
      return 0;
    }
  }
  return -EINVAL;
}

}  // namespace

Napi::Function BpfObjectWrap::Init(Napi::Env env) {
  return DefineClass(
      env, "BpfObject",
      {
          InstanceMethod<&BpfObjectWrap::Load>("load"),
          InstanceMethod<&BpfObjectWrap::CloseJs>("close"),
          InstanceMethod<&BpfObjectWrap::IsLoaded>("isLoaded"),
          InstanceMethod<&BpfObjectWrap::Programs>("programs"),
          InstanceMethod<&BpfObjectWrap::Maps>("maps"),
          InstanceMethod<&BpfObjectWrap::SetAutoload>("setAutoload"),
          InstanceMethod<&BpfObjectWrap::SetMaxEntries>("setMaxEntries"),
          InstanceMethod<&BpfObjectWrap::SetAttachTarget>("setAttachTarget"),
          InstanceMethod<&BpfObjectWrap::ReuseMap>("reuseMap"),
          InstanceMethod<&BpfObjectWrap::SetGlobal>("setGlobal"),
          InstanceMethod<&BpfObjectWrap::GetGlobal>("getGlobal"),
          InstanceMethod<&BpfObjectWrap::Attach>("attach"),
          InstanceMethod<&BpfObjectWrap::MapLookup>("mapLookup"),
          InstanceMethod<&BpfObjectWrap::MapUpdate>("mapUpdate"),
          InstanceMethod<&BpfObjectWrap::MapDelete>("mapDelete"),
          InstanceMethod<&BpfObjectWrap::MapNextKey>("mapNextKey"),
          InstanceMethod<&BpfObjectWrap::MapLookupBatch>("mapLookupBatch"),
          InstanceMethod<&BpfObjectWrap::MapUpdateBatch>("mapUpdateBatch"),
          InstanceMethod<&BpfObjectWrap::MapSumPerCpu>("mapSumPerCpu"),
          InstanceMethod<&BpfObjectWrap::MapPin>("mapPin"),
          InstanceMethod<&BpfObjectWrap::MapUnpin>("mapUnpin"),
          InstanceMethod<&BpfObjectWrap::MapFd>("mapFd"),
      });
}

// new BpfObject(path, { btfCustomPath?, objectName? })
BpfObjectWrap::BpfObjectWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<BpfObjectWrap>(info) {
  Napi::Env env = info.Env();
  path_ = Str(env, info[0], "path");
  std::string btf_path, obj_name;
  if (info.Length() > 1 && info[1].IsObject()) {
    Napi::Object o = info[1].As<Napi::Object>();
    btf_path = OptStr(o, "btfCustomPath");
    obj_name = OptStr(o, "objectName");
  }
  LIBBPF_OPTS(bpf_object_open_opts, opts);
  if (!btf_path.empty()) opts.btf_custom_path = btf_path.c_str();
  if (!obj_name.empty()) opts.object_name = obj_name.c_str();
  ClearLibbpfLog();
  obj_ = bpf_object__open_file(path_.c_str(), &opts);
  if (!obj_) {
    int err = errno;
    ThrowBpf(env, "bpf_object__open_file(" + path_ + ")", err);
  }
  data_ = GetAddonData(env);
  data_->objects.insert(this);
}

BpfObjectWrap::~BpfObjectWrap() {
  Close();
  if (data_) data_->objects.erase(this);
}

void BpfObjectWrap::Close() {
  for (auto &l : links_) l->Destroy();
  links_.clear();
  if (obj_) bpf_object__close(obj_);
  obj_ = nullptr;
  loaded_ = false;
}

bpf_object *BpfObjectWrap::Obj(Napi::Env env) const {
  if (!obj_) ThrowBpf(env, "BpfObject(" + path_ + ") is closed", EBADF);
  return obj_;
}

bpf_program *BpfObjectWrap::Prog(Napi::Env env, const Napi::Value &name) const {
  std::string n = Str(env, name, "program name");
  bpf_program *p = bpf_object__find_program_by_name(Obj(env), n.c_str());
  if (!p) ThrowBpf(env, "no program named '" + n + "' in " + path_, ENOENT);
  return p;
}

bpf_map *BpfObjectWrap::Map(Napi::Env env, const Napi::Value &name) const {
  std::string n = Str(env, name, "map name");
  bpf_map *m = bpf_object__find_map_by_name(Obj(env), n.c_str());
  if (!m) ThrowBpf(env, "no map named '" + n + "' in " + path_, ENOENT);
  return m;
}

void BpfObjectWrap::RequireLoaded(Napi::Env env, const char *op) const {
  Obj(env);
  if (!loaded_) ThrowBpf(env, std::string(op) + ": object not loaded yet", EINVAL);
}

void BpfObjectWrap::RequireNotLoaded(Napi::Env env, const char *op) const {
  Obj(env);
  if (loaded_) ThrowBpf(env, std::string(op) + ": object already loaded", EBUSY);
}

int BpfObjectWrap::LoadedMapFd(Napi::Env env, bpf_map *map) const {
  RequireLoaded(env, "map access");
  int fd = bpf_map__fd(map);
  if (fd < 0) ThrowBpf(env, std::string("map ") + bpf_map__name(map) + " has no fd", -fd);
  return fd;
}

Napi::Value BpfObjectWrap::Load(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  RequireNotLoaded(env, "load");
  ClearLibbpfLog();
  int err = bpf_object__load(obj_);
  if (err) ThrowBpf(env, "bpf_object__load(" + path_ + ")", err);
  loaded_ = true;
  return env.Undefined();
}

Napi::Value BpfObjectWrap::CloseJs(const Napi::CallbackInfo &info) {
  Close();
  return info.Env().Undefined();
}

Napi::Value BpfObjectWrap::IsLoaded(const Napi::CallbackInfo &info) {
  return Napi::Boolean::New(info.Env(), obj_ && loaded_);
}

Napi::Value BpfObjectWrap::Programs(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Array arr = Napi::Array::New(env);
  bpf_program *p;
  uint32_t i = 0;
  bpf_object__for_each_program(p, Obj(env)) {
    Napi::Object o = Napi::Object::New(env);
    const char *type = libbpf_bpf_prog_type_str(bpf_program__type(p));
    const char *at = libbpf_bpf_attach_type_str(bpf_program__expected_attach_type(p));
    o.Set("name", bpf_program__name(p));
    o.Set("section", bpf_program__section_name(p));
    o.Set("type", type ? type : "unknown");
    o.Set("expectedAttachType", at ? at : "unknown");
    o.Set("autoload", bpf_program__autoload(p));
    int fd = loaded_ ? bpf_program__fd(p) : -1;
    o.Set("fd", fd < 0 ? -1 : fd);
    bpf_prog_info pi{};
    __u32 len = sizeof pi;
    o.Set("id", fd >= 0 && bpf_obj_get_info_by_fd(fd, &pi, &len) == 0 ? pi.id : 0);
    arr.Set(i++, o);
  }
  return arr;
}

Napi::Value BpfObjectWrap::Maps(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Array arr = Napi::Array::New(env);
  bpf_map *m;
  uint32_t i = 0;
  bpf_object__for_each_map(m, Obj(env)) {
    Napi::Object o = Napi::Object::New(env);
    const char *type = libbpf_bpf_map_type_str(bpf_map__type(m));
    o.Set("name", bpf_map__name(m));
    o.Set("type", type ? type : "unknown");
    o.Set("keySize", bpf_map__key_size(m));
    o.Set("valueSize", bpf_map__value_size(m));
    o.Set("valueBytes", static_cast<double>(MapValueBytes(m)));
    o.Set("maxEntries", bpf_map__max_entries(m));
    o.Set("flags", bpf_map__map_flags(m));
    o.Set("internal", bpf_map__is_internal(m));
    int fd = loaded_ ? bpf_map__fd(m) : -1;
    o.Set("fd", fd < 0 ? -1 : fd);
    arr.Set(i++, o);
  }
  return arr;
}

Napi::Value BpfObjectWrap::SetAutoload(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  RequireNotLoaded(env, "setAutoload");
  bpf_program *p = Prog(env, info[0]);
  int err = bpf_program__set_autoload(p, info[1].ToBoolean().Value());
  if (err) ThrowBpf(env, "bpf_program__set_autoload", err);
  return env.Undefined();
}

Napi::Value BpfObjectWrap::SetMaxEntries(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  RequireNotLoaded(env, "setMaxEntries");
  bpf_map *m = Map(env, info[0]);
  if (!info[1].IsNumber()) ThrowType(env, "maxEntries must be a number");
  int err = bpf_map__set_max_entries(m, info[1].As<Napi::Number>().Uint32Value());
  if (err) ThrowBpf(env, std::string("bpf_map__set_max_entries(") + bpf_map__name(m) + ")", err);
  return env.Undefined();
}

// setAttachTarget(program, func): the kernel function an fentry/fexit/fmod_ret/lsm program
// without a target in its SEC() attaches to (one pre-compiled program, any target).
Napi::Value BpfObjectWrap::SetAttachTarget(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  RequireNotLoaded(env, "setAttachTarget");
  bpf_program *p = Prog(env, info[0]);
  std::string func = Str(env, info[1], "attach target");
  int err = bpf_program__set_attach_target(p, 0, func.c_str());
  if (err) ThrowBpf(env, "bpf_program__set_attach_target(" + std::string(bpf_program__name(p)) + ", " + func + ")", err);
  return env.Undefined();
}

// reuseMap(map, fd): before load, makes this object use an existing map (another object's,
// by fd) instead of creating its own: objects loaded one by one share rings and state.
Napi::Value BpfObjectWrap::ReuseMap(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  RequireNotLoaded(env, "reuseMap");
  bpf_map *m = Map(env, info[0]);
  if (!info[1].IsNumber()) ThrowType(env, "fd must be a number");
  int err = bpf_map__reuse_fd(m, info[1].As<Napi::Number>().Int32Value());
  if (err) ThrowBpf(env, std::string("bpf_map__reuse_fd(") + bpf_map__name(m) + ")", err);
  return env.Undefined();
}

// setGlobal(name, bytes): before load, changes the variable's initial value (any section);
// after load, writes the live value of writable sections (.data/.bss), refuses .rodata.
Napi::Value BpfObjectWrap::SetGlobal(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string name = Str(env, info[0], "variable name");
  if (!info[1].IsBuffer()) ThrowType(env, "value must be a Buffer");
  auto val = info[1].As<Napi::Buffer<uint8_t>>();
  GlobalVar g;
  if (!FindGlobal(Obj(env), name, &g)) ThrowBpf(env, "no global variable '" + name + "' in " + path_, ENOENT);
  if (val.Length() != g.size)
    ThrowBpf(env, "global '" + name + "' is " + std::to_string(g.size) + " bytes, got " +
                      std::to_string(val.Length()), EINVAL);
  size_t sz = 0;
  if (!loaded_) {
    const void *cur = bpf_map__initial_value(g.map, &sz);
    if (!cur || g.offset + g.size > sz) ThrowBpf(env, "global '" + name + "' has no initial value", EINVAL);
    std::vector<uint8_t> copy(static_cast<const uint8_t *>(cur), static_cast<const uint8_t *>(cur) + sz);
    memcpy(copy.data() + g.offset, val.Data(), g.size);
    int err = bpf_map__set_initial_value(g.map, copy.data(), sz);
    if (err) ThrowBpf(env, "bpf_map__set_initial_value(" + g.section + ")", err);
    return env.Undefined();
  }
  if (ReadOnlySection(g.section))
    ThrowBpf(env, "global '" + name + "' is in " + g.section + ", read-only after load", EPERM);
  int fd = LoadedMapFd(env, g.map);
  std::vector<uint8_t> cur(bpf_map__value_size(g.map));
  __u32 key = 0;
  if (bpf_map_lookup_elem(fd, &key, cur.data())) ThrowBpf(env, "bpf_map_lookup_elem(" + g.section + ")", errno);
  memcpy(cur.data() + g.offset, val.Data(), g.size);
  if (bpf_map_update_elem(fd, &key, cur.data(), BPF_ANY))
    ThrowBpf(env, "bpf_map_update_elem(" + g.section + ")", errno);
  return env.Undefined();
}

Napi::Value BpfObjectWrap::GetGlobal(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string name = Str(env, info[0], "variable name");
  GlobalVar g;
  if (!FindGlobal(Obj(env), name, &g)) ThrowBpf(env, "no global variable '" + name + "' in " + path_, ENOENT);
  if (!loaded_) {
    size_t sz = 0;
    const void *cur = bpf_map__initial_value(g.map, &sz);
    if (!cur || g.offset + g.size > sz) ThrowBpf(env, "global '" + name + "' has no initial value", EINVAL);
    return Napi::Buffer<uint8_t>::Copy(env, static_cast<const uint8_t *>(cur) + g.offset, g.size);
  }
  int fd = LoadedMapFd(env, g.map);
  std::vector<uint8_t> cur(bpf_map__value_size(g.map));
  __u32 key = 0;
  if (bpf_map_lookup_elem(fd, &key, cur.data())) ThrowBpf(env, "bpf_map_lookup_elem(" + g.section + ")", errno);
  return Napi::Buffer<uint8_t>::Copy(env, cur.data() + g.offset, g.size);
}

// attach(program, spec) -> Link. spec.kind: auto | tracepoint | rawTracepoint | uprobe |
// kprobe | cgroup | iter. tp_btf, fentry/fexit, fmod_ret, lsm attach through 'auto'.
Napi::Value BpfObjectWrap::Attach(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  RequireLoaded(env, "attach");
  bpf_program *p = Prog(env, info[0]);
  if (!info[1].IsObject()) ThrowType(env, "attach spec must be an object");
  Napi::Object spec = info[1].As<Napi::Object>();
  std::string kind = OptStr(spec, "kind");
  if (kind.empty()) kind = "auto";
  auto state = std::make_shared<LinkState>();
  state->program = bpf_program__name(p);
  state->kind = kind;
  std::string op;
  ClearLibbpfLog();
  errno = 0;

  if (kind == "auto") {
    op = "bpf_program__attach";
    state->link = bpf_program__attach(p);
  } else if (kind == "tracepoint") {
    std::string cat = OptStr(spec, "category"), name = OptStr(spec, "name");
    op = "bpf_program__attach_tracepoint(" + cat + "/" + name + ")";
    state->link = bpf_program__attach_tracepoint(p, cat.c_str(), name.c_str());
  } else if (kind == "rawTracepoint") {
    std::string name = OptStr(spec, "name");
    op = "bpf_program__attach_raw_tracepoint(" + name + ")";
    state->link = bpf_program__attach_raw_tracepoint(p, name.c_str());
  } else if (kind == "uprobe") {
    std::string bin = OptStr(spec, "binaryPath"), fn = OptStr(spec, "funcName");
    Napi::Value off = spec.Get("offset"), pid = spec.Get("pid");
    LIBBPF_OPTS(bpf_uprobe_opts, uo);
    uo.retprobe = spec.Get("retprobe").ToBoolean().Value();
    if (!fn.empty()) uo.func_name = fn.c_str();
    op = std::string(uo.retprobe ? "uretprobe" : "uprobe") + "(" + bin + ":" + (fn.empty() ? "<offset>" : fn) + ")";
    state->link = bpf_program__attach_uprobe_opts(
        p, pid.IsNumber() ? pid.As<Napi::Number>().Int32Value() : -1, bin.c_str(),
        off.IsNumber() ? static_cast<size_t>(off.As<Napi::Number>().Int64Value()) : 0, &uo);
  } else if (kind == "kprobe") {
    std::string fn = OptStr(spec, "func");
    Napi::Value off = spec.Get("offset");
    LIBBPF_OPTS(bpf_kprobe_opts, ko);
    ko.retprobe = spec.Get("retprobe").ToBoolean().Value();
    if (off.IsNumber()) ko.offset = static_cast<size_t>(off.As<Napi::Number>().Int64Value());
    op = std::string(ko.retprobe ? "kretprobe" : "kprobe") + "(" + fn + ")";
    state->link = bpf_program__attach_kprobe_opts(p, fn.c_str(), &ko);
  } else if (kind == "cgroup") {
    std::string path = OptStr(spec, "path"), type = OptStr(spec, "attachType");
    op = "cgroup attach(" + path + (type.empty() ? "" : ", " + type) + ")";
    int cg = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cg < 0) ThrowBpf(env, "open cgroup " + path, errno);
    if (type.empty()) {
      state->link = bpf_program__attach_cgroup(p, cg);
      if (!state->link) errno = errno ? errno : EINVAL;
    } else {
      bpf_attach_type at;
      if (AttachTypeByName(type, &at)) {
        close(cg);
        ThrowBpf(env, "unknown attach type '" + type + "' (use libbpf names, e.g. cgroup_inet4_connect)", EINVAL);
      }
      int fd = bpf_link_create(bpf_program__fd(p), cg, at, nullptr);
      if (fd < 0) errno = -fd;
      else state->raw_fd = fd;
    }
    int saved = errno;
    close(cg);
    errno = saved;
  } else if (kind == "iter") {
    op = "bpf_program__attach_iter";
    state->link = bpf_program__attach_iter(p, nullptr);
  } else {
    ThrowType(env, "unknown attach kind '" + kind + "'");
  }
  if (!state->Active()) {
    int err = errno ? errno : EINVAL;
    ThrowBpf(env, op + " for " + state->program, err);
  }
  // Forget links the caller already destroyed, so a long-lived object does not accumulate them.
  links_.erase(std::remove_if(links_.begin(), links_.end(), [](const auto &l) { return !l->Active(); }),
               links_.end());
  links_.push_back(state);
  return LinkWrap::NewInstance(env, state);
}

size_t MapValueBytes(const bpf_map *map) {
  size_t v = bpf_map__value_size(map);
  switch (bpf_map__type(map)) {
    case BPF_MAP_TYPE_PERCPU_ARRAY:
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
    case BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE:
      return ((v + 7) & ~size_t{7}) * static_cast<size_t>(libbpf_num_possible_cpus());
    default:
      return v;
  }
}

}  // namespace vigil
