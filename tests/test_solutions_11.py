"""The worked solutions of lesson 11 run top to bottom in a fresh kernel and are stored clean.

As tests/test_notebooks.py does for the lessons: executed in memory with nbclient, with the
notebook's own folder as the working directory and matplotlib's Agg backend; each answer is
computed and checked by the notebook's own asserts.
"""

import json
import pathlib

import pytest

SOLUTION = (pathlib.Path(__file__).resolve().parent.parent / "notebooks" / "solutions"
            / "11_real_data.ipynb")
CELL_TIMEOUT = 120


def test_solution_is_stored_without_outputs():
    nb = json.loads(SOLUTION.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"cell {i} has stored outputs"
            assert cell["execution_count"] is None, f"cell {i} has an execution count"


def test_every_exercise_has_an_answer():
    lesson = json.loads((SOLUTION.parent.parent / SOLUTION.name).read_text(encoding="utf-8"))
    exercises = "".join(lesson["cells"][-1]["source"])
    asked = sum(exercises.count(f"\n{i}. ") for i in range(1, 10))
    nb = json.loads(SOLUTION.read_text(encoding="utf-8"))
    answers = [c for c in nb["cells"] if c["cell_type"] == "markdown"
               and "".join(c["source"]).startswith("**Answer.**")]
    assert asked == 3 and len(answers) == asked


def test_solution_runs(monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason="running notebooks needs nbformat")
    nbclient = pytest.importorskip("nbclient", reason="running notebooks needs nbclient")
    pytest.importorskip("ipykernel", reason="running notebooks needs ipykernel")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(SOLUTION, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=CELL_TIMEOUT, kernel_name="python3",
        resources={"metadata": {"path": str(SOLUTION.parent)}})
    client.execute()
