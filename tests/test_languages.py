"""The figures in another language: one table of strings per language, the language setting
and its font, the Chinese figures (`figures --lang zh`), and the message without the font."""

import hashlib
import json
import os
import pathlib
import re
import subprocess
import sys

import matplotlib
import pytest
from _zh import CJK, HAVE_FONT, needs_font
from matplotlib import ft2font

from adam_ref import _text, plots
from adam_ref.__main__ import main, versions
from adam_ref.figures import ANIMATIONS, FIGURES
from adam_ref.objectives import (Beale, NoisyQuadratic, Quadratic, Rosenbrock, Saddle,
                                 SparseQuadratic)

ROOT = pathlib.Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "figures" / "zh"
CHEAP = ["ema_kernels", "bias_correction_runs", "paths_saddle", "paths_saddle_anim"]
PLACEHOLDER = re.compile(r"\{([A-Za-z_]\w*)(?::[^{}]*)?\}")

#: words that stay as they are in every language: names of methods, classes, arguments, people
NAMES = {"Adam", "AMSGrad", "AdamW", "SGD", "RMSprop", "Reddi", "Rosenbrock", "Beale", "Bernoulli",
         "TF", "Keras", "StepLR", "CosineAnnealingLR", "LinearLR", "ReduceLROnPlateau", "L2", "eig",
         "mod", "sign"}


def sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


@pytest.fixture(autouse=True)
def english_after():
    """Every test leaves the figures in English, as it found them."""
    yield
    plots.use_language("en")


def words_outside_math(string):
    """The Latin words of ``string`` outside $…$ and placeholders, leaving out single letters
    (symbols: g, m, K) and identifiers with an underscore (x_t, weight_decay)."""
    plain = re.sub(r"\$[^$]*\$", " ", string)
    plain = PLACEHOLDER.sub(" ", plain)
    return [word for word in re.findall(r"[A-Za-z_][A-Za-z_0-9]*", plain)
            if len(word) > 1 and "_" not in word]


# --------------------------------------------------------------------------- the tables

def test_every_table_has_the_same_keys_and_placeholders():
    english = _text.TEXT["en"]
    assert len(_text.TEXT) >= 2
    for lang, table in _text.TEXT.items():
        assert set(table) == set(english), (lang, set(table) ^ set(english))
        for key, string in table.items():
            assert isinstance(string, str) and string, (lang, key)
            assert sorted(set(PLACEHOLDER.findall(string))) == \
                sorted(set(PLACEHOLDER.findall(english[key]))), (lang, key)
            assert string.count("$") % 2 == 0, f"{lang} {key}: an unclosed $…$"


def test_every_figure_has_a_description_in_every_language():
    for table in _text.TEXT.values():
        assert {key[5:] for key in table if key.startswith("list.")} == set(FIGURES)


def test_no_chinese_string_is_left_in_english():
    english = _text.TEXT["en"]
    for key, string in _text.TEXT["zh"].items():
        left = [word for word in words_outside_math(string) if word not in NAMES]
        assert not left, f"zh {key!r} still has English words {left}: {string!r}"
        if [w for w in words_outside_math(english[key]) if w not in NAMES]:
            assert CJK.search(string), f"zh {key!r} is not translated: {string!r}"


def test_fill_replaces_only_the_placeholders_it_is_given():
    template = r"$\alpha_t = {alpha:g}/\sqrt{t}$, $\theta_{{i}}$, $\mathrm{E}[R_t]$, {n} steps"
    assert _text.fill(template, {"alpha": 0.5, "i": 2, "n": 7}) == \
        r"$\alpha_t = 0.5/\sqrt{t}$, $\theta_{2}$, $\mathrm{E}[R_t]$, 7 steps"
    assert _text.fill(template, {}) == template


@pytest.mark.parametrize("objective", [Rosenbrock(), Beale(), Saddle(), Quadratic((1.0, 0.1)),
                                       Quadratic((1.0, 0.1), angle=0.5),
                                       Quadratic((1.0,), name="1-D quadratic"),
                                       NoisyQuadratic(seed=1),
                                       SparseQuadratic(probabilities=(0.5, 0.05), seed=4)],
                         ids=lambda o: o.name)
def test_objectives_are_described_in_each_language(objective):
    assert _text.describe("en", objective) == repr(objective)
    chinese = _text.describe("zh", objective)
    assert CJK.search(chinese)
    assert chinese.split("：", 1)[1].replace("，随机种子 ", ", seed ").replace(
        "，旋转 ", ", rotated by ") == repr(objective).split(": ", 1)[1]  # the formula is kept
    name = chinese.split("：", 1)[0]
    assert not [w for w in words_outside_math(name) if w not in NAMES], name


# --------------------------------------------------------------------------- wrapping

@pytest.mark.parametrize("lang", _text.LANGUAGES)
def test_titles_wrap_without_breaking_a_formula(lang):
    for key, string in _text.TEXT[lang].items():
        string = _text.fill(string, {"objective": "f", "settings": r"$\alpha$=0.1"})
        for part in string.split("\n"):
            for width in (20, 40, 80):
                lines = plots._wrap(part, width)
                assert lines.replace("\n", "").replace(" ", "") == part.replace(" ", ""), key
                for i, line in enumerate(lines.split("\n")):
                    assert line.count("$") % 2 == 0, (key, line)
                    assert i == 0 or line[0] not in "，。：；）", (key, line)  # a break before


def test_a_cjk_character_counts_twice_and_lines_break_between_them():
    lines = plots._wrap("一阶矩估计" * 10, 20).split("\n")
    assert len(lines) == 5 and {len(line) for line in lines} == {10}
    text = " ".join(["the quick brown fox jumps over the lazy dog"] * 3)
    lines = plots._wrap(text, 30).split("\n")
    assert " ".join(lines) == text and all(len(line) <= 30 for line in lines)
    assert all(len(line) + len(following.split(" ")[0]) + 1 > 30  # each line as full as it can be
               for line, following in zip(lines, lines[1:]))


# --------------------------------------------------------------------------- the setting

def test_use_language_rejects_an_unknown_language_and_changes_nothing():
    for bad in ("fr", None, 1, "ZH"):
        with pytest.raises(ValueError, match="lang must be one of en, zh"):
            plots.use_language(bad)
        assert plots.language() == "en"


@needs_font
def test_plot_functions_default_texts_follow_the_language():
    assert plots.use_language("zh") == "en"
    (ax,) = plots.plot_ema_kernels(betas=(0.5,), k_max=10).axes
    assert ax.get_xlabel() == _text.TEXT["zh"]["ema.xlabel"]
    assert ax.get_ylabel() == _text.TEXT["zh"]["ema.ylabel"]
    # a title passed in is drawn as given
    fig = plots.plot_bias_correction(steps=20)
    assert fig.axes[0].get_ylabel() == _text.TEXT["zh"]["bias.ylabel"]
    assert plots.use_language("en") == "zh"
    (ax,) = plots.plot_ema_kernels(betas=(0.5,), k_max=10).axes
    assert ax.get_xlabel() == "$k$ (steps back)"


@needs_font
def test_the_chinese_font_comes_first_and_english_puts_back_what_was_there():
    before = dict(matplotlib.rcParams)
    plots.use_language("zh")
    assert plots.style()["font.family"][0] == plots.FONTS["zh"][1]
    assert "font.family" not in plots.STYLE
    # a figure drawn outside adam_ref.plots (a lesson's own legend) gets the font too
    assert matplotlib.rcParams["font.family"][0] == plots.FONTS["zh"][1]
    plots.plot_ema_kernels(betas=(0.5,), k_max=10)
    plots.use_language("zh")  # twice: still restored to what was there before the first
    plots.use_language("en")
    assert dict(matplotlib.rcParams) == before
    assert plots.style() == plots.STYLE


@needs_font
def test_a_figure_of_ones_own_renders_chinese_without_a_missing_glyph(recwarn):
    import matplotlib.figure
    plots.use_language("zh")
    try:
        fig = matplotlib.figure.Figure()
        ax = fig.subplots()
        ax.plot([0, 1], [0, 1], label="最小值点：起点")
        ax.legend()
        fig.canvas.draw()  # Agg: a missing glyph would warn here
    finally:
        plots.use_language("en")
    assert not [w for w in recwarn if "missing from font" in str(w.message)]


def test_without_the_font_use_language_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "noto_cjk_sans_otc", None)  # import fails
    monkeypatch.setattr(plots, "_fonts", {})
    with pytest.raises(plots.LanguageUnavailable, match=r'pip install "adam_ref\[zh\]"'):
        plots.use_language("zh")
    assert plots.language() == "en"


def test_without_the_font_the_command_exits_1_with_one_line(tmp_path):
    # a fresh environment without the extra: the font package cannot be imported
    blocker = tmp_path / "block" / "noto_cjk_sans_otc"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('not installed')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "block"), str(ROOT)])}
    done = subprocess.run([sys.executable, "-m", "adam_ref", "figures", "--lang", "zh", "--only",
                           "ema_kernels", "--out", str(tmp_path / "out")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("adam-ref figures: ")
    assert 'pip install "adam_ref[zh]"' in done.stderr
    assert not (tmp_path / "out").exists()


@needs_font
def test_list_in_chinese(capsys):
    assert main(["figures", "--lang", "zh", "--list"]) == 0
    out = capsys.readouterr().out
    for name in FIGURES:
        assert f"{name} " in out and _text.TEXT["zh"][f"list.{name}"] in out
    assert plots.language() == "en"


def test_an_unknown_language_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["figures", "--lang", "fr", "--list"])
    assert exit_info.value.code == 2 and "--lang" in capsys.readouterr().err


# --------------------------------------------------------------------------- the Chinese figures

@pytest.fixture(scope="module")
def chinese_run(tmp_path_factory):
    """Every figure in Chinese, written by the command with warnings turned into errors."""
    if not HAVE_FONT:
        pytest.skip('the zh extra is not installed (pip install "adam_ref[zh]")')
    out = tmp_path_factory.mktemp("zh")
    done = subprocess.run([sys.executable, "-W", "error", "-m", "adam_ref", "figures", "--lang",
                           "zh", "--out", str(out)], cwd=out, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return out, done


def test_every_chinese_figure_is_written_without_a_glyph_warning(chinese_run):
    out, done = chinese_run
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no "Glyph … missing", no mathtext "dummy symbol"
    expected = sorted(f"{n}.{'gif' if n in ANIMATIONS else 'png'}" for n in FIGURES)
    assert sorted(p.name for p in out.iterdir()) == sorted(expected + ["MANIFEST.json"])
    manifest = json.loads((out / "MANIFEST.json").read_text(encoding="utf-8"))
    assert manifest["command"] == "python -m adam_ref figures --lang zh"
    assert manifest["versions"]["noto-cjk-sans-otc"]


def test_a_second_chinese_run_is_byte_identical(chinese_run, tmp_path):
    out, _ = chinese_run
    assert main(["figures", "--lang", "zh", "--only", *CHEAP, "--out", str(tmp_path)]) == 0
    for path in (tmp_path / f"{n}.{'gif' if n in ANIMATIONS else 'png'}" for n in CHEAP):
        assert path.read_bytes() == (out / path.name).read_bytes(), path.name
    assert plots.language() == "en"


def test_the_chinese_figures_differ_from_the_english_ones(tmp_path):
    if not HAVE_FONT:
        pytest.skip('the zh extra is not installed (pip install "adam_ref[zh]")')
    assert main(["figures", "--only", "ema_kernels", "--out", str(tmp_path / "en")]) == 0
    assert main(["figures", "--lang", "zh", "--only", "ema_kernels", "--out",
                 str(tmp_path / "zh")]) == 0
    assert sha256(tmp_path / "en" / "ema_kernels.png") != sha256(tmp_path / "zh" /
                                                                 "ema_kernels.png")


def committed_manifest():
    path = COMMITTED / "MANIFEST.json"
    if not path.exists():
        pytest.fail("figures/zh/MANIFEST.json is missing: run `python -m adam_ref figures --lang zh`")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if not HAVE_FONT:
        pytest.skip('the zh extra is not installed (pip install "adam_ref[zh]")')
    ours = {key: value for key, value in versions("zh").items() if key != "adam_ref"}
    recorded = {key: manifest["versions"].get(key) for key in ours}
    if recorded != ours:
        pytest.skip(f"figures/zh/MANIFEST.json was written with {recorded}, this environment has "
                    f"{ours}: rendering may differ by a pixel, so bytes are not compared")
    return manifest


def test_every_chinese_figure_is_committed_with_its_hash():
    manifest = committed_manifest()
    assert sorted(manifest["files"]) == sorted(
        f"{name}.{'gif' if name in ANIMATIONS else 'png'}" for name in FIGURES)
    for name, digest in manifest["files"].items():
        assert sha256(COMMITTED / name) == digest, f"figures/zh/{name} differs from MANIFEST.json"


def test_committed_chinese_figures_are_what_the_command_writes(chinese_run):
    manifest = committed_manifest()
    out, done = chinese_run
    assert done.returncode == 0, done.stderr
    stale = [name for name, digest in manifest["files"].items() if sha256(out / name) != digest]
    assert not stale, f"figures/zh/{stale} are stale: run `python -m adam_ref figures --lang zh`"


def test_the_english_figures_do_not_need_the_font(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "noto_cjk_sans_otc", None)
    monkeypatch.setattr(plots, "_fonts", {})
    assert main(["figures", "--only", "ema_kernels", "--out", str(tmp_path)]) == 0
    manifest = json.loads((tmp_path / "MANIFEST.json").read_text())
    assert "noto-cjk-sans-otc" not in manifest["versions"]
    assert manifest["versions"]["freetype"] == ft2font.__freetype_version__
    assert (tmp_path / "ema_kernels.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
