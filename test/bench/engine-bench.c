/* C side of test/bench/engine-bench.mjs: the same operations straight on the OpenBLAS and LAPACKE the engine
 * links, as a C programmer would call them, timed on request. It shows what the library itself does on
 * this machine, so the engine's overhead can be read off against it.
 *
 *   engine-bench-c SMALL_CALLS [cpu]
 *
 * Prints one JSON line describing the library, then answers requests from stdin, one per line,
 * `REPS OPERATION`, with one line: the best time in seconds of REPS runs (the first runs of an operation,
 * a warm-up of at least 200 ms, are not counted, nor the 100 ms of calls every request starts with; calls
 * under 10 ms are timed in batches of 10 ms), or `nan` for an operation it does not have. Outputs and
 * work arrays are allocated once per operation and reused; the LAPACK routines, which overwrite their
 * input, get a fresh copy of it on every call (column-major, no transposes). The caller sets
 * OPENBLAS_NUM_THREADS. Inputs are uniform in [-1, 1], as on the other sides; where the folder
 * ENGINE_BENCH_INPUTS names holds the engine side's inputs for an operation (raw float64, row-major), the
 * very same ones, transposed to column-major where LAPACK reads them.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>
#include <lapacke.h>

/* Wall-clock time, or with `cpu` the process's CPU time (steadier on a loaded machine, one thread only). */
static clockid_t clock_id = CLOCK_MONOTONIC;
static double now(void) {
  struct timespec t;
  clock_gettime(clock_id, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static unsigned long long state = 88172645463325252ULL;
static double uniform(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return (double)(state >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

static double* matrix(size_t m, size_t n) {
  double* a = aligned_alloc(64, ((m * n * sizeof(double)) + 63) / 64 * 64 + 64);
  if (!a) {
    fprintf(stderr, "engine-bench-c: out of memory\n");
    exit(1);
  }
  for (size_t i = 0; i < m * n; i++) a[i] = uniform();
  return a;
}

/* Reads the engine side's input `key` of `name` (m×n, row-major) into `a`, transposed to column-major when
 * `colmajor`; 0 when there is no such file. */
static int shared(const char* name, const char* key, size_t m, size_t n, double* a, int colmajor) {
  const char* folder = getenv("ENGINE_BENCH_INPUTS");
  if (!folder) return 0;
  char slug[128], file[1024];
  size_t k = 0;
  for (const char* c = name; *c && k + 1 < sizeof slug; c++) {
    int keep = isalnum((unsigned char)*c);
    if (keep) slug[k++] = *c;
    else if (k == 0 || slug[k - 1] != '-') slug[k++] = '-';
  }
  slug[k] = 0;
  snprintf(file, sizeof file, "%s/%s.%s.f64", folder, slug, key);
  FILE* f = fopen(file, "rb");
  if (!f) return 0;
  double* rows = malloc(m * n * sizeof(double));
  size_t got = rows ? fread(rows, sizeof(double), m * n, f) : 0;
  fclose(f);
  if (got != m * n) {
    fprintf(stderr, "engine-bench-c: %s is short\n", file);
    exit(1);
  }
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < n; j++) a[colmajor ? j * m + i : i * n + j] = rows[i * n + j];
  free(rows);
  return 1;
}

/* One operation: its inputs, outputs and work arrays, made once. */
struct op {
  const char* name;
  int n;
  double *a, *b, *c, *w, *x, *s, *u, *vt;
  lapack_int* ipiv;
  void (*run)(struct op*);
  int ready, inner;
};

static void gemm(struct op* o) {
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, o->n, o->n, o->n, 1.0, o->a, o->n, o->b, o->n, 0.0, o->c, o->n);
}
static void solve(struct op* o) {
  size_t n = (size_t)o->n;
  memcpy(o->w, o->a, n * n * sizeof(double));
  memcpy(o->x, o->b, n * sizeof(double));
  LAPACKE_dgesv_work(LAPACK_COL_MAJOR, o->n, 1, o->w, o->n, o->ipiv, o->x, o->n);
}
static void cholesky(struct op* o) {
  size_t n = (size_t)o->n;
  memcpy(o->w, o->a, n * n * sizeof(double));
  if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', o->n, o->w, o->n) != 0) fprintf(stderr, "engine-bench-c: dpotrf failed\n");
}
static void eigh(struct op* o) {
  size_t n = (size_t)o->n;
  memcpy(o->w, o->a, n * n * sizeof(double));
  LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'V', 'L', o->n, o->w, o->n, o->s);
}
static void svd(struct op* o) {
  size_t n = (size_t)o->n;
  memcpy(o->w, o->a, n * n * sizeof(double));
  LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'S', o->n, o->n, o->w, o->n, o->s, o->u, o->n, o->vt, o->n);
}

static void setup(struct op* o) {
  size_t n = (size_t)o->n;
  o->a = matrix(n, n);
  if (o->run == gemm) {
    o->b = matrix(n, n);
    o->c = matrix(n, n);
    shared(o->name, "a", n, n, o->a, 0);
    shared(o->name, "b", n, n, o->b, 0);
    return;
  }
  o->w = matrix(n, n);
  if (o->run == solve) {
    o->b = matrix(n, 1);
    shared(o->name, "b", n, 1, o->b, 0);
    o->x = matrix(n, 1);
    o->ipiv = malloc(n * sizeof(lapack_int));
  } else {
    o->s = matrix(n, 1);
    o->u = matrix(n, n);
    o->vt = matrix(n, n);
  }
  if (shared(o->name, "a", n, n, o->a, 1)) return;
  if (o->run == cholesky) {
    /* symmetric positive definite: A·Aᵀ + n·I */
    double* g = matrix(n, n);
    cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, o->n, o->n, 1.0, g, o->n, 0.0, o->a, o->n);
    for (size_t i = 0; i < n; i++) o->a[i * n + i] += (double)n;
    free(g);
  } else if (o->run == eigh) {
    /* A + Aᵀ, as the other sides make it (the spectrum, and with it the divide and conquer's work, follows) */
    for (size_t i = 0; i < n; i++)
      for (size_t j = 0; j <= i; j++) o->a[i * n + j] = o->a[j * n + i] = o->a[i * n + j] + o->a[j * n + i];
  }
}

static struct op ops[] = {
    {"dgemm 1000", 1000, .run = gemm},  {"dgemm 2000", 2000, .run = gemm},   {"solve 1500", 1500, .run = solve},
    {"cholesky 1500", 1500, .run = cholesky}, {"eigh 500", 500, .run = eigh}, {"svd 500", 500, .run = svd},
    {"4x4 product", 4, .run = gemm},    {"8x8 product", 8, .run = gemm},     {"16x16 product", 16, .run = gemm},
    {"32x32 product", 32, .run = gemm}, {"64x64 product", 64, .run = gemm},
};

/* Calls shorter than this many seconds are timed in batches of this length. */
static const double BATCH = 0.01;
/* Seconds of untimed calls at the start of every turn (engine-bench.mjs says why). */
static const double TURN_WARMUP = 0.1;

int main(int argc, char** argv) {
  if (argc > 2 && strcmp(argv[2], "cpu") == 0) clock_id = CLOCK_PROCESS_CPUTIME_ID;
  const char* config = openblas_get_config();
  const char* core = openblas_get_corename();
  printf("{\"config\": \"%s\", \"coretype\": \"%s\", \"threads\": %d}\n", config ? config : "", core ? core : "",
         openblas_get_num_threads());
  fflush(stdout);
  char line[256];
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\n")] = 0;
    char* space = strchr(line, ' ');
    if (!space) break;
    *space = 0;
    int reps = atoi(line);
    const char* name = space + 1;
    struct op* o = NULL;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
      if (strcmp(ops[i].name, name) == 0) o = &ops[i];
    if (!o) {
      printf("nan\n");
      fflush(stdout);
      continue;
    }
    if (!o->ready) {
      setup(o);
      /* Warm-up, at least 200 ms (thread pool start, page faults); its mean call time sets the batch. */
      double t0 = now(), spent;
      int calls = 0;
      do {
        o->run(o);
        calls++;
      } while ((spent = now() - t0) < 0.2 || calls < 2);
      double once = spent / calls;
      o->inner = once >= BATCH ? 1 : (int)(BATCH / (once > 1e-9 ? once : 1e-9));
      o->ready = 1;
    }
    /* Every turn starts with untimed calls: what the process did while it waited is not timed. */
    for (double t0 = now(); now() - t0 < TURN_WARMUP;) o->run(o);
    double best = INFINITY;
    for (int r = 0; r < reps; r++) {
      double t0 = now();
      for (int i = 0; i < o->inner; i++) o->run(o);
      double t = (now() - t0) / o->inner;
      if (t < best) best = t;
    }
    printf("%.9g\n", best);
    fflush(stdout);
  }
  return 0;
}
