"""The architecture is enforced: layers run one way, modules import alone, ``import evalkit`` is light.

The layer contract lives in pyproject.toml ([tool.importlinter]); docs/architecture.md
explains it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "evalkit"


def _lint_imports() -> str:
    exe = Path(sys.executable).with_name("lint-imports")
    found = str(exe) if exe.exists() else shutil.which("lint-imports")
    assert found, "import-linter is part of the test extra: pip install -e '.[test]'"
    return found


def _run_lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_lint_imports(), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def _modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_layer_contract_is_kept():
    run = _run_lint(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def test_layer_contract_fails_on_an_upward_import(tmp_path):
    # a copy of the package where the inference core imports the regression layer above it
    shutil.copytree(PACKAGE, tmp_path / "evalkit", ignore=shutil.ignore_patterns("__pycache__", "data"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "evalkit" / "inference" / "clusters.py"
    target.write_text(target.read_text() + "\nfrom evalkit.regression import feols  # noqa: E402\n")
    run = _run_lint(tmp_path)
    assert run.returncode != 0
    assert "evalkit.inference.clusters -> evalkit.regression" in run.stdout


def test_every_module_imports_alone():
    """Each module imports in a clean interpreter state (no evalkit module loaded before it)."""
    script = (
        "import importlib, json, sys, traceback\n"
        f"names = {json.dumps(_modules())}\n"
        "failed = {}\n"
        "for name in names:\n"
        "    for loaded in [m for m in sys.modules if m == 'evalkit' or m.startswith('evalkit.')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception:\n"
        "        failed[name] = traceback.format_exc(limit=3)\n"
        "print(json.dumps(failed))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    failed = json.loads(run.stdout.strip().splitlines()[-1])
    assert failed == {}, "\n".join(f"{k}:\n{v}" for k, v in failed.items())
    assert len(_modules()) > 60  # the walk found the package


HEAVY = ["matplotlib", "pyspark", "duckdb", "formulaic", "scipy.stats", "statsmodels", "evalkit.replications"]


def _loaded_after(code: str) -> list[str]:
    script = f"import sys\n{code}\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return eval(run.stdout.strip().splitlines()[-1])  # a list literal printed by the script


def test_import_evalkit_is_light():
    assert _loaded_after("import evalkit") == []


@pytest.mark.parametrize(
    ("code", "allowed"),
    [
        ("import evalkit; evalkit.feols", []),
        ("import evalkit; evalkit.wild_cluster_bootstrap", []),
        # scipy.stats: the estimators package's t and chi2 tests; formulaic: staggered/gt_data.py
        ("import evalkit; evalkit.did2x2", ["scipy.stats", "formulaic"]),
        ("import evalkit; evalkit.honest_did", ["scipy.stats", "formulaic"]),
        ("import evalkit; evalkit.simulate_staggered", []),
    ],
)
def test_names_load_only_what_they_need(code, allowed):
    assert set(_loaded_after(code)) <= set(allowed)


def test_every_public_name_resolves():
    script = (
        "import evalkit\n"
        "missing = [n for n in evalkit.__all__ if getattr(evalkit, n, None) is None]\n"
        "assert not missing, missing\n"
        "assert set(evalkit.__all__) <= set(dir(evalkit))\n"
        "try:\n"
        "    evalkit.no_such_name\n"
        "except AttributeError as exc:\n"
        "    assert 'no_such_name' in str(exc)\n"
        "else:\n"
        "    raise AssertionError('unknown names must raise AttributeError')\n"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr


def test_functions_named_like_their_module_stay_functions():
    """``from evalkit.estimators import did2x2`` is the function even after its module was imported."""
    script = (
        "import evalkit.estimators.did2x2, evalkit.estimators.event_study, evalkit.estimators.att_gt\n"
        "import evalkit.estimators.sun_abraham\n"
        "from evalkit.estimators import att_gt, did2x2, event_study, sun_abraham\n"
        "import evalkit\n"
        "assert all(callable(f) for f in (att_gt, did2x2, event_study, sun_abraham, evalkit.did2x2))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
