"""``python -m adam_ref figures`` (or ``adam-ref figures``): regenerate the teaching figures.

    adam-ref figures [--out DIR] [--only NAME ...] [--list] [--format png|svg]

Output is the same to the byte on every run with the same matplotlib and
FreeType: fixed seeds, fixed size and dpi, no dates or software tags in the
files. Figures are plain ``Figure`` objects rendered by Agg (or the SVG
backend), so no display is needed and pyplot is never imported.
``MANIFEST.json`` next to the figures records each file's sha256 and the
versions that produced it. ``adam-ref book`` builds the lessons as an offline web
site (see :mod:`adam_ref.book`).
"""

import argparse
import hashlib
import json
import os
import sys

import matplotlib
import numpy as np
from matplotlib import ft2font

from . import __version__, book
from .figures import ANIMATIONS, FIGURES
from .plots import STYLE

#: metadata left out of the files (timestamps, tool versions), so the bytes depend only on the figure
METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None}}


def versions():
    """The versions that decide the bytes of a figure."""
    return {"adam_ref": __version__, "matplotlib": matplotlib.__version__, "numpy": np.__version__,
            "freetype": ft2font.__freetype_version__}


def sha256(path):
    with open(path, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()


def write_figures(names, out, fmt):
    """Write each named figure to ``out/NAME.fmt`` (an animation to ``out/NAME.gif``);
    yield each path as it is written."""
    for name in names:
        path = os.path.join(out, f"{name}.{'gif' if name in ANIMATIONS else fmt}")
        with matplotlib.rc_context(STYLE):
            figure = FIGURES[name][0]()
            if name in ANIMATIONS:  # a BlitAnimation, always a GIF
                figure.save_gif(path)
            else:
                figure.savefig(path, format=fmt, metadata=METADATA[fmt])
        yield path


def old_entries(manifest_path):
    """The ``files`` of the manifest at ``manifest_path`` if the same versions wrote it, else {}.

    A manifest that is missing, not JSON, or whose ``files`` is not a dict of
    file name → sha256 (both str) counts as unreadable: it is replaced, not merged.
    """
    try:
        with open(manifest_path, encoding="utf-8") as file:
            old = json.load(file)
    except (FileNotFoundError, ValueError):
        return {}
    if not isinstance(old, dict) or old.get("versions") != versions():
        return {}
    files = old.get("files", {})
    if not isinstance(files, dict) or not all(
            isinstance(name, str) and isinstance(digest, str) for name, digest in files.items()):
        return {}
    return dict(files)


def write_manifest(out, paths):
    """Add ``paths`` to ``out/MANIFEST.json``; the entries of other files are kept
    when the manifest was written by the same versions, dropped otherwise."""
    manifest_path = os.path.join(out, "MANIFEST.json")
    files = old_entries(manifest_path)
    files.update({os.path.basename(p): sha256(p) for p in paths})
    manifest = {"command": "python -m adam_ref figures", "versions": versions(),
                "files": dict(sorted(files.items()))}
    with open(manifest_path, "w", encoding="utf-8") as file:
        json.dump(manifest, file, indent=2, ensure_ascii=False)
        file.write("\n")
    return manifest_path


def _parser():
    parser = argparse.ArgumentParser(prog="adam-ref", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    figures = commands.add_parser("figures", help="regenerate the teaching figures",
                                  description="Regenerate the teaching figures.")
    figures.add_argument("--out", default="figures", metavar="DIR",
                         help="directory to write into (created if missing; default: figures)")
    figures.add_argument("--only", nargs="+", metavar="NAME", help="write only these figures")
    figures.add_argument("--list", action="store_true", help="list the figures and exit")
    figures.add_argument("--format", choices=("png", "svg"), default="png",
                         help="file format (default: png)")
    book.add_parser(commands)
    return parser


def main(argv=None):
    """Run the command line; return the exit code (0 ok, 1 cannot write, 2 bad usage)."""
    try:
        args = _parser().parse_args(argv)
        return book.main(args) if args.command == "book" else _figures(args)
    except BrokenPipeError:  # `adam-ref figures --list | head`: the reader left early
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _figures(args):
    if args.list:
        width = max(map(len, FIGURES))
        for name, (_, teaches) in FIGURES.items():
            print(f"{name:<{width}}  {'gif' if name in ANIMATIONS else args.format}  {teaches}")
        return 0
    names = list(FIGURES) if args.only is None else list(dict.fromkeys(args.only))
    unknown = [name for name in names if name not in FIGURES]
    if unknown:
        print(f"adam-ref figures: unknown figure name{'s' if len(unknown) > 1 else ''}: "
              f"{', '.join(unknown)}\nvalid names: {', '.join(FIGURES)}", file=sys.stderr)
        return 2
    try:
        os.makedirs(args.out, exist_ok=True)
        paths = []
        for path in write_figures(names, args.out, args.format):
            paths.append(path)
            print(path, flush=True)
        print(write_manifest(args.out, paths))
    except OSError as error:
        print(f"adam-ref figures: cannot write to {args.out!r}: "
              f"{error.strerror or error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
