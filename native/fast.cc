// Hot-path BLAS entry points written against the plain N-API C interface. A small product costs less
// in BLAS (~65 ns for 4×4 dgemm) than typed-array unpacking does (~50 ns per napi_get_typedarray_info),
// so matrices are passed as (ArrayBuffer, element offset) pairs, which unpack in ~10 ns, and these
// functions skip node-addon-api's wrappers. They never throw C++ exceptions; errors become JS errors.
#include <node_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <cblas.h>

namespace engine {
namespace {

constexpr size_t kMaxArgs = 12;

struct Args {
  napi_env env;
  napi_value argv[kMaxArgs];
  size_t argc = kMaxArgs;
  const char* op;
  bool failed = false;

  Args(napi_env e, napi_callback_info info, const char* name) : env(e), op(name) {
    if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) Fail(false, "bad call");
    // napi reports how many arguments were passed, which may exceed what it stored.
    if (argc > kMaxArgs) argc = kMaxArgs;
  }

  // Throws (in JS) once; later calls are no-ops so a function can check `failed` at the end of unpacking.
  void Fail(bool range, const std::string& msg) {
    if (failed) return;
    failed = true;
    std::string full = std::string(op) + ": " + msg;
    if (range)
      napi_throw_range_error(env, nullptr, full.c_str());
    else
      napi_throw_type_error(env, nullptr, full.c_str());
  }

  int Int(size_t i) {
    int32_t v = 0;
    if (i >= argc || napi_get_value_int32(env, argv[i], &v) != napi_ok) {
      Fail(false, "argument " + std::to_string(i) + " must be an integer");
      return 0;
    }
    if (v < 0) Fail(true, "argument " + std::to_string(i) + " must not be negative");
    return v;
  }

  double Num(size_t i) {
    double v = 0;
    if (i >= argc || napi_get_value_double(env, argv[i], &v) != napi_ok)
      Fail(false, "argument " + std::to_string(i) + " must be a number");
    return v;
  }

  // ArrayBuffer at argv[i] viewed from element `offset` (argv[i+1]); must hold `count` doubles.
  double* Buf(size_t i, size_t count) {
    void* data = nullptr;
    size_t bytes = 0;
    int offset = Int(i + 1);
    if (failed) return nullptr;
    if (napi_get_arraybuffer_info(env, argv[i], &data, &bytes) != napi_ok) {
      Fail(false, "argument " + std::to_string(i) + " must be an ArrayBuffer");
      return nullptr;
    }
    if ((static_cast<uint64_t>(offset) + count) * sizeof(double) > bytes) {
      Fail(true, "buffer too short for " + std::to_string(count) + " elements");
      return nullptr;
    }
    return static_cast<double*>(data) + offset;
  }
};

size_t Count(int m, int n) { return static_cast<size_t>(m) * static_cast<size_t>(n); }

napi_value Number(napi_env env, double v) {
  napi_value r = nullptr;
  napi_create_double(env, v, &r);
  return r;
}

// gemm(a, ao, b, bo, c, co, m, k, n): C(m×n) = A(m×k)·B(k×n), row-major.
napi_value Gemm(napi_env env, napi_callback_info info) {
  Args a(env, info, "mul");
  int m = a.Int(6), k = a.Int(7), n = a.Int(8);
  if (a.failed) return nullptr;
  double* A = a.Buf(0, Count(m, k));
  double* B = a.Buf(2, Count(k, n));
  double* C = a.Buf(4, Count(m, n));
  if (a.failed || m == 0 || n == 0) return nullptr;
  if (k == 0) {
    // BLAS wants lda >= 1 and would only clear C.
    std::fill_n(C, Count(m, n), 0.0);
    return nullptr;
  }
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0, A, k, B, n, 0.0, C, n);
  return nullptr;
}

// gemmt(a, ao, b, bo, c, co, m, k, n, ta, tb): C(m×n) = op(A)·op(B), row-major, where op(A) = Aᵀ when ta
// (A stored k×m) and op(B) = Bᵀ when tb (B stored n×k): a product with a transpose view, without a copy.
napi_value Gemmt(napi_env env, napi_callback_info info) {
  Args a(env, info, "mul");
  int m = a.Int(6), k = a.Int(7), n = a.Int(8), ta = a.Int(9), tb = a.Int(10);
  if (a.failed) return nullptr;
  double* A = a.Buf(0, Count(m, k));
  double* B = a.Buf(2, Count(k, n));
  double* C = a.Buf(4, Count(m, n));
  if (a.failed || m == 0 || n == 0) return nullptr;
  if (k == 0) {
    std::fill_n(C, Count(m, n), 0.0);
    return nullptr;
  }
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0, A, ta ? m : k, B,
              tb ? k : n, 0.0, C, n);
  return nullptr;
}

// syrk(a, ao, c, co, n, k, trans): C(n×n) = A·Aᵀ with A n×k, or Aᵀ·A with A k×n when trans. Half the
// flops of gemm (as numpy does for `a @ a.T`); dsyrk fills the upper triangle, the lower one is mirrored.
napi_value Syrk(napi_env env, napi_callback_info info) {
  Args a(env, info, "mul");
  int n = a.Int(4), k = a.Int(5), trans = a.Int(6);
  if (a.failed) return nullptr;
  double* A = a.Buf(0, Count(n, k));
  double* C = a.Buf(2, Count(n, n));
  if (a.failed || n == 0) return nullptr;
  if (k == 0) {
    std::fill_n(C, Count(n, n), 0.0);  // as gemm: BLAS would only clear C
    return nullptr;
  }
  cblas_dsyrk(CblasRowMajor, CblasUpper, trans ? CblasTrans : CblasNoTrans, n, k, 1.0, A, trans ? n : k, 0.0, C, n);
  for (size_t i = 1; i < static_cast<size_t>(n); i++)
    for (size_t j = 0; j < i; j++) C[i * n + j] = C[j * n + i];
  return nullptr;
}

// gemv(a, ao, x, xo, y, yo, m, n): y(m) = A(m×n)·x(n).
napi_value Gemv(napi_env env, napi_callback_info info) {
  Args a(env, info, "mul");
  int m = a.Int(6), n = a.Int(7);
  if (a.failed) return nullptr;
  double* A = a.Buf(0, Count(m, n));
  double* x = a.Buf(2, n);
  double* y = a.Buf(4, m);
  if (a.failed || m == 0) return nullptr;
  if (n == 0) {
    for (int i = 0; i < m; i++) y[i] = 0.0;
    return nullptr;
  }
  cblas_dgemv(CblasRowMajor, CblasNoTrans, m, n, 1.0, A, n, x, 1, 0.0, y, 1);
  return nullptr;
}

// axpy(x, xo, y, yo, out, oo, alpha, len): out = x + alpha·y (add: 1, sub: −1).
napi_value Axpy(napi_env env, napi_callback_info info) {
  Args a(env, info, "add");
  int len = a.Int(7);
  double alpha = a.Num(6);
  if (a.failed) return nullptr;
  double* x = a.Buf(0, len);
  double* y = a.Buf(2, len);
  double* out = a.Buf(4, len);
  if (a.failed || len == 0) return nullptr;
  // One pass (dcopy then daxpy would read and write the output twice).
  const size_t count = static_cast<size_t>(len);
  if (alpha == 1.0)
    for (size_t i = 0; i < count; i++) out[i] = x[i] + y[i];
  else if (alpha == -1.0)
    for (size_t i = 0; i < count; i++) out[i] = x[i] - y[i];
  else
    for (size_t i = 0; i < count; i++) out[i] = x[i] + alpha * y[i];
  return nullptr;
}

// scal(x, xo, out, oo, alpha, len): out = alpha·x.
napi_value Scal(napi_env env, napi_callback_info info) {
  Args a(env, info, "scale");
  int len = a.Int(5);
  double alpha = a.Num(4);
  if (a.failed) return nullptr;
  double* x = a.Buf(0, len);
  double* out = a.Buf(2, len);
  if (a.failed || len == 0) return nullptr;
  const size_t count = static_cast<size_t>(len);
  for (size_t i = 0; i < count; i++) out[i] = alpha * x[i];
  return nullptr;
}

// dot(x, xo, y, yo, len) → x·y.
napi_value Dot(napi_env env, napi_callback_info info) {
  Args a(env, info, "dot");
  int len = a.Int(4);
  if (a.failed) return nullptr;
  double* x = a.Buf(0, len);
  double* y = a.Buf(2, len);
  if (a.failed) return nullptr;
  return Number(env, len == 0 ? 0.0 : cblas_ddot(len, x, 1, y, 1));
}

// nrm2(x, xo, len) → ‖x‖₂.
napi_value Nrm2(napi_env env, napi_callback_info info) {
  Args a(env, info, "norm");
  int len = a.Int(2);
  if (a.failed) return nullptr;
  double* x = a.Buf(0, len);
  if (a.failed) return nullptr;
  return Number(env, len == 0 ? 0.0 : cblas_dnrm2(len, x, 1));
}

// Σ xᵢ² over a run, with four accumulators (a plain loop: safe on any thread, unlike a BLAS call).
double Squares(const double* x, size_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += x[i] * x[i];
    s1 += x[i + 1] * x[i + 1];
    s2 += x[i + 2] * x[i + 2];
    s3 += x[i + 3] * x[i + 3];
  }
  for (; i < n; i++) s0 += x[i] * x[i];
  return (s0 + s1) + (s2 + s3);
}

// x·x: ddot, or for long runs with several BLAS threads allowed, split over that many threads (OpenBLAS
// 0.3.21's ddot runs on one thread; newer versions thread it).
double SumOfSquares(const double* x, int len) {
  int parts = std::min(openblas_get_num_threads(), 8);
  if (parts < 2 || len < (1 << 20)) return cblas_ddot(len, x, 1, x, 1);
  size_t n = static_cast<size_t>(len), chunk = n / parts;
  std::vector<double> sums(parts, 0.0);
  std::vector<std::thread> helpers;
  int started = 1;  // part 0 is this thread's
  for (; started < parts; started++) {
    size_t from = started * chunk, count = started == parts - 1 ? n - from : chunk;
    try {
      helpers.emplace_back([&sums, x, started, from, count] { sums[started] = Squares(x + from, count); });
    } catch (const std::system_error&) {
      break;  // no thread to spare: this thread does the rest
    }
  }
  sums[0] = Squares(x, chunk);
  if (started < parts) sums[0] += Squares(x + started * chunk, n - started * chunk);
  for (auto& t : helpers) t.join();
  double s = 0;
  for (double v : sums) s += v;
  return s;
}

// sumSquares(x, xo, len) → ‖x‖₂ as sqrt(x·x) (ddot, as numpy's norm does), through dnrm2's scaled sum
// when the squares overflow or underflow.
napi_value SumSquaresNorm(napi_env env, napi_callback_info info) {
  Args a(env, info, "norm");
  int len = a.Int(2);
  if (a.failed) return nullptr;
  double* x = a.Buf(0, len);
  if (a.failed) return nullptr;
  if (len == 0) return Number(env, 0.0);
  double s = SumOfSquares(x, len);
  if (std::isfinite(s) && s >= 1e-290) return Number(env, std::sqrt(s));
  if (std::isnan(s)) return Number(env, s);
  return Number(env, cblas_dnrm2(len, x, 1));
}

}  // namespace

void InitFast(napi_env env, napi_value exports) {
  napi_property_descriptor d[] = {
      {"gemm", nullptr, Gemm, nullptr, nullptr, nullptr, napi_default_jsproperty, nullptr},
      {"gemmt", nullptr, Gemmt, nullptr, nullptr, nullptr, napi_default_jsproperty, nullptr},
      {"frobenius", nullptr, SumSquaresNorm, nullptr, nullptr, nullptr, napi_default_jsproperty, nullptr},
      {"syrk", nullptr, Syrk, nullptr, nullptr, nullptr, napi_default_jsproperty, nullptr},
      {"gemv", nullptr, Gemv, nullptr, nullptr, nullptr, napi_default_jsproperty, nullptr},
      {"axpy", nullptr, Axpy, nullptr, nullptr, nullptr, napi_default_jsproperty, nullptr},
      {"scal", nullptr, Scal, nullptr, nullptr, nullptr, napi_default_jsproperty, nullptr},
      {"dot", nullptr, Dot, nullptr, nullptr, nullptr, napi_default_jsproperty, nullptr},
      {"nrm2", nullptr, Nrm2, nullptr, nullptr, nullptr, napi_default_jsproperty, nullptr},
  };
  napi_define_properties(env, exports, sizeof(d) / sizeof(d[0]), d);
}

}  // namespace engine
