// libbpf diagnostics capture and JS error construction.
#pragma once
#include <napi.h>
#include <string>

namespace vigil {

// Installs the libbpf print callback (once). libbpf output is kept per thread, so the
// message of a failing call can be attached to the JS error it causes.
void InstallLibbpfPrint();

// Forgets captured libbpf output; call before a libbpf operation whose failure is reported.
void ClearLibbpfLog();

// The libbpf output captured since the last ClearLibbpfLog (last lines only, bounded).
std::string TakeLibbpfLog();

// Builds an Error: message "<op>: <strerror> (<CODE>)" plus the libbpf log, with properties
// errno (positive number), code ('EPERM'...), op and libbpfLog.
Napi::Error BpfError(Napi::Env env, const std::string &op, int err);

// Throws BpfError (C++ exception; node-addon-api turns it into a JS throw).
[[noreturn]] void ThrowBpf(Napi::Env env, const std::string &op, int err);

// Throws a TypeError for bad arguments.
[[noreturn]] void ThrowType(Napi::Env env, const std::string &msg);

// "EPERM" for EPERM, "E<n>" when unknown.
std::string ErrnoName(int err);

}  // namespace vigil
