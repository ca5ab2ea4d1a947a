#!/usr/bin/env python3
"""numpy side of test/bench/engine-bench.mjs: the same two measurements, printed as one JSON line.

usage: engine-bench.py N_GEMM REPS SMALL_CALLS
The caller sets OPENBLAS_NUM_THREADS so both sides use the same thread count.
"""
import ctypes
import json
import sys
import time
import timeit

import numpy as np


def openblas_info():
    """Core type and threads of the OpenBLAS numpy loaded (Debian's libopenblas or a wheel's copy)."""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                p = line.split()[-1]
                if "openblas" in p and ".so" in p:
                    libs.add(p)
    except OSError:
        pass
    for lib in sorted(libs):
        try:
            h = ctypes.CDLL(lib)
        except OSError:
            continue
        for prefix, suffix in [("openblas_", ""), ("scipy_openblas_", "64_"), ("openblas_", "64_")]:
            try:
                core = getattr(h, f"{prefix}get_corename{suffix}")
                threads = getattr(h, f"{prefix}get_num_threads{suffix}")
                config = getattr(h, f"{prefix}get_config{suffix}")
            except AttributeError:
                continue
            for fn in (core, config):
                fn.restype = ctypes.c_char_p
            return {"coretype": core().decode(), "threads": threads(), "config": config().decode().strip()}
    return {"coretype": "unknown", "threads": None, "config": "unknown"}


def main():
    n, reps, calls = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    rng = np.random.default_rng(1)
    a = rng.uniform(-1, 1, (n, n))
    b = rng.uniform(-1, 1, (n, n))
    a @ b  # warm-up: thread pool start, page faults
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t0)
    best = min(times)
    s = rng.uniform(-1, 1, (4, 4))
    t = rng.uniform(-1, 1, (4, 4))
    batch = max(1, calls // 5)
    small = min(timeit.repeat(lambda: s @ t, number=batch, repeat=5)) / batch
    print(json.dumps({
        "python": sys.executable,
        "numpy": np.__version__,
        **openblas_info(),
        "gemm_seconds": best,
        "gemm_gflops": 2 * n**3 / best / 1e9,
        "small_ns": small * 1e9,
    }))


main()
