// Hot-path BLAS entry points. A small product costs less in BLAS (~65 ns for 4×4 dgemm) than typed-array
// unpacking does (~50 ns per napi_get_typedarray_info), so matrices are passed as (ArrayBuffer, element
// offset) pairs, which unpack in ~10 ns. Bound through node-addon-api like the rest of the engine, with the
// arguments read through plain napi calls. Every dimension and offset is checked in C++ as in JavaScript
// (a whole number in [0, 2^31 − 1], never wrapped to 32 bits), and a buffer must hold offset + count
// elements, computed without overflow: a wrong call is a TypeError or RangeError, never a stray access.
#include "common.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace engine {
namespace {

// The ArrayBuffer at argument i viewed from element `offset` (argument i + 1); it must hold `count` doubles.
double* Buf(const Napi::CallbackInfo& info, size_t i, const char* op, size_t count) {
  const size_t offset = static_cast<size_t>(ArgDim(info, i + 1, op));
  void* data = nullptr;
  size_t bytes = 0;
  if (napi_get_arraybuffer_info(info.Env(), info[i], &data, &bytes) != napi_ok) {
    ThrowType(info.Env(), std::string(op) + ": argument " + std::to_string(i) + " must be an ArrayBuffer");
  }
  const size_t have = bytes / sizeof(double);
  if (offset > have || count > have - offset) {
    ThrowRange(info.Env(), std::string(op) + ": buffer too short for " + std::to_string(count) + " elements from offset " + std::to_string(offset));
  }
  return static_cast<double*>(data) + offset;
}

// A 0/1 flag argument.
bool Flag(const Napi::CallbackInfo& info, size_t i, const char* op) {
  const int v = ArgDim(info, i, op);
  if (v > 1) ThrowRange(info.Env(), std::string(op) + ": argument " + std::to_string(i) + " must be 0 or 1");
  return v == 1;
}

// gemm(a, ao, b, bo, c, co, m, k, n): C(m×n) = A(m×k)·B(k×n), row-major.
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  const char* op = "mul";
  Napi::Env env = info.Env();
  const int m = ArgDim(info, 6, op), k = ArgDim(info, 7, op), n = ArgDim(info, 8, op);
  double* A = Buf(info, 0, op, Count(env, op, m, k));
  double* B = Buf(info, 2, op, Count(env, op, k, n));
  double* C = Buf(info, 4, op, Count(env, op, m, n));
  if (m == 0 || n == 0) return env.Undefined();
  if (k == 0) {
    // BLAS wants lda >= 1 and would only clear C.
    std::fill_n(C, Count(env, op, m, n), 0.0);
    return env.Undefined();
  }
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0, A, k, B, n, 0.0, C, n);
  return env.Undefined();
}

// gemmt(a, ao, b, bo, c, co, m, k, n, ta, tb): C(m×n) = op(A)·op(B), row-major, where op(A) = Aᵀ when ta
// (A stored k×m) and op(B) = Bᵀ when tb (B stored n×k): a product with a transpose view, without a copy.
Napi::Value Gemmt(const Napi::CallbackInfo& info) {
  const char* op = "mul";
  Napi::Env env = info.Env();
  const int m = ArgDim(info, 6, op), k = ArgDim(info, 7, op), n = ArgDim(info, 8, op);
  const bool ta = Flag(info, 9, op), tb = Flag(info, 10, op);
  double* A = Buf(info, 0, op, Count(env, op, m, k));
  double* B = Buf(info, 2, op, Count(env, op, k, n));
  double* C = Buf(info, 4, op, Count(env, op, m, n));
  if (m == 0 || n == 0) return env.Undefined();
  if (k == 0) {
    std::fill_n(C, Count(env, op, m, n), 0.0);
    return env.Undefined();
  }
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0, A, ta ? m : k, B,
              tb ? k : n, 0.0, C, n);
  return env.Undefined();
}

// syrk(a, ao, c, co, n, k, trans): C(n×n) = A·Aᵀ with A n×k, or Aᵀ·A with A k×n when trans. Half the
// flops of gemm (as numpy does for `a @ a.T`); dsyrk fills the upper triangle, the lower one is mirrored.
Napi::Value Syrk(const Napi::CallbackInfo& info) {
  const char* op = "mul";
  Napi::Env env = info.Env();
  const int n = ArgDim(info, 4, op), k = ArgDim(info, 5, op);
  const bool trans = Flag(info, 6, op);
  double* A = Buf(info, 0, op, Count(env, op, n, k));
  double* C = Buf(info, 2, op, Count(env, op, n, n));
  if (n == 0) return env.Undefined();
  if (k == 0) {
    std::fill_n(C, Count(env, op, n, n), 0.0);  // as gemm: BLAS would only clear C
    return env.Undefined();
  }
  cblas_dsyrk(CblasRowMajor, CblasUpper, trans ? CblasTrans : CblasNoTrans, n, k, 1.0, A, trans ? n : k, 0.0, C, n);
  for (size_t i = 1; i < static_cast<size_t>(n); i++)
    for (size_t j = 0; j < i; j++) C[i * n + j] = C[j * n + i];
  return env.Undefined();
}

// gemv(a, ao, x, xo, y, yo, m, n): y(m) = A(m×n)·x(n).
Napi::Value Gemv(const Napi::CallbackInfo& info) {
  const char* op = "mul";
  Napi::Env env = info.Env();
  const int m = ArgDim(info, 6, op), n = ArgDim(info, 7, op);
  double* A = Buf(info, 0, op, Count(env, op, m, n));
  double* x = Buf(info, 2, op, static_cast<size_t>(n));
  double* y = Buf(info, 4, op, static_cast<size_t>(m));
  if (m == 0) return env.Undefined();
  if (n == 0) {
    std::fill_n(y, static_cast<size_t>(m), 0.0);
    return env.Undefined();
  }
  cblas_dgemv(CblasRowMajor, CblasNoTrans, m, n, 1.0, A, n, x, 1, 0.0, y, 1);
  return env.Undefined();
}

// axpy(x, xo, y, yo, out, oo, alpha, len): out = x + alpha·y (add: 1, sub: −1).
Napi::Value Axpy(const Napi::CallbackInfo& info) {
  const char* op = "add";
  Napi::Env env = info.Env();
  const int len = ArgDim(info, 7, op);
  const double alpha = ArgNumber(info, 6, op);
  double* x = Buf(info, 0, op, static_cast<size_t>(len));
  double* y = Buf(info, 2, op, static_cast<size_t>(len));
  double* out = Buf(info, 4, op, static_cast<size_t>(len));
  if (len == 0) return env.Undefined();
  // One pass (dcopy then daxpy would read and write the output twice).
  const size_t count = static_cast<size_t>(len);
  if (alpha == 1.0)
    for (size_t i = 0; i < count; i++) out[i] = x[i] + y[i];
  else if (alpha == -1.0)
    for (size_t i = 0; i < count; i++) out[i] = x[i] - y[i];
  else
    for (size_t i = 0; i < count; i++) out[i] = x[i] + alpha * y[i];
  return env.Undefined();
}

// scal(x, xo, out, oo, alpha, len): out = alpha·x.
Napi::Value Scal(const Napi::CallbackInfo& info) {
  const char* op = "scale";
  Napi::Env env = info.Env();
  const int len = ArgDim(info, 5, op);
  const double alpha = ArgNumber(info, 4, op);
  double* x = Buf(info, 0, op, static_cast<size_t>(len));
  double* out = Buf(info, 2, op, static_cast<size_t>(len));
  const size_t count = static_cast<size_t>(len);
  for (size_t i = 0; i < count; i++) out[i] = alpha * x[i];
  return env.Undefined();
}

// dot(x, xo, y, yo, len) → x·y.
Napi::Value Dot(const Napi::CallbackInfo& info) {
  const char* op = "dot";
  const int len = ArgDim(info, 4, op);
  double* x = Buf(info, 0, op, static_cast<size_t>(len));
  double* y = Buf(info, 2, op, static_cast<size_t>(len));
  return Napi::Number::New(info.Env(), len == 0 ? 0.0 : cblas_ddot(len, x, 1, y, 1));
}

// nrm2(x, xo, len) → ‖x‖₂.
Napi::Value Nrm2(const Napi::CallbackInfo& info) {
  const char* op = "norm";
  const int len = ArgDim(info, 2, op);
  double* x = Buf(info, 0, op, static_cast<size_t>(len));
  return Napi::Number::New(info.Env(), len == 0 ? 0.0 : cblas_dnrm2(len, x, 1));
}

// sumSquares(x, xo, len) → ‖x‖₂ as sqrt(x·x) (ddot, as numpy's norm does), through dnrm2's scaled sum
// when the squares overflow or underflow.
Napi::Value SumSquaresNorm(const Napi::CallbackInfo& info) {
  const char* op = "norm";
  Napi::Env env = info.Env();
  const int len = ArgDim(info, 2, op);
  double* x = Buf(info, 0, op, static_cast<size_t>(len));
  if (len == 0) return Napi::Number::New(env, 0.0);
  const double s = cblas_ddot(len, x, 1, x, 1);  // OpenBLAS splits long runs over its own threads
  if (std::isfinite(s) && s >= 1e-290) return Napi::Number::New(env, std::sqrt(s));
  if (std::isnan(s)) return Napi::Number::New(env, s);
  return Napi::Number::New(env, cblas_dnrm2(len, x, 1));
}

}  // namespace

void InitFast(napi_env e, napi_value x) {
  Napi::Env env(e);
  Napi::Object exports(e, x);
  exports.Set("gemm", Napi::Function::New(env, Guarded<Gemm>, "gemm"));
  exports.Set("gemmt", Napi::Function::New(env, Guarded<Gemmt>, "gemmt"));
  exports.Set("frobenius", Napi::Function::New(env, Guarded<SumSquaresNorm>, "frobenius"));
  exports.Set("syrk", Napi::Function::New(env, Guarded<Syrk>, "syrk"));
  exports.Set("gemv", Napi::Function::New(env, Guarded<Gemv>, "gemv"));
  exports.Set("axpy", Napi::Function::New(env, Guarded<Axpy>, "axpy"));
  exports.Set("scal", Napi::Function::New(env, Guarded<Scal>, "scal"));
  exports.Set("dot", Napi::Function::New(env, Guarded<Dot>, "dot"));
  exports.Set("nrm2", Napi::Function::New(env, Guarded<Nrm2>, "nrm2"));
}

}  // namespace engine
