"""The lesson notebooks and their worked solutions run top to bottom in a fresh kernel
and are stored clean.

Each notebook checks its own claims with ``assert`` cells, so running it is the test.
The notebook is executed in memory (nothing is written back) with its own folder as
the working directory and matplotlib's non-interactive Agg backend.
"""

import importlib.util
import json
import pathlib
import re

import pytest

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("*.ipynb"))
SOLUTIONS = sorted((NOTEBOOKS / "solutions").glob("*.ipynb"))
ZH = sorted((NOTEBOOKS / "zh").glob("*.ipynb"))  # the Chinese edition of each lesson
PATHS = LESSONS + SOLUTIONS + ZH
#: the one line by which a Chinese lesson's code differs from its English twin
ZH_SETUP = 'from adam_ref.plots import use_language; use_language("zh")'
CELL_TIMEOUT = 120  # seconds; a hung cell fails instead of blocking the suite
NAME = re.compile(r"^(\d\d)_[a-z0-9_]+\.ipynb$")


def number(path):
    return int(NAME.match(path.name).group(1))


def node_id(path):
    return f"{path.parent.name}/{path.stem}" if path.parent != NOTEBOOKS else path.stem


def code_cells(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(cell["source"]) for cell in nb["cells"] if cell["cell_type"] == "code"]


def test_every_lesson_has_its_chinese_twin():
    assert [p.name for p in ZH] == [p.name for p in LESSONS]


@pytest.mark.parametrize("path", ZH, ids=node_id)
def test_a_chinese_lesson_runs_the_same_code_as_its_english_twin(path):
    """The same code cells, apart from one setup line that picks the language."""
    chinese = code_cells(path)
    setup = [i for i, cell in enumerate(chinese) if ZH_SETUP in cell.splitlines()]
    assert len(setup) == 1, f"the line {ZH_SETUP!r} must stand in exactly one code cell"
    lines = chinese[setup[0]].splitlines()
    lines.remove(ZH_SETUP)
    chinese[setup[0]] = "\n".join(lines)
    chinese = [cell for cell in chinese if cell.strip()]
    assert chinese == code_cells(NOTEBOOKS / path.name)


def test_lessons_are_numbered():
    """Every lesson is NN_name.ipynb with its own number; lessons 1 to 8 all exist."""
    assert all(NAME.match(p.name) for p in LESSONS), [p.name for p in LESSONS]
    numbers = [number(p) for p in LESSONS]
    assert len(numbers) == len(set(numbers)), "two lessons share a number"
    assert set(range(1, 9)) <= set(numbers)
    assert min(numbers) == 1


def has_exercises(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return any(cell["cell_type"] == "markdown" and "## Exercises" in "".join(cell["source"])
               for cell in nb["cells"])


def test_each_lesson_with_exercises_has_one_solution_notebook():
    assert all(NAME.match(p.name) for p in SOLUTIONS), [p.name for p in SOLUTIONS]
    lessons = {p.name for p in LESSONS if has_exercises(p)}
    assert {p.name for p in SOLUTIONS} == lessons


def markdown_lines(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [line for cell in nb["cells"] if cell["cell_type"] == "markdown"
            for line in "".join(cell["source"]).splitlines()]


@pytest.mark.parametrize("path", SOLUTIONS, ids=node_id)
def test_a_solution_answers_every_exercise_in_order(path):
    lesson = markdown_lines(NOTEBOOKS / path.name)
    exercises = lesson[lesson.index("## Exercises") + 1:]
    asked = [line for line in exercises if re.match(r"\d+\. ", line)]
    answered = [int(m.group(1)) for line in markdown_lines(path)
                if (m := re.match(r"## Exercise (\d+)\b", line))]
    assert asked and answered == list(range(1, len(asked) + 1))


@pytest.mark.parametrize("path", LESSONS, ids=node_id)
def test_lesson_ends_with_key_points_before_its_exercises(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    headings = [line for cell in nb["cells"] if cell["cell_type"] == "markdown"
                for line in "".join(cell["source"]).splitlines() if line.startswith("## ")]
    assert "## Key points" in headings
    if "## Exercises" in headings:
        assert headings.index("## Key points") == headings.index("## Exercises") - 1


@pytest.mark.parametrize("path", PATHS, ids=node_id)
def test_notebook_is_stored_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"cell {i} has stored outputs"
            assert cell["execution_count"] is None, f"cell {i} has an execution count"


@pytest.mark.parametrize("path", PATHS, ids=node_id)
def test_notebook_runs(path, monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason="running notebooks needs nbformat")
    nbclient = pytest.importorskip("nbclient", reason="running notebooks needs nbclient")
    pytest.importorskip("ipykernel", reason="running notebooks needs ipykernel")
    if path in ZH:
        from adam_ref.plots import FONTS
        if importlib.util.find_spec(FONTS["zh"][0]) is None:
            pytest.skip('the Chinese lessons need the CJK font: pip install "adam_ref[zh]"')
    monkeypatch.setenv("MPLBACKEND", "Agg")  # the kernel inherits the environment
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=CELL_TIMEOUT, kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError, naming the cell, on the first error
