"""Benchmark adam_ref against torch.optim on this machine, all ratios from one run.

    python bench/run.py            # everything (torch optional: its columns are blank without it)
    python bench/run.py --quick    # smaller sizes and fewer repeats, for a smoke run

Prints a calibration line (torch's n = 2 step, one NumPy ufunc call: how fast this
machine is) and Markdown tables: per-step time of Adam — the traced reference
step and the in-place ``fused=True`` step — against torch's single-tensor,
foreach and fused CPU implementations on one thread, at n = 2, 1e3, 1e6, 1e7 in
float32 and float64; a 20-tensor MLP (with ``foreach=True``); the speed-up of one
broadcast sweep over K separate runs; Reddi's 10⁵-step online run; the peak extra
memory of one step; and the time to regenerate every figure and to execute every
notebook.
"""

import argparse
import os
import platform
import resource
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


def per_step_seconds(step, budget=0.2):
    """Best-of-5 mean CPU time of ``step()``, with enough calls for ``budget`` seconds per
    repeat (CPU time of this process, so that other work on a shared machine counts less)."""
    for _ in range(20):  # warm up: a library's first calls pay for lazy set-up
        step()
    start = time.process_time()
    step()
    once = max(time.process_time() - start, 1e-7)
    number = max(1, min(20000, int(budget / once)))
    return min(timeit.Timer(step, timer=time.process_time).repeat(number=number, repeat=5)) / number


def ours(shapes, dtype, rng, **options):
    params = [adam_ref.Param(rng.standard_normal(s).astype(dtype)) for s in shapes]
    for p in params:
        p.grad = rng.standard_normal(p.shape).astype(dtype)
    return adam_ref.Adam(params, **options).step


def theirs(shapes, dtype, rng, **options):
    if torch is None:
        return None
    params = [torch.nn.Parameter(torch.from_numpy(rng.standard_normal(s).astype(dtype)))
              for s in shapes]
    for p in params:
        p.grad = torch.from_numpy(rng.standard_normal(p.shape).astype(dtype))
    return torch.optim.Adam(params, **options).step


def fmt_time(seconds):
    if seconds is None:
        return "—"
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def ratio(numerator, denominator):
    return f"{numerator / denominator:.2f}" if numerator and denominator else "—"


TORCH = (("torch", dict(foreach=False)), ("torch foreach", dict(foreach=True)),
         ("torch fused", dict(fused=True)))


def timed_row(label, shapes, dtype, rng, mine):
    """adam_ref's ``mine`` ({column: options}) and torch's three implementations on ``shapes``."""
    times = {name: per_step_seconds(ours(shapes, dtype, rng, **options))
             for name, options in mine.items()}
    for name, options in TORCH:
        step = theirs(shapes, dtype, rng, **options)
        times[name] = per_step_seconds(step) if step is not None else None
    return times


def step_table(sizes):
    rng = np.random.default_rng(0)
    mine = {"traced": {}, "fused": {"fused": True}}
    rows = ["| n | dtype | traced | fused | torch | torch foreach | torch fused "
            "| traced ÷ torch | fused ÷ torch |",
            "|---|---|---|---|---|---|---|---|---|"]
    for n in sizes:
        for dtype in (np.float32, np.float64):
            t = timed_row("Adam", [(n,)], dtype, rng, mine)
            rows.append(f"| {n:.0e} | {np.dtype(dtype).name} | "
                        + " | ".join(fmt_time(t[k]) for k in ("traced", "fused", "torch",
                                                              "torch foreach", "torch fused"))
                        + f" | {ratio(t['traced'], t['torch'])} | {ratio(t['fused'], t['torch'])} |")
            print(rows[-1], file=sys.stderr)
    return rows


def mlp_table():
    """10 × Linear(100, 100): 20 tensors (weights and biases) in one group."""
    rng = np.random.default_rng(2)
    shapes = [(100, 100), (100,)] * 10
    mine = {"traced": {}, "fused": {"fused": True}, "foreach": {"foreach": True}}
    rows = ["| dtype | traced | fused | foreach | torch | torch foreach | torch fused "
            "| foreach ÷ torch foreach |", "|---|---|---|---|---|---|---|---|"]
    for dtype in (np.float32, np.float64):
        t = timed_row("MLP", shapes, dtype, rng, mine)
        rows.append(f"| {np.dtype(dtype).name} | "
                    + " | ".join(fmt_time(t[k]) for k in ("traced", "fused", "foreach", "torch",
                                                          "torch foreach", "torch fused"))
                    + f" | {ratio(t['foreach'], t['torch foreach'])} |")
        print(rows[-1], file=sys.stderr)
    return rows


def calibration():
    """torch's n = 2 Adam step and one NumPy ufunc call on 2 elements: the machine's pace."""
    a, b = np.ones(2), np.zeros(2)
    ufunc = per_step_seconds(lambda: np.add(a, b, out=a))  # a stays 1: no overflow
    step = theirs([(2,)], np.float32, np.random.default_rng(0), foreach=False)
    return (per_step_seconds(step) if step is not None else None), ufunc


def reddi_seconds(steps=100_000):
    """Adam and AMSGrad on Reddi et al.'s online problem: the figures' fast path, the class
    (Adam(fused=True) with the projection) and record_step(adam_step), the last two on 10⁴
    steps scaled to ``steps``."""
    from adam_ref.figures import reddi_scalar_runs
    from adam_ref.history import record_step
    from adam_ref.objectives import ReddiOnline
    online = ReddiOnline()
    start = time.process_time()
    reddi_scalar_runs(online.slopes(steps), 0.5, every=100)
    fast = time.process_time() - start
    short = 10_000
    start = time.process_time()
    for amsgrad in (False, True):
        record_step(adam_step, online, np.zeros(1), short, every=100, lr=lambda t: 0.5 / t ** 0.5,
                    beta1=0.9, beta2=0.99, amsgrad=amsgrad, project=online.project,
                    comparator=online.minimum)
    traced = (time.process_time() - start) * steps / short
    start = time.process_time()
    for amsgrad in (False, True):
        p = adam_ref.Param(np.zeros(1))
        opt = adam_ref.Adam([p], lr=0.5, betas=(0.9, 0.99), amsgrad=amsgrad, fused=True)
        for t in range(1, short + 1):
            opt.param_groups[0]["lr"] = 0.5 / t ** 0.5
            p.grad = np.full(1, online.slope(t))
            opt.step()
            np.clip(p.data, -1.0, 1.0, out=p.data)
    fused = (time.process_time() - start) * steps / short
    return fast, fused, traced


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
    for label, options in (("traced", {}), ("fused", {"fused": True})):
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


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_command(args):
    """Wall time and CPU time (user + system) of a command, or None if it fails."""
    start, cpu = time.perf_counter(), children_cpu()
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    return (seconds, children_cpu() - cpu) if done.returncode == 0 else None


def notebooks_seconds():
    try:
        import nbformat
        from nbclient import NotebookClient
    except ImportError:
        return None
    paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not paths:
        return None
    start, cpu = time.perf_counter(), children_cpu()
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - start, children_cpu() - cpu, len(paths)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only, skip figures/notebooks")
    args = parser.parse_args(argv)
    sizes = [2, 1000] if args.quick else [2, 1000, 10**6, 10**7]

    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, NumPy {np.__version__}, "
          f"torch {torch.__version__ if torch else 'not installed'} (1 thread)")
    torch_step, ufunc = calibration()
    print(f"Calibration: torch.optim.Adam step at n = 2 (float32) {fmt_time(torch_step)}, "
          f"one NumPy ufunc call on 2 elements {fmt_time(ufunc)} (a slow machine is slow in both)\n")
    print("Adam, per-step CPU time (best of 5). torch: single-tensor (its CPU default), "
          "foreach, fused; ratios below 1 are faster than torch's default:\n")
    print("\n".join(step_table(sizes)))
    print("\n10 × Linear(100, 100), 20 tensors in one group, per-step CPU time:\n")
    print("\n".join(mlp_table()))

    one, many, identical = sweep(K=64, steps=300)
    print(f"\nSweep of K = 64 (lr, β1) settings × 300 steps: one broadcast run {fmt_time(one)}, "
          f"64 separate runs {fmt_time(many)}, speed-up {many / one:.1f}×, "
          f"results identical: {identical}")

    fast, fused, traced = reddi_seconds()
    print(f"\nReddi's online problem, Adam and AMSGrad, 10⁵ steps each: figures' fast path "
          f"(adam_scalar_runs) {fmt_time(fast)}; Adam(fused=True) {fmt_time(fused)}; "
          f"record_step(adam_step) {fmt_time(traced)} (the last two from 10⁴ steps)")

    memory = peak_memory()
    print("\nPeak extra memory of one Adam step at n = 1e6, float32 (× the parameter's size): "
          + ", ".join(f"{k} {v:.2f}×" for k, v in memory.items()))

    if not args.quick:
        with tempfile.TemporaryDirectory() as out:
            times = timed_command([sys.executable, "-m", "adam_ref", "figures", "--out", out])
        print("\nRegenerate all figures: " + (f"{fmt_time(times[0])} wall, {fmt_time(times[1])} CPU"
                                              if times else "failed"))
        result = notebooks_seconds()
        if result:
            print(f"Execute all {result[2]} notebooks: {fmt_time(result[0])} wall, "
                  f"{fmt_time(result[1])} CPU (kernels)")
        else:
            print("Execute all notebooks: not measured (nbclient missing or no notebooks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
