"""The lesson book: `python -m adam_ref book` builds a static site that works offline, checked
in a real browser (headless Chromium driven by Playwright) and as files.

The book is built once per test session (it runs every lesson). The browser opens each
page over HTTP from 127.0.0.1 and records every request: none may leave the machine or
fail, every equation must be typeset by the site's own MathJax, every image must load.
Where the `book` extra or Chromium is missing, the tests say so and skip.
"""

import base64
import functools
import html.parser
import http.server
import json
import os
import pathlib
import re
import shutil
import sys
import threading

import pytest

from adam_ref import book
from adam_ref.__main__ import main

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("ADAM_REF_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
#: screenshots of the index and two lessons go here when the variable is set
SCREENSHOTS = os.environ.get("ADAM_REF_BOOK_SCREENSHOTS")


def needs_book_extra():
    for name in ("nbconvert", "nbclient", "nbformat", "ipykernel", "jupyter_server_mathjax"):
        pytest.importorskip(name, reason=f'the book needs {name}: pip install "adam_ref[book]"')


# --------------------------------------------------------------------------- one build, served

@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The book of this repository, every edition there is, built once."""
    needs_book_extra()
    out = tmp_path_factory.mktemp("book") / "site"
    code = main(["book", "--out", str(out), "--lang", "all"])
    assert code == 0, "python -m adam_ref book failed"
    return out


@pytest.fixture(scope="session")
def server(site):
    """An HTTP server on 127.0.0.1 (a free port) serving the site, in a thread."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason='the browser test needs playwright: pip install "adam_ref[book]"')
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set "
                    "ADAM_REF_CHROMIUM); `playwright install` is not used")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def pages_of(site):
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if "mathjax" not in p.relative_to(site).parts)


#: run in the page once MathJax is done: what a reader would see that is not typeset
AUDIT = r"""() => {
  const maths = [...document.querySelectorAll('script[type^="math/tex"]')];
  const typeset = maths.filter(s => s.previousElementSibling &&
      /(^| )MathJax(_Display)?( |$)/.test(s.previousElementSibling.className));
  const jax = window.MathJax && MathJax.Hub ? MathJax.Hub.getAllJax() : [];
  const body = document.body.cloneNode(true);
  body.querySelectorAll('script, style, pre, code, .jp-InputArea, .MathJax, .MathJax_Display, '
                        + '.MathJax_Preview, .MJX_Assistive_MathML').forEach(e => e.remove());
  const images = [...document.images].map(i => ({src: i.currentSrc.slice(0, 80),
                                                 ok: i.complete && i.naturalWidth > 0}));
  return {maths: maths.length, typeset: typeset.length,
          errors: jax.filter(j => j.texError).length, text: body.innerText, images};
}"""
RAW_TEX = re.compile(r"\$[^$\n]+\$|\$\$|\\\(|\\\[|\\(?:frac|alpha|beta|theta|hat|sqrt|begin|mathrm|"
                     r"epsilon|lambda|nabla|sum|text)\b")


def visit(browser, url, expect_math):
    """Open ``url``; return (requests, failures, audit) once its math is typeset."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    requests, failures = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("requestfailed", lambda r: failures.append((r.url, r.resource_type, r.failure)))
    page.on("response", lambda r: r.status >= 400 and failures.append((r.url, "", r.status)))
    try:
        page.goto(url, wait_until="load")
        if expect_math:
            page.wait_for_selector("html[data-typeset=done]", state="attached", timeout=60_000)
        page.evaluate("document.fonts.ready.then(() => true)")  # web fonts asked for by now
        page.wait_for_load_state("networkidle")
        audit = page.evaluate(AUDIT)
        return requests, failures, audit, page
    except Exception:
        context.close()
        raise


def local(url, server):
    # about:blank is MathJax's own "MathJax_Blank" @font-face, a probe that never reaches a host
    return url.startswith(server) or url.startswith("data:") or url == "about:blank"


def expected_failure(failure):
    url, kind, _ = failure
    return url == "about:blank" and kind == "font"  # the MathJax_Blank probe, by design


def has_math(site, page):
    """Whether the notebook behind ``page`` has math in its markdown (from the source)."""
    nbformat = pytest.importorskip("nbformat")
    parts = pathlib.PurePosixPath(page).parts
    folder = ROOT / "notebooks"
    if parts[0] == "zh":
        folder, parts = folder / "zh", parts[1:]
    if parts[0] == "solutions":
        folder, parts = folder / "solutions", parts[1:]
    source = folder / (pathlib.PurePosixPath(parts[0]).stem + ".ipynb")
    if not source.exists():  # the index pages
        return False
    return book._has_math(nbformat.read(source, as_version=4))


def test_every_page_is_offline_typeset_and_complete(site, server, browser):
    pages = pages_of(site)
    lessons = [p for p in pages if re.match(r"(zh/)?\d\d_", p)]
    assert len(lessons) == len(book.find_lessons(ROOT, "en")[0]) + len(book.find_lessons(ROOT, "zh")[0])
    shots = {"index.html", lessons[0], lessons[min(3, len(lessons) - 1)]}
    for name in pages:
        math = has_math(site, name)
        requests, failures, audit, page = visit(browser, server + name, math)
        try:
            away = [u for u in requests if not local(u, server)]
            assert away == [], f"{name} requested other hosts: {away}"
            failed = [f for f in failures if not expected_failure(f)]
            assert failed == [], f"{name}: requests failed: {failed}"
            if math:
                assert audit["maths"] > 0, f"{name} has math in its source but no equation"
                assert any(u.startswith(server + "mathjax/") or "/mathjax/" in u for u in requests)
            assert audit["typeset"] == audit["maths"], (
                f"{name}: {audit['maths'] - audit['typeset']} equations were not typeset")
            assert audit["errors"] == 0, f"{name}: {audit['errors']} equations are TeX errors"
            raw = RAW_TEX.findall(audit["text"])
            assert raw == [], f"{name} shows raw TeX: {raw[:5]}"
            if name.endswith("index.html"):
                assert audit["images"], f"{name} has no gallery"
            broken = [i["src"] for i in audit["images"] if not i["ok"]]
            assert broken == [], f"{name}: images did not load: {broken}"
            if SCREENSHOTS and name in shots:
                os.makedirs(SCREENSHOTS, exist_ok=True)
                page.screenshot(path=os.path.join(SCREENSHOTS, name.replace("/", "_") + ".png"),
                                full_page=name == "index.html")
        finally:
            page.context.close()


def test_the_audit_catches_raw_tex_and_untypeset_math(site, server, browser):
    """The checks above can fail: a page whose TeX MathJax never saw, and one TeX error."""
    probe = site / "_probe"
    probe.mkdir(exist_ok=True)
    (probe / "raw.html").write_text(
        "<!DOCTYPE html><html><body><p>the step $\\alpha \\hat m_t$ and \\(x\\)</p>"
        '<script type="math/tex">x^2</script></body></html>', encoding="utf-8")
    (probe / "broken.html").write_text(
        '<!DOCTYPE html><html><head><script type="text/x-mathjax-config">'
        "MathJax.Hub.Config({tex2jax: {inlineMath: [['$','$']]}, messageStyle: 'none'});"
        'MathJax.Hub.Queue(function () { document.documentElement.setAttribute("data-typeset",'
        '"done"); });</script><script src="../mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full">'
        "</script></head><body><p>fine $x_t$, broken $\\frac{1}{$</p><img src='missing.png'>"
        "</body></html>", encoding="utf-8")
    try:
        _, _, audit, page = visit(browser, server + "_probe/raw.html", False)
        page.context.close()
        assert audit["typeset"] < audit["maths"] and RAW_TEX.findall(audit["text"])
        _, failures, audit, page = visit(browser, server + "_probe/broken.html", True)
        page.context.close()
        assert audit["maths"] == audit["typeset"] == 2 and audit["errors"] == 1
        assert [i["ok"] for i in audit["images"]] == [False]
        assert any(f[0].endswith("missing.png") and f[2] == 404 for f in failures)
    finally:
        shutil.rmtree(probe)


# --------------------------------------------------------------------------- the site as files

class Links(html.parser.HTMLParser):
    """Every URL a page loads (src, link href) and every link it has (a href)."""

    def __init__(self):
        super().__init__()
        self.loads, self.links = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "link" and attrs.get("href"):
            self.loads.append(attrs["href"])
        elif attrs.get("src"):
            self.loads.append(attrs["src"])


def test_pages_load_nothing_from_another_host_and_every_link_resolves(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    for name in pages_of(site):
        text = (site / name).read_text(encoding="utf-8")
        assert not re.search(r"url\(\s*['\"]?(https?:)?//|@import", text), name
        parser = Links()
        parser.feed(text)
        for url in parser.loads:
            assert not re.match(r"(https?:)?//", url), f"{name} loads {url}"
        for url in parser.loads + [u for u in parser.links if not re.match(r"[a-z]+:|#", u)]:
            if url.startswith("data:"):
                continue
            target = (site / name).parent / url.split("?")[0].split("#")[0]
            assert target.resolve().is_file(), f"{name} refers to {url}, which is not in the site"
    # the index: every lesson in order, the gallery with its animations
    lessons, solutions = book.find_lessons(ROOT, "en")
    hrefs = re.findall(r'<li><a href="(\d\d_[^"]+)\.html"', index)
    assert hrefs == [p.stem for p in lessons]
    for gif in sorted((ROOT / "figures").glob("*.gif")):
        assert f'src="figures/{gif.name}"' in index
        assert (site / "figures" / gif.name).read_bytes() == gif.read_bytes()
    if not book.find_lessons(ROOT, "zh")[0]:
        assert "Chinese edition is not part of this build" in index
    assert (site / "mathjax" / "MathJax.js").is_file()
    assert json.loads((site / book.MARKER).read_text())["lang"] == "all"


# --------------------------------------------------------------------------- the command's errors

def notebook(cells):
    """A minimal notebook (cells: (kind, source) pairs) as JSON text."""
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [{"cell_type": kind, "id": f"cell-{i}", "metadata": {}, "source": text, **(
            {"outputs": [], "execution_count": None} if kind == "code" else {})}
            for i, (kind, text) in enumerate(cells)]})


@pytest.fixture
def source(tmp_path):
    """A small source tree: two lessons, a solution, a figure; no Chinese edition."""
    root = tmp_path / "src"
    (root / "notebooks" / "solutions").mkdir(parents=True)
    (root / "figures").mkdir()
    shutil.copyfile(ROOT / "figures" / "paths_saddle_anim.gif", root / "figures" / "a_anim.gif")
    (root / "notebooks" / "01_first.ipynb").write_text(notebook([
        ("markdown", "# 1. First\n\nThe step $\\alpha$.\n\n![the saddle](../figures/a_anim.gif)"),
        ("code", "print(1 + 1)")]))
    (root / "notebooks" / "02_second.ipynb").write_text(notebook([
        ("markdown", "# 2. Second"), ("code", "x = 2")]))
    (root / "notebooks" / "solutions" / "01_first_solutions.ipynb").write_text(notebook([
        ("markdown", "# Solutions to 1"), ("code", "assert 1 + 1 == 2")]))
    return root


def run_book(capsys, *argv):
    code = main(["book", *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_zh_without_a_chinese_edition_says_so_in_one_line(source, tmp_path, capsys):
    needs_book_extra()
    code, _, err = run_book(capsys, "--out", str(tmp_path / "out"), "--lang", "zh",
                            "--source", str(source))
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "no Chinese lessons" in err and "notebooks/zh" in err
    assert not (tmp_path / "out").exists()


def test_a_source_without_lessons_says_so(tmp_path, capsys):
    needs_book_extra()
    code, _, err = run_book(capsys, "--out", str(tmp_path / "out"), "--source", str(tmp_path))
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert f"no lessons: {tmp_path / 'notebooks'} has no NN_*.ipynb" in err
    assert not (tmp_path / "out").exists()


def test_a_missing_extra_names_the_install_command(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "nbconvert", None)  # import nbconvert raises ImportError
    code, _, err = run_book(capsys, "--out", str(tmp_path / "out"))
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert 'pip install "adam_ref[book]"' in err and "nbconvert" in err


def test_a_folder_that_is_not_a_book_is_left_alone(source, tmp_path, capsys):
    needs_book_extra()
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    code, _, err = run_book(capsys, "--out", str(out), "--source", str(source))
    assert code == 1 and "not a book" in err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    code, _, err = run_book(capsys, "--out", str(out / "notes.txt" / "book"), "--source", str(source))
    assert code == 1 and "notes.txt' is a file, not a folder" in err
    assert (out / "notes.txt").read_text() == "mine"


def test_a_failing_lesson_stops_the_build_and_keeps_the_last_book(source, tmp_path, capsys):
    needs_book_extra()
    out = tmp_path / "out"
    code, stdout, _ = run_book(capsys, "--out", str(out), "--source", str(source), "--jobs", "1")
    assert code == 0 and "wrote 4 pages" in stdout
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (source / "notebooks" / "02_second.ipynb").write_text(notebook([
        ("markdown", "# 2. Second"), ("code", "raise ValueError('theta went NaN')")]))
    code, _, err = run_book(capsys, "--out", str(out), "--source", str(source))
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "02_second.ipynb failed: ValueError: theta went NaN" in err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging left


def test_a_broken_notebook_file_is_named_in_one_line(source, tmp_path, capsys):
    needs_book_extra()
    (source / "notebooks" / "02_second.ipynb").write_text('{"cells": [')
    code, _, err = run_book(capsys, "--out", str(tmp_path / "out"), "--source", str(source))
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "02_second.ipynb is not a readable notebook" in err
    assert not (tmp_path / "out").exists()


def test_an_image_that_is_not_there_stops_the_build(source, tmp_path, capsys):
    needs_book_extra()
    (source / "figures" / "a_anim.gif").unlink()
    code, _, err = run_book(capsys, "--out", str(tmp_path / "out"), "--source", str(source))
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "01_first.ipynb shows the image '../figures/a_anim.gif'" in err
    assert not (tmp_path / "out").exists()


def test_solutions_and_both_editions_are_built_and_linked(source, tmp_path, capsys):
    needs_book_extra()
    zh = source / "notebooks" / "zh"
    zh.mkdir()
    (zh / "01_first.ipynb").write_text(notebook([("markdown", "# 1. 第一课\n\n步长 $\\alpha$。"),
                                                 ("code", "print('好')")]))
    (source / "figures" / "zh").mkdir()
    shutil.copyfile(source / "figures" / "a_anim.gif", source / "figures" / "zh" / "b_anim.gif")
    out = tmp_path / "out"
    code, stdout, _ = run_book(capsys, "--out", str(out), "--lang", "all", "--source", str(source))
    assert code == 0
    assert pages_of(out) == ["01_first.html", "02_second.html", "index.html",
                             "solutions/01_first_solutions.html", "zh/01_first.html",
                             "zh/index.html"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<a href="solutions/01_first_solutions.html">' in index
    assert '<a href="zh/index.html">中文版</a>' in index
    assert "not part of this build" not in index
    zh_index = (out / "zh" / "index.html").read_text(encoding="utf-8")
    assert '<a href="01_first.html">1. 第一课</a>' in zh_index
    assert 'src="figures/b_anim.gif"' in zh_index and 'href="../index.html"' in zh_index
    lesson = (out / "zh" / "01_first.html").read_text(encoding="utf-8")
    assert 'src="../mathjax/MathJax.js' in lesson and "好" in lesson
    first = (out / "01_first.html").read_text(encoding="utf-8")
    assert "solutions/01_first_solutions.html" in first and "02_second.html" in first
    # the markdown's ../figures/ image travels inside the page
    gif = base64.b64encode((source / "figures" / "a_anim.gif").read_bytes()).decode()
    assert f'alt="the saddle" src="data:image/gif;base64,{gif}"' in first
    # the Chinese gallery: figures/zh/ first, the English figure where there is no Chinese one
    assert 'src="figures/a_anim.gif"' in zh_index and (out / "zh" / "figures" / "a_anim.gif").is_file()
    solution = (out / "solutions" / "01_first_solutions.html").read_text(encoding="utf-8")
    assert 'src="../mathjax/MathJax.js' in solution and 'href="../index.html"' in solution
    # --lang zh alone: the Chinese edition at the top of the site
    code, _, _ = run_book(capsys, "--out", str(out), "--lang", "zh", "--source", str(source))
    assert code == 0 and pages_of(out) == ["01_first.html", "index.html"]
    assert 'lang="zh-Hans"' in (out / "index.html").read_text(encoding="utf-8")
