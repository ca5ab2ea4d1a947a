#!/usr/bin/env python3
"""Generate the benchmark corpora: the same doctest workload twice, once as
TypeScript files with `sage:` prompts for mtest, once as Python modules with
`>>>` prompts for `pytest --doctest-modules` (the peer a user would pick
instead).  Needs numpy (to compute the expected values).

    python3 gen-corpus.py OUTDIR [--scale 1.0]

Writes OUTDIR/{overhead,linalg,heavy}/{ts,py}/...  Three workloads:

  overhead  200 files x 5 docstrings x 10 trivial examples (runner overhead)
  linalg    100 files x 4 docstrings x 10 small (4x4) linear-algebra examples
  heavy       6 files x 1 docstring  x  4 examples on 1500x1500 dense matrices

The TypeScript side uses only the engine's documented API and only
scalar outputs (with `// tol`), so it does not depend on matrix display.
"""
import os
import sys

import numpy as np


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def ts_doc(lines):
    return "/**\n * EXAMPLES::\n *\n" + "".join(" *     " + l + "\n" if l else " *\n" for l in lines) + " */\n"


def py_doc(lines):
    return '    """\n    EXAMPLES::\n\n' + "".join("        " + l + "\n" if l else "\n" for l in lines) + '    """\n'


def fnum(x):
    return repr(float(x))


def overhead(k):
    x = 10 + k % 50
    ts = [
        f"sage: const x = {x}",
        "sage: x * 3",
        f"{x * 3}",
        "sage: [x, x + 1]",
        f"[ {x}, {x + 1} ]",
        "sage: 'ab'.repeat(2)",
        "'abab'",
        "sage: let s = 0",
        "sage: for (let i = 0; i < 10; i++) s += i",
        "sage: s",
        "45",
        "sage: Math.max(3, x, 4)",
        f"{max(3, x, 4)}",
        "sage: x > 10",
        "true" if x > 10 else "false",
        "sage: x % 7",
        f"{x % 7}",
    ]
    py = [
        f">>> x = {x}",
        ">>> x * 3",
        f"{x * 3}",
        ">>> [x, x + 1]",
        f"[{x}, {x + 1}]",
        ">>> 'ab' * 2",
        "'abab'",
        ">>> s = 0",
        ">>> for i in range(10): s += i",
        ">>> s",
        "45",
        ">>> max(3, x, 4)",
        f"{max(3, x, 4)}",
        ">>> x > 10",
        "True" if x > 10 else "False",
        ">>> x % 7",
        f"{x % 7}",
    ]
    return ts, py


def small_matrix(k):
    rng = np.random.default_rng(k)
    a = rng.integers(-3, 4, size=(4, 4)).astype(float)
    a = a + a.T + 12 * np.eye(4)  # symmetric, well conditioned
    b = rng.integers(-5, 6, size=4).astype(float)
    return a, b


def linalg(k):
    a, b = small_matrix(k)
    rows = "[" + ", ".join("[" + ", ".join(str(int(v)) for v in r) + "]" for r in a) + "]"
    vec = "[" + ", ".join(str(int(v)) for v in b) + "]"
    det = np.linalg.det(a)
    sol = np.linalg.solve(a, b)
    tr2 = np.trace(a @ a)
    inv00 = np.linalg.inv(a)[0, 0]
    fro = np.linalg.norm(a)
    ev = np.linalg.eigvalsh(a)
    ts = [
        f"sage: const A = matrix({rows})",
        f"sage: const b = vector({vec})",
        "sage: A.det()  // tol 1e-9",
        fnum(det),
        "sage: A.solve(b).norm()  // tol 1e-9",
        fnum(np.linalg.norm(sol)),
        "sage: A.mul(A).trace()  // tol 1e-9",
        fnum(tr2),
        "sage: A.inverse().get(0, 0)  // tol 1e-9",
        fnum(inv00),
        "sage: A.norm()  // tol 1e-9",
        fnum(fro),
        "sage: A.transpose().sub(A).norm()  // tol 1e-9",
        "0.0",
        "sage: A.eigenvalues().get(0)  // tol 1e-9",
        fnum(ev[0]),
        "sage: A.rank()",
        "4",
    ]
    py = [
        f">>> A = np.array({rows}, dtype=float)",
        f">>> b = np.array({vec}, dtype=float)",
        ">>> float(np.linalg.det(A))  # doctest: +NUMBER",
        f"{det:.6f}",
        ">>> float(np.linalg.norm(np.linalg.solve(A, b)))  # doctest: +NUMBER",
        f"{np.linalg.norm(sol):.6f}",
        ">>> float(np.trace(A @ A))  # doctest: +NUMBER",
        f"{tr2:.6f}",
        ">>> float(np.linalg.inv(A)[0, 0])  # doctest: +NUMBER",
        f"{inv00:.6f}",
        ">>> float(np.linalg.norm(A))  # doctest: +NUMBER",
        f"{fro:.6f}",
        ">>> float(np.linalg.norm(A.T - A))  # doctest: +NUMBER",
        "0.000000",
        ">>> float(np.linalg.eigvalsh(A)[0])  # doctest: +NUMBER",
        f"{ev[0]:.6f}",
        ">>> int(np.linalg.matrix_rank(A))",
        "4",
    ]
    return ts, py


def heavy(k, n=1500):
    i, j = np.indices((n, n))
    a = ((i * 7 + j * (13 + k)) % 17) / 17.0
    rhs = (np.arange(n) % 5).astype(float)
    tr = np.trace(a @ a)
    sol_norm = np.linalg.norm(np.linalg.solve(a + n * np.eye(n), rhs))
    fro = np.linalg.norm(a @ a.T)
    ts = [
        f"sage: const n = {n}",
        f"sage: const A = matrix(Array.from({{length: n}}, (_, i) => Array.from({{length: n}}, (_, j) => ((i * 7 + j * {13 + k}) % 17) / 17)))",
        "sage: A.mul(A).trace()  // tol 1e-9",
        fnum(tr),
        "sage: A.add(identity(n).scale(n)).solve(vector(Array.from({length: n}, (_, i) => i % 5))).norm()  // tol 1e-9",
        fnum(sol_norm),
        "sage: A.mul(A.transpose()).norm()  // tol 1e-9",
        fnum(fro),
    ]
    py = [
        f">>> n = {n}",
        f">>> i, j = np.indices((n, n)); A = ((i * 7 + j * {13 + k}) % 17) / 17.0",
        ">>> float(np.trace(A @ A))  # doctest: +NUMBER",
        f"{tr:.6f}",
        ">>> float(np.linalg.norm(np.linalg.solve(A + n * np.eye(n), (np.arange(n) % 5).astype(float))))  # doctest: +NUMBER",
        f"{sol_norm:.6f}",
        ">>> float(np.linalg.norm(A @ A.T))  # doctest: +NUMBER",
        f"{fro:.6f}",
    ]
    return ts, py


def emit(outdir, name, nfiles, ndocs, make):
    for f in range(nfiles):
        ts_parts, py_parts = [], ["import numpy as np\n\n"]
        for d in range(ndocs):
            ts, py = make(f * ndocs + d)
            fn = f"f{f:03d}_{d}"
            ts_parts.append(ts_doc(ts) + f"export function {fn}(): number {{\n  return {d};\n}}\n\n")
            py_parts.append(f"def {fn}():\n" + py_doc(py) + f"    return {d}\n\n\n")
        write(os.path.join(outdir, name, "ts", f"m{f:03d}.ts"), "".join(ts_parts))
        write(os.path.join(outdir, name, "py", f"m{f:03d}.py"), "".join(py_parts))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    scale = float(sys.argv[sys.argv.index("--scale") + 1]) if "--scale" in sys.argv else 1.0
    emit(out, "overhead", max(1, int(200 * scale)), 5, overhead)
    emit(out, "linalg", max(1, int(100 * scale)), 4, linalg)
    emit(out, "heavy", max(1, int(6 * scale)), 1, heavy)
    # pytest needs the py folders importable as plain modules: no package, rootdir-relative
    for name in ("overhead", "linalg", "heavy"):
        write(os.path.join(out, name, "py", "conftest.py"), "")


if __name__ == "__main__":
    main()
