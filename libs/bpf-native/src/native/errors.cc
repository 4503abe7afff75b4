#include "errors.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>

namespace vigil {
namespace {

constexpr size_t kMaxLines = 40;       // verifier logs are long: keep their tail
constexpr size_t kMaxLineBytes = 2048;

thread_local std::deque<std::string> tl_lines;
thread_local std::string tl_partial;

bool DebugToStderr() {
  static const bool on = [] {
    const char *v = getenv("VIGIL_LIBBPF_DEBUG");
    return v && *v && strcmp(v, "0") != 0;
  }();
  return on;
}

int PrintCb(enum libbpf_print_level level, const char *fmt, va_list args) {
  // The verifier log arrives as one print of up to megabytes: its tail (the reason) matters.
  std::string buf(8192, '\0');
  va_list copy;
  va_copy(copy, args);
  int n = vsnprintf(buf.data(), buf.size(), fmt, copy);
  va_end(copy);
  if (n < 0) return 0;
  if (static_cast<size_t>(n) >= buf.size()) {
    buf.resize(static_cast<size_t>(n) + 1);
    va_copy(copy, args);
    vsnprintf(buf.data(), buf.size(), fmt, copy);
    va_end(copy);
  }
  buf.resize(static_cast<size_t>(n));
  if (DebugToStderr()) fputs(buf.c_str(), stderr);
  if (level == LIBBPF_DEBUG) return 0;  // debug chatter is not an error explanation
  // Split into lines; a print without a trailing newline continues on the next one.
  tl_partial.append(buf);
  size_t start = 0, nl;
  while ((nl = tl_partial.find('\n', start)) != std::string::npos) {
    std::string line = tl_partial.substr(start, nl - start);
    if (line.size() > kMaxLineBytes) line.resize(kMaxLineBytes);
    if (!line.empty()) tl_lines.push_back(std::move(line));
    if (tl_lines.size() > kMaxLines) tl_lines.pop_front();
    start = nl + 1;
  }
  tl_partial.erase(0, start);
  return 0;
}

}  // namespace

void InstallLibbpfPrint() {
  static std::once_flag once;
  std::call_once(once, [] { libbpf_set_print(PrintCb); });
}

void ClearLibbpfLog() {
  tl_lines.clear();
  tl_partial.clear();
}

std::string TakeLibbpfLog() {
  std::string out;
  for (auto &l : tl_lines) {
    out += l;
    out += '\n';
  }
  if (!tl_partial.empty()) out += tl_partial;
  ClearLibbpfLog();
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string ErrnoName(int err) {
  if (err < 0) err = -err;
  const char *name = strerrorname_np(err);  // glibc >= 2.32
  return name ? name : "E" + std::to_string(err);
}

Napi::Error BpfError(Napi::Env env, const std::string &op, int err) {
  if (err < 0) err = -err;
  if (err == 0) err = EINVAL;
  std::string code = ErrnoName(err);
  std::string log = TakeLibbpfLog();
  std::string msg = op + ": " + strerror(err) + " (" + code + ")";
  if (!log.empty()) msg += "\n" + log;
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("code", Napi::String::New(env, code));
  e.Set("op", Napi::String::New(env, op));
  e.Set("libbpfLog", Napi::String::New(env, log));
  return e;
}

void ThrowBpf(Napi::Env env, const std::string &op, int err) { throw BpfError(env, op, err); }

void ThrowType(Napi::Env env, const std::string &msg) { throw Napi::TypeError::New(env, msg); }

}  // namespace vigil
