"""Shared by the parity tests: where the golden files are, and their generator scripts."""

import importlib.util
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden"
NO_TORCH = "torch is not installed: the live parity tests need torch==2.13.0 (CPU)"


def generator(name):
    """The script ``tests/golden/<name>.py`` as a module (its torch runs need torch)."""
    spec = importlib.util.spec_from_file_location(name, GOLDEN / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
