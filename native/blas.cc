// BLAS-backed helpers off the hot path (products and vector arithmetic live in fast.cc). JavaScript
// allocates every output buffer and passes it in, so nothing here creates JS objects.
#include <cmath>

#include "common.h"

namespace engine {
namespace {

// transpose(A, out, m, n): out(n×m) = Aᵀ through OpenBLAS's omatcopy.
Napi::Value Transpose(const Napi::CallbackInfo& info) {
  const char* op = "transpose";
  Napi::Env env = info.Env();
  int m = ArgDim(info, 2, op), n = ArgDim(info, 3, op);
  size_t count = Count(env, op, m, n);
  F64 a = ArgF64(info, 0, op, count), out = ArgF64(info, 1, op, count);
  if (m == 0 || n == 0) return env.Undefined();
  cblas_domatcopy(CblasRowMajor, CblasTrans, m, n, 1.0, a.p, n, out.p, m);
  return env.Undefined();
}

// trace(A, n) → Σ aᵢᵢ as a dot product of the diagonal (stride n+1) with ones.
Napi::Value Trace(const Napi::CallbackInfo& info) {
  const char* op = "trace";
  Napi::Env env = info.Env();
  int n = ArgDim(info, 1, op);
  F64 a = ArgF64(info, 0, op, Count(env, op, n, n));
  if (n == 0) return Napi::Number::New(env, 0.0);
  std::vector<double> ones = Work<double>(env, op, static_cast<size_t>(n), 1.0);
  return Napi::Number::New(env, cblas_ddot(n, a.p, n + 1, ones.data(), 1));
}

// copyStrided(src, dst, len, offset, stride): dst[i] = src[offset + i·stride] (rows and columns).
Napi::Value CopyStrided(const Napi::CallbackInfo& info) {
  const char* op = "copy";
  Napi::Env env = info.Env();
  int len = ArgDim(info, 2, op), offset = ArgDim(info, 3, op), stride = ArgDim(info, 4, op);
  size_t need = len == 0 ? 0 : static_cast<size_t>(offset) + static_cast<size_t>(len - 1) * stride + 1;
  F64 src = ArgF64(info, 0, op, need), dst = ArgF64(info, 1, op, len);
  if (len == 0) return env.Undefined();
  cblas_dcopy(len, src.p + offset, stride, dst.p, 1);
  return env.Undefined();
}

// maxAbsDiff(x, y, len[, transposeN]) → max |xᵢ − yᵢ| (NaN when any difference is NaN). With transposeN
// = n > 0, y is ignored and x (n×n) is compared with its own transpose: the asymmetry of x.
Napi::Value MaxAbsDiff(const Napi::CallbackInfo& info) {
  const char* op = "equals";
  Napi::Env env = info.Env();
  int len = ArgDim(info, 2, op);
  int tn = info.Length() > 3 ? ArgDim(info, 3, op) : 0;
  F64 x = ArgF64(info, 0, op, len);
  if (len == 0) return Napi::Number::New(env, 0.0);
  WorkBuffer work = TakeWork(env, op, static_cast<size_t>(len));
  double* d = work.get();
  if (tn > 0) {
    if (static_cast<size_t>(tn) * tn != static_cast<size_t>(len)) ThrowRange(env, "isSymmetric: not square");
    cblas_domatcopy(CblasRowMajor, CblasTrans, tn, tn, -1.0, x.p, tn, d, tn);  // d = −xᵀ
  } else {
    F64 y = ArgF64(info, 1, op, len);
    cblas_dcopy(len, y.p, 1, d, 1);
    cblas_dscal(len, -1.0, d, 1);  // d = −y
  }
  cblas_daxpy(len, 1.0, x.p, 1, d, 1);  // d = x − y
  // idamax skips NaN; a NaN difference shows up in the absolute sum instead.
  if (std::isnan(cblas_dasum(len, d, 1))) return Napi::Number::New(env, NAN);
  size_t i = cblas_idamax(len, d, 1);
  return Napi::Number::New(env, std::fabs(d[i]));
}

// sameValues(x, y, len) → x == y element-wise (exact, without arithmetic, so ±Infinity compare equal).
Napi::Value SameValues(const Napi::CallbackInfo& info) {
  const char* op = "equals";
  int len = ArgDim(info, 2, op);
  F64 x = ArgF64(info, 0, op, len), y = ArgF64(info, 1, op, len);
  for (int i = 0; i < len; i++)
    if (!(x.p[i] == y.p[i])) return Napi::Boolean::New(info.Env(), false);
  return Napi::Boolean::New(info.Env(), true);
}

// isSymmetricExact(A, n) → aᵢⱼ == aⱼᵢ for all i, j.
Napi::Value IsSymmetricExact(const Napi::CallbackInfo& info) {
  const char* op = "isSymmetric";
  Napi::Env env = info.Env();
  int n = ArgDim(info, 1, op);
  F64 a = ArgF64(info, 0, op, Count(env, op, n, n));
  const size_t m = static_cast<size_t>(n);
  return Napi::Boolean::New(env, ForUpperPairs(m, [&](size_t i, size_t j) { return a.p[i * m + j] == a.p[j * m + i]; }));
}

}  // namespace

void InitBlas(Napi::Env env, Napi::Object exports) {
  exports.Set("transpose", Napi::Function::New(env, Guarded<Transpose>, "transpose"));
  exports.Set("trace", Napi::Function::New(env, Guarded<Trace>, "trace"));
  exports.Set("copyStrided", Napi::Function::New(env, Guarded<CopyStrided>, "copyStrided"));
  exports.Set("maxAbsDiff", Napi::Function::New(env, Guarded<MaxAbsDiff>, "maxAbsDiff"));
  exports.Set("sameValues", Napi::Function::New(env, Guarded<SameValues>, "sameValues"));
  exports.Set("isSymmetricExact", Napi::Function::New(env, Guarded<IsSymmetricExact>, "isSymmetricExact"));
}

}  // namespace engine
