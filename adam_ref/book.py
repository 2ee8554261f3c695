r"""``python -m adam_ref book``: the lessons as a static web site that works offline.

    adam-ref book [--out DIR] [--lang en|zh|all] [--jobs N] [--source DIR]

Every lesson (``notebooks/NN_*.ipynb``), every solution
(``notebooks/solutions/*.ipynb``) and, with ``--lang zh`` or ``all``, the Chinese
edition (``notebooks/zh/``) is run top to bottom in a fresh kernel and exported
with nbconvert's HTML exporter; an index page lists the lessons in order and
shows the figure gallery, animations included. The site is a folder of static
files: every script, style sheet, figure and font is in it, and pages refer to
one another by relative URLs, so it opens from any web server, from GitHub
Pages or from the disk, without a network. The math is typeset by the MathJax
that the ``jupyter-server-mathjax`` package ships, copied into ``DIR/mathjax``.

Needs the ``book`` extra: ``pip install "adam_ref[book]"``.
"""

import base64
import concurrent.futures
import html
import json
import mimetypes
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

__all__ = ["BookError", "build_book", "find_lessons", "main"]

ROOT = pathlib.Path(__file__).resolve().parents[1]
MARKER = ".adam_ref_book"  # names a folder this command wrote (and may replace)
CELL_TIMEOUT = 300  # seconds per cell
LANGS = ("en", "zh")

#: where a page may load something from: its own folder tree (relative URLs) or data: URLs
_REMOTE = re.compile(r"""(?:<(?:script|link|img|iframe|source|video|audio|embed|object)\b[^>]*?\b"""
                     r"""(?:src|href|data)\s*=\s*["']?\s*(?:https?:)?//)|"""
                     r"""(?:url\(\s*["']?\s*(?:https?:)?//)|(?:@import\s+["']?\s*(?:https?:)?//)""",
                     re.IGNORECASE)

TEXT = {
    "en": {
        "title": "adam_ref: the lessons",
        "about": (
            "<p><strong>adam_ref</strong> is a pure-NumPy, autograd-free reference implementation of "
            "Adam (and AMSGrad, AdamW, SGD, RMSprop, Adamax, Adagrad, Adadelta, NAdam, RAdam) "
            "that does what PyTorch's <code>torch.optim</code> does, with every quantity of "
            "Kingma &amp; Ba's Algorithm 1 &mdash; <em>m</em>, <em>v</em>, their bias corrections, "
            "the step &mdash; as a named array you can print, plot and step through.</p>"
            "<p>The lessons below were run top to bottom when this book was built; every figure "
            "and number on their pages is the output of that run. Each lesson checks its own "
            "claims with <code>assert</code> cells.</p>"),
        "lessons": "Lessons", "solutions": "Solutions", "gallery": "Figure gallery",
        "animations": "Animations", "figures": "Figures", "index": "Contents",
        "previous": "previous", "next": "next", "solution_of": "solution",
        "other": "中文版", "built": "Built by <code>python -m adam_ref book</code> on {date}.",
        "no_zh": ("The Chinese edition is not part of this build: the source has no Chinese "
                  "lessons (<code>notebooks/zh/</code>)."),
    },
    "zh": {
        "title": "adam_ref：课程",
        "about": (
            "<p><strong>adam_ref</strong> 是 Adam（以及 AMSGrad、AdamW、SGD、RMSprop、Adamax、"
            "Adagrad、Adadelta、NAdam、RAdam）"
            "的纯 NumPy 参考实现，不依赖自动微分，行为与 PyTorch 的 <code>torch.optim</code> 一致。"
            "Kingma 与 Ba 的算法 1 中的每个量——<em>m</em>、<em>v</em>、它们的偏差修正、更新步——"
            "都是一个有名字的数组，可以打印、作图、逐步调试。</p>"
            "<p>下面的课程在构建本书时从头到尾运行过一遍；页面上的每张图、每个数字都是那次运行的输出。"
            "每节课都用 <code>assert</code> 单元格检验自己的结论。</p>"),
        "lessons": "课程", "solutions": "习题解答", "gallery": "图集",
        "animations": "动画", "figures": "图", "index": "目录",
        "previous": "上一节", "next": "下一节", "solution_of": "解答",
        "other": "English", "built": "由 <code>python -m adam_ref book</code> 构建于 {date}。",
        "no_zh": "",
    },
}

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC",
       "PingFang SC", "Microsoft YaHei", sans-serif; max-width: 64rem; margin: 0 auto;
       padding: 1rem 1.5rem 3rem; line-height: 1.5; color: #1a1a1a; }
h1 { font-size: 1.8rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #ddd; }
ol.lessons li { margin: 0.3rem 0; }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(18rem, 1fr)); gap: 1rem; }
.gallery figure { margin: 0; border: 1px solid #ddd; border-radius: 4px; padding: 0.5rem; }
.gallery img { width: 100%; height: auto; }
.gallery figcaption { font-size: 0.85rem; color: #444; }
.gallery code { font-size: 0.8rem; }
nav.book { font-family: system-ui, sans-serif; font-size: 0.9rem; padding: 0.5rem 1rem;
           border-bottom: 1px solid #ddd; display: flex; gap: 1.5rem; flex-wrap: wrap; }
footer { margin-top: 3rem; font-size: 0.8rem; color: #666; }
"""

#: nbconvert's lab template with every remote URL taken out: no require.js, no widget or
#: mermaid loaders, and the packaged MathJax from the site folder; a navigation bar on top
TEMPLATE = r"""{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_js_mathjax -%}
<script type="text/x-mathjax-config">
MathJax.Hub.Config({
  TeX: { equationNumbers: { autoNumber: "AMS", useLabelIds: true } },
  tex2jax: { inlineMath: [ ['$','$'], ["\\(","\\)"] ], displayMath: [ ['$$','$$'], ["\\[","\\]"] ],
             processEscapes: true, processEnvironments: true },
  displayAlign: 'center', messageStyle: 'none', showMathMenu: false,
  "HTML-CSS": { availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null,
                linebreaks: { automatic: true } },
  MathMenu: { showFontMenu: false, showRenderer: false, showLocale: false }
});
MathJax.Hub.Queue(function () { document.documentElement.setAttribute("data-typeset", "done"); });
</script>
<script src="{{ resources.book_mathjax_url }}"></script>
{%- endblock html_head_js_mathjax -%}
{%- block html_head_css -%}<style type="text/css">{{ resources.book_css }}</style>{%- endblock html_head_css -%}
{%- block body_header -%}
{{ super() }}
<nav class="book">{{ resources.book_nav }}</nav>
{%- endblock body_header -%}
"""

NAV_CSS = """
nav.book { font-family: system-ui, sans-serif; font-size: 0.9rem; padding: 0.5rem 1rem;
           border-bottom: 1px solid #ddd; display: flex; gap: 1.5rem; flex-wrap: wrap; }
/* MathJax's hidden MathML copy (for screen readers) names the TeX web fonts, which the
   packaged MathJax does not ship: a system font keeps the browser from asking for them */
.MJX_Assistive_MathML, .MJX_Assistive_MathML * { font-family: serif !important; }
"""


class BookError(Exception):
    """A reason the book cannot be built, said in one line."""


# --------------------------------------------------------------------------- what is there

def find_lessons(source, lang):
    """``(lessons, solutions)``: the notebook paths of one edition, each list in file-name order.

    English lessons are ``notebooks/NN_*.ipynb``, Chinese ones ``notebooks/zh/NN_*.ipynb``;
    solutions are ``solutions/*.ipynb`` beside them.
    """
    folder = pathlib.Path(source) / "notebooks"
    if lang == "zh":
        folder = folder / "zh"
    lessons = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb") if p.is_file())
    solutions = sorted(p for p in (folder / "solutions").glob("*.ipynb") if p.is_file())
    return lessons, solutions


def _title(nb, fallback):
    """The text of the notebook's first heading (markdown stripped), else ``fallback``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    text = line.lstrip("#").strip()
                    text = re.sub(r"[*_`]", "", text)
                    return text or fallback
    return fallback


def _has_math(nb):
    return any(cell.cell_type == "markdown" and re.search(r"\$|\\\(|\\\[", cell.source)
               for cell in nb.cells)


# --------------------------------------------------------------------------- running and exporting

def _imports():
    """The book's toolchain, or a BookError naming the extra."""
    missing = []
    for name in ("nbformat", "nbclient", "nbconvert", "ipykernel", "jupyter_server_mathjax"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise BookError(f"building the book needs {', '.join(missing)}: "
                        f'pip install "adam_ref[book]"')


def mathjax_folder():
    """The folder of the MathJax that ``jupyter-server-mathjax`` ships."""
    import jupyter_server_mathjax

    folder = pathlib.Path(jupyter_server_mathjax.__file__).parent / "static"
    if not (folder / "MathJax.js").is_file():
        raise BookError(f"jupyter-server-mathjax has no MathJax.js in {folder}: "
                        'reinstall it (pip install --force-reinstall "adam_ref[book]")')
    return folder


def _execute(path, source):
    """Run one notebook in a fresh kernel with its folder as the working directory; return it."""
    import nbclient
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:  # not JSON, not a notebook
        raise BookError(f"{path.name} is not a readable notebook: {_first_line(error)}") from None
    env = dict(os.environ, MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join([str(source)] + [p for p in [
                   os.environ.get("PYTHONPATH", "")] if p]))
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute(env=env, stderr=subprocess.DEVNULL)
    except nbclient.exceptions.CellExecutionError as error:
        name = getattr(error, "ename", "") or "error"
        value = (getattr(error, "evalue", "") or "").strip().splitlines()
        raise BookError(f"{path.name} failed: {name}" + (f": {value[0]}" if value else "")) from None
    except nbclient.exceptions.CellTimeoutError:
        raise BookError(f"{path.name} failed: a cell ran longer than {CELL_TIMEOUT} s") from None
    except Exception as error:  # no kernel, a dead kernel: said in one line
        if type(error).__name__ == "NoSuchKernel":
            raise BookError("no Jupyter kernel named python3: pip install ipykernel") from None
        raise BookError(f"{path.name} could not be run: {_first_line(error)}") from None
    return nb


def _first_line(error):
    text = str(error).strip()
    return type(error).__name__ + (f": {text.splitlines()[0]}" if text else "")


def _exporter():
    import jinja2
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="lab", template_file="adam_ref_book.html.j2",
                        extra_loaders=[jinja2.DictLoader({"adam_ref_book.html.j2": TEMPLATE})],
                        embed_images=True, exclude_anchor_links=True)


def _strip_css_comments(page):
    """Drop the comments of the page's style sheets (the lab theme's cite web pages)."""
    return re.sub(r"(<style[^>]*>)(.*?)(</style>)",
                  lambda m: m[1] + re.sub(r"/\*.*?\*/", "", m[2], flags=re.DOTALL) + m[3],
                  page, flags=re.DOTALL | re.IGNORECASE)


def _embed_local_images(page, folder, source, name):
    """Put every image a page takes from the source tree (``../figures/x.png`` in a lesson's
    markdown, say) into the page as a data: URL, so the page does not depend on where
    the source sits; an image that is not there stops the build."""
    def embed(match):
        src = html.unescape(match[2])
        if re.match(r"[a-z][a-z0-9+.-]*:|//", src, re.IGNORECASE):
            return match[0]  # data: stays; a remote URL is refused by _check_offline
        path = (folder / src.split("#")[0].split("?")[0]).resolve()
        if not path.is_relative_to(source) or not path.is_file():
            raise BookError(f"{name} shows the image {src!r}, which is not in {source}")
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"{match[1]}data:{kind};base64,{data}{match[3]}"
    return re.sub(r"""(<img\b[^>]*?\bsrc\s*=\s*["'])([^"']*)(["'])""", embed, page,
                  flags=re.IGNORECASE)


def _check_offline(page, name):
    found = _REMOTE.search(page)
    if found:
        raise BookError(f"{name} would load {found.group(0)!r}... from another host")


# --------------------------------------------------------------------------- pages

def _page(title, body, lang, css=STYLE):
    return (f'<!DOCTYPE html>\n<html lang="{"zh-Hans" if lang == "zh" else "en"}">\n<head>\n'
            f'<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, '
            f'initial-scale=1">\n<title>{html.escape(title)}</title>\n'
            f'<link rel="icon" href="data:,">\n<style>{css}</style>\n</head>\n<body>\n{body}\n'
            f'</body>\n</html>\n')


def _gallery(figures, captions, t, prefix):
    """The gallery: animations first, then the still figures, each with its caption."""
    def item(path):
        name = path.stem
        caption = html.escape(captions.get(name, ""))
        return (f'<figure><img src="{prefix}{path.name}" alt="{html.escape(name)}">'
                f'<figcaption><code>{html.escape(path.name)}</code> '
                f'{caption}</figcaption></figure>')
    gifs = [p for p in figures if p.suffix == ".gif"]
    pngs = [p for p in figures if p.suffix == ".png"]
    parts = []
    if gifs:
        parts.append(f"<h3>{t['animations']}</h3>\n<div class=\"gallery\">"
                     + "".join(item(p) for p in gifs) + "</div>")
    if pngs:
        parts.append(f"<h3>{t['figures']}</h3>\n<div class=\"gallery\">"
                     + "".join(item(p) for p in pngs) + "</div>")
    return "\n".join(parts)


def _figure_files(source, lang):
    """The committed figures of an edition, by file name. The Chinese edition takes
    ``figures/zh/`` and, for any figure that has no Chinese version there, the English one."""
    def files(folder):
        if not folder.is_dir():
            return {}
        return {p.name: p for p in folder.iterdir() if p.suffix in (".png", ".gif") and p.is_file()}
    folder = pathlib.Path(source) / "figures"
    chosen = files(folder)
    if lang == "zh":
        chosen.update(files(folder / "zh"))
    return [chosen[name] for name in sorted(chosen)]


def _captions():
    try:
        from .figures import FIGURES
    except Exception:  # the gallery is still useful without captions
        return {}
    return {name: teaches for name, (_, teaches) in FIGURES.items()}


# --------------------------------------------------------------------------- the build

# a relative link to a notebook (``solutions/01_adam_by_hand.ipynb#part``): its page in the book
_NOTEBOOK_LINK = re.compile(r'href="((?![a-z][a-z0-9+.-]*:)[^"#:]+)\.ipynb(#[^"]*)?"')


def build_book(out, lang="en", *, source=ROOT, jobs=2, log=print):
    """Build the book into ``out``; return the list of pages written (relative to ``out``).

    ``lang`` is ``"en"``, ``"zh"`` or ``"all"`` (every edition that exists). The site is
    built in a new folder beside ``out`` and moved into place only when every
    notebook ran, so a failed build leaves an earlier book as it was. ``out`` must
    be missing, empty, or a book this command wrote before.
    """
    _imports()
    source = pathlib.Path(source).resolve()
    out = pathlib.Path(out)
    if lang not in ("en", "zh", "all"):
        raise BookError(f"--lang must be en, zh or all, got {lang!r}")
    editions = {code: find_lessons(source, code) for code in LANGS}
    if lang == "zh" and not editions["zh"][0]:
        raise BookError(f"no Chinese lessons: {source / 'notebooks' / 'zh'} has no NN_*.ipynb")
    if not editions["en"][0] and (lang == "en" or not editions["zh"][0]):
        raise BookError(f"no lessons: {source / 'notebooks'} has no NN_*.ipynb (build from a "
                        "clone of the repository, or name one with --source)")
    wanted = ["en", "zh"] if lang == "all" else [lang]
    wanted = [code for code in wanted if editions[code][0]]
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise BookError(f"{str(out)!r} exists and is not a book built by this command: "
                        "choose another --out or remove it")
    mathjax = mathjax_folder()
    parent = out.resolve().parent
    blocker = next((p for p in [parent, *parent.parents] if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise BookError(f"cannot write to {str(out)!r}: {str(blocker)!r} is a file, not a folder")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = pathlib.Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)  # a web server reads it like any folder
    except OSError as error:
        raise BookError(f"cannot write to {str(out)!r}: {error.strerror or error}") from None
    try:
        pages = _build(staging, wanted, editions, source, mathjax, jobs, log,
                       zh_missing=lang == "all" and not editions["zh"][0])
        (staging / ".nojekyll").write_text("", encoding="utf-8")  # GitHub Pages: serve every file as is
        (staging / MARKER).write_text(json.dumps({"command": "python -m adam_ref book",
                                                  "lang": lang}) + "\n", encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        os.replace(staging, out)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise BookError(f"cannot write to {str(out)!r}: {error.strerror or error}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return pages


def _build(site, wanted, editions, source, mathjax, jobs, log, zh_missing):
    shutil.copytree(mathjax, site / "mathjax")
    captions = _captions()
    # every notebook of every wanted edition, run two at a time (one kernel per notebook)
    todo = [path for code in wanted for group in editions[code] for path in group]
    started = time.monotonic()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        futures = {path: pool.submit(_execute, path, source) for path in todo}
        executed = {}
        for path, future in futures.items():
            executed[path] = future.result()  # a BookError stops the build
            log(f"ran {path.relative_to(source)}")
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # after an error, start no other notebook
    log(f"ran {len(todo)} notebooks in {time.monotonic() - started:.0f} s")
    exporter = _exporter()
    pages = []
    root_lang = wanted[0]
    for code in wanted:
        folder = site if code == root_lang else site / code
        depth = 0 if code == root_lang else 1
        other = None
        if len(wanted) > 1:
            other = ("zh/index.html" if code == root_lang else "../index.html")
        pages += _edition(site, folder, depth, code, editions[code], executed, exporter,
                          source, captions, other, zh_missing and code == "en")
    return pages


def _edition(site, folder, depth, lang, notebooks, executed, exporter, source, captions, other,
             zh_missing):
    t = TEXT[lang]
    lessons, solutions = notebooks
    folder.mkdir(parents=True, exist_ok=True)
    figures = _figure_files(source, lang)
    (folder / "figures").mkdir(exist_ok=True)
    for path in figures:
        shutil.copyfile(path, folder / "figures" / path.name)
    titles = {p: _title(executed[p], p.stem) for p in lessons + solutions}
    solution_of = {}
    for s in solutions:
        for lesson in lessons:
            if s.name[:3] == lesson.name[:3]:
                solution_of.setdefault(lesson, s)
    written = []

    def nav(previous=None, following=None, solution=None, sub=""):
        links = [f'<a href="{sub}index.html">{t["index"]}</a>']
        if previous:
            links.append(f'<a href="{sub}{previous.stem}.html">&larr; {t["previous"]}: '
                         f'{html.escape(titles[previous])}</a>')
        if following:
            links.append(f'<a href="{sub}{following.stem}.html">{t["next"]}: '
                         f'{html.escape(titles[following])} &rarr;</a>')
        if solution:
            links.append(f'<a href="solutions/{solution.stem}.html">{t["solution_of"]}</a>')
        if other:
            links.append(f'<a href="{sub}{other}">{t["other"]}</a>')
        return " ".join(links)

    def export(path, target, nav_html, page_depth):
        nb = executed[path]
        resources = {"metadata": {"name": titles[path], "path": str(path.parent)},
                     "book_mathjax_url": "../" * page_depth + "mathjax/MathJax.js?config="
                                         "TeX-AMS-MML_HTMLorMML-full,Safe",
                     "book_nav": nav_html, "book_css": NAV_CSS,
                     "language_code": "zh-Hans" if lang == "zh" else "en"}
        try:
            body, _ = exporter.from_notebook_node(nb, resources=resources)
        except Exception as error:  # a template or a markdown cell nbconvert cannot render
            raise BookError(f"{path.name} could not be exported: {_first_line(error)}") from None
        body = _embed_local_images(_strip_css_comments(body), path.parent, source, path.name)
        body = _NOTEBOOK_LINK.sub(r'href="\1.html\2"', body)  # a lesson's links to lessons
        _check_offline(body, target.name)
        target.write_text(body, encoding="utf-8")
        written.append(target.relative_to(site).as_posix())

    for i, lesson in enumerate(lessons):
        previous = lessons[i - 1] if i else None
        following = lessons[i + 1] if i + 1 < len(lessons) else None
        export(lesson, folder / f"{lesson.stem}.html",
               nav(previous, following, solution_of.get(lesson)), depth)
    if solutions:
        (folder / "solutions").mkdir(exist_ok=True)
        for s in solutions:
            export(s, folder / "solutions" / f"{s.stem}.html", nav(sub="../"), depth + 1)
    items = []
    for lesson in lessons:
        extra = ""
        if lesson in solution_of:
            extra = (f' &middot; <a href="solutions/{solution_of[lesson].stem}.html">'
                     f'{t["solution_of"]}</a>')
        items.append(f'<li><a href="{lesson.stem}.html">{html.escape(titles[lesson])}</a>{extra}</li>')
    body = [f"<h1>{t['title']}</h1>"]
    if other:
        body.append(f'<p><a href="{other}">{t["other"]}</a></p>')
    body += [t["about"], f"<h2>{t['lessons']}</h2>", '<ol class="lessons">' + "".join(items)
             + "</ol>"]
    if solutions:
        body += [f"<h2>{t['solutions']}</h2>", "<ul>" + "".join(
            f'<li><a href="solutions/{s.stem}.html">{html.escape(titles[s])}</a></li>'
            for s in solutions) + "</ul>"]
    if zh_missing:
        body.append(f"<p><em>{t['no_zh']}</em></p>")
    if figures:
        body += [f"<h2>{t['gallery']}</h2>", _gallery(figures, captions, t, "figures/")]
    body.append(f"<footer>{t['built'].format(date=time.strftime('%Y-%m-%d', time.gmtime()))}"
                "</footer>")
    index = _page(t["title"], "\n".join(body), lang)
    _check_offline(index, "index.html")
    (folder / "index.html").write_text(index, encoding="utf-8")
    written.insert(0, (folder / "index.html").relative_to(site).as_posix())
    return written


# --------------------------------------------------------------------------- command line

def add_parser(commands):
    """Add the ``book`` subcommand to an argparse ``add_subparsers`` object."""
    book = commands.add_parser("book", help="build the lessons as an offline web site",
                               description="Build the lessons as a static web site that works offline.")
    book.add_argument("--out", default="book", metavar="DIR",
                      help="folder to write the site into (default: book)")
    book.add_argument("--lang", choices=("en", "zh", "all"), default="en",
                      help="edition: English, Chinese, or every edition there is (default: en)")
    book.add_argument("--jobs", type=int, default=2, metavar="N",
                      help="notebooks run at once (default: 2)")
    book.add_argument("--source", default=str(ROOT), metavar="DIR",
                      help="the repository whose notebooks/ and figures/ to build from "
                           "(default: the one adam_ref is imported from)")
    return book


def main(args):
    """Run ``book`` with parsed ``args``; return the exit code (0 built, 1 could not)."""
    if args.jobs < 1:
        print(f"adam-ref book: --jobs must be at least 1, got {args.jobs}", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        pages = build_book(args.out, args.lang, source=args.source, jobs=args.jobs,
                           log=lambda line: print(line, flush=True))
    except BookError as error:
        print(f"adam-ref book: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("adam-ref book: interrupted; nothing was changed", file=sys.stderr)
        return 1
    except Exception as error:  # the command line never shows a traceback
        print(f"adam-ref book: {_first_line(error)}", file=sys.stderr)
        return 1
    print(f"wrote {len(pages)} pages to {args.out}/ in {time.monotonic() - started:.0f} s; "
          f"open {os.path.join(args.out, 'index.html')}")
    return 0
