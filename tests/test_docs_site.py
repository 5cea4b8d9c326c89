"""The documentation site builds with ``mkdocs build --strict``, its examples executed; notebooks run.

The build runs every example script and the worked studies (docs/examples, docs/worked,
docs/no), renders the API reference of every public name from its docstring
(``docsite/gen_reference.py``) and fails on any warning: a broken link or anchor, a page
missing from the navigation, a docstring mkdocstrings cannot parse, an example that fails.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import evalkit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
NOTEBOOKS = sorted((ROOT / "examples").glob("*.ipynb"))


def test_every_public_package_has_a_reference_page() -> None:
    src = (ROOT / "docsite" / "gen_reference.py").read_text(encoding="utf-8")
    public = []
    for info in pkgutil.walk_packages(evalkit.__path__, "evalkit."):
        if info.ispkg and hasattr(importlib.import_module(info.name), "__all__"):
            public.append(info.name)
    missing = [name for name in public if f'"{name}":' not in src]
    assert not missing, f"packages with __all__ but no API reference page (docsite/gen_reference.py): {missing}"


def test_site_builds_strict(tmp_path: Path) -> None:
    mkdocs = Path(sys.executable).with_name("mkdocs")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}
    done = subprocess.run([str(mkdocs), "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-6000:]
    site = tmp_path / "site"
    reference = (site / "reference" / "estimators" / "index.html").read_text(encoding="utf-8")
    assert 'id="evalkit.estimators.did2x2.did2x2"' in reference  # a function named like its module
    worked = (site / "worked" / "fui" / "index.html").read_text(encoding="utf-8")
    assert "Table 8.2" in worked and "data:image/svg+xml;base64," in worked
    assert "innsatsgruppe" in (site / "no" / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_results_render_as_html(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    # run in the notebook's own directory, as when a user opens it
    NotebookClient(notebook, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    results = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs
               if out.output_type == "execute_result"]
    assert results and all("text/html" in out["data"] for out in results)
    shown = "".join(out["data"]["text/html"] for out in results)
    assert "24206" not in shown  # months are shown as 2016-03, never as internal integers

