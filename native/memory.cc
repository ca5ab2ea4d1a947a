// Large memory of the engine. A page touched for the first time costs a page fault (measured ~1 µs on an
// Intel Xeon virtual machine, ~11 µs on an AMD EPYC one): an 18 MB work array faulted in afresh on every
// call costs 4,400 of them, 4-48 ms against ~30 ms for a Cholesky factorisation of that size. So
//  - the LAPACK wrappers' work arrays come from a cache of blocks kept mapped between calls: bounded
//    (kCacheLimit bytes, least recently used blocks go first), emptied of blocks idle for kIdleMs once the
//    event loop turns, and emptied when a new mapping fails;
//  - blocks of 4 MiB and more, and the JavaScript arrays storage.ts hands to prepareLarge with their
//    length, are backed by transparent huge pages where the kernel offers them on request (MADV_HUGEPAGE,
//    as numpy does for its arrays): one fault per 2 MiB instead of 512;
//  - malloc, where JavaScript arrays come from, keeps freed memory for the next arrays while busy and
//    gives it back when idle (InitMemory's thresholds, the idle sweep's malloc_trim).
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "common.h"

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#define ENGINE_MMAP 1
#endif
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace engine {
namespace {

constexpr size_t kHuge = size_t(2) << 20;
constexpr size_t kHugeMin = size_t(4) << 20;
constexpr size_t kGrain = size_t(64) << 10;
constexpr size_t kAlign = 64;
constexpr int64_t kIdleMs = 1000;

using Clock = std::chrono::steady_clock;

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

/** The mapped size of a block for `bytes`: 2 MiB steps from 4 MiB on (whole huge pages), 64 KiB below. */
size_t BlockSize(size_t bytes) { return bytes >= kHugeMin ? RoundUp(bytes, kHuge) : RoundUp(std::max(bytes, kCacheMin), kGrain); }

struct Cached {
  void* p;
  size_t bytes;
  Clock::time_point used;
};

struct Cache {
  std::mutex lock;
  std::vector<Cached> blocks;  // oldest first
  size_t cached = 0;
  size_t limit = kCacheLimit;
  uv_timer_t* timer = nullptr;  // the idle sweep, on the loop of the first environment that loaded the addon
  napi_env owner = nullptr;
  // Sweeps that still trim malloc's heap: large arrays were allocated. Two, because V8 may free the
  // buffers of a collection on a helper thread after the first sweep has run.
  int heapSweeps = 0;
  // When the last large array was allocated: the heap is trimmed only once that is kIdleMs ago, so that
  // products with pauses between them (awaits, timers) keep reusing its pages instead of faulting them in
  // afresh after every trim.
  Clock::time_point lastLarge;
};

Cache& TheCache() {
  static Cache* c = new Cache();  // never destroyed: blocks may come back while the process exits
  return *c;
}

void Unmap(void* p, size_t bytes) {
#if ENGINE_MMAP
  munmap(p, bytes);
#else
  std::free(p);
#endif
}

/** A fresh mapping of `bytes` (a BlockSize), 2 MiB-aligned and advised for huge pages from 4 MiB on. */
void* Map(size_t bytes) {
#if ENGINE_MMAP
  if (bytes < kHugeMin) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : p;
  }
  // Over-map by one huge page and trim both ends, so the block starts on a 2 MiB boundary.
  void* raw = mmap(nullptr, bytes + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  uintptr_t start = reinterpret_cast<uintptr_t>(raw), aligned = RoundUp(start, kHuge);
  if (aligned > start) munmap(raw, aligned - start);
  size_t tail = start + bytes + kHuge - (aligned + bytes);
  if (tail) munmap(reinterpret_cast<void*>(aligned + bytes), tail);
#if defined(MADV_HUGEPAGE)
  madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE);  // advice: refused is fine
#endif
  return reinterpret_cast<void*>(aligned);
#else
  return std::aligned_alloc(kAlign, bytes);
#endif
}

/** Unmaps cached blocks last used before `before` (all of them with the default); returns the bytes freed. */
size_t Sweep(Cache& c, Clock::time_point before = Clock::time_point::max()) {
  std::vector<Cached> gone;
  {
    std::lock_guard<std::mutex> g(c.lock);
    auto keep = std::stable_partition(c.blocks.begin(), c.blocks.end(), [&](const Cached& b) { return b.used >= before; });
    gone.assign(keep, c.blocks.end());
    c.blocks.erase(keep, c.blocks.end());
    for (const Cached& b : gone) c.cached -= b.bytes;
  }
  size_t freed = 0;
  for (const Cached& b : gone) {
    Unmap(b.p, b.bytes);
    freed += b.bytes;
  }
  return freed;
}

void ArmIdleSweep(Cache& c);

void OnIdleTimer(uv_timer_t*) {
  Cache& c = TheCache();
  Clock::time_point idleSince = Clock::now() - std::chrono::milliseconds(kIdleMs);
  Sweep(c, idleSince);
  if (c.heapSweeps > 0 && c.lastLarge <= idleSince) {
#if defined(__GLIBC__)
    malloc_trim(0);  // the free memory InitMemory's thresholds kept in the heap goes back
#endif
    c.heapSweeps--;
  }
  ArmIdleSweep(c);
}

/** Starts the idle sweep when blocks are cached and it is not running (on the owner's loop thread only). */
void ArmIdleSweep(Cache& c) {
  if (!c.timer || uv_is_active(reinterpret_cast<uv_handle_t*>(c.timer))) return;
  bool any;
  {
    std::lock_guard<std::mutex> g(c.lock);
    any = !c.blocks.empty() || c.heapSweeps > 0;
  }
  // Unreferenced: the sweep never keeps a process alive.
  if (any) uv_timer_start(c.timer, OnIdleTimer, kIdleMs, 0);
}

void StopIdleSweep(void* arg) {
  Cache& c = TheCache();
  if (c.owner != static_cast<napi_env>(arg) || !c.timer) return;
  uv_timer_stop(c.timer);
  uv_close(reinterpret_cast<uv_handle_t*>(c.timer), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  c.timer = nullptr;
  c.owner = nullptr;
}

}  // namespace

WorkBuffer::~WorkBuffer() {
  if (!p_) return;
  if (bytes_ < kCacheMin) {
    std::free(p_);
    return;
  }
  Cache& c = TheCache();
  std::vector<Cached> evicted;
  {
    std::lock_guard<std::mutex> g(c.lock);
    if (bytes_ > c.limit) {
      evicted.push_back({p_, bytes_, Clock::now()});
    } else {
      c.blocks.push_back({p_, bytes_, Clock::now()});
      c.cached += bytes_;
      while (c.cached > c.limit) {
        evicted.push_back(c.blocks.front());
        c.cached -= c.blocks.front().bytes;
        c.blocks.erase(c.blocks.begin());
      }
    }
  }
  for (const Cached& b : evicted) Unmap(b.p, b.bytes);
  if (c.owner == env_) ArmIdleSweep(c);
}

WorkBuffer TakeWork(napi_env env, const char* op, size_t n) {
  if (n > (SIZE_MAX - kHuge) / sizeof(double)) ThrowRange(env, std::string(op) + ": workspace too large");
  size_t want = std::max<size_t>(n, 1) * sizeof(double);
  WorkBuffer w;
  w.env_ = env;
  if (want < kCacheMin) {
    w.p_ = std::aligned_alloc(kAlign, RoundUp(want, kAlign));
    w.bytes_ = want;
    if (!w.p_) ThrowRange(env, std::string(op) + ": cannot allocate " + std::to_string(n) + " elements of workspace");
    return w;
  }
  size_t bytes = BlockSize(want);
  Cache& c = TheCache();
  {
    // The smallest cached block that fits without wasting more than its own size.
    std::lock_guard<std::mutex> g(c.lock);
    auto best = c.blocks.end();
    for (auto it = c.blocks.begin(); it != c.blocks.end(); ++it)
      if (it->bytes >= bytes && it->bytes / 2 <= bytes && (best == c.blocks.end() || it->bytes < best->bytes)) best = it;
    if (best != c.blocks.end()) {
      w.p_ = best->p;
      w.bytes_ = best->bytes;
      c.cached -= best->bytes;
      c.blocks.erase(best);
      return w;
    }
  }
  w.p_ = Map(bytes);
  if (!w.p_ && Sweep(c) > 0) w.p_ = Map(bytes);  // under pressure the cache goes first
  if (!w.p_) ThrowRange(env, std::string(op) + ": cannot allocate " + std::to_string(n) + " elements of workspace");
  w.bytes_ = bytes;
  return w;
}

namespace {

napi_value Throw(napi_env env, const char* msg) {
  napi_throw_type_error(env, nullptr, msg);
  return nullptr;
}

napi_value Num(napi_env env, double v) {
  napi_value r = nullptr;
  napi_create_double(env, v, &r);
  return r;
}

// prepareLarge(ab, n) → the element offset at which a Float64Array view of n elements in ab starts on a
// 2 MiB boundary when the view is at least 4 MiB and ab has room for that, else on a 64-byte boundary. The
// view's whole huge pages are advised for huge pages. Called before the view is first written.
napi_value PrepareLarge(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  void* data = nullptr;
  size_t bytes = 0;
  double n = 0;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 2 ||
      napi_get_arraybuffer_info(env, argv[0], &data, &bytes) != napi_ok || napi_get_value_double(env, argv[1], &n) != napi_ok)
    return Throw(env, "prepareLarge: expected (ArrayBuffer, length)");
  if (!(n >= 0) || n * sizeof(double) > static_cast<double>(bytes)) return Throw(env, "prepareLarge: length exceeds the buffer");
  uintptr_t p = reinterpret_cast<uintptr_t>(data), end = p + bytes;
  size_t len = static_cast<size_t>(n) * sizeof(double);
  uintptr_t start = RoundUp(p, kAlign);
  if (len >= kHugeMin && RoundUp(p, kHuge) + len <= end) start = RoundUp(p, kHuge);
  if (start + len > end) return Throw(env, "prepareLarge: buffer too short to align");
  Cache& c = TheCache();
  if (bytes >= kCacheMin && c.owner == env) {
    c.heapSweeps = 2;
    c.lastLarge = Clock::now();
    ArmIdleSweep(c);
  }
#if ENGINE_MMAP && defined(MADV_HUGEPAGE)
  // A last part that fills at least half a huge page gets one too when the buffer extends that far: it
  // saves up to 256 faults for at most 1 MiB of memory never written.
  uintptr_t from = RoundUp(start, kHuge), to = (start + len) / kHuge * kHuge, up = RoundUp(start + len, kHuge);
  if (up - (start + len) <= kHuge / 2 && up <= end) to = up;
  if (len >= kHugeMin && to > from) madvise(reinterpret_cast<void*>(from), to - from, MADV_HUGEPAGE);
#endif
  return Num(env, static_cast<double>((start - p) / sizeof(double)));
}

// workCache() → [cached bytes, cached blocks, limit in bytes].
napi_value WorkCacheInfo(napi_env env, napi_callback_info) {
  Cache& c = TheCache();
  size_t bytes, blocks, limit;
  {
    std::lock_guard<std::mutex> g(c.lock);
    bytes = c.cached;
    blocks = c.blocks.size();
    limit = c.limit;
  }
  napi_value out;
  napi_create_array_with_length(env, 3, &out);
  napi_set_element(env, out, 0, Num(env, static_cast<double>(bytes)));
  napi_set_element(env, out, 1, Num(env, static_cast<double>(blocks)));
  napi_set_element(env, out, 2, Num(env, static_cast<double>(limit)));
  return out;
}

// releaseWork() → bytes unmapped: empties the work cache now.
napi_value ReleaseWork(napi_env env, napi_callback_info) { return Num(env, static_cast<double>(Sweep(TheCache()))); }

}  // namespace

void InitMemory(napi_env env, napi_value exports) {
  Cache& c = TheCache();
#if defined(__GLIBC__)
  // V8 frees array buffers in batches, at its garbage collections; with glibc's own thresholds the heap
  // top they leave is handed back at once and the next arrays fault in fresh pages (and arrays over
  // 128 KiB are fresh mappings until a free raises the threshold). Arrays up to 32 MiB (glibc's largest
  // threshold) come from the heap, which keeps up to kCacheLimit of free memory at its top while busy; the idle
  // sweep trims it. Set once per process, at the first load.
  static bool tuned = false;
  if (!tuned) {
    tuned = true;
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, static_cast<int>(kCacheLimit));
  }
#endif
  uv_loop_t* loop = nullptr;
  if (!c.timer && napi_get_uv_event_loop(env, &loop) == napi_ok && loop) {
    c.timer = new uv_timer_t;
    uv_timer_init(loop, c.timer);
    uv_unref(reinterpret_cast<uv_handle_t*>(c.timer));
    c.owner = env;
    napi_add_env_cleanup_hook(env, StopIdleSweep, env);
  }
  napi_property_descriptor d[] = {
      {"prepareLarge", nullptr, PrepareLarge, nullptr, nullptr, nullptr, napi_default_jsproperty, nullptr},
      {"workCache", nullptr, WorkCacheInfo, nullptr, nullptr, nullptr, napi_default_jsproperty, nullptr},
      {"releaseWork", nullptr, ReleaseWork, nullptr, nullptr, nullptr, napi_default_jsproperty, nullptr},
  };
  napi_define_properties(env, exports, sizeof(d) / sizeof(d[0]), d);
}

}  // namespace engine
