"""The worked solutions of lesson 10 are stored clean and run top to bottom in a fresh kernel.

Each answer is computed in the notebook and checked by its own ``assert`` cells, so running it
is the test (as tests/test_notebooks.py does for the lessons).
"""

import json
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "notebooks" / "solutions" / "10_warmup_radam.ipynb"
LESSON = ROOT / "notebooks" / "10_warmup_radam.ipynb"


def test_the_solutions_answer_every_exercise_of_the_lesson():
    lesson = json.loads(LESSON.read_text(encoding="utf-8"))
    solution = json.loads(SOLUTION.read_text(encoding="utf-8"))
    exercises = "".join(lesson["cells"][-1]["source"]).split("## Exercises", 1)[1]
    asked = sum(1 for line in exercises.splitlines() if line[:3] in {f"{i}. " for i in range(1, 10)})
    answered = sum(1 for cell in solution["cells"] if cell["cell_type"] == "markdown"
                   and any(line.startswith("## Exercise ") for line in cell["source"]))
    assert asked == answered == 4


def test_solutions_are_stored_without_outputs():
    nb = json.loads(SOLUTION.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"cell {i} has stored outputs"
            assert cell["execution_count"] is None, f"cell {i} has an execution count"


def test_solutions_run(monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason="running notebooks needs nbformat")
    nbclient = pytest.importorskip("nbclient", reason="running notebooks needs nbclient")
    pytest.importorskip("ipykernel", reason="running notebooks needs ipykernel")
    monkeypatch.setenv("MPLBACKEND", "Agg")  # the kernel inherits the environment
    nb = nbformat.read(SOLUTION, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3",
        resources={"metadata": {"path": str(SOLUTION.parent)}})
    client.execute()  # raises CellExecutionError, naming the cell, on the first error
