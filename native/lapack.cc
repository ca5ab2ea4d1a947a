// LAPACK-backed factorisations and solvers. Inputs are never modified: each routine works on a copy (in
// a C++ workspace or in the JS-allocated output) and every LAPACK info code is checked, so a singular or
// indefinite matrix is a RangeError rather than garbage or an abort.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <string>
#include <utility>

#include "common.h"

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace engine {
namespace {

std::string Shape(int m, int n) { return std::to_string(m) + "x" + std::to_string(n); }

// dst = A (count entries, m×n), checked finite on the way: the iterative LAPACK drivers (SVD, eigen) are
// only promised to behave on finite input. One pass instead of a scan and a copy; the test is on the
// exponent bits, so that it vectorises with the copy.
void CopyFinite(Napi::Env env, const char* op, const double* a, size_t count, int m, int n, double* dst) {
  constexpr uint64_t kExponent = 0x7ff0000000000000ull;
  uint64_t nonFinite = 0;
  for (size_t i = 0; i < count; i++) {
    uint64_t bits;
    std::memcpy(&bits, a + i, sizeof bits);
    std::memcpy(dst + i, &bits, sizeof bits);
    nonFinite |= (bits & kExponent) == kExponent;
  }
  if (nonFinite) ThrowRange(env, std::string(op) + ": matrix " + Shape(m, n) + " has non-finite entries");
}

[[noreturn]] void Singular(Napi::Env env) { ThrowRange(env, "matrix is singular"); }

// z's upper triangle (row-major, n×n) = A's lower one transposed, the triangle numpy's cholesky and eigh
// read; with `exact`, stops at the first pair that differs and returns false. The diagonal and the lower
// triangle of z are left as they are.
bool LowerOverUpper(const double* a, double* z, size_t n, bool exact) {
  return ForUpperPairs(n, [&](size_t i, size_t j) {
    double lower = a[j * n + i];
    z[i * n + j] = lower;
    return !exact || a[i * n + j] == lower;
  });
}

// A workspace size from a LAPACK query (lwork = -1), checked: LAPACK counts in 32-bit integers.
lapack_int QueriedSize(Napi::Env env, const char* op, double query) {
  if (!(query >= 1) || query > 2147483647.0) ThrowRange(env, std::string(op) + ": matrix too large for LAPACK's workspace");
  return static_cast<lapack_int>(query);
}

// Flips the sign of vector j (j < k) of `ref`, `len` entries each starting `len` apart (the columns of a
// column-major matrix), so that its largest-magnitude entry is positive, and with it column j of the
// row-major k-column matrix `other`; LAPACK leaves the sign arbitrary and a fixed rule keeps displays
// reproducible. Done before the vectors are transposed into place, where each is contiguous.
void NormaliseSigns(double* ref, int len, int k, double* other, int otherRows) {
  for (int j = 0; j < k; j++) {
    double* x = ref + static_cast<size_t>(j) * len;
    if (x[cblas_idamax(len, x, 1)] < 0) {
      cblas_dscal(len, -1.0, x, 1);
      if (other) cblas_dscal(otherRows, -1.0, other + j, k);
    }
  }
}

// det(A, n) → det A. The row-major buffer read as column-major is Aᵀ, whose LU gives the same
// determinant without LAPACKE's transposition copy.
Napi::Value Det(const Napi::CallbackInfo& info) {
  const char* op = "det";
  Napi::Env env = info.Env();
  int n = ArgDim(info, 1, op);
  size_t count = Count(env, op, n, n);
  F64 a = ArgF64(info, 0, op, count);
  if (n == 0) return Napi::Number::New(env, 1.0);
  WorkBuffer w = TakeWork(env, op, count);
  std::copy(a.p, a.p + count, w.get());
  std::vector<lapack_int> ipiv = Work<lapack_int>(env, op, n);
  lapack_int rc = LAPACKE_dgetrf(LAPACK_COL_MAJOR, n, n, w.get(), n, ipiv.data());
  CheckLapackInfo(env, op, "dgetrf", rc);
  if (rc > 0) return Napi::Number::New(env, 0.0);  // exactly singular: a zero pivot
  // LAPACK has no determinant routine; the product of U's diagonal with the permutation's sign is it.
  double d = 1.0;
  for (int i = 0; i < n; i++) {
    d *= w.get()[static_cast<size_t>(i) * n + i];
    if (ipiv[i] != i + 1) d = -d;
  }
  return Napi::Number::New(env, d);
}

// inverse(A, out, n): out = A⁻¹ via dgetrf + dgetri, in place on out. As in det, the column-major view
// of the buffer is Aᵀ, and (Aᵀ)⁻¹ read back row-major is A⁻¹.
Napi::Value Inverse(const Napi::CallbackInfo& info) {
  const char* op = "inverse";
  Napi::Env env = info.Env();
  int n = ArgDim(info, 2, op);
  size_t count = Count(env, op, n, n);
  F64 a = ArgF64(info, 0, op, count), out = ArgF64(info, 1, op, count);
  if (n == 0) return env.Undefined();
  std::copy(a.p, a.p + count, out.p);
  std::vector<lapack_int> ipiv = Work<lapack_int>(env, op, n);
  lapack_int rc = LAPACKE_dgetrf(LAPACK_COL_MAJOR, n, n, out.p, n, ipiv.data());
  CheckLapackInfo(env, op, "dgetrf", rc);
  if (rc > 0) Singular(env);
  rc = LAPACKE_dgetri(LAPACK_COL_MAJOR, n, out.p, n, ipiv.data());
  CheckLapackInfo(env, op, "dgetri", rc);
  if (rc > 0) Singular(env);
  return env.Undefined();
}

// The leading dimension ColumnMajorCopy writes with: whole 64-byte lines per column.
size_t PaddedLd(int m) { return (static_cast<size_t>(m) + 7) / 8 * 8; }

// The transposing copy goes tile by tile: a tile's 128 row pieces and 32 column pieces (32 KiB each) stay
// in the first-level cache while it is written. The stores are plain: the factorisation that follows
// then finds w in cache (streaming stores, which bypass it, made copy plus dgesv slower:
// test/bench/README.md).
constexpr size_t kTileRows = 128, kTileCols = 32;

// w[j*ld + i] = a[i*cols + j] for i in [i0, i1), j in [j0, j1): the scalar transpose, for tile edges.
void TransposeScalar(const double* a, size_t cols, double* w, size_t ld, size_t i0, size_t i1, size_t j0, size_t j1) {
  for (size_t i = i0; i < i1; i++)
    for (size_t j = j0; j < j1; j++) w[j * ld + i] = a[i * cols + j];
}

// A tile kernel transposes the bulk of a tile in square blocks of its width and returns where the blocks
// end; TransposeScalar does the edges.
struct Covered {
  size_t i1, j1;
};
using TileKernel = Covered (*)(const double* a, size_t cols, double* w, size_t ld, size_t i0, size_t i1, size_t j0, size_t j1);

Covered TileScalar(const double*, size_t, double*, size_t, size_t i0, size_t, size_t j0, size_t) { return {i0, j0}; }

#if defined(__SSE2__)
// 2×2 blocks in SSE2 registers (every x86-64 has them).
Covered TileSse2(const double* a, size_t cols, double* w, size_t ld, size_t i0, size_t i1, size_t j0, size_t j1) {
  const size_t ie = i0 + (i1 - i0) / 2 * 2, je = j0 + (j1 - j0) / 2 * 2;
  for (size_t i = i0; i < ie; i += 2)
    for (size_t j = j0; j < je; j += 2) {
      __m128d x = _mm_loadu_pd(a + i * cols + j), y = _mm_loadu_pd(a + (i + 1) * cols + j);
      _mm_storeu_pd(w + j * ld + i, _mm_unpacklo_pd(x, y));
      _mm_storeu_pd(w + (j + 1) * ld + i, _mm_unpackhi_pd(x, y));
    }
  return {ie, je};
}
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ENGINE_AVX2 1
// 4×4 blocks in AVX2 registers, for the CPUs that have them (chosen at run time; the addon is built for
// plain x86-64): fewer instructions per element than SSE2's 2×2, which at 1500² is about 4.5 → 3.1 ms.
__attribute__((target("avx2"))) Covered TileAvx2(const double* a, size_t cols, double* w, size_t ld, size_t i0, size_t i1,
                                                 size_t j0, size_t j1) {
  const size_t ie = i0 + (i1 - i0) / 4 * 4, je = j0 + (j1 - j0) / 4 * 4;
  for (size_t i = i0; i < ie; i += 4)
    for (size_t j = j0; j < je; j += 4) {
      const double* s = a + i * cols + j;
      __m256d r0 = _mm256_loadu_pd(s), r1 = _mm256_loadu_pd(s + cols), r2 = _mm256_loadu_pd(s + 2 * cols),
              r3 = _mm256_loadu_pd(s + 3 * cols);
      __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1), t2 = _mm256_unpacklo_pd(r2, r3),
              t3 = _mm256_unpackhi_pd(r2, r3);
      double* d = w + j * ld + i;
      _mm256_storeu_pd(d, _mm256_permute2f128_pd(t0, t2, 0x20));
      _mm256_storeu_pd(d + ld, _mm256_permute2f128_pd(t1, t3, 0x20));
      _mm256_storeu_pd(d + 2 * ld, _mm256_permute2f128_pd(t0, t2, 0x31));
      _mm256_storeu_pd(d + 3 * ld, _mm256_permute2f128_pd(t1, t3, 0x31));
    }
  return {ie, je};
}
#endif

// The widest block kernel this CPU runs; MTEST_ENGINE_TRANSPOSE=sse2|scalar picks a narrower one (for tests).
TileKernel ChooseTileKernel() {
  const char* forced = std::getenv("MTEST_ENGINE_TRANSPOSE");
  std::string want = forced ? forced : "";
  if (want == "scalar") return TileScalar;
#if ENGINE_AVX2
  if (want != "sse2" && __builtin_cpu_supports("avx2")) return TileAvx2;
#endif
#if defined(__SSE2__)
  return TileSse2;
#else
  return TileScalar;
#endif
}

// Rows [from, to) of w (column-major m×n, leading dimension ld = PaddedLd(m)) = those of A (row-major m×n).
void ColumnMajorRows(const double* a, int m, int n, double* w, size_t from, size_t to) {
  static const TileKernel kernel = ChooseTileKernel();
  const size_t cols = static_cast<size_t>(n), ld = PaddedLd(m);
  for (size_t ib = from; ib < to; ib += kTileRows) {
    const size_t ie = std::min(ib + kTileRows, to);
    for (size_t jb = 0; jb < cols; jb += kTileCols) {
      const size_t je = std::min(jb + kTileCols, cols);
      Covered c = kernel(a, cols, w, ld, ib, ie, jb, je);
      TransposeScalar(a, cols, w, ld, ib, c.i1, c.j1, je);  // the columns right of the blocks
      TransposeScalar(a, cols, w, ld, c.i1, ie, jb, je);    // the rows below them
    }
  }
}

// w = A column-major, as ColumnMajorRows, split by rows over the threads the BLAS budget allows: the copy
// of a matrix not in cache is bound by memory, not arithmetic.
void ColumnMajorCopy(const double* a, int m, int n, double* w) {
  const size_t rows = static_cast<size_t>(m), cols = static_cast<size_t>(n);
  int parts = PartsFor(rows * cols, size_t(1) << 19);
  RunParts(rows, parts, kTileRows, [&](int, size_t from, size_t to) { ColumnMajorRows(a, m, n, w, from, to); });
}

// solve(A, B, out, n, nrhs): out(n×nrhs) = A⁻¹B via dgesv (LU with partial pivoting) of A itself, as
// LAPACKE's row-major dgesv and numpy do (same pivots, same digits). The column-major copies dgesv needs
// are made here in one pass each (A by ColumnMajorCopy), where the row-major LAPACKE entry point copied
// A, then transposed it with a plain loop into a buffer of its own and B there and back (~20 ms at
// n = 1500).
Napi::Value Solve(const Napi::CallbackInfo& info) {
  const char* op = "solve";
  Napi::Env env = info.Env();
  int n = ArgDim(info, 3, op), nrhs = ArgDim(info, 4, op);
  size_t count = Count(env, op, n, n), bcount = Count(env, op, n, nrhs);
  F64 a = ArgF64(info, 0, op, count), b = ArgF64(info, 1, op, bcount), out = ArgF64(info, 2, op, bcount);
  if (n == 0 || nrhs == 0) return env.Undefined();
  // Uninitialised workspace, and dgesv_work: LAPACKE's dgesv would scan A and B for NaN first.
  const size_t ld = PaddedLd(n);
  WorkBuffer w = TakeWork(env, op, ld * static_cast<size_t>(n));
  ColumnMajorCopy(a.p, n, n, w.get());  // w = A, column-major
  // One right-hand side is the same in both layouts; several are transposed in and out.
  WorkBuffer bt = nrhs == 1 ? WorkBuffer() : TakeWork(env, op, bcount);
  double* x = nrhs == 1 ? out.p : bt.get();
  if (nrhs == 1) std::copy(b.p, b.p + bcount, out.p);
  else cblas_domatcopy(CblasRowMajor, CblasTrans, n, nrhs, 1.0, b.p, nrhs, x, n);
  std::vector<lapack_int> ipiv = Work<lapack_int>(env, op, n);
  lapack_int rc = LAPACKE_dgesv_work(LAPACK_COL_MAJOR, n, nrhs, w.get(), static_cast<lapack_int>(ld), ipiv.data(), x, n);
  CheckLapackInfo(env, op, "dgesv", rc);
  if (rc > 0) Singular(env);
  if (nrhs > 1) cblas_domatcopy(CblasRowMajor, CblasTrans, nrhs, n, 1.0, x, n, out.p, nrhs);
  return env.Undefined();
}

// The (A, m, n) arguments every m×n operation starts with: the shape, k = min(m, n), A's element count
// and its elements, checked.
struct MatrixArg {
  int m, n, k;
  size_t count;
  F64 a;
};

MatrixArg ArgMatrix(const Napi::CallbackInfo& info, const char* op) {
  int m = ArgDim(info, 1, op), n = ArgDim(info, 2, op);
  size_t count = Count(info.Env(), op, m, n);
  return {m, n, std::min(m, n), count, ArgF64(info, 0, op, count)};
}

// lu(A, m, n, P, L, U): PA = LU with P m×m, L m×k unit lower, U k×n upper, k = min(m, n).
Napi::Value Lu(const Napi::CallbackInfo& info) {
  const char* op = "lu";
  Napi::Env env = info.Env();
  auto [m, n, k, count, a] = ArgMatrix(info, op);
  F64 p = ArgF64(info, 3, op, Count(env, op, m, m));
  F64 l = ArgF64(info, 4, op, Count(env, op, m, k));
  F64 u = ArgF64(info, 5, op, Count(env, op, k, n));
  WorkBuffer wb = TakeWork(env, op, count);
  double* w = wb.get();
  std::copy(a.p, a.p + count, w);
  std::vector<lapack_int> ipiv = Work<lapack_int>(env, op, std::max(k, 1));
  if (k > 0) {
    lapack_int rc = LAPACKE_dgetrf(LAPACK_ROW_MAJOR, m, n, w, Ld(n), ipiv.data());
    CheckLapackInfo(env, op, "dgetrf", rc);  // rc > 0 (a zero pivot) still is a valid factorisation
  }
  // Unpack the compact factor and the row interchanges (copying, no arithmetic).
  for (size_t i = 0; i < static_cast<size_t>(m); i++)
    for (size_t j = 0; j < static_cast<size_t>(k); j++)
      l.p[i * k + j] = i == j ? 1.0 : (j < i ? w[i * n + j] : 0.0);
  for (size_t i = 0; i < static_cast<size_t>(k); i++)
    for (size_t j = 0; j < static_cast<size_t>(n); j++) u.p[i * n + j] = j >= i ? w[i * n + j] : 0.0;
  std::vector<int> perm = Work<int>(env, op, m);
  std::iota(perm.begin(), perm.end(), 0);
  for (int i = 0; i < k; i++) std::swap(perm[i], perm[ipiv[i] - 1]);
  std::fill(p.p, p.p + static_cast<size_t>(m) * m, 0.0);
  for (size_t i = 0; i < static_cast<size_t>(m); i++) p.p[i * m + perm[i]] = 1.0;  // (PA)ᵢ = A_perm(i)
  return env.Undefined();
}

// qr(A, m, n, Q, R): full QR, Q m×m orthogonal, R m×n upper triangular (dgeqrf + dorgqr).
Napi::Value Qr(const Napi::CallbackInfo& info) {
  const char* op = "qr";
  Napi::Env env = info.Env();
  auto [m, n, k, count, a] = ArgMatrix(info, op);
  F64 q = ArgF64(info, 3, op, Count(env, op, m, m));
  F64 r = ArgF64(info, 4, op, count);
  if (m == 0) return env.Undefined();
  WorkBuffer wb = TakeWork(env, op, count);
  double* w = wb.get();
  std::copy(a.p, a.p + count, w);
  std::vector<double> tau = Work<double>(env, op, std::max(k, 1));
  if (k > 0) {
    lapack_int rc = LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, m, n, w, Ld(n), tau.data());
    CheckLapackInfo(env, op, "dgeqrf", rc);
  }
  for (size_t i = 0; i < static_cast<size_t>(m); i++)
    for (size_t j = 0; j < static_cast<size_t>(n); j++) r.p[i * n + j] = j >= i ? w[i * n + j] : 0.0;
  // The reflectors sit below R's diagonal; dorgqr expands them into all m columns of Q.
  std::fill(q.p, q.p + static_cast<size_t>(m) * m, 0.0);
  for (size_t i = 0; i < static_cast<size_t>(m); i++)
    for (size_t j = 0; j < static_cast<size_t>(k); j++) q.p[i * m + j] = w[i * n + j];
  lapack_int rc = LAPACKE_dorgqr(LAPACK_ROW_MAJOR, m, m, k, q.p, m, tau.data());
  CheckLapackInfo(env, op, "dorgqr", rc);
  return env.Undefined();
}

// cholesky(A, u, n, symmetry) → whether it factored: u = Lᵀ (row-major, zero below the diagonal) with
// A = LLᵀ, so that L is u's transpose view and no copy is made of it. Row-major u read as column-major is
// uᵀ: dpotrf's lower factor there is Lᵀ row-major, and it reads and writes only u's upper triangle, which
// gets A's lower triangle transposed (the triangle numpy's cholesky reads). symmetry:
//  - "exact": checks that A is exactly symmetric while copying, in one tiled pass that reads A once and
//    writes u once, as the memcpy before a plain dpotrf call would; false (u unfinished) when it is not,
//    and the caller's loose test decides;
//  - "known": A is exactly symmetric by construction, so its upper triangle is its lower one transposed:
//    copied row by row, at the speed of a memcpy, where the tiled pass reads half of A in transposed order;
//  - "loose": A is symmetric up to rounding, and its lower triangle is the one used.
Napi::Value Cholesky(const Napi::CallbackInfo& info) {
  const char* op = "cholesky";
  Napi::Env env = info.Env();
  int n = ArgDim(info, 2, op);
  size_t count = Count(env, op, n, n);
  F64 a = ArgF64(info, 0, op, count), u = ArgF64(info, 1, op, count);
  const std::string symmetry = info[3].IsString() ? info[3].As<Napi::String>().Utf8Value() : "";
  if (symmetry != "exact" && symmetry != "known" && symmetry != "loose")
    ThrowType(env, "cholesky: symmetry must be \"exact\", \"known\" or \"loose\"");
  const size_t m = static_cast<size_t>(n);
  if (symmetry == "known") {
    for (size_t i = 0; i < m; i++) {
      std::fill(u.p + i * m, u.p + i * m + i, 0.0);
      std::copy(a.p + i * m + i, a.p + (i + 1) * m, u.p + i * m + i);
    }
  } else {
    if (!LowerOverUpper(a.p, u.p, m, symmetry == "exact")) return Napi::Boolean::New(env, false);
    for (size_t i = 0; i < m; i++) {
      std::fill(u.p + i * m, u.p + i * m + i, 0.0);
      u.p[i * m + i] = a.p[i * m + i];
    }
  }
  if (n == 0) return Napi::Boolean::New(env, true);
  lapack_int rc = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', n, u.p, n);
  CheckLapackInfo(env, op, "dpotrf", rc);
  if (rc > 0) ThrowRange(env, "cholesky: matrix is not positive definite");
  return Napi::Boolean::New(env, true);
}

// Singular values of A (m×n) into s (descending), with dgesdd; U, Vᵀ optional (reduced: m×k and k×n,
// row-major). The row-major buffer read as column-major is B = Aᵀ (n×m); from B = U_B·S·VT_B,
// A = VT_Bᵀ·S·U_Bᵀ: VT_B stored column-major with leading dimension k is U row-major as it stands, and U_B
// stored column-major (n×k, leading dimension n) is Vᵀ row-major. LAPACKE's row-major entry point would
// transpose A in and both factors out, each into a buffer of its own.
void Gesdd(Napi::Env env, const char* op, const double* a, int m, int n, double* s, double* u, double* vt) {
  int k = std::min(m, n);
  size_t count = Count(env, op, m, n);
  WorkBuffer w = TakeWork(env, op, count);
  CopyFinite(env, op, a, count, m, n, w.get());
  const char jobz = u ? 'S' : 'N';
  std::vector<lapack_int> iwork = Work<lapack_int>(env, op, static_cast<size_t>(8) * k);
  double query = 0;
  lapack_int rc = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, jobz, n, m, w.get(), n, s, vt, Ld(n), u, Ld(k), &query, -1, iwork.data());
  CheckLapackInfo(env, op, "dgesdd", rc);
  lapack_int lwork = QueriedSize(env, op, query);
  WorkBuffer work = TakeWork(env, op, static_cast<size_t>(lwork));
  rc = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, jobz, n, m, w.get(), n, s, vt, Ld(n), u, Ld(k), work.get(), lwork, iwork.data());
  CheckLapackInfo(env, op, "dgesdd", rc);
  if (rc > 0) ThrowRange(env, std::string(op) + ": SVD did not converge for " + Shape(m, n) + " matrix");
  if (u) NormaliseSigns(vt, n, k, u, m);  // V's columns are U_B's
}

// svd(A, m, n, U, S, Vt): A = U·diag(S)·Vᵀ, with Vᵀ (k×n) row-major: the caller reads V as its transpose view.
Napi::Value Svd(const Napi::CallbackInfo& info) {
  const char* op = "svd";
  Napi::Env env = info.Env();
  auto [m, n, k, count, a] = ArgMatrix(info, op);
  F64 u = ArgF64(info, 3, op, Count(env, op, m, k));
  F64 s = ArgF64(info, 4, op, k);
  F64 v = ArgF64(info, 5, op, Count(env, op, n, k));
  if (k == 0) return env.Undefined();
  Gesdd(env, op, a.p, m, n, s.p, u.p, v.p);
  return env.Undefined();
}

// rank(A, m, n, tol) → number of singular values > tol; tol < 0 picks numpy's max(m, n)·ε·σ₁.
Napi::Value Rank(const Napi::CallbackInfo& info) {
  const char* op = "rank";
  Napi::Env env = info.Env();
  auto [m, n, k, count, a] = ArgMatrix(info, op);
  double tol = ArgNumber(info, 3, op);
  if (k == 0) return Napi::Number::New(env, 0);
  std::vector<double> s = Work<double>(env, op, k);
  Gesdd(env, op, a.p, m, n, s.data(), nullptr, nullptr);
  if (tol < 0) tol = s[0] * std::max(m, n) * DBL_EPSILON;
  int r = 0;
  for (int i = 0; i < k; i++)
    if (s[i] > tol) r++;
  return Napi::Number::New(env, r);
}

// norm(A, m, n, kind) with kind 0 = Frobenius, 1 = max column sum, 2 = max row sum (dlange), 3 = σ₁.
Napi::Value Norm(const Napi::CallbackInfo& info) {
  const char* op = "norm";
  Napi::Env env = info.Env();
  int m = ArgDim(info, 1, op), n = ArgDim(info, 2, op);
  F64 a = ArgF64(info, 0, op, Count(env, op, m, n));
  int kind = ArgDim(info, 3, op);
  if (m == 0 || n == 0) return Napi::Number::New(env, 0.0);
  if (kind == 3) {
    std::vector<double> s = Work<double>(env, op, std::min(m, n));
    Gesdd(env, op, a.p, m, n, s.data(), nullptr, nullptr);
    return Napi::Number::New(env, s[0]);
  }
  // Row-major A read as column-major is Aᵀ (n×m): ‖A‖₁ = ‖Aᵀ‖∞ and ‖A‖∞ = ‖Aᵀ‖₁, so dlange runs on the
  // buffer as it is; the _work entry point skips LAPACKE's NaN scan (dlange propagates NaN itself).
  const char which = kind == 0 ? 'F' : kind == 1 ? 'I' : '1';
  std::vector<double> work = Work<double>(env, op, which == 'I' ? n : 1);
  double r = LAPACKE_dlange_work(LAPACK_COL_MAJOR, which, n, m, a.p, n, work.data());
  return Napi::Number::New(env, r);
}

// eigSym(A, n, values, vectors | null, known): dsyevd('L') on A's lower triangle, the call numpy's eigh makes
// by default (the same digits); values ascending, and `vectors` (n×n, row-major) holding the eigenvectors
// as its rows, i.e. column-major with the eigenvectors as columns, which is how dsyevd leaves them: the
// caller reads it as a transpose view, and no copy is made. The row-major buffer read as column-major is
// Aᵀ, whose lower triangle is A's upper one: A's lower triangle is mirrored over it unless `known` says A
// is exactly symmetric.
Napi::Value EigSym(const Napi::CallbackInfo& info) {
  const char* op = info.Length() > 3 && !info[3].IsNull() ? "eigh" : "eigenvalues";
  Napi::Env env = info.Env();
  int n = ArgDim(info, 1, op);
  size_t count = Count(env, op, n, n);
  F64 a = ArgF64(info, 0, op, count), vals = ArgF64(info, 2, op, n);
  bool wantVectors = info.Length() > 3 && !info[3].IsNull() && !info[3].IsUndefined();
  double* vectors = wantVectors ? ArgF64(info, 3, op, count).p : nullptr;
  if (n == 0) return env.Undefined();
  WorkBuffer w = wantVectors ? WorkBuffer() : TakeWork(env, op, count);
  double* z = wantVectors ? vectors : w.get();  // dsyevd works in place, and leaves the vectors there
  CopyFinite(env, op, a.p, count, n, n, z);
  if (!(info.Length() > 4 && info[4].IsBoolean() && info[4].As<Napi::Boolean>().Value()))
    LowerOverUpper(a.p, z, static_cast<size_t>(n), false);
  const char jobz = wantVectors ? 'V' : 'N';
  double query = 0;
  lapack_int iquery = 0;
  lapack_int rc = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, jobz, 'L', n, z, n, vals.p, &query, -1, &iquery, -1);
  CheckLapackInfo(env, op, "dsyevd", rc);
  lapack_int lwork = QueriedSize(env, op, query), liwork = QueriedSize(env, op, static_cast<double>(iquery));
  WorkBuffer work = TakeWork(env, op, static_cast<size_t>(lwork));
  std::vector<lapack_int> iwork = Work<lapack_int>(env, op, static_cast<size_t>(liwork));
  rc = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, jobz, 'L', n, z, n, vals.p, work.get(), lwork, iwork.data(), liwork);
  CheckLapackInfo(env, op, "dsyevd", rc);
  if (rc > 0) ThrowRange(env, std::string(op) + ": eigensolver did not converge for " + Shape(n, n) + " matrix");
  if (wantVectors) NormaliseSigns(z, n, n, nullptr, 0);
  return env.Undefined();
}

// eigGeneral(A, n, re, im): eigenvalues of a general matrix (dgeev), sorted by real then imaginary part.
Napi::Value EigGeneral(const Napi::CallbackInfo& info) {
  const char* op = "eigenvalues";
  Napi::Env env = info.Env();
  int n = ArgDim(info, 1, op);
  size_t count = Count(env, op, n, n);
  F64 a = ArgF64(info, 0, op, count), re = ArgF64(info, 2, op, n), im = ArgF64(info, 3, op, n);
  if (n == 0) return env.Undefined();
  // Aᵀ (the buffer read as column-major) has A's eigenvalues: no transposition copy.
  WorkBuffer w = TakeWork(env, op, count);
  CopyFinite(env, op, a.p, count, n, n, w.get());
  lapack_int rc = LAPACKE_dgeev(LAPACK_COL_MAJOR, 'N', 'N', n, w.get(), n, re.p, im.p, nullptr, 1, nullptr, 1);
  CheckLapackInfo(env, op, "dgeev", rc);
  if (rc > 0) ThrowRange(env, std::string(op) + ": eigensolver did not converge for " + Shape(n, n) + " matrix");
  // dgeev's order is an artefact of the QR iteration; sort so the result reads the same everywhere.
  std::vector<std::pair<double, double>> z = Work<std::pair<double, double>>(env, op, n);
  for (int i = 0; i < n; i++) z[i] = {re.p[i], im.p[i]};
  std::sort(z.begin(), z.end());
  for (int i = 0; i < n; i++) {
    re.p[i] = z[i].first;
    im.p[i] = z[i].second;
  }
  return env.Undefined();
}

}  // namespace

void InitLapack(Napi::Env env, Napi::Object exports) {
  exports.Set("det", Napi::Function::New(env, Guarded<Det>, "det"));
  exports.Set("inverse", Napi::Function::New(env, Guarded<Inverse>, "inverse"));
  exports.Set("solve", Napi::Function::New(env, Guarded<Solve>, "solve"));
  exports.Set("lu", Napi::Function::New(env, Guarded<Lu>, "lu"));
  exports.Set("qr", Napi::Function::New(env, Guarded<Qr>, "qr"));
  exports.Set("cholesky", Napi::Function::New(env, Guarded<Cholesky>, "cholesky"));
  exports.Set("svd", Napi::Function::New(env, Guarded<Svd>, "svd"));
  exports.Set("rank", Napi::Function::New(env, Guarded<Rank>, "rank"));
  exports.Set("norm", Napi::Function::New(env, Guarded<Norm>, "norm"));
  exports.Set("eigSym", Napi::Function::New(env, Guarded<EigSym>, "eigSym"));
  exports.Set("eigGeneral", Napi::Function::New(env, Guarded<EigGeneral>, "eigGeneral"));
}

}  // namespace engine
