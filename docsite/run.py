"""Run an example script or an ``evalkit`` command while the site is built, and show its output.

The pages call these from ``markdown-exec`` blocks, so every number and figure on the site
is produced by the code it documents when the site is built.  A command that fails, or
prints a truncated pandas frame, raises: markdown-exec reports it and ``mkdocs build
--strict`` fails.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: pandas' marks of a truncated frame: an elided column or row, or the shape footer.
TRUNCATED = re.compile(r"\s\.\.\.(\s|$)|^\s*\.\.\s|\[\d+ rows x \d+ columns\]", re.MULTILINE)
#: Figures a command writes that the page shows, in this order.
FIGURE_SUFFIXES = (".svg", ".png")


class ExampleFailed(RuntimeError):
    """An example or command shown on the site failed or printed a truncated frame."""


def run(argv: list[str], cwd: Path) -> str:
    """Run ``argv`` in ``cwd`` with a non-interactive plot backend; return its stdout."""
    env = {**os.environ, "MPLBACKEND": "Agg", "EVALKIT_PROGRESS": "0", "COLUMNS": "100"}
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise ExampleFailed(f"{' '.join(argv)} failed with exit code {done.returncode}:\n"
                            f"{done.stderr[-4000:]}")
    hit = TRUNCATED.search(done.stdout)
    if hit is not None:
        raise ExampleFailed(f"{' '.join(argv)} prints a truncated frame near: "
                            f"{done.stdout[max(0, hit.start() - 200):hit.end() + 100]!r}")
    return done.stdout


def figures(directory: Path) -> list[Path]:
    """The figures under ``directory``: SVG where a figure exists in both formats, else PNG."""
    found = sorted(p for p in directory.rglob("*") if p.suffix in FIGURE_SUFFIXES)
    stems = {p.with_suffix("") for p in found if p.suffix == ".svg"}
    return [p for p in found if p.suffix == ".svg" or p.with_suffix("") not in stems]


def image_markdown(path: Path) -> str:
    """An inline image (data URI), so the page needs no file beside it."""
    mime = "image/svg+xml" if path.suffix == ".svg" else "image/png"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"![{path.stem}](data:{mime};base64,{data})"


def show(argv: list[str], *, shown: str, max_figures: int = 6) -> str:
    """Markdown of ``shown`` (the command as a user types it), its output and its figures.

    Returned, not printed: markdown-exec captures the ``print`` of the page's block only.
    """
    with tempfile.TemporaryDirectory() as tmp:
        output = run(argv, Path(tmp))
        parts = [f"```console\n$ {shown}\n{output.rstrip()}\n```\n"]
        parts += [image_markdown(path) + "\n" for path in figures(Path(tmp))[:max_figures]]
    return "\n".join(parts)


def show_example(script: str, *args: str) -> str:
    """Run ``examples/<script>`` with ``args`` in an empty directory: Markdown of what it prints and draws."""
    path = ROOT / "examples" / script
    return show([sys.executable, str(path), *args], shown=" ".join(["python", f"examples/{script}", *args]))


def show_command(*args: str, max_figures: int = 6) -> str:
    """Run ``evalkit <args>`` in an empty directory: Markdown of its terminal output and figures."""
    command = str(Path(sys.executable).with_name("evalkit"))  # the console script of this install
    return show([command, *args], shown=" ".join(["evalkit", *args]),
         max_figures=max_figures)
