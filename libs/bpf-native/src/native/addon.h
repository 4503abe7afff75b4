// Per-environment state shared by the addon's classes.
#pragma once
#include <napi.h>
#include <set>

namespace vigil {

class BpfObjectWrap;
class RingBufferWrap;

// Live native objects of one JS environment, so the environment's cleanup hook can detach
// programs, close objects and join ring buffer threads when Node exits (or a worker ends)
// even if JS never called close().
struct AddonData {
  std::set<BpfObjectWrap *> objects;
  std::set<RingBufferWrap *> rings;
  Napi::FunctionReference linkCtor;
};

AddonData *GetAddonData(Napi::Env env);

}  // namespace vigil
