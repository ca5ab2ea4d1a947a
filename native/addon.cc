// Module entry: registers the BLAS and LAPACK kernels, the OpenBLAS configuration/thread controls and
// the random generator (LAPACK's dlarnv, so random matrices come from the same library as everything else).
#include <cstring>
#include <string>

#include "common.h"

#if defined(__linux__)
#include <sys/prctl.h>
#endif
#if defined(__unix__) || defined(__APPLE__)
#include <dlfcn.h>
#endif

namespace engine {
namespace {

// config() → [configString, coreName, threads]: three primitives, the object is built in JS.
Napi::Value Config(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env, 3);
  const char* config = openblas_get_config();
  const char* core = openblas_get_corename();
  out.Set(0u, Napi::String::New(env, config ? config : ""));
  out.Set(1u, Napi::String::New(env, core ? core : ""));
  out.Set(2u, Napi::Number::New(env, openblas_get_num_threads()));
  return out;
}

// libraryPath() → the file the dynamic loader opened for OpenBLAS (as it found it, before symlinks), or
// "" where dladdr is unavailable: the kernel decision is keyed by that file.
Napi::Value LibraryPath(const Napi::CallbackInfo& info) {
  std::string file;
#if defined(__unix__) || defined(__APPLE__)
  Dl_info where;
  if (dladdr(reinterpret_cast<void*>(&openblas_get_config), &where) != 0 && where.dli_fname) file = where.dli_fname;
#endif
  return Napi::String::New(info.Env(), file);
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  int n = ArgDim(info, 0, "setBlasThreads");
  if (n < 1) ThrowRange(info.Env(), "setBlasThreads: thread count must be at least 1, got 0");
  openblas_set_num_threads(n);
  return info.Env().Undefined();
}

// larnv(dist, iseed, out, len): fills out with dlarnv (1 = U(0,1), 2 = U(-1,1), 3 = N(0,1)) and
// advances the 4-word seed in place, so the JS-held Int32Array is the generator's whole state.
Napi::Value Larnv(const Napi::CallbackInfo& info) {
  const char* op = "randomMatrix";
  Napi::Env env = info.Env();
  int dist = ArgDim(info, 0, op);
  int len = ArgDim(info, 3, op);
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  bool isTyped = false;
  if (napi_is_typedarray(env, info[1], &isTyped) != napi_ok || !isTyped ||
      napi_get_typedarray_info(env, info[1], &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_int32_array || length != 4) {
    ThrowType(env, "randomMatrix: seed state must be an Int32Array of length 4");
  }
  static_assert(sizeof(lapack_int) == sizeof(int32_t), "LP64 LAPACK expected");
  lapack_int* iseed = static_cast<lapack_int*>(data);
  // dlarnv's contract: each word in [0, 4095], the last one odd.
  for (int i = 0; i < 4; i++)
    if (iseed[i] < 0 || iseed[i] > 4095) ThrowRange(env, "randomMatrix: bad seed state");
  if (iseed[3] % 2 == 0) ThrowRange(env, "randomMatrix: bad seed state");
  if (dist < 1 || dist > 3) ThrowRange(env, "randomMatrix: bad distribution");
  F64 out = ArgF64(info, 2, op, len);
  if (len == 0) return env.Undefined();
  lapack_int rc = LAPACKE_dlarnv(dist, iseed, len, out.p);
  CheckLapackInfo(env, op, "dlarnv", rc);
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
#if defined(__linux__) && defined(PR_SET_PTRACER)
  // Lets a debugger that is not our parent attach to a hung worker under ptrace_scope=1; failure is fine.
  prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
#endif
  InitFast(env, exports);
  InitMemory(env, exports);
  InitBlas(env, exports);
  InitLapack(env, exports);
  exports.Set("config", Napi::Function::New(env, Guarded<Config>, "config"));
  exports.Set("libraryPath", Napi::Function::New(env, Guarded<LibraryPath>, "libraryPath"));
  exports.Set("setThreads", Napi::Function::New(env, Guarded<SetThreads>, "setThreads"));
  exports.Set("larnv", Napi::Function::New(env, Guarded<Larnv>, "larnv"));
  return exports;
}

}  // namespace
}  // namespace engine

// The module macro pastes the name into an identifier, so it needs an unqualified function.
static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return engine::Init(env, exports); }

NODE_API_MODULE(mtest_engine, InitModule)
