"""What the README shows is what the code does."""

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", README, flags=re.S)


def python_blocks():
    """Each ```python block, with the ```text block right after it (its printed output), if any."""
    out = []
    for i, (lang, code) in enumerate(BLOCKS):
        if lang == "python":
            shown = BLOCKS[i + 1][1] if i + 1 < len(BLOCKS) and BLOCKS[i + 1][0] == "text" else None
            out.append((code, shown))
    return out


@pytest.mark.parametrize("code,shown", python_blocks(),
                         ids=[f"block{i}" for i in range(len(python_blocks()))])
def test_python_blocks_run_and_print_what_the_readme_shows(code, shown, monkeypatch):
    monkeypatch.chdir(ROOT)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})
    if shown is not None:
        assert printed.getvalue().strip() == shown.strip()


def test_quick_start_is_one_block_of_commands():
    section = README.split("## Quick start", 1)[1]
    lang, block = re.search(r"```(\w*)\n(.*?)```", section, flags=re.S).groups()
    commands = [line for line in block.splitlines() if line.strip()]
    assert any("pip install" in c for c in commands)
    assert any("adam_ref figures" in c for c in commands)
    assert any("pytest" in c for c in commands)


def test_every_linked_file_exists():
    links = re.findall(r"\]\(((?:figures|notebooks|examples|bench)/[^)\s]+)\)", README)
    assert links, "the README links no figures, notebooks or examples"
    missing = [link for link in links if not (ROOT / link).exists()]
    assert not missing, f"README links files that do not exist: {missing}"
