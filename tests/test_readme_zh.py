"""README.zh.md says what README.md says: the same Quick start commands, the same lessons (in
notebooks/zh/), every Chinese figure, and a link to it at the top of README.md."""

import re
from pathlib import Path

from adam_ref.figures import ANIMATIONS, FIGURES

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
README_ZH = (ROOT / "README.zh.md").read_text(encoding="utf-8")


def first_block_after(text, heading):
    section = text.split(heading, 1)[1]
    return re.search(r"```\w*\n(.*?)```", section, flags=re.S).group(1)


def test_readme_links_the_chinese_readme_at_the_top():
    top = README.split("\n## ", 1)[0]
    assert "](README.zh.md)" in top
    assert "](README.md)" in README_ZH.split("\n## ", 1)[0]


def test_the_quick_start_commands_are_the_same():
    assert first_block_after(README_ZH, "## 快速开始") == first_block_after(README, "## Quick start")


def test_the_lessons_are_the_english_lessons_in_notebooks_zh():
    english = re.findall(r"\]\(notebooks/(\d\d_\w+)\.ipynb\)", README)
    chinese = re.findall(r"\]\(notebooks/zh/(\d\d_\w+)\.ipynb\)", README_ZH)
    assert english and chinese == english
    assert all((ROOT / "notebooks" / f"{name}.ipynb").exists() for name in english)


def test_the_gallery_shows_every_chinese_figure_and_they_exist():
    shown = re.findall(r"!\[[^\]]*\]\((figures/zh/[^)\s]+)\)", README_ZH)
    assert sorted(shown) == sorted(
        f"figures/zh/{name}.{'gif' if name in ANIMATIONS else 'png'}" for name in FIGURES)
    missing = [link for link in shown if not (ROOT / link).exists()]
    assert not missing, f"README.zh.md shows figures that do not exist: {missing}"


def test_the_errors_table_has_a_row_for_each_english_row():
    def rows(text, heading):
        section = text.split(heading, 1)[1].split("\n## ", 1)[0]
        return [line for line in section.splitlines() if line.startswith("| ")][1:]  # no header

    english, chinese = rows(README, "## Errors you may meet"), rows(README_ZH, "## 可能遇到的错误")
    # the same error messages, quoted as the code writes them, in the same order
    first = [re.findall(r"`([^`]+)`", row.split(" | ")[0])[:1] for row in english]
    found = [re.findall(r"`([^`]+)`", row.split(" | ")[0])[:1] for row in chinese]
    assert [f for f in first if f] == [f for f in found if f and f in first]
    assert len(chinese) >= len(english)
