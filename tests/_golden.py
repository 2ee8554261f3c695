"""Shared by the parity tests: where the golden files are, their generator scripts, and
what a state dict may hold."""

import importlib.util
import json
from pathlib import Path

import numpy as np

GOLDEN = Path(__file__).resolve().parent / "golden"
NO_TORCH = "torch is not installed: the live parity tests need torch==2.13.0 (CPU)"


def generator(name):
    """The script ``tests/golden/<name>.py`` as a module (its torch runs need torch)."""
    spec = importlib.util.spec_from_file_location(name, GOLDEN / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def plain(value):
    """True when ``value`` is built from Python numbers, strings, None, lists and dicts."""
    if isinstance(value, dict):
        return type(value) is dict and all(plain(k) and plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(plain(v) for v in value)
    return value is None or type(value) in (int, float, str, bool)


def load_runs(filename, runs, checkpoints):
    """A golden file of runs (``configs``, ``checkpoints``, per-run arrays), checked to be the
    one its generator script would write for ``runs`` now."""
    with np.load(GOLDEN / filename, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    assert json.loads(data["configs"].item()) == runs, f"regenerate {filename}"
    np.testing.assert_array_equal(data["checkpoints"], checkpoints)
    return data
