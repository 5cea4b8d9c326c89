"""Every script in examples/ and every Python snippet of the README (and docs/transitions.md) runs.

Each runs in a fresh interpreter in an empty directory (so files it writes land there), at
a small scale where the script takes ``--scale``; its output must show whole frames (no
pandas truncation).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
#: Arguments that keep the heavier examples small.
SMALL = {"entries_and_rates.py": ["--scale", "0.02"], "fui_replication.py": ["--scale", "0.03"], "synthdid_prop99.py": ["--reps", "3"]}
#: pandas' marks of a truncated frame: an elided column or row, or the shape footer.
TRUNCATED = re.compile(r"\s\.\.\.(\s|$)|^\s*\.\.\s|\[\d+ rows x \d+ columns\]", re.MULTILINE)


#: Documents whose ```python blocks must run as written.
DOCUMENTS = ("README.md", "docs/transitions.md")


def snippets(document: str) -> list[str]:
    """The ```python blocks of one document."""
    text = (ROOT / document).read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


SNIPPETS = [(doc, i, code) for doc in DOCUMENTS for i, code in enumerate(snippets(doc))]


def run_script(path: Path, args: list[str], cwd: Path) -> str:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, str(path), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, f"{path.name} failed:\n{done.stderr[-4000:]}"
    return done.stdout


def assert_whole_frames(output: str, name: str) -> None:
    hit = TRUNCATED.search(output)
    assert hit is None, f"{name} prints a truncated frame near: {output[max(0, hit.start() - 200):hit.end() + 100]!r}"


def test_examples_and_snippets_are_found() -> None:
    assert len(EXAMPLES) >= 5
    assert len(snippets("README.md")) >= 2 and len(snippets("docs/transitions.md")) >= 1
    assert set(SMALL) <= {p.name for p in EXAMPLES}


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(script: Path, tmp_path: Path) -> None:
    output = run_script(script, SMALL.get(script.name, []), tmp_path)
    assert output.strip()
    assert_whole_frames(output, script.name)


@pytest.mark.parametrize(("document", "index", "code"), SNIPPETS, ids=[f"{d}-{i}" for d, i, _ in SNIPPETS])
def test_document_snippet_runs(document: str, index: int, code: str, tmp_path: Path) -> None:
    script = tmp_path / f"snippet_{index}.py"
    script.write_text(code, encoding="utf-8")
    output = run_script(script, [], tmp_path)
    assert output.strip()
    assert_whole_frames(output, f"{document} snippet {index}")


def test_truncation_is_detected() -> None:
    import pandas as pd

    wide = pd.DataFrame({f"column_{i}": range(100) for i in range(30)})
    with pd.option_context("display.max_columns", 10, "display.max_rows", 10):
        assert TRUNCATED.search(str(wide))
    assert TRUNCATED.search(wide.to_string()) is None
