"""Every script in examples/ is executed by the documentation site; README snippets run here.

The example scripts run when the site is built (docs/examples/*.md, ``docsite.run``), which
``tests/test_docs_site.py`` does; this module checks that each script has its page, and runs
every Python snippet of the README (and docs/transitions.md) in a fresh interpreter in an
empty directory. Their output must show whole frames (no pandas truncation).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docsite.run import TRUNCATED, ExampleFailed, run  # noqa: E402

EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
#: Documents whose ```python blocks must run as written.
DOCUMENTS = ("README.md", "docs/transitions.md")


def snippets(document: str) -> list[str]:
    """The ```python blocks of one document."""
    text = (ROOT / document).read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


SNIPPETS = [(doc, i, code) for doc in DOCUMENTS for i, code in enumerate(snippets(doc))]


def test_examples_and_snippets_are_found() -> None:
    assert len(EXAMPLES) >= 5
    assert len(snippets("README.md")) >= 2 and len(snippets("docs/transitions.md")) >= 1


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_is_executed_by_the_site(script: Path) -> None:
    page = ROOT / "docs" / "examples" / f"{script.stem}.md"
    assert page.exists(), f"examples/{script.name} has no page docs/examples/{script.stem}.md"
    text = page.read_text(encoding="utf-8")
    assert f'show_example("{script.name}"' in text and '```python exec="on"' in text


@pytest.mark.parametrize(("document", "index", "code"), SNIPPETS, ids=[f"{d}-{i}" for d, i, _ in SNIPPETS])
def test_document_snippet_runs(document: str, index: int, code: str, tmp_path: Path) -> None:
    script = tmp_path / f"snippet_{index}.py"
    script.write_text(code, encoding="utf-8")
    assert run([sys.executable, str(script)], tmp_path).strip()


def test_truncation_and_failure_are_detected(tmp_path: Path) -> None:
    import pandas as pd

    wide = pd.DataFrame({f"column_{i}": range(100) for i in range(30)})
    with pd.option_context("display.max_columns", 10, "display.max_rows", 10):
        assert TRUNCATED.search(str(wide))
    assert TRUNCATED.search(wide.to_string()) is None
    script = tmp_path / "wide.py"
    script.write_text("import pandas as pd\nprint(pd.DataFrame({f'c{i}': range(100) for i in range(30)}))\n")
    with pytest.raises(ExampleFailed, match="truncated"):
        run([sys.executable, str(script)], tmp_path)
    script.write_text("raise SystemExit(3)\n")
    with pytest.raises(ExampleFailed, match="exit code 3"):
        run([sys.executable, str(script)], tmp_path)
