"""Notebook 1's debugger recipe, run as a scripted pdb session from a folder outside the
repository: it reaches the first equation with one `next` and shows every quantity."""

import pathlib
import subprocess
import sys
import textwrap

ROOT = pathlib.Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent("""\
    import numpy as np
    from adam_ref.functional import adam_init, adam_step

    theta = np.array([1.0, -2.0])
    state = adam_init(theta)
    theta, state, trace = adam_step(theta, np.array([0.5, 0.01]), state, lr=0.1)
    print("done", theta)
    """)

# the recipe, as notebook 1 gives it
COMMANDS = ["import adam_ref.functional", "b adam_ref.functional.adam_step", "c", "n", "n",
            "p t", "n", "n", "n", "n", "n", "n", "p m, v", "c"]


def test_the_notebooks_pdb_recipe_works_from_any_folder(tmp_path):
    assert not tmp_path.resolve().is_relative_to(ROOT)
    (tmp_path / "train.py").write_text(SCRIPT)
    result = subprocess.run([sys.executable, "-m", "pdb", "train.py"], cwd=tmp_path,
                            input="\n".join(COMMANDS) + "\n", capture_output=True, text=True,
                            timeout=60)
    out = result.stdout
    assert "Breakpoint 1 at" in out and "adam_ref/functional/adam.py" in out, out
    # stopped on the step's first line (the check), then one `next` reaches t = t + 1
    lines = [line for line in out.splitlines() if line.startswith("-> ")]
    lines = lines[lines.index("-> import numpy as np") + 1:]  # after the script's first line
    assert lines[0].strip() == "-> theta, g, state, lr, beta1, beta2, eps, weight_decay = " \
                               "check(ADAM, locals())", out
    assert lines[1].strip() == "-> t = state.t + 1", out
    assert "\n(Pdb) 1\n" in out, out  # p t after t = state.t + 1 ran
    assert "(array([0.05 , 0.001]), array([2.5e-04, 1.0e-07]))" in out, out  # p m, v
    assert "done [ 0.9       -2.0999999]" in out, out
