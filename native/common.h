// Shared helpers for the engine addon: argument unpacking, error construction, guarded allocation.
// Every entry point validates what it is handed (types, lengths against dimensions) so that a wrong call
// from JavaScript becomes a JS exception, never an out-of-bounds access or an abort.
#pragma once

#include <napi.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

// Both headers carry their own extern "C" guards (lapacke.h pulls in <complex> under C++).
#include <cblas.h>
#include <lapacke.h>

namespace engine {

// A Float64Array argument viewed as raw memory (no copy).
struct F64 {
  double* p;
  size_t n;
};

[[noreturn]] inline void ThrowType(Napi::Env env, const std::string& msg) {
  throw Napi::TypeError::New(env, msg);
}
[[noreturn]] inline void ThrowRange(Napi::Env env, const std::string& msg) {
  throw Napi::RangeError::New(env, msg);
}

// Reads a Float64Array straight from napi (node-addon-api's wrapper adds checks we do ourselves).
inline F64 ArgF64(const Napi::CallbackInfo& info, size_t i, const char* op, size_t need) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  bool isTyped = false;
  napi_env env = info.Env();
  napi_value v = info[i];
  if (napi_is_typedarray(env, v, &isTyped) != napi_ok || !isTyped ||
      napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_float64_array) {
    ThrowType(info.Env(), std::string(op) + ": argument " + std::to_string(i) + " must be a Float64Array");
  }
  if (length < need) {
    ThrowRange(info.Env(), std::string(op) + ": buffer of length " + std::to_string(length) +
                               " is too short (need " + std::to_string(need) + ")");
  }
  return {static_cast<double*>(data), length};
}

// A non-negative dimension that BLAS (32-bit lapack_int / blasint) can address.
inline int ArgDim(const Napi::CallbackInfo& info, size_t i, const char* op) {
  double d = 0;
  if (napi_get_value_double(info.Env(), info[i], &d) != napi_ok) {
    ThrowType(info.Env(), std::string(op) + ": argument " + std::to_string(i) + " must be a number");
  }
  if (!(d >= 0) || d > 2147483647.0 || d != static_cast<double>(static_cast<int64_t>(d))) {
    ThrowRange(info.Env(), std::string(op) + ": bad dimension " + std::to_string(d));
  }
  return static_cast<int>(d);
}

inline double ArgNumber(const Napi::CallbackInfo& info, size_t i, const char* op) {
  double d = 0;
  if (napi_get_value_double(info.Env(), info[i], &d) != napi_ok) {
    ThrowType(info.Env(), std::string(op) + ": argument " + std::to_string(i) + " must be a number");
  }
  return d;
}

// Element count m*n, checked against size_t overflow.
inline size_t Count(Napi::Env env, const char* op, int m, int n) {
  uint64_t c = static_cast<uint64_t>(m) * static_cast<uint64_t>(n);
  if (c > SIZE_MAX / sizeof(double)) ThrowRange(env, std::string(op) + ": matrix too large");
  return static_cast<size_t>(c);
}

// Workspace whose allocation failure is a RangeError naming the operation, not std::terminate.
template <typename T>
std::vector<T> Work(Napi::Env env, const char* op, size_t n, T fill = T()) {
  try {
    return std::vector<T>(n, fill);
  } catch (const std::bad_alloc&) {
    ThrowRange(env, std::string(op) + ": cannot allocate " + std::to_string(n) + " elements of workspace");
  }
}

// Visits every pair (i, j) with j > i of an n×n row-major matrix, 32×32 tile by tile, and stops at the first
// visit that returns false. Walking aⱼᵢ down a column one element at a time touches a new cache line (and
// past n ≈ 500, a new page) for every element; a tile reads each line it needs once.
template <typename Visit>
bool ForUpperPairs(size_t n, Visit&& visit) {
  constexpr size_t kTile = 32;
  for (size_t ib = 0; ib < n; ib += kTile) {
    size_t ie = std::min(ib + kTile, n);
    for (size_t jb = ib; jb < n; jb += kTile) {
      size_t je = std::min(jb + kTile, n);
      for (size_t i = ib; i < ie; i++)
        for (size_t j = std::max(jb, i + 1); j < je; j++)
          if (!visit(i, j)) return false;
    }
  }
  return true;
}

// How many parts of at least minPart items the BLAS thread budget (openblas_get_num_threads) allows for
// n items, for memory-bound passes over large arrays (copies, transposes) that OpenBLAS runs on one
// thread. Starting a thread costs a tenth of a millisecond or more, so parts are made only where each is
// worth a millisecond or so.
inline int PartsFor(size_t n, size_t minPart) {
  size_t budget = static_cast<size_t>(std::clamp(openblas_get_num_threads(), 1, 8));
  return static_cast<int>(std::clamp<size_t>(n / std::max<size_t>(minPart, 1), 1, budget));
}

// Runs body(part, begin, end) over `parts` contiguous parts of [0, n), part boundaries on multiples of
// `grain`: part 0 on this thread, the others on threads of their own, joined before it returns. A part
// whose thread cannot be started runs on this thread. body must not throw.
template <typename Body>
void RunParts(size_t n, int parts, size_t grain, Body&& body) {
  const size_t per = parts > 1 ? (n / parts + grain - 1) / grain * grain : n;
  auto begin = [&](int k) { return std::min(n, static_cast<size_t>(k) * per); };
  auto end = [&](int k) { return k == parts - 1 ? n : std::min(n, static_cast<size_t>(k + 1) * per); };
  std::vector<std::thread> helpers;
  int started = 1;
  for (; started < parts; started++) {
    try {
      helpers.emplace_back([&body, k = started, b = begin(started), e = end(started)] { body(k, b, e); });
    } catch (const std::system_error&) {
      break;  // no thread to spare: this thread does the rest
    }
  }
  body(0, begin(0), end(0));
  for (int k = started; k < parts; k++) body(k, begin(k), end(k));
  for (auto& t : helpers) t.join();
}

// Work arrays from 128 KiB on come from a cache of mapped blocks (memory.cc) holding at most 64 MiB.
constexpr size_t kCacheMin = size_t(128) << 10;
constexpr size_t kCacheLimit = size_t(64) << 20;

// Workspace of doubles that the routine overwrites: uninitialised (a zero fill of an 18 MB matrix costs
// about as much as copying it), 64-byte aligned, given back to the cache when it goes out of scope.
class WorkBuffer {
 public:
  WorkBuffer() = default;
  WorkBuffer(WorkBuffer&& o) noexcept : p_(o.p_), bytes_(o.bytes_), env_(o.env_) { o.p_ = nullptr; }
  WorkBuffer(const WorkBuffer&) = delete;
  WorkBuffer& operator=(const WorkBuffer&) = delete;
  WorkBuffer& operator=(WorkBuffer&&) = delete;
  ~WorkBuffer();
  double* get() const { return static_cast<double*>(p_); }

 private:
  friend WorkBuffer TakeWork(napi_env env, const char* op, size_t n);
  void* p_ = nullptr;
  size_t bytes_ = 0;
  napi_env env_ = nullptr;
};

// `n` doubles of workspace; a RangeError naming `op` when they cannot be had.
WorkBuffer TakeWork(napi_env env, const char* op, size_t n);

// LAPACKE reports its own allocation failures and argument errors as negative info codes.
inline void CheckLapackInfo(Napi::Env env, const char* op, const char* routine, lapack_int info) {
  if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR) {
    ThrowRange(env, std::string(op) + ": out of memory in " + routine);
  }
  if (info < 0) {
    ThrowRange(env, std::string(op) + ": " + routine + " rejected argument " + std::to_string(-info));
  }
}

inline int Ld(int n) { return n > 0 ? n : 1; }

// Registers a function behind a catch-all so no C++ exception can escape into node and abort the process.
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value Guarded(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(info.Env(), "engine: out of memory");
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string("engine: ") + e.what());
  }
}

void InitBlas(Napi::Env env, Napi::Object exports);
void InitFast(napi_env env, napi_value exports);
void InitMemory(napi_env env, napi_value exports);
void InitLapack(Napi::Env env, Napi::Object exports);

}  // namespace engine
