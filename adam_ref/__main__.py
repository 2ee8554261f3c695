"""``python -m adam_ref figures`` (or ``adam-ref figures``): regenerate the teaching figures.

    adam-ref figures [--lang en|zh] [--out DIR] [--only NAME ...] [--list] [--format png|svg]

Output is the same to the byte on every run with the same matplotlib and
FreeType: fixed seeds, fixed size and dpi, no dates or software tags in the
files. Figures are plain ``Figure`` objects rendered by Agg (or the SVG
backend), so no display is needed and pyplot is never imported.
``MANIFEST.json`` next to the figures records each file's sha256 and the
versions that produced it. ``--lang zh`` draws every text in Chinese, into
``figures/zh`` unless ``--out`` says otherwise (it needs the ``zh`` extra, the font). ``adam-ref book`` builds the lessons as an offline web
site (see :mod:`adam_ref.book`).
"""

import argparse
import hashlib
import json
import os
import re
import secrets
import sys

if "matplotlib" not in sys.modules:
    # figures are rendered by Agg whatever MPLBACKEND says (a bad value would stop the import)
    os.environ["MPLBACKEND"] = "Agg"

import matplotlib
import numpy as np
from matplotlib import ft2font

from . import __version__, _text, book, plots
from .figures import ANIMATIONS, FIGURES

#: metadata left out of the files (timestamps, tool versions), so the bytes depend only on the figure
METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None}}


def versions(lang="en"):
    """The versions that decide the bytes of a figure (in ``lang``: its font package too)."""
    found = {"adam_ref": __version__, "matplotlib": matplotlib.__version__,
             "numpy": np.__version__, "freetype": ft2font.__freetype_version__}
    if lang in plots.FONTS:
        from importlib import metadata
        package = plots.FONTS[lang][0].replace("_", "-")
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


def sha256(path):
    with open(path, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()


#: rcParams that are not style (left as they are): the backend, interactivity, GUI settings
_NOT_STYLE = {"backend", "backend_fallback", "interactive", "toolbar", "timezone",
              "tk.window_focus", "savefig.directory", "figure.raise_window",
              "figure.max_open_warning", "date.epoch", "docstring.hardcopy", "webagg.port",
              "webagg.address", "webagg.port_retries", "webagg.open_in_browser"}


def project_style():
    """matplotlib's built-in defaults plus the project's :data:`~adam_ref.plots.STYLE` (with the
    current language's font): the rcParams every figure is made with, whatever a
    ``matplotlibrc`` or style sheet says."""
    style = {key: value for key, value in matplotlib.rcParamsDefault.items()
             if key not in _NOT_STYLE}
    return {**style, **plots.style()}


def write_figures(names, out, fmt):
    """Write each named figure to ``out/NAME.fmt`` (an animation to ``out/NAME.gif``);
    yield each path as it is written. Each file is written under a temporary name and
    renamed, so an interrupted run leaves no half-written figure."""
    style = project_style()
    for name in names:
        ext = "gif" if name in ANIMATIONS else fmt
        path = os.path.join(out, f"{name}.{ext}")
        tmp = os.path.join(out, f".{name}.{secrets.token_hex(4)}.tmp.{ext}")
        try:
            with matplotlib.rc_context(style):
                figure = FIGURES[name][0]()
                if name in ANIMATIONS:  # a BlitAnimation, always a GIF
                    figure.save_gif(tmp)
                else:
                    figure.savefig(tmp, format=fmt, metadata=METADATA[fmt])
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        yield path


_JSON_BRACKET = re.compile(r"[\[\]{}]")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def old_entries(manifest_path, lang="en"):
    """The ``files`` of the manifest at ``manifest_path`` if the same versions wrote it, else {}.

    A manifest that is missing, not JSON, nested more than 8 deep, over 1 MB, or
    whose ``files`` is not a dict of file name → sha256 (both str) counts as
    unreadable: it is replaced, not merged (see :func:`manifest_problem`).
    """
    return _read_manifest(manifest_path, lang)[0]


def manifest_problem(manifest_path, lang="en"):
    """Why the manifest at ``manifest_path`` cannot be merged (None when it can, or is absent)."""
    return _read_manifest(manifest_path, lang)[1]


def _read_manifest(manifest_path, lang="en"):
    try:
        with open(manifest_path, "rb") as file:
            raw = file.read(2 ** 20 + 1)
    except FileNotFoundError:
        return {}, None
    if len(raw) > 2 ** 20:
        return {}, "it is over 1 MB"
    try:
        text = raw.decode("utf-8")
        depth = depth_max = 0
        for match in _JSON_BRACKET.finditer(_JSON_STRING.sub("", text)):
            depth += 1 if match.group() in "[{" else -1
            depth_max = max(depth, depth_max)
        if depth_max > 8:
            return {}, f"it nests {depth_max} levels deep"
        old = json.loads(text)
    except (ValueError, RecursionError) as error:
        return {}, f"it is not JSON ({type(error).__name__})"
    if not isinstance(old, dict) or not isinstance(old.get("files", {}), dict) or not all(
            isinstance(name, str) and isinstance(digest, str)
            for name, digest in old.get("files", {}).items()):
        return {}, "it does not list files and their sha256"
    if old.get("versions") != versions(lang):
        return {}, None  # written by other versions: replaced, which is expected
    return dict(old.get("files", {})), None


def write_manifest(out, paths, lang="en"):
    """Add ``paths`` to ``out/MANIFEST.json``; the entries of other files are kept
    when the manifest was written by the same versions, dropped otherwise. The
    manifest is written under a temporary name and renamed."""
    manifest_path = os.path.join(out, "MANIFEST.json")
    files = old_entries(manifest_path, lang)
    files.update({os.path.basename(p): sha256(p) for p in paths})
    command = "python -m adam_ref figures" + (f" --lang {lang}" if lang != "en" else "")
    manifest = {"command": command, "versions": versions(lang),
                "files": dict(sorted(files.items()))}
    tmp = os.path.join(out, f".MANIFEST.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as file:
            json.dump(manifest, file, indent=2, ensure_ascii=False)
            file.write("\n")
        os.replace(tmp, manifest_path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return manifest_path


def _parser():
    parser = argparse.ArgumentParser(prog="adam-ref", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    figures = commands.add_parser("figures", help="regenerate the teaching figures",
                                  description="Regenerate the teaching figures.")
    figures.add_argument("--lang", choices=_text.LANGUAGES, default="en",
                         help="the language of the figures' text (default: en)")
    figures.add_argument("--out", metavar="DIR",
                         help="directory to write into (created if missing; default: figures, "
                              "or figures/LANG for another language than en)")
    figures.add_argument("--only", nargs="+", metavar="NAME", help="write only these figures")
    figures.add_argument("--list", action="store_true", help="list the figures and exit")
    figures.add_argument("--format", choices=("png", "svg"), default="png",
                         help="file format (default: png)")
    book.add_parser(commands)
    return parser


class _OutputError(Exception):
    """Standard output cannot be written (a full disk, a closed pipe)."""

    def __init__(self, error):
        super().__init__(error.strerror or str(error))
        self.error = error


def say(text=""):
    """Print one line to standard output, now; a failure is an :class:`_OutputError`."""
    try:
        print(text, flush=True)
    except OSError as error:
        raise _OutputError(error) from None


def _flush_stdout():
    try:
        sys.stdout.flush()
    except OSError as error:
        raise _OutputError(error) from None
    except (ValueError, AttributeError):  # closed or replaced
        pass


def _error(message):
    try:
        print(f"adam-ref: {message}", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def _silence_stdout():
    # what is still buffered goes nowhere, so that the exit does not fail again
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main(argv=None):
    """Run the command line; return the exit code (0 ok, 1 cannot write or failed,
    2 bad usage, 130 interrupted). Never shows a traceback: every error is one line
    on standard error."""
    try:
        try:
            return _main(argv)
        finally:  # what is buffered (argparse's --help, say) must fail here, not at exit
            _flush_stdout()
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except _OutputError as error:
        _silence_stdout()
        if not isinstance(error.error, BrokenPipeError):  # `... --list | head`: expected
            _error(f"cannot write to standard output: {error}")
        return 1
    except BrokenPipeError:
        _silence_stdout()
        return 1
    except Exception as error:  # noqa: BLE001 — one line, not a traceback
        _error(f"failed: {type(error).__name__}: {error}")
        return 1


def _main(argv):
    args = _parser().parse_args(argv)
    return book.main(args) if args.command == "book" else _figures(args)


def _figures(args):
    if args.list:
        width = max(map(len, FIGURES))
        for name, (_, teaches) in FIGURES.items():
            teaches = _text.TEXT[args.lang].get(f"list.{name}", teaches)
            say(f"{name:<{width}}  {'gif' if name in ANIMATIONS else args.format}  {teaches}")
        return 0
    names = list(FIGURES) if args.only is None else list(dict.fromkeys(args.only))
    unknown = [name for name in names if name not in FIGURES]
    if unknown:
        print(f"adam-ref figures: unknown figure name{'s' if len(unknown) > 1 else ''}: "
              f"{', '.join(unknown)}\nvalid names: {', '.join(FIGURES)}", file=sys.stderr)
        return 2
    if args.out is None:
        args.out = "figures" if args.lang == "en" else os.path.join("figures", args.lang)
    try:
        previous = plots.use_language(args.lang)
    except plots.LanguageUnavailable as error:
        print(f"adam-ref figures: {error}", file=sys.stderr)
        return 1
    try:
        return _write(args, names)
    finally:
        plots.use_language(previous)


def _write(args, names):
    try:
        os.makedirs(args.out, exist_ok=True)
        problem = manifest_problem(os.path.join(args.out, "MANIFEST.json"), args.lang)
        if problem:
            print(f"adam-ref figures: {os.path.join(args.out, 'MANIFEST.json')} is unreadable "
                  f"({problem}); it is replaced", file=sys.stderr, flush=True)
        paths = []
        for path in write_figures(names, args.out, args.format):
            paths.append(path)
            say(path)
        say(write_manifest(args.out, paths, args.lang))
    except OSError as error:
        print(f"adam-ref figures: cannot write to {args.out!r}: "
              f"{error.strerror or error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
