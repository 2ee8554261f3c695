"""Benchmark adam_ref against torch.optim on this machine, all ratios from one run.

    python bench/run.py            # everything (torch optional: its columns are blank without it)
    python bench/run.py --quick    # smaller sizes and fewer repeats, for a smoke run

Prints Markdown tables: per-step time of adam_ref's optimizers (the traced
reference step and, for Adam, the in-place ``fused=True`` step) against torch's
default CPU implementation on one thread; the speed-up of one broadcast sweep
over K separate runs; the peak extra memory of one step; and the time to
regenerate every figure and to execute every notebook.
"""

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
import timeit
import tracemalloc
from pathlib import Path

import numpy as np

import adam_ref
from adam_ref.functional import adam_init, adam_step

ROOT = Path(__file__).resolve().parent.parent

try:
    import torch
    torch.set_num_threads(1)
except ImportError:
    torch = None


def per_step_seconds(step, n, budget=0.4):
    """Best-of-5 mean time of ``step()``, with enough calls for ``budget`` seconds per repeat."""
    step()
    start = time.perf_counter()
    step()
    once = max(time.perf_counter() - start, 1e-7)
    number = max(1, min(20000, int(budget / once)))
    return min(timeit.repeat(step, number=number, repeat=5)) / number


def ours(cls, n, dtype, rng, **options):
    p = adam_ref.Param(rng.standard_normal(n).astype(dtype))
    p.grad = rng.standard_normal(n).astype(dtype)
    return cls([p], **options).step


def theirs(name, n, dtype, rng, **options):
    if torch is None:
        return None
    p = torch.nn.Parameter(torch.from_numpy(rng.standard_normal(n).astype(dtype)))
    p.grad = torch.from_numpy(rng.standard_normal(n).astype(dtype))
    return getattr(torch.optim, name)([p], **options).step


def fmt_time(seconds):
    if seconds is None:
        return "—"
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def step_table(sizes):
    rng = np.random.default_rng(0)
    rows = ["| optimizer | n | dtype | adam_ref | adam_ref fused | torch | torch ÷ adam_ref | torch ÷ fused |",
            "|---|---|---|---|---|---|---|---|"]
    cases = [("Adam", adam_ref.Adam, {}, True)]
    for name in ("SGD", "RMSprop"):
        if hasattr(adam_ref, name):
            options = {"momentum": 0.9} if name == "SGD" else {}
            cases.append((name, getattr(adam_ref, name), options, False))
    for name, cls, options, has_fused in cases:
        for n in sizes:
            for dtype in (np.float32, np.float64):
                ref = per_step_seconds(ours(cls, n, dtype, rng, **options), n)
                fused = (per_step_seconds(ours(cls, n, dtype, rng, fused=True, **options), n)
                         if has_fused else None)
                step = theirs(name, n, dtype, rng, **options)
                tor = per_step_seconds(step, n) if step is not None else None
                ratio = f"{tor / ref:.2f}" if tor else "—"
                fratio = f"{tor / fused:.2f}" if tor and fused else "—"
                rows.append(f"| {name} | {n:.0e} | {np.dtype(dtype).name} | {fmt_time(ref)} | "
                            f"{fmt_time(fused)} | {fmt_time(tor)} | {ratio} | {fratio} |")
                print(rows[-1], file=sys.stderr)
    return rows


def sweep(K=64, steps=300):
    """K (lr, β1) settings on the same 2-D quadratic: one broadcast run vs K runs."""
    rng = np.random.default_rng(1)
    curvature = np.array([1.0, 25.0])
    lrs = np.geomspace(1e-3, 1e-1, 8).repeat(8)[:K]
    beta1s = np.tile(np.linspace(0.0, 0.95, 8), 8)[:K]
    theta0 = np.tile(rng.standard_normal(2), (K, 1))

    def broadcast():
        theta, state = theta0, adam_init(theta0)
        for _ in range(steps):
            theta, state, _ = adam_step(theta, curvature * theta, state,
                                        lr=lrs[:, None], beta1=beta1s[:, None])
        return theta

    def separate():
        out = []
        for k in range(K):
            theta, state = theta0[k], adam_init(theta0[k])
            for _ in range(steps):
                theta, state, _ = adam_step(theta, curvature * theta, state,
                                            lr=float(lrs[k]), beta1=float(beta1s[k]))
            out.append(theta)
        return np.array(out)

    one = min(timeit.repeat(broadcast, number=1, repeat=3))
    many = min(timeit.repeat(separate, number=1, repeat=1))
    identical = np.array_equal(broadcast(), separate())
    return one, many, identical


def peak_memory(n=10**6, dtype=np.float32):
    """Peak memory allocated during one step, in units of the parameter's size."""
    out = {}
    for label, options in (("adam_ref", {}), ("adam_ref fused", {"fused": True})):
        p = adam_ref.Param(np.ones(n, dtype))
        p.grad = np.ones(n, dtype)
        opt = adam_ref.Adam([p], **options)
        opt.step()                        # state exists; measure a steady-state step
        tracemalloc.start()
        tracemalloc.reset_peak()
        opt.step()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out[label] = peak / p.data.nbytes
    return out


def timed_command(args):
    start = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    return seconds if done.returncode == 0 else None


def notebooks_seconds():
    try:
        import nbformat
        from nbclient import NotebookClient
    except ImportError:
        return None
    paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not paths:
        return None
    start = time.perf_counter()
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - start, len(paths)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only, skip figures/notebooks")
    args = parser.parse_args(argv)
    sizes = [2, 1000] if args.quick else [2, 1000, 10**6, 10**7]

    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, NumPy {np.__version__}, "
          f"torch {torch.__version__ if torch else 'not installed'} (1 thread)\n")
    print("Per-step time (best of 5; torch.optim default CPU implementation):\n")
    print("\n".join(step_table(sizes)))

    one, many, identical = sweep(K=64, steps=300)
    print(f"\nSweep of K = 64 (lr, β1) settings × 300 steps: one broadcast run {fmt_time(one)}, "
          f"64 separate runs {fmt_time(many)}, speed-up {many / one:.1f}×, "
          f"results identical: {identical}")

    memory = peak_memory()
    print("\nPeak extra memory of one Adam step at n = 1e6, float32 (× the parameter's size): "
          + ", ".join(f"{k} {v:.2f}×" for k, v in memory.items()))

    if not args.quick:
        with tempfile.TemporaryDirectory() as out:
            seconds = timed_command([sys.executable, "-m", "adam_ref", "figures", "--out", out])
        print(f"\nRegenerate all figures: {fmt_time(seconds) if seconds else 'failed'}")
        result = notebooks_seconds()
        if result:
            print(f"Execute all {result[1]} notebooks: {fmt_time(result[0])}")
        else:
            print("Execute all notebooks: not measured (nbclient missing or no notebooks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
