#!/usr/bin/env python3
"""numpy side of test/bench/engine-bench.mjs: the same operations, timed on request.

usage: engine-bench.py SMALL_CALLS [cpu]
Prints one JSON line describing numpy and its OpenBLAS, then reads requests from stdin, one per line,
`REPS OPERATION`, and answers each with one line: the best time in seconds of REPS runs (the first run of
an operation, a warm-up of at least 200 ms, is not counted, nor the 100 ms of calls every request starts
with; calls under 10 ms are timed in batches of 10 ms), or `nan` for an operation it does not have. The
caller sets OPENBLAS_NUM_THREADS so both sides use the same thread count. With `cpu`, times are the process's CPU time (steadier on a loaded machine, for one
thread only). Each operation is a name of OPS below; the engine side has the same names and inputs of
the same kind (uniform in [-1, 1]), and for the operations the C program has too, the very same inputs,
read from the files the engine side wrote in ENGINE_BENCH_INPUTS.
"""
import ctypes
import json
import os
import re
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


rng = np.random.default_rng(1)


def rand(m, n):
    return rng.uniform(-1, 1, (m, n))


def sym(n):
    a = rand(n, n)
    return a + a.T


def spd(n):
    a = rand(n, n)
    return a @ a.T + n * np.identity(n)


def shared(name, key, shape, make):
    """The input the engine side wrote for `name` (raw float64, row-major) when it did, else make()."""
    folder = os.environ.get("ENGINE_BENCH_INPUTS")
    path = folder and os.path.join(folder, f"{re.sub(r'[^A-Za-z0-9]+', '-', name)}.{key}.f64")
    if path and os.path.exists(path):
        return np.fromfile(path, dtype="<f8").reshape(shape)
    return make()


def same(name, n, key="a"):
    return shared(name, key, (n, n), lambda: rand(n, n))


# name -> (setup returning the timed callable)
OPS = {
    "dgemm 1000": lambda: (lambda a, b: lambda: a @ b)(same("dgemm 1000", 1000), same("dgemm 1000", 1000, "b")),
    "dgemm 2000": lambda: (lambda a, b: lambda: a @ b)(same("dgemm 2000", 2000), same("dgemm 2000", 2000, "b")),
    "A·Aᵀ 1500": lambda: (lambda a: lambda: a @ a.T)(rand(1500, 1500)),
    "solve 1500": lambda: (lambda a, b: lambda: np.linalg.solve(a, b))(
        same("solve 1500", 1500), shared("solve 1500", "b", (1500,), lambda: rng.uniform(-1, 1, 1500))
    ),
    "cholesky 1500": lambda: (lambda s: lambda: np.linalg.cholesky(s))(shared("cholesky 1500", "a", (1500, 1500), lambda: spd(1500))),
    "eigh 500": lambda: (lambda s: lambda: np.linalg.eigh(s))(shared("eigh 500", "a", (500, 500), lambda: sym(500))),
    "svd 500": lambda: (lambda a: lambda: np.linalg.svd(a, full_matrices=False))(same("svd 500", 500)),
    "identity·2 + A 1500": lambda: (lambda a: lambda: np.identity(1500) * 2 + a)(rand(1500, 1500)),
    "transpose 1500": lambda: (lambda a: lambda: a.T)(rand(1500, 1500)),
    "Aᵀ·B 1000": lambda: (lambda a, b: lambda: a.T @ b)(rand(1000, 1000), rand(1000, 1000)),
    "norm fro 1500": lambda: (lambda a: lambda: np.linalg.norm(a))(rand(1500, 1500)),
    "norm 1 1500": lambda: (lambda a: lambda: np.linalg.norm(a, 1))(rand(1500, 1500)),
    "norm inf 1500": lambda: (lambda a: lambda: np.linalg.norm(a, np.inf))(rand(1500, 1500)),
    **{f"{n}x{n} product": (lambda n: lambda: (lambda a, b: lambda: a @ b)(rand(n, n), rand(n, n)))(n) for n in (8, 16, 32, 64)},
}


# Calls shorter than this many seconds are timed in batches of this length.
BATCH = 0.01
# Seconds of untimed calls at the start of every turn (engine-bench.mjs says why).
TURN_WARMUP = 0.1


def main():
    calls = int(sys.argv[1])
    clock = time.process_time if len(sys.argv) > 2 and sys.argv[2] == "cpu" else time.perf_counter
    print(json.dumps({"python": sys.executable, "numpy": np.__version__, **openblas_info()}), flush=True)
    ready = {}
    for line in sys.stdin:
        reps, name = line.rstrip("\n").split(" ", 1)
        if name not in OPS and name != "4x4 product":
            print("nan", flush=True)
            continue
        if name == "4x4 product":
            s, t = rand(4, 4), rand(4, 4)
            batch = max(1, calls // 5)
            best = min(timeit.repeat(lambda: s @ t, number=batch, repeat=5, timer=clock)) / batch
        else:
            if name not in ready:
                f = OPS[name]()
                # Warm-up, at least 200 ms (thread pool start, page faults); its mean call time sets the batch.
                t0, calls = clock(), 0
                while True:
                    f()
                    calls += 1
                    spent = clock() - t0
                    if spent >= 0.2 and calls >= 2:
                        break
                ready[name] = (f, max(1, int(BATCH / max(spent / calls, 1e-9))))
            f, inner = ready[name]
            # Every turn starts with untimed calls: what the process did while it waited is not timed.
            t0 = clock()
            while clock() - t0 < TURN_WARMUP:
                f()
            best = float("inf")
            for _ in range(int(reps)):
                t0 = clock()
                for _ in range(inner):
                    f()
                best = min(best, (clock() - t0) / inner)
        print(best, flush=True)


main()
