// BpfObject map access: single-element operations with Buffers, batch operations (kernel
// batch syscalls where the map type has them, else an element loop), pinning.
#include <bpf/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "errors.h"
#include "object.h"

namespace vigil {
namespace {

void CheckKey(Napi::Env env, const Napi::Value &v, const bpf_map *m) {
  if (!v.IsBuffer()) ThrowType(env, "key must be a Buffer");
  size_t len = v.As<Napi::Buffer<uint8_t>>().Length();
  if (len != bpf_map__key_size(m))
    ThrowBpf(env, std::string("map ") + bpf_map__name(m) + ": key is " + std::to_string(bpf_map__key_size(m)) +
                      " bytes, got " + std::to_string(len), EINVAL);
}

uint64_t Flags(const Napi::CallbackInfo &info, size_t i) {
  return info.Length() > i && info[i].IsNumber() ? info[i].As<Napi::Number>().Int64Value() : 0;
}

bool NoBatchSupport(int err) { return err == EINVAL || err == ENOTSUP || err == EOPNOTSUPP || err == 524 /* ENOTSUPP */; }

}  // namespace

// mapLookup(map, key, flags?) -> Buffer | null (null when the key is absent)
Napi::Value BpfObjectWrap::MapLookup(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  bpf_map *m = Map(env, info[0]);
  int fd = LoadedMapFd(env, m);
  CheckKey(env, info[1], m);
  auto key = info[1].As<Napi::Buffer<uint8_t>>();
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, MapValueBytes(m));
  if (bpf_map_lookup_elem_flags(fd, key.Data(), out.Data(), Flags(info, 2))) {
    if (errno == ENOENT) return env.Null();
    ThrowBpf(env, std::string("bpf_map_lookup_elem(") + bpf_map__name(m) + ")", errno);
  }
  return out;
}

// mapUpdate(map, key, value, flags?)
Napi::Value BpfObjectWrap::MapUpdate(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  bpf_map *m = Map(env, info[0]);
  int fd = LoadedMapFd(env, m);
  CheckKey(env, info[1], m);
  if (!info[2].IsBuffer()) ThrowType(env, "value must be a Buffer");
  auto key = info[1].As<Napi::Buffer<uint8_t>>();
  auto val = info[2].As<Napi::Buffer<uint8_t>>();
  if (val.Length() != MapValueBytes(m))
    ThrowBpf(env, std::string("map ") + bpf_map__name(m) + ": value is " + std::to_string(MapValueBytes(m)) +
                      " bytes, got " + std::to_string(val.Length()), EINVAL);
  if (bpf_map_update_elem(fd, key.Data(), val.Data(), Flags(info, 3)))
    ThrowBpf(env, std::string("bpf_map_update_elem(") + bpf_map__name(m) + ")", errno);
  return env.Undefined();
}

// mapDelete(map, key) -> boolean (false when the key was absent)
Napi::Value BpfObjectWrap::MapDelete(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  bpf_map *m = Map(env, info[0]);
  int fd = LoadedMapFd(env, m);
  CheckKey(env, info[1], m);
  if (bpf_map_delete_elem(fd, info[1].As<Napi::Buffer<uint8_t>>().Data())) {
    if (errno == ENOENT) return Napi::Boolean::New(env, false);
    ThrowBpf(env, std::string("bpf_map_delete_elem(") + bpf_map__name(m) + ")", errno);
  }
  return Napi::Boolean::New(env, true);
}

// mapNextKey(map, key | null) -> Buffer | null (null after the last key)
Napi::Value BpfObjectWrap::MapNextKey(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  bpf_map *m = Map(env, info[0]);
  int fd = LoadedMapFd(env, m);
  const void *cur = nullptr;
  if (info.Length() > 1 && !info[1].IsNull() && !info[1].IsUndefined()) {
    CheckKey(env, info[1], m);
    cur = info[1].As<Napi::Buffer<uint8_t>>().Data();
  }
  Napi::Buffer<uint8_t> next = Napi::Buffer<uint8_t>::New(env, bpf_map__key_size(m));
  if (bpf_map_get_next_key(fd, cur, next.Data())) {
    if (errno == ENOENT) return env.Null();
    ThrowBpf(env, std::string("bpf_map_get_next_key(") + bpf_map__name(m) + ")", errno);
  }
  return next;
}

// mapLookupBatch(map) -> { keys: Buffer, values: Buffer, count, batched }: every element,
// keys and values packed back to back.
Napi::Value BpfObjectWrap::MapLookupBatch(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  bpf_map *m = Map(env, info[0]);
  int fd = LoadedMapFd(env, m);
  const size_t ks = bpf_map__key_size(m), vs = MapValueBytes(m);
  std::vector<uint8_t> keys, vals;
  size_t count = 0;
  bool batched = true;

  // Kernel batch: the opaque batch token is at most a key (hash maps use a u32 bucket).
  const __u32 chunk = 4096;
  std::vector<uint8_t> in_batch(std::max<size_t>(ks, 8)), out_batch(std::max<size_t>(ks, 8));
  bool first = true;
  for (;;) {
    keys.resize((count + chunk) * ks);
    vals.resize((count + chunk) * vs);
    __u32 n = chunk;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    int err = bpf_map_lookup_batch(fd, first ? nullptr : in_batch.data(), out_batch.data(),
                                   keys.data() + count * ks, vals.data() + count * vs, &n, &opts);
    int e = err ? errno : 0;
    if (err && e != ENOENT) {
      if (first && NoBatchSupport(e)) {
        batched = false;
        break;
      }
      ThrowBpf(env, std::string("bpf_map_lookup_batch(") + bpf_map__name(m) + ")", e);
    }
    count += n;
    if (e == ENOENT) break;
    in_batch.swap(out_batch);
    first = false;
  }
  if (!batched) {  // element loop; entries deleted meanwhile are skipped
    count = 0;
    keys.clear();
    vals.clear();
    std::vector<uint8_t> cur(ks), next(ks), val(vs);
    const void *prev = nullptr;
    while (bpf_map_get_next_key(fd, prev, next.data()) == 0) {
      if (bpf_map_lookup_elem(fd, next.data(), val.data()) == 0) {
        keys.insert(keys.end(), next.begin(), next.end());
        vals.insert(vals.end(), val.begin(), val.end());
        count++;
      }
      cur.swap(next);
      prev = cur.data();
    }
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("keys", Napi::Buffer<uint8_t>::Copy(env, keys.data(), count * ks));
  out.Set("values", Napi::Buffer<uint8_t>::Copy(env, vals.data(), count * vs));
  out.Set("count", static_cast<double>(count));
  out.Set("batched", batched);
  return out;
}

// mapUpdateBatch(map, keys, values, flags?) -> { count, batched }
Napi::Value BpfObjectWrap::MapUpdateBatch(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  bpf_map *m = Map(env, info[0]);
  int fd = LoadedMapFd(env, m);
  if (!info[1].IsBuffer() || !info[2].IsBuffer()) ThrowType(env, "keys and values must be Buffers");
  auto keys = info[1].As<Napi::Buffer<uint8_t>>();
  auto vals = info[2].As<Napi::Buffer<uint8_t>>();
  const size_t ks = bpf_map__key_size(m), vs = MapValueBytes(m);
  if (keys.Length() % ks || vals.Length() % vs || keys.Length() / ks != vals.Length() / vs)
    ThrowBpf(env, "mapUpdateBatch: keys/values sizes do not match the map's key/value size", EINVAL);
  __u32 n = keys.Length() / ks;
  uint64_t flags = Flags(info, 3);
  bool batched = true;
  if (n > 0) {
    LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = flags);
    __u32 done = n;
    if (bpf_map_update_batch(fd, keys.Data(), vals.Data(), &done, &opts)) {
      int e = errno;
      if (!NoBatchSupport(e) || done != 0) ThrowBpf(env, std::string("bpf_map_update_batch(") + bpf_map__name(m) + ")", e);
      batched = false;
      for (__u32 i = 0; i < n; i++)
        if (bpf_map_update_elem(fd, keys.Data() + i * ks, vals.Data() + i * vs, flags))
          ThrowBpf(env, std::string("bpf_map_update_elem(") + bpf_map__name(m) + ") #" + std::to_string(i), errno);
    }
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("count", n);
  out.Set("batched", batched);
  return out;
}

// mapSumPerCpu(map, key) -> bigint: the u64 at offset 0 of every CPU's value, summed
// (per-CPU counters such as the kernel-side lost counters). 0n when the key is absent.
Napi::Value BpfObjectWrap::MapSumPerCpu(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  bpf_map *m = Map(env, info[0]);
  int fd = LoadedMapFd(env, m);
  CheckKey(env, info[1], m);
  const size_t stride = (bpf_map__value_size(m) + 7) & ~size_t{7};
  std::vector<uint8_t> val(MapValueBytes(m));
  if (bpf_map_lookup_elem(fd, info[1].As<Napi::Buffer<uint8_t>>().Data(), val.data())) {
    if (errno == ENOENT) return Napi::BigInt::New(env, static_cast<uint64_t>(0));
    ThrowBpf(env, std::string("bpf_map_lookup_elem(") + bpf_map__name(m) + ")", errno);
  }
  uint64_t sum = 0;
  for (size_t off = 0; off + sizeof(uint64_t) <= val.size(); off += stride) {
    uint64_t v;
    memcpy(&v, val.data() + off, sizeof v);
    sum += v;
  }
  return Napi::BigInt::New(env, sum);
}

Napi::Value BpfObjectWrap::MapPin(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  bpf_map *m = Map(env, info[0]);
  LoadedMapFd(env, m);
  if (!info[1].IsString()) ThrowType(env, "pin path must be a string");
  std::string path = info[1].As<Napi::String>().Utf8Value();
  ClearLibbpfLog();
  int err = bpf_map__pin(m, path.c_str());
  if (err) ThrowBpf(env, "bpf_map__pin(" + path + ")", err);
  return env.Undefined();
}

Napi::Value BpfObjectWrap::MapUnpin(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  bpf_map *m = Map(env, info[0]);
  std::string path = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
  ClearLibbpfLog();
  int err = bpf_map__unpin(m, path.empty() ? nullptr : path.c_str());
  if (err) ThrowBpf(env, "bpf_map__unpin(" + path + ")", err);
  return env.Undefined();
}

Napi::Value BpfObjectWrap::MapFd(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  return Napi::Number::New(env, LoadedMapFd(env, Map(env, info[0])));
}

}  // namespace vigil
