"""The worked solutions of lesson 9 run top to bottom in a fresh kernel and are stored clean.

Each answer is computed and checked by ``assert`` cells, so running the notebook is the test;
it is executed in memory with notebooks/ as the working directory, as tests/test_notebooks.py
runs the lessons.
"""

import json
import pathlib

import pytest

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"
SOLUTION = NOTEBOOKS / "solutions" / "09_sgd_to_adam.ipynb"
CELL_TIMEOUT = 120  # seconds; a hung cell fails instead of blocking the suite


def test_solution_is_stored_without_outputs():
    nb = json.loads(SOLUTION.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    codes = [cell for cell in nb["cells"] if cell["cell_type"] == "code"]
    assert codes
    for i, cell in enumerate(codes):
        assert cell["outputs"] == [], f"code cell {i} has stored outputs"
        assert cell["execution_count"] is None, f"code cell {i} has an execution count"


def test_solution_answers_every_exercise_of_the_lesson():
    lesson = json.loads((NOTEBOOKS / SOLUTION.name).read_text(encoding="utf-8"))
    exercises = "".join(lesson["cells"][-1]["source"])
    assert exercises.startswith("## Exercises")
    asked = [line for line in exercises.splitlines() if line[:1].isdigit() and line[1:3] == ". "]
    solution = json.loads(SOLUTION.read_text(encoding="utf-8"))
    text = "".join("".join(cell["source"]) + "\n" for cell in solution["cells"]
                   if cell["cell_type"] == "markdown")
    answered = [line for line in text.splitlines() if line.startswith("## Exercise ")]
    assert len(asked) == 4
    assert answered == [f"## Exercise {i}" for i in range(1, len(asked) + 1)]


def test_solution_runs(monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason="running notebooks needs nbformat")
    nbclient = pytest.importorskip("nbclient", reason="running notebooks needs nbclient")
    pytest.importorskip("ipykernel", reason="running notebooks needs ipykernel")
    monkeypatch.setenv("MPLBACKEND", "Agg")  # the kernel inherits the environment
    nb = nbformat.read(SOLUTION, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=CELL_TIMEOUT, kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError, naming the cell, on the first error
